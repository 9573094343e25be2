"""Lint and types are part of the suite: ruff on the code, mypy on the library, both at the pinned versions.

The rule set and the complexity limit live in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``);
the versions in ``constraints.txt``. A failure prints the tool's own report.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _pins() -> dict[str, str]:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.M)}


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("tool", ["ruff", "mypy"])
def test_lint_tools_are_the_pinned_versions(tool: str) -> None:
    out = _run(str(BIN / tool), "--version").stdout
    assert _pins()[tool] in out.split(), f"{tool} --version says {out!r}; constraints.txt pins {_pins()[tool]}"


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "--no-cache", "funnel_lib", "tests", "benchmarks", "tools")
    assert result.returncode == 0, f"ruff found problems:\n{result.stdout}\n{result.stderr}"


@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    result = _run(str(BIN / "mypy"), "--cache-dir=/dev/null")
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}\n{result.stderr}"
