"""funnel_lib.sql and funnel_lib.warehouse: the generated SQL gives exactly funnel_from_events'
results, in all three modes, with repeated step names, run for real on chDB and DuckDB.

Thousands of small random logs are checked per query: each log's users get their own id range
(log number * 10 + user), so one query over the concatenation answers every log at once, and the
comparison is per user and step (reached or not, and the time from entry), not only in total.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from funnel_lib.events import funnel_from_events, time_to_convert
from funnel_lib.sql import CLICKHOUSE_MAX_STEPS, _build, funnel_sql
from funnel_lib.warehouse import funnel_from_sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ci_rules import import_or_skip  # noqa: E402

_CI_HAS_IT = "CI installs the `sql` extra, so a missing engine is a failure there"
duckdb = import_or_skip("duckdb", "duckdb (the `sql` extra) is not installed", _CI_HAS_IT)
chdb = import_or_skip("chdb", "chdb (embedded ClickHouse, the `sql` extra) is not installed", _CI_HAS_IT)

STEPS = ["visit", "sign'up", "activate", "buy"]  # a quote in a name: literals must be escaped
NOISE = ["page_view", "scroll"]


def batch_of_logs(seed: int, n_logs: int, steps: list[str], base: str = "2024-02-01") -> pd.DataFrame:
    """``n_logs`` independent logs of 1-3 users and 0-9 events, over few distinct seconds (ties
    everywhere), some a nanosecond apart; users are ``log * 10 + user``; a few users are missing."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 10, n_logs)
    n = int(sizes.sum())
    log_of = np.repeat(np.arange(n_logs), sizes)
    names = np.array(list(dict.fromkeys(steps)) + NOISE, dtype=object)
    user = (log_of * 10 + rng.integers(0, 3, n)).astype("int64")
    seconds = rng.integers(0, 7, n)
    nanos = np.where(rng.random(n) < 0.15, 1, 0)  # a nanosecond later: tests ns comparisons
    frame = pd.DataFrame({
        "user_id": pd.array(user, dtype="Int64"),
        "timestamp": pd.Timestamp(base) + pd.to_timedelta(seconds * 10**9 + nanos, "ns"),
        "event": pd.array(names[rng.integers(0, len(names), n)], dtype="str"),
    })
    frame.loc[rng.random(n) < 0.01, "user_id"] = pd.NA  # missing users are left out everywhere
    return frame


def library_per_user(log: pd.DataFrame, steps: list[str], window: object, order: str) -> set[tuple[int, int, int]]:
    """Every (user, step number, ns from entry) the library finds; the entry step has 0."""
    times = time_to_convert(log, steps, window=window, order=order)
    found = {(int(u), int(k), int(d / pd.Timedelta(1, "ns")))
             for u, k, d in zip(times["user_id"], times["step_number"], times["time_from_entry"], strict=True)}
    entry = log.loc[(log["event"] == steps[0]) & log["user_id"].notna(), "user_id"]
    return found | {(int(u), 1, 0) for u in entry.unique()}


def sql_per_user(log: pd.DataFrame, steps: list[str], window: object, order: str, dialect: str
                 ) -> tuple[set[tuple[int, int]], dict[tuple[int, int], int]]:
    if dialect == "duckdb":
        with duckdb.connect() as con:
            con.register("log_view", log)
            rows = con.execute(_build(steps, "duckdb", "log_view", window, user="user_id", time="timestamp",
                                      event="event", order=order, per_user=True)).df()
    else:
        rows = chdb.query(_build(steps, "clickhouse", "Python(log)", window, user="user_id", time="timestamp",
                                 event="event", order=order, per_user=True), "DataFrame")
    reached = {(int(u), int(k)) for u, k in zip(rows["u"], rows["k"], strict=True)}
    durations = {(int(u), int(k)): int(d) for u, k, d in zip(rows["u"], rows["k"], rows["d"], strict=True) if not pd.isna(d)}
    return reached, durations


WINDOWS = [pd.Timedelta(1, "ns"), pd.Timedelta(2, "s"), pd.Timedelta(2, "s") + pd.Timedelta(1, "ns"), None]
FUNNELS = [STEPS, ["visit", "visit", "buy"], ["buy", "visit", "buy", "visit"]]


@pytest.mark.sql
@pytest.mark.parametrize("dialect", ["duckdb", "clickhouse"])
@pytest.mark.parametrize("order", ["ordered", "strict", "any"])
@pytest.mark.parametrize("funnel", range(len(FUNNELS)))
def test_sql_matches_the_library_per_user_on_thousands_of_logs(dialect: str, order: str, funnel: int) -> None:
    steps = FUNNELS[funnel]
    log = batch_of_logs(seed=100 * funnel + len(order), n_logs=1500, steps=steps,
                        base="1965-03-01" if funnel == 1 else "2024-02-01")  # before 1970 too
    for window in WINDOWS:
        expected = library_per_user(log, steps, window, order)
        reached, durations = sql_per_user(log, steps, window, order, dialect)
        assert reached == {(u, k) for u, k, _ in expected}, (window, order, dialect)
        windowfunnel = dialect == "clickhouse" and order == "ordered" and len(set(steps)) == len(steps)
        if not windowfunnel:  # windowFunnel gives levels only
            assert durations == {(u, k): d for u, k, d in expected}, (window, order, dialect)


@pytest.mark.sql
@pytest.mark.parametrize("order", ["ordered", "strict", "any"])
def test_funnel_from_sql_returns_the_library_table(order: str) -> None:
    log = batch_of_logs(seed=7, n_logs=400, steps=STEPS)
    expected = funnel_from_events(log, STEPS, window="3s", order=order)
    with duckdb.connect() as con:
        got = funnel_from_sql(con, log, STEPS, window="3s", order=order)
    pd.testing.assert_frame_equal(got, expected.drop(columns=["note"], errors="ignore"), check_exact=False)
    session = chdb.session.Session()
    clickhouse = funnel_from_sql(session, log, STEPS, window="3s", order=order)
    assert clickhouse["users"].tolist() == expected["users"].tolist()
    if order == "ordered":
        assert clickhouse["median_time"].isna().all() and "windowFunnel gives counts only" in clickhouse.attrs[
            "notes"][0]
    else:
        pd.testing.assert_frame_equal(clickhouse, expected.drop(columns=["note"], errors="ignore"))
    assert "SELECT" in got.attrs["sql"] and got.attrs["order"] == order


@pytest.mark.sql
def test_funnel_from_sql_reads_a_parquet_file_without_pandas(tmp_path: object) -> None:
    log = batch_of_logs(seed=3, n_logs=300, steps=STEPS)
    path = f"{tmp_path}/log.parquet"
    log.to_parquet(path)
    expected = funnel_from_events(log, STEPS, window="4s")
    with duckdb.connect() as con:
        got = funnel_from_sql(con, f"read_parquet('{path}')", STEPS, window="4s")
    pd.testing.assert_frame_equal(got, expected, check_exact=False)
    session = chdb.session.Session()
    clickhouse = funnel_from_sql(session, f"file('{path}', Parquet)", STEPS, window="4s", order="strict")
    assert clickhouse["users"].tolist() == funnel_from_events(log, STEPS, window="4s", order="strict")[
        "users"].tolist()


@pytest.mark.sql
def test_duckdb_keeps_nanoseconds_of_time_zone_aware_frames() -> None:
    base = pd.Timestamp("2024-01-01", tz="UTC").as_unit("ns")
    log = pd.DataFrame({"user_id": [1, 1], "event": ["visit", "buy"], "timestamp": [base, base + pd.Timedelta(1500, "ns")]})
    assert funnel_from_events(log, ["visit", "buy"], window="1us")["users"].tolist() == [1, 0]
    with duckdb.connect() as con:
        assert funnel_from_sql(con, log, ["visit", "buy"], window="1us")["users"].tolist() == [1, 0]
    session = chdb.session.Session()
    assert funnel_from_sql(session, log, ["visit", "buy"], window="1us")["users"].tolist() == [1, 0]


@pytest.mark.sql
def test_times_before_1970_in_clickhouse() -> None:
    log = pd.DataFrame({"user_id": [1, 1, 2, 2], "event": ["visit", "buy", "visit", "buy"],
                        "timestamp": pd.to_datetime(["1969-12-31 23:59:59", "1970-01-01 00:00:01",
                                                     "1950-06-01 00:00:00", "1950-06-01 00:00:03"])})
    expected = funnel_from_events(log, ["visit", "buy"], window="2s")["users"].tolist()
    assert expected == [2, 1]
    result = chdb.query(funnel_sql(["visit", "buy"], "clickhouse", "Python(log)", "2s"), "DataFrame")
    assert result["users"].tolist() == expected


@pytest.mark.sql
def test_missing_users_are_left_out_in_the_library_and_both_dialects() -> None:
    log = pd.DataFrame({"user_id": pd.array([1, 1, None, None, 2], dtype="Int64"),
                        "event": ["visit", "buy", "visit", "buy", "visit"],
                        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta([0, 1, 0, 1, 0], "s")})
    expected = funnel_from_events(log, ["visit", "buy"])["users"].tolist()
    assert expected == [2, 1]
    with duckdb.connect() as con:
        assert funnel_from_sql(con, log, ["visit", "buy"])["users"].tolist() == expected
    assert funnel_from_sql(chdb.session.Session(), log, ["visit", "buy"])["users"].tolist() == expected


def test_sql_text_for_both_dialects() -> None:
    click = funnel_sql(["a", "b"], table="t", window="90min", user="uid", time="ts", event="name")
    assert "windowFunnel(5400000000000)" in click and "GROUP BY u" in click and "FROM t\n" in click
    assert "`uid` IS NOT NULL" in click and "toUInt64(t - (SELECT t_min FROM base))" in click
    duck = funnel_sql(["a", "b"], dialect="duckdb", table="t", window=None, user='we"ird')
    assert '"we""ird" AS u' in duck and "<= 9223372036854775807" in duck and "no window" in duck
    assert "c1 AS" not in funnel_sql(["a"], dialect="duckdb")  # one step: no join
    assert "'it''s'" in funnel_sql(["it's"], dialect="duckdb")
    assert "'back\\\\slash'" in funnel_sql(["back\\slash"], dialect="clickhouse")
    assert "strict (chains over each user's event times)" in funnel_sql(["a", "b"], order="strict")
    assert "windowFunnel" not in funnel_sql(["a", "b", "a"])  # a repeated name needs the chains


@pytest.mark.parametrize("kwargs, error, message", [
    ({"dialect": "postgres"}, ValueError, r"dialect must be one of 'clickhouse', 'duckdb', got 'postgres'"),
    ({"order": "loose"}, ValueError, r"order must be one of 'ordered', 'strict', 'any', got 'loose'"),
    ({"table": ""}, TypeError, r"table must be a non-empty string"),
    ({"user": 3}, TypeError, r"user must be a column name \(a non-empty string\), got 3"),
    ({"window": "-2h"}, ValueError, r"window must be a positive duration, got '-2h'"),
    ({"window": "1000000D"}, ValueError, r"longer than the longest duration .* pass window=None"),
    ({"steps": []}, ValueError, r"steps must list at least one event name"),
    ({"steps": {"a", "b"}}, TypeError, r"steps must be an ordered list"),
    ({"steps": ["a", 3]}, TypeError, r"steps must be strings to be written as SQL, got 3 \(int\)"),
    ({"steps": [f"s{i}" for i in range(CLICKHOUSE_MAX_STEPS + 1)]}, ValueError,
     r"at most 32 event names for ClickHouse's windowFunnel in ordered mode, got 33"),
])
def test_funnel_sql_errors(kwargs: dict, error: type, message: str) -> None:
    arguments = {"steps": ["a", "b"], **kwargs}
    with pytest.raises(error, match=message):
        funnel_sql(**arguments)


def test_step_limit_is_only_windowfunnels() -> None:
    many = [f"s{i}" for i in range(CLICKHOUSE_MAX_STEPS + 1)]
    assert f"c{CLICKHOUSE_MAX_STEPS} AS" in funnel_sql(many, dialect="duckdb")
    assert "windowFunnel" not in funnel_sql(many, dialect="clickhouse", order="strict")


def test_funnel_from_sql_errors() -> None:
    with pytest.raises(TypeError, match=r"connection must be a DuckDB connection .* got dict"):
        funnel_from_sql({}, "t", ["a"])
    with duckdb.connect() as con:
        with pytest.raises(TypeError, match=r"table must be a table name, .* got int"):
            funnel_from_sql(con, 5, ["a"])  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"order must be one of"):
            funnel_from_sql(con, "t", ["a"], order="loose")  # type: ignore[arg-type]
