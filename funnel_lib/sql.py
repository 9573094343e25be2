"""The same funnel in a warehouse: SQL that counts the users reaching each step.

:func:`funnel_sql` writes one query, for ClickHouse or DuckDB, that returns one row per step
(``step_number``, ``step``, ``users``, ``median_ns``, ``p90_ns``) with exactly the counts of
:func:`funnel_lib.events.funnel_from_events` in all three modes (``"ordered"``, ``"strict"``,
``"any"``), also when a step name repeats (each event counts for one step only), and the same
median and 90th percentile time from entry, in nanoseconds, where the query computes them.
:func:`funnel_lib.warehouse.funnel_from_sql` runs it and returns the library's table.

How each mode is written (details in :mod:`funnel_lib._sql_modes`):

ordered, ClickHouse, distinct step names
    ``windowFunnel(window)(time, event = step1, ...)`` per user. It sorts each user's events by time
    and, among equal times, by step, so events at the same timestamp count as in order, as in this
    library; the window is inclusive. ``windowFunnel`` takes unsigned numbers, so times are
    nanoseconds since the log's earliest funnel event (times before 1970 are exact). It gives
    counts only (``median_ns`` is NULL) and accepts at most :data:`CLICKHOUSE_MAX_STEPS` steps
    (``max_events`` in ClickHouse's source, ``AggregateFunctionWindowFunnel.cpp``): more is an
    error here, not at query time. Its ``'strict_order'`` option is *not* this library's strict mode.
ordered, DuckDB, distinct step names
    a chain of ``ASOF JOIN``: from every entry event, the earliest event of the next step at or
    after the current one (the greedy chain, which is optimal).
ordered with repeated names, and strict, both engines
    chains over each user's distinct event times (joins; no step limit).
any, both engines
    from every funnel-event time, the first events of each step at or after it (``ASOF`` joins).

Conventions shared with the library: events whose user is NULL are left out (the library leaves
out rows with a missing user, with a note); events whose time is NULL are left out too (the
library ignores missing times on rows that are not funnel events and refuses them on funnel
events). Times are compared in nanoseconds (``epoch_ns``, ``toUnixTimestamp64Nano``); note that
DuckDB stores ``TIMESTAMP WITH TIME ZONE`` in microseconds, so a pandas column with a time zone
loses its nanoseconds when DuckDB reads it: :func:`~funnel_lib.warehouse.funnel_from_sql` hands
DuckDB such frames as naive UTC ``TIMESTAMP_NS`` instead.

``table`` is inserted as written (a table name, a subquery in parentheses, ``read_parquet('...')``
or chDB's ``Python(frame)``); column names are quoted; step names become escaped string literals.
The lean core install has no SQL engine: install the ``sql`` extra (``duckdb``, ``chdb``).

>>> print(funnel_sql(["visit", "signup"], dialect="duckdb", table="events", window="1D"))  # doctest: +ELLIPSIS
-- funnel: 'visit' -> 'signup', window 1D (86400000000000 ns), ordered (DuckDB ASOF JOIN chain)
WITH e AS (...
ORDER BY step_number
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal

from funnel_lib import _sql_modes as modes
from funnel_lib.events import WindowLike, _check_order, _check_steps, _check_window

__all__ = ["funnel_sql", "DIALECTS", "CLICKHOUSE_MAX_STEPS"]

#: The SQL dialects :func:`funnel_sql` writes.
DIALECTS = ("clickhouse", "duckdb")

#: Most conditions ClickHouse's ``windowFunnel`` accepts (``max_events`` in its source).
CLICKHOUSE_MAX_STEPS = 32

#: Window used for ``window=None``: the largest signed 64-bit number of nanoseconds (about 292 years).
_NO_WINDOW_NS = 2**63 - 1


def funnel_sql(steps: Sequence[Hashable] | Any, dialect: Literal["clickhouse", "duckdb"] = "clickhouse",
               table: str = "events", window: WindowLike = "7D", *, user: str = "user_id", time: str = "timestamp",
               event: str = "event", order: str = "ordered") -> str:
    """Write a ClickHouse or DuckDB query giving the users who reach each step of a funnel.

    ``steps`` are event names, entry step first (or a :class:`~funnel_lib.Funnel`); a name may
    repeat. The query returns ``step_number`` (from 1), ``step``, ``users``, ``median_ns`` and
    ``p90_ns`` (time from entry to each user's first completion, in nanoseconds; NULL for
    ClickHouse's ``windowFunnel`` path and for steps nobody reaches): the same counts and times as
    ``funnel_from_events(..., window=window, order=order)``.

    On a ClickHouse cluster, run it against a ``Distributed`` table whose sharding key is the user
    id, so that each user's events sit on one shard (see ``docs/warehouse.md``).

    >>> sql = funnel_sql(["visit", "signup", "buy"], dialect="clickhouse", table="web.events", window="7D")
    >>> print(sql.splitlines()[0])
    -- funnel: 'visit' -> 'signup' -> 'buy', window 7D (604800000000000 ns), ordered (ClickHouse windowFunnel)
    >>> "windowFunnel(604800000000000)" in sql and "FROM web.events" in sql
    True
    """
    return _build(steps, dialect, table, window, user=user, time=time, event=event, order=order)


def _build(steps: Any, dialect: Any, table: Any, window: WindowLike, *, user: Any, time: Any, event: Any,
           order: Any, per_user: bool = False) -> str:
    """:func:`funnel_sql`; with ``per_user`` the query ends with every (user ``u``, step ``k``
    reached, ns from entry ``d``) instead of the per-step table (the tests compare users one by one)."""
    checked = _check_steps(steps)
    bad = [n for n in checked if not isinstance(n, str)]
    if bad:
        raise TypeError(f"steps must be strings to be written as SQL, got {bad[0]!r} ({type(bad[0]).__name__})")
    names = [n for n in checked if isinstance(n, str)]  # all of them (checked just above), typed as strings
    if not isinstance(dialect, str) or dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(repr(d) for d in DIALECTS)}, got {dialect!r}")
    order = _check_order(order)
    if not isinstance(table, str) or not table.strip():
        raise TypeError(f"table must be a non-empty string (a table name or a subquery), got {table!r}")
    for argument, value in (("user", user), ("time", time), ("event", event)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{argument} must be a column name (a non-empty string), got {value!r}")
    if window is None:
        window_ns, shown = _NO_WINDOW_NS, "no window"
    else:
        duration = _check_window(window)
        window_ns = int(duration.as_unit("ns").value)
        shown = f"window {window if isinstance(window, str) else str(duration)} ({window_ns} ns)"
    repeated = len(set(names)) < len(names)
    if dialect == "clickhouse" and order == "ordered" and not repeated and len(names) > CLICKHOUSE_MAX_STEPS:
        raise ValueError(f"steps may list at most {CLICKHOUSE_MAX_STEPS} event names for ClickHouse's windowFunnel "
                         f"in ordered mode, got {len(names)}; split the funnel, or compute it with "
                         f"funnel_from_events or dialect='duckdb'")
    query = modes.Query(modes.Dialect(dialect), names, table, window_ns, user, time, event, per_user)
    if order == "ordered" and not repeated:
        how = "ClickHouse windowFunnel" if dialect == "clickhouse" else "DuckDB ASOF JOIN chain"
        body = modes.windowfunnel(query) if dialect == "clickhouse" else modes.asof_chain(query)
    elif order == "any":
        how, body = "first events at or after each start", modes.any_order(query)
    else:
        how, body = "chains over each user's event times", modes.group_chain(query, strict=order == "strict")
    chain = " -> ".join(repr(n) for n in names)
    return "\n".join([f"-- funnel: {chain}, {shown}, {order} ({how})"] + body)

