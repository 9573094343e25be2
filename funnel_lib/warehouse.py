"""Funnels computed where the data lives: run :func:`~funnel_lib.sql.funnel_sql` on DuckDB or chDB.

:func:`funnel_from_sql` sends the query to a DuckDB connection or a chDB (embedded ClickHouse)
session and returns the same table as :func:`funnel_lib.events.funnel_from_events`: the log is
read by the engine (a table, a Parquet file, a view) and never loaded into pandas, so it can be
far larger than memory. The counts are exactly the library's, in all three modes; the median and
90th percentile times too, except on ClickHouse's ``windowFunnel`` path (ordered mode with
distinct step names), which gives counts only.

Running the same query on a ClickHouse cluster (the ``funnel_sql`` text, ``dialect="clickhouse"``)
is described in ``docs/warehouse.md``: shard by user id, mind ``ReplacingMergeTree`` duplicates
before merges, and ``windowFunnel``'s limit of 32 steps.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from funnel_lib.events import Order, WindowLike, _check_steps, _check_window, _table_from
from funnel_lib.sql import funnel_sql

__all__ = ["funnel_from_sql"]

_names = itertools.count()


def _dialect(connection: Any) -> str:
    module = type(connection).__module__ or ""
    if module.startswith("duckdb") or module.startswith("_duckdb"):
        return "duckdb"
    if module.startswith("chdb"):
        return "clickhouse"
    raise TypeError(f"connection must be a DuckDB connection (duckdb.connect()) or a chDB session "
                    f"(chdb.session.Session()), got {type(connection).__name__} from {module or 'no module'}")


def _duckdb_frame(frame: pd.DataFrame, time: str) -> pd.DataFrame:
    """DuckDB reads time-zone-aware pandas columns as microsecond TIMESTAMPTZ: hand it naive UTC
    nanoseconds instead (TIMESTAMP_NS), so that no nanosecond is lost."""
    if time in frame.columns and isinstance(frame[time].dtype, pd.DatetimeTZDtype):
        return frame.assign(**{time: frame[time].dt.tz_convert("UTC").dt.tz_localize(None)})
    return frame


def _run(connection: Any, dialect: str, table: str | pd.DataFrame, sql_for: Any, time: str) -> tuple[pd.DataFrame, str]:
    if isinstance(table, pd.DataFrame):
        if dialect == "duckdb":
            name = f"funnel_lib_frame_{next(_names)}"
            connection.register(name, _duckdb_frame(table, time))
            try:
                sql = sql_for(name)
                return connection.execute(sql).df(), sql
            finally:
                connection.unregister(name)
        frame = table  # noqa: F841 - chDB's Python() table function finds this local by name
        sql = sql_for("Python(frame)")
        return connection.query(sql, "DataFrame"), sql
    if not isinstance(table, str):
        raise TypeError(f"table must be a table name, a subquery, a table function such as "
                        f"read_parquet('log.parquet'), or a pandas DataFrame, got {type(table).__name__}")
    sql = sql_for(table)
    if dialect == "duckdb":
        return connection.execute(sql).df(), sql
    return connection.query(sql, "DataFrame"), sql


def _timedeltas(values: pd.Series) -> list[Any]:
    return [pd.NaT if pd.isna(v) else pd.Timedelta(round(float(v)), "ns") for v in values]


def funnel_from_sql(connection: Any, table: str | pd.DataFrame, steps: Sequence[Hashable] | Any, *,
                    user: str = "user_id", time: str = "timestamp", event: str = "event",
                    window: WindowLike = "7D", order: Order = "ordered") -> pd.DataFrame:
    """Compute a funnel inside DuckDB or chDB and return the same table as ``funnel_from_events``.

    ``connection`` is a DuckDB connection or a chDB session; ``table`` a table or view name, a
    subquery in parentheses, a table function (``read_parquet('log.parquet')`` in DuckDB,
    ``file('log.parquet', Parquet)`` in chDB) or a pandas DataFrame (handed to the engine without
    copying the rows). Arguments and columns of the result are those of
    :func:`~funnel_lib.events.funnel_from_events`; events with no user (NULL) are left out, as
    there. ``table.attrs["sql"]`` holds the query that ran. ``median_time`` and ``p90_time`` are
    missing (NaT) on ClickHouse's ``windowFunnel`` path (ordered mode, distinct step names), with
    a note. On a ClickHouse cluster, run ``funnel_sql(..., dialect="clickhouse")`` against a
    ``Distributed`` table sharded by user id; see ``docs/warehouse.md`` for the caveats.

    >>> import duckdb, pandas as pd
    >>> log = pd.DataFrame({"user_id": [1, 1, 2], "event": ["visit", "signup", "visit"],
    ...                     "timestamp": pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:20", "2024-05-02 10:00"])})
    >>> with duckdb.connect() as con:
    ...     table = funnel_from_sql(con, log, ["visit", "signup"], window="1D")
    >>> table[["step", "users", "share_of_first", "median_time"]]
         step  users  share_of_first     median_time
    0   visit      2             1.0 0 days 00:00:00
    1  signup      1             0.5 0 days 00:20:00
    """
    names = _check_steps(steps)
    dialect = _dialect(connection)
    if window is not None:
        _check_window(window)

    def sql_for(name: str) -> str:
        return funnel_sql(names, dialect=dialect, table=name, window=window, user=user, time=time,  # type: ignore[arg-type]
                          event=event, order=order)

    sql_for("t")  # validate every argument before touching the engine
    result, sql = _run(connection, dialect, table, sql_for, time)
    counts = result["users"].astype(np.int64).tolist()
    table_out = _table_from(names, counts, _timedeltas(result["median_ns"]), _timedeltas(result["p90_ns"]))
    notes = []
    if result["median_ns"].isna().all() and counts[0] > 0:
        notes.append("ClickHouse's windowFunnel gives counts only: median_time and p90_time are missing "
                     "(order='strict' or 'any', or DuckDB, give them)")
    table_out.attrs["notes"] = notes
    table_out.attrs["order"] = order
    table_out.attrs["window"] = None if window is None else str(_check_window(window))
    table_out.attrs["sql"] = sql
    return table_out
