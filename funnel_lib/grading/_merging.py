"""Merging a worker's result into the course with nbgrader's own Autograde (the parent is the single writer)."""

from __future__ import annotations

import io
import logging
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from funnel_lib.grading._course import Course, nbgrader_warnings, quiet_gradebook
from funnel_lib.grading._integrity import IntegrityFinding, compare_cells, scan_notebook
from funnel_lib.grading._planning import _fingerprint, _Plan
from funnel_lib.grading._records import WorkerOutcome
from funnel_lib.grading._reporting import StudentResult, _unique
from funnel_lib.grading._worker import read_json_safely

__all__ = []


_INTERRUPTED: list[bool] = [False]


def _finish(plan: _Plan, student: str, process: Any, killed: str | None) -> StudentResult:
    """Read a worker's result, merge it into the course with nbgrader, and decide the status."""
    course, assignment = plan.course, plan.assignment
    task = plan.task(student)
    fingerprint = _fingerprint(course.submission_dir(student, assignment))
    worker = _worker_outcome(task.result, process, killed)
    registry, sanitized = _registries(plan.notebooks, worker)
    merged, merge_log = _merge(course, assignment, student, registry, sanitized)

    findings = [IntegrityFinding(**f) for f in worker.get("findings", [])]
    submitted_dir = course.submission_dir(student, assignment)
    missing = [name for name in plan.notebooks if not (submitted_dir / f"{name}.ipynb").exists()]
    findings = _submission_findings(plan, submitted_dir, findings)
    score, max_score, penalty = _scores(course, assignment, student)
    if penalty:
        late = f"submitted late: nbgrader's late penalty took {penalty:g} points"
        findings.append(IntegrityFinding("MC-LATE", "note", late))
    status, reason = _status(worker, missing, len(plan.notebooks), merged, merge_log)
    status, reason = _with_findings(status, reason, findings)
    return StudentResult(student, status, score, max_score, reason, 0.0, findings, False, fingerprint)


def _worker_outcome(result: str | Path, process: Any, killed: str | None) -> dict[str, Any]:
    """The worker's outcome as a dict: read from its result file, or made up when it was killed or left none."""
    if killed:
        return {"status": "timed out", "reason": killed, "notebooks": {}, "findings": []}
    try:
        return asdict(WorkerOutcome.from_json(Path(result).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return {"status": "error", "notebooks": {}, "findings": [],
                "reason": f"the grading worker ended without a result (exit code {process.exitcode})"}


def _registries(notebooks: list[str], worker: dict[str, Any]) -> tuple[dict[str, tuple[str, str]],
                                                                       dict[str, tuple[str, str]]]:
    """What :class:`InjectExecuted` and :class:`InjectSanitized` hand nbgrader for each notebook."""
    registry: dict[str, tuple[str, str]] = {}
    sanitized: dict[str, tuple[str, str]] = {}
    for name in notebooks:
        entry = worker.get("notebooks", {}).get(name) or {}
        if entry.get("executed"):
            registry[name] = ("ok", entry["executed"])
        else:
            registry[name] = ("fail", entry.get("error") or worker.get("reason") or "not executed")
        if entry.get("sanitized"):
            sanitized[name] = ("ok", entry["sanitized"])
        else:
            sanitized[name] = ("fail", entry.get("error") or worker.get("reason") or "not sanitized")
    return registry, sanitized


def _submission_findings(plan: _Plan, submitted_dir: Path, findings: list[IntegrityFinding]) -> list[IntegrityFinding]:
    """``findings`` and those of the submitted notebooks: their cells against the gradebook, a scan of their code."""
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
    return findings


def _status(worker: dict[str, Any], missing: list[str], notebooks: int, merged: bool,
            merge_log: str) -> tuple[str, str]:
    """The status and reason from the worker's outcome, missing notebooks and nbgrader's merge."""
    status = worker.get("status", "error")
    reason = worker.get("reason", "")
    if status == "ok":
        status = "graded"
    if missing and status in {"graded", "invalid notebook"}:
        status = "missing notebook"
        reason = "not submitted: " + ", ".join(f"{m}.ipynb" for m in missing) + (
            " (scored 0)" if len(missing) < notebooks else "")
    if status == "graded" and not merged:
        status = "error"
        reason = "nbgrader could not grade the submission: " + _last_error(merge_log)
    return status, reason


def _with_findings(status: str, reason: str, findings: list[IntegrityFinding]) -> tuple[str, str]:
    """A graded submission with a finding to review needs review; the reason lists the findings that matter."""
    reviews = [f for f in findings if f.severity == "review"]
    notes = [f for f in findings if f.severity == "note"]
    if status == "graded" and reviews:
        status = "needs review"
        reason = "; ".join(f.line() for f in reviews)
    elif status == "graded":
        reason = "; ".join(f.line() for f in notes)
    elif reviews and status not in {"invalid notebook", "missing notebook"}:
        reason = reason + "; also: " + "; ".join(f.line() for f in reviews)
    return status, reason


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
        result.findings.append(IntegrityFinding("MC-GRADEBOOK", "review", note))
        result.status = "needs review" if result.status == "graded" else result.status
        result.reason = note + ("; " + result.reason if result.reason else "")


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


def _graded_by_nbgrader(course: Course, assignment: str, student: str) -> StudentResult:
    score, max_score, _ = _scores(course, assignment, student)
    return StudentResult(student, "graded", score, max_score, "graded before this tool's records (by nbgrader)")


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
