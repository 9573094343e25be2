"""Mutation check: how many deliberately planted bugs do the tests catch? (``make mutation``)

Runs mutmut (https://mutmut.readthedocs.io) on each target module against the tests that cover it,
in a throw-away copy of the project (mutmut writes a ``mutants/`` tree and its own settings; the
worktree is never touched), and prints per module: mutants, killed, survived, timed out, not
covered, and the killed share. A mutant is a small change to the code (``<`` becomes ``<=``, ``+``
becomes ``-``, a constant moves by one, a return value becomes ``None``, ...); a surviving one marks
code whose behaviour no test pins down.

    python tools/mutation.py                      # both targets
    python tools/mutation.py --target _rules      # one of them
    python tools/mutation.py --jobs 2 --show 20   # list 20 survivors per module
    python tools/mutation.py --json out.json      # the table as JSON as well

Slow (each mutant runs the tests that reach the mutated function): it is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

#: module -> the test files that exercise it (mutmut then runs, per mutant, only the tests that
#: reached the mutated function when it ran them once unmutated)
TARGETS: dict[str, list[str]] = {
    "funnel_lib/_rules.py": ["tests/test_framework.py", "tests/test_examples.py", "tests/test_plots.py"],
    "funnel_lib/_events_core.py": ["tests/test_events.py", "tests/test_events_reference.py"],
}

#: mutmut's words for a mutant's fate -> the columns of the table
COLUMNS = {"killed": "killed", "survived": "survived", "timeout": "timed out", "no tests": "not covered",
           "suspicious": "suspicious", "skipped": "skipped", "segfault": "killed", "caught by type check": "killed",
           "not checked": "not run", "check was interrupted by user": "not run"}


@dataclass
class Outcome:
    """What mutmut found for one module."""

    module: str
    tests: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    survivors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed_share(self) -> float | None:
        """Killed (timeouts count as killed, as mutmut does) among the mutants tested that some test reached."""
        tested = self.total - sum(self.counts.get(column, 0) for column in ("not covered", "skipped", "not run"))
        caught = self.counts.get("killed", 0) + self.counts.get("timed out", 0)
        return caught / tested if tested else None


def settings(module: str, tests: list[str]) -> str:
    """The ``[tool.mutmut]`` table appended to the copy's pyproject.toml."""
    return "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["funnel_lib"]',
        f"only_mutate = {json.dumps([module])}",
        # the module's own doctests count too, as in `make test`
        f"pytest_add_cli_args_test_selection = {json.dumps([*tests, module])}",
        # no coverage, no cache, stop at the first failure
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q", "--no-header", "-o", "addopts=",'
        ' "--doctest-modules", "-o", "doctest_optionflags=NORMALIZE_WHITESPACE ELLIPSIS NUMBER"]',
        "use_git_change_detection = false",
        "",
    ])


def copy_project(target: Path, module: str, tests: list[str]) -> None:
    """The parts of the project the tests need, and pyproject.toml with mutmut's settings."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("funnel_lib", "tests"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (target / "pyproject.toml").write_text(text + settings(module, tests), encoding="utf-8")


def parse_results(text: str, module: str) -> tuple[Counter[str], list[str]]:
    """``mutmut results --all true`` lines (``    name: status``) -> counts per column, survivors."""
    prefix = module.removesuffix(".py").replace("/", ".") + "."
    counts: Counter[str] = Counter()
    survivors = []
    for line in text.splitlines():
        match = re.fullmatch(r"\s*(\S+): (.+?)\s*", line)
        if not match or not match.group(1).startswith(prefix):
            continue
        column = COLUMNS.get(match.group(2), match.group(2))
        counts[column] += 1
        if column == "survived":
            survivors.append(match.group(1))
    return counts, survivors


def run_one(module: str, tests: list[str], jobs: int, keep: bool) -> Outcome:
    """Mutate ``module``, run ``tests`` against every mutant, collect the verdicts."""
    outcome = Outcome(module, tests)
    workdir = Path(tempfile.mkdtemp(prefix="funnel-mutation-"))
    started = time.monotonic()
    try:
        copy_project(workdir, module, tests)
        env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("CI", None)  # mutmut's own progress output is all we want; the tests behave as locally
        mutmut = [str(VENV_BIN / "mutmut")]
        run = subprocess.run([*mutmut, "run", "--max-children", str(jobs)], cwd=workdir, env=env,
                             capture_output=True, text=True)
        log = run.stdout + run.stderr
        (workdir / "mutmut-run.log").write_text(log, encoding="utf-8")
        results = subprocess.run([*mutmut, "results", "--all", "true"], cwd=workdir, env=env,
                                 capture_output=True, text=True)
        counts, survivors = parse_results(results.stdout, module)
        outcome.counts, outcome.survivors = dict(counts), survivors
        if run.returncode != 0 or not counts:
            outcome.error = f"mutmut exited with {run.returncode}; the end of its log:\n" + log[-3000:]
    finally:
        outcome.seconds = time.monotonic() - started
        if keep:
            print(f"kept {workdir} (mutmut's mutants/ and mutmut-run.log)", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def report_copy(copy: Path, modules: list[str]) -> int:
    """Print the table for a copy kept by an earlier run (``--keep``), finished or not."""
    results = subprocess.run([str(VENV_BIN / "mutmut"), "results", "--all", "true"], cwd=copy,
                             capture_output=True, text=True)
    outcomes = []
    for module in modules:
        counts, survivors = parse_results(results.stdout, module)
        if counts:
            outcomes.append(Outcome(module, [], dict(counts), survivors))
    if not outcomes:
        print(f"error: {copy} holds no mutmut results for {', '.join(modules)}", file=sys.stderr)
        return 2
    print(table(outcomes))
    return 0


def table(outcomes: list[Outcome]) -> str:
    """The summary, one row per module."""
    head = (f"{'module':<28}{'mutants':>8}{'killed':>8}{'survived':>9}{'timeout':>8}{'no test':>8}{'not run':>8}"
            f"{'killed %':>9}")
    lines = [head, "-" * len(head)]
    for o in outcomes:
        share = "-" if o.killed_share is None else f"{100 * o.killed_share:.1f}"
        lines.append(f"{o.module:<28}{o.total:>8}{o.counts.get('killed', 0):>8}{o.counts.get('survived', 0):>9}"
                     f"{o.counts.get('timed out', 0):>8}{o.counts.get('not covered', 0):>8}"
                     f"{o.counts.get('not run', 0):>8}{share:>9}"
                     + (f"   ({o.seconds / 60:.1f} min)" if o.seconds else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", choices=[Path(m).stem for m in TARGETS],
                        help="a module to mutate (repeatable; default: all of them)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants tested at once")
    parser.add_argument("--show", type=int, default=10, help="survivors listed per module")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    parser.add_argument("--report", type=Path, metavar="COPY",
                        help="only report what a kept copy holds (e.g. after stopping a long run with Ctrl-C)")
    args = parser.parse_args(argv)
    if not (VENV_BIN / "mutmut").exists():
        print("error: mutmut is not installed in this environment; run `make venv` (it is in the `test` extra)",
              file=sys.stderr)
        return 2
    chosen = [m for m in TARGETS if args.target is None or Path(m).stem in args.target]
    if args.report:
        return report_copy(args.report, chosen)
    outcomes = []
    for module in chosen:
        print(f"==> mutating {module} against {' '.join(TARGETS[module])} ({args.jobs} at once)", flush=True)
        outcome = run_one(module, TARGETS[module], args.jobs, args.keep)
        outcomes.append(outcome)
        if outcome.error:
            print(outcome.error, file=sys.stderr)
        if outcome.survivors[:args.show]:
            print(f"  survivors (first {args.show}; see one with `mutmut show NAME` in a copy kept with --keep):")
        for name in outcome.survivors[:args.show]:
            print(f"    {name}")
    print()
    print(table(outcomes))
    if args.json:
        args.json.write_text(json.dumps([{**asdict(o), "killed_share": o.killed_share} for o in outcomes], indent=1),
                             encoding="utf-8")
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
