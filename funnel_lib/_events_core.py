"""Vectorised engine behind :func:`funnel_lib.events.funnel_from_events` (internal).

Everything here works on plain numpy arrays that :mod:`funnel_lib.events` has already
validated (times as int64 in the column's own unit, users as int codes, steps as 0..K-1).

1. The step events (noise rows are dropped first) are sorted by (user, time, step) with stable
   LSD radix passes: numpy sorts 8- and 16-bit keys with a radix sort, so a key is cut into
   16-bit digits and only the small digit arrays and one final permutation are gathered. The
   time passes are skipped when the log is already in time order, as logs usually are; ties
   between different steps at one instant are put in step order; other ties keep row order.
2. One engine per mode handles every candidate chain at once:

   * ordered (:func:`ordered`): a backward as-of pass per step. For an event e of step j,
     B(e) is the latest entry time that starts a chain ending at e; it is B of the latest
     event of step j-1 at or before e. The window binds only the last event, so the user
     reaches step j iff some e has ``t(e) - B(e) <= window``. (This is the greedy chain read
     backwards, and what ClickHouse's ``windowFunnel`` computes per user.)
   * strict (:func:`strict`): a chain may only stay at the same timestamp or move to the user's
     next distinct funnel-step timestamp; the set of reachable offsets per entry is a bitmask.
   * any (:func:`any_order`): from each start event, the earliest event of every step at or
     after it; a set completes step k when the latest of those is within the window.

3. Big logs (:data:`PARALLEL_MIN_EVENTS` rows or more) are read in row ranges and split into
   contiguous ranges of users, a few per thread (:func:`run`): numpy releases the GIL in its
   loops, the parts never interact, small parts stay in cache, and a thread that is slowed
   down by another process only delays the part it is working on.

Each engine returns, per step, the users who reached it (sorted) and the time from the entry
event for their first completion (earliest completion, then earliest entry event).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__: list[str] = []  # internal module

#: int64 stand-in for "no window".
NO_WINDOW = np.iinfo(np.int64).max


@dataclass
class Sorted:
    """Step events sorted by (user, time); ``row`` is the position in the caller's frame."""

    user: np.ndarray  # int64 codes >= 0
    time: np.ndarray  # int64, in the time column's own unit
    step: np.ndarray  # int8 step index
    row: np.ndarray | None  # int64 original row positions, or None when not needed


@dataclass
class StepReach:
    """Users reaching one step (sorted unique codes) and their time from entry (same order)."""

    users: np.ndarray
    durations: np.ndarray


def nobody(n_steps: int) -> list[StepReach]:
    """``n_steps`` steps that nobody reached."""
    empty = np.zeros(0, dtype=np.int64)
    return [StepReach(empty, empty) for _ in range(n_steps)]


def _digit(values: np.ndarray, shift: int, width: int) -> np.ndarray:
    """Bits ``shift .. shift+width`` of non-negative int64 ``values`` as a compact uint8/uint16 array.

    On little-endian machines the digit is read through a byte or 16-bit-word view of the values
    (no int64 temporary); the values have no bits above the last digit, so no masking is needed.
    """
    small = np.uint8 if width <= 8 else np.uint16
    if sys.byteorder == "little" and values.flags.c_contiguous and shift % (8 if width <= 8 else 16) == 0:
        words = values.view(small).reshape(-1, 8 if width <= 8 else 4)
        return np.ascontiguousarray(words[:, shift // (8 if width <= 8 else 16)])
    return ((values >> shift) & ((1 << width) - 1)).astype(small)  # pragma: no cover - big-endian


def _radix_argsort(values: np.ndarray, nbits: int, order: np.ndarray | None = None) -> np.ndarray | None:
    """Stable argsort of non-negative int64 ``values`` (< 2**nbits), applied after ``order``.

    LSD radix: one stable pass per 16-bit digit (8-bit for a short last digit); numpy sorts
    8- and 16-bit integers with a radix sort. Each digit is cut out in one sequential pass
    and only the small digit arrays are gathered. Returns ``order`` unchanged if ``nbits`` is 0.
    """
    shift = 0
    while shift < nbits:
        width = 8 if nbits - shift <= 8 else 16
        digit = _digit(values, shift, width)
        if order is not None:
            digit = digit[order]
        o = np.argsort(digit, kind="stable")
        order = o if order is None else order[o]
        shift += width
    return order


def sort_by_user_time(user: np.ndarray, user_bits: int, time: np.ndarray, step: np.ndarray,
                      row: np.ndarray | None) -> Sorted:
    """Sort step events by (user, time, step); remaining ties keep input order."""
    order: np.ndarray | None = None
    if time.size > 1 and not bool(np.all(time[1:] >= time[:-1])):
        rel = time - time.min()
        order = _radix_argsort(rel, int(rel.max()).bit_length())
        del rel
    order = _radix_argsort(user, user_bits, order)
    # narrow types where the codes allow: smaller arrays make every later gather cheaper
    user_type = np.int32 if user_bits <= 31 else np.int64
    if order is not None:
        # user and step travel together: one gather instead of two
        if user_bits <= 24:
            packed = user.astype(np.uint32)
            packed <<= np.uint32(8)
            packed |= step.astype(np.uint32)
        else:
            packed = np.left_shift(user, 8)
            packed |= step
        packed = packed[order]
        time = time[order]
        if row is not None:
            row = row[order]
        del order
        step = (packed & 0xFF).astype(np.int8)
        packed >>= 8
        user = packed.astype(user_type)
    else:
        user = user.astype(user_type)
    return _steps_in_order_within_ties(Sorted(user, time, step, row))


def _steps_in_order_within_ties(s: Sorted) -> Sorted:
    """Among events of one user at one time, put lower steps first (stable otherwise)."""
    if s.user.size < 2:
        return s
    tie = s.user[1:] == s.user[:-1]
    tie &= s.time[1:] == s.time[:-1]
    inverted = tie & (s.step[1:] < s.step[:-1])
    if not inverted.any():
        return s
    group = np.concatenate([[0], np.cumsum(~tie)])
    positions = np.flatnonzero(np.isin(group, group[1:][inverted]))
    within = np.lexsort((s.step[positions], group[positions]))
    step = s.step.copy()
    step[positions] = s.step[positions][within]
    row = s.row
    if row is not None:
        row = row.copy()
        row[positions] = s.row[positions][within]  # type: ignore[index]
    return Sorted(s.user, s.time, step, row)


def _first_of_runs(keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values."""
    first = np.empty(keys.size, dtype=bool)
    if keys.size:
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return first


def _new_groups(s: Sorted) -> np.ndarray:
    """True at each position that starts a new (user, time) group."""
    n = s.user.size
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
        np.not_equal(s.user[1:], s.user[:-1], out=new[1:])
        new[1:] |= s.time[1:] != s.time[:-1]
    return new


def _group_starts(s: Sorted) -> np.ndarray:
    """For each position, the position of the first event with the same user and time."""
    n = s.user.size
    idx = np.where(_new_groups(s), np.arange(n), 0)
    return np.maximum.accumulate(idx) if n else idx


def _best_per_user(users: np.ndarray, start: np.ndarray, done: np.ndarray) -> StepReach:
    """Per user (``users`` sorted, starts ascending within user): the earliest completion
    ``done``, then the earliest start; returns unique users and ``done - start``."""
    if users.size == 0:
        return StepReach(users, users.copy())
    first = _first_of_runs(users)
    run_starts = np.flatnonzero(first)
    best_done = np.minimum.reduceat(done, run_starts)
    run_id = np.cumsum(first) - 1
    hit = done == best_done[run_id]
    # first hit of each run: hits are in start order within a user
    hit_pos = np.flatnonzero(hit)
    first_hit = hit_pos[_first_of_runs(users[hit_pos])]
    return StepReach(users[first_hit], done[first_hit] - start[first_hit])


def _earliest_at_or_after(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, threshold: np.ndarray
                          ) -> np.ndarray:
    """For each query, the first index i in [lo, hi] with values[i] >= threshold (values sorted
    within each range; values[hi] >= threshold is guaranteed): a vectorised bisection."""
    lo = lo.copy()
    hi = hi.copy()
    active = np.flatnonzero(lo < hi)
    while active.size:
        mid = (lo[active] + hi[active]) // 2
        right = values[mid] >= threshold[active]
        hi[active] = np.where(right, mid, hi[active])
        lo[active] = np.where(right, lo[active], mid + 1)
        active = active[lo[active] < hi[active]]
    return lo


def ordered(s: Sorted, n_steps: int, window: int) -> list[StepReach]:
    """Ordered mode, as a backward as-of pass per step (see below).

    For an event e of step j, let B(e) be the latest entry time that starts a chain ending at e
    (ignoring the window). B of a step-j event is B of the latest step-(j-1) event of the user at
    or before it (ties already put lower steps first), because B never decreases along a user's
    events of one step. The window only constrains the last event, so the user reaches step j at
    e iff ``t(e) - B(e) <= window``. For the time from entry, the user's first such e is the
    earliest completion, and every entry between ``t(e) - window`` and B(e) starts a valid chain
    ending at e: the earliest of them is found by bisection among the user's entries.
    """
    is_step = [s.step == j for j in range(n_steps)]
    positions = [np.flatnonzero(mask) for mask in is_step]
    entries = positions[0]
    entry_user = s.user[entries]
    entry_time = s.time[entries]
    first = _first_of_runs(entry_user)
    out = [StepReach(entry_user[first], np.zeros(int(first.sum()), dtype=np.int64))]
    if n_steps == 1:
        return out
    span = int(s.time.max() - s.time.min()) if s.time.size else 0
    window = min(window, span)  # differences never exceed the span: no overflow below
    # each entry's user's first entry (index into entries)
    user_first = np.maximum.accumulate(np.where(first, np.arange(entries.size), 0))
    never = np.iinfo(np.int64).min // 4
    best_start = entry_time  # B per event of the previous step
    best_entry = np.arange(entries.size)  # which entry gives B
    for j in range(1, n_steps):
        here, previous = positions[j], positions[j - 1]
        if here.size == 0 or previous.size == 0 or best_start.size == 0:
            out.extend(nobody(n_steps - j))
            break
        # latest step-(j-1) event before e: (number of step-(j-1) events up to e) - 1; a running
        # count is cheaper than a binary search for every event
        idx = np.cumsum(is_step[j - 1], dtype=np.int32 if s.step.size < 2**31 else np.int64)[here]
        idx = idx.astype(np.int64) - 1
        has = idx >= 0
        np.maximum(idx, 0, out=idx)
        user = s.user[here]
        same = has & (s.user[previous[idx]] == user)
        best_start = np.where(same, best_start[idx], never)
        best_entry = np.where(same, best_entry[idx], -1)
        t_here = s.time[here]
        ok = t_here - best_start <= window
        hit = np.flatnonzero(ok)
        hit = hit[_first_of_runs(user[hit])]  # first completion per user
        done = t_here[hit]
        last = best_entry[hit]
        chosen = _earliest_at_or_after(entry_time, user_first[last], last, done - window)
        out.append(StepReach(user[hit], done - entry_time[chosen]))
    return out


def strict(s: Sorted, n_steps: int, window: int) -> list[StepReach]:
    """Strict order: consecutive chosen events with no other step event strictly between."""
    if s.user.size == 0:
        return nobody(n_steps)
    gstart = np.flatnonzero(_new_groups(s))
    gmask = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), s.step.astype(np.uint64)), gstart)
    guser = s.user[gstart]
    gtime = s.time[gstart]
    n_groups = gstart.size
    entries = np.flatnonzero(gmask & np.uint64(1))
    users = guser[entries]
    start = gtime[entries]
    first = _first_of_runs(users)
    out = [StepReach(users[first], np.zeros(int(first.sum()), dtype=np.int64))]
    # reach: bit d set when the chain can stand on group (entry + d) at the current step
    reach = np.ones(entries.size, dtype=np.uint64)
    for j in range(1, n_steps):
        # which offsets d (0..j) hold an event of step j inside the window
        allowed = np.zeros(entries.size, dtype=np.uint64)
        for d in range(j + 1):
            g = entries + d
            inside = g < n_groups
            g = np.minimum(g, n_groups - 1)
            inside &= (guser[g] == users) & (gtime[g] - start <= window)
            has = ((gmask[g] >> np.uint64(j)) & np.uint64(1)).astype(bool) & inside
            allowed |= has.astype(np.uint64) << np.uint64(d)
        reach = (reach | (reach << np.uint64(1))) & allowed
        alive = reach != 0
        entries, users, start, reach = entries[alive], users[alive], start[alive], reach[alive]
        if entries.size == 0:
            out.extend(nobody(n_steps - j))
            break
        lowest = reach & (~reach + np.uint64(1))
        offset = np.frexp(lowest.astype(np.float64))[1].astype(np.int64) - 1
        done = gtime[entries + offset]
        out.append(_best_per_user(users, start, done))
    return out


def any_order(s: Sorted, n_steps: int, window: int) -> list[StepReach]:
    """Any order: the first k steps each occur within one window, in any order."""
    if s.user.size == 0:
        return nobody(n_steps)
    gstart = _group_starts(s)
    never = np.iinfo(np.int64).max
    positions = [np.flatnonzero(s.step == j) for j in range(n_steps)]
    out: list[StepReach] = []
    latest = np.full(s.user.size, np.iinfo(np.int64).min, dtype=np.int64)  # max over steps < k of next time
    for j in range(n_steps):
        pj = positions[j]
        if pj.size == 0:
            out.extend(nobody(n_steps - j))
            break
        mask = s.step == j
        before = np.cumsum(mask, dtype=np.int64)
        before -= mask  # step-j events strictly before each position
        idx = before[gstart]
        found = idx < pj.size
        np.minimum(idx, pj.size - 1, out=idx)
        nxt = pj[idx]
        t_next = np.where(found & (s.user[nxt] == s.user), s.time[nxt], never)
        np.maximum(latest, t_next, out=latest)
        # a set of steps 0..j starts at its earliest event, which is an event of one of them
        cand = np.flatnonzero((s.step <= j) & (latest != never))
        cand = cand[latest[cand] - s.time[cand] <= window]
        out.append(_best_per_user(s.user[cand], s.time[cand], latest[cand]))
    return out


ENGINES = {"ordered": ordered, "strict": strict, "any": any_order}


def repeated(s: Sorted, plan: list[int], window: int, order: str) -> list[StepReach]:
    """Any mode when a step name repeats (``plan[j]`` = the name index of step j; ``s.step`` holds
    name indices). Each event serves one step only. One user at a time, over the user's *time
    groups* (distinct timestamps, with a count of events per name): steps taken inside one group
    may use as many events of a name as the group holds.

    * ordered: from each entry group, the greedy chain (stay in the group while it has an unused
      event of the next step's name, else jump to the next group that has one) is optimal;
    * strict: every chain that stays or moves to the very next group is followed (a set of states);
    * any: from each group time T, the m-th event of each name at or after T.

    Slower than the vectorised engines (a Python loop per user); only strict funnels with a repeated
    name use it. Ordered and any mode run :func:`repeated_ordered` and :func:`repeated_any`, the same
    rules vectorised: this loop is their reference in the tests.
    """
    n_steps = len(plan)
    n_names = max(plan) + 1
    found_users: list[list[int]] = [[] for _ in range(n_steps)]
    found_durations: list[list[int]] = [[] for _ in range(n_steps)]
    if s.user.size == 0:
        return nobody(n_steps)
    starts = np.flatnonzero(_first_of_runs(s.user)).tolist() + [s.user.size]
    new_group = _first_of_runs(s.time) | _first_of_runs(s.user)
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        heads = np.flatnonzero(new_group[a:b])
        times = s.time[a:b][heads].tolist()
        counts = np.zeros((heads.size, n_names), dtype=np.int64)
        np.add.at(counts, (np.cumsum(new_group[a:b]) - 1, s.step[a:b].astype(np.int64)), 1)
        best = _one_user(times, counts.tolist(), plan, window, order)
        user = int(s.user[a])
        for j, found in enumerate(best):
            if found is None:
                break
            found_users[j].append(user)
            found_durations[j].append(found[0] - found[1])
    return [StepReach(np.array(u, dtype=np.int64), np.array(d, dtype=np.int64))
            for u, d in zip(found_users, found_durations, strict=True)]


def _time_groups(s: Sorted, n_names: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A user's events at one timestamp form a *time group*: per group (in (user, time) order) its
    user, its time and how many events of each name it holds (a groups x names matrix)."""
    new = _first_of_runs(s.user)
    new[1:] |= s.time[1:] != s.time[:-1]
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    counts = np.bincount(group * n_names + s.step, minlength=starts.size * n_names).reshape(starts.size, n_names)
    return s.user[starts], s.time[starts], counts


def _next_group_with(guser: np.ndarray, held: np.ndarray) -> np.ndarray:
    """For each group, the first later group of the same user where ``held`` is true, or -1."""
    having = np.flatnonzero(held)
    if having.size == 0:
        return np.full(held.size, -1, dtype=np.int64)
    at = np.searchsorted(having, np.arange(held.size), side="right")
    found = at < having.size
    nxt = having[np.minimum(at, having.size - 1)]
    return np.where(found & (guser[nxt] == guser), nxt, -1)


def repeated_ordered(s: Sorted, plan: list[int], window: int) -> list[StepReach]:
    """Ordered mode when a step name repeats, vectorised over every entry group at once.

    From each time group holding an entry event, the greedy chain is optimal: for step j it
    stays in its group while the group still has an event of step j's name that the chain has not
    used, else it jumps to the user's next group that has one (within the window of the entry).
    The events a chain has used in its group are those of the steps since it arrived there, so
    the state per chain is just (group, step of arrival).
    """
    n_steps = len(plan)
    n_names = max(plan) + 1
    guser, gtime, counts = _time_groups(s, n_names)
    # before[j, x]: steps before step j that use name x
    before = np.zeros((n_steps + 1, n_names), dtype=np.int64)
    for j, name in enumerate(plan):
        before[j + 1] = before[j]
        before[j + 1, name] += 1
    following = {name: _next_group_with(guser, counts[:, name] > 0) for name in set(plan[1:])}
    group = np.flatnonzero(counts[:, plan[0]] > 0)
    users, start = guser[group], gtime[group]
    arrived = np.zeros(group.size, dtype=np.int64)
    first = _first_of_runs(users)
    out = [StepReach(users[first], np.zeros(int(first.sum()), dtype=np.int64))]
    for j in range(1, n_steps):
        name = plan[j]
        used = before[j, name] - before[arrived, name]
        stay = counts[group, name] > used
        group = np.where(stay, group, following[name][group])
        alive = group >= 0
        alive[alive] = gtime[group[alive]] - start[alive] <= window
        arrived = np.where(stay, arrived, j)
        group, arrived, users, start = group[alive], arrived[alive], users[alive], start[alive]
        if group.size == 0:
            out.extend(nobody(n_steps - j))
            break
        out.append(_best_per_user(users, start, gtime[group]))
    return out


def repeated_any(s: Sorted, plan: list[int], window: int) -> list[StepReach]:
    """Any mode when a step name repeats, vectorised over every start time at once.

    From each of a user's distinct times T, step j takes the m-th event of its name at or after T
    (m: how many of steps 1..j use that name), which must be within the window of T; the set of
    steps 1..j is complete when all of them are found. Per user, the completion kept is the one
    that ends earliest, then starts earliest (its earliest chosen event), as in :func:`repeated`.
    """
    n_steps = len(plan)
    if s.user.size == 0:
        return nobody(n_steps)
    new = _first_of_runs(s.user)
    new[1:] |= s.time[1:] != s.time[:-1]
    gstart = np.flatnonzero(new)
    users, start = s.user[gstart], s.time[gstart]
    positions = {name: np.flatnonzero(s.step == name) for name in set(plan)}
    before = {name: np.searchsorted(at, gstart) for name, at in positions.items()}  # events of name before T
    chain = np.arange(gstart.size)
    done = np.full(gstart.size, np.iinfo(np.int64).min, dtype=np.int64)
    begin = np.full(gstart.size, np.iinfo(np.int64).max, dtype=np.int64)
    out: list[StepReach] = []
    for j, name in enumerate(plan):
        at = positions[name]
        k = before[name][chain] + plan[:j + 1].count(name) - 1
        found = k < at.size  # (all false when the name never occurs)
        event = at[np.minimum(k, at.size - 1)] if at.size else np.zeros_like(k)
        t = s.time[event]
        found &= s.user[event] == users[chain]
        found &= t - start[chain] <= window
        chain, t = chain[found], t[found]
        done, begin = np.maximum(done[found], t), np.minimum(begin[found], t)
        if chain.size == 0:
            out.extend(nobody(n_steps - j))
            break
        best = np.lexsort((begin, done, users[chain]))
        best = best[_first_of_runs(users[chain][best])]
        out.append(StepReach(users[chain][best], done[best] - begin[best]))
    return out


class _Best:
    """Per step, the best (earliest completion, earliest start) seen so far, or None."""

    __slots__ = ("steps",)

    def __init__(self, n_steps: int) -> None:
        self.steps: list[tuple[int, int] | None] = [None] * n_steps

    def record(self, j: int, done: int, begin: int) -> None:
        current = self.steps[j]
        if current is None or (done, begin) < current:
            self.steps[j] = (done, begin)


def _one_user(times: list[int], counts: list[list[int]], plan: list[int], window: int, order: str
              ) -> list[tuple[int, int] | None]:
    """Per step, the (earliest completion, earliest start) over all chains of one user, or None."""
    best = _Best(len(plan))
    if order == "any":
        _one_user_any(times, counts, plan, window, best)
    else:
        _one_user_chains(times, counts, plan, window, order, best)
    return best.steps


def _one_user_any(times: list[int], counts: list[list[int]], plan: list[int], window: int, best: _Best) -> None:
    """Any order: from every start time, each step takes the next unused event of its name."""
    per_name: list[list[int]] = [[] for _ in range(len(counts[0]))]
    for g, row in enumerate(counts):
        for name, c in enumerate(row):
            per_name[name].extend([times[g]] * c)
    for start in times:
        done = begin = None
        taken: dict[int, int] = {}
        for j, name in enumerate(plan):
            taken[name] = taken.get(name, 0) + 1
            at = int(np.searchsorted(per_name[name], start)) + taken[name] - 1
            if at >= len(per_name[name]) or per_name[name][at] - start > window:
                break
            t = per_name[name][at]
            done = t if done is None else max(done, t)
            begin = t if begin is None else min(begin, t)
            best.record(j, done, begin)


def _one_user_chains(times: list[int], counts: list[list[int]], plan: list[int], window: int, order: str,
                     best: _Best) -> None:
    """Ordered and strict: every chain from every group holding the first step's event."""
    first = plan[0]
    n_names = len(counts[0])
    for g0 in range(len(times)):
        if counts[g0][first] == 0:
            continue
        t0 = times[g0]
        best.record(0, t0, t0)
        # states: (group, events of each name used in that group)
        states = {(g0, tuple(int(i == first) for i in range(n_names)))}
        for j in range(1, len(plan)):
            states = _next_states(states, plan[j], times, counts, t0, window, order)
            if not states:
                break
            best.record(j, min(times[g] for g, _ in states), t0)


def _next_states(states: set[tuple[int, tuple[int, ...]]], name: int, times: list[int], counts: list[list[int]],
                 t0: int, window: int, order: str) -> set[tuple[int, tuple[int, ...]]]:
    """Where each chain can be after taking one more event of ``name``."""
    n_groups = len(times)
    following: set[tuple[int, tuple[int, ...]]] = set()
    for g, used in states:
        if used[name] < counts[g][name]:  # stay: an unused event of this name at the same time
            following.add((g, used[:name] + (used[name] + 1,) + used[name + 1:]))
            if order == "ordered":
                continue  # the greedy chain: staying is never worse than moving on
        nxt = g + 1
        if order == "ordered":
            while nxt < n_groups and counts[nxt][name] == 0:
                nxt += 1
        if nxt < n_groups and counts[nxt][name] > 0 and times[nxt] - t0 <= window:
            following.add((nxt, tuple(int(i == name) for i in range(len(used)))))
    return following

#: From this many rows on, the log is read in row ranges and its users split into parts.
PARALLEL_MIN_EVENTS = 1_000_000


def workers() -> int:
    """Threads to use for large logs: the CPUs this process may run on, at most 8."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        available = os.cpu_count() or 1
    return max(1, min(8, available))


@dataclass
class Piece:
    """The step events of one range of rows that belong to one part of the users, in row order.

    Only row positions and step indices are kept (5 bytes an event for logs under 2**32 rows):
    users and times are read from the frame again when the part is processed. ``user`` holds the
    user codes only when they cannot be read again cheaply (users factorised from the step rows).
    """

    rows: np.ndarray  # uint32 (or int64 for huge logs) row positions, ascending
    step: np.ndarray  # int8 name index
    user: np.ndarray | None = None  # int codes >= 0, or None: read from the frame by row


@dataclass
class Chunk:
    """The step events of one range of rows, split by part of the users (``pieces[p]``, None once
    taken), with the number of events of each name and whether some row of the range has no time."""

    pieces: list[Piece | None]
    counts: np.ndarray
    has_missing_time: bool = False

    def rows(self) -> np.ndarray:
        """All the step rows of the range (pieces not yet taken), part after part."""
        return _concat([p.rows for p in self.pieces if p is not None], np.uint32)


def _concat(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    """``np.concatenate`` that accepts an empty list and avoids a copy of a single array."""
    if not arrays:
        return np.zeros(0, dtype=dtype)
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None where there is none (other C libraries, other systems)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


def release_freed_memory() -> None:
    """Hand memory that numpy has freed, but the C allocator still holds, back to the system.

    glibc keeps freed blocks in per-thread arenas; after a multi-threaded pass over a big log that
    is tens of MiB which the process's resident size still counts and the next call may not reuse
    (the Orthanc DICOM server calls ``malloc_trim`` periodically since 1.11.3 for the same reason,
    per its ``memory_consumption.txt`` notes). Nothing live is touched. Called
    after big logs only (it takes a few milliseconds); does nothing where there is no glibc.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    """The process's pool of ``threads`` worker threads, made once and kept between calls.

    The C allocator gives each thread its own arena and keeps what is freed there; fresh threads
    on every call would take fresh arenas and leave the old ones' memory behind, so the resident
    size would grow from call to call. Kept threads reuse their arenas instead.
    """
    with _POOLS_LOCK:
        if threads not in _POOLS:
            _POOLS[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="funnel_lib")
        return _POOLS[threads]


def parallel_map(func: Any, items: Any, threads: int) -> list[Any]:
    """``list(map(func, items))``, on ``threads`` threads when more than one (each thread takes
    the next item when it is free, so a slow item does not hold the others up)."""
    items = list(items)
    if threads < 2 or len(items) < 2:
        return [func(item) for item in items]
    return list(_pool(threads).map(func, items))


def _one_part(user: np.ndarray, user_bits: int, time: np.ndarray, step: np.ndarray, row: np.ndarray | None,
              n_steps: int, window: int, order: str, plan: list[int] | None = None
              ) -> tuple[list[StepReach], np.ndarray | None]:
    s = sort_by_user_time(user, user_bits, time, step, row)
    del user, time, step, row
    if plan is None:
        reach = ENGINES[order](s, n_steps, window)
    elif order == "ordered":
        reach = repeated_ordered(s, plan, window)
    elif order == "any":
        reach = repeated_any(s, plan, window)
    else:
        reach = repeated(s, plan, window, order)
    first_rows = None
    if s.row is not None:
        entries = np.flatnonzero(s.step == 0)
        first_rows = s.row[entries[_first_of_runs(s.user[entries])]]
    return reach, first_rows


#: Parts of users per thread: more parts than threads balance the load when a core is busy, and
#: small parts keep the sorting temporaries small (peak memory) and in cache.
PARTS_PER_THREAD = 16  # at most 255 parts: part numbers are uint8


def n_parts(n_rows: int, threads: int) -> int:
    """How many parts the users of a log of ``n_rows`` rows are split into (1 for small logs).

    Big logs are split even on one thread: the parts keep the sorting temporaries small.
    """
    return max(2, threads) * PARTS_PER_THREAD if n_rows >= PARALLEL_MIN_EVENTS else 1


@dataclass
class PartTable:
    """Which part of the users a user code (``value - low``, below ``2**bits``) belongs to:
    ``lut[code >> shift]``. Parts are contiguous ranges of codes, so the parts' results,
    concatenated in part order, are sorted by user. A table lookup is much cheaper than a binary
    search among cut points."""

    low: int
    shift: int
    lut: np.ndarray  # uint8 part per bucket of codes
    count: int  # number of parts

    @classmethod
    def from_sample(cls, sample: np.ndarray, low: int, bits: int, parts: int) -> PartTable:
        """Buckets of codes (at most 4096) given to ``parts`` parts of about equal numbers of
        ``sample`` values (raw values, like those later passed to :meth:`of`)."""
        shift = max(0, bits - 12)
        buckets = np.bincount(_codes(sample, low) >> shift, minlength=((2**bits - 1) >> shift) + 1)
        before = np.cumsum(buckets) - buckets  # sampled values in lower buckets
        lut = np.minimum(before * parts // max(1, int(sample.size)), parts - 1).astype(np.uint8)
        return cls(low, shift, lut, parts)

    def of(self, values: np.ndarray) -> np.ndarray:
        """The part of each raw user value (uint8)."""
        return self.lut[_codes(values, self.low) >> self.shift]


def split_by_part(rows: np.ndarray, step: np.ndarray, part: np.ndarray | None, count: int,
                  user: np.ndarray | None = None) -> list[Piece | None]:
    """Split step events (in row order) into ``count`` pieces by ``part`` (uint8 part of each
    event; None: one piece). Every piece is its own small array, so that each one's memory is
    freed as soon as its part has been processed; within a piece, row order is kept."""
    if part is None or count < 2:
        return [Piece(rows, step, user)]
    order = np.argsort(part, kind="stable")  # a radix sort of small integers
    ends = np.cumsum(np.bincount(part, minlength=count)).tolist()
    rows, step = rows[order], step[order]
    if user is not None:
        user = user[order]
    del order
    pieces: list[Piece | None] = []
    start = 0
    for end in ends:
        pieces.append(Piece(rows[start:end].copy(), step[start:end].copy(),
                            None if user is None else user[start:end].copy()))
        start = end
    return pieces


def _codes(user: np.ndarray, offset: int) -> np.ndarray:
    """``user - offset`` as int64 without overflow in the user's own integer type."""
    if user.dtype.kind == "u" and offset >= 0:
        return (user - user.dtype.type(offset)).astype(np.int64)
    return user.astype(np.int64) - offset if offset else user.astype(np.int64, copy=False)


def run(chunks: list[Chunk], read_users: Any, times: np.ndarray, user_bits: int, n_steps: int, window: int,
        order: str, *, need_rows: bool, threads: int = 1, plan: list[int] | None = None
        ) -> tuple[Reached, np.ndarray | None]:
    """Sort and run one engine per part of the users; returns per-step reach (users sorted) and,
    with ``need_rows``, each entry user's first entry row (aligned with ``reach[0].users``).

    Part ``p`` takes piece ``p`` of every chunk (in row order), reads its users
    (``read_users(rows)``: int64 codes below ``2**user_bits``, unless the pieces hold them) and
    ``times[rows]``, sorts them and walks them on its own; numpy releases the GIL in its loops, so
    ``threads`` threads share the parts. The parts are contiguous ranges of users, so their results,
    concatenated, are sorted by user.
    """
    count = len(chunks[0].pieces) if chunks else 0

    def part(p: int) -> tuple[list[StepReach], np.ndarray | None]:
        taken = [c.pieces[p] for c in chunks]
        for c in chunks:
            c.pieces[p] = None  # freed once gathered below
        # row positions as intp: ``take`` with them is about twice as fast as indexing with uint32
        rows = _concat([x.rows for x in taken if x is not None], np.uint32).astype(np.intp)
        step = _concat([x.step for x in taken if x is not None], np.int8)
        stored = [x.user for x in taken if x is not None and x.user is not None]
        del taken
        user = _concat(stored, np.int64).astype(np.int64) if stored else read_users(rows)
        del stored
        return _one_part(user, user_bits, times.take(rows), step, rows if need_rows else None,
                         n_steps, window, order, plan)

    results = parallel_map(part, range(count), threads)
    first_rows = _concat([r[1] for r in results], np.int64) if need_rows else None
    return Reached([r[0] for r in results], n_steps), first_rows


def _zeros(n: int) -> np.ndarray:
    """``n`` int64 zeros that take no memory (a read-only broadcast view)."""
    return np.broadcast_to(np.int64(0), (n,))


class Reached:
    """Per step, the users who reached it (sorted codes) and their time from entry, kept as the
    parts' results (contiguous ranges of users, in order) and concatenated only on demand, one
    step at a time: the results are never held twice. The entry step's times, all zero, take no
    memory."""

    def __init__(self, per_part: list[list[StepReach]], n_steps: int) -> None:
        self._parts = [[StepReach(reach[0].users, _zeros(reach[0].users.size)), *reach[1:]] for reach in per_part]
        self.n_steps = n_steps

    def count(self, k: int) -> int:
        """How many users reached step ``k``."""
        return sum(int(reach[k].users.size) for reach in self._parts)

    def durations(self, k: int) -> np.ndarray:
        """The time from entry of the users who reached step ``k`` (in user order)."""
        arrays = [reach[k].durations for reach in self._parts]
        if k == 0:
            return _zeros(sum(a.size for a in arrays))
        return _concat(arrays, np.int64)

    def __getitem__(self, k: int) -> StepReach:
        """Step ``k``'s users and durations, concatenated over the parts."""
        return StepReach(_concat([reach[k].users for reach in self._parts], np.int64), self.durations(k))

    def __len__(self) -> int:
        return self.n_steps
