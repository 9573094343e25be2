"""The clean kernel of one worker slot, kept warm from one student to the next.

The clean kernel (``_verdict.py``) only ever receives answers as data, never a line of student
code, so it can safely serve every student a worker slot grades: before each student its namespace
is reset (the checker notebook's first cell), and the assignment's files are copied in again.
Starting a kernel in bubblewrap and importing the course's libraries costs seconds per student on
a busy machine; reusing it costs a namespace reset.

The kernel is thrown away and started afresh when it misbehaves: an error while running the
checker, a cell that timed out, a reset or an answer restore that failed, a dead kernel, or after
``MAX_USES`` students (a bound on anything that could accumulate). Tests that read a function the
notebook defines never reach it: they are judged in the student's own kernel (``_verdict.py``).

>>> checker = WarmChecker()
>>> checker.ready, checker.pids()
(False, set())
>>> checker.close()
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from funnel_lib.grading._proc import process_table

__all__ = ["MAX_USES", "RESET_SOURCE", "WarmChecker"]

#: A warm clean kernel serves at most this many students, then a fresh one starts.
MAX_USES = 40

#: The checker notebook's first cell when its kernel is reused: forget the previous student.
RESET_SOURCE = "get_ipython().reset(new_session=False, aggressive=False)"


class WarmChecker:
    """A clean kernel (with its jail and folder) that one worker slot reuses for its students.

    >>> WarmChecker().uses
    0
    """

    def __init__(self) -> None:
        self.km: Any = None
        self.sandbox: Any = None
        self.jail: Any = None
        self.box: Path | None = None
        self.key: str = ""
        self.uses = 0

    @property
    def ready(self) -> bool:
        """True when a kernel is running and may serve another student (same run, uses left, alive)."""
        if self.km is None or self.uses >= MAX_USES:
            return False
        process = getattr(self.sandbox, "process", None)
        return process is not None and process.poll() is None

    def pids(self) -> set[int]:
        """The kernel's processes (its bubblewrap and everything below), to be spared by a clean-up.

        >>> WarmChecker().pids()
        set()
        """
        from funnel_lib.grading._sandbox import descendants

        process = getattr(self.sandbox, "process", None)
        if self.km is None or process is None or process.poll() is not None:
            return set()
        return {process.pid, *descendants(process.pid)}

    def adopt(self, key: str, km: Any, sandbox: Any, jail: Any, box: Path) -> None:
        """Keep a kernel that was just started (``key`` names the run it belongs to)."""
        self.key, self.km, self.sandbox, self.jail, self.box, self.uses = key, km, sandbox, jail, box, 0

    def close(self) -> None:
        """Stop the kernel and remove its jail and folder (nothing to do when there is none)."""
        km, self.km = self.km, None
        if km is not None:
            try:
                from jupyter_core.utils import run_sync

                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - already dead; the clean-up below still runs
                pass
            process = getattr(self.sandbox, "process", None)
            if process is not None and process.poll() is None:
                from funnel_lib.grading._sandbox import kill_tree

                kill_tree(process.pid, include_self=True)
                try:
                    process.wait(timeout=5)
                except Exception:  # noqa: BLE001
                    pass
        if self.jail is not None:
            self.jail.release()
            shutil.rmtree(self.jail.base, ignore_errors=True)
        if self.box is not None:
            shutil.rmtree(self.box, ignore_errors=True)
        self.sandbox = self.jail = self.box = None
        self.key, self.uses = "", 0


def reap_zombies(spare: set[int] | frozenset[int] = frozenset()) -> int:
    """Collect this process's finished children (orphans a subreaper adopted) except ``spare``; return how many.

    >>> reap_zombies() >= 0
    True
    """
    me = os.getpid()
    reaped = 0
    for pid, (state, parent) in process_table().items():
        if pid in spare or state != b"Z" or parent != me:
            continue
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                reaped += 1
        except ChildProcessError:
            pass
    return reaped
