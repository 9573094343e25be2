"""The grading worker: one slot process grades students one at a time in sandboxed kernels."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnel_lib.grading._checker import RESET_SOURCE, WarmChecker, reap_zombies
from funnel_lib.grading._course import Course
from funnel_lib.grading._integrity import Finding, findings_from_outputs, read_kernel_log
from funnel_lib.grading._planning import _course_for, _sanitizer
from funnel_lib.grading._records import KernelSettings, Task, WorkerOutcome
from funnel_lib.grading._reporting import _unique
from funnel_lib.grading._sandbox import GUARD_PATH, Limits
from funnel_lib.grading._verdict import checker_notebook, failed, find_test_cells, reconcile

__all__ = ["MAX_NOTEBOOK_BYTES", "read_json_safely", "PRELOAD"]


#: Submitted notebooks larger than this are not read (a real exercise is well under 5 MiB).
MAX_NOTEBOOK_BYTES = 64 * 1024 ** 2


def read_json_safely(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, too large, not JSON or nested too deeply.

    >>> read_json_safely(Path("/nonexistent.ipynb")) is None
    True
    """
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))  # the C parser raises RecursionError when deep
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return None


def _worker_main(task: Task) -> None:  # pragma: no cover - runs in the forked worker (tested end to end)
    """Entry point of a worker process: grade one student, write the result file."""
    started = time.monotonic()
    work = Path(task.work)
    work.mkdir(parents=True, exist_ok=True)
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)  # Ctrl-C in the terminal goes to the parent, which stops the workers
        except OSError:
            pass
    import warnings

    from funnel_lib.grading._sandbox import become_subreaper

    become_subreaper()  # processes that escape the kernel by double-forking stay below this worker
    warnings.resetwarnings()  # a worker logs warnings (it inherited the parent's filters, e.g. pytest's "error")
    warnings.simplefilter("default")
    log_fd = os.open(str(work / "worker.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    try:
        outcome = WorkerOutcome(**_grade_in_sandbox(task))
    except BaseException as error:  # noqa: BLE001 - report anything as a result
        outcome = WorkerOutcome("error", f"the grader failed: {error!r}", traceback=traceback.format_exc())
    outcome.seconds = time.monotonic() - started
    tmp = Path(task.result + ".tmp")
    tmp.write_text(outcome.to_json(), encoding="utf-8")
    os.replace(tmp, task.result)
    sys.stdout.flush()
    sys.stderr.flush()


def _slot_main(conn: Any) -> None:  # pragma: no cover - runs in the forked worker (tested end to end)
    """Entry point of a worker slot: grade the students the parent sends, one at a time, until told to stop."""
    from funnel_lib.grading._sandbox import become_subreaper

    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)  # Ctrl-C in the terminal goes to the parent, which stops the workers
        except OSError:
            pass
    become_subreaper()
    import warnings

    warnings.resetwarnings()  # a slot logs warnings (it inherited the parent's filters, e.g. pytest's "error")
    warnings.simplefilter("default")
    _KEEP_WARM[0] = True
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            task = Task.from_json(message)
            try:
                _worker_main(task)
            except BaseException as error:  # noqa: BLE001 - report it as this student's result, go on
                if not Path(task.result).exists():
                    failure = WorkerOutcome("error", f"the grader failed: {error!r}", traceback=traceback.format_exc())
                    Path(task.result).write_text(failure.to_json(), encoding="utf-8")
            reap_zombies(_CHECKER.pids())
            conn.send("done")
    finally:
        _CHECKER.close()
        conn.close()


def _checker_roles(source_cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The guard's cell roles from the assignment's definition (the same for every student)."""
    from funnel_lib.grading._guard import source_key

    roles: dict[str, dict[str, Any]] = {}
    for cell in source_cells:
        if cell.get("cell_type") == "code" and cell.get("locked"):
            role = "test" if cell.get("grade") and not cell.get("solution") else "readonly"
            roles[source_key(cell.get("source", ""))] = {"role": role, "grade_id": cell.get("name")}
    return roles


def _start_checker(task: Task, config: Any, limits: Limits, source: Path, ignore: list[str], excluded: set[str],
                   work: Path, jail_info: Any) -> None:
    """Launch this slot's clean kernel unless a warm one is ready (it boots while the student's kernel runs)."""
    from jupyter_core.utils import run_sync
    from nbformat.v4 import new_notebook

    from funnel_lib.grading._sandbox import Sandbox, SandboxExecute

    state = _CHECKER
    if state.km is not None and state.key == task.seed_url and state.ready:
        return
    state.close()
    slot = os.getpid()
    check_jail = None
    if jail_info is not None:
        from funnel_lib.grading._isolation import Jail

        check_jail = Jail(jail_info, Path(task.box).parent / f"slot{slot}.check", slot=slot + 5_000_000)
        check_box = check_jail.box
        check_jail.prepare(limits.memory_bytes, limits.max_processes + 8)
        kernel_dir = check_jail.kernel
    else:
        check_box = work.parent / f"slot{slot}.check-box"
        kernel_dir = work.parent / f"slot{slot}.check-kernel"
        kernel_dir.mkdir(parents=True, exist_ok=True)
    check_box.mkdir(parents=True, exist_ok=True)
    _copy_assignment_files(source, check_box, ignore, excluded)
    if check_jail is not None:
        check_jail.own(check_box)
    roles: dict[str, dict[str, Any]] = {}
    for cells in task.source_cells.values():
        roles.update(_checker_roles(cells))
    settings = _kernel_settings(task, limits, kernel_dir / "check.log", roles, check_box, pristine=[])
    settings_path = kernel_dir / "check.json"
    settings_path.write_text(settings.to_json(), encoding="utf-8")
    execute = SandboxExecute(config=config)
    execute.nb = new_notebook()
    execute.sandbox = Sandbox(settings_path, check_box, limits, jail=check_jail,
                              connection_file=kernel_dir / "check-connection.json")
    km = execute.create_kernel_manager()
    state.adopt(task.seed_url, km, execute.sandbox, check_jail, check_box)
    extra = list(execute.extra_arguments)
    if getattr(km, "ipykernel", False) and not any(a.startswith("--HistoryManager.hist_file") for a in extra):
        extra.append("--HistoryManager.hist_file=:memory:")
    extra.append(f"--IPKernelApp.exec_lines={PRELOAD}")  # the libraries load while the student's kernel runs
    # no output cache (``_``, ``Out``): tests never read it here, and without it the namespace reset between
    # students skips IPython's full garbage collection
    extra.append("--InteractiveShell.cache_size=0")
    try:
        run_sync(km.start_kernel)(extra_arguments=extra, cwd=str(check_box))
    except Exception:  # noqa: BLE001 - the second opinion then reports that it could not run
        state.close()


def _kernel_settings(task: Task, limits: Limits, log: Path, roles: dict[str, dict[str, Any]], box: Path,
                     pristine: list[str]) -> KernelSettings:
    """The launcher's settings for a kernel working in ``box`` (a student's kernel, or the slot's clean one)."""
    import funnel_lib

    return KernelSettings(
        limits={"memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds,
                "file_bytes": limits.file_bytes, "nproc": 512},
        log=str(log), guard=str(GUARD_PATH), roles=roles,
        read_deny=task.read_deny, write_deny=task.write_deny, allow=[str(box)], pristine=pristine,
        block_processes=limits.block_processes, protected_prefixes=["funnel_lib"], local_modules=task.local_modules,
        module_origins={"funnel_lib": str(Path(funnel_lib.__file__).resolve().parent),
                        **{m: str(box) for m in task.local_modules}},
    )


def _copy_assignment_files(source: Path, dest_dir: Path, ignore: list[str], excluded: set[str]) -> None:
    """Copy the assignment's files (not its notebooks, not those excluded from overwriting) into ``dest_dir``."""
    from nbgrader.utils import find_all_files

    for filename in find_all_files(str(source), ignore + ["*.ipynb"]):
        relative = os.path.relpath(filename, source)
        if relative.endswith(".ipynb") or relative in excluded:
            continue
        dest = dest_dir / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists() or dest.is_symlink():
            dest.unlink()
        shutil.copyfile(filename, dest)


#: What the clean kernel imports as it starts (restoring answers needs it; a reset keeps the modules loaded).
PRELOAD = "import funnel_lib.grading._answers"


#: The clean kernel of this worker slot, reused between students (see ``_checker.py``).
_CHECKER = WarmChecker()


#: True in a worker slot that grades several students (the clean kernel then stays warm).
_KEEP_WARM: list[bool] = [False]


def _second_opinion(executed: Any, tests: dict[int, list[str] | None], answers: dict[int, str], config: Any,
                    source: Path, ignore: list[str], excluded: set[str], work: Path, name: str,
                    nbgrader_resources: dict[str, Any]) -> list[Finding]:
    """Run the test cells again in this slot's clean kernel (started by ``_start_checker``), holding only the
    assignment's files and the answers as data; make its verdict count in ``executed`` (see ``_verdict.py``);
    return the findings. A kernel that served a student before has its namespace reset first.
    """
    from funnel_lib.grading._sandbox import SandboxExecute

    state = _CHECKER
    checker, where, local = checker_notebook(executed, tests, answers, reset=RESET_SOURCE if state.uses else "")
    if not where:
        return reconcile(executed, checker, where, local)
    if state.km is None or state.box is None:
        return [Finding("MC-VERDICT", "review", "the tests could not be run again in a clean kernel (it did not "
                        "start); the notebook's own kernel was trusted")]
    if state.uses:
        _copy_assignment_files(source, state.box, ignore, excluded)
        if state.jail is not None:
            state.jail.own(state.box)
    keep = False
    execute = SandboxExecute(config=config)
    test_timeout = int(config.Execute.get("timeout", None) or 30)
    # restoring answers may import the libraries first (slow on a busy machine); tests keep the course's timeout
    execute.timeout_func = lambda cell: 120 if cell.get("metadata", {}).get("funnel_grading") in ("restore", "reset") \
        else test_timeout
    try:
        try:
            checked, _ = execute.preprocess(checker, {"metadata": {"path": str(state.box)},
                                                      "nbgrader": nbgrader_resources}, km=state.km)
        except Exception as error:  # noqa: BLE001 - the second opinion failed: say so, keep the first
            import nbformat

            nbformat.write(checker, str(work / f"{name}.checker.ipynb"))  # for FUNNEL_GRADING_KEEP debugging
            return [Finding("MC-VERDICT", "review", f"the tests could not be run again in a clean kernel "
                            f"({type(error).__name__}: {str(error)[:200]}); the notebook's own kernel was trusted")]
        finally:
            if execute.kc is not None:
                try:
                    execute.kc.stop_channels()
                except Exception:  # noqa: BLE001
                    pass
        helpers = [cell for cell in checked.cells if cell.get("metadata", {}).get("funnel_grading")]
        keep = (_KEEP_WARM[0] and not execute.timed_out_cells
                and not any(failed(cell.get("outputs", [])) for cell in helpers))
        state.uses += 1
        return reconcile(executed, checked, where, local)
    finally:
        if not keep:  # misbehaved, or not in a long-lived slot: the next student gets a fresh kernel
            state.close()


@dataclass
class _Grading:
    """One student's grading in this worker: where it happens, and what it found so far."""

    task: Task
    course: Course
    config: Any
    limits: Limits
    work: Path
    box: Path
    jail: Any
    submitted: Path
    source: Path
    ignore: list[str]
    excluded: set[str]
    pristine: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    clock: float = field(default_factory=time.monotonic)
    findings: list[Finding] = field(default_factory=list)
    outcome: dict[str, Any] = field(
        default_factory=lambda: {"status": "ok", "reason": "", "notebooks": {}, "findings": []})

    def lap(self, name: str) -> None:
        """Record the time since the last lap as ``name``."""
        self.timings[name] = time.monotonic() - self.clock
        self.clock = time.monotonic()


def _grade_in_sandbox(task: Task) -> dict[str, Any]:
    """Sanitize and execute one student's notebooks in sandboxed kernels (see the module docstring)."""
    from funnel_lib.grading._sandbox import Watchdog

    run = _prepare(task)
    if any(c.get("grade") and not c.get("solution") for cells in task.source_cells.values() for c in cells):
        try:
            _start_checker(task, run.config, run.limits, run.source, run.ignore, run.excluded, run.work,
                           run.jail.info if run.jail is not None else None)
        except Exception:  # noqa: BLE001 - the second opinion then says that it could not run
            traceback.print_exc()
            _CHECKER.close()
        run.lap("checker.start")
    watchdog = Watchdog(run.limits.max_processes + (8 if run.jail is not None else 0))
    watchdog.start()
    try:
        for name in task.notebooks:
            if not _grade_notebook(run, name, watchdog):
                break
    finally:
        _clean_up(run, watchdog)
    outcome = run.outcome
    if watchdog.reason and outcome["status"] == "ok":
        outcome["status"], outcome["reason"] = "kernel died", watchdog.reason
    run.timings["finish"] = time.monotonic() - run.clock
    outcome["timings"] = run.timings
    outcome["findings"] = [f.to_dict() for f in _unique(run.findings)]
    return outcome


def _prepare(task: Task) -> _Grading:
    """The student's scratch folder (in a jail when isolated), filled; the course's configuration for them."""
    import copy

    course = _course_for(task.course_root)
    limits = Limits(**task.limits)
    work, box = Path(task.work), Path(task.box)
    jail = None
    if task.isolation:
        from funnel_lib.grading._isolation import Isolation, Jail

        info = Isolation.from_json(task.isolation)
        if info.jailed:
            jail = Jail(info, box.parent / f"{box.name}.jail", slot=os.getpid())
            box = jail.box
    box.mkdir(parents=True, exist_ok=True)
    submitted = course.submission_dir(task.student, task.assignment)
    source = course.source_dir / task.assignment
    config = copy.deepcopy(course.config)
    if task.cell_timeout:
        config.Execute.timeout = int(task.cell_timeout)
    config.Exporter.default_preprocessors = []
    ignore = list(course.coursedir.ignore)
    excluded = set(dict(config.Autograde.get("exclude_overwriting", None) or {}).get(task.assignment, []))
    pristine = _fill_box(box, submitted, source, ignore, excluded)
    if jail is not None:
        jail.prepare(limits.memory_bytes, limits.max_processes + 8)  # + bubblewrap, its init and setpriv
    return _Grading(task, course, config, limits, work, box, jail, submitted, source, ignore, excluded, pristine)


def _fill_box(box: Path, submitted: Path, source: Path, ignore: list[str], excluded: set[str]) -> list[str]:
    """Copy the student's own files, then the assignment's (as nbgrader does) into ``box``; return the latter."""
    from nbgrader.utils import find_all_files

    pristine: list[str] = []
    for base, keep in ((submitted, True), (source, False)):
        for filename in find_all_files(str(base), ignore + (["*.ipynb"] if not keep else [])):
            relative = os.path.relpath(filename, base)
            if not keep and (relative.endswith(".ipynb") or relative in excluded):
                continue
            dest = box / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                dest.unlink()
            shutil.copyfile(filename, dest)
            if not keep:
                pristine.append(str(dest))
    return pristine


def _unreadable(path: Path) -> str | None:
    """Why the submitted notebook ``path`` cannot be read, or None when it can."""
    import nbformat

    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"it is larger than {MAX_NOTEBOOK_BYTES // 1024 ** 2} MiB")
        if read_json_safely(path) is None:
            raise ValueError("it is not JSON, or nested too deeply to read")
        nbformat.read(str(path), as_version=4)
    except Exception as error:  # noqa: BLE001 - any reading problem
        return str(error).splitlines()[0][:200]
    return None


def _cell_roles(nb: Any) -> tuple[dict[str, dict[str, Any]], int, list[str]]:
    """The guard's roles of the notebook's locked cells, its number of code cells and their labels."""
    from funnel_lib.grading._guard import source_key

    roles = {}
    code_cells = 0
    labels: list[str] = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and cell.source.strip():
            code_cells += 1
            labels.append(meta.get("grade_id") or f"cell {index + 1}")
        if cell.cell_type == "code" and meta.get("locked"):
            role = "test" if meta.get("grade") and not meta.get("solution") else "readonly"
            roles[source_key(cell.source)] = {"role": role, "grade_id": meta.get("grade_id")}
    return roles, code_cells, labels


def _grade_notebook(run: _Grading, name: str, watchdog: Any) -> bool:
    """Sanitize, execute and check one notebook; return False when the student's grading must stop here."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from funnel_lib.grading._sandbox import KernelUnresponsive, Sandbox, SandboxExecute

    task, outcome = run.task, run.outcome
    path = run.submitted / f"{name}.ipynb"
    entry: dict[str, Any] = {"executed": None, "error": None}
    outcome["notebooks"][name] = entry
    if not path.exists():
        entry["error"] = f"{name}.ipynb was not submitted"
        return True
    problem = _unreadable(path)
    if problem is not None:
        entry["error"] = f"{name}.ipynb is not a valid notebook: {problem}"
        outcome["status"], outcome["reason"] = "invalid notebook", entry["error"]
        return True
    exporter = _sanitizer(run.course, run.config)
    resources: dict[str, Any] = {"nbgrader": {"student": task.student, "assignment": task.assignment, "notebook": name,
                              "db_url": task.seed_url},
                 "unique_key": name, "output_files_dir": f"{name}_files"}
    text, _ = exporter.from_filename(str(path), resources=resources)
    nb = nbformat.reads(text, as_version=4)
    sanitized = run.work / f"{name}.sanitized.ipynb"
    sanitized.write_text(text, encoding="utf-8")
    entry["sanitized"] = str(sanitized)
    run.lap(f"{name}.sanitize")
    roles, code_cells, labels = _cell_roles(nb)
    kernel_dir = run.jail.kernel if run.jail is not None else run.work
    kernel_log = kernel_dir / f"{name}.kernel.log"
    settings = _kernel_settings(task, run.limits, kernel_log, roles, run.box, run.pristine)
    settings_path = kernel_dir / f"{name}.kernel.json"
    settings_path.write_text(settings.to_json(), encoding="utf-8")
    execute = SandboxExecute(config=run.config)
    execute.sandbox = Sandbox(settings_path, run.box, run.limits, pid_file=run.work / "kernel.pid",
                              connection_file=kernel_dir / f"{name}.connection.json", jail=run.jail)
    tests = find_test_cells(nb)
    execute.answer_names = {index: names for index, names in tests.items() if names is not None}
    try:
        executed, _ = execute.preprocess(nb, {"metadata": {"path": str(run.box)}, "nbgrader": resources["nbgrader"]})
    except KernelUnresponsive as error:
        entry["error"] = str(error)
        outcome["status"], outcome["reason"] = "timed out", str(error)
        return False
    except (DeadKernelError, CellTimeoutError, RuntimeError) as error:
        traceback.print_exc()  # into the worker's log
        outcome["status"], reason = _kernel_failure(run, error, execute, watchdog)
        entry["error"] = reason
        outcome["reason"] = reason
        run.findings += read_kernel_log(kernel_log, labels=labels)
        return False
    run.lap(f"{name}.execute")
    if tests:
        run.findings += _second_opinion(executed, tests, execute.answers, run.config, run.source, run.ignore,
                                        run.excluded, run.work, name, resources["nbgrader"])
        run.lap(f"{name}.check")
    target = run.work / f"{name}.executed.ipynb"
    nbformat.write(executed, str(target))
    entry["executed"] = str(target)
    run.findings += read_kernel_log(kernel_log, code_cells=code_cells, labels=labels)
    memory = f" (limit {run.limits.memory_bytes / 1024 ** 3:g} GiB)"
    run.findings += findings_from_outputs(executed, memory)
    return True


def _kernel_failure(run: _Grading, error: BaseException, execute: Any, watchdog: Any) -> tuple[str, str]:
    """The status and reason of a notebook whose kernel timed out, died or failed (once it has exited)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from funnel_lib.grading._sandbox import describe_exit, wait_exit

    code = wait_exit(execute.sandbox.process)
    if isinstance(error, CellTimeoutError):
        timeout = int(run.config.Execute.get("timeout", None) or 30)
        return "timed out", (f"a cell ran longer than the {timeout} s timeout and the kernel did not recover "
                             "from the interrupt (a loop that catches KeyboardInterrupt?)")
    if isinstance(error, DeadKernelError) or code is not None:
        return "kernel died", watchdog.reason or describe_exit(code, run.limits)
    return "error", f"the kernel failed: {error}"


def _clean_up(run: _Grading, watchdog: Any) -> None:
    """Stop the watchdog and every process left, record what the jail's cgroup saw, remove the scratch folders."""
    watchdog.stop()
    if not _KEEP_WARM[0]:
        _CHECKER.close()
    watchdog.spare = watchdog.spare | frozenset(_CHECKER.pids())  # the warm clean kernel stays
    watchdog.clean_up()
    jail, limits = run.jail, run.limits
    if jail is not None:
        events = jail.cgroup.events()
        if events["oom_kill"]:
            run.findings.append(Finding("MC-MEMORY", "note", "the kernel's processes reached the memory limit "
                                        f"of {limits.memory_bytes / 1024 ** 3:g} GiB (all processes together)"))
        if events["pids_max"]:
            run.findings.append(Finding("MC-PROCESSES", "review", "notebook code tried to start more than "
                                        f"{limits.max_processes} processes; the limit refused them"))
        jail.release()
        shutil.rmtree(jail.base, ignore_errors=True)
    shutil.rmtree(run.box, ignore_errors=True)
