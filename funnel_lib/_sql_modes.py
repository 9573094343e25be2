"""The SQL text behind :func:`funnel_lib.sql.funnel_sql`, one builder per mode (internal).

Every query has the same shape: ``e`` keeps the funnel events with a user and a time (times as
nanoseconds since 1970, negative before), a middle part finds, per user, each step reached and the
time from entry to the user's first completion of it (relation ``r(u, k, d)``), and a shared tail
counts users and takes the median and 90th percentile per step (linear interpolation, as numpy).
The same text runs on DuckDB and ClickHouse except for a few spellings (:class:`Dialect`).

* ordered, distinct step names, ClickHouse: ``windowFunnel`` (counts only; no times).
* ordered, DuckDB with distinct step names: a chain of ``ASOF LEFT JOIN`` from every entry event.
* ordered with repeated step names, and strict: chains over the user's *time groups* (the
  distinct timestamps of their funnel events, numbered ``r`` = 1, 2, ...; a group knows how many
  events of each name it holds). A chain's state is (entry time, group, step at which it entered the
  group): the steps taken inside one group are consecutive, so the events of each name it has used
  there are known, and each event is used once. Ordered: stay in the group if an unused event of
  the next step's name is there, else jump to the next group that has one (the greedy chain, which
  is optimal). Strict: stay, or move to the very next group (anything further would skip a group of
  funnel events, an interruption); both branches are kept.
* any: from every distinct funnel-event time T of a user, the m-th event of each name at or after
  T (``ASOF`` join, then row numbers); step k is reached from T when all of steps 1..k have their
  event and the latest is within the window of T.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__: list[str] = []  # internal module


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the few things that differ."""

    name: str

    def identifier(self, name: str) -> str:
        if self.name == "clickhouse":
            return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
        return '"' + name.replace('"', '""') + '"'

    def literal(self, value: str) -> str:
        if self.name == "clickhouse":
            return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
        return "'" + value.replace("'", "''") + "'"

    def nanoseconds(self, column: str) -> str:
        """Nanoseconds since 1970 as a signed 64-bit integer (negative before 1970)."""
        if self.name == "clickhouse":
            return f"toUnixTimestamp64Nano(toDateTime64({column}, 9))"
        return f"epoch_ns({column})"

    def arg_min(self, value: str, first: str, second: str) -> str:
        """``value`` on the row with the smallest (first, second)."""
        if self.name == "clickhouse":
            return f"argMin({value}, ({first}, {second}))"
        return f"arg_min({value}, [{first}, {second}])"

    def quantile(self, q: float, column: str) -> str:
        if self.name == "clickhouse":
            return f"quantileExactInclusive({q})({column})"
        return f"quantile_cont({column}, {q})"

    @property
    def int64(self) -> str:
        return "Int64" if self.name == "clickhouse" else "BIGINT"

    @property
    def settings(self) -> str:
        """Unmatched rows of outer and ASOF joins must be NULL, not 0 (ClickHouse's default)."""
        return "SETTINGS join_use_nulls = 1" if self.name == "clickhouse" else ""


@dataclass(frozen=True)
class Query:
    """Everything a builder needs: quoted columns, literals, window in ns, the table text."""

    dialect: Dialect
    names: list[str]
    table: str
    window_ns: int
    user: str
    time: str
    event: str
    per_user: bool = False  # tests: end with every (user, step reached, time from entry) instead

    @property
    def literals(self) -> list[str]:
        return [self.dialect.literal(n) for n in self.names]

    @property
    def distinct(self) -> list[str]:
        """Distinct step names, in order of first use."""
        return list(dict.fromkeys(self.names))

    def events_cte(self, extra: str = "") -> str:
        d = self.dialect
        uid, ts, ev = (d.identifier(c) for c in (self.user, self.time, self.event))
        in_list = ", ".join(d.literal(n) for n in self.distinct)
        return (f"e AS (SELECT {uid} AS u, {d.nanoseconds(ts)} AS t, {ev} AS ev{extra} FROM {self.table}\n"
                f"    WHERE {ev} IN ({in_list}) AND {uid} IS NOT NULL AND {ts} IS NOT NULL)")

    def count_column(self, name: str) -> str:
        return f"n{self.distinct.index(name) + 1}"

    def tail(self) -> list[str]:
        """Per step: users reaching it, median and p90 of the time from entry (ns)."""
        d = self.dialect
        if self.per_user:
            return ["last AS (SELECT 1 AS one)", "SELECT u, k, d FROM r ORDER BY u, k"] + (
                [d.settings] if d.settings else [])
        k = len(self.names)
        values = ", ".join(f"({j + 1}, {lit})" for j, lit in enumerate(self.literals))
        if d.name == "clickhouse":
            steps = (f"steps AS (SELECT toUInt64(number + 1) AS step_number, [{', '.join(self.literals)}]"
                     f"[number + 1] AS step FROM numbers({k}))")
        else:
            steps = f"steps AS (SELECT * FROM (VALUES {values}) AS v(step_number, step))"
        return [
            f"per_step AS (SELECT k, count(*) AS n, {d.quantile(0.5, 'd')} AS median_ns, "
            f"{d.quantile(0.9, 'd')} AS p90_ns FROM r GROUP BY k),",
            steps,
            f"SELECT s.step_number AS step_number, s.step AS step, CAST(coalesce(p.n, 0) AS {d.int64}) AS users, "
            "p.median_ns AS median_ns, p.p90_ns AS p90_ns",
            "FROM steps AS s LEFT JOIN per_step AS p ON p.k = s.step_number",
            "ORDER BY step_number",
        ] + ([d.settings] if d.settings else [])


def windowfunnel(q: Query) -> list[str]:
    """ClickHouse ordered mode, distinct names: windowFunnel over times relative to the earliest event
    (it takes unsigned numbers, so times before 1970 need the shift)."""
    conditions = ", ".join(f"ev = {lit}" for lit in q.literals)
    return [
        "WITH " + q.events_cte() + ",",
        "base AS (SELECT min(t) AS t_min FROM e),",
        f"levels AS (SELECT u, windowFunnel({q.window_ns})(toUInt64(t - (SELECT t_min FROM base)), {conditions}) "
        f"AS level FROM e GROUP BY u),",
        "r AS (SELECT u, toUInt64(k) AS k, CAST(NULL AS Nullable(Int64)) AS d FROM levels "
        "ARRAY JOIN range(1, toUInt64(level) + 1) AS k),",
    ] + q.tail()


def asof_chain(q: Query) -> list[str]:
    """DuckDB ordered mode, distinct names: the greedy chain from every entry event."""
    lines = ["WITH " + q.events_cte() + ","]
    for j, lit in enumerate(q.literals):
        lines.append(f"s{j} AS (SELECT u, t FROM e WHERE ev = {lit}),")
    lines.append("c0 AS (SELECT u, t AS t0, t AS tc FROM s0),")
    for j in range(1, len(q.names)):
        lines.append(f"c{j} AS (SELECT c.u, c.t0, s.t AS tc FROM c{j - 1} AS c ASOF JOIN s{j} AS s "
                     f"ON c.u = s.u AND s.t >= c.tc WHERE s.t - c.t0 <= {q.window_ns}),")
    lines += _reach_from_chains(q)
    return lines + q.tail()


def _groups(q: Query) -> list[str]:
    """``g``: one row per user and distinct time, numbered ``r``, with a count per step name."""
    counts = ", ".join(f"sum(CASE WHEN ev = {q.dialect.literal(n)} THEN 1 ELSE 0 END) AS {q.count_column(n)}"
                       for n in q.distinct)
    columns = ", ".join(q.count_column(n) for n in q.distinct)
    return [
        f"g0 AS (SELECT u, t, {counts} FROM e GROUP BY u, t),",
        f"g AS (SELECT u, t, row_number() OVER (PARTITION BY u ORDER BY t) AS r, {columns} FROM g0),",
    ]


def _need(q: Query, j: int) -> str:
    """Events of step j's name a chain that entered its group at step s (a column) uses, counting j."""
    name = q.names[j]
    cases = " ".join(f"WHEN {s + 1} THEN {Counter(q.names[s:j + 1])[name]}" for s in range(j))
    return f"(CASE c.s {cases} ELSE 1 END)"


def group_chain(q: Query, strict: bool) -> list[str]:
    """Ordered (any names) or strict mode: chains over time groups (see the module docstring)."""
    lines = ["WITH " + q.events_cte() + ","] + _groups(q)
    first = q.count_column(q.names[0])
    lines.append(f"c0 AS (SELECT u, t AS t0, r, 1 AS s, t AS tc FROM g WHERE {first} >= 1),")
    for j in range(1, len(q.names)):
        n = q.count_column(q.names[j])
        need = _need(q, j)
        if strict:
            lines.append(
                f"c{j} AS (SELECT DISTINCT c.u AS u, c.t0 AS t0, n.r AS r, "
                f"CASE WHEN x.dr = 0 THEN c.s ELSE {j + 1} END AS s, n.t AS tc\n"
                f"    FROM c{j - 1} AS c CROSS JOIN (SELECT 0 AS dr UNION ALL SELECT 1 AS dr) AS x\n"
                f"    JOIN g AS n ON n.u = c.u AND n.r = c.r + x.dr\n"
                f"    WHERE ((x.dr = 0 AND n.{n} >= {need}) OR (x.dr = 1 AND n.{n} >= 1))"
                f" AND n.t - c.t0 <= {q.window_ns}),")
        else:
            stay = f"cur.{n} >= {need}"
            lines.append(
                f"c{j} AS (SELECT u, t0, r, s, tc FROM (SELECT c.u AS u, c.t0 AS t0,\n"
                f"        CASE WHEN {stay} THEN c.r ELSE nx.r END AS r,\n"
                f"        CASE WHEN {stay} THEN c.s ELSE {j + 1} END AS s,\n"
                f"        CASE WHEN {stay} THEN c.tc ELSE nx.t END AS tc\n"
                f"    FROM c{j - 1} AS c JOIN g AS cur ON cur.u = c.u AND cur.r = c.r\n"
                f"    ASOF LEFT JOIN (SELECT u, r, t FROM g WHERE {n} >= 1) AS nx ON nx.u = c.u AND nx.r > c.r) AS m\n"
                f"    WHERE tc IS NOT NULL AND tc - t0 <= {q.window_ns}),")
    lines += _reach_from_chains(q)
    return lines + q.tail()


def _reach_from_chains(q: Query) -> list[str]:
    """``r``: per user and step, the earliest completion over chains, from the earliest entry."""
    d = q.dialect
    parts = [f"SELECT u, {j + 1} AS k, {d.arg_min('tc - t0', 'tc', 't0')} AS d FROM c{j} GROUP BY u"
             for j in range(len(q.names))]
    return ["r AS (" + "\n    UNION ALL ".join(parts) + "),"]


def any_order(q: Query) -> list[str]:
    """Any order: from every distinct funnel-event time of a user, the events each step needs."""
    d = q.dialect
    lines = ["WITH " + q.events_cte() + ","]
    lines.append("en AS (SELECT u, t, ev, row_number() OVER (PARTITION BY u, ev ORDER BY t) AS rn FROM e),")
    lines.append("st AS (SELECT DISTINCT u, t FROM e),")
    need = Counter(q.names)
    joins, selects = [], []
    for name in q.distinct:
        a = q.count_column(name).replace("n", "a")
        # the first of several events at one time: ASOF may match any row among equal times
        joins.append(f"ASOF LEFT JOIN (SELECT u, t, min(rn) AS rn FROM en WHERE ev = {d.literal(name)} "
                     f"GROUP BY u, t) AS {a} "
                     f"ON {a}.u = st.u AND {a}.t >= st.t")
        for m in range(1, need[name] + 1):
            alias = f"{a}_{m}"
            if m == 1:
                selects.append(f"{a}.t AS {alias}")
            else:
                joins.append(f"LEFT JOIN (SELECT u, rn, t FROM en WHERE ev = {d.literal(name)}) AS {alias}x "
                             f"ON {alias}x.u = st.u AND {alias}x.rn = {a}.rn + {m - 1}")
                selects.append(f"{alias}x.t AS {alias}")
    lines.append("w AS (SELECT st.u AS u, st.t AS t, " + ", ".join(selects) + " FROM st\n    "
                 + "\n    ".join(joins) + "),")
    seen: Counter[str] = Counter()
    columns = []
    for name in q.names:
        seen[name] += 1
        columns.append(f"{q.count_column(name).replace('n', 'a')}_{seen[name]}")
    parts = []
    for k in range(1, len(q.names) + 1):
        chosen = columns[:k]
        present = " AND ".join(f"{c} IS NOT NULL" for c in chosen)
        done = chosen[0] if k == 1 else f"greatest({', '.join(chosen)})"
        begin = chosen[0] if k == 1 else f"least({', '.join(chosen)})"
        parts.append(f"SELECT u, {k} AS k, {d.arg_min(f'{done} - {begin}', done, begin)} AS d FROM w "
                     f"WHERE {present} AND {done} - t <= {q.window_ns} GROUP BY u")
    lines.append("r AS (" + "\n    UNION ALL ".join(parts) + "),")
    return lines + q.tail()
