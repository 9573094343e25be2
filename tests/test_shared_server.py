"""The classroom guide's shared-server flow, end to end, with real Unix accounts (docs/instructors.md).

A teacher and two students get their own accounts (``useradd``) and private homes. The course folder
is the teacher's, mode 0700; the exchange is world-writable with the sticky bit; every account reads
``CourseDirectory.course_id`` and ``Exchange.root`` from one shared config folder (the guide's
``/etc/jupyter``, here ``JUPYTER_CONFIG_PATH``). Then the whole cycle runs, each command as the
account that would type it: release, fetch, submit, collect, ``funnel autograde`` (as root, as the
guide says), generate and release feedback, fetch feedback, export.

Every command runs in a private mount namespace, as a real server would look to its users: when the
Python installation or this checkout sits under a folder other accounts cannot enter (CI's Python is
under ``/root``, mode 0700), that folder is replaced by an empty one that holds only the needed paths,
bound read-only. Nothing is mounted or changed outside the namespace; the accounts are removed at the
end. Needs root (CI runs as root); outside CI a non-root run skips with the reason, in CI it fails.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ci_rules import skip_or_fail_in_ci  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ex01_entry_and_value"
COURSE_ID = "small-yeses"
TOOLS = ("useradd", "userdel", "setpriv", "unshare", "mount")


def _why_not_here() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to create Unix accounts (CI runs as root)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} (util-linux, passwd)"
    if not (ROOT / "solutions" / ASSIGNMENT).is_dir():
        return f"needs solutions/{ASSIGNMENT}"
    return None


@pytest.fixture(scope="module", autouse=True)
def _only_where_possible() -> None:
    reason = _why_not_here()
    if reason is None:
        return
    skip_or_fail_in_ci(f"the shared-server test cannot run here: {reason}",
                       ".ci/run runs as root on Linux with util-linux and passwd, so this test must run")


@dataclass(frozen=True)
class Account:
    """A real Unix account made for this test."""

    name: str
    uid: int
    gid: int
    home: Path


def _blocked_ancestor(path: Path) -> Path | None:
    """The highest folder above ``path`` that other accounts cannot enter, or None."""
    for parent in reversed(path.parents):
        if parent == Path("/"):
            continue
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return parent
    return None


def _needed_paths() -> list[Path]:
    """What every account must reach: the Python installation, the course's environment and this checkout."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), ROOT,
             Path(os.path.realpath(sys.executable)).parent}
    return sorted(paths)


def _namespace_setup(keep: Path) -> str:
    """Shell lines (run as root inside the new mount namespace) that make the needed paths reachable."""
    lines = ["set -e", "mount --make-rprivate /"]
    by_ancestor: dict[Path, list[Path]] = {}
    for path in _needed_paths():
        blocked = _blocked_ancestor(path)
        if blocked is not None:
            by_ancestor.setdefault(blocked, []).append(path)
    for index, (ancestor, paths) in enumerate(sorted(by_ancestor.items())):
        original = keep / str(index)
        lines += [f"mkdir -p {shlex.quote(str(original))}",
                  f"mount --bind {shlex.quote(str(ancestor))} {shlex.quote(str(original))}",
                  f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(ancestor))}"]
        for path in paths:
            inside = original / path.relative_to(ancestor)
            lines += [f"mkdir -p {shlex.quote(str(path))}",
                      f"mount --bind {shlex.quote(str(inside))} {shlex.quote(str(path))}",
                      f"mount -o remount,bind,ro {shlex.quote(str(path))}"]
    return "\n".join(lines)


class Server:
    """The shared server: accounts, the exchange, the shared config, and a way to run commands as anyone."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.tag = "sy" + uuid.uuid4().hex[:6]
        self.exchange = base / "exchange"
        self.config = base / "etc-jupyter"
        self.keep = base / "keep"
        self.accounts: dict[str, Account] = {}
        self.bin = Path(sys.executable).parent

    def add(self, role: str) -> Account:
        name = f"{self.tag}{role}"[:32]
        home = self.base / "home" / name
        subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                        "--user-group", name], check=True, capture_output=True, text=True)
        entry = pwd.getpwnam(name)
        home.mkdir(parents=True)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        home.chmod(0o700)
        account = Account(name, entry.pw_uid, entry.pw_gid, home)
        self.accounts[role] = account
        return account

    def remove_accounts(self) -> None:
        for account in self.accounts.values():
            subprocess.run(["userdel", account.name], capture_output=True, text=True)

    def environment(self, account: Account | None) -> dict[str, str]:
        home = str(account.home) if account else str(self.base / "root-home")
        user = account.name if account else "root"
        return {"HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                "JUPYTER_CONFIG_PATH": str(self.config), "PYTHONDONTWRITEBYTECODE": "1",
                "CI": os.environ.get("CI", "")}

    def run(self, account: Account | None, command: list[str], cwd: Path, *, check: bool = True,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in ``cwd`` as ``account`` (None: root), inside the server's mount namespace."""
        env = [f"{key}={value}" for key, value in self.environment(account).items()]
        switch = [] if account is None else ["setpriv", f"--reuid={account.uid}", f"--regid={account.gid}",
                                             "--init-groups", "--"]
        inner = shlex.join(command)
        script = (f"{_namespace_setup(self.keep)}\ncd {shlex.quote(str(cwd))}\n"
                  f"exec {shlex.join(['env', '-i', *env, *switch, *command])}")
        result = subprocess.run(["unshare", "--mount", "--", "/bin/sh", "-c", script], capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            who = account.name if account else "root"
            raise AssertionError(f"`{inner}` as {who} in {cwd} exited {result.returncode}\n"
                                 f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
        return result


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    base = Path(tempfile.mkdtemp(prefix="small-yeses-server-", dir="/tmp"))
    base.chmod(0o755)
    made = Server(base)
    try:
        (base / "home").mkdir(mode=0o755)
        (base / "root-home").mkdir(mode=0o700)
        made.exchange.mkdir()
        made.exchange.chmod(0o1777)
        made.config.mkdir(mode=0o755)
        (made.config / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(made.exchange)!r}\n", encoding="utf-8")
        for role in ("teacher", "alice", "bob"):
            made.add(role)
        yield made
    finally:
        made.remove_accounts()
        shutil.rmtree(base, ignore_errors=True)


def _answered(released: Path) -> nbformat.NotebookNode:
    """The released notebook with the solution's answers typed in (what an honest, correct student hands in)."""
    solution = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in solution.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    notebook = nbformat.read(released, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def _write_as(account: Account, notebook: nbformat.NotebookNode, path: Path) -> None:
    nbformat.write(notebook, path)
    os.chown(path, account.uid, account.gid)


def _modes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): oct(p.stat().st_mode & 0o777) for p in [folder, *folder.rglob("*")]}


def test_files_a_root_run_writes_go_back_to_the_course_owner(tmp_path: Path) -> None:
    from funnel_lib.grading._ownership import return_to_course_owner

    course = tmp_path / "course"
    (course / "reports").mkdir(parents=True)
    (course / "reports" / "ex01_autograde.csv").write_text("student\n", encoding="utf-8")
    (course / "reports" / "kernel-left-this").write_text("x", encoding="utf-8")
    os.chown(course / "reports" / "kernel-left-this", 61234, 61234)
    (course / "elsewhere").write_text("untouched", encoding="utf-8")
    assert return_to_course_owner(course, [course / "reports"]) == 0  # the course is root's: nothing to do
    os.chown(course, 4242, 4243)
    assert return_to_course_owner(course, [course / "reports", course / "missing"]) == 3
    owners = {p.name: (p.stat().st_uid, p.stat().st_gid) for p in [course / "reports", *(course / "reports").iterdir()]}
    assert set(owners.values()) == {(4242, 4243)}, owners
    assert (course / "elsewhere").stat().st_uid == 0


def _scores(course: Path) -> dict[str, dict[str, float | None]]:
    """Each student's score per graded cell, read from the gradebook (nbgrader's API)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {submission.student.id: {grade.name: grade.score for nb in submission.notebooks for grade in nb.grades}
                for submission in gradebook.assignment_submissions(ASSIGNMENT)}


def test_shared_server_cycle_with_real_accounts(server: Server) -> None:
    teacher, alice, bob = (server.accounts[r] for r in ("teacher", "alice", "bob"))
    course = teacher.home / "course"

    # the teacher's course folder: theirs alone (0700), with the assignment's source
    server.run(teacher, ["mkdir", "-m", "0700", str(course)], teacher.home)
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    for path in [course / "nbgrader_config.py", *(course / "solutions").rglob("*"), course / "solutions"]:
        os.chown(path, teacher.uid, teacher.gid)
    nbgrader = str(server.bin / "nbgrader")
    server.run(teacher, [nbgrader, "generate_assignment", ASSIGNMENT, "--force"], course)
    for student in (alice, bob):
        server.run(teacher, [nbgrader, "db", "student", "add", student.name], course)
    server.run(teacher, [nbgrader, "release_assignment", ASSIGNMENT], course)

    # students cannot see into the course folder, the solutions or each other's homes
    denied = server.run(alice, ["ls", str(course / "solutions")], alice.home, check=False)
    assert denied.returncode != 0 and "Permission denied" in denied.stderr, denied
    assert server.run(alice, ["ls", str(bob.home)], alice.home, check=False).returncode != 0

    # fetch, answer (alice right, bob leaves it blank) and submit
    for student in (alice, bob):
        server.run(student, [nbgrader, "fetch_assignment", ASSIGNMENT], student.home)
    released = alice.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert released.is_file(), "fetch_assignment did not put the notebook in alice's home"
    _write_as(alice, _answered(released), released)
    for student in (alice, bob):
        server.run(student, [nbgrader, "submit", ASSIGNMENT], student.home)
    # a student cannot find a classmate's submission: the inbound folder cannot be listed, and each
    # submission's folder name ends in a random string (nbgrader's design)
    inbound = server.exchange / COURSE_ID / "inbound"
    submissions = sorted(inbound.iterdir())
    assert len(submissions) == 2, submissions
    assert all(len(p.name.split("+")) == 4 for p in submissions), submissions  # student+assignment+time+random
    listing = server.run(alice, ["ls", str(inbound)], alice.home, check=False)
    assert listing.returncode != 0 and bob.name not in listing.stdout, listing

    # collect, then make the collected folders private as the guide says
    server.run(teacher, [nbgrader, "collect", ASSIGNMENT], course)
    server.run(teacher, ["chmod", "-R", "go-rwx", "submitted"], course)
    loose = {k: v for k, v in _modes(course / "submitted").items() if int(v, 8) & 0o077}
    assert not loose, f"collected files other accounts can read: {loose}"
    before = {p: p.read_bytes() for p in (course / "submitted").rglob("*") if p.is_file()}

    # autograde as root, as the guide says: kernels drop to their own uid in bubblewrap
    graded = server.run(None, [str(server.bin / "funnel"), "autograde", ASSIGNMENT, "--course", str(course),
                               "--jobs", "2", "--no-progress", "--json"], course, check=False)
    assert graded.returncode == 0, f"funnel autograde exited {graded.returncode}\n{graded.stdout}\n{graded.stderr}"
    rows = {row["student"]: row for row in json.loads(graded.stdout)["students"]}
    assert rows[alice.name]["status"] == "graded" and rows[bob.name]["status"] == "graded", rows
    assert before == {p: p.read_bytes() for p in (course / "submitted").rglob("*") if p.is_file()}, \
        "autograde changed a file under submitted/"

    scores_as_root = _scores(course)

    # a teacher without root can grade too: kernels run in bubblewrap in a user namespace, as the
    # teacher's own uid; --check-isolation says what holds, and the scores are the same
    check = server.run(teacher, [str(server.bin / "funnel"), "autograde", "--check-isolation"], course, check=False)
    assert "uid" in check.stdout, check
    again = server.run(teacher, [str(server.bin / "funnel"), "autograde", ASSIGNMENT, "--force", "--jobs", "2",
                                 "--no-progress", "--json"], course, check=False)
    assert again.returncode == 0, f"funnel autograde as the teacher exited {again.returncode}\n{again.stdout}\n" \
                                  f"{again.stderr}\n--check-isolation:\n{check.stdout}"
    assert _scores(course) == scores_as_root

    # the teacher carries on: feedback and export work on what autograde left
    server.run(teacher, [nbgrader, "generate_feedback", ASSIGNMENT], course)
    server.run(teacher, [nbgrader, "release_feedback", ASSIGNMENT], course)
    for student in (alice, bob):
        server.run(student, [nbgrader, "fetch_feedback", ASSIGNMENT], student.home)
    feedback = sorted((alice.home / ASSIGNMENT / "feedback").rglob("*.html"))
    assert feedback, "alice got no feedback"
    page = feedback[0].read_text(encoding="utf-8")
    hidden = (ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" in hidden and "BEGIN HIDDEN TESTS" not in page
    assert server.run(bob, ["ls", str(alice.home / ASSIGNMENT)], bob.home, check=False).returncode != 0

    server.run(teacher, [nbgrader, "export", "--to", str(course / "grades.csv")], course)
    with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
        grades = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(grades[alice.name]["score"]) == float(grades[alice.name]["max_score"]) > 0, grades[alice.name]
    assert float(grades[bob.name]["score"]) == 0.0, grades[bob.name]
