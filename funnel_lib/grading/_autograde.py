"""Parallel class autograding on top of nbgrader: the same gradebook as serial ``nbgrader autograde``, faster.

How it works, per student:

1. **Worker** (a child process, ``--jobs`` of them at a time): sanitizes the submission with the
   course's own nbgrader preprocessors against a private, read-only copy of the assignment's
   definition (a "seed" SQLite gradebook), then executes it with ``SandboxExecute``: a kernel in
   bubblewrap (own uid, filesystem view, network and PID namespaces, cgroup; ``_isolation.py``)
   with resource limits, a scratch folder holding only the student's files, the audit hook and the
   guard (see ``_shim.py`` and ``_guard.py``). Then the test cells run again in a fresh kernel
   holding only the answers, as data (``_answers.py``, ``_verdict.py``): its verdict counts. It
   writes the executed notebook and a result file (``_records.WorkerOutcome``).
   Nothing is written to the course.
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

>>> STATUSES
('graded', 'needs review', 'timed out', 'kernel died', 'invalid notebook', 'missing notebook', 'error')
>>> StudentResult("alice", "graded", 3.0, 3.0).ok
True
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sys
import sysconfig
import tempfile
import threading
import time
import traceback
from collections import deque
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Iterator, Sequence, TextIO

from funnel_lib.grading._course import (
    Course,
    CourseError,
    copy_assignment_definition,
    copy_bare_gradebook,
    gradebook_version,
    load_course,
    nbgrader_warnings,
    new_gradebook,
    quiet_gradebook,
    shared_engines,
)
from funnel_lib.grading._integrity import (
    Finding,
    compare_cells,
    findings_from_outputs,
    read_kernel_log,
    scan_notebook,
)
from funnel_lib.grading._progress import Progress
from funnel_lib.grading._records import KernelSettings, Task, WorkerOutcome
from funnel_lib.grading._checker import RESET_SOURCE, WarmChecker, reap_zombies
from funnel_lib.grading._verdict import checker_notebook, failed, find_test_cells, reconcile
from funnel_lib.grading._sandbox import GUARD_PATH, Limits

__all__ = [
    "AutogradeReport",
    "STATUSES",
    "StudentResult",
    "autograde",
]

STATUSES = ("graded", "needs review", "timed out", "kernel died", "invalid notebook", "missing notebook", "error")
FAILED = frozenset(STATUSES) - {"graded", "needs review"}
CSV_FIELDS = ("student", "status", "score", "max_score", "reason", "seconds")
_COURSES: dict[str, Course] = {}


@dataclass
class StudentResult:
    """How grading one student's submission went.

    >>> StudentResult("bo", "needs review", 3.0, 4.0, "rate_answer: runs code from a string (exec)").row()["status"]
    'needs review'
    """

    student: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    skipped: bool = False
    fingerprint: str = ""

    @property
    def ok(self) -> bool:
        """True when the submission was graded with nothing to review."""
        return self.status == "graded"

    def row(self) -> dict[str, Any]:
        """The summary CSV row."""
        return {
            "student": self.student, "status": self.status,
            "score": "" if self.score is None else f"{self.score:g}",  # after nbgrader's late penalty
            "max_score": "" if self.max_score is None else f"{self.max_score:g}",
            "reason": self.reason, "seconds": f"{self.seconds:.1f}",
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly record (the resume state)."""
        return {"student": self.student, "status": self.status, "score": self.score, "max_score": self.max_score,
                "reason": self.reason, "seconds": round(self.seconds, 2), "fingerprint": self.fingerprint,
                "findings": [f.to_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudentResult:
        """Rebuild a record saved by :meth:`to_dict`."""
        return cls(student=data["student"], status=data["status"], score=data.get("score"),
                   max_score=data.get("max_score"), reason=data.get("reason", ""), seconds=data.get("seconds", 0.0),
                   findings=[Finding(**f) for f in data.get("findings", [])], fingerprint=data.get("fingerprint", ""))


@dataclass
class AutogradeReport:
    """The outcome of :func:`autograde` for a class.

    >>> report = AutogradeReport("ps1", [StudentResult("amara", "graded", 3.0, 4.0)], None, None, 1.5)
    >>> report.ok, report.counts()
    (True, {'graded': 1})
    >>> print(report.table())
    student  status  score  max  reason
    amara    graded  3      4
    1 students: 1 graded
    """

    assignment: str
    results: list[StudentResult]
    csv_path: Path | None
    state_path: Path | None
    seconds: float
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """True when every student was graded with nothing to review."""
        return not self.interrupted and all(r.ok for r in self.results)

    def counts(self) -> dict[str, int]:
        """How many students have each status."""
        found: dict[str, int] = {}
        for result in self.results:
            found[result.status] = found.get(result.status, 0) + 1
        return found

    def table(self) -> str:
        """A plain-text summary table."""
        rows = [r.row() for r in self.results]
        headers = {"student": "student", "status": "status", "score": "score", "max_score": "max", "reason": "reason"}
        widths = {key: max([len(headers[key])] + [len(str(row[key])) for row in rows]) for key in ("student", "status", "score", "max_score")}
        lines = ["  ".join(headers[k].ljust(widths[k]) for k in widths) + "  reason"]
        for row, result in zip(rows, self.results):
            reason = row["reason"] + (" (skipped: graded before)" if result.skipped else "")
            if len(reason) > 120:
                reason = reason[:117] + "..."
            lines.append("  ".join(str(row[k]).ljust(widths[k]) for k in widths) + "  " + reason)
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        lines.append(f"{len(self.results)} students: {counts}" + (" (interrupted)" if self.interrupted else ""))
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the parent: planning, running workers, merging
# --------------------------------------------------------------------------------------------
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
) -> AutogradeReport:
    """Autograde every submission of ``assignment`` in parallel; return the per-student report.

    ``course`` is the course directory (default: the current one); ``jobs`` the number of worker
    processes (default: the number of CPUs); ``force`` regrades students graded before;
    ``students`` limits grading to these ids; ``limits`` caps each kernel; ``student_timeout``
    (seconds) ends a worker that takes longer; ``cell_timeout`` overrides the course's
    ``Execute.timeout``; ``progress`` is a stream for the progress bar (None: silent);
    ``reports_dir`` is where the CSV and the resume state go (default: ``<course>/reports``);
    ``isolation`` runs every kernel in bubblewrap (see ``_isolation.py``): None uses it when this
    machine allows it, True requires it (``CourseError`` otherwise), False turns it off.

    >>> autograde("ps1", course="/nonexistent")
    Traceback (most recent call last):
    ...
    funnel_lib.grading._course.CourseError: course directory '/nonexistent' does not exist
    """
    started = time.monotonic()
    course = course if isinstance(course, Course) else load_course(course)
    limits = limits or Limits()
    if jobs is None:
        jobs = max(1, os.cpu_count() or 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of worker processes, at least 1, got {jobs!r}")
    if student_timeout is not None and student_timeout <= 0:
        raise ValueError(f"student_timeout must be a positive number of seconds, got {student_timeout!r}")
    if cell_timeout is not None and (not isinstance(cell_timeout, int) or cell_timeout <= 0):
        raise ValueError(f"cell_timeout must be a positive whole number of seconds, got {cell_timeout!r}")
    known = course.assignments()
    if assignment not in known:
        raise CourseError(f"assignment {assignment!r} has no notebooks in {course.source_dir}; "
                          f"the course's assignments are: {', '.join(known) or '(none)'}")
    everyone = course.submitted_students(assignment)
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise CourseError(f"no submission of {assignment!r} for student(s) {', '.join(unknown)} under "
                              f"{course.step_dir('submitted')}; students with a submission: {', '.join(everyone) or '(none)'}")
        everyone = [s for s in everyone if s in set(students)]

    jail_info = None
    if isolation is not False:
        from funnel_lib.grading._isolation import cached_probe

        found = cached_probe()
        if found.jailed:
            jail_info = found.to_json()
        elif isolation:
            raise CourseError("OS isolation was required but is not available here: " + found.problem)
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
        plan = _Plan.build(course, assignment, run_dir, limits, cell_timeout, student_timeout, extra_protected)
        plan.isolation = jail_info
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
        bar = Progress(len(todo), f"grading {assignment}", stream=progress)
        if progress is not None and len(todo) < len(everyone):
            bar.message(f"{len(everyone) - len(todo)} student(s) already graded: skipped (use --force to regrade)")
        try:
            for result in _run(plan, todo, jobs, bar):
                results[result.student] = result
                state[result.student] = result.to_dict()
                _save_state(state_path, assignment, state)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        for student in todo:  # the gradebook must still say what each student's grading recorded
            if student in results:
                _check_gradebook(course, assignment, results[student])
                state[student] = results[student].to_dict()
        if todo:
            _save_state(state_path, assignment, state)
    finally:
        engines.__exit__(None, None, None)
        if os.environ.get("FUNNEL_GRADING_KEEP"):  # debugging: keep the workers' folders and logs
            print(f"kept the grading folders in {run_dir}", file=progress or sys.stderr)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        ordered = [results[s] for s in everyone if s in results]
        # the CSV covers the whole class: this run's results, and the recorded ones of everybody else
        whole = [results.get(s) or StudentResult.from_dict(state[s]) for s in course.submitted_students(assignment)
                 if s in results or s in state]
        if whole:
            _write_csv(csv_path, whole)
    return AutogradeReport(assignment, ordered, csv_path if csv_path.exists() else None, state_path if state else None,
                           time.monotonic() - started, interrupted)


@dataclass
class _Plan:
    """Everything the workers and the merge need, computed once per run."""

    course: Course
    assignment: str
    run_dir: Path
    seed_url: str
    notebooks: list[str]
    source_cells: dict[str, list[dict[str, Any]]]
    local_modules: list[str]
    limits: Limits
    cell_timeout: int | None
    student_timeout: float
    read_deny: list[str]
    write_deny: list[str]
    isolation: str | None = None

    @classmethod
    def build(cls, course: Course, assignment: str, run_dir: Path, limits: Limits, cell_timeout: int | None,
              student_timeout: float | None, extra_protected: Sequence[str | os.PathLike[str]]) -> _Plan:
        seed = run_dir / "seed.db"
        seed_url = copy_bare_gradebook(course.db_url, seed, assignment)  # a learner's one-exercise course
        if seed_url is None:
            version = gradebook_version(course.db_url) if course.db_url.startswith("sqlite") else None
            seed_url = new_gradebook(seed, version)
            copy_assignment_definition(course.db_url, seed_url, course.course_id, assignment)
        with quiet_gradebook(seed_url):  # nbgrader's preprocessors open it with the default course id
            pass
        notebooks, source_cells = _definition(seed_url, course.course_id, assignment)
        source = course.source_dir / assignment
        _warm_up(course, assignment, seed_url, [source / f"{name}.ipynb" for name in notebooks])
        local_modules = sorted(p.stem for p in source.glob("*.py"))
        timeout = cell_timeout or int(course.config.Execute.get("timeout", None) or 30)
        code_cells = max((sum(1 for c in cells if c["cell_type"] == "code") for cells in source_cells.values()), default=1)
        if student_timeout is None:
            student_timeout = float(timeout * (code_cells + 2) * max(1, len(notebooks)) + 60)
        import funnel_lib

        package = Path(funnel_lib.__file__).resolve().parent
        read_deny = [str(p) for p in course.protected_paths()] + [str(run_dir)] + [str(Path(p).resolve()) for p in extra_protected]
        write_deny = [str(course.root), str(run_dir), str(package), sys.prefix, sys.base_prefix]
        for key in ("purelib", "platlib", "stdlib", "platstdlib", "scripts"):
            folder = sysconfig.get_paths().get(key)
            if folder:
                write_deny.append(folder)
        _COURSES[str(course.root)] = course
        return cls(course, assignment, run_dir, seed_url, notebooks, source_cells, local_modules, limits,
                   cell_timeout, student_timeout, read_deny, write_deny)

    def task(self, student: str) -> Task:
        """The worker's instructions for one student (plain data, so that it also works with spawn)."""
        work = self.run_dir / "work" / student
        return Task(
            course_root=str(self.course.root), assignment=self.assignment, student=student,
            seed_url=self.seed_url, notebooks=self.notebooks, work=str(work),
            box=str(self.run_dir / "box" / student), result=str(work / "result.json"),
            limits={"memory_bytes": self.limits.memory_bytes, "cpu_seconds": self.limits.cpu_seconds,
                    "file_bytes": self.limits.file_bytes, "max_processes": self.limits.max_processes,
                    "block_processes": self.limits.block_processes},
            cell_timeout=self.cell_timeout, local_modules=self.local_modules,
            read_deny=self.read_deny, write_deny=self.write_deny,
            source_cells=self.source_cells, isolation=self.isolation,
        )


def _sanitizer(course: Course, config: Any) -> Any:
    """An exporter running the course's sanitizing steps (as nbgrader's Autograde does)."""
    from nbconvert.exporters import NotebookExporter
    from nbgrader.converters import Autograde

    exporter = NotebookExporter(config=config)
    for step in Autograde(coursedir=course.coursedir, config=config).sanitize_preprocessors:
        exporter.register_preprocessor(step)
    return exporter


def _warm_up(course: Course, assignment: str, seed_url: str, notebooks: list[Path]) -> None:
    """Sanitize the source notebooks once against the seed gradebook, so that every forked worker
    inherits an engine that has already compiled nbgrader's queries."""
    import copy

    config = copy.deepcopy(course.config)
    config.Exporter.default_preprocessors = []
    exporter = _sanitizer(course, config)
    for path in notebooks:
        if path.exists():
            resources = {"nbgrader": {"student": "warm-up", "assignment": assignment, "notebook": path.stem,
                                      "db_url": seed_url}, "unique_key": path.stem}
            try:
                with nbgrader_warnings():
                    exporter.from_filename(str(path), resources=resources)
            except Exception:  # noqa: BLE001 - only an optimisation
                pass


def _definition(db_url: str, course_id: str, assignment: str) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """Notebook names and, per notebook, its cells from the gradebook (in notebook order)."""
    with quiet_gradebook(db_url, course_id) as gb:
        found = gb.find_assignment(assignment)
        notebooks = sorted(nb.name for nb in found.notebooks)
        cells: dict[str, list[dict[str, Any]]] = {}
        for nb in found.notebooks:
            grades = {c.name for c in nb.grade_cells}
            solutions = {c.name for c in nb.solution_cells}
            cells[nb.name] = [
                {"name": c.name, "cell_type": c.cell_type, "locked": bool(c.locked), "source": c.source or "",
                 "grade": c.name in grades, "solution": c.name in solutions}
                for c in nb.source_cells
            ]
    return notebooks, cells


@dataclass
class _Slot:
    """One long-lived worker process (it grades students one after another) and what it is doing."""

    process: Any
    conn: Any
    student: str | None = None
    begun: float = 0.0


def _start_slot(context: Any) -> _Slot:
    parent_end, child_end = context.Pipe()
    process = context.Process(target=_slot_main, args=(child_end,), name="funnel-grade-slot", daemon=False)
    process.start()
    child_end.close()
    return _Slot(process, parent_end)


def _end_slot(plan: _Plan, slot: _Slot, kill: bool) -> None:
    """Stop a slot's process (kill it, with its kernels, when ``kill``) and remove its cgroups."""
    if kill:
        _kill_worker(slot.process)
    else:
        try:
            slot.conn.send(None)
        except (OSError, ValueError):
            pass
        slot.process.join(timeout=20)
        if slot.process.is_alive():
            _kill_worker(slot.process)
    slot.conn.close()
    if plan.isolation and slot.process.pid is not None:  # cgroups of a killed worker's kernels
        from funnel_lib.grading._isolation import Isolation, remove_worker_cgroups

        remove_worker_cgroups(Isolation.from_json(plan.isolation).cgroup, slot.process.pid)


def _run(plan: _Plan, todo: list[str], jobs: int, bar: Progress) -> Iterator[StudentResult]:
    """Run ``jobs`` worker slots and merge each finished student; yield results in finishing order.

    A slot grades one student at a time and then the next (its clean kernel stays warm); a slot whose
    student takes too long, or whose process dies, is replaced by a fresh one.
    """
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pending = deque(todo)
    slots: list[_Slot] = []
    _INTERRUPTED[0] = False

    def hand_out() -> None:
        while pending and len(slots) < min(jobs, len(todo)):
            slots.append(_start_slot(context))
        for slot in slots:
            if pending and slot.student is None:
                student = pending.popleft()
                task = plan.task(student)
                Path(task.work).mkdir(parents=True, exist_ok=True)
                slot.student, slot.begun = student, time.monotonic()
                try:
                    slot.conn.send(task.to_json())
                except (OSError, ValueError):  # the slot died while idle: its sentinel tells below
                    pass

    try:
        while pending or any(slot.student for slot in slots):
            hand_out()
            busy = [slot for slot in slots if slot.student is not None]
            waits = [slot.conn for slot in busy] + [slot.process.sentinel for slot in slots]
            ready = set(multiprocessing.connection.wait(waits, timeout=0.5))
            finished: list[tuple[str, Any, float, str | None]] = []
            now = time.monotonic()
            for slot in list(slots):
                student = slot.student
                dead = slot.process.sentinel in ready
                done = False
                if student is not None and slot.conn in ready:
                    try:
                        done = slot.conn.recv() == "done"
                    except (EOFError, OSError):
                        dead = True
                if student is not None and (done or dead):
                    finished.append((student, slot.process, slot.begun, None))
                    slot.student = None
                elif student is not None and now - slot.begun > plan.student_timeout:
                    finished.append((student, slot.process, slot.begun,
                                     f"grading took longer than {plan.student_timeout:g} s and was stopped"))
                    slot.student = None
                    dead = True
                    _end_slot(plan, slot, kill=True)
                    slots.remove(slot)
                    continue
                if dead:
                    if slot.process.is_alive():
                        slot.process.join(timeout=5)
                    _end_slot(plan, slot, kill=True)
                    slots.remove(slot)
            # hand out the next students before merging, so that the slots work while the parent merges
            hand_out()
            for student, process, begun, killed in finished:
                try:
                    result = _finish(plan, student, process, killed)
                except Exception as error:  # noqa: BLE001 - one submission never stops the class run
                    result = StudentResult(student, "error", None, None,
                                           f"the grader failed on this submission: {type(error).__name__}: "
                                           f"{str(error)[:300]}")
                result.seconds = time.monotonic() - begun
                bar.update(student, result.status, result.seconds)
                yield result
                if _INTERRUPTED[0]:  # Ctrl-C arrived during a merge: stop now that it is recorded
                    raise KeyboardInterrupt
    finally:
        for slot in slots:
            _end_slot(plan, slot, kill=slot.student is not None)


def _slot_main(conn: Any) -> None:  # pragma: no cover - runs in the forked worker (tested end to end)
    """Entry point of a worker slot: grade the students the parent sends, one at a time, until told to stop."""
    from funnel_lib.grading._sandbox import become_subreaper

    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)  # Ctrl-C in the terminal goes to the parent, which stops the workers
        except OSError:
            pass
    become_subreaper()
    import warnings

    warnings.resetwarnings()  # a slot logs warnings (it inherited the parent's filters, e.g. pytest's "error")
    warnings.simplefilter("default")
    _KEEP_WARM[0] = True
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            task = Task.from_json(message)
            try:
                _worker_main(task)
            except BaseException as error:  # noqa: BLE001 - report it as this student's result, go on
                if not Path(task.result).exists():
                    failure = WorkerOutcome("error", f"the grader failed: {error!r}", traceback=traceback.format_exc())
                    Path(task.result).write_text(failure.to_json(), encoding="utf-8")
            reap_zombies(_CHECKER.pids())
            conn.send("done")
    finally:
        _CHECKER.close()
        conn.close()


def _kill_worker(process: Any) -> None:
    """Kill a worker with its kernel and everything they started."""
    from funnel_lib.grading._sandbox import kill_tree

    if process.pid is not None:
        kill_tree(process.pid, include_self=True)
    process.join(timeout=5)


def _finish(plan: _Plan, student: str, process: Any, killed: str | None) -> StudentResult:
    """Read a worker's result, merge it into the course with nbgrader, and decide the status."""
    course, assignment = plan.course, plan.assignment
    task = plan.task(student)
    fingerprint = _fingerprint(course.submission_dir(student, assignment))
    worker: dict[str, Any]
    if killed:
        worker = {"status": "timed out", "reason": killed, "notebooks": {}, "findings": []}
    else:
        try:
            worker = asdict(WorkerOutcome.from_json(Path(task.result).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            worker = {"status": "error", "notebooks": {}, "findings": [],
                      "reason": f"the grading worker ended without a result (exit code {process.exitcode})"}
    registry: dict[str, tuple[str, str]] = {}
    sanitized: dict[str, tuple[str, str]] = {}
    for name in plan.notebooks:
        entry = worker.get("notebooks", {}).get(name) or {}
        if entry.get("executed"):
            registry[name] = ("ok", entry["executed"])
        else:
            registry[name] = ("fail", entry.get("error") or worker.get("reason") or "not executed")
        if entry.get("sanitized"):
            sanitized[name] = ("ok", entry["sanitized"])
        else:
            sanitized[name] = ("fail", entry.get("error") or worker.get("reason") or "not sanitized")
    merged, merge_log = _merge(course, assignment, student, registry, sanitized)

    findings = [Finding(**f) for f in worker.get("findings", [])]
    submitted_dir = course.submission_dir(student, assignment)
    missing = [name for name in plan.notebooks if not (submitted_dir / f"{name}.ipynb").exists()]
    for name in plan.notebooks:
        path = submitted_dir / f"{name}.ipynb"
        if not path.exists():
            continue
        submitted = read_json_safely(path)
        if not isinstance(submitted, dict) or not isinstance(submitted.get("cells"), list) \
                or not all(isinstance(c, dict) for c in submitted["cells"]):
            continue
        findings = _unique(findings + compare_cells(submitted, plan.source_cells.get(name, []))
                           + scan_notebook(submitted, plan.source_cells.get(name, []), plan.local_modules))
    score, max_score, penalty = _scores(course, assignment, student)
    if penalty:
        findings.append(Finding("MC-LATE", "note", f"submitted late: nbgrader's late penalty took {penalty:g} points"))
    status = worker.get("status", "error")
    reason = worker.get("reason", "")
    if status == "ok":
        status = "graded"
    if missing and status in {"graded", "invalid notebook"}:
        status = "missing notebook"
        reason = "not submitted: " + ", ".join(f"{m}.ipynb" for m in missing) + (
            " (scored 0)" if len(missing) < len(plan.notebooks) else "")
    if status == "graded" and not merged:
        status = "error"
        reason = "nbgrader could not grade the submission: " + _last_error(merge_log)
    reviews = [f for f in findings if f.severity == "review"]
    notes = [f for f in findings if f.severity == "note"]
    if status == "graded" and reviews:
        status = "needs review"
        reason = "; ".join(f.line() for f in reviews)
    elif status == "graded":
        reason = "; ".join(f.line() for f in notes)
    elif reviews and status not in {"invalid notebook", "missing notebook"}:
        reason = reason + "; also: " + "; ".join(f.line() for f in reviews)
    return StudentResult(student, status, score, max_score, reason, 0.0, findings, False, fingerprint)


#: Submitted notebooks larger than this are not read (a real exercise is well under 5 MiB).
MAX_NOTEBOOK_BYTES = 64 * 1024 ** 2


def read_json_safely(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, too large, not JSON or nested too deeply.

    >>> read_json_safely(Path("/nonexistent.ipynb")) is None
    True
    """
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))  # the C parser raises RecursionError when deep
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return None


def _check_gradebook(course: Course, assignment: str, result: StudentResult) -> None:
    """Compare the gradebook's score with the one recorded when ``result`` was merged; flag differences.

    A difference means the gradebook was changed after this student was graded (by whom: to review).
    """
    if result.score is None:
        return
    score, _, _ = _scores(course, assignment, result.student)
    if score is None or abs(score - result.score) > 1e-9:
        note = (f"gradebook mismatch: the gradebook now says {score if score is not None else 'nothing'}, "
                f"but grading recorded {result.score:g} (changed after grading?)")
        result.findings.append(Finding("MC-GRADEBOOK", "review", note))
        result.status = "needs review" if result.status == "graded" else result.status
        result.reason = note + ("; " + result.reason if result.reason else "")


def _unique(findings: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for finding in findings:
        if finding not in out:
            out.append(finding)
    return out


def _last_error(log: str) -> str:
    lines = [line for line in log.splitlines() if "ERROR" in line or "Error" in line]
    return lines[-1].strip()[:300] if lines else "see the nbgrader log"


def _scores(course: Course, assignment: str, student: str) -> tuple[float | None, float | None, float]:
    """(score after any late penalty, max score, late penalty) from the gradebook."""
    try:
        with quiet_gradebook(course.db_url, course.course_id) as gb:
            submission = gb.find_submission(assignment, student)
            penalty = float(sum(nb.late_submission_penalty or 0.0 for nb in submission.notebooks))
            return float(submission.score) - penalty, float(submission.max_score), penalty
    except Exception:  # noqa: BLE001 - not in the gradebook (e.g. no notebook at all)
        return None, None, 0.0


_INTERRUPTED: list[bool] = [False]


@contextmanager
def _hold_interrupts() -> Iterator[None]:
    """Delay Ctrl-C until the block ends (merges are all-or-nothing); the run stops after the merge."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def remember(number: int, frame: Any) -> None:
        _INTERRUPTED[0] = True

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _default_sanitizing(steps: list[Any]) -> bool:
    """Whether a course uses nbgrader's own sanitizing steps (which write nothing to the gradebook)."""
    from nbgrader.converters import Autograde

    default = Autograde.class_traits()["sanitize_preprocessors"].default()
    return list(steps) == list(default)


def _merge(course: Course, assignment: str, student: str, registry: dict[str, tuple[str, str]],
           sanitized: dict[str, tuple[str, str]] | None = None) -> tuple[bool, str]:
    """Run nbgrader's Autograde for one student with the worker's executed notebooks; return (success, log).

    When the course keeps nbgrader's default sanitizing steps, their result is also taken from the
    worker (``sanitized``), which ran exactly those steps; other steps run here as usual.
    """
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from nbgrader.utils import temp_attrs
    from traitlets.utils.importstring import import_item

    from funnel_lib.grading._inject import InjectExecuted, InjectSanitized

    buffer = io.StringIO()
    logger = logging.getLogger(f"funnel_lib.grading.nbgrader.{student}")
    logger.handlers[:] = [logging.StreamHandler(buffer)]
    logger.handlers[0].setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    InjectExecuted.registry = dict(registry)
    InjectSanitized.registry = dict(sanitized or {})
    ok = True
    with _hold_interrupts(), nbgrader_warnings():
        with temp_attrs(course.coursedir, assignment_id=assignment, student_id=student):
            app = Autograde(coursedir=course.coursedir, config=course.config, log=logger)
            app.force = True
            steps = [import_item(p) if isinstance(p, str) else p for p in app.autograde_preprocessors]
            app.autograde_preprocessors = [
                InjectExecuted if isinstance(p, type) and issubclass(p, Execute) else p for p in steps
            ]
            cleaning = [import_item(p) if isinstance(p, str) else p for p in app.sanitize_preprocessors]
            if sanitized is not None and _default_sanitizing(cleaning):
                app.sanitize_preprocessors = [InjectSanitized]
            try:
                app.start()
            except Exception:  # noqa: BLE001 - nbgrader already logged the failure
                ok = False
                buffer.write(traceback.format_exc())
    InjectExecuted.registry = {}
    InjectSanitized.registry = {}
    logger.handlers[:] = []
    return ok, buffer.getvalue()


# --------------------------------------------------------------------------------------------
# resume state
# --------------------------------------------------------------------------------------------
def _fingerprint(folder: Path) -> str:
    """sha256 over the relative paths and bytes of every file of a submission."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"<unreadable>")
    return digest.hexdigest()


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(data.get("students", {}))
    except (OSError, json.JSONDecodeError, AttributeError):
        return {}


def _save_state(path: Path, assignment: str, state: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"assignment": assignment, "students": state}, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _write_csv(path: Path, results: list[StudentResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.row())
    os.replace(tmp, path)


def _already_graded(course: Course, assignment: str, student: str, fingerprint: str,
                    previous: dict[str, Any] | None, notebooks: list[str]) -> bool:
    """Whether a student can be skipped: same submission as a recorded grading, or nbgrader's own rule."""
    dest = course.autograded_dir(student, assignment)
    complete = all((dest / f"{name}.ipynb").exists() for name in notebooks)
    if previous is not None:
        if previous.get("fingerprint") != fingerprint:
            return False
        if previous.get("status") in ("graded", "needs review"):
            return complete
        return previous.get("status") in FAILED
    if not complete:
        return False
    new = course.coursedir.get_existing_timestamp(str(course.submission_dir(student, assignment)))
    old = course.coursedir.get_existing_timestamp(str(dest))
    return not (new is not None and old is not None and new > old)


def _graded_by_nbgrader(course: Course, assignment: str, student: str) -> StudentResult:
    score, max_score, _ = _scores(course, assignment, student)
    return StudentResult(student, "graded", score, max_score, "graded before this tool's records (by nbgrader)")


# --------------------------------------------------------------------------------------------
# the worker (a child process)
# --------------------------------------------------------------------------------------------
def _course_for(root: str) -> Course:
    if root not in _COURSES:
        _COURSES[root] = load_course(root)
    return _COURSES[root]


def _worker_main(task: Task) -> None:  # pragma: no cover - runs in the forked worker (tested end to end)
    """Entry point of a worker process: grade one student, write the result file."""
    started = time.monotonic()
    work = Path(task.work)
    work.mkdir(parents=True, exist_ok=True)
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)  # Ctrl-C in the terminal goes to the parent, which stops the workers
        except OSError:
            pass
    import warnings

    from funnel_lib.grading._sandbox import become_subreaper

    become_subreaper()  # processes that escape the kernel by double-forking stay below this worker
    warnings.resetwarnings()  # a worker logs warnings (it inherited the parent's filters, e.g. pytest's "error")
    warnings.simplefilter("default")
    log_fd = os.open(str(work / "worker.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    try:
        outcome = WorkerOutcome(**_grade_in_sandbox(task))
    except BaseException as error:  # noqa: BLE001 - report anything as a result
        outcome = WorkerOutcome("error", f"the grader failed: {error!r}", traceback=traceback.format_exc())
    outcome.seconds = time.monotonic() - started
    tmp = Path(task.result + ".tmp")
    tmp.write_text(outcome.to_json(), encoding="utf-8")
    os.replace(tmp, task.result)
    sys.stdout.flush()
    sys.stderr.flush()


def _checker_roles(source_cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The guard's cell roles from the assignment's definition (the same for every student)."""
    from funnel_lib.grading._guard import source_key

    roles: dict[str, dict[str, Any]] = {}
    for cell in source_cells:
        if cell.get("cell_type") == "code" and cell.get("locked"):
            role = "test" if cell.get("grade") and not cell.get("solution") else "readonly"
            roles[source_key(cell.get("source", ""))] = {"role": role, "grade_id": cell.get("name")}
    return roles


def _start_checker(task: Task, config: Any, limits: Limits, source: Path, ignore: list[str], excluded: set[str],
                   work: Path, jail_info: Any) -> None:
    """Launch this slot's clean kernel unless a warm one is ready (it boots while the student's kernel runs)."""
    from jupyter_core.utils import run_sync
    from nbformat.v4 import new_notebook

    from funnel_lib.grading._sandbox import Sandbox, SandboxExecute

    state = _CHECKER
    if state.km is not None and state.key == task.seed_url and state.ready:
        return
    state.close()
    slot = os.getpid()
    check_jail = None
    if jail_info is not None:
        from funnel_lib.grading._isolation import Jail

        check_jail = Jail(jail_info, Path(task.box).parent / f"slot{slot}.check", slot=slot + 5_000_000)
        check_box = check_jail.box
        check_jail.prepare(limits.memory_bytes, limits.max_processes + 8)
        kernel_dir = check_jail.kernel
    else:
        check_box = work.parent / f"slot{slot}.check-box"
        kernel_dir = work.parent / f"slot{slot}.check-kernel"
        kernel_dir.mkdir(parents=True, exist_ok=True)
    check_box.mkdir(parents=True, exist_ok=True)
    _copy_assignment_files(source, check_box, ignore, excluded)
    if check_jail is not None:
        check_jail.own(check_box)
    roles: dict[str, dict[str, Any]] = {}
    for cells in task.source_cells.values():
        roles.update(_checker_roles(cells))
    settings = KernelSettings(
        limits={"memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds,
                "file_bytes": limits.file_bytes, "nproc": 512},
        log=str(kernel_dir / "check.log"), guard=str(GUARD_PATH), roles=roles,
        read_deny=task.read_deny, write_deny=task.write_deny, allow=[str(check_box)], pristine=[],
        block_processes=limits.block_processes, protected_prefixes=["funnel_lib"], local_modules=task.local_modules,
        module_origins={"funnel_lib": str(Path(__import__("funnel_lib").__file__).resolve().parent),
                        **{m: str(check_box) for m in task.local_modules}},
    )
    settings_path = kernel_dir / "check.json"
    settings_path.write_text(settings.to_json(), encoding="utf-8")
    execute = SandboxExecute(config=config)
    execute.nb = new_notebook()
    execute.sandbox = Sandbox(settings_path, check_box, limits, jail=check_jail,
                              connection_file=kernel_dir / "check-connection.json")
    km = execute.create_kernel_manager()
    state.adopt(task.seed_url, km, execute.sandbox, check_jail, check_box)
    extra = list(execute.extra_arguments)
    if getattr(km, "ipykernel", False) and not any(a.startswith("--HistoryManager.hist_file") for a in extra):
        extra.append("--HistoryManager.hist_file=:memory:")
    extra.append(f"--IPKernelApp.exec_lines={PRELOAD}")  # the libraries load while the student's kernel runs
    try:
        run_sync(km.start_kernel)(extra_arguments=extra, cwd=str(check_box))
    except Exception:  # noqa: BLE001 - the second opinion then reports that it could not run
        state.close()


def _copy_assignment_files(source: Path, dest_dir: Path, ignore: list[str], excluded: set[str]) -> None:
    """Copy the assignment's files (not its notebooks, not those excluded from overwriting) into ``dest_dir``."""
    from nbgrader.utils import find_all_files

    for filename in find_all_files(str(source), ignore + ["*.ipynb"]):
        relative = os.path.relpath(filename, source)
        if relative.endswith(".ipynb") or relative in excluded:
            continue
        dest = dest_dir / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists() or dest.is_symlink():
            dest.unlink()
        shutil.copyfile(filename, dest)


#: What the clean kernel imports as it starts (restoring answers needs it; a reset keeps the modules loaded).
PRELOAD = "import funnel_lib.grading._answers"

#: The clean kernel of this worker slot, reused between students (see ``_checker.py``).
_CHECKER = WarmChecker()
#: True in a worker slot that grades several students (the clean kernel then stays warm).
_KEEP_WARM: list[bool] = [False]


def _second_opinion(executed: Any, tests: dict[int, list[str] | None], answers: dict[int, str], config: Any,
                    source: Path, ignore: list[str], excluded: set[str], work: Path, name: str,
                    nbgrader_resources: dict[str, Any]) -> list[Finding]:
    """Run the test cells again in this slot's clean kernel (started by ``_start_checker``), holding only the
    assignment's files and the answers as data; make its verdict count in ``executed`` (see ``_verdict.py``);
    return the findings. A kernel that served a student before has its namespace reset first.
    """
    from funnel_lib.grading._sandbox import SandboxExecute

    state = _CHECKER
    checker, where, local = checker_notebook(executed, tests, answers, reset=RESET_SOURCE if state.uses else "")
    if not where:
        return reconcile(executed, checker, where, local)
    if state.km is None or state.box is None:
        return [Finding("MC-VERDICT", "review", "the tests could not be run again in a clean kernel (it did not "
                        "start); the notebook's own kernel was trusted")]
    if state.uses:
        _copy_assignment_files(source, state.box, ignore, excluded)
        if state.jail is not None:
            state.jail.own(state.box)
    keep = False
    execute = SandboxExecute(config=config)
    test_timeout = int(config.Execute.get("timeout", None) or 30)
    # restoring answers may import the libraries first (slow on a busy machine); tests keep the course's timeout
    execute.timeout_func = lambda cell: 120 if cell.get("metadata", {}).get("funnel_grading") in ("restore", "reset") \
        else test_timeout
    try:
        try:
            checked, _ = execute.preprocess(checker, {"metadata": {"path": str(state.box)},
                                                      "nbgrader": nbgrader_resources}, km=state.km)
        except Exception as error:  # noqa: BLE001 - the second opinion failed: say so, keep the first
            import nbformat

            nbformat.write(checker, str(work / f"{name}.checker.ipynb"))  # for FUNNEL_GRADING_KEEP debugging
            return [Finding("MC-VERDICT", "review", f"the tests could not be run again in a clean kernel "
                            f"({type(error).__name__}: {str(error)[:200]}); the notebook's own kernel was trusted")]
        finally:
            if execute.kc is not None:
                try:
                    execute.kc.stop_channels()
                except Exception:  # noqa: BLE001
                    pass
        helpers = [cell for cell in checked.cells if cell.get("metadata", {}).get("funnel_grading")]
        keep = (_KEEP_WARM[0] and not execute.timed_out_cells
                and not any(failed(cell.get("outputs", [])) for cell in helpers))
        state.uses += 1
        return reconcile(executed, checked, where, local)
    finally:
        if not keep:  # misbehaved, or not in a long-lived slot: the next student gets a fresh kernel
            state.close()


def _grade_in_sandbox(task: Task) -> dict[str, Any]:
    """Sanitize and execute one student's notebooks in sandboxed kernels (see the module docstring)."""
    import copy

    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader.utils import find_all_files
    from traitlets.config import Config

    from funnel_lib.grading._guard import source_key
    from funnel_lib.grading._sandbox import (
        KernelUnresponsive,
        Sandbox,
        SandboxExecute,
        Watchdog,
        describe_exit,
        wait_exit,
    )

    course = _course_for(task.course_root)
    assignment, student = task.assignment, task.student
    limits = Limits(**task.limits)
    work, box = Path(task.work), Path(task.box)
    jail = None
    if task.isolation:
        from funnel_lib.grading._isolation import Isolation, Jail

        info = Isolation.from_json(task.isolation)
        if info.jailed:
            jail = Jail(info, box.parent / f"{box.name}.jail", slot=os.getpid())
            box = jail.box
    box.mkdir(parents=True, exist_ok=True)
    submitted = course.submission_dir(student, assignment)
    source = course.source_dir / assignment
    config = copy.deepcopy(course.config)
    if task.cell_timeout:
        config.Execute.timeout = int(task.cell_timeout)
    config.Exporter.default_preprocessors = []
    ignore = list(course.coursedir.ignore)

    # the kernel's folder: the student's own files, then the assignment's files (as nbgrader copies them)
    pristine: list[str] = []
    excluded = set(dict(config.Autograde.get("exclude_overwriting", None) or {}).get(assignment, []))
    for base, keep in ((submitted, True), (source, False)):
        for filename in find_all_files(str(base), ignore + (["*.ipynb"] if not keep else [])):
            relative = os.path.relpath(filename, base)
            if not keep and (relative.endswith(".ipynb") or relative in excluded):
                continue
            dest = box / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                dest.unlink()
            shutil.copyfile(filename, dest)
            if not keep:
                pristine.append(str(dest))

    if jail is not None:
        jail.prepare(limits.memory_bytes, limits.max_processes + 8)  # + bubblewrap, its init and setpriv
    timings: dict[str, float] = {}
    clock = time.monotonic()
    if any(c.get("grade") and not c.get("solution") for cells in task.source_cells.values() for c in cells):
        try:
            _start_checker(task, config, limits, source, ignore, excluded, work, jail.info if jail is not None else None)
        except Exception:  # noqa: BLE001 - the second opinion then says that it could not run
            traceback.print_exc()
            _CHECKER.close()
        timings["checker.start"] = time.monotonic() - clock
        clock = time.monotonic()
    watchdog = Watchdog(limits.max_processes + (8 if jail is not None else 0))
    watchdog.start()
    outcome: dict[str, Any] = {"status": "ok", "reason": "", "notebooks": {}, "findings": []}
    findings: list[Finding] = []
    try:
        for name in task.notebooks:
            path = submitted / f"{name}.ipynb"
            entry: dict[str, Any] = {"executed": None, "error": None}
            outcome["notebooks"][name] = entry
            if not path.exists():
                entry["error"] = f"{name}.ipynb was not submitted"
                continue
            try:
                if path.stat().st_size > MAX_NOTEBOOK_BYTES:
                    raise ValueError(f"it is larger than {MAX_NOTEBOOK_BYTES // 1024 ** 2} MiB")
                if read_json_safely(path) is None:
                    raise ValueError("it is not JSON, or nested too deeply to read")
                nbformat.read(str(path), as_version=4)
            except Exception as error:  # noqa: BLE001 - any reading problem
                entry["error"] = f"{name}.ipynb is not a valid notebook: {str(error).splitlines()[0][:200]}"
                outcome["status"], outcome["reason"] = "invalid notebook", entry["error"]
                continue
            exporter = _sanitizer(course, config)
            resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": name,
                                      "db_url": task.seed_url},
                         "unique_key": name, "output_files_dir": f"{name}_files"}
            text, _ = exporter.from_filename(str(path), resources=resources)
            nb = nbformat.reads(text, as_version=4)
            sanitized = work / f"{name}.sanitized.ipynb"
            sanitized.write_text(text, encoding="utf-8")
            entry["sanitized"] = str(sanitized)
            timings[f"{name}.sanitize"] = time.monotonic() - clock
            clock = time.monotonic()
            roles = {}
            code_cells = 0
            labels: list[str] = []
            for index, cell in enumerate(nb.cells):
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type == "code" and cell.source.strip():
                    code_cells += 1
                    labels.append(meta.get("grade_id") or f"cell {index + 1}")
                if cell.cell_type == "code" and meta.get("locked"):
                    role = "test" if meta.get("grade") and not meta.get("solution") else "readonly"
                    roles[source_key(cell.source)] = {"role": role, "grade_id": meta.get("grade_id")}
            kernel_dir = jail.kernel if jail is not None else work
            kernel_log = kernel_dir / f"{name}.kernel.log"
            settings = KernelSettings(
                limits={"memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds,
                        "file_bytes": limits.file_bytes, "nproc": 512},
                log=str(kernel_log), guard=str(GUARD_PATH), roles=roles,
                read_deny=task.read_deny, write_deny=task.write_deny, allow=[str(box)],
                pristine=pristine, block_processes=limits.block_processes,
                protected_prefixes=["funnel_lib"], local_modules=task.local_modules,
                module_origins={"funnel_lib": str(Path(__import__("funnel_lib").__file__).resolve().parent),
                                **{m: str(box) for m in task.local_modules}},
            )
            settings_path = kernel_dir / f"{name}.kernel.json"
            settings_path.write_text(settings.to_json(), encoding="utf-8")
            execute = SandboxExecute(config=config)
            execute.sandbox = Sandbox(settings_path, box, limits, pid_file=work / "kernel.pid",
                                      connection_file=kernel_dir / f"{name}.connection.json", jail=jail)
            tests = find_test_cells(nb)
            execute.answer_names = {index: names for index, names in tests.items() if names is not None}
            try:
                executed, _ = execute.preprocess(nb, {"metadata": {"path": str(box)}, "nbgrader": resources["nbgrader"]})
            except KernelUnresponsive as error:
                entry["error"] = str(error)
                outcome["status"], outcome["reason"] = "timed out", str(error)
                break
            except (DeadKernelError, CellTimeoutError, RuntimeError) as error:
                traceback.print_exc()  # into the worker's log
                code = wait_exit(execute.sandbox.process)
                if isinstance(error, CellTimeoutError):
                    timeout = int(config.Execute.get("timeout", None) or 30)
                    reason = (f"a cell ran longer than the {timeout} s timeout and the kernel did not recover from "
                              "the interrupt (a loop that catches KeyboardInterrupt?)")
                    outcome["status"] = "timed out"
                elif isinstance(error, DeadKernelError) or code is not None:
                    reason = watchdog.reason or describe_exit(code, limits)
                    outcome["status"] = "kernel died"
                else:
                    reason, outcome["status"] = f"the kernel failed: {error}", "error"
                entry["error"] = reason
                outcome["reason"] = reason
                findings += read_kernel_log(kernel_log, labels=labels)
                break
            timings[f"{name}.execute"] = time.monotonic() - clock
            clock = time.monotonic()
            if tests:
                findings += _second_opinion(executed, tests, execute.answers, config, source, ignore, excluded,
                                            work, name, resources["nbgrader"])
                timings[f"{name}.check"] = time.monotonic() - clock
                clock = time.monotonic()
            target = work / f"{name}.executed.ipynb"
            nbformat.write(executed, str(target))
            entry["executed"] = str(target)
            findings += read_kernel_log(kernel_log, code_cells=code_cells, labels=labels)
            memory = f" (limit {limits.memory_bytes / 1024 ** 3:g} GiB)"
            findings += findings_from_outputs(executed, memory)
    finally:
        watchdog.stop()
        if not _KEEP_WARM[0]:
            _CHECKER.close()
        watchdog.spare = watchdog.spare | frozenset(_CHECKER.pids())  # the warm clean kernel stays
        watchdog.clean_up()
        if jail is not None:
            events = jail.cgroup.events()
            if events["oom_kill"]:
                findings.append(Finding("MC-MEMORY", "note", "the kernel's processes reached the memory limit "
                                        f"of {limits.memory_bytes / 1024 ** 3:g} GiB (all processes together)"))
            if events["pids_max"]:
                findings.append(Finding("MC-PROCESSES", "review", "notebook code tried to start more than "
                                        f"{limits.max_processes} processes; the limit refused them"))
            jail.release()
            shutil.rmtree(jail.base, ignore_errors=True)
        shutil.rmtree(box, ignore_errors=True)
    if watchdog.reason and outcome["status"] == "ok":
        outcome["status"], outcome["reason"] = "kernel died", watchdog.reason
    timings["finish"] = time.monotonic() - clock
    outcome["timings"] = timings
    outcome["findings"] = [f.to_dict() for f in _unique(findings)]
    return outcome
