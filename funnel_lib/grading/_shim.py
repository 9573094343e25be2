"""The grading kernel's launcher: resource limits, a file/process guard and module snapshots, then ipykernel.

The worker starts each grading kernel as ``python _shim.py SETTINGS.json -- -m ipykernel_launcher -f ...``
instead of ``python -m ipykernel_launcher -f ...``. Before any student code exists, this script

1. sets resource limits of the kernel process (inherited by anything it starts): address space
   (``RLIMIT_AS``, the memory cap), CPU seconds (``RLIMIT_CPU``: the kernel gets ``SIGXCPU``, then
   ``SIGKILL``), size of written files (``RLIMIT_FSIZE``), no core dumps and, when the grader is not
   root, the number of processes of the user (``RLIMIT_NPROC``; the kernel ignores it for root);
2. installs a PEP 578 audit hook (it cannot be removed from Python code). Once the guard arms it,
   just before the first cell runs, it refuses — with ``PermissionError`` — and records: reading the
   instructor's sources, submissions, grades or the gradebook; writing outside the kernel's own
   scratch folder into the course, the Python installation or the grader's folders; writing ``.py``
   or ``.pth`` files; starting processes; signalling other processes; adding audit hooks; and, from
   notebook code, ``ctypes`` library loading, ``gc`` object walks and ``sys.settrace``/``setprofile``;
3. snapshots every protected module (``funnel_lib`` and the assignment's helper modules) right after
   it is imported, so that the guard can detect and undo later monkey-patching;
4. starts ipykernel in this same process, without its optional debugger (``debugpy``: a grading
   kernel is never debugged, and loading it costs a tenth of a second or more per kernel), and
   loads the guard (``_guard.py``) into the shell.

This file is standalone (no ``funnel_lib`` import) so that it adds no start-up time to the kernel.

>>> policy = Policy(read_deny=["/course/source"], write_deny=["/course"], allow=["/tmp/box"])
>>> policy.denies_read("/course/source/ps1/ps1.ipynb"), policy.denies_read("/course/README.md")
(True, False)
>>> policy.denies_write("/course/notes.txt"), policy.denies_write("/tmp/box/out.csv")
(True, False)
>>> policy.denies_write("/tmp/box/helper.py")
True
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Mapping
from types import FrameType, MappingProxyType

TYPE_CHECKING = False  # not imported from typing: this launcher imports only what the kernel needs at once
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["KERNEL_EXTRAS", "Policy", "allow_modules", "apply_limits", "main", "make_audit_hook", "without_modules"]

ARM_EVENT = "funnel_lib.grading.arm"
GUARD_EVENT = "funnel_lib.grading.guard"
PROCESS_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system", "os.startfile",
    "subprocess.Popen", "pty.spawn",
})
SIGNAL_EVENTS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
READ_EVENTS = frozenset({"os.listdir", "os.scandir", "glob.glob", "glob.glob/2", "sqlite3.connect"})
WRITE_EVENTS = frozenset({
    "os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.chmod", "os.chown", "os.utime", "os.truncate",
    "os.link", "os.symlink", "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree",
    "shutil.move", "shutil.rmtree", "shutil.chown", "shutil.make_archive", "shutil.unpack_archive",
})
USER_FRAME_EVENTS = frozenset({
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys.settrace", "sys.setprofile",
})
WATCHED = (PROCESS_EVENTS | SIGNAL_EVENTS | READ_EVENTS | WRITE_EVENTS | USER_FRAME_EVENTS
           | {"open", "sys.addaudithook", ARM_EVENT, GUARD_EVENT})
CODE_SUFFIXES = (".py", ".pth", ".pyc", ".pyw")
#: Optional packages ipykernel loads as it starts that a grading kernel never uses (the debugger).
KERNEL_EXTRAS = ("debugpy",)


def _norm(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


class Policy:
    """Which paths a grading kernel may read and write (prefix rules on resolved absolute paths)."""

    def __init__(self, read_deny: list[str], write_deny: list[str], allow: list[str],
                 pristine: list[str] | None = None) -> None:
        self.read_deny = tuple(_norm(p) for p in read_deny)
        self.write_deny = tuple(_norm(p) for p in list(write_deny) + list(read_deny))
        self.allow = tuple(_norm(p) for p in allow)
        self.pristine = frozenset(_norm(p) for p in (pristine or []))

    @staticmethod
    def _under(path: str, roots: tuple[str, ...]) -> bool:
        for root in roots:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                return True
        return False

    def resolve(self, path: object) -> str | None:
        """The resolved absolute path of an audit-event path argument (None for file descriptors)."""
        if isinstance(path, int) or path is None:
            return None
        try:
            text = os.fsdecode(path)  # type: ignore[arg-type]
        except TypeError:
            return None
        try:
            return os.path.realpath(os.path.abspath(text))
        except (OSError, ValueError):
            return _norm(text)

    def denies_read(self, path: str) -> bool:
        """Whether reading ``path`` (already resolved) is refused."""
        if self._under(path, self.allow):
            return False
        return self._under(path, self.read_deny)

    def denies_write(self, path: str) -> bool:
        """Whether creating, changing or removing ``path`` (already resolved) is refused."""
        if path.endswith(CODE_SUFFIXES) or path in self.pristine:
            return True
        if self._under(path, self.allow):
            return False
        return self._under(path, self.write_deny)


def apply_limits(memory_bytes: int | None = None, cpu_seconds: int | None = None,
                 file_bytes: int | None = None, nproc: int | None = None) -> list[str]:
    """Set resource limits of this process (and its future children); return what was set.

    >>> apply_limits()
    []
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no POSIX resource limits
        return []
    done = []

    def lower(which: int, soft: int, hard: int | None = None) -> None:
        old_soft, old_hard = resource.getrlimit(which)
        hard = soft if hard is None else hard
        if old_hard != resource.RLIM_INFINITY:
            hard = min(hard, old_hard)
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, hard))

    if memory_bytes:
        lower(resource.RLIMIT_AS, int(memory_bytes))
        done.append(f"memory {int(memory_bytes)} bytes")
    if cpu_seconds:
        lower(resource.RLIMIT_CPU, int(cpu_seconds), int(cpu_seconds) + 5)
        done.append(f"cpu {int(cpu_seconds)} s")
    if file_bytes:
        lower(resource.RLIMIT_FSIZE, int(file_bytes))
        done.append(f"file size {int(file_bytes)} bytes")
    lower(resource.RLIMIT_CORE, 0)
    if nproc and hasattr(resource, "RLIMIT_NPROC") and os.geteuid() != 0:
        lower(resource.RLIMIT_NPROC, int(nproc))
        done.append(f"processes {int(nproc)}")
    return done


def _is_user_file(filename: str) -> bool:
    """Whether a code object's file name is a notebook cell (ipykernel or IPython naming)."""
    return (
        os.sep + "ipykernel_" in filename
        or filename.startswith("<ipython-input")
        or filename in ("<string>", "<stdin>")
    )


def make_audit_hook(policy: Policy, log_fd: int, *, block_processes: bool = True) -> Callable[[str, tuple], None]:
    """Return the audit hook for a grading kernel; it records to ``log_fd`` and is armed by ``ARM_EVENT``.

    Its helpers (the log writer, ``refuse``, one checker per watched event, see :func:`_event_checks`) are
    made here, once, and held only in the hook's closure; the table of checkers is a read-only view.

    >>> hook = make_audit_hook(Policy([], [], []), -1)
    >>> callable(hook)
    True
    """
    state = {"armed": False}
    dumps = json.dumps
    write = os.write
    own_pid = os.getpid()
    watched = WATCHED

    record = _recorder(log_fd, write, dumps)

    def refuse(event: str, detail: str, message: str) -> None:
        record("blocked", event, detail)
        raise PermissionError(errno.EACCES, f"{message} (the grading sandbox refused {event})", detail)

    checks = _event_checks(policy, refuse, record, block_processes, own_pid)

    def hook(event: str, args: tuple) -> None:
        if event not in watched:
            return
        if event == ARM_EVENT:
            if not state["armed"]:
                state["armed"] = True
                record("armed", event, "", "info")
            return
        if event == GUARD_EVENT:
            try:
                write(log_fd, (str(args[0]) + "\n").encode())
            except Exception:  # noqa: BLE001
                pass
            return
        if not state["armed"]:
            return
        try:
            checks[event](event, args)
        except PermissionError:
            raise
        except Exception:  # noqa: BLE001 - the guard must never break legitimate work
            return

    return hook


_Refuse = Callable[[str, str, str], None]
_Check = Callable[[str, tuple], None]


def _recorder(log_fd: int, write: Callable[[int, bytes], int], dumps: Callable[..., str]) -> Callable[..., None]:
    """The hook's ``record(kind, event, detail, severity="review")``: one JSON line to ``log_fd``, never an error."""
    def record(kind: str, event: str, detail: str, severity: str = "review") -> None:
        try:
            write(log_fd, (dumps({"kind": kind, "event": event, "detail": detail[:500],
                                  "severity": severity}) + "\n").encode())
        except Exception:  # noqa: BLE001 - a closed log must not break the kernel
            pass
    return record


def _event_checks(policy: Policy, refuse: _Refuse, record: Callable[..., None], block_processes: bool,
                  own_pid: int) -> Mapping[str, _Check]:
    """The armed hook's checker of each watched event (a read-only mapping; called once, before arming)."""
    table: dict[str, _Check] = {"open": _check_open(policy, refuse)}
    for events, check in (
        (READ_EVENTS, _check_read(policy, refuse)),
        (WRITE_EVENTS, _check_write(policy, refuse)),
        (PROCESS_EVENTS, _check_process(refuse, record, block_processes)),
        (SIGNAL_EVENTS, _check_signal(refuse, own_pid)),
        (USER_FRAME_EVENTS, _check_user_frame(refuse, sys._getframe, os.sep + "ctypes" + os.sep)),
    ):
        table.update(dict.fromkeys(events, check))
    table["sys.addaudithook"] = _check_addaudithook(refuse)
    return MappingProxyType(table)


def _check_open(policy: Policy, refuse: _Refuse) -> _Check:
    """``open``: refuse writing where the policy denies writes, and reading where it denies reads."""
    def check(event: str, args: tuple) -> None:
        path = policy.resolve(args[0])
        if path is None:
            return
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC))
        if writing and policy.denies_write(path):
            refuse(event, path, "writing here is not allowed while grading")
        if policy.denies_read(path):
            refuse(event, path, "reading here is not allowed while grading")
    return check


def _check_read(policy: Policy, refuse: _Refuse) -> _Check:
    """Listing a folder, globbing, opening a database: refuse where the policy denies reads."""
    def check(event: str, args: tuple) -> None:
        target = args[0] if args else None
        if event.startswith("glob.") and isinstance(target, (str, bytes)):
            target = os.path.dirname(os.fsdecode(target).split("*")[0].split("?")[0].split("[")[0]) or "."
            if event == "glob.glob/2" and len(args) > 2 and args[2]:
                target = os.path.join(os.fsdecode(args[2]), target)
        path = policy.resolve(target if target is not None else ".")
        if path is not None and policy.denies_read(path):
            refuse(event, path, "looking here is not allowed while grading")
    return check


def _check_write(policy: Policy, refuse: _Refuse) -> _Check:
    """Removing, renaming, copying, changing files: refuse links, and paths where the policy denies writes."""
    def check(event: str, args: tuple) -> None:
        if event in ("os.link", "os.symlink"):
            refuse(event, " -> ".join(str(a) for a in args[:2]), "links cannot be made while grading")
        for arg in args[:2]:
            if isinstance(arg, (str, bytes, os.PathLike)):
                path = policy.resolve(arg)
                if path is not None and policy.denies_write(path):
                    refuse(event, path, "changing files here is not allowed while grading")
    return check


def _check_process(refuse: _Refuse, record: Callable[..., None], block_processes: bool) -> _Check:
    """Starting a process: refused when ``block_processes``, else recorded as a note."""
    def check(event: str, args: tuple) -> None:
        if block_processes:
            refuse(event, str(args[:2])[:200], "starting processes is not allowed while grading")
        record("process", event, str(args[:2])[:200], "note")
    return check


def _check_signal(refuse: _Refuse, own_pid: int) -> _Check:
    """Signals: only to the kernel itself (or its process group 0); never to a thread."""
    def check(event: str, args: tuple) -> None:
        pid = args[0] if args else None
        if event == "signal.pthread_kill" or pid not in (own_pid, 0):
            refuse(event, str(args)[:200], "signalling other processes is not allowed while grading")
    return check


def _check_addaudithook(refuse: _Refuse) -> _Check:
    """Adding an audit hook: always refused once armed."""
    def check(event: str, args: tuple) -> None:
        refuse(event, "", "audit hooks cannot be added while grading")
    return check


def _check_user_frame(refuse: _Refuse, getframe: Callable[[int], FrameType | None], ctypes_dir: str) -> _Check:
    """``ctypes`` loading, ``gc`` walks, tracing: refused when the caller (past ``ctypes``) is a notebook cell."""
    def check(event: str, args: tuple) -> None:
        frame = getframe(2)  # 0: this check, 1: the hook, 2: the code that raised the event
        while frame is not None and ctypes_dir in frame.f_code.co_filename:
            frame = frame.f_back
        if frame is not None and _is_user_file(frame.f_code.co_filename):
            refuse(event, str(args[:1])[:200], f"{event} is not allowed in notebook code while grading")
    return check


class ModuleSnapshots:
    """A meta-path finder that snapshots protected modules right after they are executed."""

    def __init__(self, prefixes: list[str], local_names: list[str], origins: dict[str, str],
                 log: Callable[[str, str, str], None]) -> None:
        self.prefixes = tuple(prefixes)
        self.local_names = frozenset(local_names)
        self.origins = {name: _norm(folder) for name, folder in origins.items()}
        self.snapshots: dict[str, tuple] = {}
        self._log = log

    def protected(self, fullname: str) -> bool:
        """Whether ``fullname`` is a module the tests rely on."""
        top = fullname.split(".")[0]
        return top in self.local_names or any(fullname == p or fullname.startswith(p + ".") for p in self.prefixes)

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        """Find the module with the other finders and wrap its loader to take a snapshot."""
        if not self.protected(fullname):
            return None
        spec = None
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        if spec is None:
            return None
        top = fullname.split(".")[0]
        expected = self.origins.get(top)
        origin = getattr(spec, "origin", None)
        if expected and origin and not _norm(origin).startswith(expected):
            self._log("blocked", "import", f"{fullname} would load from {origin}, not from {expected}")
            raise ImportError(f"{fullname} must come from {expected}; "
                              f"a copy elsewhere ({origin}) is not allowed while grading")
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _SnapshotLoader(spec.loader, self)
        return spec

    def take(self, module: object) -> None:
        """Record the module's namespace, its classes' namespaces and its functions' code."""
        name = getattr(module, "__name__", "")
        namespace = dict(vars(module))
        classes = {}
        functions = {}
        for key, value in namespace.items():
            home = getattr(value, "__module__", None)
            # a class defined here may name a parent package as its public home (errors do)
            if isinstance(value, type) and isinstance(home, str) and (home == name or name.startswith(home + ".")):
                classes[key] = (value, dict(vars(value)))
            elif callable(value) and hasattr(value, "__code__") and getattr(value, "__module__", None) == name:
                functions[key] = (value, value.__code__, getattr(value, "__defaults__", None),
                                  getattr(value, "__kwdefaults__", None))
        self.snapshots[name] = (module, namespace, classes, functions)


class _SnapshotLoader:
    """Delegates to the real loader; snapshots the module after executing it."""

    def __init__(self, loader: object, snapshots: ModuleSnapshots) -> None:
        self._loader = loader
        self._snapshots = snapshots

    def create_module(self, spec: object) -> object:
        return self._loader.create_module(spec)  # type: ignore[attr-defined]

    def exec_module(self, module: object) -> None:
        self._loader.exec_module(module)  # type: ignore[attr-defined]
        self._snapshots.take(module)

    def __getattr__(self, name: str) -> object:
        return getattr(self._loader, name)


def without_modules(names: tuple[str, ...] | list[str]) -> list[str]:
    """Make ``import NAME`` fail for each of ``names`` not imported yet; return those names (see :func:`allow_modules`).

    >>> hidden = without_modules(["_funnel_no_such_module"])
    >>> try:
    ...     import _funnel_no_such_module
    ... except ImportError:
    ...     print("hidden")
    hidden
    >>> allow_modules(hidden); "_funnel_no_such_module" in sys.modules
    False
    """
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` now raises ImportError
    return hidden


def allow_modules(names: list[str]) -> None:
    """Undo :func:`without_modules` (later imports of ``names`` work as usual)."""
    for name in names:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def _load_guard(path: str) -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_funnel_grading_guard", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["_funnel_grading_guard"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - runs as the grading kernel (tested end to end)
    """Apply the settings file ``argv[0]``, then run the kernel command after ``--`` in this process."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" not in args or not args:
        raise SystemExit("usage: _shim.py SETTINGS.json -- -m ipykernel_launcher -f CONNECTION_FILE [...]")
    with open(args[0], encoding="utf-8") as handle:
        settings = json.load(handle)
    rest = args[args.index("--") + 1:]
    limits = settings.get("limits", {})
    apply_limits(limits.get("memory_bytes"), limits.get("cpu_seconds"), limits.get("file_bytes"), limits.get("nproc"))
    if rest[:2] != ["-m", "ipykernel_launcher"]:  # another kernel: limits only
        os.execv(sys.executable, [sys.executable, *rest])

    sys.dont_write_bytecode = True
    log_fd = os.open(settings["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    policy = Policy(settings.get("read_deny", []), settings.get("write_deny", []), settings.get("allow", []),
                    settings.get("pristine", []))
    dumps = json.dumps

    def log(kind: str, event: str, detail: str, severity: str = "review") -> None:
        try:
            line = dumps({"kind": kind, "event": event, "detail": detail, "severity": severity}) + "\n"
            os.write(log_fd, line.encode())
        except OSError:
            pass

    snapshots = ModuleSnapshots(settings.get("protected_prefixes", []), settings.get("local_modules", []),
                                settings.get("module_origins", {}), log)
    sys.meta_path.insert(0, snapshots)
    sys.addaudithook(make_audit_hook(policy, log_fd, block_processes=settings.get("block_processes", True)))
    guard = _load_guard(settings["guard"])

    sys.argv = ["ipykernel_launcher", *rest[2:]]
    sys.path[0] = os.getcwd()
    hidden = without_modules(KERNEL_EXTRAS)  # ipykernel then starts without its debugger
    from ipykernel import kernelapp

    app = kernelapp.IPKernelApp.instance()
    app.initialize()
    allow_modules(hidden)
    guard.install(app.shell, snapshots, settings.get("roles", {}))  # type: ignore[attr-defined]
    del snapshots, guard, policy, settings
    sys.audit(ARM_EVENT)
    app.start()


if __name__ == "__main__":
    main()
