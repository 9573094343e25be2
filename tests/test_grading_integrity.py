"""Integrity and isolation: every tampering attempt earns nothing or is reported; crashes cost only their owner.

One class of purpose-written submissions (tests/grading_fixtures KINDS) is graded once; each test
checks what happened to one of them. Plus: a real (bounded) fork bomb against the process
watchdog, and unit tests of the static scan, the cell comparison, the file policy and the guard.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading_fixtures as gf  # noqa: E402

from funnel_lib.grading import Limits, autograde, scan_code  # noqa: E402
from funnel_lib.grading._integrity import (  # noqa: E402
    Finding,
    compare_cells,
    findings_from_outputs,
    read_kernel_log,
    release_source,
    scan_notebook,
)
from funnel_lib.grading._isolation import cached_probe  # noqa: E402
from funnel_lib.grading._sandbox import descendants  # noqa: E402
from funnel_lib.grading._shim import ARM_EVENT, GUARD_EVENT, ModuleSnapshots, Policy, make_audit_hook  # noqa: E402

pytestmark = [pytest.mark.grading]

ATTACKS = ["always_equal", "busy_loop", "delete_answer", "delete_test", "edit_test", "events_hook", "fork_bomb",
           "infinite_loop", "input_transformer", "memory_bomb", "os_exit", "patch_builtins", "patch_funnel_lib",
           "patch_helper", "read_solutions", "shadow_builtin", "sys_modules", "write_gradebook"]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gf.course_template(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def attacked(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    course = gf.copy_course(template, tmp_path_factory.mktemp("attacks") / "course")
    gf.submit(course, "alice", "right")
    for kind in ATTACKS:
        gf.submit(course, kind, kind)
    before = gf.snapshot(course / "submitted")
    gradebook = (course / "gradebook.db").read_bytes()
    os.environ["COURSE_ROOT"] = str(course)  # the attacks know where the course is (as a real attacker could)
    try:
        report = autograde(gf.ASSIGNMENT, course, jobs=2, cell_timeout=8, student_timeout=120)
    finally:
        del os.environ["COURSE_ROOT"]
    return {"course": course, "report": report, "before": before, "gradebook_before": gradebook,
            "by": {r.student: r for r in report.results}}


def result(attacked: dict[str, Any], student: str) -> Any:
    return attacked["by"][student]


@pytest.mark.slow
def test_honest_student_unaffected(attacked: dict[str, Any]) -> None:
    alice = result(attacked, "alice")
    assert (alice.status, alice.score, alice.reason) == ("graded", 3.0, "")


@pytest.mark.slow
def test_nothing_under_submitted_changed(attacked: dict[str, Any]) -> None:
    assert gf.snapshot(attacked["course"] / "submitted") == attacked["before"]
    assert b"# tampered" not in (attacked["course"] / "gradebook.db").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "status", "score", "reason"), [
    # tampering with cells
    ("edit_test", "graded", 2.0, "the test cell rate_test was edited; nbgrader graded the original instead"),
    ("delete_test", "needs review", 2.0, "the test cell rate_test was deleted"),
    ("delete_answer", "needs review", 3.0, "the answer cell rate_answer was deleted"),
    # redefining what the tests use
    ("patch_funnel_lib", "needs review", 1.0, "added funnel_lib.stages.Stage.__ne__; removed"),
    ("patch_helper", "needs review", 0.0, "replaced toy_helpers.expect_equal; the original was put back"),
    ("sys_modules", "needs review", 0.0, "put a module into sys.modules as toy_helpers"),
    ("patch_builtins", "needs review", 2.0, "replaced the builtin 'len'; the original was put back"),
    ("shadow_builtin", "graded", 3.0, "`len` hides the builtin the test uses; the test ran with the builtin"),
    # changing how later cells run
    ("input_transformer", "needs review", 0.0, "changed IPython's input_transformers_post"),
    ("events_hook", "needs review", 2.0, "changed IPython's 'pre_run_cell' event callbacks"),
    # objects whose comparisons always succeed (the hidden test `rate == 0.3` is fooled: reported)
    ("always_equal", "needs review", 3.0, "`rate` compares equal to anything"),
    # the disk
    ("read_solutions", "needs review", 2.0, "the sandbox refused glob.glob"),
    ("write_gradebook", "needs review", 3.0, "the sandbox refused open: "),
    # resources
    ("busy_loop", "graded", 2.0, "the cell ran past the time limit and was interrupted"),
    ("infinite_loop", "timed out", 0.0, "kernel did not recover from the interrupt"),
    ("memory_bomb", "graded", 2.0, "the cell ran out of memory (limit 2 GiB)"),
    ("os_exit", "kernel died", 0.0, "the kernel process exited with code 3"),
    ("fork_bomb", "needs review", 2.0, "the sandbox refused os.fork"),
])
def test_attack(attacked: dict[str, Any], kind: str, status: str, score: float, reason: str) -> None:
    found = result(attacked, kind)
    assert found.status == status, found.reason
    assert found.score == score, found.reason
    assert reason in found.reason


@pytest.mark.slow
def test_write_attempts_refused_and_listed(attacked: dict[str, Any]) -> None:
    reason = result(attacked, "write_gradebook").reason
    course = attacked["course"]
    if not cached_probe().jailed:  # without bubblewrap, the audit hook refuses (and names) the paths
        assert f"refused open: {course / 'gradebook.db'}" in reason
        assert f"refused open: {course / 'submitted' / 'alice' / 'ps1' / 'toy.ipynb'}" in reason
    # in the jail, the gradebook and other students are simply not there (and the environment does
    # not name the course): test_nothing_under_submitted_changed checks that nothing was written
    assert "evil_helper.py" in reason  # writing Python files is refused even in the kernel's own folder


@pytest.mark.slow
def test_real_fork_bomb_is_stopped_by_the_watchdog(template: Path, tmp_path: Path) -> None:
    """Processes allowed, so the fork loop really runs (bounded: 200 forks sleeping 20 s); the watchdog kills it."""
    course = gf.copy_course(template, tmp_path / "course")
    gf.submit(course, "alice", "right")
    gf.submit(course, "mallory", "fork_bomb")
    report = autograde(gf.ASSIGNMENT, course, jobs=2, limits=Limits(block_processes=False, max_processes=16))
    by = {r.student: r for r in report.results}
    if cached_probe().jailed and cached_probe().cgroup:  # the cgroup's pids.max refuses the forks first
        assert by["mallory"].status == "needs review", by["mallory"].reason
        assert "tried to start more than 16 processes; the limit refused them" in by["mallory"].reason
    else:  # the watchdog kills the tree
        assert by["mallory"].status == "kernel died"
        assert "more than 16 processes (a fork bomb?)" in by["mallory"].reason
    assert (by["alice"].status, by["alice"].score) == ("graded", 3.0)
    assert descendants(os.getpid()) == []


# --------------------------------------------------------------------------------------------
# units: static scan, cell comparison, logs, the file policy, the audit hook, module snapshots
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "expected"), [
    ("import funnel_lib\nfunnel_lib.check = lambda f: None", "MC-MODULES"),
    ("from funnel_lib import simulate as s\ns.__defaults__ = (1,)", "MC-MODULES"),
    ("g = (lambda: 0)\ng.__defaults__ = (1,)", "MC-FRAMES"),
    ("import builtins\nsetattr(builtins, 'len', len)", "MC-BUILTINS"),
    ("__builtins__['float'] = lambda x: 0.3", "MC-BUILTINS"),
    ("import sys\nsys.modules['funnel_lib'] = object()", "MC-MODULES"),
    ("get_ipython().events.register('pre_run_cell', print)", "MC-IPYTHON"),
    ("get_ipython().ast_transformers.append(object())", "MC-IPYTHON"),
    ("%load_ext something", "MC-IPYTHON"),
    ("!ls ../../..", "MC-IPYTHON"),
    ("class X:\n    def __eq__(self, other):\n        return True", "MC-EQUALITY"),
    ("X.__eq__ = lambda self, other: True", "MC-EQUALITY"),
    ("open('../../../source/ps1/toy.ipynb').read()", "MC-FILES"),
    ("import glob\nglob.glob('/srv/course/gradebook.db')", "MC-FILES"),
    ("import os\nos.fork()", "MC-PROCESS"),
    ("import subprocess\nsubprocess.run(['ls'])", "MC-IMPORT"),
    ("import ctypes", "MC-IMPORT"),
    ("exec('x = 1')", "MC-EXEC"),
    ("f = (lambda: 0)\nf.__code__ = g.__code__", "MC-FRAMES"),
    ("import sys\nsys._getframe(1).f_back", "MC-FRAMES"),
])
def test_scan_flags(code: str, expected: str) -> None:
    found = scan_code(code, "cell 1", local_modules=["toy_helpers"])
    assert expected in {f.code for f in found if f.severity == "review"}, found


@pytest.mark.parametrize("code", [
    "rate = 3 / 10",
    "from funnel_lib import Funnel, Step\nladder = Funnel([Step('Clip', 'entry', ask=1)])",
    "def first_stage(names):\n    return Stage(names[0])",
    "import math\nshare = round(math.sqrt(0.09), 2)",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "this is not python",
])
def test_scan_accepts_honest_code(code: str) -> None:
    assert [f for f in scan_code(code) if f.severity == "review"] == []


def test_scan_notes_are_not_reviews() -> None:
    found = scan_code("def len(x):\n    return 1\nclass A:\n    def __eq__(self, other):\n        return self.v == other.v")
    assert [f.severity for f in found] == ["note"]


def test_finding_validation() -> None:
    with pytest.raises(ValueError, match="severity must be one of"):
        Finding("MC-X", "fatal", "nope")
    assert Finding("MC-X", "note", "hi").to_dict() == {"code": "MC-X", "severity": "note", "message": "hi", "where": ""}


SOURCE_CELLS = [
    {"name": "setup", "cell_type": "code", "locked": True, "source": "import x", "grade": False, "solution": False},
    {"name": "answer", "cell_type": "code", "locked": False, "source": "raise NotImplementedError()", "grade": False,
     "solution": True},
    {"name": "test", "cell_type": "code", "locked": True, "grade": True, "solution": False,
     "source": "assert a\n### BEGIN HIDDEN TESTS\nassert b\n### END HIDDEN TESTS"},
    {"name": "why", "cell_type": "markdown", "locked": False, "source": "", "grade": True, "solution": True},
]


def _cell(grade_id: str, source: str, cell_type: str = "code") -> dict[str, Any]:
    return {"cell_type": cell_type, "source": source, "metadata": {"nbgrader": {"grade_id": grade_id}}}


def test_compare_cells() -> None:
    untouched = {"cells": [_cell("setup", "import x"), _cell("answer", "a = 1"), _cell("test", "assert a"),
                           _cell("why", "because", "markdown")]}
    assert compare_cells(untouched, SOURCE_CELLS) == []
    messy = {"cells": [_cell("setup", "import y"), _cell("test", "pass", "markdown"), _cell("test", "assert a"),
                       _cell("bogus", "1")]}
    found = {(f.severity, f.message) for f in compare_cells(messy, SOURCE_CELLS)}
    assert ("note", "the read-only cell setup was edited; nbgrader graded the original instead") in found
    assert ("review", "the answer cell answer was deleted (the answer, if any, is in another cell: check it)") in found
    assert ("note", "2 cells claim the grade id test (copies are ignored)") in found
    assert ("note", "a cell claims the unknown grade id bogus (ignored)") in found
    assert ("note", "the cell test was changed from code to markdown (nbgrader changed it back)") in found
    assert release_source(SOURCE_CELLS[2]["source"]) == "assert a"


def test_scan_notebook_skips_restored_cells() -> None:
    nb = {"cells": [_cell("setup", "import ctypes"), _cell("answer", "import ctypes"),
                    {"cell_type": "code", "source": ["exec(", "'1')"], "metadata": {}}]}
    found = scan_notebook(nb, SOURCE_CELLS)
    assert {(f.where, f.code) for f in found} == {("answer", "MC-IMPORT"), ("cell 3", "MC-EXEC")}


def test_read_kernel_log(tmp_path: Path) -> None:
    log = tmp_path / "kernel.log"
    log.write_text("\n".join([
        '{"kind": "armed"}',
        '{"kind": "cell", "phase": "post", "n": 1}',
        '{"kind": "blocked", "event": "open", "detail": "/course/gradebook.db"}',
        '{"kind": "finding", "code": "MC-BUILTINS", "severity": "review", "message": "replaced len", "cell": 2}',
        '{"kind": "process", "event": "os.fork"}',
        "forged text",
    ]), encoding="utf-8")
    found = read_kernel_log(log, code_cells=3, labels=["setup", "rate_answer", "rate_test"])
    lines = [f.line() for f in found]
    assert "the sandbox refused open: /course/gradebook.db" in lines
    assert "rate_answer: replaced len" in lines
    assert "started a process (os.fork)" in lines
    assert "the grading log contains text the guard did not write" in lines
    assert any("saw 1 of 3 cells finish" in line for line in lines)
    assert read_kernel_log(tmp_path / "missing.log", code_cells=3) == []


def test_findings_from_outputs() -> None:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "error", "ename": "MemoryError"}]},
                    {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "t"}},
                     "outputs": [{"output_type": "error", "ename": "CellTimeoutError"}]}]}
    assert [f.line() for f in findings_from_outputs(nb, " (limit 1 GiB)")] == [
        "cell 1: the cell ran out of memory (limit 1 GiB)", "t: the cell ran past the time limit and was interrupted"]


def test_policy(tmp_path: Path) -> None:
    course, box = tmp_path / "course", tmp_path / "run" / "box" / "me"
    policy = Policy([str(course / "source"), str(tmp_path / "run")], [str(course)], [str(box)],
                    pristine=[str(box / "helpers.py"), str(box / "data.csv")])
    assert policy.denies_read(str(course / "source" / "a.ipynb"))
    assert policy.denies_read(str(tmp_path / "run" / "box" / "other" / "x"))
    assert not policy.denies_read(str(box / "x"))
    assert policy.denies_write(str(course / "x.txt"))
    assert policy.denies_write(str(box / "data.csv"))
    assert policy.denies_write(str(tmp_path / "anywhere" / "sitecustomize.py"))
    assert not policy.denies_write(str(box / "out.csv"))
    assert policy.resolve(3) is None and policy.resolve(None) is None
    link = tmp_path / "link"
    link.symlink_to(course)
    assert policy.resolve(str(link / "source")) == str(course / "source")


def test_audit_hook_without_installing_it(tmp_path: Path) -> None:
    """The hook is a plain function: call it with audit events (installing it would be permanent)."""
    read_fd = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT)
    course = tmp_path / "course"
    hook = make_audit_hook(Policy([str(course / "source")], [str(course)], [str(tmp_path / "box")]), read_fd)
    hook("open", (str(course / "source" / "x"), "r", 0))  # not armed yet: allowed
    hook(ARM_EVENT, ())
    with pytest.raises(PermissionError, match="reading here is not allowed"):
        hook("open", (str(course / "source" / "x"), "r", 0))
    with pytest.raises(PermissionError, match="writing here is not allowed"):
        hook("open", (str(course / "gradebook.db"), "a", 0))
    hook("open", (str(tmp_path / "elsewhere.txt"), "w", 0))
    hook("open", (5, "r", 0))
    with pytest.raises(PermissionError, match="starting processes"):
        hook("os.fork", ())
    with pytest.raises(PermissionError, match="signalling other processes"):
        hook("os.kill", (1, 9))
    hook("os.kill", (os.getpid(), 0))
    with pytest.raises(PermissionError, match="links cannot be made"):
        hook("os.symlink", ("/etc/passwd", str(tmp_path / "box" / "p")))
    with pytest.raises(PermissionError, match="changing files"):
        hook("os.remove", (str(course / "gradebook.db"),))
    with pytest.raises(PermissionError, match="looking here"):
        hook("os.scandir", (str(course / "source"),))
    with pytest.raises(PermissionError, match="looking here"):
        hook("glob.glob", (str(course / "source" / "*" / "*.ipynb"), False))
    with pytest.raises(PermissionError, match="audit hooks cannot be added"):
        hook("sys.addaudithook", ())
    hook("gc.get_objects", ())  # from library code (this test is not a notebook cell): allowed
    hook(GUARD_EVENT, ('{"kind": "cell", "phase": "post"}',))
    hook("compile", (b"", "x"))
    os.close(read_fd)
    text = (tmp_path / "log").read_text(encoding="utf-8")
    assert text.count('"kind": "blocked"') == 9 and '"phase": "post"' in text


def test_module_snapshots(tmp_path: Path) -> None:
    (tmp_path / "snapme.py").write_text("def f():\n    return 1\nclass C:\n    x = 1\n", encoding="utf-8")
    logged: list[tuple] = []
    finder = ModuleSnapshots([], ["snapme"], {"snapme": str(tmp_path)}, lambda *a: logged.append(a))
    sys.path.insert(0, str(tmp_path))
    sys.meta_path.insert(0, finder)
    try:
        import snapme  # type: ignore[import-not-found]

        module, namespace, classes, functions = finder.snapshots["snapme"]
        assert module is snapme and namespace["f"] is snapme.f and "C" in classes and "f" in functions
        assert snapme.__loader__.get_filename("snapme").endswith("snapme.py")  # delegated to the real loader
        assert finder.find_spec("json") is None
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(tmp_path))
        sys.modules.pop("snapme", None)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "snapme.py").write_text("x = 1\n", encoding="utf-8")
    finder = ModuleSnapshots([], ["snapme"], {"snapme": str(tmp_path / "box")}, lambda *a: logged.append(a))
    sys.path.insert(0, str(other))
    try:
        with pytest.raises(ImportError, match="must come from"):
            finder.find_spec("snapme")
    finally:
        sys.path.remove(str(other))
    assert logged and logged[-1][0] == "blocked"


def test_module_snapshots_cover_classes_that_name_a_parent_package_as_their_home() -> None:
    """Public errors say ``__module__ = "funnel_lib"`` (or ``funnel_lib.grading``): they are still watched."""
    import types

    module = types.ModuleType("pkg.sub._private")
    public = type("PublicError", (ValueError,), {"__module__": "pkg.sub"})
    own = type("Own", (), {"__module__": "pkg.sub._private"})
    borrowed = type("Borrowed", (), {"__module__": "pkg.other"})
    module.PublicError, module.Own, module.Borrowed = public, own, borrowed
    finder = ModuleSnapshots([], ["pkg"], {}, lambda *a: None)
    finder.take(module)
    classes = finder.snapshots["pkg.sub._private"][2]
    assert set(classes) == {"PublicError", "Own"}


# --------------------------------------------------------------------------------------------
# the in-kernel guard, driven in this process through a plain IPython shell
# --------------------------------------------------------------------------------------------
@pytest.fixture
def guarded(tmp_path: Path) -> Any:
    import json

    from IPython.core.interactiveshell import InteractiveShell

    from funnel_lib.grading import _guard

    (tmp_path / "helper_mod.py").write_text("def check(a, b):\n    assert a == b, 'different'\nclass K:\n    pass\n",
                                           encoding="utf-8")
    snapshots = ModuleSnapshots([], ["helper_mod"], {"helper_mod": str(tmp_path)}, lambda *a: None)
    sys.path.insert(0, str(tmp_path))
    sys.meta_path.insert(0, snapshots)
    shell = InteractiveShell()
    tests = {
        "setup": "from helper_mod import check, K",
        "t_len": "assert len([1]) == 1",
        "t_check": "from helper_mod import check\ncheck(answer, 0.3)",
        "t_answer": "assert answer == 0.3",
        "t_k": "assert K is not None",
    }
    roles = {_guard.source_key(src): {"role": "readonly" if name == "setup" else "test", "grade_id": name}
             for name, src in tests.items()}
    guard = _guard.install(shell, snapshots, roles)
    records: list[dict] = []
    guard._audit = lambda name, payload: records.append(json.loads(payload))
    run = shell.run_cell

    def findings() -> list[str]:
        return [r["message"] for r in records if r.get("kind") == "finding"]

    try:
        yield tests, run, findings, shell
    finally:
        InteractiveShell.clear_instance()
        sys.meta_path.remove(snapshots)
        sys.path.remove(str(tmp_path))
        sys.modules.pop("helper_mod", None)


def test_guard_restores_patched_helper(guarded: Any) -> None:
    tests, run, findings, shell = guarded
    run(tests["setup"])
    run("import helper_mod\nhelper_mod.check = lambda *a: None\nanswer = 0.5")
    result = run(tests["t_check"])
    assert not result.success  # the real check ran
    assert "replaced helper_mod.check; the original was put back" in findings()


def test_guard_trusted_names_and_shadowed_builtins(guarded: Any) -> None:
    tests, run, findings, shell = guarded
    run(tests["setup"])
    run("K = None\ndef len(x):\n    return 7")
    assert run(tests["t_k"]).success is True  # the read-only cell's K was put back for the test
    assert run(tests["t_len"]).success is True
    assert shell.user_ns["K"] is None  # ... and the notebook's own binding afterwards
    messages = findings()
    assert any("`K`, set by a read-only or test cell, was rebound" in m for m in messages)
    assert "`len` hides the builtin the test uses; the test ran with the builtin" in messages


def test_guard_reports_always_equal_answers(guarded: Any) -> None:
    tests, run, findings, shell = guarded
    run("class Any_:\n    def __eq__(self, other):\n        return True\nanswer = [Any_()]")
    run(tests["t_answer"])
    assert "`answer` compares equal to anything (its == always succeeds)" in findings()


def test_guard_undoes_shell_and_builtin_changes(guarded: Any) -> None:
    import builtins

    tests, run, findings, shell = guarded
    real_len, real_run_cell = builtins.len, shell.run_cell
    outcome = run("import builtins\nbuiltins.len = lambda x: 5\nbuiltins.isinstance = lambda *a: True")
    assert outcome.success, outcome.error_in_exec
    assert builtins.len is real_len, findings()
    run("get_ipython().events.register('post_execute', lambda: None)")
    run("get_ipython().ast_transformers.append(object())")
    run("get_ipython().run_cell = lambda *a, **k: None")
    assert shell.run_cell == real_run_cell and shell.ast_transformers == []
    run("import sys, types\nsys.modules['helper_mod.fake'] = types.ModuleType('x')")
    run("import threading, time\nthreading.Thread(target=time.sleep, args=(0.5,), name='sneaky').start()")
    run(tests["t_len"])
    messages = findings()
    for expected in ("replaced the builtin 'len'; the original was put back",
                     "replaced the builtin 'isinstance'; the original was put back",
                     "changed IPython's 'post_execute' event callbacks (it changes how later cells run); undone",
                     "changed IPython's ast_transformers (it changes how later cells run); undone",
                     "replaced the shell's run_cell() method; undone",
                     "put a module into sys.modules as helper_mod.fake without importing it; removed",
                     "thread(s) started by notebook code were running during a test: sneaky"):
        assert expected in messages
    assert [r for r in messages if "guard-error" in r] == []


def test_guard_accepts_library_hooks(guarded: Any) -> None:
    tests, run, findings, shell = guarded
    import functools
    import json as library_module

    shell.events.register("post_execute", functools.partial(library_module.dumps, {}))
    run("x = 1")
    assert findings() == []
