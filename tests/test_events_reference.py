"""funnel_from_events agrees exactly with a slow, obviously correct reference (hypothesis).

The reference enumerates every combination of events straight from the definitions in
``funnel_lib.events`` (ordered, strict, any): nothing clever, so it is easy to trust. Random
small logs stress ties (few distinct timestamps), several entry events per user, events outside
the window, repeated events, noise events, shuffled rows, time units and time zones.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from funnel_lib.events import funnel_from_events, time_to_convert

STEP_POOL = ["a", "b", "c", "d"]
NAMES = STEP_POOL + ["x", "y"]  # x, y: noise events that are never steps
BASE = pd.Timestamp("2024-03-30 22:00:00")  # across a DST change in Europe/Paris


def reference(log: list[tuple[int, int, str]], steps: list[str], window: int, order: str
              ) -> tuple[list[int], list[list[int]]]:
    """Users reaching each step, and each reaching user's time from entry (first completion).

    Step names may repeat: a chain picks distinct events (by position), never one event twice.

    ``log`` rows are (user, time, event) with integer times; returns counts and, per step,
    the sorted list of durations.
    """
    users = sorted({u for u, _, _ in log})
    counts = [0] * len(steps)
    durations: list[list[int]] = [[] for _ in steps]
    step_names = set(steps)
    for u in users:
        mine = [(t, e) for uu, t, e in log if uu == u]
        funnel_times = [t for t, e in mine if e in step_names]
        for k in range(1, len(steps) + 1):
            # events by position, so that a repeated step name never uses one event twice
            options = [[i for i, (t, e) in enumerate(mine) if e == steps[j]] for j in range(k)]
            best: tuple[int, int] | None = None  # (completion, -start) minimised -> earliest, then earliest start
            for picked in itertools.product(*options):
                if len(set(picked)) < k:
                    continue
                chain = [mine[i][0] for i in picked]
                if order in ("ordered", "strict"):
                    if any(chain[i] > chain[i + 1] for i in range(k - 1)):
                        continue
                    if chain[-1] - chain[0] > window:
                        continue
                    if order == "strict" and any(
                            chain[i] < t < chain[i + 1] for i in range(k - 1) for t in funnel_times):
                        continue
                    done, begin = chain[-1], chain[0]
                else:
                    if max(chain) - min(chain) > window:
                        continue
                    done, begin = max(chain), min(chain)
                if best is None or (done, begin) < best:
                    best = (done, begin)
            if best is None:
                break
            counts[k - 1] += 1
            durations[k - 1].append(best[0] - best[1])
    return counts, [sorted(d) for d in durations]


UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


@st.composite
def logs(draw: st.DrawFn) -> dict:
    n_steps = draw(st.integers(1, 4))
    steps = STEP_POOL[:n_steps]
    rows: list[tuple[int, int, str]] = []
    for u in range(draw(st.integers(1, 3))):
        # a few events at random: repeats, noise, other names, ties
        for t, e in draw(st.lists(st.tuples(st.integers(0, 11), st.sampled_from(steps * 2 + NAMES)), max_size=6)):
            rows.append((u, t, e))
        # and some planted journeys through the funnel, so that deep chains are common
        for _ in range(draw(st.integers(0, 2))):
            t = draw(st.integers(0, 8))
            for name in steps[: draw(st.integers(1, n_steps))]:
                t += draw(st.sampled_from([0, 0, 1, 2, 3]))
                rows.append((u, t, name))
    window = draw(st.integers(0, 8))
    unit = draw(st.sampled_from(list(UNITS)))
    tz = draw(st.sampled_from([None, "UTC", "Europe/Paris"]))
    event_kind = draw(st.sampled_from(["str", "category", "object"]))
    user_kind = draw(st.sampled_from(["int", "str"]))
    shuffle_seed = draw(st.integers(0, 2**16))
    extra_ms = draw(st.sampled_from([1, 500, 999])) if window == 0 else draw(st.sampled_from([0, 1, 999]))
    return {"steps": STEP_POOL[:n_steps], "rows": rows, "window": window, "unit": unit, "tz": tz,
            "event_kind": event_kind, "user_kind": user_kind, "seed": shuffle_seed, "extra_ms": extra_ms}


@st.composite
def dense_logs(draw: st.DrawFn) -> dict:
    """One or two users, only step names, few distinct timestamps: ties and repeats everywhere."""
    n_steps = draw(st.integers(2, 4))
    steps = STEP_POOL[:n_steps]
    rows = draw(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 4), st.sampled_from(steps)), max_size=10))
    return {"steps": steps, "rows": rows, "window": draw(st.integers(0, 4)), "unit": "s", "tz": None,
            "event_kind": "str", "user_kind": "int", "seed": draw(st.integers(0, 2**16)),
            "extra_ms": draw(st.sampled_from([1, 999]))}


def to_frame(case: dict) -> pd.DataFrame:
    rows = list(case["rows"])
    np.random.default_rng(case["seed"]).shuffle(rows)
    step = pd.Timedelta(1, "s")  # one time unit of the reference is one second
    times = pd.DatetimeIndex([BASE + t * step for _, t, _ in rows], dtype="datetime64[ns]").as_unit(case["unit"])
    if case["tz"]:
        times = times.tz_localize("UTC").tz_convert(case["tz"])
    events = [e for _, _, e in rows]
    frame = pd.DataFrame({
        "user_id": [u for u, _, _ in rows] if case["user_kind"] == "int" else [f"user-{u}" for u, _, _ in rows],
        "timestamp": times,
        "event": pd.Series(events, dtype={"str": "str", "category": "category", "object": object}[case["event_kind"]]),
    })
    return frame


def check(case: dict, order: str) -> None:
    frame = to_frame(case)
    before = frame.copy(deep=True)
    # a fraction of a second on top never changes the outcome (times are whole seconds), and
    # keeps the window positive when it is 0 whole seconds (then only ties fit in it)
    window = pd.Timedelta(case["window"], "s") + pd.Timedelta(case["extra_ms"], "ms")
    expected_counts, expected_durations = reference(case["rows"], case["steps"], case["window"], order)
    table = funnel_from_events(frame, case["steps"], window=window, order=order)
    event(f"{order}: users reaching the last of {len(case['steps'])} steps: {min(expected_counts[-1], 2)}")
    if order != "ordered":
        differs = expected_counts != reference(case["rows"], case["steps"], case["window"], "ordered")[0]
        event(f"{order}: differs from ordered: {differs}")
    assert table["users"].tolist() == expected_counts
    times = time_to_convert(frame, case["steps"], window=window, order=order)
    for k in range(1, len(case["steps"])):
        got = times.loc[times["step_number"] == k + 1, "time_from_entry"] / pd.Timedelta(1, "s")
        assert sorted(got.tolist()) == expected_durations[k]
    for k in range(len(case["steps"])):
        durations = expected_durations[k]
        if durations:
            assert table["median_time"].iloc[k] / pd.Timedelta(1, "s") == pytest.approx(np.median(durations))
        else:
            assert pd.isna(table["median_time"].iloc[k])
    pd.testing.assert_frame_equal(frame, before)  # never mutates the caller's frame


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(logs())
def test_ordered_matches_reference(case: dict) -> None:
    check(case, "ordered")


@SETTINGS
@given(logs())
def test_strict_matches_reference(case: dict) -> None:
    check(case, "strict")


@SETTINGS
@given(logs())
def test_any_matches_reference(case: dict) -> None:
    check(case, "any")


@SETTINGS
@given(dense_logs(), st.sampled_from(["ordered", "strict", "any"]))
def test_ties_and_repeats_match_reference(case: dict, order: str) -> None:
    check(case, order)


@st.composite
def repeated_logs(draw: st.DrawFn) -> dict:
    """Funnels that repeat a step name (failure -> failure -> success), with ties and noise."""
    steps = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=4).filter(
        lambda s: len(set(s)) < len(s)))
    rows = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5), st.sampled_from(["a", "b", "c", "x"])),
                         max_size=9))
    return {"steps": steps, "rows": rows, "window": draw(st.integers(0, 5)), "unit": "s", "tz": None,
            "event_kind": draw(st.sampled_from(["str", "category"])), "user_kind": "int",
            "seed": draw(st.integers(0, 2**16)), "extra_ms": draw(st.sampled_from([1, 999]))}


@SETTINGS
@given(repeated_logs(), st.sampled_from(["ordered", "strict", "any"]))
def test_repeated_step_names_match_reference(case: dict, order: str) -> None:
    check(case, order)
