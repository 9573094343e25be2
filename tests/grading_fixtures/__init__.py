"""A toy nbgrader course for the grading tests and the grading benchmark.

``make_course(root)`` writes a complete, small nbgrader course in the source format (one
assignment ``ps1`` with one notebook ``toy.ipynb``: two autograded answers, their visible and
hidden tests, a read-only set-up cell, a manually graded written answer and a test helper module)
and runs ``nbgrader generate_assignment`` so that the gradebook knows the assignment.

``submit(course, student, kind)`` writes ``submitted/<student>/ps1/toy.ipynb`` (plus
``timestamp.txt``) from the released notebook: ``right``, ``wrong`` and ``blank`` answers, and
every tampering attempt that the grading engine must defend against (see ``KINDS``).

Nothing here depends on the real course: the tests build it in a temporary directory.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "ps1"
NOTEBOOK = "toy"

#: The toy course's settings; the timeouts are short so that the hang tests are quick.
CONFIG = '''\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "toy-course"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.LateSubmissionPlugin.penalty_method = "zero"
'''

#: The toy assignment's due date (submissions after it get nbgrader's "zero" late penalty).
DUEDATE = "2026-01-15 00:00:00 UTC"
ON_TIME = "2026-01-10 12:00:00.000000 UTC"
LATE = "2026-01-20 12:00:00.000000 UTC"

HELPERS = '''\
"""Test helpers shipped with the toy assignment (copied next to the notebook)."""


def expect_equal(actual, expected, what):
    """Raise AssertionError with a readable message unless ``actual == expected``."""
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
'''

SETUP = "from funnel_lib.stages import Stage"

RATE_SOLUTION = "### BEGIN SOLUTION\nrate = 3 / 10\n### END SOLUTION"
RATE_TEST = (
    'assert rate is not None, "set `rate` to the share of visitors who said yes"\n'
    "### BEGIN HIDDEN TESTS\n"
    'assert rate == 0.3, f"rate should be 0.3 (3 of 10 visitors), got {rate!r}"\n'
    "### END HIDDEN TESTS"
)
STAGE_SOLUTION = (
    "def first_stage(names):\n"
    '    """Return the Stage of the first name in ``names``."""\n'
    "    ### BEGIN SOLUTION\n"
    "    return Stage(names[0])\n"
    "    ### END SOLUTION"
)
STAGE_TEST = (
    "from toy_helpers import expect_equal\n"
    'expect_equal(first_stage(["entry"]), Stage.ENTRY, "first_stage([\'entry\'])")\n'
    "### BEGIN HIDDEN TESTS\n"
    'expect_equal(first_stage(["conversion", "entry"]), Stage.CONVERSION, "first_stage([\'conversion\', \'entry\'])")\n'
    "assert len(list(Stage)) == 5\n"
    "### END HIDDEN TESTS"
)
WHY_SOLUTION = "A small yes first makes the next yes likelier (consistency)."

#: Points of each graded cell of the toy notebook.
POINTS = {"rate_test": 1.0, "stage_test": 2.0, "why": 1.0}
AUTOGRADED_MAX = 3.0


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "schema_version": 3, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    """The toy assignment's instructor version (nbgrader source format)."""
    cells = [
        new_markdown_cell("# Toy exercise\n\nTwo small questions and one written answer."),
        new_code_cell(SETUP, metadata=_meta("setup", locked=True)),
        new_markdown_cell("**Q1.** 3 of 10 visitors said yes. Store the share in `rate`."),
        new_code_cell(RATE_SOLUTION, metadata=_meta("rate_answer", solution=True)),
        new_code_cell(RATE_TEST, metadata=_meta("rate_test", grade=True, locked=True, points=POINTS["rate_test"])),
        new_markdown_cell("**Q2.** Write `first_stage(names)`."),
        new_code_cell(STAGE_SOLUTION, metadata=_meta("stage_answer", solution=True)),
        new_code_cell(STAGE_TEST, metadata=_meta("stage_test", grade=True, locked=True, points=POINTS["stage_test"])),
        new_markdown_cell("**Q3.** Why ask for a small yes first?"),
        new_markdown_cell(WHY_SOLUTION, metadata=_meta("why", grade=True, solution=True, points=POINTS["why"])),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def make_course(root: Path, *, timeout: int = 10) -> Path:
    """Write the toy course under ``root`` and run ``nbgrader generate_assignment ps1`` in it."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    root = Path(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(timeout=timeout), encoding="utf-8")
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    (root / "source" / ASSIGNMENT / "toy_helpers.py").write_text(HELPERS, encoding="utf-8")
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "toy-course"
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    config.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    from funnel_lib.grading._course import nbgrader_warnings, new_gradebook

    new_gradebook(root / "gradebook.db")  # (nbgrader would run the `alembic` command for a new one)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    with nbgrader_warnings():
        result = api.generate_assignment(ASSIGNMENT)
    if not result["success"]:
        raise RuntimeError(f"generate_assignment failed:\n{result.get('error')}\n{result.get('log')}")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "toy-course") as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUEDATE)
    return root


def course_template(base: Path, *, timeout: int = 10) -> Path:
    """Build the toy course once under ``base`` (a session-wide folder) and return it; later calls reuse it."""
    target = Path(base) / f"toy-course-template-{timeout}"
    if not (target / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists():
        if target.exists():
            shutil.rmtree(target)
        building = Path(base) / f"toy-course-building-{timeout}"
        if building.exists():
            shutil.rmtree(building)
        make_course(building, timeout=timeout)
        building.rename(target)
        # the gradebook URL is not stored in the course, so the folder can move
    return target


def released(course: Path) -> nbformat.NotebookNode:
    """The student version of the toy notebook, as released."""
    return nbformat.read(Path(course) / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return nb.cells.index(_cell(nb, grade_id))


def _answer(nb: nbformat.NotebookNode, rate: str = "rate = 3 / 10",
            stage: str = "def first_stage(names):\n    return Stage(names[0])",
            why: str = "Consistency: one small yes makes the next one easier.") -> nbformat.NotebookNode:
    _cell(nb, "rate_answer").source = rate
    _cell(nb, "stage_answer").source = stage
    _cell(nb, "why").source = why
    return nb


def _right(nb):
    return _answer(nb)


def _wrong(nb):
    return _answer(nb, rate="rate = 0.5", stage="def first_stage(names):\n    return Stage(names[-1])",
                   why="Because.")


def _blank(nb):
    return nb


def _half(nb):
    return _answer(nb, rate="rate = 0.3", stage="def first_stage(names):\n    return Stage.ENTRY")


def _edit_test(nb):
    """Weaken the visible test cell of Q1 (nbgrader restores it from the gradebook)."""
    _answer(nb, rate="rate = 0.5")
    _cell(nb, "rate_test").source = "pass  # tests are for other people"
    return nb


def _delete_test(nb):
    """Delete the test cell of Q1 together with a wrong answer."""
    _answer(nb, rate="rate = 0.5")
    del nb.cells[_index(nb, "rate_test")]
    return nb


def _delete_answer(nb):
    """Delete the Q1 answer cell and type the answer into a new, unmarked cell."""
    _answer(nb)
    index = _index(nb, "rate_answer")
    nb.cells[index] = new_code_cell("rate = 0.3  # retyped")
    return nb


def _patch_funnel_lib(nb):
    """Make funnel_lib's Stage compare equal to every other stage, then give a wrong answer."""
    return _answer(nb, stage=(
        "import funnel_lib.stages\n"
        "funnel_lib.stages.Stage.__ne__ = lambda self, other: False\n"
        "def first_stage(names):\n"
        "    return Stage.PROGRESSION"
    ))


def _patch_helper(nb):
    """Make the shipped test helper accept anything."""
    return _answer(nb, rate="rate = 0.5", stage=(
        "import toy_helpers\n"
        "toy_helpers.expect_equal = lambda *args, **kwargs: None\n"
        "def first_stage(names):\n"
        "    return None"
    ))


def _patch_builtins(nb):
    """Redefine builtins the hidden test uses (``len``, ``list``)."""
    return _answer(nb, rate="rate = 0.5", stage=(
        "import builtins\n"
        "builtins.len = lambda obj: 5\n"
        "def first_stage(names):\n"
        "    return Stage(names[0])"
    ))


def _shadow_builtin(nb):
    """Bind a builtin name the tests use in the notebook's namespace."""
    return _answer(nb, stage=(
        "def len(obj):\n"
        "    return 5\n"
        "def first_stage(names):\n"
        "    return Stage(names[0])"
    ))


def _input_transformer(nb):
    """Wrap every later cell in try/except so that failing tests pass."""
    return _answer(nb, rate=(
        "rate = 0.5\n"
        "def _swallow(lines):\n"
        "    return ['try:\\n'] + ['    ' + line for line in lines] + ['\\nexcept BaseException:\\n    pass\\n']\n"
        "get_ipython().input_transformers_post.append(_swallow)"
    ), stage="def first_stage(names):\n    return None")


def _always_equal(nb):
    """An answer object whose comparisons always succeed."""
    return _answer(nb, rate=(
        "class Anything(float):\n"
        "    __eq__ = lambda self, other: True\n"
        "    __ne__ = lambda self, other: False\n"
        "rate = Anything(0.5)"
    ))


def _read_solutions(nb):
    """Look for the instructor's files and the gradebook from the kernel."""
    return _answer(nb, rate=(
        "import glob, os\n"
        "found = []\n"
        "for pattern in ['../../../source/*/*.ipynb', '../../../gradebook.db', os.environ.get('COURSE_ROOT', '/nonexistent') + '/source/*/*.ipynb']:\n"
        "    found += glob.glob(pattern)\n"
        "text = ''\n"
        "for path in found:\n"
        "    try:\n"
        "        text += open(path, errors='replace').read()\n"
        "    except OSError:\n"
        "        pass\n"
        "leaked = 'rate should be 0.3' in text\n"
        "rate = 0.3 if leaked else 0.5"
    ))


def _write_gradebook(nb):
    """Try to write into the gradebook, into another student's folder and into funnel_lib."""
    return _answer(nb, rate=(
        "import os\n"
        "root = os.environ.get('COURSE_ROOT', '')\n"
        "attempts = {}\n"
        "for path in [root + '/gradebook.db', root + '/submitted/alice/ps1/toy.ipynb', 'evil_helper.py']:\n"
        "    try:\n"
        "        with open(path, 'a') as handle:\n"
        "            handle.write('# tampered')\n"
        "        attempts[path] = 'written'\n"
        "    except OSError as error:\n"
        "        attempts[path] = type(error).__name__\n"
        "rate = 0.3"
    ))


def _infinite_loop(nb):
    """A loop that never ends (and swallows the interrupt)."""
    return _answer(nb, rate=(
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(0.05)\n"
        "    except KeyboardInterrupt:\n"
        "        pass"
    ))


def _busy_loop(nb):
    """A plain CPU-bound infinite loop (the cell timeout interrupts it)."""
    return _answer(nb, rate="x = 0\nwhile True:\n    x += 1")


def _memory_bomb(nb):
    """Allocate far more memory than the cap allows."""
    return _answer(nb, rate="hog = bytearray(8 * 1024 ** 3)\nrate = 0.3")


def _fork_bomb(nb):
    """Fork in a loop (the sandbox must stop it; bounded so that a failure cannot take the machine down)."""
    return _answer(nb, rate=(
        "import os, time\n"
        "children = 0\n"
        "for _ in range(200):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        time.sleep(20)\n"
        "        os._exit(0)\n"
        "    children += 1\n"
        "rate = 0.3"
    ))


def _os_exit(nb):
    """End the kernel process from student code."""
    return _answer(nb, rate="import os\nos._exit(3)")


def _sys_modules(nb):
    """Swap the test helper module in sys.modules for a fake one."""
    return _answer(nb, rate="rate = 0.5", stage=(
        "import sys, types\n"
        "fake = types.ModuleType('toy_helpers')\n"
        "fake.expect_equal = lambda *args: None\n"
        "sys.modules['toy_helpers'] = fake\n"
        "def first_stage(names):\n"
        "    return None"
    ))


def _events_hook(nb):
    """Register an IPython event callback that changes later cells' namespace."""
    return _answer(nb, rate=(
        "rate = 0.5\n"
        "def _fix(*args):\n"
        "    get_ipython().user_ns['rate'] = 0.3\n"
        "get_ipython().events.register('pre_run_cell', _fix)"
    ))


#: Where the OS-isolation attacks aim (set by the test before ``submit``): the course folder, a TCP
#: port on 127.0.0.1 that records connections, and an instructor's Jupyter runtime file.
TARGETS: dict[str, str] = {"course": "/nonexistent", "port": "9", "runtime": "/nonexistent/jpserver-1.json"}
_WRONG_STAGE = "def first_stage(names):\n    return None"


def _startup_persist(nb):
    """Plant start-up code and config for later kernels: IPython startup, ~/.bashrc, Jupyter config."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import os, pathlib\n"
        "planted = []\n"
        "payload = 'rate = 0.3\\ndef first_stage(names):\\n    return None\\n'\n"
        "home = pathlib.Path(os.path.expanduser('~'))\n"
        "ipy = pathlib.Path(os.environ.get('IPYTHONDIR', str(home / '.ipython')))\n"
        "for target in [ipy / 'profile_default/startup/00-evil.py', ipy / 'profile_default/startup/00-evil.ipy',\n"
        "               home / '.ipython/profile_default/startup/00-evil.py', home / '.bashrc',\n"
        "               home / '.jupyter/jupyter_config.py', home / '.ipython/profile_default/ipython_config.py',\n"
        "               pathlib.Path('/tmp/00-evil.py')]:\n"
        "    try:\n"
        "        target.parent.mkdir(parents=True, exist_ok=True)\n"
        "        target.write_text(payload)\n"
        "        planted.append(str(target))\n"
        "    except OSError:\n"
        "        pass\n"
        "rate = 0.5"
    ))


def _sqlite_attach(nb):
    """ATTACH the gradebook through IPython's history database and zero a classmate's grade."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import sqlite3\n"
        f"path = {TARGETS['course']!r} + '/gradebook.db'\n"
        "done = 'no'\n"
        "for connect in (lambda: get_ipython().history_manager.db, lambda: sqlite3.connect(':memory:')):\n"
        "    try:\n"
        "        db = connect()\n"
        "        db.execute('ATTACH DATABASE ? AS gb', (path,))\n"
        "        db.execute('UPDATE gb.grade SET manual_score = 0, auto_score = 0')\n"
        "        db.commit()\n"
        "        done = 'yes'\n"
        "        break\n"
        "    except Exception as error:\n"
        "        done = repr(error)\n"
        "rate = 0.5"
    ))


def _audit_off_write(nb):
    """Reach libc through a thread pool (past the audit hook), then write a .pth and a classmate's file."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import concurrent.futures, ctypes, os, sysconfig\n"
        f"course = {TARGETS['course']!r}\n"
        "targets = [sysconfig.get_paths()['purelib'] + '/zz_evil.pth',\n"
        "           course + '/submitted/alice/ps1/evil.txt', course + '/submitted/alice/ps1/toy.ipynb']\n"
        "written = []\n"
        "with concurrent.futures.ThreadPoolExecutor(1) as pool:\n"
        "    try:\n"
        "        libc = pool.submit(ctypes.CDLL, None).result()\n"
        "    except Exception:\n"
        "        libc = None\n"
        "for target in targets:\n"
        "    try:\n"
        "        if libc is not None:\n"
        "            fd = libc.open(target.encode(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)\n"
        "            if fd >= 0:\n"
        "                libc.write(fd, b'import os\\n', 10)\n"
        "                written.append(target)\n"
        "        with open(target, 'a') as handle:\n"
        "            handle.write('# tampered')\n"
        "        written.append(target)\n"
        "    except Exception:\n"
        "        pass\n"
        "rate = 0.3 if written else 0.5"
    ))


def _socket_out(nb):
    """Send data out over a TCP socket to 127.0.0.1 (where a helper could hand back the hidden tests)."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import socket\n"
        "sent = False\n"
        "try:\n"
        f"    with socket.create_connection(('127.0.0.1', {int(TARGETS['port'])}), timeout=2) as conn:\n"
        "        conn.sendall(b'rate_test please')\n"
        "        sent = True\n"
        "except OSError:\n"
        "    pass\n"
        "rate = 0.3 if sent else 0.5"
    ))


def _runtime_token(nb):
    """Read the instructor's Jupyter server token from the runtime folder."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import glob, os\n"
        f"paths = [{TARGETS['runtime']!r}] + glob.glob('/root/.local/share/jupyter/runtime/*.json')\n"
        "paths += glob.glob('/home/*/.local/share/jupyter/runtime/*.json')\n"
        "token = None\n"
        "for path in paths:\n"
        "    try:\n"
        "        token = open(path).read()\n"
        "        break\n"
        "    except OSError:\n"
        "        pass\n"
        "rate = 0.3 if token else 0.5"
    ))


def _zombies(nb):
    """Leave hundreds of unreaped children (zombies) behind to exhaust the grading user's processes."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import os\n"
        "made = 0\n"
        "for _ in range(300):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            os._exit(0)\n"
        "        made += 1\n"
        "    except OSError:\n"
        "        break\n"
        "rate = 0.5"
    ))


def _memory_children(nb):
    """Three children that each hold most of the per-process memory cap (together far above it)."""
    return _answer(nb, stage=_WRONG_STAGE, rate=(
        "import os, time\n"
        "alive = 0\n"
        "pids = []\n"
        "for _ in range(3):\n"
        "    read, write = os.pipe()\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        "            block = bytearray(400 * 1024 ** 2)\n"
        "            for i in range(0, len(block), 4096):\n"
        "                block[i] = 1\n"
        "            os.write(write, b'1')\n"
        "            time.sleep(3)\n"
        "        finally:\n"
        "            os._exit(0)\n"
        "    pids.append(pid)\n"
        "    os.close(write)\n"
        "    alive += len(os.read(read, 1))\n"
        "    os.close(read)\n"
        "for pid in pids:\n"
        "    os.waitpid(pid, 0)\n"
        "rate = 0.3 if alive == 3 else 0.5"
    ))


def _lying_kernel(nb):
    """Rewrite the kernel's session.send so that errors are never reported (empty answers "pass")."""
    return _answer(nb, stage="pass", rate=(
        "kernel = get_ipython().kernel\n"
        "real_send = kernel.session.send\n"
        "def send(stream, msg_or_type, content=None, *args, **kwargs):\n"
        "    kind = msg_or_type.get('msg_type') if isinstance(msg_or_type, dict) else msg_or_type\n"
        "    if kind == 'error':\n"
        "        return None\n"
        "    if kind == 'execute_reply' and isinstance(content, dict) and content.get('status') == 'error':\n"
        "        content = {'status': 'ok', 'execution_count': content.get('execution_count'),\n"
        "                   'user_expressions': {}, 'payload': []}\n"
        "    return real_send(stream, msg_or_type, content, *args, **kwargs)\n"
        "kernel.session.send = send"
    ))


def _cells_int(path: Path) -> None:
    path.write_text('{"cells": 5}', encoding="utf-8")


def _deep_nesting(path: Path) -> None:
    nb = released_template_json()
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(nb.replace('"metadata": {', '"metadata": {"deep": ' + deep + ",", 1), encoding="utf-8")


def _huge_output(path: Path) -> None:
    nb = json.loads(released_template_json())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "rate_answer":
            cell["source"] = "rate = 3 / 10"
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * (40 * 1024 ** 2)}]
    path.write_text(json.dumps(nb), encoding="utf-8")


_RELEASED: dict[str, str] = {}


def released_template_json() -> str:
    """The released notebook's JSON text (set by ``submit`` before a file-level kind is written)."""
    return _RELEASED["text"]


#: Submission kinds that write the file themselves (malformed notebooks).
FILE_KINDS: dict[str, Callable[[Path], None]] = {
    "cells_int": _cells_int,
    "deep_nesting": _deep_nesting,
    "huge_output": _huge_output,
}

#: The OS-isolation attacks (earn 3 points only if the attack works; their own answers are wrong).
OS_ATTACKS = ("lying_kernel", "startup_persist", "sqlite_attach", "audit_off_write", "socket_out", "runtime_token", "zombies",
              "memory_children")


def _invalid_json(path: Path) -> None:
    path.write_text("{ this is not json", encoding="utf-8")


#: Submission kinds: name -> function that edits the released notebook (``invalid`` writes bad JSON).
KINDS: dict[str, Callable[[nbformat.NotebookNode], nbformat.NotebookNode]] = {
    "right": _right,
    "wrong": _wrong,
    "blank": _blank,
    "half": _half,
    "edit_test": _edit_test,
    "delete_test": _delete_test,
    "delete_answer": _delete_answer,
    "patch_funnel_lib": _patch_funnel_lib,
    "patch_helper": _patch_helper,
    "patch_builtins": _patch_builtins,
    "shadow_builtin": _shadow_builtin,
    "input_transformer": _input_transformer,
    "always_equal": _always_equal,
    "read_solutions": _read_solutions,
    "write_gradebook": _write_gradebook,
    "infinite_loop": _infinite_loop,
    "busy_loop": _busy_loop,
    "memory_bomb": _memory_bomb,
    "fork_bomb": _fork_bomb,
    "os_exit": _os_exit,
    "sys_modules": _sys_modules,
    "events_hook": _events_hook,
    "lying_kernel": _lying_kernel,
    "startup_persist": _startup_persist,
    "sqlite_attach": _sqlite_attach,
    "audit_off_write": _audit_off_write,
    "socket_out": _socket_out,
    "runtime_token": _runtime_token,
    "zombies": _zombies,
    "memory_children": _memory_children,
}

#: Autograded points each honest kind earns (out of AUTOGRADED_MAX).
EXPECTED_SCORE = {"right": 3.0, "wrong": 0.0, "blank": 0.0, "half": 1.0}


def submit(course: Path, student: str, kind: str, *, timestamp: str = ON_TIME) -> Path:
    """Write ``submitted/<student>/ps1/toy.ipynb`` of the given ``kind``; return the notebook's path."""
    course = Path(course)
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
    path = folder / f"{NOTEBOOK}.ipynb"
    if kind == "invalid":
        _invalid_json(path)
    elif kind == "missing":
        if path.exists():
            path.unlink()
    elif kind in FILE_KINDS:
        _RELEASED["text"] = nbformat.writes(released(course))
        FILE_KINDS[kind](path)
    else:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS) + sorted(FILE_KINDS) + ['invalid', 'missing']}, "
                             f"got {kind!r}")
        nbformat.write(KINDS[kind](released(course)), path)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), to check that nothing was modified."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_course(src: Path, dst: Path) -> Path:
    """Copy a course directory (without anything graded)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("autograded", "feedback", "__pycache__"))
    return Path(dst)


def dump(obj: object) -> str:
    """Stable JSON text of ``obj`` (for comparing results)."""
    return json.dumps(obj, sort_keys=True, indent=1, default=str)


def gradebook_dump(course: Path, assignment: str = ASSIGNMENT) -> dict:
    """Everything the gradebook holds about the submissions of ``assignment`` (ids aside), per student."""
    from nbgrader.api import Gradebook

    out: dict = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            record = {"timestamp": str(submission.timestamp), "score": submission.score,
                      "max_score": submission.max_score, "needs_manual_grade": submission.needs_manual_grade,
                      "notebooks": {}}
            for nb in submission.notebooks:
                grades = {g.name: [g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade, g.max_score]
                          for g in nb.grades}
                comments = {c.name: [c.auto_comment, c.manual_comment] for c in nb.comments}
                record["notebooks"][nb.name] = {"flagged": nb.flagged, "late": nb.late_submission_penalty,
                                                "grades": grades, "comments": comments}
            out[submission.student.id] = record
    return out


def autograded_dump(course: Path, assignment: str = ASSIGNMENT) -> dict:
    """The autograded notebooks' graded cells (source, output kinds, error names and values) and files, per student."""
    out: dict = {}
    folder = Path(course) / "autograded"
    if not folder.is_dir():
        return out
    for student_dir in sorted(folder.iterdir()):
        target = student_dir / assignment
        if not target.is_dir():
            continue
        files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
        cells = {}
        for path in sorted(target.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if not meta.get("grade_id"):
                    continue
                outputs = [(o.output_type, o.get("ename"), o.get("evalue"), o.get("name"),
                            (o.get("text") or "") if o.output_type == "stream" else None)
                           for o in cell.get("outputs", [])]
                cells[f"{path.stem}/{meta['grade_id']}"] = {"source": cell.source, "outputs": outputs,
                                                             "meta": dict(meta)}
        modes = {f: oct((target / f).stat().st_mode & 0o777) for f in files}
        out[student_dir.name] = {"files": files, "modes": modes, "cells": cells}
    return out
