"""Operating-system isolation of a grading kernel: bubblewrap namespaces, an unprivileged uid, cgroups.

An audit hook is not a sandbox (PEP 578 says so), so every grading kernel is started through
`bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian package ``bubblewrap``), which
gives it, before any of its code runs:

* **its own identity** — when the grader runs as root, the kernel drops (``setpriv``, util-linux)
  to a uid of its own that is in no group and owns nothing outside the sandbox
  (``KERNEL_UID_BASE`` + a per-kernel number); otherwise it keeps the grader's own unprivileged uid
  inside a user namespace;
* **its own filesystem view** — a fresh mount namespace holding read-only copies of ``/usr``, a
  few files of ``/etc``, the Python installation and ``funnel_lib``, plus three writable folders of
  its own (the scratch folder with the student's files, an empty home and an empty ``/tmp``).
  ``solutions/``, ``release/``, the gradebook, other students, ``autograded/``, ``feedback/`` and
  the instructor's home are simply not there. IPython's and Jupyter's config and startup folders
  are empty and read-only;
* **no network** — its own network namespace (only a loopback device that leads nowhere); the
  kernel talks to the grader over Unix sockets in its own folder;
* **its own process tree** — a PID namespace whose init (bubblewrap) reaps zombies and takes every
  process down with it, ``--die-with-parent``, a new session (no terminal injection);
* **limits on that whole tree** — a cgroup (v2, or v1 ``pids`` + ``memory``) when this machine lets
  the grader create one: processes, memory including every child; otherwise only the per-process
  rlimits of ``_shim.py`` (address space, CPU seconds, file size), which :func:`probe` reports.

:func:`probe` finds out what this machine can enforce; ``funnel autograde --check-isolation`` prints
it. Nothing is claimed that was not checked here.

>>> Layer("network", True, "own network namespace").line()
'[enforced]     network: own network namespace'
>>> Layer("cgroup", False, "no writable cgroup").line()
'[NOT enforced] cgroup: no writable cgroup'
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "CGROUP_NAME",
    "HOME",
    "KERNEL_UID_BASE",
    "CgroupBox",
    "Isolation",
    "Jail",
    "Layer",
    "cached_probe",
    "probe",
    "probe_in_background",
    "remove_worker_cgroups",
]

#: First uid handed to grading kernels when the grader is root (uids in no passwd entry, no group).
KERNEL_UID_BASE = 3_900_000
#: The kernel's home folder inside the sandbox.
HOME = "/home/funnel-grader"
#: Name of the cgroup folder under which every kernel gets its own cgroup.
CGROUP_NAME = "funnel-grading"
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "fonts", "ssl", "ca-certificates",
        "nsswitch.conf", "passwd", "group", "mime.types", "alternatives", "os-release", "hosts", "matplotlibrc")


@dataclass(frozen=True)
class Layer:
    """One isolation layer and whether this machine enforces it."""

    name: str
    enforced: bool
    how: str

    def line(self) -> str:
        """One line of ``--check-isolation``."""
        return f"{'[enforced]    ' if self.enforced else '[NOT enforced]'} {self.name}: {self.how}"


@dataclass
class Isolation:
    """What the grading sandbox can enforce on this machine (see :func:`probe`)."""

    bwrap: str | None
    setpriv: str | None
    root: bool
    cgroup: str | None  # "v2:<dir>" or "v1:<pids dir>,<memory dir>" or None
    layers: list[Layer] = field(default_factory=list)
    problem: str = ""

    @property
    def jailed(self) -> bool:
        """True when kernels run inside bubblewrap."""
        return self.bwrap is not None and not self.problem

    def report(self) -> str:
        """Every layer, enforced or not, one per line."""
        lines = [layer.line() for layer in self.layers]
        if self.problem:
            lines.append(f"bubblewrap cannot be used here: {self.problem}")
        elif self.jailed:
            lines.append("checked just now in a test sandbox: uid, a grader file invisible, Python read-only, "
                         "127.0.0.1 unreachable, the grader's processes hidden")
        return "\n".join(lines)

    def to_json(self) -> str:
        """A JSON text (the worker receives it)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Isolation:
        """Rebuild from :meth:`to_json`.

        >>> Isolation.from_json(Isolation(None, None, False, None).to_json()).jailed
        False
        """
        data = json.loads(text)
        data["layers"] = [Layer(**layer) for layer in data.get("layers", [])]
        return cls(**data)


def _cgroup_dirs() -> str | None:
    """A cgroup parent this process may create children in: ``v2:DIR`` or ``v1:PIDS,MEMORY``; None."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():  # v2
        try:
            own = Path("/proc/self/cgroup").read_text().strip().splitlines()[-1].split(":", 2)[2]
        except (OSError, IndexError):
            return None
        for parent in (base / own.lstrip("/"), base):
            target = parent / CGROUP_NAME
            try:
                target.mkdir(exist_ok=True)
                controllers = (parent / "cgroup.subtree_control").read_text().split()
                needed = [c for c in ("memory", "pids") if c not in controllers]
                if needed:
                    (parent / "cgroup.subtree_control").write_text(" ".join("+" + c for c in needed))
                if {"memory", "pids"} <= set((target / "cgroup.controllers").read_text().split()):
                    return f"v2:{target}"
            except OSError:
                continue
        return None
    pids, memory = base / "pids", base / "memory"
    try:
        for folder in (pids, memory):
            (folder / CGROUP_NAME).mkdir(exist_ok=True)
            if not os.access(folder / CGROUP_NAME / "cgroup.procs", os.W_OK):
                return None
        return f"v1:{pids / CGROUP_NAME},{memory / CGROUP_NAME}"
    except OSError:
        return None


def probe(run_check: bool = True) -> Isolation:
    """Find out which isolation layers this machine enforces for grading kernels.

    With ``run_check``, bubblewrap is started once with the kernel's settings to prove it works.

    >>> probe(run_check=False).layers[0].name
    'bubblewrap'
    """
    bwrap = shutil.which("bwrap")
    setpriv = shutil.which("setpriv")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    cgroup = _cgroup_dirs() if sys.platform.startswith("linux") else None
    info = Isolation(bwrap, setpriv, root, cgroup)
    if not bwrap:
        info.problem = "the `bwrap` command is missing (Debian/Ubuntu: apt-get install bubblewrap)"
    elif root and not setpriv:
        info.problem = "running as root needs `setpriv` (util-linux) to drop the kernel to its own uid"
    elif run_check:
        info.problem = _try_bwrap(info)
    else:
        info.problem = "not checked (probe(run_check=False))"  # never claim what was not tried
    jailed = info.jailed
    rlimits = "per process only (_shim.py rlimits: address space, CPU seconds, file size)"
    if root:
        identity = ("its own unprivileged uid (3900000 + n, no groups, no capabilities, no_new_privs) via setpriv"
                    if jailed else "NONE: the kernel runs as root")
    else:
        identity = (f"the grader's own unprivileged uid {os.getuid()} in a user namespace" if jailed
                    else f"the grader's own unprivileged uid {os.getuid()}, no namespace")
    layers = [
        Layer("bubblewrap", jailed, f"{bwrap} ({_bwrap_version(bwrap)})" if jailed else (info.problem or "missing")),
        Layer("identity", jailed or not root, identity),
        Layer("filesystem view", jailed, "own mount namespace: read-only /usr, Python and funnel_lib; writable "
              "scratch, empty home and /tmp; no solutions/, release/, gradebook, other students, autograded/, "
              "feedback/ or instructor home; empty read-only IPython/Jupyter config and startup folders"
              if jailed else "none (audit hook only: not a sandbox)"),
        Layer("read-only Python environment", jailed, "bind-mounted read-only" if jailed else "audit hook only"),
        Layer("network", jailed, "own network namespace, no interfaces but loopback" if jailed else "not isolated"),
        Layer("process tree", jailed, "own PID namespace; bubblewrap is init and reaps zombies; --die-with-parent, "
              "--new-session" if jailed else "watchdog of the worker only"),
        Layer("process and memory limits (whole tree)", bool(cgroup),
              (f"cgroup {cgroup.split(':', 1)[0]}: pids.max, memory limit incl. children (no swap)" if cgroup
               else f"no writable cgroup here; {rlimits}")),
        Layer("CPU limit", True, "RLIMIT_CPU per process + the worker's wall-clock timeout for the whole tree"),
    ]
    info.layers = layers
    return info


def _bwrap_version(bwrap: str | None) -> str:
    if not bwrap:
        return "missing"
    try:
        return subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "version unknown"


_CHECK = """
import json, os, socket, sys
found = {"uid": os.getuid(), "marker": os.path.exists(sys.argv[1])}
try:
    open(os.path.join(sys.prefix, "funnel-probe.pth"), "w").close()
    found["env_writable"] = True
except OSError:
    found["env_writable"] = False
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    found["network"] = True
except OSError:
    found["network"] = False
found["own_pids"] = not os.path.exists("/proc/%s" % sys.argv[3])
print(json.dumps(found))
"""


def _try_bwrap(info: Isolation) -> str:
    """Start a check in a jail like a kernel's; return '' when every layer held, else what failed.

    The check proves, rather than assumes: a file of the grader is not visible, the Python
    installation is read-only, 127.0.0.1 of the grader is unreachable, the grader's processes are
    not visible, and (as root) the uid is not 0.
    """
    import socket
    import tempfile

    with tempfile.TemporaryDirectory(prefix="funnel-probe-") as tmp:
        marker = Path(tmp) / "instructor-file"
        marker.write_text("secret", encoding="utf-8")
        listener = socket.create_server(("127.0.0.1", 0))
        jail = Jail(info, Path(tmp) / "jail", slot=0)
        jail.prepare()
        try:
            argv = jail.wrap([sys.executable, "-c", _CHECK, str(marker), str(listener.getsockname()[1]),
                              str(os.getpid())], cwd=str(jail.box))
            run = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                                 env=jail.environment(dict(os.environ)))
        except (OSError, subprocess.SubprocessError) as error:
            return f"bwrap could not start: {error}"
        finally:
            listener.close()
            jail.release()
        if run.returncode != 0:
            return f"bwrap failed (exit {run.returncode}): {run.stderr.strip()[-300:]}"
        try:
            found = json.loads(run.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return f"the check inside bwrap printed nothing usable: {run.stdout[-200:]!r}"
        failures = []
        if info.root and found.get("uid") == 0:
            failures.append("the kernel would still run as root")
        if found.get("marker"):
            failures.append("the grader's files are visible")
        if found.get("env_writable"):
            failures.append("the Python installation is writable")
        if found.get("network"):
            failures.append("127.0.0.1 of the grader is reachable")
        if not found.get("own_pids"):
            failures.append("the grader's processes are visible")
        return "; ".join(failures)


class CgroupBox:
    """One kernel's cgroup: created before launch, joined by the launcher, killed and removed after."""

    def __init__(self, spec: str | None, name: str) -> None:
        self.dirs: list[Path] = []
        self.version = ""
        if not spec:
            return
        self.version, rest = spec.split(":", 1)
        self.dirs = [Path(p) / name for p in rest.split(",")]

    def create(self, memory_bytes: int, max_processes: int) -> bool:
        """Make the cgroup(s) with the limits; False (and nothing left behind) when that fails."""
        if not self.dirs:
            return False
        try:
            for folder in self.dirs:
                folder.mkdir(exist_ok=True)
            if self.version == "v2":
                (self.dirs[0] / "pids.max").write_text(str(max_processes))
                (self.dirs[0] / "memory.max").write_text(str(memory_bytes))
                swap = self.dirs[0] / "memory.swap.max"
                if swap.exists():
                    swap.write_text("0")
            else:
                pids, memory = self.dirs
                (pids / "pids.max").write_text(str(max_processes))
                (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
                memsw = memory / "memory.memsw.limit_in_bytes"
                if memsw.exists():
                    try:
                        memsw.write_text(str(memory_bytes))
                    except OSError:
                        pass
            return True
        except OSError:
            self.remove()
            self.dirs = []
            return False

    def launcher(self) -> list[str]:
        """A ``sh -c`` prefix that moves itself into the cgroup(s) and then runs the rest of the command."""
        if not self.dirs:
            return []
        script = 'for d in "$@"; do [ "$d" = -- ] && break; echo $$ > "$d/cgroup.procs" || exit 125; done; ' \
                 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *[str(d) for d in self.dirs], "--"]

    def events(self) -> dict[str, int]:
        """Counters of limits that were hit: ``oom_kill`` and ``pids_max`` (0 when unknown)."""
        found = {"oom_kill": 0, "pids_max": 0}
        for folder in self.dirs:
            for name in ("memory.events", "pids.events", "memory.oom_control"):
                try:
                    text = (folder / name).read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    key, _, value = line.partition(" ")
                    if key in ("oom_kill", "oom") and value.strip().isdigit():
                        found["oom_kill"] = max(found["oom_kill"], int(value))
                    if key == "max" and value.strip().isdigit():
                        found["pids_max"] = max(found["pids_max"], int(value))
            try:
                if int((folder / "memory.failcnt").read_text()) > 0:
                    found["oom_kill"] = max(found["oom_kill"], 1)
            except (OSError, ValueError):
                pass
        return found

    def kill(self) -> None:
        """SIGKILL every process left in the cgroup."""
        import signal

        for folder in self.dirs:
            kill_file = folder / "cgroup.kill"
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                    continue
                except OSError:
                    pass
            for _ in range(3):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except (OSError, ValueError):
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass

    def remove(self) -> None:
        """Kill what is left and delete the cgroup folder(s)."""
        import time

        self.kill()
        for folder in self.dirs:
            for _ in range(20):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


class Jail:
    """The folders and the bubblewrap command line of one grading kernel.

    ``base`` is a private folder of the worker; the jail creates ``box`` (the kernel's working
    folder), ``kernel`` (connection file, settings, log and sockets), ``home`` and ``tmp`` in it.
    """

    def __init__(self, info: Isolation, base: Path, slot: int, extra_ro: list[str] | None = None) -> None:
        self.info = info
        self.base = base
        self.box = base / "box"
        self.kernel = base / "kernel"
        self.home = base / "home"
        self.tmp = base / "tmp"
        self.config = base / "config"
        self.uid = KERNEL_UID_BASE + slot if info.root else os.getuid()
        self.gid = self.uid if info.root else os.getgid()
        self.extra_ro = list(extra_ro or [])
        self.cgroup = CgroupBox(info.cgroup, f"k{os.getpid()}-{slot}")

    def prepare(self, memory_bytes: int = 2 * 1024 ** 3, max_processes: int = 64) -> None:
        """Create the folders (owned by the kernel's uid) and the cgroup."""
        for folder in (self.box, self.kernel, self.home, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        for sub in ("ipython/profile_default/startup", "ipython/extensions", "ipython/nbextensions",
                    "jupyter/config", "jupyter/data", "jupyter/custom"):
            (self.config / sub).mkdir(parents=True, exist_ok=True)
        for folder in (self.home / ".ipython", self.home / ".jupyter", self.home / ".cache" / "matplotlib"):
            folder.mkdir(parents=True, exist_ok=True)
        self.own(self.box)
        for folder in (self.kernel, self.home, self.tmp):
            self.own(folder, mode=0o700)
        os.chmod(self.base, 0o711)
        self.cgroup.create(memory_bytes, max_processes)

    def own(self, folder: Path, mode: int | None = None) -> None:
        """Give ``folder`` and everything in it to the kernel's uid (root only)."""
        if self.info.root:
            for path in [folder, *folder.rglob("*")]:
                try:
                    os.lchown(path, self.uid, self.gid)
                except OSError:
                    pass
        if mode is not None:
            os.chmod(folder, mode)

    def release(self) -> None:
        """Kill anything left, remove the cgroup and the kernel's folders."""
        self.cgroup.remove()
        for folder in (self.kernel, self.home, self.tmp, self.config):
            shutil.rmtree(folder, ignore_errors=True)

    def _read_only(self) -> list[str]:
        """Host paths the kernel sees read-only (the Python installation, funnel_lib, system files)."""
        import funnel_lib

        paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                 str(Path(funnel_lib.__file__).resolve().parent), *self.extra_ro}
        for key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts"):
            value = sysconfig.get_paths().get(key)
            if value:
                paths.add(value)
        real = {str(Path(p).resolve()) for p in paths if p and Path(p).exists()}
        real |= {p for p in paths if p and Path(p).exists()}
        # parents first; paths inside /usr are covered by /usr itself
        return sorted(p for p in real if not (p == "/usr" or p.startswith("/usr/")))

    def wrap(self, command: list[str], cwd: str) -> list[str]:
        """``command`` prefixed with the cgroup launcher, bubblewrap and (as root) setpriv."""
        assert self.info.bwrap is not None
        args = [self.info.bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "funnel-grader",
                "--unsetenv", "JPY_PARENT_PID"]  # its parent is bubblewrap (pid 1), not the worker
        if not self.info.root:
            args += ["--unshare-user"]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            top = Path("/") / name
            if top.is_symlink():
                args += ["--symlink", os.readlink(top), str(top)]
            elif top.is_dir():
                args += ["--ro-bind", str(top), str(top)]
        for name in _ETC:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        made: set[str] = {"/", "/usr", "/etc", "/proc", "/dev"}

        def parents(target: str) -> list[str]:
            # bubblewrap makes missing parent folders 0700 (root's): make them 0755 first, top down
            out = []
            for parent in reversed(Path(target).parents):
                if str(parent) not in made:
                    made.add(str(parent))
                    out += ["--perms", "0755", "--dir", str(parent)]
            return out

        args += ["--bind", str(self.tmp), "/tmp"]
        made.add("/tmp")
        args += parents(HOME) + ["--bind", str(self.home), HOME]
        made.add(HOME)
        for path in self._read_only():
            args += parents(path) + ["--ro-bind", path, path]
            made.add(path)
        ipy, jup = self.config / "ipython", self.config / "jupyter"
        args += ["--ro-bind", str(ipy), f"{HOME}/.ipython", "--ro-bind", str(jup), f"{HOME}/.jupyter"]
        for folder in (self.box, self.kernel):
            args += parents(str(folder)) + ["--bind", str(folder), str(folder)]
            made.add(str(folder))
        args += ["--chdir", cwd, "--"]
        if self.info.root:
            assert self.info.setpriv is not None
            args += [self.info.setpriv, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                     "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
        return self.cgroup.launcher() + args + list(command)

    def environment(self, env: dict[str, str]) -> dict[str, str]:
        """The kernel's environment: no grader paths, a private home and temp folder, empty config."""
        keep = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                "MKL_NUM_THREADS", "MALLOC_ARENA_MAX", "PYTHONDONTWRITEBYTECODE", "NBGRADER_EXECUTION",
                "PYTHONHASHSEED", "PYDEVD_DISABLE_FILE_VALIDATION", "MPLBACKEND", "VIRTUAL_ENV"}
        out = {key: value for key, value in env.items() if key in keep}
        out.update({
            "HOME": HOME, "USER": "funnel-grader", "LOGNAME": "funnel-grader", "TMPDIR": "/tmp",
            "IPYTHONDIR": f"{HOME}/.ipython", "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter/config",
            "JUPYTER_DATA_DIR": f"{HOME}/.jupyter/data", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
            "JUPYTER_PATH": f"{HOME}/.jupyter/data", "JUPYTER_CONFIG_PATH": f"{HOME}/.jupyter/config",
            "MPLCONFIGDIR": f"{HOME}/.cache/matplotlib", "XDG_CACHE_HOME": f"{HOME}/.cache",
            "XDG_CONFIG_HOME": f"{HOME}/.config", "XDG_DATA_HOME": f"{HOME}/.local/share",
            "PYTHONNOUSERSITE": "1", "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        return out


_PROBED: list[Isolation] = []
_PROBING: list[threading.Thread] = []


def cached_probe() -> Isolation:
    """:func:`probe` once per process (it starts bubblewrap once); waits for :func:`probe_in_background`.

    >>> cached_probe() is cached_probe()
    True
    """
    if _PROBING and _PROBING[0] is not threading.current_thread():
        _PROBING[0].join()
    if not _PROBED:
        _PROBED.append(probe())
    return _PROBED[0]


def probe_in_background() -> None:
    """Start :func:`cached_probe` in a thread, so that the caller imports and prepares while bubblewrap is tried.

    The thread mostly waits for the check's process. :func:`cached_probe` waits for it, so it has ended
    before anything forks.

    >>> probe_in_background(); cached_probe() is cached_probe()
    True
    """
    if _PROBED or _PROBING:
        return
    thread = threading.Thread(target=cached_probe, name="funnel-isolation-probe", daemon=True)
    _PROBING.append(thread)
    thread.start()


def remove_worker_cgroups(spec: str | None, worker_pid: int) -> int:
    """Kill and remove every kernel cgroup a (finished or killed) worker left behind; return how many.

    >>> remove_worker_cgroups(None, 1)
    0
    """
    if not spec:
        return 0
    removed = 0
    for parent in spec.split(":", 1)[1].split(","):
        try:
            names = [p.name for p in Path(parent).iterdir() if p.is_dir() and p.name.startswith(f"k{worker_pid}-")]
        except OSError:
            continue
        for name in names:
            box = CgroupBox(f"v2:{parent}" if spec.startswith("v2") else f"v1:{parent}", name)
            box.dirs = [Path(parent) / name]
            box.remove()
            removed += 1
    return removed
