"""The grading subsystem's errors: one public base class, the built-in bases they always had, public module paths."""

from __future__ import annotations

import pickle
import traceback

import pytest

import funnel_lib.grading as grading
from funnel_lib.grading import GradingError, load_course
from funnel_lib.grading._answers import Unsupported, decode
from funnel_lib.grading._course import CourseError
from funnel_lib.grading._inject import GradingFailed
from funnel_lib.grading._sandbox import KernelUnresponsive

#: every error the grading subsystem raises on purpose, with the built-in exception it always was
ERRORS = [(CourseError, ValueError), (GradingFailed, RuntimeError), (KernelUnresponsive, RuntimeError),
          (Unsupported, TypeError)]
#: the public ones (exported by funnel_lib.grading), which name funnel_lib.grading as their module
PUBLIC = ["CourseError", "GradingError", "GradingFailed"]


@pytest.mark.parametrize(("error", "builtin"), ERRORS, ids=[error.__name__ for error, _ in ERRORS])
def test_each_error_is_a_grading_error_and_still_its_builtin(error: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(error, GradingError)
    with pytest.raises(builtin, match="the message"):  # `except ValueError` (…) written before keeps working
        raise error("the message")


def test_grading_error_catches_only_grading_errors() -> None:
    assert not issubclass(GradingError, (ValueError, TypeError, RuntimeError))
    with pytest.raises(GradingError, match="is not from an allowed library"):
        decode({"$ref": ["os", "system"]})
    with pytest.raises(GradingError, match="does not exist"):
        load_course("/nonexistent/course")


def test_the_public_errors_are_the_exported_exception_classes() -> None:
    exported = [name for name in grading.__all__
                if isinstance(getattr(grading, name), type) and issubclass(getattr(grading, name), BaseException)]
    assert sorted(exported) == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_errors_show_the_public_module_and_survive_pickling(name: str) -> None:
    error = getattr(grading, name)
    assert error.__module__ == "funnel_lib.grading"
    assert traceback.format_exception_only(error("no such course")) == [f"funnel_lib.grading.{name}: no such course\n"]
    copy = pickle.loads(pickle.dumps(error("why")))  # records and errors cross process boundaries
    assert type(copy) is error and str(copy) == "why"
