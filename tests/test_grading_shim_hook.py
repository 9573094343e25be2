"""The grading kernel's audit hook, called directly (installing it would be permanent for this process).

These pin what the dispatch of events to their checkers must keep: every watched event has a checker, the
table cannot be changed, and "from notebook code" is judged by the frame that raised the event.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from funnel_lib.grading._shim import ARM_EVENT, GUARD_EVENT, WATCHED, Policy, make_audit_hook

pytestmark = [pytest.mark.grading]


@pytest.fixture()
def armed(tmp_path: Path) -> Any:
    """An armed hook whose log is ``tmp_path / "log"``; yields (hook, read_log)."""
    fd = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    course = tmp_path / "course"
    hook = make_audit_hook(Policy([str(course / "source")], [str(course)], [str(tmp_path / "box")]), fd)
    hook(ARM_EVENT, ())

    def read_log() -> list[dict[str, Any]]:
        return [json.loads(line) for line in (tmp_path / "log").read_text(encoding="utf-8").splitlines()]

    yield hook, read_log
    os.close(fd)


def _checkers(hook: Any) -> Any:
    tables = [cell.cell_contents for cell in hook.__closure__ if isinstance(cell.cell_contents, MappingProxyType)]
    assert len(tables) == 1, "the hook holds exactly one table of checkers"
    return tables[0]


def test_every_watched_event_has_a_checker_and_the_table_is_read_only(armed: Any) -> None:
    hook, _ = armed
    table = _checkers(hook)
    assert set(table) == set(WATCHED) - {ARM_EVENT, GUARD_EVENT}
    with pytest.raises(TypeError):
        table["open"] = lambda event, args: None


def test_user_frame_events_are_judged_by_the_frame_that_raised_them(armed: Any) -> None:
    hook, read_log = armed
    hook("gc.get_objects", ())  # this test module is library code: allowed
    cell = compile("hook('gc.get_objects', ())", "<ipython-input-1-abc>", "exec")
    with pytest.raises(PermissionError, match="gc.get_objects is not allowed in notebook code"):
        exec(cell, {"hook": hook})
    # a notebook cell calling through ctypes' own Python code is still the notebook's call
    through = compile("def load(hook):\n    hook('ctypes.dlopen', ('libc.so.6',))\n",
                      os.sep + os.path.join("usr", "lib", "ctypes", "__init__.py"), "exec")
    namespace: dict[str, Any] = {}
    exec(through, namespace)
    with pytest.raises(PermissionError, match="ctypes.dlopen is not allowed in notebook code"):
        exec(compile("load(hook)", "<string>", "exec"), {"hook": hook, "load": namespace["load"]})
    namespace["load"](hook)  # ctypes' code called from library code: allowed
    blocked = [entry["event"] for entry in read_log() if entry["kind"] == "blocked"]
    assert blocked == ["gc.get_objects", "ctypes.dlopen"]


def test_processes_are_noted_when_not_blocked(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT)
    hook = make_audit_hook(Policy([], [], []), fd, block_processes=False)
    hook("subprocess.Popen", ("ls", ["ls"]))  # not armed: not even noted
    hook(ARM_EVENT, ())
    hook(ARM_EVENT, ())  # arming twice records once
    hook("subprocess.Popen", ("ls", ["ls"]))
    os.close(fd)
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "log").read_text(encoding="utf-8").splitlines()]
    assert kinds == ["armed", "process"]


def test_signals_reads_and_writes(armed: Any, tmp_path: Path) -> None:
    hook, read_log = armed
    course = tmp_path / "course"
    with pytest.raises(PermissionError, match="signalling other processes"):
        hook("signal.pthread_kill", (1, 0))  # a thread, even of this process
    hook("os.kill", (0, 0))  # its own process group
    with pytest.raises(PermissionError, match="looking here"):
        hook("glob.glob/2", ("*.ipynb", False, str(course / "source"), None, False))
    hook("glob.glob/2", ("*.csv", False, str(tmp_path / "box"), None, False))
    with pytest.raises(PermissionError, match="changing files"):
        hook("shutil.copyfile", (str(tmp_path / "box" / "a.csv"), str(course / "b.csv")))
    with pytest.raises(PermissionError, match="writing here"):
        hook("open", (str(course / "notes.txt"), None, os.O_WRONLY | os.O_CREAT))
    hook("open", (str(course / "notes.txt"), None, os.O_RDONLY))  # reading the course outside the sources
    hook("os.remove", (3,))  # a file descriptor: nothing to judge
    hook("open", ())  # a checker that fails on odd arguments lets the event through
    assert [entry["event"] for entry in read_log() if entry["kind"] == "blocked"] == [
        "signal.pthread_kill", "glob.glob/2", "shutil.copyfile", "open"]
