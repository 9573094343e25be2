"""The project's set-up is part of the product: check that its pieces agree.

* constraints.txt pins every dependency exactly, and every direct dependency
  declared in pyproject.toml (all extras) is among the pins;
* environment.yml (conda / Binder) installs Python 3.11 and the same pins;
* the Makefile offers the documented commands, and CI runs `make test`;
* tools/strip_notebooks.py strips outputs and keeps nbgrader metadata.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>[A-Za-z0-9.+!_-]+)$")
REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<spec>[^;]*)"
)


def canonical(name: str) -> str:
    """PEP 503 normalised project name (``Jinja2`` -> ``jinja2``, ``a_b.c`` -> ``a-b-c``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def release(version: str) -> tuple[int, ...]:
    """The numeric release part of a version (``"3.1.1"`` -> ``(3, 1, 1)``)."""
    match = re.match(r"^\d+(?:\.\d+)*", version)
    assert match, f"version {version!r} has no numeric release part"
    return tuple(int(part) for part in match.group(0).split("."))


def satisfies(version: str, spec: str) -> bool:
    """Whether ``version`` meets ``spec`` (comma-separated >=, >, <, <=, ==, != clauses)."""
    have = release(version)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        op, want_text = re.match(r"^(>=|<=|==|!=|>|<|~=)?\s*(.*)$", clause).groups()  # type: ignore[union-attr]
        want = release(want_text)
        width = max(len(have), len(want))
        a, b = have + (0,) * (width - len(have)), want + (0,) * (width - len(want))
        ok = {
            ">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b,
            "==": a == b, "!=": a != b, None: a == b,
            "~=": a >= b and a[: len(want) - 1] == b[: len(want) - 1],
        }[op]
        if not ok:
            return False
    return True


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pins() -> dict[str, str]:
    """constraints.txt as {canonical name: version}; asserts every line is a clean pin."""
    found: dict[str, str] = {}
    for number, raw in enumerate((ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt line {number}: {raw!r} is not `name==version`"
        name = canonical(match["name"])
        assert name not in found, f"constraints.txt line {number}: {name} is pinned twice"
        found[name] = match["version"]
    return found


def direct_requirements(pyproject: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """{group: [(canonical name, specifier)]} for the core deps and each extra, self-references left out."""
    project = pyproject["project"]
    groups = {"dependencies": project["dependencies"], **project["optional-dependencies"]}
    own = canonical(project["name"])
    parsed: dict[str, list[tuple[str, str]]] = {}
    for group, requirements in groups.items():
        parsed[group] = []
        for requirement in requirements:
            match = REQUIREMENT.match(requirement)
            assert match, f"pyproject {group}: cannot read requirement {requirement!r}"
            if canonical(match["name"]) != own:
                parsed[group].append((canonical(match["name"]), match["spec"].strip()))
    return parsed


# --- constraints.txt and pyproject.toml ----------------------------------------


def test_constraints_are_exact_pins_without_the_course_itself(pins: dict[str, str], pyproject: dict[str, Any]) -> None:
    assert len(pins) > 50, "constraints.txt should pin the whole environment, indirect dependencies too"
    assert canonical(pyproject["project"]["name"]) not in pins


def test_constraints_say_how_to_regenerate_them() -> None:
    header = (ROOT / "constraints.txt").read_text(encoding="utf-8").split("\n\n")[0]
    assert "make constraints" in header


def test_every_direct_dependency_is_pinned_within_its_range(
    pyproject: dict[str, Any], pins: dict[str, str]
) -> None:
    problems = []
    for group, requirements in direct_requirements(pyproject).items():
        for name, spec in requirements:
            if name not in pins:
                problems.append(f"{group}: {name} is not pinned in constraints.txt")
            elif not satisfies(pins[name], spec):
                problems.append(f"{group}: {name}=={pins[name]} does not meet pyproject's {spec!r}")
    assert not problems, "\n".join(problems)


def test_build_backend_is_pinned(pyproject: dict[str, Any], pins: dict[str, str]) -> None:
    for requirement in pyproject["build-system"]["requires"]:
        match = REQUIREMENT.match(requirement)
        assert match
        name = canonical(match["name"])
        assert name in pins, f"build requirement {name} is not pinned in constraints.txt"
        assert satisfies(pins[name], match["spec"])
    assert "pip" in pins


def test_extra_all_is_every_extra(pyproject: dict[str, Any]) -> None:
    groups = direct_requirements(pyproject)
    everything = {name for group, reqs in groups.items() if group not in ("all", "dependencies") for name in reqs}
    own = canonical(pyproject["project"]["name"])
    all_extra = pyproject["project"]["optional-dependencies"]["all"]
    via_self = set()
    for requirement in all_extra:
        match = REQUIREMENT.match(requirement)
        assert match
        if canonical(match["name"]) == own:
            via_self |= {extra.strip() for extra in (match["extras"] or "").split(",")}
    covered = set(groups["all"]) | {req for extra in via_self for req in groups[extra]}
    assert everything <= covered, f"extra `all` misses {sorted(everything - covered)}"


def test_pyproject_contract(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    import funnel_lib

    version = getattr(funnel_lib, "__version__", None)
    assert version in (None, project["version"]), (
        f"funnel_lib.__version__ is {version!r} but pyproject.toml says {project['version']!r}; keep them equal"
    )
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["funnel"] == "funnel_lib.cli:main"
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"
    ini = pyproject["tool"]["pytest"]["ini_options"]
    assert ini["filterwarnings"] == ["error"]
    assert "--doctest-modules" in ini["addopts"]
    assert {"browser", "slow", "sql", "notebooks", "grading"} <= {m.split(":")[0] for m in ini["markers"]}
    assert pyproject["tool"]["coverage"]["run"]["source"] == ["funnel_lib"]


# --- environment.yml (conda / Binder) -------------------------------------------


def environment_yml() -> tuple[list[str], list[str]]:
    """(conda dependencies, pip lines) of environment.yml, read without a YAML library."""
    conda: list[str] = []
    pip: list[str] = []
    in_dependencies = False
    pip_indent: int | None = None
    for raw in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_dependencies, pip_indent = text == "dependencies:", None
            continue
        if not in_dependencies or not text.startswith("- "):
            continue
        item = text[2:].split(" #")[0].strip().strip("'\"")
        if pip_indent is not None and indent > pip_indent:
            pip.append(item)
            continue
        pip_indent = indent if item == "pip:" else None
        if item != "pip:":
            conda.append(item)
    return conda, pip


def test_environment_yml_is_python_311_with_the_same_pins(pins: dict[str, str]) -> None:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*-\s*conda-forge\s*$", text, re.M), "environment.yml should use the conda-forge channel"
    conda, pip = environment_yml()
    assert "python=3.11" in conda
    assert "pip" in conda
    if "-c constraints.txt" in pip:
        # the same constraints file, applied to the course and all its extras
        assert any(re.fullmatch(r"-e \.\[all\]", line) for line in pip), pip
    else:  # or an identical copy of the pins
        listed = {canonical(m["name"]): m["version"] for m in map(PIN.match, pip) if m}
        assert listed == pins


# --- Makefile and CI ------------------------------------------------------------


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z_.-][A-Za-z0-9_.-]*)\s*:(?!=)", text, re.M)}


def test_makefile_has_the_documented_targets() -> None:
    targets = makefile_targets()
    missing = {"help", "lab", "test", "demo", "bench", "strip", "constraints", "clean", "distclean"} - targets
    assert not missing, f"Makefile lacks targets {sorted(missing)}"


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_test_runs_pytest_with_coverage() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "COV_FAIL_UNDER", "COV_ARGS")}
    out = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "test"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "pip install" in out and "-c constraints.txt" in out, out  # bootstraps .venv from the pins
    assert re.search(r"\.venv/bin/pytest --cov=funnel_lib .*--cov-fail-under=90", out), out
    help_text = subprocess.run(["make", "-s", "help"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    for target in ("lab", "test", "demo", "bench"):
        assert re.search(rf"^\s+{target}\s+\S", help_text.stdout, re.M), help_text.stdout


def test_ci_runs_make_test() -> None:
    script = ROOT / ".ci" / "run"
    assert script.stat().st_mode & stat.S_IXUSR, ".ci/run must be executable"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    assert re.search(r"^\s*make test\b", text, re.M)


def test_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make lab" in readme and "make test" in readme
    assert "environment.yml" in readme


def test_licences() -> None:
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "CC BY 4.0" in (ROOT / "LICENSE-CONTENT.md").read_text(encoding="utf-8")


def test_gitignore_keeps_local_state_out() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    for entry in (".venv/", "__pycache__/", ".pytest_cache/", ".coverage", "htmlcov/", "/gradebook.db"):
        assert entry in ignored


# --- tools/strip_notebooks.py -------------------------------------------------


@pytest.fixture(scope="module")
def strip_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("strip_notebooks", ROOT / "tools" / "strip_notebooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def executed_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    answer = nbformat.v4.new_code_cell(
        "x = 1\nx",
        execution_count=3,
        outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=3)],
        metadata={
            "nbgrader": {"grade": False, "grade_id": "answer", "locked": False, "schema_version": 3, "solution": True},
            "tags": ["keep"],
            "execution": {"iopub.execute_input": "2026-01-01T00:00:00Z"},
        },
    )
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson"), answer]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_strip_removes_outputs_and_keeps_metadata(
    strip_tool: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lesson.ipynb"
    nbformat.write(executed_notebook(), path)

    assert strip_tool.main(["--check", str(path)]) == 1
    assert "lesson.ipynb" in capsys.readouterr().out
    assert strip_tool.main([str(path)]) == 0

    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[1]
    assert cell.outputs == [] and cell.execution_count is None
    assert cell.metadata["nbgrader"]["grade_id"] == "answer"
    assert cell.metadata["tags"] == ["keep"]
    assert "execution" not in cell.metadata
    assert "widgets" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"
    assert strip_tool.main(["--check", str(path)]) == 0

    before = path.stat().st_mtime_ns
    assert strip_tool.main([str(path)]) == 0
    assert path.stat().st_mtime_ns == before, "a clean notebook must not be rewritten"


def test_strip_rejects_a_non_notebook(strip_tool: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        strip_tool.main([str(tmp_path / "missing.ipynb")])
    assert stop.value.code == 2


def test_strip_finds_the_course_notebooks(strip_tool: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / ".venv" / "share").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "a.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / ".venv" / "share" / "b.ipynb")
    found = strip_tool.find_notebooks(tmp_path)  # not a git checkout: walks the tree
    assert found == [tmp_path / "notebooks" / "a.ipynb"]


# --- the `funnel` command -------------------------------------------------------


def test_funnel_command_reports_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    import funnel_lib
    from funnel_lib.cli import main

    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("funnel ")
    version = getattr(funnel_lib, "__version__", None)
    if version:
        assert version in out
    assert main(["--help"]) == 0
    assert "usage: funnel" in capsys.readouterr().out
