"""Argument checks shared by every module: one place that words the error messages.

Every message names the argument, shows the value received and says what is allowed,
in the style ``ask must be between 0 and 10, got 12``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from funnel_lib.model import Funnel

__all__ = ["check_score", "check_name", "check_choice", "check_positive_int", "check_probability", "check_flag",
           "check_funnel"]

SCORE_MIN = 0.0
SCORE_MAX = 10.0


def check_score(argument: str, value: Any, *, low: float = SCORE_MIN, high: float = SCORE_MAX) -> float:
    """Return ``value`` as a float after checking it is a real number in ``[low, high]``.

    >>> check_score("ask", 3)
    3.0
    >>> check_score("ask", 12)
    Traceback (most recent call last):
    ...
    ValueError: ask must be between 0 and 10, got 12
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{argument} must be a number between {low:g} and {high:g}, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{argument} must be a number between {low:g} and {high:g}, got NaN")
    if not low <= number <= high:
        raise ValueError(f"{argument} must be between {low:g} and {high:g}, got {value!r}")
    return number


def check_name(argument: str, value: Any) -> str:
    """Return ``value`` stripped of surrounding spaces after checking it is a non-empty string.

    >>> check_name("name", "  Watch the clip ")
    'Watch the clip'
    >>> check_name("name", "")
    Traceback (most recent call last):
    ...
    ValueError: name must be a non-empty string, got ''
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a string, got {value!r} ({type(value).__name__})")
    text = value.strip()
    if not text:
        raise ValueError(f"{argument} must be a non-empty string, got {value!r}")
    return text


def check_choice(argument: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError listing them.

    >>> check_choice("order", "strict", ["ordered", "strict", "any"])
    'strict'
    >>> check_choice("order", "loose", ["ordered", "strict", "any"])
    Traceback (most recent call last):
    ...
    ValueError: order must be one of 'ordered', 'strict', 'any', got 'loose'
    """
    allowed = list(choices)
    if not isinstance(value, str) or value not in allowed:
        listed = ", ".join(repr(c) for c in allowed)
        raise ValueError(f"{argument} must be one of {listed}, got {value!r}")
    return value


def check_positive_int(argument: str, value: Any, *, allow_zero: bool = False) -> int:
    """Return ``value`` after checking it is a whole number above zero (or zero if allowed).

    >>> check_positive_int("users", 1000)
    1000
    >>> check_positive_int("users", -5)
    Traceback (most recent call last):
    ...
    ValueError: users must be a whole number greater than 0, got -5
    """
    lowest = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int | Real) or (
        isinstance(value, float) and not value.is_integer()
    ):
        raise TypeError(f"{argument} must be a whole number, got {value!r} ({type(value).__name__})")
    if isinstance(value, float) and math.isnan(value):  # pragma: no cover - NaN is not integer above
        raise ValueError(f"{argument} must be a whole number, got NaN")
    number = int(value)
    if number < lowest:
        bound = "0 or more" if allow_zero else "greater than 0"
        raise ValueError(f"{argument} must be a whole number {bound}, got {value!r}")
    return number


def check_probability(argument: str, value: Any) -> float:
    """Return ``value`` as a float after checking it lies in ``[0, 1]``.

    >>> check_probability("attention_cost", 0.03)
    0.03
    """
    return check_score(argument, value, low=0.0, high=1.0)


def check_flag(argument: str, value: Any) -> bool:
    """Return ``value`` after checking it is ``True`` or ``False`` (not 0, 1 or a string).

    >>> check_flag("auto_renews", True)
    True
    >>> check_flag("auto_renews", "yes")
    Traceback (most recent call last):
    ...
    TypeError: auto_renews must be True or False, got 'yes' (str)
    """
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be True or False, got {value!r} ({type(value).__name__})")
    return value


def check_funnel(argument: str, value: Any, *, purpose: str = "using it", need_steps: bool = True) -> Funnel:
    """Return ``value`` after checking it is a :class:`~funnel_lib.model.Funnel` (with steps, unless allowed).

    ``purpose`` finishes the sentence of the empty-funnel message ("add at least one Step before ...").

    >>> from funnel_lib.model import Funnel, Step
    >>> check_funnel("funnel", Funnel([Step("Buy", "conversion", ask=8)])).name
    ''
    >>> check_funnel("funnel", [1, 2])
    Traceback (most recent call last):
    ...
    TypeError: funnel must be a Funnel, got [1, 2] (list)
    >>> check_funnel("funnel_b", Funnel(), purpose="comparing")
    Traceback (most recent call last):
    ...
    ValueError: funnel_b has no steps; add at least one Step before comparing
    """
    from funnel_lib.model import Funnel  # noqa: PLC0415 - model imports this module

    if not isinstance(value, Funnel):
        raise TypeError(f"{argument} must be a Funnel, got {value!r} ({type(value).__name__})")
    if need_steps and len(value) == 0:
        raise ValueError(f"{argument} has no steps; add at least one Step before {purpose}")
    return value
