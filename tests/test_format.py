"""The shared formatting (funnel_lib._format) and chart data (funnel_lib._chart_data): one home, used everywhere."""

from __future__ import annotations

import math
import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from funnel_lib._chart_data import label_offsets, ladder_data, ladder_top
from funnel_lib._format import ELLIPSIS, pair_names, pct, short
from funnel_lib.examples import EXAMPLES, get_example
from funnel_lib.simulate import simulate
from funnel_lib.thresholds import DEFAULT_THRESHOLDS


@given(st.floats(min_value=0.0, max_value=1.0))
def test_pct_reads_as_a_percentage_close_to_the_share(share: float) -> None:
    text = pct(share)
    if share == 0:
        assert text == "0.0%"
    elif share < 0.000005:
        assert text == "<0.001%"
    else:
        match = re.fullmatch(r"(\d+(?:\.\d+)?(?:e-0\d)?)%", text)
        assert match, text
        shown = float(match.group(1)) / 100
        assert math.isclose(shown, share, rel_tol=0.06, abs_tol=0.0005), (share, text)


@given(st.text(max_size=80), st.integers(min_value=1, max_value=60))
def test_short_never_passes_the_limit_and_marks_a_cut(text: str, limit: int) -> None:
    out = short(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith(ELLIPSIS) and text.startswith(out[:-1])


def test_pair_names_tell_equal_names_apart() -> None:
    assert pair_names("ladder", "ladder") == ("ladder (A)", "ladder (B)")
    assert pair_names("", "", ("Design A", "Design B")) == ("Design A", "Design B")
    assert pair_names("big ask", "ladder") == ("big ask", "ladder")


def test_label_offsets_part_only_labels_that_would_touch() -> None:
    assert label_offsets([(3, 0.2), (3, 0.25)]) == [-7.0, 7.0]  # the higher end is labelled above
    assert label_offsets([(3, 0.2), (3, 0.5)]) == [0.0, 0.0]
    assert label_offsets([(3, 0.2), (4, 0.21)]) == [0.0, 0.0]


def test_the_fit_band_contains_readiness_and_the_axis_holds_it() -> None:
    for name in EXAMPLES:
        data = ladder_data(simulate(get_example(name)), DEFAULT_THRESHOLDS)
        known = data.known
        assert np.all(data.low[known] <= data.readiness[known]) and np.all(data.readiness[known] < data.high[known])
        assert np.all(data.low[known] >= 0)
        top = ladder_top(data)
        assert top in (12.0, 16.0, 20.0, 24.0)
        assert top >= min(24.0, float(np.max(data.ask)) + 0.5)
