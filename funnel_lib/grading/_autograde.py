"""Parallel class autograding on top of nbgrader: the same gradebook as serial ``nbgrader autograde``, faster.

How it works, per student:

1. **Worker** (``--jobs`` long-lived slot processes, each grading one student at a time):
   sanitizes the submission with the course's own nbgrader preprocessors against a private,
   read-only copy of the assignment's definition (a "seed" SQLite gradebook), then executes it
   with ``SandboxExecute``: a kernel in bubblewrap (own uid, filesystem view, network and PID
   namespaces, cgroup; ``_isolation.py``) with resource limits, a scratch folder holding only the
   student's files, the audit hook and the guard (see ``_shim.py`` and ``_guard.py``). Then the
   test cells run again in a clean kernel holding only the answers, as data (``_answers.py``,
   ``_verdict.py``): its verdict counts. The slot keeps that clean kernel warm for its next
   student, resetting its namespace first (``_checker.py``). It writes the executed notebook and
   a result file (``_records.WorkerOutcome``). Nothing is written to the course.
2. **Merge** (the parent process only — a single writer, so no "database is locked"): runs
   nbgrader's own ``Autograde`` converter for that student against the real gradebook, with the
   ``Execute`` step replaced by ``InjectExecuted``, which hands over the worker's executed notebook
   after checking that it is the same notebook nbgrader just sanitized. Every gradebook write, late
   penalty, file copy and permission is therefore nbgrader's own code: the gradebook and
   ``autograded/`` end up exactly as a serial run leaves them. Ctrl-C is held back during a merge,
   so a student is merged completely or not at all.
3. **Report**: integrity findings (``_integrity.py``) decide between "graded" and "needs review";
   failures are "timed out", "kernel died", "invalid notebook", "missing notebook" or "error". The
   summary goes to ``reports/<assignment>_autograde.csv`` and the resumable state to
   ``reports/<assignment>_autograde.json``.

Nothing under ``submitted/`` is written: workers read it, and nbgrader only reads it too.

The modules, one job each: ``_planning.py`` (what every worker needs, computed once; which students
are already graded), ``_scheduling.py`` (worker slots, timeouts, merging students as they finish),
``_worker.py`` (grading one student in a slot; the slot's warm clean kernel, ``_checker.py``),
``_merging.py`` (nbgrader's Autograde against the real gradebook; the gradebook check) and
``_reporting.py`` (per-student results, the table, the CSV and the resume state). This module
holds :func:`autograde`, which runs them in that order.

>>> STATUSES
('graded', 'needs review', 'timed out', 'kernel died', 'invalid notebook', 'missing notebook', 'error')
>>> StudentResult("alice", "graded", 3.0, 3.0).ok
True
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from funnel_lib.grading._course import Course, CourseError, load_course, shared_engines
from funnel_lib.grading._merging import _check_gradebook, _graded_by_nbgrader
from funnel_lib.grading._ownership import return_to_course_owner
from funnel_lib.grading._planning import _already_graded, _fingerprint, _Plan
from funnel_lib.grading._progress import Progress
from funnel_lib.grading._reporting import (
    STATUSES,
    AutogradeReport,
    StudentResult,
    _load_state,
    _save_state,
    _write_csv,
)
from funnel_lib.grading._sandbox import Limits
from funnel_lib.grading._scheduling import _run

__all__ = [
    "AutogradeReport",
    "STATUSES",
    "StudentResult",
    "autograde",
]


def autograde(
    assignment: str,
    course: str | os.PathLike[str] | Course | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    students: Sequence[str] | None = None,
    limits: Limits | None = None,
    student_timeout: float | None = None,
    cell_timeout: int | None = None,
    progress: TextIO | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
    extra_protected: Sequence[str | os.PathLike[str]] = (),
    isolation: bool | None = None,
    while_grading: Callable[[], Any] | None = None,
) -> AutogradeReport:
    """Autograde every submission of ``assignment`` in parallel; return the per-student report.

    ``course`` is the course directory (default: the current one); ``jobs`` the number of worker
    processes (default: the number of CPUs); ``force`` regrades students graded before;
    ``students`` limits grading to these ids; ``limits`` caps each kernel; ``student_timeout``
    (seconds) ends a worker that takes longer; ``cell_timeout`` overrides the course's
    ``Execute.timeout``; ``progress`` is a stream for the progress bar (None: silent);
    ``reports_dir`` is where the CSV and the resume state go (default: ``<course>/reports``);
    ``isolation`` runs every kernel in bubblewrap (see ``_isolation.py``): None uses it when this
    machine allows it, True requires it (``CourseError`` otherwise), False turns it off;
    ``while_grading`` is called once in a thread of this process when every student has been handed
    to a worker (to prepare what comes after grading; its errors are ignored, and it is waited for).

    >>> autograde("ps1", course="/nonexistent")
    Traceback (most recent call last):
    ...
    funnel_lib.grading.CourseError: course directory '/nonexistent' does not exist
    """
    started = time.monotonic()
    course = course if isinstance(course, Course) else load_course(course)
    limits = limits or Limits()
    jobs = _check_numbers(jobs, student_timeout, cell_timeout)
    everyone = _chosen_students(course, assignment, students)
    jail_info = _jail_info(isolation)
    reports = Path(reports_dir) if reports_dir is not None else course.root / "reports"
    state_path = reports / f"{assignment}_autograde.json"
    csv_path = reports / f"{assignment}_autograde.csv"
    state = _load_state(state_path)
    run_dir = Path(tempfile.mkdtemp(prefix="funnel-autograde-"))
    results: dict[str, StudentResult] = {}
    interrupted = False
    engines = shared_engines()
    engines.__enter__()
    try:
        plan = _Plan.build(course, assignment, run_dir, limits, cell_timeout, student_timeout, extra_protected,
                           warm_up=len(everyone) > 1)
        plan.isolation = jail_info
        plan.while_grading = while_grading
        todo = _skip_graded(plan, everyone, state, force, results)
        bar = Progress(len(todo), f"grading {assignment}", stream=progress)
        if progress is not None and len(todo) < len(everyone):
            bar.message(f"{len(everyone) - len(todo)} student(s) already graded: skipped (use --force to regrade)")
        interrupted = _grade(plan, todo, jobs, bar, results, state, state_path)
        for student in todo:  # the gradebook must still say what each student's grading recorded
            if student in results:
                _check_gradebook(course, assignment, results[student])
                state[student] = results[student].to_dict()
        if todo:
            _save_state(state_path, assignment, state)
    finally:
        engines.__exit__(None, None, None)
        _wrap_up(course, assignment, run_dir, progress, results, state, csv_path, reports)
    ordered = [results[s] for s in everyone if s in results]
    return AutogradeReport(assignment, ordered, csv_path if csv_path.exists() else None, state_path if state else None,
                           time.monotonic() - started, interrupted)


def _check_numbers(jobs: int | None, student_timeout: float | None, cell_timeout: int | None) -> int:
    """The number of worker processes (default: the number of CPUs), once every number given is valid."""
    if jobs is None:
        jobs = max(1, os.cpu_count() or 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of worker processes, at least 1, got {jobs!r}")
    if student_timeout is not None and student_timeout <= 0:
        raise ValueError(f"student_timeout must be a positive number of seconds, got {student_timeout!r}")
    if cell_timeout is not None and (not isinstance(cell_timeout, int) or cell_timeout <= 0):
        raise ValueError(f"cell_timeout must be a positive whole number of seconds, got {cell_timeout!r}")
    return jobs


def _chosen_students(course: Course, assignment: str, students: Sequence[str] | None) -> list[str]:
    """The students to consider: everyone with a submission, or those of ``students`` (each must have one)."""
    known = course.assignments()
    if assignment not in known:
        raise CourseError(f"assignment {assignment!r} has no notebooks in {course.source_dir}; "
                          f"the course's assignments are: {', '.join(known) or '(none)'}")
    everyone = course.submitted_students(assignment)
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise CourseError(f"no submission of {assignment!r} for student(s) {', '.join(unknown)} under "
                              f"{course.step_dir('submitted')}; "
                              f"students with a submission: {', '.join(everyone) or '(none)'}")
        everyone = [s for s in everyone if s in set(students)]
    return everyone


def _jail_info(isolation: bool | None) -> str | None:
    """The probed OS isolation (as JSON) when it is wanted and available; None when it is not used."""
    if isolation is False:
        return None
    from funnel_lib.grading._isolation import cached_probe

    found = cached_probe()
    if found.jailed:
        return found.to_json()
    if isolation:
        raise CourseError("OS isolation was required but is not available here: " + found.problem)
    return None


def _skip_graded(plan: _Plan, everyone: list[str], state: dict[str, Any], force: bool,
                 results: dict[str, StudentResult]) -> list[str]:
    """Put the students graded before (same submission) into ``results``; return those left to grade."""
    course, assignment = plan.course, plan.assignment
    todo: list[str] = []
    for student in everyone:
        fingerprint = _fingerprint(course.submission_dir(student, assignment))
        previous = state.get(student)
        if not force and _already_graded(course, assignment, student, fingerprint, previous, plan.notebooks):
            result = StudentResult.from_dict(previous) if previous else _graded_by_nbgrader(course, assignment, student)
            result.skipped = True
            result.fingerprint = fingerprint
            results[student] = result
        else:
            todo.append(student)
    return todo


def _grade(plan: _Plan, todo: list[str], jobs: int, bar: Progress, results: dict[str, StudentResult],
           state: dict[str, Any], state_path: Path) -> bool:
    """Grade ``todo``, saving the resume state after each student; return True when Ctrl-C stopped it."""
    try:
        for result in _run(plan, todo, jobs, bar):
            results[result.student] = result
            state[result.student] = result.to_dict()
            _save_state(state_path, plan.assignment, state)
    except KeyboardInterrupt:
        return True
    finally:
        bar.close()
    return False


def _wrap_up(course: Course, assignment: str, run_dir: Path, progress: TextIO | None,
             results: dict[str, StudentResult], state: dict[str, Any], csv_path: Path, reports: Path) -> None:
    """Remove the workers' folders, write the class's CSV, give the course's files back to its owner."""
    if os.environ.get("FUNNEL_GRADING_KEEP"):  # debugging: keep the workers' folders and logs
        print(f"kept the grading folders in {run_dir}", file=progress or sys.stderr)
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    # the CSV covers the whole class: this run's results, and the recorded ones of everybody else
    whole = [results.get(s) or StudentResult.from_dict(state[s]) for s in course.submitted_students(assignment)
             if s in results or s in state]
    if whole:
        _write_csv(csv_path, whole)
    gradebook = course.db_url.removeprefix("sqlite:///")
    return_to_course_owner(course.root, [reports, course.step_dir("autograded"),
                                         *(Path(gradebook + suffix) for suffix in ("", "-journal"))])
