"""The errors the grading subsystem raises on purpose, under one base class: :class:`GradingError`.

Each concrete error also keeps the built-in exception it has always been (``CourseError`` is a
``ValueError``, ``GradingFailed`` a ``RuntimeError``, …), so existing ``except`` clauses keep
working, while ``except GradingError`` catches exactly grading's own complaints. The public ones
say ``funnel_lib.grading`` as their module, so a message never shows a private module path.

This module imports nothing: the answers module (:mod:`funnel_lib.grading._answers`) loads it
inside grading kernels.

>>> from funnel_lib.grading import CourseError, GradingError
>>> issubclass(CourseError, GradingError), issubclass(CourseError, ValueError)
(True, True)
"""

__all__ = ["GradingError"]


class GradingError(Exception):
    """Base class of the errors the grading subsystem raises on purpose (a course it cannot use, a failed run, …).

    >>> from funnel_lib.grading import GradingError, load_course
    >>> try:
    ...     load_course("/nonexistent/course")
    ... except GradingError as error:
    ...     print(type(error).__name__, "-", error)
    CourseError - course directory '/nonexistent/course' does not exist
    """

    __module__ = "funnel_lib.grading"
