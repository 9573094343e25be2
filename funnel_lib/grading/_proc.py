"""The process table, read from Linux ``/proc``: one reader for the sandbox's tree walk and the reaper.

>>> import os
>>> table = process_table()
>>> table == {} or table[os.getpid()][1] == os.getppid()
True
"""

from __future__ import annotations

import os

__all__ = ["process_table"]


def process_table() -> dict[int, tuple[bytes, int]]:
    """pid -> (state letter, parent pid) of every process in ``/proc`` (empty where there is no ``/proc``).

    A process that ends while the table is read is left out.
    """
    table: dict[int, tuple[bytes, int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        tail = data[data.rfind(b")") + 2:].split()  # the command name may hold spaces and parentheses
        if len(tail) > 1:
            table[int(entry)] = (tail[0], int(tail[1]))
    return table
