"""The same funnel in a warehouse: SQL that counts the users reaching each step.

:func:`funnel_sql` writes one query, for ClickHouse or DuckDB, that returns one row per step
(``step_number``, ``step``, ``users``) with exactly the counts of
:func:`funnel_lib.events.funnel_from_events` in ``order="ordered"`` mode:

ClickHouse
    ``windowFunnel(window)(time, event = step1, event = step2, ...)`` per user, in its default
    mode. It sorts each user's events by time and, among equal times, by step, so events at the
    same timestamp count as in order, as in this library; the window is inclusive
    (``tk - t1 <= window``). Times are compared in nanoseconds (``toUnixTimestamp64Nano``), so
    every resolution agrees exactly; ClickHouse needs them after 1970 (``windowFunnel`` takes an
    unsigned number). Its ``'strict_order'`` option is *not* this library's strict mode: it
    stops at the first interruption instead of looking for an uninterrupted chain.
DuckDB
    a chain of ``ASOF LEFT JOIN``: from every entry event, the earliest event of the next step at
    or after the current one, per step (the greedy chain, which is optimal); a user's level is the
    deepest step of any of their chains inside the window. Note that DuckDB stores
    ``TIMESTAMP WITH TIME ZONE`` in microseconds.

``table`` is inserted as written (a table name, a subquery in parentheses, or chDB's
``Python(frame)``); column names are quoted; step names become escaped string literals.
The lean core install has no SQL engine: install the ``sql`` extra (``duckdb``, ``chdb``).

>>> print(funnel_sql(["visit", "signup"], dialect="duckdb", table="events", window="1D"))  # doctest: +ELLIPSIS
-- funnel: 'visit' -> 'signup', window 1D (86400000000000 ns), ordered (DuckDB ASOF JOIN chain)
WITH e AS (
...
ORDER BY step_number
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal

import pandas as pd

from funnel_lib.events import WindowLike, _check_steps, _check_window

__all__ = ["funnel_sql", "DIALECTS"]

#: The SQL dialects :func:`funnel_sql` writes.
DIALECTS = ("clickhouse", "duckdb")

#: Window used for ``window=None`` (about 292 years in nanoseconds; windowFunnel needs a number).
_NO_WINDOW_NS = 2**63 - 1


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _duck_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str, dialect: str) -> str:
    if dialect == "clickhouse":
        return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
    return '"' + name.replace('"', '""') + '"'


def funnel_sql(steps: Sequence[Hashable] | Any, dialect: Literal["clickhouse", "duckdb"] = "clickhouse",
               table: str = "events", window: WindowLike = "7D", *, user: str = "user_id", time: str = "timestamp",
               event: str = "event", order: str = "ordered") -> str:
    """Write a ClickHouse or DuckDB query giving the users who reach each step of a funnel.

    ``steps`` are event names, entry step first (or a :class:`~funnel_lib.Funnel`). The query
    returns ``step_number`` (from 1), ``step`` and ``users``, the same counts as
    ``funnel_from_events(..., window=window, order="ordered")``. Only the ordered mode is
    available in SQL.

    >>> sql = funnel_sql(["visit", "signup", "buy"], dialect="clickhouse", table="web.events", window="7D")
    >>> print(sql)  # doctest: +NORMALIZE_WHITESPACE
    -- funnel: 'visit' -> 'signup' -> 'buy', window 7D (604800000000000 ns), ordered (ClickHouse windowFunnel)
    SELECT step_number, ['visit', 'signup', 'buy'][step_number] AS step, countIf(level >= step_number) AS users
    FROM (
        SELECT windowFunnel(604800000000000)(toUInt64(toUnixTimestamp64Nano(toDateTime64(`timestamp`, 9))),
            `event` = 'visit', `event` = 'signup', `event` = 'buy') AS level
        FROM web.events
        WHERE `event` IN ('visit', 'signup', 'buy')
        GROUP BY `user_id`
    )
    ARRAY JOIN range(1, 4) AS step_number
    GROUP BY step_number, step
    ORDER BY step_number
    """
    names = _check_steps(steps)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise TypeError(f"steps must be strings to be written as SQL, got {bad[0]!r} ({type(bad[0]).__name__})")
    if not isinstance(dialect, str) or dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(repr(d) for d in DIALECTS)}, got {dialect!r}")
    if order != "ordered":
        raise ValueError(f"order must be 'ordered' in SQL, got {order!r}: ClickHouse's windowFunnel has no "
                         f"equivalent of the 'strict' or 'any' modes (its 'strict_order' stops at the first "
                         f"interruption); compute those with funnel_from_events")
    if not isinstance(table, str) or not table.strip():
        raise TypeError(f"table must be a non-empty string (a table name or a subquery), got {table!r}")
    for argument, value in (("user", user), ("time", time), ("event", event)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{argument} must be a column name (a non-empty string), got {value!r}")
    if window is None:
        window_ns, shown = _NO_WINDOW_NS, "no window"
    else:
        duration = _check_window(window)
        window_ns = int(duration // pd.Timedelta(1, "ns"))
        shown = f"window {window if isinstance(window, str) else str(duration)} ({window_ns} ns)"
    chain = " -> ".join(repr(n) for n in names)
    if dialect == "clickhouse":
        return _clickhouse(names, table, window_ns, user, time, event, f"-- funnel: {chain}, {shown}, ordered "
                           f"(ClickHouse windowFunnel)")
    return _duckdb(names, table, window_ns, user, time, event, f"-- funnel: {chain}, {shown}, ordered "
                   f"(DuckDB ASOF JOIN chain)")


def _clickhouse(names: list[str], table: str, window_ns: int, user: str, time: str, event: str, header: str) -> str:
    ev, ts, uid = (_identifier(c, "clickhouse") for c in (event, time, user))
    literals = [_literal(n) for n in names]
    conditions = ", ".join(f"{ev} = {lit}" for lit in literals)
    return "\n".join([
        header,
        f"SELECT step_number, [{', '.join(literals)}][step_number] AS step, countIf(level >= step_number) AS users",
        "FROM (",
        f"    SELECT windowFunnel({window_ns})(toUInt64(toUnixTimestamp64Nano(toDateTime64({ts}, 9))),",
        f"        {conditions}) AS level",
        f"    FROM {table}",
        f"    WHERE {ev} IN ({', '.join(literals)})",
        f"    GROUP BY {uid}",
        ")",
        f"ARRAY JOIN range(1, {len(names) + 1}) AS step_number",
        "GROUP BY step_number, step",
        "ORDER BY step_number",
    ])


def _duckdb(names: list[str], table: str, window_ns: int, user: str, time: str, event: str, header: str) -> str:
    ev, ts, uid = (_identifier(c, "duckdb") for c in (event, time, user))
    literals = [_duck_literal(n) for n in names]
    lines = [
        header,
        "WITH e AS (",
        f"    SELECT {uid} AS u, {ts} AS t, {ev} AS ev FROM {table} WHERE {ev} IN ({', '.join(literals)})",
        "),",
    ]
    for j, lit in enumerate(literals):
        lines.append(f"s{j} AS (SELECT u, t FROM e WHERE ev = {lit}),")
    # c0: every entry event; cj: the earliest step-j event at or after the chain's step-(j-1) time
    lines.append("c0 AS (SELECT u, t AS t0 FROM s0),")
    for j in range(1, len(names)):
        lines.append(f"c{j} AS (SELECT c{j - 1}.*, s{j}.t AS t{j} FROM c{j - 1} ASOF LEFT JOIN s{j} "
                     f"ON c{j - 1}.u = s{j}.u AND s{j}.t >= c{j - 1}.t{j - 1}),")
    reached = " + ".join(["1"] + [f"coalesce(epoch_ns(t{j}) - epoch_ns(t0) <= {window_ns}, false)::INTEGER"
                                  for j in range(1, len(names))])
    last = len(names) - 1
    values = ", ".join(f"({k + 1}, {lit})" for k, lit in enumerate(literals))
    lines += [
        f"levels AS (SELECT u, max({reached}) AS level FROM c{last} GROUP BY u),",
        "per_level AS (SELECT level, count(*) AS n FROM levels GROUP BY level),",
        f"steps AS (SELECT * FROM (VALUES {values}) AS v(step_number, step))",
        "SELECT s.step_number, s.step, coalesce(sum(p.n), 0)::BIGINT AS users",
        "FROM steps AS s LEFT JOIN per_level AS p ON p.level >= s.step_number",
        "GROUP BY s.step_number, s.step",
        "ORDER BY step_number",
    ]
    return "\n".join(lines)
