"""Running a grading kernel in a sandbox: resource limits, a private working folder, a process watchdog.

``SandboxExecute`` is nbgrader's ``Execute`` preprocessor with a kernel manager that launches the
kernel through ``_shim.py`` (resource limits, audit hook, guard; see that module), in a scratch
folder that holds only the student's own files, and that stops a kernel which ignores the cell
timeout's interrupt instead of waiting out every remaining cell.

``Watchdog`` counts the processes below the worker (the worker is made a child subreaper, so
processes that escape by double-forking are still counted) and kills them all when there are more
than ``Limits.max_processes`` — the fork-bomb defence that also works when the grader runs as root,
where the kernel ignores ``RLIMIT_NPROC``.

>>> Limits().memory_bytes == 2 * 1024 ** 3
True
>>> parse_size("512MiB"), parse_size("2G"), parse_size(1000)
(536870912, 2147483648, 1000)
>>> describe_exit(-24, Limits(cpu_seconds=30))
'the kernel used more than 30 s of CPU time and was stopped (SIGXCPU)'
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute

from funnel_lib.grading._errors import GradingError
from funnel_lib.grading._proc import process_table

__all__ = [
    "GUARD_PATH",
    "KernelUnresponsive",
    "Limits",
    "SHIM_PATH",
    "Sandbox",
    "SandboxExecute",
    "SandboxKernelManager",
    "Watchdog",
    "describe_exit",
    "descendants",
    "kill_tree",
    "parse_size",
]

SHIM_PATH = Path(__file__).with_name("_shim.py")
GUARD_PATH = Path(__file__).with_name("_guard.py")
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024 ** 2, "mb": 1000 ** 2, "mib": 1024 ** 2,
          "g": 1024 ** 3, "gb": 1000 ** 3, "gib": 1024 ** 3, "t": 1024 ** 4, "tb": 1000 ** 4, "tib": 1024 ** 4}


def parse_size(value: str | int, argument: str = "memory") -> int:
    """Parse a size such as ``2GiB``, ``512M`` or ``1000`` (bytes) into bytes.

    >>> parse_size("1.5 GiB")
    1610612736
    >>> parse_size("lots")
    Traceback (most recent call last):
    ...
    ValueError: memory must be a size such as 2GiB, 512MiB or 1000000 (bytes), got 'lots'
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError(f"{argument} must be positive, got {value}")
        return value
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _UNITS or float(match.group(1)) <= 0:
        raise ValueError(f"{argument} must be a size such as 2GiB, 512MiB or 1000000 (bytes), got {value!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel.

    >>> Limits(cpu_seconds=0)
    Traceback (most recent call last):
    ...
    ValueError: cpu_seconds must be a positive number of seconds, got 0
    """

    memory_bytes: int = 2 * 1024 ** 3
    cpu_seconds: int = 600
    file_bytes: int = 1024 ** 3
    max_processes: int = 32
    block_processes: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.memory_bytes, int) or self.memory_bytes < 64 * 1024 ** 2:
            raise ValueError(f"memory_bytes must be at least 64 MiB, got {self.memory_bytes!r}")
        if not isinstance(self.cpu_seconds, int) or self.cpu_seconds <= 0:
            raise ValueError(f"cpu_seconds must be a positive number of seconds, got {self.cpu_seconds!r}")
        if not isinstance(self.file_bytes, int) or self.file_bytes <= 0:
            raise ValueError(f"file_bytes must be a positive number of bytes, got {self.file_bytes!r}")
        if not isinstance(self.max_processes, int) or self.max_processes < 1:
            raise ValueError(f"max_processes must be at least 1, got {self.max_processes!r}")


def describe_exit(returncode: int | None, limits: Limits) -> str:
    """Explain how a kernel process ended, in words for the grade report.

    >>> describe_exit(3, Limits())
    'the kernel process exited with code 3 (os._exit() or sys.exit() in notebook code?)'
    >>> describe_exit(-9, Limits())
    'the kernel was killed (SIGKILL), probably for using too much memory'
    """
    if returncode is None:
        return "the kernel stopped responding"
    if returncode >= 0:
        return f"the kernel process exited with code {returncode} (os._exit() or sys.exit() in notebook code?)"
    number = -returncode
    if number == getattr(signal, "SIGXCPU", -1):
        return f"the kernel used more than {limits.cpu_seconds} s of CPU time and was stopped (SIGXCPU)"
    if number == getattr(signal, "SIGXFSZ", -1):
        return f"the kernel wrote a file larger than {limits.file_bytes} bytes and was stopped (SIGXFSZ)"
    if number == getattr(signal, "SIGKILL", -1):
        return "the kernel was killed (SIGKILL), probably for using too much memory"
    if number == signal.SIGSEGV:
        return "the kernel crashed (segmentation fault)"
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return f"the kernel was stopped by {name}"


def _proc_table() -> dict[int, int]:
    """pid -> parent pid of every live process (Linux /proc; zombies, already dead, are left out)."""
    return {pid: parent for pid, (state, parent) in process_table().items() if state != b"Z"}


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, …) on Linux; empty elsewhere.

    >>> os.getpid() in descendants(os.getppid()) or not Path("/proc").is_dir()
    True
    """
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for child, parent in table.items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def kill_tree(pid: int, include_self: bool = True, spare: frozenset[int] | set[int] = frozenset()) -> int:
    """SIGKILL ``pid``'s descendants except ``spare`` (twice, to catch processes born meanwhile) and ``pid``.

    Returns how many processes were signalled.
    """
    killed: set[int] = set()
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    for _ in range(2):
        for child in descendants(pid):
            if child in spare:
                continue
            try:
                os.kill(child, kill)
                killed.add(child)
            except OSError:
                pass
    if include_self:
        try:
            os.kill(pid, kill)
            killed.add(pid)
        except OSError:
            pass
    return len(killed)


def become_subreaper() -> bool:
    """Make this process adopt orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``); return success."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:  # noqa: BLE001
        return False


class Watchdog(threading.Thread):
    """Kills every process started below this one when there are more than ``limit`` (a fork bomb).

    Processes that already existed when the watchdog was made are spared (and not counted).
    """

    def __init__(self, limit: int, interval: float = 0.2) -> None:
        super().__init__(name="funnel-grading-watchdog", daemon=True)
        self.limit = limit
        self.interval = interval
        self.reason: str | None = None
        self.peak = 0
        self.spare = frozenset(descendants(os.getpid()))
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Poll the process tree until stopped."""
        me = os.getpid()
        wait = self.interval
        while not self._stop_event.wait(wait):
            began = time.monotonic()
            below = [pid for pid in descendants(me) if pid not in self.spare]
            # keep the scan's cost under ~5 % of a CPU on machines with many processes
            wait = max(self.interval, 20 * (time.monotonic() - began))
            self.peak = max(self.peak, len(below))
            if len(below) > self.limit:
                self.reason = (f"notebook code started more than {self.limit} processes (a fork bomb?); "
                               "the kernel and all its processes were killed")
                kill_tree(me, include_self=False, spare=self.spare)

    def clean_up(self) -> int:
        """Kill whatever was started below this process since the watchdog was made (stray processes)."""
        return kill_tree(os.getpid(), include_self=False, spare=self.spare)

    def stop(self) -> None:
        """Stop polling."""
        self._stop_event.set()


class KernelUnresponsive(GradingError, RuntimeError):
    """The kernel ignored the interrupt after a cell timeout (e.g. a loop that swallows KeyboardInterrupt)."""


@dataclass
class Sandbox:
    """Where and how one grading kernel runs: settings file for the shim, folder, environment."""

    settings_path: Path
    cwd: Path
    limits: Limits
    env: dict[str, str] = field(default_factory=dict)
    process: Any = None
    pid_file: Path | None = None
    connection_file: Path | None = None
    jail: Any = None  # a _isolation.Jail: the kernel runs inside bubblewrap

    def command(self, kernel_cmd: list[str]) -> list[str]:
        """Wrap a kernel command so that it starts through the shim (inside the jail, if any)."""
        if len(kernel_cmd) >= 3 and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]:
            command = [kernel_cmd[0], str(SHIM_PATH), str(self.settings_path), "--", *kernel_cmd[1:]]
        else:
            command = [sys.executable, str(SHIM_PATH), str(self.settings_path), "--", *kernel_cmd]
        if self.jail is not None:
            command += ["--HistoryManager.enabled=False", "--IPKernelApp.extensions=[]"] \
                if kernel_cmd[1:3] == ["-m", "ipykernel_launcher"] else []
            return self.jail.wrap(command, cwd=str(self.cwd))
        return command

    def environment(self, base: dict[str, str] | None) -> dict[str, str]:
        """The kernel's environment: the grader's, minus nbgrader internals, plus the sandbox's."""
        env = dict(base if base is not None else os.environ)
        for key in list(env):
            if key.startswith(("JPY_", "FUNNEL_GRADING_")):
                env.pop(key)
        env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1", "NBGRADER_EXECUTION": "autograde"})
        env.update(self.env)
        if self.jail is not None:
            env = self.jail.environment(env)
        return env


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that starts the kernel through the sandbox shim."""

    sandbox: Sandbox | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        sandbox = self.sandbox
        if sandbox is not None and sandbox.jail is not None and self.connection_file:
            sandbox.jail.own(Path(self.connection_file).parent)  # the kernel's uid reads it
        if sandbox is not None:
            kernel_cmd = sandbox.command(list(kernel_cmd))
            kw["env"] = sandbox.environment(kw.get("env"))
            kw["cwd"] = str(sandbox.cwd)
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if sandbox is not None and self.provisioner is not None:
            sandbox.process = getattr(self.provisioner, "process", None)
            if sandbox.pid_file is not None and sandbox.process is not None:
                sandbox.pid_file.write_text(str(sandbox.process.pid), encoding="utf-8")


    async def _async_interrupt_kernel(self) -> None:
        """Interrupt by message when jailed (bubblewrap does not pass SIGINT on to the kernel)."""
        if self.sandbox is not None and self.sandbox.jail is not None and self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)
            return
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel


class SandboxExecute(Execute):
    """nbgrader's Execute, with the kernel in a sandbox and a quick end for kernels that ignore interrupts."""

    sandbox: Sandbox | None = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        kwargs.setdefault("shutdown_kernel", "immediate")
        super().__init__(**kwargs)
        self._timeouts_in_a_row = 0
        self.timed_out_cells: list[int] = []
        self.answer_names = {}
        self.answers: dict[int, str] = {}

    def create_kernel_manager(self) -> Any:
        """Create the kernel manager and hand it the sandbox."""
        km = super().create_kernel_manager()
        km.sandbox = self.sandbox
        if self.sandbox is not None and self.sandbox.connection_file is not None:
            # private to this worker (other kernels cannot read it once their guard is armed)
            km.connection_file = str(self.sandbox.connection_file)
        if self.sandbox is not None and self.sandbox.jail is not None:
            # no network inside the jail: the kernel listens on Unix sockets in its own folder
            km.transport = "ipc"
            km.ip = str(self.sandbox.jail.kernel / "ipc")
        return km

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
        self._timeouts_in_a_row += 1
        if self._timeouts_in_a_row >= 2:
            # The previous cell's interrupt did not end it: the kernel is stuck; stop here
            # (nbclient's clean-up then shuts the kernel down).
            raise KernelUnresponsive(
                f"a cell ran longer than the {timeout} s timeout and the kernel ignored the interrupt "
                "(a loop that catches KeyboardInterrupt?)"
            )
        return await super()._async_handle_timeout(timeout, cell)

    #: cell index -> the names its test reads (asked of the kernel just before the cell runs)
    answer_names: dict[int, list[str]] = {}

    async def async_execute_cell(self, cell: Any, cell_index: int, execution_count: int | None = None,
                                 store_history: bool = True) -> Any:
        """Before a test cell, ask the kernel for the answers it reads (as data; see ``_answers.py``)."""
        names = self.answer_names.get(cell_index)
        if names is not None and self.kc is not None:
            self.answers[cell_index] = await self._ask_answers(names)
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    execute_cell = run_sync(async_execute_cell)

    async def _ask_answers(self, names: list[str]) -> str:
        """The kernel's ``_answers.dumps`` of ``names`` (a silent request: no cell, no execution count)."""
        import ast

        expression = f"__import__('funnel_lib.grading._answers', fromlist=['dumps']).dumps(globals(), {names!r})"
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"answers": expression})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                reply = await self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - queue.Empty or a dead kernel
                break
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            found = reply.get("content", {}).get("user_expressions", {}).get("answers", {})
            if found.get("status") != "ok":
                return ""
            try:
                text = ast.literal_eval(found.get("data", {}).get("text/plain", ""))
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return ""
            return text if isinstance(text, str) else ""
        return ""

    def on_cell_executed(self, **kwargs: Any) -> None:
        """Count timeouts in a row (a real reply resets the count)."""
        reply = kwargs.get("execute_reply") or {}
        content = reply.get("content", {})
        if content.get("ename") == self.error_on_timeout.get("ename") and "header" not in reply:
            self.timed_out_cells.append(int(kwargs.get("cell_index", -1)))
        else:
            self._timeouts_in_a_row = 0
        super().on_cell_executed(**kwargs)


def wait_exit(process: Any, seconds: float = 3.0) -> int | None:
    """The return code of a kernel process, waiting up to ``seconds`` for it to be known."""
    if process is None:
        return None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return int(code)
        time.sleep(0.05)
    return process.poll()
