"""Grading that holds up: self-grading for learners and fast, sandboxed, parallel class autograding.

nbgrader stays the engine (its gradebook, its formats, its converters); this package adds speed,
a progress bar, kernel isolation and integrity reports.

* :func:`grade_notebook` — a learner grades their own copy of an exercise against the hidden tests
  (``funnel grade NOTEBOOK``);
* :func:`autograde` — an instructor grades every submission of an assignment in parallel
  (``funnel autograde ASSIGNMENT``), with the same gradebook as serial ``nbgrader autograde``.

>>> from funnel_lib.grading import Limits, STATUSES
>>> Limits().memory_bytes // 1024 ** 3, STATUSES[0]
(2, 'graded')
"""

from funnel_lib.grading._autograde import STATUSES, AutogradeReport, StudentResult, autograde
from funnel_lib.grading._course import Course, CourseError, find_course_root, load_course
from funnel_lib.grading._integrity import Finding, scan_code
from funnel_lib.grading._sandbox import Limits, parse_size
from funnel_lib.grading._selfgrade import GradeReport, QuestionResult, grade_notebook

__all__ = [
    "STATUSES",
    "AutogradeReport",
    "Course",
    "CourseError",
    "Finding",
    "GradeReport",
    "Limits",
    "QuestionResult",
    "StudentResult",
    "autograde",
    "find_course_root",
    "grade_notebook",
    "load_course",
    "parse_size",
    "scan_code",
]
