"""OS isolation of grading kernels (bubblewrap): the attacks that an audit hook cannot stop.

One class holds two honest students and one submission per attack (tests/grading_fixtures
OS_ATTACKS and FILE_KINDS). It is graded with processes allowed in the kernel (so that the OS
layers, not the audit hook, are what stops the attacks), then the honest students are graded again
in a second run. Every attack earns nothing (its own answers are wrong: 0 points unless the attack
works) or is reported for review; the honest students' scores are the same in both runs; nothing
under submitted/ changes; the gradebook and the CSV agree.
"""

from __future__ import annotations

import csv
import os
import socket
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading_fixtures as gf  # noqa: E402
from ci_rules import in_ci  # noqa: E402

from funnel_lib.cli import main  # noqa: E402
from funnel_lib.grading import Limits, autograde  # noqa: E402
from funnel_lib.grading._course import load_course  # noqa: E402
from funnel_lib.grading._isolation import Isolation, Layer, cached_probe, probe  # noqa: E402
from funnel_lib.grading._merging import _scores  # noqa: E402
from funnel_lib.grading._sandbox import descendants  # noqa: E402
from funnel_lib.grading._worker import read_json_safely  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.slow]
JAILED = cached_probe().jailed
# CI installs bubblewrap: there these tests run (and fail) even when the jail is not usable
needs_jail = pytest.mark.skipif(not JAILED and not in_ci(),
                                reason="bubblewrap is not usable here: " + cached_probe().problem)


class _Listener(threading.Thread):
    """A TCP server on 127.0.0.1 that records every connection (the exfiltration target)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()
        self.server.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gf.course_template(tmp_path_factory.mktemp("iso-template"))


@pytest.fixture(scope="module")
def attacked(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("iso")
    course = gf.copy_course(template, base / "course")
    runtime = base / "instructor" / ".local" / "share" / "jupyter" / "runtime" / "jpserver-4242.json"
    runtime.parent.mkdir(parents=True)
    runtime.write_text('{"token": "instructor-secret", "port": 8888}', encoding="utf-8")
    listener = _Listener()
    listener.start()
    gf.TARGETS.update(course=str(course), port=str(listener.port), runtime=str(runtime))
    gf.submit(course, "alice", "right")
    gf.submit(course, "zed", "blank")  # graded after the attackers (students run in name order)
    for kind in gf.OS_ATTACKS + tuple(gf.FILE_KINDS):
        gf.submit(course, kind, kind)
    before = gf.snapshot(course / "submitted")
    limits = Limits(block_processes=False, max_processes=32, memory_bytes=512 * 1024 ** 2)
    try:
        report = autograde(gf.ASSIGNMENT, course, jobs=2, cell_timeout=10, student_timeout=180, limits=limits)
        again = autograde(gf.ASSIGNMENT, course, jobs=2, force=True, students=["alice", "zed"], limits=limits)
    finally:
        listener.stop.set()
        listener.join(timeout=5)
    return {"course": course, "report": report, "again": again, "before": before, "listener": listener,
            "by": {r.student: r for r in report.results}}


@needs_jail
def test_honest_students_unchanged_in_the_same_run_and_the_next(attacked: dict[str, Any]) -> None:
    by = attacked["by"]
    assert (by["alice"].status, by["alice"].score) == ("graded", 3.0), by["alice"].reason
    assert (by["zed"].status, by["zed"].score) == ("graded", 0.0), by["zed"].reason
    again = {r.student: (r.status, r.score) for r in attacked["again"].results}
    assert again == {"alice": ("graded", 3.0), "zed": ("graded", 0.0)}


@needs_jail
def test_every_student_has_a_row_and_nothing_submitted_changed(attacked: dict[str, Any]) -> None:
    course = attacked["course"]
    expected = {"alice", "zed", *gf.OS_ATTACKS, *gf.FILE_KINDS}
    assert {r.student for r in attacked["report"].results} == expected
    with open(course / "reports" / f"{gf.ASSIGNMENT}_autograde.csv", encoding="utf-8") as handle:
        assert {row["student"] for row in csv.DictReader(handle)} == expected
    assert gf.snapshot(course / "submitted") == attacked["before"]
    assert not Path(sysconfig.get_paths()["purelib"], "zz_evil.pth").exists()
    assert descendants(os.getpid()) == []


@needs_jail
@pytest.mark.parametrize("kind", gf.OS_ATTACKS)
def test_os_attack_earns_nothing(attacked: dict[str, Any], kind: str) -> None:
    found = attacked["by"][kind]
    assert found.status in {"graded", "needs review", "kernel died", "timed out"}, found.reason
    assert found.score == 0.0, (kind, found.status, found.reason)


@needs_jail
def test_gradebook_agrees_with_the_report(attacked: dict[str, Any]) -> None:
    for result in attacked["report"].results:
        score, _, _ = _scores(load_course(attacked["course"]), gf.ASSIGNMENT, result.student)
        if result.student != "alice":  # alice was graded again: her row is in the second report
            assert score == result.score, result.student
    assert "gradebook mismatch" not in attacked["report"].table() + attacked["again"].table()


@needs_jail
def test_socket_reached_nothing(attacked: dict[str, Any]) -> None:
    assert attacked["listener"].connections == 0


@needs_jail
@pytest.mark.parametrize(("kind", "status"), [
    ("cells_int", "invalid notebook"), ("deep_nesting", "invalid notebook"), ("huge_output", "graded")])
def test_malformed_notebooks_confined(attacked: dict[str, Any], kind: str, status: str) -> None:
    found = attacked["by"][kind]
    assert found.status == status, found.reason
    if kind == "huge_output":  # nbgrader clears outputs: the answer counts as any other
        assert found.score == 1.0


def test_read_json_safely(tmp_path: Path) -> None:
    deep = tmp_path / "deep.ipynb"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert read_json_safely(deep) is None
    (tmp_path / "ok.ipynb").write_text('{"cells": 5}', encoding="utf-8")
    assert read_json_safely(tmp_path / "ok.ipynb") == {"cells": 5}
    (tmp_path / "bad.ipynb").write_bytes(b"\xff\xfe{")
    assert read_json_safely(tmp_path / "bad.ipynb") is None


def test_probe_never_pretends() -> None:
    info = probe(run_check=False)
    names = [layer.name for layer in info.layers]
    assert names[:5] == ["bubblewrap", "identity", "filesystem view", "read-only Python environment", "network"]
    assert Isolation.from_json(info.to_json()).layers == info.layers
    missing = Isolation(None, None, True, None, [Layer("network", False, "not isolated")], "no bwrap")
    assert not missing.jailed and "[NOT enforced] network" in missing.report()


def test_cli_check_isolation(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["autograde", "--check-isolation"])
    out = capsys.readouterr().out
    assert "network:" in out and "filesystem view:" in out
    assert code == (0 if JAILED else 1)
    assert ("[NOT enforced]" in out) == (not all(layer.enforced for layer in cached_probe().layers))


@needs_jail
def test_lying_kernel_is_caught_by_the_clean_kernel(attacked: dict[str, Any]) -> None:
    found = attacked["by"]["lying_kernel"]
    assert (found.status, found.score) == ("needs review", 0.0), found.reason
    assert "the notebook's kernel reported the test passed, but on the same answers in a clean kernel it fails" \
        in found.reason


@needs_jail
@pytest.mark.parametrize(("kind", "words"), [
    ("startup_persist", "refused open: /home/funnel-grader/.ipython/profile_default/startup"),
    ("zombies", "tried to start more than 32 processes; the limit refused them"),
])
def test_os_attack_is_reported(attacked: dict[str, Any], kind: str, words: str) -> None:
    found = attacked["by"][kind]
    assert found.status == "needs review" and words in found.reason, found.reason
