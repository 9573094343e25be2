"""The shared argument checks (funnel_lib._validate) and the library's error classes (funnel_lib.errors)."""

from __future__ import annotations

import doctest
import math
import pickle
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funnel_lib
from funnel_lib import FunnelError, FunnelIndexError, FunnelTypeError, FunnelValueError
from funnel_lib._validate import (
    between,
    check_choice,
    check_positive_int,
    check_score,
    check_seed,
    choice_error,
    convert_fields,
    converts,
    optional,
)

NUMPY_INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
NUMPY_FLOATS = [np.float16, np.float32, np.float64]


# -- check_positive_int: whole numbers pass, nothing is ever truncated --------------------------
@given(st.integers(min_value=1, max_value=127), st.sampled_from([int, *NUMPY_INTS]))
def test_every_kind_of_integer_passes_unchanged(number: int, kind: type) -> None:
    result = check_positive_int("users", kind(number))
    assert type(result) is int and result == number


@given(st.integers(min_value=1, max_value=2**80))
def test_big_integers_pass_unchanged(number: int) -> None:
    assert check_positive_int("users", number) == number


@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not (math.isfinite(x) and x.is_integer())),
       st.sampled_from([float, *NUMPY_FLOATS]))
def test_a_number_that_is_not_whole_is_refused_never_truncated(number: float, kind: type) -> None:
    with np.errstate(over="ignore"):
        value = kind(number)
    if math.isfinite(float(value)) and float(value).is_integer():  # np.float16 may round to a whole number
        return
    with pytest.raises(FunnelTypeError, match=r"^users must be a whole number, got .+ \(.+\)$"):
        check_positive_int("users", value)


@given(st.integers(min_value=-10**6, max_value=10**6), st.integers(min_value=2, max_value=50))
def test_fractions_pass_only_when_whole(numerator: int, denominator: int) -> None:
    value = Fraction(numerator, denominator)
    if value.denominator == 1 and value >= 1:
        assert check_positive_int("users", value) == int(value)
    elif value.denominator == 1:
        with pytest.raises(FunnelValueError):
            check_positive_int("users", value)
    else:
        with pytest.raises(FunnelTypeError, match="users must be a whole number, got Fraction"):
            check_positive_int("users", value)


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from([float, np.float32, np.float64]))
def test_whole_floats_still_pass(number: int, kind: type) -> None:
    value = kind(number)
    assert check_positive_int("users", value) == int(value)


def test_the_issue_examples_and_edges() -> None:
    for bad in (np.float32(8.7), Fraction(17, 2), 8.5, math.inf, math.nan, "8", None, True, False):
        with pytest.raises(FunnelTypeError, match="users must be a whole number"):
            check_positive_int("users", bad)
    with pytest.raises(ValueError, match="users must be a whole number greater than 0, got 0"):
        check_positive_int("users", 0)
    assert check_positive_int("users", 0, allow_zero=True) == 0
    with pytest.raises(ValueError, match="users must be a whole number 0 or more, got -1"):
        check_positive_int("users", -1, allow_zero=True)
    assert check_positive_int("users", 8.0) == 8 and check_positive_int("users", np.int64(8)) == 8


def test_simulate_and_draws_refuse_fractional_counts() -> None:
    from funnel_lib import Funnel, Step, simulate
    from funnel_lib.uncertainty import draw_params

    funnel = Funnel([Step("Buy", "conversion", ask=8)])
    with pytest.raises(TypeError, match=r"users must be a whole number, got np.float32\(8.7\)"):
        simulate(funnel, users=np.float32(8.7), seed=1)
    with pytest.raises(TypeError, match=r"draws must be a whole number, got Fraction\(17, 2\)"):
        draw_params(Fraction(17, 2))
    assert simulate(funnel, users=np.int64(50), seed=np.int64(1)).users == 50


# -- seeds, choices, scores ------------------------------------------------------------------
def test_seeds() -> None:
    assert check_seed("seed", np.int32(3)) == 3 and check_seed("seed", None) is None
    with pytest.raises(FunnelValueError, match="seed must be a whole number 0 or more, or None, got -1"):
        check_seed("seed", -1)
    for bad in (True, 1.0, "1"):
        with pytest.raises(FunnelTypeError, match="seed must be a whole number or None"):
            check_seed("seed", bad)


def test_choices() -> None:
    assert check_choice("order", "any", ("ordered", "any")) == "any"
    assert check_choice("version", 2, range(1, 3)) == 2
    with pytest.raises(FunnelValueError, match="version must be one of 1, 2, got True"):
        check_choice("version", True, range(1, 3))
    with pytest.raises(FunnelValueError, match=r"order must be one of 'ordered', 'any', got \['any'\]"):
        check_choice("order", ["any"], ("ordered", "any"))
    with pytest.raises(FunnelTypeError, match=r"order must be one of 'ordered', 'any', got \['any'\]"):
        check_choice("order", ["any"], ("ordered", "any"), type_error=True)
    error = choice_error("audience", "tepid", {"cold": 1, "warm": 2}, also="or an Audience(...)")
    assert isinstance(error, FunnelValueError)
    assert str(error) == "audience must be one of 'cold', 'warm' or an Audience(...), got 'tepid'"


@given(st.floats(allow_nan=False, min_value=-100, max_value=100), st.floats(min_value=0, max_value=5),
       st.floats(min_value=5, max_value=20))
def test_between_accepts_exactly_its_interval(value: float, low: float, high: float) -> None:
    convert = between(low, high)
    if low <= value <= high:
        assert convert("size", value) == value
    else:
        with pytest.raises(FunnelValueError, match=f"^size must be between {low:g} and {high:g}, got "):
            convert("size", value)


# -- converters declared per field -----------------------------------------------------------
@dataclass(frozen=True)
class _Offer:
    name: str
    ask: float = field(default=0.0, metadata=converts(check_score))
    note: str | None = field(default=None, metadata=converts(optional(lambda argument, value: value.upper())))

    def __post_init__(self) -> None:
        convert_fields(self)


def test_converters_run_per_field_and_undeclared_fields_are_kept() -> None:
    offer = _Offer(name=" raw ", ask=3, note="hi")
    assert offer == _Offer(" raw ", 3.0, "HI") and offer.name == " raw " and type(offer.ask) is float
    assert _Offer("x").note is None
    with pytest.raises(FunnelValueError, match="ask must be between 0 and 10, got 11"):
        _Offer("x", ask=11)


def test_models_declare_a_converter_for_every_field() -> None:
    from dataclasses import fields

    from funnel_lib import Audience, ModelParams, Step

    for cls in (Step, Audience, ModelParams):
        undeclared = [f.name for f in fields(cls) if "funnel_lib.convert" not in f.metadata]
        assert undeclared == [], f"{cls.__name__} fields without a declared check: {undeclared}"


# -- the error classes ------------------------------------------------------------------------
@pytest.mark.parametrize("cls, builtin", [(FunnelValueError, ValueError), (FunnelTypeError, TypeError),
                                          (FunnelIndexError, IndexError)])
def test_errors_share_one_public_base_and_keep_their_builtin(cls: type, builtin: type) -> None:
    assert issubclass(cls, FunnelError) and issubclass(cls, builtin)
    assert cls.__module__ == "funnel_lib" and getattr(funnel_lib, cls.__name__) is cls
    error = cls("ask must be between 0 and 10, got 12")
    assert type(pickle.loads(pickle.dumps(error))) is cls  # errors cross process boundaries (grading workers)


def test_error_class_examples_run() -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for cls in (FunnelError, FunnelValueError, FunnelTypeError, FunnelIndexError):
        (test,) = doctest.DocTestFinder().find(cls, cls.__name__, globs={})
        assert test.examples, cls
        runner.run(test, out=lambda text: None)
    assert runner.summarize(verbose=False).failed == 0


def test_library_errors_are_funnel_errors() -> None:
    from funnel_lib import Audience, Funnel, ModelParams, Stage, Step, simulate

    cases = [lambda: Step("", "entry", ask=1), lambda: Step("A", "checkout", ask=1), lambda: Step("A", 3, ask=1),
             lambda: Audience("x", 3, attention=2), lambda: ModelParams(resistance=-1),
             lambda: Funnel().remove(0), lambda: simulate(Funnel()), lambda: simulate("x"),
             lambda: Stage.coerce("nope"), lambda: Step.from_catalog("teleport")]
    for case in cases:
        with pytest.raises(FunnelError):
            case()
