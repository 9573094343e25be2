"""funnel_lib.sql: the generated SQL gives exactly funnel_from_events' ordered counts, in real engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from funnel_lib.events import funnel_from_events
from funnel_lib.sql import funnel_sql

STEPS = ["visit", "sign'up", "activate", "buy"]  # a quote in a name: literals must be escaped


def random_log(seed: int, n: int = 3000, users: int = 150, span_s: int = 3 * 86400, unit: str = "us") -> pd.DataFrame:
    """Several entries per user, ties (whole seconds, often whole minutes), repeats and noise."""
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, span_s, n)
    seconds = np.where(rng.random(n) < 0.3, seconds // 60 * 60, seconds)  # many equal timestamps
    times = pd.Timestamp("2024-02-01", tz="UTC") + pd.to_timedelta(seconds, "s")
    return pd.DataFrame({
        "user_id": rng.integers(0, users, n),
        "timestamp": pd.DatetimeIndex(times).as_unit(unit),
        "event": rng.choice(STEPS + ["page_view", "scroll"], n, p=[0.25, 0.2, 0.15, 0.1, 0.2, 0.1]),
    })


def clickhouse_counts(log: pd.DataFrame, steps: list[str], window: object) -> list[int]:
    chdb = pytest.importorskip("chdb", reason="chdb (embedded ClickHouse, the `sql` extra) is not installed")
    sql = funnel_sql(steps, dialect="clickhouse", table="Python(log)", window=window)
    result = chdb.query(sql, "DataFrame")
    assert result["step"].tolist() == steps
    return result["users"].astype("int64").tolist()


def duckdb_counts(log: pd.DataFrame, steps: list[str], window: object) -> list[int]:
    duckdb = pytest.importorskip("duckdb", reason="duckdb (the `sql` extra) is not installed")
    with duckdb.connect() as con:
        con.register("log_view", log)
        result = con.execute(funnel_sql(steps, dialect="duckdb", table="log_view", window=window)).df()
    assert result["step"].tolist() == steps
    assert result["step_number"].tolist() == list(range(1, len(steps) + 1))
    return result["users"].astype("int64").tolist()


CASES = [(seed, window, k) for seed, (window, k) in enumerate(
    [("1h", 4), ("6h", 4), ("1D", 3), ("2D", 4), ("30min", 2), ("1s", 4), ("10D", 4), (None, 4), ("3h", 1)] * 2)]


@pytest.mark.sql
@pytest.mark.parametrize("seed, window, n_steps", CASES)
def test_clickhouse_and_duckdb_match_funnel_from_events(seed: int, window: object, n_steps: int) -> None:
    log = random_log(seed)
    steps = STEPS[:n_steps]
    expected = funnel_from_events(log, steps, window=window)["users"].tolist()
    assert clickhouse_counts(log, steps, window) == expected
    assert duckdb_counts(log, steps, window) == expected


@pytest.mark.sql
def test_ties_across_steps_count_as_in_order_in_both_engines() -> None:
    t = pd.Timestamp("2024-01-01 12:00", tz="UTC")
    log = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 2], "timestamp": [t] * 6,
                        "event": ["buy", "activate", "visit", "visit", "sign'up", "buy"]})
    log["event"] = log["event"].astype("str")
    expected = [2, 1, 1, 1]
    log.loc[[0, 1, 2], "event"] = ["activate", "sign'up", "visit"]  # user 1: all three at one time, reversed
    expected = funnel_from_events(log, STEPS, window="1min")["users"].tolist()
    assert expected == [2, 2, 1, 0]
    assert clickhouse_counts(log, STEPS, "1min") == expected
    assert duckdb_counts(log, STEPS, "1min") == expected


@pytest.mark.sql
def test_nanosecond_times_agree_in_clickhouse() -> None:
    base = pd.Timestamp("2024-01-01", tz="UTC").as_unit("ns")
    log = pd.DataFrame({"user_id": [1, 1, 2, 2], "event": ["visit", "sign'up", "visit", "sign'up"],
                        "timestamp": [base, base + pd.Timedelta(1500, "ns"), base, base + pd.Timedelta(1501, "ns")]})
    expected = funnel_from_events(log, STEPS[:2], window="1500ns")["users"].tolist()
    assert expected == [2, 1]
    assert clickhouse_counts(log, STEPS[:2], "1500ns") == expected


def test_sql_text_for_both_dialects() -> None:
    click = funnel_sql(["a", "b"], table="t", window="90min", user="uid", time="ts", event="name")
    assert "windowFunnel(5400000000000)" in click and "GROUP BY `uid`" in click and "FROM t\n" in click
    duck = funnel_sql(["a", "b"], dialect="duckdb", table="t", window=None, user='we"ird')
    assert '"we""ird" AS u' in duck and "<= 9223372036854775807" in duck and "no window" in duck
    one = funnel_sql(["a"], dialect="duckdb")
    assert "ASOF LEFT JOIN" not in one and "levels AS (SELECT u, max(1) AS level FROM c0 GROUP BY u)" in one
    assert "'it''s'" in funnel_sql(["it's"], dialect="duckdb")
    assert "'back\\\\slash'" in funnel_sql(["back\\slash"], dialect="clickhouse")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"dialect": "postgres"}, ValueError, r"dialect must be one of 'clickhouse', 'duckdb', got 'postgres'"),
    ({"order": "strict"}, ValueError, r"order must be 'ordered' in SQL, got 'strict'.*strict_order"),
    ({"table": ""}, TypeError, r"table must be a non-empty string"),
    ({"user": 3}, TypeError, r"user must be a column name \(a non-empty string\), got 3"),
    ({"window": "-2h"}, ValueError, r"window must be a positive duration, got '-2h'"),
    ({"steps": []}, ValueError, r"steps must list at least one event name"),
    ({"steps": ["a", 3]}, TypeError, r"steps must be strings to be written as SQL, got 3 \(int\)"),
])
def test_funnel_sql_errors(kwargs: dict, error: type, message: str) -> None:
    arguments = {"steps": ["a", "b"], **kwargs}
    with pytest.raises(error, match=message):
        funnel_sql(**arguments)
