"""When root grades a course that belongs to someone else, what the run wrote goes back to that person.

On a shared server the instructor's course folder is theirs (mode 0700) and ``funnel autograde`` runs
as root (``sudo``) so that every kernel can drop to its own uid. Without this step the folders the run
creates (``autograded/``, ``reports/``) would belong to root, and the instructor could not carry on
without root: ``nbgrader generate_feedback`` and the next ``funnel autograde`` would fail.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     return_to_course_owner(pathlib.Path(tmp), [pathlib.Path(tmp)])
0
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["return_to_course_owner"]


def return_to_course_owner(course_root: Path, places: Iterable[Path]) -> int:
    """Give every file and folder in ``places`` to the owner of ``course_root``; return how many changed.

    ``places`` are what the run wrote (``autograded/``, ``reports/``, the gradebook): root's files and
    any left by a grading kernel's own uid all become the instructor's. Does nothing (returns 0) unless
    this process is root and the course folder belongs to another account. Symbolic links are changed
    themselves, never followed.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return 0
    owner = os.stat(course_root)
    if owner.st_uid == 0:
        return 0
    changed = 0
    for place in places:
        if not os.path.lexists(place):
            continue
        for path in _walk(Path(place)):
            info = os.lstat(path)
            if (info.st_uid, info.st_gid) != (owner.st_uid, owner.st_gid):
                os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
                changed += 1
    return changed


def _walk(top: Path) -> Iterable[Path]:
    yield top
    if top.is_dir() and not top.is_symlink():
        for folder, dirs, files in os.walk(top):
            for name in [*dirs, *files]:
                yield Path(folder) / name
