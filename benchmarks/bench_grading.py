"""Benchmark class autograding: serial ``nbgrader autograde`` against ``funnel autograde --jobs 2``.

Builds a temporary course with one assignment and 60 generated submissions (a mix of right, wrong
and blank), grades one copy with serial nbgrader and another with the parallel engine (kernels in
bubblewrap when this machine allows it, each student's tests run again in a clean kernel), and prints
the wall times, their ratio and whether every score and comment in the two gradebooks is the same.
Target (issue "Grading that holds up"): parallel <= 0.6 x serial on a 2-core machine, identical
scores. Exits 1 when the gradebooks differ or the ratio misses the target.

The assignment is the real ``ex01_entry_and_value`` when ``solutions/`` has it (wrong answers from
``tests/wrong_answers/``), else the toy assignment of the grading tests.

It then times ``funnel grade NOTEBOOK`` (a learner grading one copy: the command's whole wall time,
process start included) on ``--grade`` copies of the real exercise (right, wrong and blank in turn)
and prints the median; target <= 3 s per notebook. Timings of ``grade_notebook``'s phases (in
process) are printed too, to show where the time goes.

    python benchmarks/bench_grading.py [--students 60] [--jobs 2] [--grade 5] [--toy] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import grading_fixtures as gf  # noqa: E402

REAL = "ex01_entry_and_value"
TARGET = 0.6
GRADE_TARGET = 3.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def real_course(base: Path, students: int) -> tuple[Path, str]:
    """A copy of this course with only ex01, generated, plus ``students`` submissions."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import temp_attrs

    from funnel_lib.grading._course import load_course, nbgrader_warnings, new_gradebook

    course = base / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / REAL, course / "solutions" / REAL)
    new_gradebook(course / "gradebook.db")
    loaded = load_course(course)
    with temp_attrs(loaded.coursedir, assignment_id=REAL), nbgrader_warnings():
        GenerateAssignment(coursedir=loaded.coursedir, config=loaded.config).start()
    solution = nbformat.read(course / "solutions" / REAL / f"{REAL}.ipynb", as_version=4)
    blank = nbformat.read(course / "exercises" / REAL / f"{REAL}.ipynb", as_version=4)
    spec = importlib.util.spec_from_file_location("wrong", ROOT / "tests" / "wrong_answers" / f"{REAL}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    wrong = module.WRONG
    for index in range(students):
        folder = course / "submitted" / f"student{index:03d}" / REAL
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(gf.ON_TIME, encoding="utf-8")
        kind = index % 3
        nb = nbformat.from_dict(solution) if kind == 0 else nbformat.from_dict(blank)
        if kind == 1:
            nb = nbformat.from_dict(solution)
            entry = wrong[index % len(wrong)]
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == entry["cell"]:
                    cell.source = entry["source"]
        nbformat.write(nb, folder / f"{REAL}.ipynb")
    return course, REAL


def toy_course(base: Path, students: int) -> tuple[Path, str]:
    """The grading tests' toy course with ``students`` submissions."""
    course = gf.make_course(base / "course")
    for index in range(students):
        gf.submit(course, f"student{index:03d}", ("right", "wrong", "blank")[index % 3])
    return course, gf.ASSIGNMENT


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True)
    return time.monotonic() - started, done


def grade_times(base: Path, copies: int) -> tuple[list[float], list[int]]:
    """Wall times of ``funnel grade`` on ``copies`` learner copies of the real exercise, and their exit codes."""
    solution = ROOT / "solutions" / REAL / f"{REAL}.ipynb"
    blank = ROOT / "exercises" / REAL / f"{REAL}.ipynb"
    times: list[float] = []
    codes: list[int] = []
    for index in range(copies):
        folder = base / f"learner{index}"
        folder.mkdir(parents=True)
        kind = (solution, blank if blank.exists() else solution)[index % 2]
        target = folder / f"{REAL}.ipynb"
        shutil.copyfile(kind, target)
        seconds, done = timed([sys.executable, "-m", "funnel_lib", "grade", str(target), "--course", str(ROOT)], folder)
        times.append(seconds)
        codes.append(done.returncode)
    return times, codes


def phase_times(base: Path) -> list[tuple[str, float]]:
    """Where one ``grade_notebook`` call (in this process) spends its time: (phase, seconds), in order.

    The phases are the functions ``funnel grade`` runs one after another; the worker's own timings
    (checker start, sanitize, execute, clean-kernel check) come from its result file.
    """
    import contextlib
    import functools
    import io
    import json

    import funnel_lib.grading._autograde as autograde_module
    import funnel_lib.grading._merging as merging
    import funnel_lib.grading._planning as planning
    import funnel_lib.grading._selfgrade as selfgrade

    found: list[tuple[str, float]] = []
    patched = [(selfgrade, "_temporary_course"), (selfgrade, "autograde_call"), (planning._Plan, "build"),
               (merging, "_merge"), (selfgrade, "_feedback")]
    originals = []
    for owner, name in patched:
        if name == "autograde_call":
            owner, name = autograde_module, "autograde"
        original = getattr(owner, name)
        originals.append((owner, name, original))

        @functools.wraps(original)
        def timed_call(*args: object, __original: object = original, __name: str = name, **kwargs: object) -> object:
            began = time.monotonic()
            try:
                return __original(*args, **kwargs)  # type: ignore[operator]
            finally:
                found.append((__name, time.monotonic() - began))

        setattr(owner, name, staticmethod(timed_call) if owner is planning._Plan else timed_call)
    keep = os.environ.get("FUNNEL_GRADING_KEEP")
    os.environ["FUNNEL_GRADING_KEEP"] = "1"
    try:
        folder = base / "phases"
        folder.mkdir(parents=True)
        target = folder / f"{REAL}.ipynb"
        shutil.copyfile(ROOT / "solutions" / REAL / f"{REAL}.ipynb", target)
        said = io.StringIO()
        began = time.monotonic()
        with contextlib.redirect_stderr(said):  # "kept the grading folders in DIR"
            selfgrade.grade_notebook(target, ROOT)
        found.append(("grade_notebook (whole call)", time.monotonic() - began))
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        if keep is None:
            os.environ.pop("FUNNEL_GRADING_KEEP", None)
    for line in said.getvalue().splitlines():
        if line.startswith("kept the grading folders in "):
            kept = Path(line.removeprefix("kept the grading folders in ").strip())
            for result in kept.glob("work/*/result.json"):
                timings = json.loads(result.read_text(encoding="utf-8")).get("timings", {})
                found.extend((f"  worker: {key}", value) for key, value in timings.items())
            shutil.rmtree(kept, ignore_errors=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--grade", type=int, default=5, help="learner copies timed with `funnel grade` (0: skip)")
    parser.add_argument("--toy", action="store_true", help="use the toy assignment even if the real one exists")
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args(argv)

    from funnel_lib.grading._isolation import cached_probe

    isolation = "bubblewrap" if cached_probe().jailed else "OFF"
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    base = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        use_real = not args.toy and (ROOT / "solutions" / REAL).is_dir()
        course, assignment = (real_course if use_real else toy_course)(base / "build", args.students)
        serial_course = base / "serial"
        parallel_course = base / "parallel"
        shutil.copytree(course, serial_course)
        shutil.copytree(course, parallel_course)

        nbgrader = str(Path(sys.executable).parent / "nbgrader")
        serial_s, serial = timed([nbgrader, "autograde", assignment], serial_course)
        parallel_s, parallel = timed([sys.executable, "-m", "funnel_lib", "autograde", assignment, "--course",
                                      str(parallel_course), "--jobs", str(args.jobs), "--no-progress"], parallel_course)
        if parallel.returncode not in (0, 1):
            print(parallel.stdout[-2000:], parallel.stderr[-2000:], file=sys.stderr)
        a = gf.gradebook_dump(serial_course, assignment)
        b = gf.gradebook_dump(parallel_course, assignment)
        same = a == b and len(a) == args.students
        ratio = parallel_s / serial_s if serial_s else float("nan")
        scores: dict[float, int] = {}
        for record in b.values():
            scores[record["score"]] = scores.get(record["score"], 0) + 1

        print(f"grading benchmark: {args.students} submissions of {assignment} "
              f"({'real assignment' if use_real else 'toy assignment'}), {os.cpu_count()} CPUs")
        print(f"  {'serial nbgrader autograde':<40}{serial_s:>9.1f} s")
        print(f"  {f'funnel autograde --jobs {args.jobs}':<40}{parallel_s:>9.1f} s")
        print(f"  {'ratio (target <= 0.6)':<40}{ratio:>9.2f}  {'ok' if ratio <= TARGET else 'MISSED'}")
        print(f"  {'gradebooks identical':<40}{'yes' if same else 'NO':>9}")
        print(f"  {'kernel isolation (parallel run)':<40}{isolation:>9}")
        print(f"  {'load average before / after':<40}{load_before} / {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"  {'scores (score: students)':<40}" + ", ".join(f"{k:g}: {v}" for k, v in sorted(scores.items())))
        if not same:
            print("serial students:", sorted(a)[:10], "parallel students:", sorted(b)[:10], file=sys.stderr)
        grade_ok = True
        if args.grade and (ROOT / "solutions" / REAL).is_dir():
            import statistics

            times, codes = grade_times(base / "grade", args.grade)
            median = statistics.median(times)
            grade_ok = median <= GRADE_TARGET and all(code in (0, 1) for code in codes)
            print(f"  {f'funnel grade, median of {len(times)} (target <= 3 s)':<40}{median:>9.1f}  "
                  f"{'ok' if grade_ok else 'MISSED'}  (runs: {', '.join(f'{t:.1f}' for t in times)} s; "
                  f"exit codes {codes})")
            print("  phases of one grade_notebook call (in process, after the imports):")
            for phase, seconds in phase_times(base / "grade"):
                print(f"    {phase:<38}{seconds:>9.2f} s")
        return 0 if same and ratio <= TARGET and grade_ok else 1
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
