"""Funnels measured from event logs: who reached each step, and how long it took.

An event log has one row per thing a user did: a user id, a timestamp and an event name.
:func:`funnel_from_events` counts, for a list of steps (event names, entry step first), how
many users reached each step; :func:`time_to_convert` lists how long each of them took.

What "reached step k" means (``order=``), with ``t1 .. tk`` the times of the chosen events:

``"ordered"`` (default)
    There are events of steps 1..k with ``t1 <= t2 <= ... <= tk`` and ``tk - t1 <= window``.
    The window opens at the entry event; any of a user's entry events may start the chain,
    and equal timestamps count as being in order. This is ClickHouse's ``windowFunnel``
    in its default mode (see :func:`funnel_lib.sql.funnel_sql`).
``"strict"``
    As ordered, and no other event of a funnel step happens strictly between two consecutive
    chosen events (events that are not funnel steps, such as ``page_view``, never interrupt).
    Events at the same timestamp are simultaneous: they never interrupt each other. A repeat
    of a step in between *does* interrupt: ``visit, signup, signup, buy`` reaches ``signup``
    only, while ``visit, visit, signup`` reaches ``signup`` from the second visit. Every step of
    the funnel counts as an interruption, so adding a step can lower the strict counts of the
    steps before it.
``"any"``
    Events of steps 1..k all occur within one window (``max - min <= window``), in any order.
    The entry step is still required.

Counts are users reaching *at least* step k, so they never increase along the funnel. A step
name may repeat (``["failure", "failure", "success"]``): each event serves one step only, in every
mode, so that funnel needs two distinct failure events (at the same instant or not). In strict
mode such funnels run on a slower engine (a Python loop per user). The time to a step is measured
for the user's first completion of it: the earliest time at which any qualifying chain reaches
the step, from the earliest entry event that starts such a chain (in ``"any"`` mode: from the
earliest event of such a set). The user's segment for ``by=`` is read on their earliest entry
event (ties: the first row).

Missing values, one rule everywhere (also in :func:`funnel_lib.sql.funnel_sql`): events with no
user are left out, with a note in ``table.attrs["notes"]``; a missing time (NaT) on a row that is
not a funnel event is ignored, with a note, and on a funnel event is an error; a missing event
name is simply not a funnel step.

Large logs are processed on several threads (numpy releases the GIL in its loops); the result
never depends on it.

>>> import pandas as pd
>>> log = pd.DataFrame({
...     "user_id": [1, 1, 1, 2, 2, 3],
...     "timestamp": pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:30", "2024-05-02 09:00",
...                                  "2024-05-01 12:00", "2024-05-20 12:00", "2024-05-03 08:00"]),
...     "event": ["visit", "signup", "purchase", "visit", "signup", "visit"],
... })
>>> funnel_from_events(log, ["visit", "signup", "purchase"], window="7D")[["step", "users", "share_of_first"]]
       step  users  share_of_first
0     visit      3        1.000000
1    signup      1        0.333333
2  purchase      1        0.333333
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, ItemsView, Iterable, KeysView, Sequence, ValuesView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from funnel_lib import _events_core as core

__all__ = ["funnel_from_events", "time_to_convert", "ORDERS", "MAX_STEPS"]

#: The three ways of matching steps; see the module docstring.
ORDERS = ("ordered", "strict", "any")
#: Most steps a funnel may have.
MAX_STEPS = 64

Order = Literal["ordered", "strict", "any"]
WindowLike: TypeAlias = str | pd.Timedelta | timedelta | np.timedelta64 | None

# ----------------------------------------------------------------------------- validation

def _check_steps(steps: Any) -> list[Hashable]:
    """Return the step names as a list; accepts a list of names or a Funnel (its step names)."""
    if hasattr(steps, "steps") and not isinstance(steps, (str, bytes, pd.DataFrame)):
        steps = [getattr(s, "name", s) for s in steps.steps]
    if isinstance(steps, (str, bytes)):
        raise TypeError(f"steps must be a list of event names, entry step first, got the single string {steps!r}; "
                        f"write [{steps!r}] for a one-step funnel")
    if isinstance(steps, (AbstractSet, KeysView, ValuesView, ItemsView)):
        raise TypeError(f"steps must be an ordered list of event names, entry step first, got a "
                        f"{type(steps).__name__}, whose order is arbitrary (it can change between runs); "
                        f"write the steps as a list in funnel order, e.g. ['visit', 'signup', 'buy']")
    if isinstance(steps, (pd.Series, pd.Index, np.ndarray)):
        steps = list(steps)
    if not isinstance(steps, Iterable) or isinstance(steps, (dict, pd.DataFrame)):
        raise TypeError(f"steps must be a list of event names, entry step first, got {steps!r} "
                        f"({type(steps).__name__})")
    names = list(steps)
    if not names:
        raise ValueError("steps must list at least one event name, got an empty list")
    for position, name in enumerate(names):
        if name is None or (isinstance(name, float) and np.isnan(name)) or not isinstance(name, Hashable):
            raise TypeError(f"steps[{position}] must be an event name, got {name!r}")
    if len(names) > MAX_STEPS:
        raise ValueError(f"steps may list at most {MAX_STEPS} event names, got {len(names)}")
    return names


def _window_units(window: WindowLike, unit: str) -> int:
    """The window as a whole number of ``unit`` (the time column's resolution), rounded down."""
    if window is None:
        return core.NO_WINDOW
    return int(_check_window(window) // pd.Timedelta(1, unit))


def _check_window(window: WindowLike) -> pd.Timedelta:
    allowed = "a positive duration such as '7D', '12h', '30min' or pd.Timedelta(days=7), or None for no limit"
    if isinstance(window, bool) or (isinstance(window, (int, float, np.integer, np.floating))
                                    and not isinstance(window, np.timedelta64)):
        raise TypeError(f"window must be {allowed}, got the number {window!r} (a duration needs a unit)")
    if not isinstance(window, (str, pd.Timedelta, timedelta, np.timedelta64)):
        raise TypeError(f"window must be {allowed}, got {window!r} ({type(window).__name__})")
    try:
        value = pd.Timedelta(window)
        if not pd.isna(value):
            value.as_unit("ns")  # every comparison is exact in nanoseconds: the window must fit
    except (pd.errors.OutOfBoundsTimedelta, OverflowError):
        raise ValueError(f"window {window!r} is longer than the longest duration pandas can hold "
                         f"({pd.Timedelta.max}, about 292 years); for no time limit pass window=None") from None
    except (ValueError, TypeError):
        raise ValueError(f"window must be {allowed}, got {window!r}") from None
    if pd.isna(value) or value <= pd.Timedelta(0):
        raise ValueError(f"window must be a positive duration, got {window!r}")
    return value


def _check_order(order: Any) -> str:
    if not isinstance(order, str) or order not in ORDERS:
        listed = ", ".join(repr(o) for o in ORDERS)
        raise ValueError(f"order must be one of {listed}, got {order!r}")
    return order


def _check_frame(events: Any, columns: dict[str, Any]) -> None:
    if not isinstance(events, pd.DataFrame):
        raise TypeError(f"events must be a pandas DataFrame (one row per event), got {type(events).__name__}")
    for argument, name in columns.items():
        if not isinstance(name, Hashable) or name is None:
            raise TypeError(f"{argument} must be a column name, got {name!r}")
    missing = [(argument, name) for argument, name in columns.items() if name not in events.columns]
    if missing:
        present = list(events.columns)
        if len(missing) == 1:
            argument, name = missing[0]
            raise ValueError(f"events is missing column {name!r}; columns present: {present} "
                             f"(pass {argument}= to name the column to use)")
        names = ", ".join(repr(name) for _, name in missing)
        arguments = ", ".join(f"{argument}=" for argument, _ in missing)
        raise ValueError(f"events is missing columns {names}; columns present: {present} "
                         f"(pass {arguments} to name the columns to use)")
    if not events.columns.is_unique:
        duplicated = sorted({str(c) for c in events.columns[events.columns.duplicated()]})
        raise ValueError(f"events has duplicated column names {duplicated}; rename them first")


def _missing(col: pd.Series) -> np.ndarray | None:
    """Where a column has missing values, or None if it has none (integer columns are not even
    scanned: a mask over every row is a big temporary for a big log)."""
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iub":
        return None
    mask = col.isna().to_numpy()
    return mask if mask.any() else None


def _describe_rows(events: pd.DataFrame, mask: np.ndarray) -> str:
    labels = events.index[mask][:5].tolist()
    more = ", ..." if int(mask.sum()) > 5 else ""
    return ", ".join(repr(label) for label in labels) + more


def _check_no_nulls(events: pd.DataFrame, column: Hashable, argument: str, isna: np.ndarray | None = None) -> None:
    mask = events[column].isna().to_numpy() if isna is None else isna
    count = int(mask.sum())
    if count:
        rows = "row" if count == 1 else "rows"
        raise ValueError(f"column {column!r} ({argument}=) has {count:,} missing value{'s' if count > 1 else ''} "
                         f"({rows} {_describe_rows(events, mask)}); drop or fill them first, "
                         f"e.g. events.dropna(subset=[{column!r}])")


def _time_values(events: pd.DataFrame, column: Hashable) -> tuple[np.ndarray, str]:
    """The time column as int64 in its own unit (UTC for time-zone-aware columns), and the unit.

    Missing numpy times (NaT) come out as the int64 minimum: the caller checks for them.
    """
    col = events[column]
    dtype = col.dtype
    if isinstance(dtype, pd.ArrowDtype) and pd.api.types.is_datetime64_any_dtype(dtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        unit = dtype.pyarrow_dtype.unit
        values = pc.fill_null(pc.cast(_arrow_chunks(col), pa.int64()), np.iinfo(np.int64).min).to_numpy()
        return np.ascontiguousarray(values, dtype=np.int64), unit
    if isinstance(dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_convert(None)
    elif not (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        hint = (f"pd.to_datetime(events[{column!r}], unit='s')" if pd.api.types.is_numeric_dtype(dtype)
                else f"pd.to_datetime(events[{column!r}], utc=True)")
        raise TypeError(f"column {column!r} (time=) must hold datetimes, got dtype {dtype}; convert it first, "
                        f"e.g. events[{column!r}] = {hint}")
    values = col.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    return values.view(np.int64), unit


@dataclass
class _Users:
    """How user ids become integer codes >= 0 (below ``2**bits``), and back (``decode``).

    ``values`` is the column's integers (codes are ``value - low``) or its category codes, read
    again by row position for each part of the users; None when the codes were factorised from the
    step rows and travel with them (other types, integers spread over more than 2**40).
    """

    values: np.ndarray | None
    low: int
    bits: int
    decode: Callable[[np.ndarray], pd.Index]

    def read(self, rows: np.ndarray) -> np.ndarray:
        """The int64 codes of the users on ``rows``."""
        assert self.values is not None
        return core._codes(self.values.take(rows), self.low)


def _users_by_row(events: pd.DataFrame, column: Hashable) -> _Users | None:
    """Users that can be read by row position: integers within 2**40 of each other, or
    categoricals (their codes); None for other columns (factorised later)."""
    col = events[column]
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = col.cat.categories
        return _Users(col.cat.codes.to_numpy(), 0, int(len(categories)).bit_length(),
                      lambda codes: pd.Index(categories.take(codes), dtype=categories.dtype))
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iub"):
        return None
    values = col.to_numpy()
    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    if high - low >= 2**40:
        return None

    def decode(codes: np.ndarray) -> pd.Index:
        if dtype.kind == "u":  # unsigned ids may exceed int64
            return pd.Index((codes.astype(np.uint64) + np.uint64(low)).astype(dtype))
        return pd.Index((codes.astype(np.int64) + np.int64(low)).astype(dtype))

    return _Users(values, low, (high - low).bit_length(), decode)


def _factorised_users(col: pd.Series, column: Hashable, chunks: list[core.Chunk], parts: int) -> _Users:
    """Factorise the users of the step rows (one piece per chunk so far) and split the chunks by
    ranges of the codes, which then travel with the step events."""
    rows = core._concat([c.rows() for c in chunks], np.uint32)
    try:
        codes, uniques = pd.factorize(col.iloc[rows.astype(np.intp)])
    except TypeError:  # unhashable values such as lists or dicts
        _check_hashable(col, column)
        raise
    del rows
    labels = pd.Index(uniques)
    codes = codes.astype(np.int32 if len(labels) < 2**31 else np.int64)
    bits = int(len(labels)).bit_length()
    table = core.PartTable.from_sample(codes[:: max(1, codes.size // 50_000)], 0, bits, parts) if parts > 1 else None
    at = 0
    for c in chunks:
        piece = c.pieces[0]
        assert piece is not None and len(c.pieces) == 1
        mine = codes[at:at + piece.rows.size]
        c.pieces = core.split_by_part(piece.rows, piece.step, table.of(mine) if table else None, parts, user=mine)
        at += piece.rows.size
    return _Users(None, 0, bits, lambda c: labels.take(c))


def _check_hashable(col: pd.Series, column: Hashable) -> None:
    """Raise a clear TypeError naming the first user value that cannot be a dictionary key."""
    for label, value in col.items():
        if not isinstance(value, Hashable):
            raise TypeError(f"column {column!r} (user=) must hold user ids such as numbers or strings, got the "
                            f"{type(value).__name__} {value!r:.60} at row {label!r}; user ids must be hashable")


def _value_kind(dtype: Any) -> str | None:
    """"number", "string" or None (anything: object columns) for what an event column can hold."""
    if isinstance(dtype, pd.CategoricalDtype):
        return _value_kind(dtype.categories.dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.StringDtype) or (isinstance(dtype, pd.ArrowDtype) and _arrow_is_string(
            dtype.pyarrow_dtype)):
        return "string"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "time"
    return None


def _step_kind(name: Hashable) -> str:
    if isinstance(name, (bool, np.bool_)):
        return "bool"
    if isinstance(name, (int, float, np.number)):
        return "number"
    if isinstance(name, str):
        return "string"
    return type(name).__name__


def _check_event_type(col: pd.Series, column: Hashable, steps: list[Hashable]) -> None:
    """A step name whose type the event column can never hold is an error, not zero users."""
    kind = _value_kind(col.dtype)
    if kind is None:
        return
    for position, name in enumerate(steps):
        if _step_kind(name) != kind:
            shown = col.dtype.categories.dtype if isinstance(col.dtype, pd.CategoricalDtype) else col.dtype
            raise TypeError(f"column {column!r} (event=) holds {kind} values (dtype {shown}) but step "
                            f"{position + 1} is the {type(name).__name__} {name!r}, which can never match; "
                            f"give the steps as {kind} values or convert the column, e.g. "
                            f"events[{column!r}].astype(str)")


def _step_rows(col: pd.Series, steps: list[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the rows whose event is a step, and each one's step index (0-based, int8)."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        lut = np.full(len(dtype.categories) + 1, -1, dtype=np.int8)  # last slot: missing (code -1)
        where = dtype.categories.get_indexer(pd.Index(steps, dtype=object))
        for j, c in enumerate(where):
            if c >= 0:
                lut[c] = j
        return _split(lut[col.cat.codes.to_numpy()])
    pa_chunks = _arrow_chunks(col)
    if pa_chunks is not None and _arrow_is_string(pa_chunks.type):
        return _arrow_step_rows(pa_chunks, steps)
    codes, uniques = pd.factorize(col)
    lut = np.append(_lookup(pd.Index(uniques), steps), -1).astype(np.int8)
    return _split(lut[codes])


def _split(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.flatnonzero(codes >= 0)
    return rows, codes[rows]


def _lookup(values: pd.Index, steps: list[Hashable]) -> np.ndarray:
    position = {name: j for j, name in enumerate(steps)}
    return np.array([position.get(v, -1) if isinstance(v, Hashable) else -1 for v in values], dtype=np.int64)


def _arrow_chunks(col: pd.Series) -> Any:
    """The pyarrow ChunkedArray behind an Arrow-backed column (no copy), else None."""
    array = col.array
    if isinstance(array, pd.api.extensions.ExtensionArray) and hasattr(array, "__arrow_array__") and (
            isinstance(col.dtype, pd.ArrowDtype) or getattr(col.dtype, "storage", None) == "pyarrow"):
        import pyarrow as pa

        chunks = array.__arrow_array__()
        return chunks if isinstance(chunks, pa.ChunkedArray) else pa.chunked_array([chunks])
    return None


def _arrow_is_string(pa_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(pa_type) or pa.types.is_large_string(pa_type) or pa.types.is_string_view(pa_type))


def _arrow_step_rows(chunked: Any, steps: list[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    """pyarrow's hash lookup (``index_in``) per chunk; its validity bitmap marks the step rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [s for s in steps if isinstance(s, str)]
    to_step = np.array([j for j, s in enumerate(steps) if isinstance(s, str)], dtype=np.int8)
    value_set = pa.array(names, type=chunked.type)
    all_rows, all_codes = [], []
    at = 0
    for chunk in chunked.chunks:
        found = pc.index_in(chunk, value_set=value_set)
        n = len(found)
        if n and found.null_count < n:
            positions = np.frombuffer(found.buffers()[1], dtype=np.int32, count=n, offset=found.offset * 4)
            if found.null_count:
                bits = np.frombuffer(found.buffers()[0], dtype=np.uint8)
                valid = np.unpackbits(bits, count=found.offset + n, bitorder="little")[found.offset:].view(bool)
                rows = np.flatnonzero(valid)
                codes = positions[rows]
            else:
                rows = np.arange(n)
                codes = positions
            all_rows.append(rows + at if at else rows)
            all_codes.append(to_step[codes])
        at += n
    if not all_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8)
    if len(all_rows) == 1:
        return all_rows[0].astype(np.int64, copy=False), all_codes[0]
    return np.concatenate(all_rows).astype(np.int64, copy=False), np.concatenate(all_codes)


# ----------------------------------------------------------------------------- computation

@dataclass
class _Computed:
    steps: list[Hashable]
    reach: core.Reached
    unit: str
    decode_user: Any
    group_codes: np.ndarray | None  # per entry user (aligned with reach[0].users), or None
    group_labels: pd.Index | None
    notes: dict[int | str, str]  # step index -> why nobody reaches it; "user"/"time" -> rows left out


def _never_seen_note(col: pd.Series, column: Hashable, name: Hashable) -> str:
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = [v for v in col.cat.categories[np.unique(col.cat.codes[col.cat.codes >= 0])]]
    else:
        present = pd.unique(col.dropna()).tolist()
    text = [str(v) for v in present]
    close = difflib.get_close_matches(str(name), text, n=3, cutoff=0.6)
    if not close:  # try ignoring case and separators
        folded = {t.lower().replace("_", " ").replace("-", " "): t for t in text}
        hits = difflib.get_close_matches(str(name).lower().replace("_", " ").replace("-", " "), list(folded), n=3,
                                         cutoff=0.6)
        close = [folded[h] for h in hits]
    message = f"step {name!r} never occurs in column {column!r}, so nobody reaches it"
    if close:
        return message + "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    sample = sorted(text)[:8]
    if not sample:
        return message + " (the log has no events)"
    return message + "; events present include " + ", ".join(repr(s) for s in sample)


def _compute(events: Any, steps: Any, *, user: Hashable, time: Hashable, event: Hashable, window: WindowLike,
             order: Any, by: Hashable | None) -> _Computed:
    names = _check_steps(steps)
    order = _check_order(order)
    if window is not None:
        _check_window(window)
    columns = {"user": user, "time": time, "event": event}
    if by is not None:
        columns["by"] = by
    _check_frame(events, columns)
    _check_event_type(events[event], event, names)
    notes: dict[int | str, str] = {}
    no_user = _missing(events[user])
    if no_user is not None:  # one documented behaviour, as in funnel_sql: events without a user are left out
        count = int(no_user.sum())
        notes["user"] = (f"{count:,} event{'s' if count > 1 else ''} with no user (missing {user!r}) "
                         f"{'were' if count > 1 else 'was'} left out")
        events = events.loc[~no_user]
    del no_user  # one byte per row: not kept through the computation

    times, unit = _time_values(events, time)
    width = _window_units(window, unit)
    n_rows = len(events)
    threads = core.workers() if n_rows >= core.PARALLEL_MIN_EVENTS else 1
    parts = core.n_parts(n_rows, threads)
    event_col = events[event]
    n_steps = len(names)
    distinct = list(dict.fromkeys(names))  # a name may repeat: events are matched to names, then to steps
    plan = [distinct.index(name) for name in names] if len(distinct) < n_steps else None
    users = _users_by_row(events, user)
    chunks = _step_chunks(event_col, distinct, times, users, parts, threads)
    if any(c.has_missing_time for c in chunks):
        notes["time"] = _missing_time_note(events, time, times, chunks)
    per_name = sum((c.counts for c in chunks), np.zeros(len(distinct), dtype=np.int64))
    notes.update({names.index(name): _never_seen_note(event_col, event, name)
                  for name, count in zip(distinct, per_name, strict=True) if count == 0})
    if users is None:
        users = _factorised_users(events[user], user, chunks, parts)
    reach, first_rows = core.run(chunks, users.read, times, users.bits, n_steps, width, order, plan=plan,
                                 need_rows=by is not None, threads=threads)
    del chunks
    if parts > 1:  # a big log: what the parts freed is handed back before the results are tabulated
        core.release_freed_memory()
    group_codes = group_labels = None
    if by is not None:
        assert first_rows is not None
        values = events[by].iloc[first_rows]
        factor, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
        group_codes = np.asarray(factor, dtype=np.int64)
        group_labels = pd.Index(uniques)
    return _Computed(names, reach, unit, users.decode, group_codes, group_labels, notes)


#: Time stand-in for NaT in :func:`_time_values` (the smallest int64).
_MISSING_TIME = np.iinfo(np.int64).min


def _step_chunks(event_col: pd.Series, distinct: list[Hashable], times: np.ndarray, users: _Users | None,
                 parts: int, threads: int) -> list[core.Chunk]:
    """The step events of the log, read in ``parts`` row ranges (several threads for big logs),
    each range split by part of the users when the users can be read by row (see :class:`_Users`).

    Only row positions (uint32) and name indices (int8) are kept: no copy of the whole frame and
    no mask over all rows."""
    n_rows = event_col.size
    bounds = np.linspace(0, n_rows, parts + 1).astype(np.int64)
    table = None
    if users is not None and parts > 1:  # users are split into parts by ranges of values, from a sample
        assert users.values is not None
        table = core.PartTable.from_sample(users.values[:: max(1, n_rows // 50_000)], users.low, users.bits, parts)
    pieces = [event_col.iloc[int(bounds[p]):int(bounds[p + 1])] for p in range(parts)]  # sliced here, read there
    row_type = np.uint32 if n_rows < 2**32 else np.int64

    def step_events(piece: int) -> core.Chunk:
        """The step events among one range of rows."""
        lo, hi = int(bounds[piece]), int(bounds[piece + 1])
        found, step = _step_rows(pieces[piece], distinct)
        rows: np.ndarray = found.astype(row_type)
        del found
        if lo:
            rows += row_type(lo)
        counts = np.bincount(step, minlength=len(distinct))
        part = table.of(users.values[rows]) if table is not None else None  # type: ignore[union-attr,index]
        missing = hi > lo and int(times[lo:hi].min()) == _MISSING_TIME  # NaT is the minimum
        return core.Chunk(core.split_by_part(rows, step, part, parts), counts, missing)

    return core.parallel_map(step_events, range(parts), threads)


def _missing_time_note(events: pd.DataFrame, time: Hashable, times: np.ndarray, chunks: list[core.Chunk]) -> str:
    """A missing time on a funnel event is an error; on any other row it cannot matter: a note."""
    rows = core._concat([c.rows() for c in chunks], np.uint32).astype(np.intp)
    bad = rows[times[rows] == _MISSING_TIME]
    if bad.size:
        mask = np.zeros(len(events), dtype=bool)
        mask[bad] = True
        _check_no_nulls(events, time, "time", mask)
    count = int((times == _MISSING_TIME).sum())
    return (f"{count:,} event{'s' if count > 1 else ''} with no time (missing {time!r}) "
            f"{'were' if count > 1 else 'was'} ignored: none of them is a funnel step")


def _quantiles(durations: np.ndarray, unit: str) -> tuple[Any, Any]:
    """Median and 90th percentile as nanosecond timedeltas (a median may fall between units)."""
    if durations.size == 0:
        return pd.NaT, pd.NaT
    if not durations.any():  # the entry step: always zero
        return pd.Timedelta(0), pd.Timedelta(0)
    # numpy's default (linear) quantiles from one partial sort of the integer durations
    n = durations.size
    positions = [q * (n - 1) for q in (0.5, 0.9)]
    kth = sorted({int(np.floor(x)) for x in positions} | {min(int(np.floor(x)) + 1, n - 1) for x in positions})
    part = np.partition(durations, kth)
    median, p90 = (float(part[int(np.floor(x))]) + (x - np.floor(x)) * float(
        part[min(int(np.floor(x)) + 1, n - 1)] - part[int(np.floor(x))]) for x in positions)
    per_unit = pd.Timedelta(1, unit) / pd.Timedelta(1, "ns")
    return (pd.Timedelta(round(float(median) * per_unit), "ns"), pd.Timedelta(round(float(p90) * per_unit), "ns"))


def _table(names: list[Hashable], users: list[int], durations: Callable[[int], np.ndarray], unit: str
           ) -> pd.DataFrame:
    """The funnel table; ``durations(k)`` gives step ``k``'s times from entry (each step's array is
    only built, on a thread of its own for big logs, while its quantiles are computed)."""
    big = sum(users) > 1_000_000
    medians, p90s = zip(*core.parallel_map(lambda k: _quantiles(durations(k), unit), range(len(names)),
                                           core.workers() if big else 1), strict=True)
    return _table_from(names, users, list(medians), list(p90s))


def _table_from(names: list[Hashable], users: list[int], medians: list[Any], p90s: list[Any]) -> pd.DataFrame:
    """The funnel table from per-step counts and timing (timedeltas or NaT); shared with funnel_from_sql."""
    counts = np.array(users, dtype=np.int64)
    previous = np.concatenate([[counts[0]], counts[:-1]]) if counts.size else counts
    with np.errstate(invalid="ignore", divide="ignore"):
        share_first = np.where(counts[0] > 0, counts / max(int(counts[0]), 1), np.nan)
        share_previous = np.where(previous > 0, counts / np.maximum(previous, 1), np.nan)
    return pd.DataFrame({
        "step": pd.array([str(n) for n in names], dtype="str"),
        "users": counts,
        "share_of_first": share_first.astype(np.float64),
        "share_of_previous": share_previous.astype(np.float64),
        "drop_off": (previous - counts).astype(np.int64),
        "median_time": pd.array(medians, dtype="timedelta64[ns]"),
        "p90_time": pd.array(p90s, dtype="timedelta64[ns]"),
    })


def funnel_from_events(events: pd.DataFrame, steps: Sequence[Hashable] | Any, *, user: Hashable = "user_id",
                       time: Hashable = "timestamp", event: Hashable = "event", window: WindowLike = "7D",
                       order: Order = "ordered", by: Hashable | None = None) -> pd.DataFrame:
    """Count the users who reach each step of a funnel in an event log, with shares and timing.

    ``steps`` lists event names, entry step first (or pass a :class:`~funnel_lib.Funnel`: its step
    names are used). ``window`` is how long after the entry event the last step may happen
    (``None``: no limit); ``order`` is ``"ordered"``, ``"strict"`` or ``"any"`` (see
    :mod:`funnel_lib.events`). The time column may be any datetime resolution, naive or time-zone
    aware; the event column strings or categorical. The input is not modified and need not be sorted.

    Returns one row per step: ``step``, ``users`` (users reaching at least this step),
    ``share_of_first``, ``share_of_previous``, ``drop_off`` (users lost since the previous step),
    ``median_time`` and ``p90_time`` (time from the entry event to this step, for each user's first
    completion; quantiles interpolate linearly). With ``by=`` (a column), one block of rows per value
    of that column on each user's earliest entry event, the column first. A step name that never occurs
    counts 0 users and the table gains a ``note`` column saying so, with close matches among the event
    names present; the same notes are in ``table.attrs["notes"]``.

    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "user_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:10",
    ...                                  "2024-05-02 10:00", "2024-05-02 11:00", "2024-05-03 08:00"]),
    ...     "event": ["visit", "signup", "visit", "signup", "visit"],
    ...     "channel": ["ads", "ads", "email", "email", "ads"],
    ... })
    >>> table = funnel_from_events(log, ["visit", "signup"], window="1D")
    >>> table[["step", "users", "share_of_previous", "drop_off", "median_time"]]
         step  users  share_of_previous  drop_off     median_time
    0   visit      3           1.000000         0 0 days 00:00:00
    1  signup      2           0.666667         1 0 days 00:35:00
    >>> funnel_from_events(log, ["visit", "signup"], by="channel")[["channel", "step", "users"]]
      channel    step  users
    0     ads   visit      2
    1     ads  signup      1
    2   email   visit      1
    3   email  signup      1
    """
    done = _compute(events, steps, user=user, time=time, event=event, window=window, order=order, by=by)
    names, reach, unit = done.steps, done.reach, done.unit
    if done.group_codes is None:
        table = _table(names, [reach.count(k) for k in range(len(names))], reach.durations, unit)
    else:
        assert done.group_labels is not None
        entry_users = reach[0].users
        n_groups = len(done.group_labels)
        counts = np.zeros((n_groups, len(names)), dtype=np.int64)
        per_group: list[list[np.ndarray]] = [[] for _ in range(n_groups)]
        for k in range(len(names)):
            r = reach[k]
            group = done.group_codes[np.searchsorted(entry_users, r.users)]
            counts[:, k] = np.bincount(group, minlength=n_groups)
            order_ = np.argsort(group, kind="stable")
            split = np.split(r.durations[order_], np.cumsum(counts[:, k])[:-1])
            for g in range(n_groups):
                per_group[g].append(split[g])
        blocks = [_table(names, list(counts[g]), per_group[g].__getitem__, unit) for g in range(n_groups)]
        table = pd.concat(blocks, ignore_index=True) if blocks else _table(
            names, [0] * len(names), lambda k: np.zeros(0, np.int64), unit).iloc[:0]
        labels = done.group_labels.take(np.repeat(np.arange(n_groups), len(names)))
        table.insert(0, by, pd.Series(labels, index=table.index))
    if any(k in done.notes for k in range(len(names))):
        per_step = [done.notes.get(k, "") for k in range(len(names))]
        table["note"] = pd.array(per_step * (len(table) // len(names)), dtype="str")
    if sum(done.reach.count(k) for k in range(len(names))) > 1_000_000:
        core.release_freed_memory()  # the quantiles' copies, freed on their threads
    table.attrs["notes"] = list(done.notes.values())
    table.attrs["order"] = order
    table.attrs["window"] = None if window is None else str(_check_window(window))
    return table


def time_to_convert(events: pd.DataFrame, steps: Sequence[Hashable] | Any, *, user: Hashable = "user_id",
                    time: Hashable = "timestamp", event: Hashable = "event", window: WindowLike = "7D",
                    order: Order = "ordered", by: Hashable | None = None) -> pd.DataFrame:
    """List each user's time from the entry event to every later step they reached, for plotting.

    Same arguments and meaning as :func:`funnel_from_events`. Returns one row per (user, step
    reached after the entry step): the user column, the ``by`` column if given, ``step`` (an ordered
    categorical in funnel order), ``step_number`` (1 = entry) and ``time_from_entry`` (a timedelta,
    the user's first completion of that step). Its medians per step are the funnel table's.

    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:10", "2024-05-01 10:00",
    ...                                  "2024-05-02 10:00", "2024-05-02 12:00"], utc=True),
    ...     "event": ["visit", "signup", "buy", "visit", "signup"],
    ... })
    >>> time_to_convert(log, ["visit", "signup", "buy"])
      user_id    step  step_number time_from_entry
    0       a  signup            2 0 days 00:10:00
    1       b  signup            2 0 days 02:00:00
    2       a     buy            3 0 days 01:00:00
    """
    done = _compute(events, steps, user=user, time=time, event=event, window=window, order=order, by=by)
    names, reach, unit = done.steps, done.reach, done.unit
    later = [reach[k] for k in range(1, len(names))]
    user_codes = np.concatenate([r.users for r in later]) if later else np.zeros(0, np.int64)
    durations = np.concatenate([r.durations for r in later]) if later else np.zeros(0, np.int64)
    step_index = np.repeat(np.arange(1, len(names)), [r.users.size for r in later]).astype(np.int64)
    labels = [str(n) for n in names]
    if len(set(labels)) < len(labels):  # a repeated step: its categories must be unique
        labels = [f"{label} (step {k + 1})" if labels.count(label) > 1 else label for k, label in enumerate(labels)]
    frame: dict[str, Any] = {str(user) if not isinstance(user, str) else user: done.decode_user(user_codes)}
    if by is not None:
        assert done.group_codes is not None and done.group_labels is not None
        group = done.group_codes[np.searchsorted(reach[0].users, user_codes)]
        frame[str(by) if not isinstance(by, str) else by] = done.group_labels.take(group)
    frame["step"] = pd.Categorical.from_codes(step_index, categories=labels, ordered=True)
    frame["step_number"] = step_index + 1
    frame["time_from_entry"] = durations.astype(f"timedelta64[{unit}]")
    result = pd.DataFrame(frame)
    result.attrs["notes"] = list(done.notes.values())
    return result
