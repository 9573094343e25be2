"""funnel_lib.events: semantics on hand-made logs, input types, errors and notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from funnel_lib import _events_core as core
from funnel_lib.events import MAX_STEPS, funnel_from_events, time_to_convert

T0 = pd.Timestamp("2024-05-01 09:00")


def make_log(rows: list[tuple[object, float, str]], *, unit: str = "s", tz: str | None = None) -> pd.DataFrame:
    """rows: (user, minutes after T0, event)."""
    times = pd.DatetimeIndex([T0 + pd.Timedelta(m, "min") for _, m, _ in rows], dtype="datetime64[ns]")
    times = times.as_unit(unit)
    if tz:
        times = times.tz_localize(tz)
    return pd.DataFrame({"user_id": [u for u, _, _ in rows], "timestamp": times, "event": [e for _, _, e in rows]})


def users(log: pd.DataFrame, steps: list[str], **kwargs: object) -> list[int]:
    return funnel_from_events(log, steps, **kwargs)["users"].tolist()


# ----------------------------------------------------------------------------- the table

def test_table_columns_types_and_shares() -> None:
    log = make_log([(1, 0, "visit"), (1, 5, "signup"), (1, 65, "buy"),
                    (2, 0, "visit"), (2, 30, "signup"),
                    (3, 0, "visit"), (4, 10, "page_view")])
    table = funnel_from_events(log, ["visit", "signup", "buy"], window="1D")
    assert table.columns.tolist() == ["step", "users", "share_of_first", "share_of_previous", "drop_off",
                                      "median_time", "p90_time"]
    assert table["step"].tolist() == ["visit", "signup", "buy"]
    assert table["users"].tolist() == [3, 2, 1]
    assert table["share_of_first"].tolist() == pytest.approx([1, 2 / 3, 1 / 3])
    assert table["share_of_previous"].tolist() == pytest.approx([1, 2 / 3, 1 / 2])
    assert table["drop_off"].tolist() == [0, 1, 1]
    assert table["median_time"].tolist() == [pd.Timedelta(0), pd.Timedelta(minutes=17.5), pd.Timedelta(minutes=65)]
    assert table["p90_time"].iloc[1] == pd.Timedelta(minutes=27.5)  # linear interpolation of 5 and 30
    assert str(table["median_time"].dtype) == "timedelta64[ns]"
    assert table["users"].dtype == np.int64
    assert table.attrs["notes"] == [] and "note" not in table.columns
    assert table.attrs["order"] == "ordered"


def test_nobody_reaches_a_step_gives_zero_and_nan_shares() -> None:
    log = make_log([(1, 0, "visit"), (1, 5, "buy"), (2, 0, "visit")])
    table = funnel_from_events(log, ["visit", "signup", "buy"])
    assert table["users"].tolist() == [2, 0, 0]
    assert np.isnan(table["share_of_previous"].iloc[2])
    assert pd.isna(table["median_time"].iloc[1])


def test_window_is_inclusive_and_starts_at_the_entry_event() -> None:
    log = make_log([(1, 0, "a"), (1, 60, "b"), (1, 120, "c"), (2, 0, "a"), (2, 61, "b")])
    assert users(log, ["a", "b", "c"], window="2h") == [2, 2, 1]
    assert users(log, ["a", "b", "c"], window="60min") == [2, 1, 0]
    assert users(log, ["a", "b", "c"], window="119min") == [2, 2, 0]
    assert users(log, ["a", "b", "c"], window=None) == [2, 2, 1]


def test_a_later_entry_event_may_start_the_chain() -> None:
    # the first visit is too early for the window, the second one works
    log = make_log([(1, 0, "a"), (1, 60 * 24 * 8, "a"), (1, 60 * 24 * 9, "b"), (1, 60 * 24 * 10, "c")])
    table = funnel_from_events(log, ["a", "b", "c"], window="7D")
    assert table["users"].tolist() == [1, 1, 1]
    assert table["median_time"].iloc[2] == pd.Timedelta(days=2)


def test_time_is_measured_from_the_earliest_entry_of_the_first_completion() -> None:
    log = make_log([(1, 0, "a"), (1, 10, "a"), (1, 20, "b"), (1, 30, "b")])
    assert time_to_convert(log, ["a", "b"])["time_from_entry"].tolist() == [pd.Timedelta(minutes=20)]
    # with a short window only the second entry qualifies
    got = time_to_convert(log, ["a", "b"], window="15min")["time_from_entry"].tolist()
    assert got == [pd.Timedelta(minutes=10)]


def test_equal_timestamps_count_as_in_order() -> None:
    log = make_log([(1, 0, "c"), (1, 0, "b"), (1, 0, "a")])  # rows in reverse order, same time
    for order in ("ordered", "strict", "any"):
        assert users(log, ["a", "b", "c"], order=order) == [1, 1, 1]


def test_out_of_order_events_do_not_count_in_ordered_mode_but_do_in_any() -> None:
    log = make_log([(1, 0, "b"), (1, 5, "a"), (1, 10, "c")])
    assert users(log, ["a", "b", "c"]) == [1, 0, 0]
    assert users(log, ["a", "b", "c"], order="any") == [1, 1, 1]
    assert users(log, ["a", "b", "c"], order="any", window="9min") == [1, 1, 0]


def test_counts_are_users_not_events() -> None:
    log = make_log([(1, m, "a") for m in range(5)] + [(1, 7, "b"), (1, 8, "b")])
    assert users(log, ["a", "b"]) == [1, 1]


def test_strict_mode_other_step_events_interrupt_noise_does_not() -> None:
    rows = [(1, 0, "visit"), (1, 1, "page_view"), (1, 2, "signup"), (1, 3, "scroll"), (1, 4, "buy")]
    assert users(make_log(rows), ["visit", "signup", "buy"], order="strict") == [1, 1, 1]
    # a 'buy' between visit and signup interrupts; so does a repeated signup
    interrupted = [(1, 0, "visit"), (1, 1, "buy"), (1, 2, "signup"), (1, 3, "buy")]
    assert users(make_log(interrupted), ["visit", "signup", "buy"], order="strict") == [1, 0, 0]
    assert users(make_log(interrupted), ["visit", "signup", "buy"]) == [1, 1, 1]
    repeated = [(1, 0, "visit"), (1, 1, "signup"), (1, 2, "signup"), (1, 3, "buy")]
    assert users(make_log(repeated), ["visit", "signup", "buy"], order="strict") == [1, 1, 0]
    # a later entry event restarts the chain
    again = [(1, 0, "visit"), (1, 1, "visit"), (1, 2, "signup")]
    assert users(make_log(again), ["visit", "signup"], order="strict") == [1, 1]


def test_strict_mode_with_ties_is_not_greedy() -> None:
    # a@0, b@0, b@1, c@2: the b at 0 is followed by the b at 1 before c (interrupted), but the
    # chain a@0 -> b@1 -> c@2 has nothing strictly between: strict reaches c.
    log = make_log([(1, 0, "a"), (1, 0, "b"), (1, 1, "b"), (1, 2, "c")])
    assert users(log, ["a", "b", "c"], order="strict") == [1, 1, 1]
    # events at the same time never interrupt each other
    log = make_log([(1, 0, "a"), (1, 1, "b"), (1, 1, "a"), (1, 2, "c")])
    assert users(log, ["a", "b", "c"], order="strict") == [1, 1, 1]


def test_unsorted_input_any_time_unit_and_time_zone_give_the_same_result() -> None:
    rng = np.random.default_rng(3)
    rows = [(int(rng.integers(0, 30)), float(rng.integers(0, 3000)), str(rng.choice(["a", "b", "c", "x"])))
            for _ in range(600)]
    base = funnel_from_events(make_log(rows), ["a", "b", "c"], window="12h")
    for unit in ("s", "ms", "us", "ns"):
        for tz in (None, "UTC", "America/New_York", "Asia/Kolkata"):
            log = make_log(rows, unit=unit, tz=tz)
            shuffled = log.sample(frac=1.0, random_state=1)
            before = shuffled.copy()
            got = funnel_from_events(shuffled, ["a", "b", "c"], window="12h")
            pd.testing.assert_frame_equal(got, base)
            pd.testing.assert_frame_equal(shuffled, before)


def test_time_zones_are_compared_as_instants() -> None:
    paris = pd.Timestamp("2024-05-01 10:00", tz="Europe/Paris")  # 08:00 UTC
    log = pd.DataFrame({"user_id": [1, 1], "event": ["a", "b"],
                        "timestamp": [paris, pd.Timestamp("2024-05-01 08:30", tz="UTC").tz_convert("Europe/Paris")]})
    assert users(log, ["a", "b"], window="31min") == [1, 1]
    assert users(log, ["a", "b"], window="29min") == [1, 0]


def test_window_is_rounded_down_to_the_time_unit() -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b")], unit="s")
    assert users(log, ["a", "b"], window="60999ms") == [1, 1]
    assert users(log, ["a", "b"], window="59999ms") == [1, 0]
    assert users(log, ["a", "b"], window="500ms") == [1, 0]  # only ties fit


@pytest.mark.parametrize("kind", ["str", "object", "category", "large_string[pyarrow]", "string[python]"])
def test_event_column_types(kind: str) -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b"), (2, 0, "a"), (3, 0, "x")])
    dtype = {"str": "str", "object": object, "category": "category",
             "large_string[pyarrow]": pd.ArrowDtype(pa.large_string()), "string[python]": pd.StringDtype("python")}[kind]
    log["event"] = log["event"].astype(dtype)
    assert users(log, ["a", "b"]) == [2, 1]


def test_missing_event_names_are_ignored() -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b"), (2, 0, "a")])
    log.loc[1, "event"] = None
    assert users(log, ["a", "b"]) == [2, 0]
    log["event"] = log["event"].astype("category")
    assert users(log, ["a", "b"]) == [2, 0]


def test_categorical_events_with_unused_categories_and_integer_event_codes() -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b")])
    log["event"] = pd.Categorical(log["event"], categories=["z", "b", "a", "c"])
    table = funnel_from_events(log, ["a", "b", "c"])
    assert table["users"].tolist() == [1, 1, 0]
    assert "'c' never occurs" in table["note"].iloc[2]
    codes = pd.DataFrame({"user_id": [1, 1], "timestamp": log["timestamp"], "event": [10, 20]})
    assert users(codes, [10, 20]) == [1, 1]


def test_multi_chunk_arrow_event_column() -> None:
    chunks = pa.chunked_array([pa.array(["a", "x"]), pa.array(["x", "x"]), pa.array([], pa.string()),
                               pa.array(["b", None])])
    log = pd.DataFrame({"user_id": [1, 1, 1, 1, 1, 1],
                        "timestamp": pd.date_range("2024-01-01", periods=6, freq="min"),
                        "event": pd.Series(pd.arrays.ArrowExtensionArray(chunks))})
    assert users(log, ["a", "b"]) == [1, 1]
    only_noise = log.assign(event=pd.Series(pd.arrays.ArrowExtensionArray(
        pa.chunked_array([pa.array(["x", "y", "z"]), pa.array(["x", "y", "z"])]))))
    assert users(only_noise, ["a", "b"]) == [0, 0]


@pytest.mark.parametrize("kind", ["int64", "uint8", "str", "category", "Int64", "float", "wide-int", "huge-int"])
def test_user_column_types(kind: str) -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b"), (2, 0, "a"), (3, 2, "b")])
    if kind == "str":
        log["user_id"] = "user-" + log["user_id"].astype(str)
    elif kind == "huge-int":  # a range too wide for direct codes
        log["user_id"] = log["user_id"] * (2**50) - 2**60
    elif kind == "wide-int":  # direct codes wider than 32 bits
        log["user_id"] = log["user_id"] * (2**33) + 5
    else:
        log["user_id"] = log["user_id"].astype({"float": "float64"}.get(kind, kind))
    assert users(log, ["a", "b"]) == [2, 1]
    out = time_to_convert(log, ["a", "b"])
    assert out["user_id"].tolist() == [log["user_id"].iloc[0]]


def test_arrow_timestamp_column() -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b")])
    log["timestamp"] = log["timestamp"].astype(pd.ArrowDtype(pa.timestamp("ms", tz="UTC")))
    assert users(log, ["a", "b"], window="1min") == [1, 1]


def test_by_takes_the_value_on_the_users_earliest_entry_event() -> None:
    log = make_log([(1, 5, "a"), (1, 0, "a"), (1, 6, "b"), (2, 0, "a"), (3, 0, "b")])
    log["channel"] = ["late", "early", "other", "early", "never-entered"]
    table = funnel_from_events(log, ["a", "b"], by="channel")
    assert table.columns[0] == "channel"
    assert table[["channel", "step", "users"]].values.tolist() == [["early", "a", 2], ["early", "b", 1]]
    assert table["share_of_first"].tolist() == [1.0, 0.5]


def test_by_with_simultaneous_events_in_reverse_step_order() -> None:
    log = make_log([(1, 0, "b"), (1, 0, "a"), (2, 0, "a"), (2, 0, "a")])
    log["channel"] = ["x", "first-entry", "second", "third"]
    table = funnel_from_events(log, ["a", "b"], by="channel")
    assert table[["channel", "step", "users"]].values.tolist() == [
        ["first-entry", "a", 1], ["first-entry", "b", 1], ["second", "a", 1], ["second", "b", 0]]


def test_by_keeps_missing_values_and_categories() -> None:
    log = make_log([(1, 0, "a"), (1, 1, "b"), (2, 0, "a"), (3, 0, "a")])
    log["segment"] = pd.Categorical(["x", "x", None, "y"], categories=["y", "x"])
    table = funnel_from_events(log, ["a", "b"], by="segment")
    assert isinstance(table["segment"].dtype, pd.CategoricalDtype)
    assert table["segment"].tolist()[:4] == ["y", "y", "x", "x"]
    assert pd.isna(table["segment"].iloc[4])
    assert table["users"].tolist() == [1, 0, 1, 1, 1, 0]
    times = time_to_convert(log, ["a", "b"], by="segment")
    assert times["segment"].tolist() == ["x"]


def test_by_on_an_empty_log() -> None:
    log = make_log([(1, 0, "x")])
    log["segment"] = ["s"]
    table = funnel_from_events(log, ["a", "b"], by="segment")
    assert len(table) == 0 and table.columns[0] == "segment"


def test_time_to_convert_long_format_matches_the_table() -> None:
    rng = np.random.default_rng(5)
    rows = [(int(rng.integers(0, 50)), float(rng.integers(0, 2000)), str(rng.choice(["a", "b", "c"])))
            for _ in range(500)]
    log = make_log(rows)
    table = funnel_from_events(log, ["a", "b", "c"], window="1D")
    times = time_to_convert(log, ["a", "b", "c"], window="1D")
    assert times.columns.tolist() == ["user_id", "step", "step_number", "time_from_entry"]
    assert times["step"].cat.categories.tolist() == ["a", "b", "c"] and times["step"].cat.ordered
    counts = times.groupby("step", observed=False).size()
    assert counts.tolist() == [0, *table["users"].iloc[1:].tolist()]
    for k, name in [(1, "b"), (2, "c")]:
        got = times.loc[times["step"] == name, "time_from_entry"]
        assert got.median() == table["median_time"].iloc[k]
        assert (got >= pd.Timedelta(0)).all() and (got <= pd.Timedelta("1D")).all()


def test_a_funnel_object_can_be_passed_as_steps() -> None:
    from funnel_lib.model import Funnel, Step

    funnel = Funnel([Step("Watch", "entry", ask=1), Step("Buy", "conversion", ask=7)])
    log = make_log([(1, 0, "Watch"), (1, 1, "Buy")])
    assert users(log, funnel) == [1, 1]


# ----------------------------------------------------------------------------- notes for steps never seen

def test_step_never_seen_is_zero_with_a_note_and_suggestion() -> None:
    log = make_log([(1, 0, "visit"), (1, 1, "checkout"), (2, 0, "visit")])
    table = funnel_from_events(log, ["visit", "chekout"])
    assert table["users"].tolist() == [2, 0]
    note = table["note"].iloc[1]
    assert note == ("step 'chekout' never occurs in column 'event', so nobody reaches it; "
                    "did you mean 'checkout'?")
    assert table["note"].iloc[0] == ""
    assert table.attrs["notes"] == [note]


def test_note_suggests_across_case_and_separators_or_lists_events() -> None:
    log = make_log([(1, 0, "Add_To_Cart"), (1, 1, "visit")])
    note = funnel_from_events(log, ["visit", "add to cart"]).attrs["notes"][0]
    assert "did you mean 'Add_To_Cart'?" in note
    note = funnel_from_events(log, ["visit", "zzzz"]).attrs["notes"][0]
    assert note.endswith("events present include 'Add_To_Cart', 'visit'")
    assert "never occurs" in time_to_convert(log, ["visit", "zzzz"]).attrs["notes"][0]


# ----------------------------------------------------------------------------- errors

@pytest.fixture
def log() -> pd.DataFrame:
    return make_log([(1, 0, "a"), (1, 1, "b"), (2, 0, "a")])


def test_error_not_a_dataframe() -> None:
    with pytest.raises(TypeError, match=r"events must be a pandas DataFrame \(one row per event\), got list"):
        funnel_from_events([1, 2], ["a"])


def test_error_missing_column_names_it_and_lists_columns(log: pd.DataFrame) -> None:
    renamed = log.rename(columns={"user_id": "uid", "timestamp": "ts", "event": "name"})
    with pytest.raises(ValueError) as info:
        funnel_from_events(renamed, ["a"], time="ts", event="name")
    assert str(info.value).startswith("events is missing column 'user_id'; columns present: ['uid', 'ts', 'name']")
    assert "user=" in str(info.value)
    with pytest.raises(ValueError, match=r"missing columns 'user_id', 'timestamp'; columns present"):
        funnel_from_events(renamed, ["a"], event="name")
    with pytest.raises(ValueError, match=r"missing column 'channel'.*by="):
        funnel_from_events(log, ["a"], by="channel")


def test_error_bad_column_argument_and_duplicated_columns(log: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match=r"user must be a column name, got \['user_id'\]"):
        funnel_from_events(log, ["a"], user=["user_id"])  # type: ignore[arg-type]
    doubled = pd.concat([log, log[["event"]]], axis=1)
    with pytest.raises(ValueError, match=r"duplicated column names \['event'\]"):
        funnel_from_events(doubled, ["a"])


def test_missing_users_are_left_out_with_a_note(log: pd.DataFrame) -> None:
    bad = log.astype({"user_id": "Int64"})
    bad.loc[[0, 2], "user_id"] = pd.NA
    table = funnel_from_events(bad, ["a", "b"])
    assert table["users"].tolist() == [0, 0]  # user 1's visit and user 2's only event are gone
    assert "2 events with no user (missing 'user_id') were left out" in table.attrs["notes"]
    text = log.astype({"user_id": object})
    text.loc[0, "user_id"] = None
    assert users(text, ["a", "b"]) == [1, 0]


def test_missing_times_on_other_rows_are_ignored_with_a_note(log: pd.DataFrame) -> None:
    noisy = pd.concat([log, pd.DataFrame({"user_id": [1], "timestamp": [pd.NaT], "event": ["page_view"]})],
                      ignore_index=True)
    table = funnel_from_events(noisy, ["a", "b"])
    assert table["users"].tolist() == [2, 1]
    assert "1 event with no time (missing 'timestamp') was ignored: none of them is a funnel step" in table.attrs[
        "notes"]
    assert "note" not in table.columns  # the per-step note column is for steps nobody reaches
    arrow = noisy.assign(timestamp=noisy["timestamp"].astype(pd.ArrowDtype(pa.timestamp("s"))))
    assert users(arrow, ["a", "b"]) == [2, 1]


def test_error_missing_time_on_a_funnel_event_says_how_many_rows(log: pd.DataFrame) -> None:
    bad = log.copy()
    bad.loc[1, "timestamp"] = pd.NaT
    with pytest.raises(ValueError, match=r"column 'timestamp' \(time=\) has 1 missing value \(row 1\); drop"):
        funnel_from_events(bad, ["a", "b"])
    many = make_log([(1, m, "a") for m in range(7)])
    many["timestamp"] = pd.NaT
    with pytest.raises(ValueError, match=r"has 7 missing values \(rows 0, 1, 2, 3, 4, \.\.\.\)"):
        funnel_from_events(many, ["a"])
    arrow_time = log.assign(timestamp=log["timestamp"].astype(pd.ArrowDtype(pa.timestamp("s"))))
    arrow_time.loc[0, "timestamp"] = None
    with pytest.raises(ValueError, match=r"1 missing value"):
        funnel_from_events(arrow_time, ["a"])


def test_error_unhashable_user_values(log: pd.DataFrame) -> None:
    bad = log.astype({"user_id": object})
    bad["user_id"] = [[1], [1], [2]]
    with pytest.raises(TypeError, match=r"column 'user_id' \(user=\) must hold user ids .* got the list \[1\] "
                                        r"at row 0; user ids must be hashable"):
        funnel_from_events(bad, ["a"])


@pytest.mark.parametrize("column, steps, message", [
    ([1, 2, 1], ["a"], r"column 'event' \(event=\) holds number values \(dtype int64\) but step 1 is the str 'a'"),
    (["1", "2", "1"], [1], r"holds string values \(dtype str\) but step 1 is the int 1, which can never match"),
    (pd.Categorical([1, 2, 1]), [1, "b"], r"holds number values \(dtype int64\) but step 2 is the str 'b'"),
])
def test_error_event_type_cannot_match_the_steps(log: pd.DataFrame, column: object, steps: list,
                                                 message: str) -> None:
    with pytest.raises(TypeError, match=message):
        funnel_from_events(log.assign(event=column), steps)


def test_numbers_match_a_numeric_event_column(log: pd.DataFrame) -> None:
    assert users(log.assign(event=[1, 2, 1]), [1, 2]) == [2, 1]
    assert users(log.assign(event=pd.Series(["a", 2, "a"], dtype=object)), ["a", 2]) == [2, 1]


@pytest.mark.parametrize("window, message", [
    ("-1D", r"window must be a positive duration, got '-1D'"),
    ("0s", r"window must be a positive duration, got '0s'"),
    (pd.Timedelta(0), r"window must be a positive duration"),
    ("seven days", r"window must be a positive duration such as '7D'.*got 'seven days'"),
    (7, r"got the number 7 \(a duration needs a unit\)"),
    ([7], r"window must be .* got \[7\] \(list\)"),
    (pd.NaT, r"window must be a positive duration.*got NaT"),
    (np.timedelta64("NaT"), r"window must be a positive duration, got np.timedelta64\(.NaT.\)"),
    ("1000000D", r"window '1000000D' is longer than the longest duration pandas can hold .*pass window=None"),
    (np.timedelta64(2**62, "s"), r"is longer than the longest duration .*for no time limit pass window=None"),
])
def test_error_window(log: pd.DataFrame, window: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        funnel_from_events(log, ["a"], window=window)  # type: ignore[arg-type]


def test_window_accepts_timedelta_kinds(log: pd.DataFrame) -> None:
    from datetime import timedelta

    for window in ("90s", pd.Timedelta(seconds=90), timedelta(seconds=90), np.timedelta64(90, "s")):
        assert users(log, ["a", "b"], window=window) == [2, 1]


@pytest.mark.parametrize("steps, error, message", [
    ([], ValueError, "steps must list at least one event name, got an empty list"),
    ("a", TypeError, r"got the single string 'a'; write \['a'\] for a one-step funnel"),
    (["a", None], TypeError, r"steps\[1\] must be an event name, got None"),
    (["a", float("nan")], TypeError, r"steps\[1\] must be an event name, got nan"),
    ([["a"]], TypeError, r"steps\[0\] must be an event name"),
    (5, TypeError, r"steps must be a list of event names, entry step first, got 5 \(int\)"),
    ([f"s{i}" for i in range(MAX_STEPS + 1)], ValueError, r"at most 64 event names, got 65"),
    ({"a", "b"}, TypeError, r"steps must be an ordered list of event names, entry step first, got a set"),
    (frozenset({"a"}), TypeError, r"got a frozenset, whose order is arbitrary"),
    ({"a": 1, "b": 2}.keys(), TypeError, r"got a dict_keys"),
    ({1: "a", 2: "b"}.values(), TypeError, r"got a dict_values"),
])
def test_error_steps(log: pd.DataFrame, steps: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        funnel_from_events(log, steps)


def test_steps_may_be_an_array_or_series(log: pd.DataFrame) -> None:
    assert users(log, np.array(["a", "b"])) == [2, 1]
    assert users(log, pd.Series(["a", "b"])) == [2, 1]


def test_error_order(log: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"order must be one of 'ordered', 'strict', 'any', got 'loose'"):
        funnel_from_events(log, ["a"], order="loose")  # type: ignore[arg-type]


def test_error_time_column_not_datetime(log: pd.DataFrame) -> None:
    seconds = log.assign(timestamp=np.arange(3))
    with pytest.raises(TypeError, match=r"must hold datetimes, got dtype int64; .*unit='s'"):
        funnel_from_events(seconds, ["a"])
    text = log.assign(timestamp=["2024-01-01"] * 3)
    with pytest.raises(TypeError, match=r"must hold datetimes, got dtype str; .*utc=True"):
        funnel_from_events(text, ["a"])


# ----------------------------------------------------------------------------- the parallel path

def random_log(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "user_id": rng.integers(0, n // 8, n),
        "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
        "event": rng.choice(["a", "b", "c", "d", "noise"], n),
        "segment": rng.choice(["s1", "s2", "s3"], n),
    })


@pytest.mark.parametrize("order", ["ordered", "strict", "any", "repeated"])
def test_parallel_parts_give_the_same_results(monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    log = random_log(20_000, 11)
    steps = ["a", "b", "c", "d"] if order != "repeated" else ["a", "b", "b", "a"]
    order = "ordered" if order == "repeated" else order
    monkeypatch.setattr(core, "workers", lambda: 1)
    one = funnel_from_events(log, steps, window="2D", order=order, by="segment")
    one_times = time_to_convert(log, steps, window="2D", order=order, by="segment")
    monkeypatch.setattr(core, "workers", lambda: 3)
    monkeypatch.setattr(core, "PARALLEL_MIN_EVENTS", 100)  # rows of the whole log
    pd.testing.assert_frame_equal(funnel_from_events(log, steps, window="2D", order=order, by="segment"), one)
    pd.testing.assert_frame_equal(time_to_convert(log, steps, window="2D", order=order, by="segment"), one_times)
    single = log.assign(user_id=7)  # one user: a single part
    assert funnel_from_events(single, steps, order=order)["users"].tolist()[0] == 1
    for ids in (log["user_id"] * 2**50 - 2**60, "u" + log["user_id"].astype(str), log["user_id"].astype("category"),
                log["user_id"].astype("uint64") + np.uint64(2**63)):
        other = log.assign(user_id=ids)
        got = funnel_from_events(other, steps, window="2D", order=order, by="segment")
        pd.testing.assert_frame_equal(got, one)


def test_engine_gives_the_same_result_on_any_split_into_chunks_and_parts() -> None:
    rng = np.random.default_rng(2)
    n = 400
    user = rng.integers(0, 30, n)
    time = np.sort(rng.integers(0, 10**6, n))
    step = rng.integers(0, 3, n).astype(np.int8)
    rows = np.arange(n, dtype=np.uint32)

    def read(at: np.ndarray) -> np.ndarray:
        return user[at].astype(np.int64)

    def chunked(bounds: list[int], parts: int) -> list[core.Chunk]:
        table = core.PartTable.from_sample(user, 0, 5, parts)
        return [core.Chunk(core.split_by_part(rows[a:b], step[a:b], table.of(user[a:b]), parts), np.zeros(3, np.int64))
                for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    for order in ("ordered", "strict", "any"):
        whole, whole_rows = core.run(chunked([0, n], 1), read, time, 5, 3, 10**5, order, need_rows=True)
        split, split_rows = core.run(chunked([0, 150, 151, n], 5), read, time, 5, 3, 10**5, order,
                                     need_rows=True, threads=2)
        assert [r.users.tolist() for r in whole] == [r.users.tolist() for r in split]
        assert [r.durations.tolist() for r in whole] == [r.durations.tolist() for r in split]
        assert whole_rows.tolist() == split_rows.tolist()


def test_parallel_path_with_no_step_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "workers", lambda: 3)
    monkeypatch.setattr(core, "PARALLEL_MIN_EVENTS", 1)
    log = make_log([(u, u, "x") for u in range(20)])
    for frame in (log, log.assign(user_id="u" + log["user_id"].astype(str))):
        for order in ("ordered", "strict", "any"):
            assert users(frame, ["a", "b"], order=order) == [0, 0]
            assert len(time_to_convert(frame, ["a", "b"], order=order)) == 0


def test_threads_follow_the_cpus_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process pinned to one CPU (taskset, a container's cpuset) gets one thread, a big server at most 8."""
    for allowed, threads in (({0}, 1), ({0, 1}, 2), ({3, 5, 7}, 3), (set(range(64)), 8)):
        monkeypatch.setattr(core.os, "sched_getaffinity", lambda pid, cpus=allowed: cpus)
        monkeypatch.setattr(core.os, "cpu_count", lambda: 64)  # the machine's count must not leak in
        assert core.workers() == threads, allowed


def test_parallel_map_runs_items_side_by_side_and_keeps_their_order() -> None:
    import threading

    seen: list[int] = []
    for n in (2, 3):  # two items on two threads already run side by side
        meeting = threading.Barrier(n, timeout=30)  # passes only when n items run at the same time

        def meet(item: int, meeting: threading.Barrier = meeting) -> int:
            meeting.wait()
            seen.append(threading.get_ident())
            return item * 10

        seen.clear()
        assert core.parallel_map(meet, range(1, n + 1), n) == [10 * i for i in range(1, n + 1)]
        assert len(set(seen)) == n and threading.get_ident() not in seen
    seen.clear()
    assert core.parallel_map(lambda item: seen.append(threading.get_ident()) or -item, range(4), 1) == [0, -1, -2, -3]
    assert set(seen) == {threading.get_ident()}  # one thread: the caller's own, no pool


def test_part_table_cuts_users_into_contiguous_balanced_ranges() -> None:
    rng = np.random.default_rng(5)
    values = rng.integers(10**12, 10**12 + 2**30, 20_000).astype(np.uint64)
    table = core.PartTable.from_sample(values, 10**12, 30, 8)
    part = table.of(values)
    ranked = part[np.argsort(values, kind="stable")]
    assert (np.diff(ranked.astype(np.int64)) >= 0).all()  # contiguous ranges of users, in part order
    sizes = np.bincount(part, minlength=8)
    assert sizes.size == 8 and sizes.min() > 0.8 * values.size / 8


@pytest.mark.parametrize("order", ["ordered", "any"])
def test_vectorised_repeated_steps_match_the_per_user_loop(order: str) -> None:
    vectorised_engine = {"ordered": core.repeated_ordered, "any": core.repeated_any}[order]
    rng = np.random.default_rng(11)
    for _ in range(400):
        n = int(rng.integers(0, 30))
        plan = rng.integers(0, 3, int(rng.integers(2, 6))).tolist()  # name indices; some repeat
        n_names = max(plan) + 1
        step = rng.integers(0, n_names, n).astype(np.int8)
        s = core.sort_by_user_time(rng.integers(0, 4, n), 3, rng.integers(0, 12, n), step, None)
        window = int(rng.integers(0, 14))
        loop = core.repeated(s, plan, window, order)
        vectorised = vectorised_engine(s, plan, window)
        assert [r.users.tolist() for r in loop] == [r.users.tolist() for r in vectorised]
        assert [r.durations.tolist() for r in loop] == [r.durations.tolist() for r in vectorised]


def test_big_log_takes_little_memory_beyond_the_frame() -> None:
    """numpy's allocations (which tracemalloc sees) peak well under half of the frame: no copy of a
    column and no per-row temporaries are kept (they peaked at 0.64x the frame before, here)."""
    import tracemalloc

    rng = np.random.default_rng(3)
    n = 1_200_000  # above PARALLEL_MIN_EVENTS: the parts path
    log = pd.DataFrame({
        "user_id": rng.integers(0, n // 10, n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 30 * 86400, n)), unit="s"),
        "event": pd.Categorical.from_codes(rng.integers(0, 6, n), ["visit", "signup", "buy", "a", "b", "c"]),
    })
    steps = ["visit", "signup", "buy"]
    expected = funnel_from_events(log, steps)
    tracemalloc.start()
    try:
        got = funnel_from_events(log, steps)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    pd.testing.assert_frame_equal(got, expected)
    assert peak < 0.4 * log.memory_usage(deep=True).sum()


def test_repeated_step_names_use_each_event_once() -> None:
    log = make_log([(1, 0, "fail"), (1, 5, "fail"), (1, 9, "ok"),   # fail -> fail -> ok
                    (2, 0, "fail"), (2, 9, "ok"),                   # one failure only
                    (3, 0, "fail"), (3, 0, "fail"), (3, 0, "ok")])  # ties: two distinct events at one time
    steps = ["fail", "fail", "ok"]
    assert users(log, steps) == [3, 2, 2]
    assert users(log, steps, order="strict") == [3, 2, 2]
    assert users(log, steps, order="any") == [3, 2, 2]
    table = funnel_from_events(log, steps)
    assert table["step"].tolist() == steps
    assert table["median_time"].tolist() == [pd.Timedelta(0), pd.Timedelta(minutes=2.5), pd.Timedelta(minutes=4.5)]
    times = time_to_convert(log, steps)
    assert times["step"].cat.categories.tolist() == ["fail (step 1)", "fail (step 2)", "ok"]
    # strict: a third failure between the second and the success interrupts
    interrupted = make_log([(1, 0, "fail"), (1, 1, "fail"), (1, 2, "fail"), (1, 3, "ok")])
    assert users(interrupted, ["fail", "fail", "ok"], order="strict") == [1, 1, 1]  # chain from the 2nd failure
    assert users(interrupted, ["fail", "ok", "fail"], order="strict") == [1, 1, 0]
