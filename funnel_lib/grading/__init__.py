"""Grading that holds up: self-grading for learners and fast, sandboxed, parallel class autograding.

nbgrader stays the engine (its gradebook, its formats, its converters); this package adds speed,
a progress bar, kernel isolation and integrity reports.

* :func:`grade_notebook` — a learner grades their own copy of an exercise against the hidden tests
  (``funnel grade NOTEBOOK``);
* :func:`check_exercise` — the same from inside JupyterLab: ``check_exercise("q1")`` in a cell
  shows the table inline (save the notebook first);
* :func:`autograde` — an instructor grades every submission of an assignment in parallel
  (``funnel autograde ASSIGNMENT``), with the same gradebook as serial ``nbgrader autograde``;
* :func:`scan_code` and :class:`IntegrityFinding` — the static scan of a submission for tampering;
* :class:`GradingError` — the base of the errors grading raises on purpose (:class:`CourseError`,
  :class:`GradingFailed`).

>>> from funnel_lib.grading import Limits, STATUSES
>>> Limits().memory_bytes // 1024 ** 3, STATUSES[0]
(2, 'graded')
"""

import importlib
from typing import Any

#: public name -> the module defining it (imported on first use, so that ``funnel_lib.grading._answers``
#: loads quickly inside a grading kernel without nbgrader and SQLAlchemy)
_HOMES = {
    "STATUSES": "_autograde", "AutogradeReport": "_autograde", "StudentResult": "_autograde",
    "autograde": "_autograde", "Course": "_course", "CourseError": "_course", "find_course_root": "_course",
    "load_course": "_course", "GradingError": "_errors", "GradingFailed": "_inject",
    "IntegrityFinding": "_integrity", "scan_code": "_integrity", "Limits": "_sandbox",
    "parse_size": "_sandbox", "GradeReport": "_selfgrade", "QuestionResult": "_selfgrade",
    "grade_notebook": "_selfgrade", "check_exercise": "_selfgrade",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names (for tab completion)."""
    return sorted(__all__)


__all__ = [
    "STATUSES",
    "AutogradeReport",
    "Course",
    "CourseError",
    "GradeReport",
    "GradingError",
    "GradingFailed",
    "IntegrityFinding",
    "Limits",
    "QuestionResult",
    "StudentResult",
    "autograde",
    "check_exercise",
    "find_course_root",
    "grade_notebook",
    "load_course",
    "parse_size",
    "scan_code",
]
