"""Argument checks shared by every module: one place that words the error messages.

Every message names the argument, shows the value received and says what is allowed,
in the style ``ask must be between 0 and 10, got 12``. The errors are the library's own
(:mod:`funnel_lib.errors`): a :class:`~funnel_lib.FunnelValueError` is also a ``ValueError``,
a :class:`~funnel_lib.FunnelTypeError` also a ``TypeError``.

Records declare their checks per field, as attrs does with converters: a dataclass field's
``metadata=converts(check)`` names the function that checks and converts the value given for
it, and :func:`convert_fields` (called from ``__post_init__`` or ``__init__``) runs them all.
A converter takes the argument name and the value, like every ``check_*`` function here.

>>> from dataclasses import dataclass, field
>>> @dataclass(frozen=True)
... class Offer:
...     name: str = field(metadata=converts(check_name))
...     ask: float = field(default=0.0, metadata=converts(check_score))
...     def __post_init__(self) -> None:
...         convert_fields(self)
>>> Offer("  Demo ", ask=3)
Offer(name='Demo', ask=3.0)
>>> Offer("Demo", ask=11)
Traceback (most recent call last):
...
funnel_lib.FunnelValueError: ask must be between 0 and 10, got 11
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, SupportsInt

from funnel_lib.errors import FunnelTypeError, FunnelValueError

if TYPE_CHECKING:
    from funnel_lib.model import Funnel

__all__ = ["check_score", "check_name", "check_text", "check_choice", "choice_error", "check_positive_int",
           "check_seed", "check_probability", "check_flag", "check_funnel", "Converter", "converts", "convert_fields",
           "between", "optional"]

Converter = Callable[[str, Any], Any]
"""A field's check: called with the argument name and the value given, returns the value to store."""

_CONVERT = "funnel_lib.convert"

SCORE_MIN = 0.0
SCORE_MAX = 10.0


def check_score(argument: str, value: Any, *, low: float = SCORE_MIN, high: float = SCORE_MAX) -> float:
    """Return ``value`` as a float after checking it is a real number in ``[low, high]``.

    >>> check_score("ask", 3)
    3.0
    >>> check_score("ask", 12)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: ask must be between 0 and 10, got 12
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise FunnelTypeError(f"{argument} must be a number between {low:g} and {high:g}, "
                              f"got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number):
        raise FunnelValueError(f"{argument} must be a number between {low:g} and {high:g}, got NaN")
    if not low <= number <= high:
        raise FunnelValueError(f"{argument} must be between {low:g} and {high:g}, got {value!r}")
    return number


def check_name(argument: str, value: Any) -> str:
    """Return ``value`` stripped of surrounding spaces after checking it is a non-empty string.

    >>> check_name("name", "  Watch the clip ")
    'Watch the clip'
    >>> check_name("name", "")
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: name must be a non-empty string, got ''
    """
    text = check_text(argument, value).strip()
    if not text:
        raise FunnelValueError(f"{argument} must be a non-empty string, got {value!r}")
    return text


def check_text(argument: str, value: Any) -> str:
    """Return ``value`` unchanged after checking it is a string (which may be empty).

    >>> check_text("description", "")
    ''
    >>> check_text("description", None)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelTypeError: description must be a string, got None (NoneType)
    """
    if not isinstance(value, str):
        raise FunnelTypeError(f"{argument} must be a string, got {value!r} ({type(value).__name__})")
    return value


def check_choice(argument: str, value: Any, choices: Iterable[Any], *, among: str = "", also: str = "",
                 type_error: bool = False) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise :func:`choice_error`'s error listing them.

    >>> check_choice("order", "strict", ["ordered", "strict", "any"])
    'strict'
    >>> check_choice("order", "loose", ["ordered", "strict", "any"])
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: order must be one of 'ordered', 'strict', 'any', got 'loose'
    """
    allowed = list(choices)
    if isinstance(value, int | float | str) and not isinstance(value, bool) and value in allowed:
        return value
    raise choice_error(argument, value, allowed, among=among, also=also, type_error=type_error)


def choice_error(argument: str, value: Any, choices: Iterable[Any], *, among: str = "", also: str = "",
                 type_error: bool = False) -> FunnelValueError | FunnelTypeError:
    """The error for a value that is not one of ``choices``, for callers that look the value up themselves.

    ``among`` says what the choices are ("the variants in column 'arm': "), ``also`` names
    anything else that is accepted ("or an Audience(...)"), added after the list of choices;
    with ``type_error=True`` a value that is not a string gives a FunnelTypeError.

    >>> raise choice_error("audience", 3, ["cold", "warm"], also="or an Audience(...)", type_error=True)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelTypeError: audience must be one of 'cold', 'warm' or an Audience(...), got 3
    """
    listed = among + ", ".join(repr(c) for c in choices) + (f" {also}" if also else "")
    message = f"{argument} must be one of {listed}, got {value!r}"
    if type_error and not isinstance(value, str):
        return FunnelTypeError(message)
    return FunnelValueError(message)


def check_positive_int(argument: str, value: Any, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an int after checking it is a whole number above zero (or zero if allowed).

    Integers of any kind (``int``, numpy integers) pass; so does a number whose value is whole
    (``8.0``, ``np.float32(8)``, ``Fraction(16, 2)``). Any other number is refused, never
    truncated: ``8.7`` is not 8.

    >>> check_positive_int("users", 1000)
    1000
    >>> check_positive_int("users", -5)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: users must be a whole number greater than 0, got -5
    >>> from fractions import Fraction
    >>> check_positive_int("users", Fraction(17, 2))
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelTypeError: users must be a whole number, got Fraction(17, 2) (Fraction)
    """
    number = _whole_number(argument, value)
    if number < (0 if allow_zero else 1):
        bound = "0 or more" if allow_zero else "greater than 0"
        raise FunnelValueError(f"{argument} must be a whole number {bound}, got {value!r}")
    return number


def _whole_number(argument: str, value: Any) -> int:
    if isinstance(value, bool):  # True is an Integral, but not a count
        pass
    elif isinstance(value, Integral):
        return int(value)
    elif isinstance(value, Real) and isinstance(value, SupportsInt) and math.isfinite(value):
        whole = int(value)
        if whole == value:
            return whole
    raise FunnelTypeError(f"{argument} must be a whole number, got {value!r} ({type(value).__name__})")


def check_seed(argument: str, value: Any) -> int | None:
    """Return ``value`` as an int after checking it is a whole number 0 or more, or ``None`` (a fresh seed).

    >>> check_seed("seed", 7), check_seed("seed", None)
    (7, None)
    >>> check_seed("seed", 1.5)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelTypeError: seed must be a whole number or None, got 1.5 (float)
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise FunnelTypeError(f"{argument} must be a whole number or None, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise FunnelValueError(f"{argument} must be a whole number 0 or more, or None, got {value!r}")
    return int(value)


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
    funnel_lib.FunnelTypeError: auto_renews must be True or False, got 'yes' (str)
    """
    if not isinstance(value, bool):
        raise FunnelTypeError(f"{argument} must be True or False, got {value!r} ({type(value).__name__})")
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
    funnel_lib.FunnelTypeError: funnel must be a Funnel, got [1, 2] (list)
    >>> check_funnel("funnel_b", Funnel(), purpose="comparing")
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: funnel_b has no steps; add at least one Step before comparing
    """
    from funnel_lib.model import Funnel  # noqa: PLC0415 - model imports this module

    if not isinstance(value, Funnel):
        raise FunnelTypeError(f"{argument} must be a Funnel, got {value!r} ({type(value).__name__})")
    if need_steps and len(value) == 0:
        raise FunnelValueError(f"{argument} has no steps; add at least one Step before {purpose}")
    return value


# -- converters declared per field -------------------------------------------------------------
def converts(convert: Converter) -> dict[str, Converter]:
    """Field metadata declaring the check of a dataclass field: ``field(metadata=converts(check_score))``.

    >>> converts(check_name)["funnel_lib.convert"] is check_name
    True
    """
    return {_CONVERT: convert}


def between(low: float, high: float) -> Converter:
    """A converter accepting a number in ``[low, high]`` (:func:`check_score` with other bounds).

    >>> between(0.0, 5.0)("readiness_sd", 6)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: readiness_sd must be between 0 and 5, got 6
    """
    def convert(argument: str, value: Any) -> float:
        return check_score(argument, value, low=low, high=high)

    return convert


def optional(convert: Converter) -> Converter:
    """A converter that lets ``None`` through unchanged and checks anything else with ``convert``.

    >>> optional(check_name)("action", None) is None, optional(check_name)("action", " buy ")
    (True, 'buy')
    """
    def convert_optional(argument: str, value: Any) -> Any:
        return None if value is None else convert(argument, value)

    return convert_optional


_FIELD_CONVERTERS: dict[type, tuple[tuple[str, Converter | None], ...]] = {}


def _converters(cls: type) -> tuple[tuple[str, Converter | None], ...]:
    found = _FIELD_CONVERTERS.get(cls)
    if found is None:
        found = _FIELD_CONVERTERS[cls] = tuple((f.name, f.metadata.get(_CONVERT)) for f in dataclasses.fields(cls))
    return found


def convert_fields(instance: Any, given: Mapping[str, Any] | None = None) -> None:
    """Run the declared converter of every field of a dataclass instance and store the results.

    Values are read from ``given`` (a hand-written ``__init__`` passes ``locals()``) or else from
    the instance (a ``__post_init__``); frozen dataclasses are set through ``object.__setattr__``.
    Fields are checked in declaration order, so the first bad argument is the one reported.

    >>> from dataclasses import dataclass, field
    >>> @dataclass(frozen=True)
    ... class Size:
    ...     ask: float = field(metadata=converts(check_score))
    ...     def __post_init__(self) -> None:
    ...         convert_fields(self)
    >>> Size(4).ask
    4.0
    """
    for name, convert in _converters(type(instance)):
        value = getattr(instance, name) if given is None else given[name]
        object.__setattr__(instance, name, value if convert is None else convert(name, value))
