"""Shared pytest set-up: headless matplotlib, a timing table for the notebooks, servers and a browser for the
browser tests, and the rule for tests that need something outside the repository (skip, but fail in CI)."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

LESSON_BUDGET_S = 20.0
TOTAL_BUDGET_S = 180.0


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print how long each notebook took to run, against its budget."""
    timings = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", []):
                if key == "notebook_seconds":
                    timings[value[0]] = value[1]
    if not timings:
        return
    write = terminalreporter.write_line
    write("")
    write(f"notebook run times (budget {LESSON_BUDGET_S:.0f} s each, {TOTAL_BUDGET_S:.0f} s in all)")
    for name, seconds in sorted(timings.items()):
        flag = "" if seconds <= LESSON_BUDGET_S else "  OVER BUDGET"
        write(f"  {name:<44}{seconds:>7.1f} s{flag}")
    total = sum(timings.values())
    write(f"  {'total':<44}{total:>7.1f} s{'' if total <= TOTAL_BUDGET_S else '  OVER BUDGET'}")


# --- servers and a browser, for the real-browser tests (tests/test_browser.py) and benchmarks --------
# Servers start on free loopback ports in their own process group, are waited for (bounded), and are
# always stopped (the whole group) when their fixture ends. Chromium is Debian's /usr/bin/chromium:
# Playwright cannot download browsers here.

import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ci_rules import skip_or_fail_in_ci  # noqa: E402  # the rule: skip, but fail in CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "Chromium not found at /usr/bin/chromium; install it with: sudo apt-get install -y chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT_S = 60.0
ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

#: shared/ beside the project: the design brief, the source article and the real data sets. CI lays a
#: copy of it beside its clean clone; FUNNEL_SHARED_DIR points elsewhere.
SHARED = Path(os.environ.get("FUNNEL_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")


@pytest.fixture(scope="session")
def shared_file() -> Callable[[str], Path]:
    """``shared_file("seed/article.txt")``: that file of ``../shared``; skipped without it, a failure in CI."""
    def find(relative: str) -> Path:
        path = SHARED / relative
        if not path.is_file():
            skip_or_fail_in_ci(f"{path} is missing: the project expects shared/ beside it (or FUNNEL_SHARED_DIR)",
                               "CI lays a copy of shared/ beside its clone, so this test must run")
        return path
    return find


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process started by :func:`start_server`: its base URL, log file and process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server wrote (for failure messages)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server's whole process group: SIGTERM, then SIGKILL after 10 s."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            self.process.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(name: str, argv: Sequence[str], url: str, *, cwd: Path, log: Path, probe: str = "",
                 env: dict[str, str] | None = None, timeout: float = SERVER_START_TIMEOUT_S) -> Server:
    """Start ``argv`` in its own process group and wait until ``url + probe`` answers HTTP (any status)."""
    handle = open(log, "wb")  # noqa: SIM115 - the child owns it; closed below
    try:
        process = subprocess.Popen(list(argv), cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                                   start_new_session=True)
    finally:
        handle.close()
    server = Server(name, url, process, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} before answering:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url + probe, timeout=5):
                return server
        except urllib.error.HTTPError:
            return server  # it answers (e.g. 403 without a token): it is up
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{name} did not answer at {url} within {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.25)


def jupyter_env(base: Path) -> dict[str, str]:
    """Environment that keeps Jupyter's runtime files and settings inside ``base``."""
    for sub in ("runtime", "config", "data"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    return {"JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1", "MPLBACKEND": "module://ipympl.backend_nbagg"}


JUPYTER_SETTINGS = ROOT / "jupyter"   # the Makefile's settings for `make lab` and `make demo`


def start_voila(notebook: Path, base: Path, port: int | None = None, *, presenter: bool = False,
                extra: Sequence[str] = ()) -> Server:
    """Serve ``notebook`` with Voila as ``make demo`` does (its template and config), on 127.0.0.1.

    ``presenter`` sets FUNNEL_PRESENTER=1 as ``make demo`` does; ``extra`` adds options (e.g. a
    short kernel-culling timeout)."""
    port = port or free_port()
    argv = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
            "--show_tracebacks=False", f"--Voila.config_file_paths={JUPYTER_SETTINGS / 'voila'}", *extra]
    env = {**jupyter_env(base), "JUPYTER_PATH": str(JUPYTER_SETTINGS / "share"),
           "FUNNEL_PRESENTER": "1" if presenter else "0"}
    # probe a static file: asking for "/" would already run the notebook in a kernel
    return start_server("voila", argv, f"http://127.0.0.1:{port}/", cwd=notebook.parent, log=base / "voila.log",
                        probe="voila/static/favicon.ico", env=env)


LAB_SETTINGS = {
    # render every cell, not only those on screen, so that a test can find a widget after "Run All"
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no question about fetching news, and no update check: the test machine is offline
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def start_lab(root: Path, base: Path, port: int | None = None, *, learner: bool = True) -> Server:
    """Start JupyterLab on ``root`` with a random token, offline settings, and wait until it answers.

    ``learner=True`` is ``make lab`` (nbgrader's tools off), ``False`` is ``make instructor``."""
    port = port or free_port()
    for name, values in LAB_SETTINGS.items():
        target = base / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    token = os.urandom(16).hex()
    argv = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly", f"--LabApp.workspaces_dir={base / 'workspaces'}",
            f"--LabApp.user_settings_dir={base / 'settings'}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        argv.append("--allow-root")
    env = jupyter_env(base)
    if learner:
        env["JUPYTER_CONFIG_PATH"] = str(JUPYTER_SETTINGS / "learner")
    server = start_server("jupyterlab", argv, f"http://127.0.0.1:{port}/", cwd=root, log=base / "lab.log",
                          probe="api", env=env)
    server.extra["token"] = token
    return server


def chromium_or_skip() -> str:
    """Chromium's path; skip the test without it, but fail in CI (CI=true), where it must be installed."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    skip_or_fail_in_ci(CHROMIUM_MISSING, ".ci/run installs it, so the browser tests must run")


def wait_until(condition: Any, timeout: float, message: str, interval: float = 0.05) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(interval)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright (fresh profile), closed after the test module.

    Module scope, not session: no browser or server outlives the tests that use it (other tests
    check that the test process has no stray child processes)."""
    executable = chromium_or_skip()
    try:
        from playwright import sync_api
    except ImportError:
        skip_or_fail_in_ci("playwright is not installed; `make venv` installs it (the `test` extra)",
                           "`make venv` installs the `test` extra, so the browser tests must run")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def voila_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The workshop demo notebook served by Voila, stopped after the test module."""
    chromium_or_skip()
    base = tmp_path_factory.mktemp("voila")
    with start_voila(ROOT / "notebooks" / "workshop_demo.ipynb", base, presenter=True) as server:
        yield server


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[Server]:
    """JupyterLab on a temporary folder holding a copy of the workshop notebook; stopped afterwards."""
    chromium_or_skip()
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / "workshop_demo.ipynb", root / "builder.ipynb")
    with start_lab(root, tmp_path) as server:
        yield server


@pytest.fixture
def voila_quiz(tmp_path: Path) -> Iterator[Server]:
    """A one-question self-check quiz served by Voila, stopped afterwards."""
    import nbformat

    chromium_or_skip()
    notebook = tmp_path / "quiz.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells.append(nbformat.v4.new_code_cell(
        "from funnel_lib.quiz import Question, Quiz\n"
        "Quiz([Question('Which first step suits strangers?', ['Buy the course', 'Watch a short clip', 'Book a call'],\n"
        "               answer=1, why=['Too big a first ask.', 'Nearly free, so many say yes.', 'Needs trust first.'])],\n"
        "     seed='browser')"))
    nbformat.write(nb, notebook)
    with start_voila(notebook, tmp_path) as server:
        yield server


@pytest.fixture(scope="session")
def server_helpers() -> object:
    """This module's helpers (start_voila, start_lab, chromium_or_skip, wait_until, ...) for the browser tests.

    A fixture, because test modules cannot ``import conftest`` (pytest runs with --import-mode=importlib)."""
    return sys.modules[__name__]
