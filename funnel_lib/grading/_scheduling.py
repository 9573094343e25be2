"""Scheduling a class autograde: long-lived worker slots, timeouts, and merging students as they finish."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnel_lib.grading._merging import _INTERRUPTED, _finish
from funnel_lib.grading._planning import _Plan
from funnel_lib.grading._progress import Progress
from funnel_lib.grading._reporting import StudentResult
from funnel_lib.grading._worker import _slot_main

__all__ = []


@dataclass
class _Slot:
    """One long-lived worker process (it grades students one after another) and what it is doing."""

    process: Any
    conn: Any
    student: str | None = None
    begun: float = 0.0


def _start_slot(context: Any) -> _Slot:
    parent_end, child_end = context.Pipe()
    process = context.Process(target=_slot_main, args=(child_end,), name="funnel-grade-slot", daemon=False)
    process.start()
    child_end.close()
    return _Slot(process, parent_end)


def _end_slot(plan: _Plan, slot: _Slot, kill: bool) -> None:
    """Stop a slot's process (kill it, with its kernels, when ``kill``) and remove its cgroups."""
    if kill:
        _kill_worker(slot.process)
    else:
        try:
            slot.conn.send(None)
        except (OSError, ValueError):
            pass
        slot.process.join(timeout=20)
        if slot.process.is_alive():
            _kill_worker(slot.process)
    slot.conn.close()
    if plan.isolation and slot.process.pid is not None:  # cgroups of a killed worker's kernels
        from funnel_lib.grading._isolation import Isolation, remove_worker_cgroups

        remove_worker_cgroups(Isolation.from_json(plan.isolation).cgroup, slot.process.pid)


def _run(plan: _Plan, todo: list[str], jobs: int, bar: Progress) -> Iterator[StudentResult]:
    """Run ``jobs`` worker slots and merge each finished student; yield results in finishing order.

    A slot grades one student at a time and then the next (its clean kernel stays warm); a slot whose
    student takes too long, or whose process dies, is replaced by a fresh one.
    """
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pending = deque(todo)
    slots: list[_Slot] = []
    _INTERRUPTED[0] = False
    helper: threading.Thread | None = None
    most = min(jobs, len(todo))
    try:
        while pending or any(slot.student for slot in slots):
            _hand_out(plan, context, pending, slots, most)
            if helper is None and plan.while_grading is not None and not pending:
                # every student is handed out, so no worker is forked after this thread starts
                helper = threading.Thread(target=_quietly, args=(plan.while_grading,), daemon=True,
                                          name="funnel-grading-helper")
                helper.start()
            busy = [slot for slot in slots if slot.student is not None]
            waits = [slot.conn for slot in busy] + [slot.process.sentinel for slot in slots]
            ready = set(multiprocessing.connection.wait(waits, timeout=0.5))
            finished = _collect(plan, slots, ready, time.monotonic())
            # hand out the next students before merging, so that the slots work while the parent merges
            _hand_out(plan, context, pending, slots, most)
            yield from _merge(plan, finished, bar)
    finally:
        for slot in slots:
            _end_slot(plan, slot, kill=slot.student is not None)
        if helper is not None:
            helper.join(timeout=60)


def _hand_out(plan: _Plan, context: Any, pending: deque[str], slots: list[_Slot], most: int) -> None:
    """Start slots up to ``most`` while students wait, and send the next waiting student to each idle slot."""
    while pending and len(slots) < most:
        slots.append(_start_slot(context))
    for slot in slots:
        if pending and slot.student is None:
            student = pending.popleft()
            task = plan.task(student)
            Path(task.work).mkdir(parents=True, exist_ok=True)
            slot.student, slot.begun = student, time.monotonic()
            try:
                slot.conn.send(task.to_json())
            except (OSError, ValueError):  # the slot died while idle: its sentinel tells below
                pass


#: A student whose grading ended: id, worker process, start time, why it was stopped (None: it finished).
_Finished = tuple[str, Any, float, str | None]


def _collect(plan: _Plan, slots: list[_Slot], ready: set[Any], now: float) -> list[_Finished]:
    """The students whose slot is done, died or ran out of time; end (and drop) the slots that died or ran out."""
    finished: list[_Finished] = []
    for slot in list(slots):
        student = slot.student
        dead = slot.process.sentinel in ready
        done = False
        if student is not None and slot.conn in ready:
            try:
                done = slot.conn.recv() == "done"
            except (EOFError, OSError):
                dead = True
        if student is not None and (done or dead):
            finished.append((student, slot.process, slot.begun, None))
            slot.student = None
        elif student is not None and now - slot.begun > plan.student_timeout:
            finished.append((student, slot.process, slot.begun,
                             f"grading took longer than {plan.student_timeout:g} s and was stopped"))
            slot.student = None
            _end_slot(plan, slot, kill=True)
            slots.remove(slot)
            continue
        if dead:
            if slot.process.is_alive():
                slot.process.join(timeout=5)
            _end_slot(plan, slot, kill=True)
            slots.remove(slot)
    return finished


def _merge(plan: _Plan, finished: list[_Finished], bar: Progress) -> Iterator[StudentResult]:
    """Merge each finished student into the gradebook; yield the results (stop after one if Ctrl-C came)."""
    for student, process, begun, killed in finished:
        try:
            result = _finish(plan, student, process, killed)
        except Exception as error:  # noqa: BLE001 - one submission never stops the class run
            result = StudentResult(student, "error", None, None,
                                   f"the grader failed on this submission: {type(error).__name__}: "
                                   f"{str(error)[:300]}")
        result.seconds = time.monotonic() - begun
        bar.update(student, result.status, result.seconds)
        yield result
        if _INTERRUPTED[0]:  # Ctrl-C arrived during a merge: stop now that it is recorded
            raise KeyboardInterrupt


def _quietly(work: Any) -> None:
    """Run ``work()`` (a preparation while the workers grade); a failure only costs the time saved."""
    try:
        work()
    except Exception:  # noqa: BLE001 - an optimisation must never break grading
        pass


def _kill_worker(process: Any) -> None:
    """Kill a worker with its kernel and everything they started."""
    from funnel_lib.grading._sandbox import kill_tree

    if process.pid is not None:
        kill_tree(process.pid, include_self=True)
    process.join(timeout=5)
