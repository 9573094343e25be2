"""Class autograding: parallel results identical to serial nbgrader, resume, interruption, reports, CLI.

Every test builds on a toy nbgrader course (tests/grading_fixtures) generated once per session in
a temporary directory, so nothing here depends on the real assignments.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading_fixtures as gf  # noqa: E402

from funnel_lib.cli import main  # noqa: E402
from funnel_lib.grading import Limits, _worker, autograde  # noqa: E402
from funnel_lib.grading._course import load_course  # noqa: E402
from funnel_lib.grading._planning import _Plan  # noqa: E402
from funnel_lib.grading._worker import _grade_in_sandbox  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.slow]

#: (student, kind, timestamp) of the class used for the serial-versus-parallel comparison.
CLASS = [
    ("amara", "right", gf.ON_TIME),
    ("bo", "wrong", gf.ON_TIME),
    ("chen", "blank", gf.ON_TIME),
    ("dara", "half", gf.ON_TIME),
    ("eli", "right", gf.LATE),
    ("fay", "edit_test", gf.ON_TIME),
    ("gus", "delete_answer", gf.ON_TIME),
    ("hana", "invalid", gf.ON_TIME),
    ("ivo", "missing", gf.ON_TIME),
]
VENV_BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(VENV_BIN) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gf.course_template(tmp_path_factory.getbasetemp())


def _class_course(template: Path, target: Path, roster: list[tuple[str, str, str]] = CLASS) -> Path:
    course = gf.copy_course(template, target)
    for student, kind, stamp in roster:
        gf.submit(course, student, kind, timestamp=stamp)
    return course


@pytest.fixture(scope="module")
def pair(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same class graded by serial `nbgrader autograde` and by `funnel_lib.grading.autograde`."""
    base = tmp_path_factory.mktemp("pair")
    serial = _class_course(template, base / "serial")
    parallel = _class_course(template, base / "parallel")
    before = gf.snapshot(parallel / "submitted")
    run = subprocess.run([str(VENV_BIN / "nbgrader"), "autograde", gf.ASSIGNMENT], cwd=serial, env=_env(),
                         capture_output=True, text=True, timeout=600)
    progress = io.StringIO()
    spans = base / "spans"
    spans.mkdir()
    with pytest.MonkeyPatch.context() as patch:  # the slots are forked: they inherit the recording worker
        patch.setattr(_worker, "_worker_main", _recording(_worker._worker_main, spans))
        report = autograde(gf.ASSIGNMENT, parallel, jobs=2, progress=progress)
    return {"serial": serial, "parallel": parallel, "report": report, "before": before, "progress": progress.getvalue(),
            "serial_log": run.stdout + run.stderr, "spans": _read_spans(spans)}


#: How long a worker's first student waits for another worker to start one (only a broken scheduler waits).
RENDEZVOUS_S = 60.0


def _recording(worker_main: Callable[[Any], None], spans: Path) -> Callable[[Any], None]:
    """Wrap a worker's per-student entry point so that it records (process, student, start, end).

    A worker's first student also waits (at most RENDEZVOUS_S) until another worker has started a
    student: with two slots that really run side by side this returns at once, so the recorded spans
    overlap whatever the machine's load; a scheduler that grades one student at a time makes it time
    out, and the spans then do not overlap."""
    def run(task: Any) -> None:
        me = spans / f"{os.getpid()}.jsonl"
        first = not me.exists()
        with open(me, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"student": task.student, "start": time.monotonic()}) + "\n")
        deadline = time.monotonic() + RENDEZVOUS_S
        while first and time.monotonic() < deadline and not [p for p in spans.glob("*.jsonl") if p != me]:
            time.sleep(0.05)
        try:
            worker_main(task)
        finally:
            with open(me, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"student": task.student, "end": time.monotonic()}) + "\n")
    return run


def _read_spans(spans: Path) -> dict[int, list[tuple[str, float, float]]]:
    """Per worker process id: (student, start, end) of every student it graded, in order."""
    found: dict[int, list[tuple[str, float, float]]] = {}
    for path in spans.glob("*.jsonl"):
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        starts, ends = records[0::2], records[1::2]
        found[int(path.stem)] = [(s["student"], s["start"], e["end"]) for s, e in zip(starts, ends, strict=True)]
    return found


def test_gradebook_identical_to_serial_nbgrader(pair: dict) -> None:
    serial, parallel = gf.gradebook_dump(pair["serial"]), gf.gradebook_dump(pair["parallel"])
    assert set(serial) == {s for s, kind, _ in CLASS if kind != "missing"}, pair["serial_log"][-3000:]
    assert parallel == serial


def test_autograded_notebooks_identical_to_serial_nbgrader(pair: dict) -> None:
    serial, parallel = gf.autograded_dump(pair["serial"]), gf.autograded_dump(pair["parallel"])
    assert set(serial) == {"amara", "bo", "chen", "dara", "eli", "fay", "gus"}
    assert parallel == serial


def test_scores_and_statuses(pair: dict) -> None:
    by = {r.student: r for r in pair["report"].results}
    assert [r.student for r in pair["report"].results] == [s for s, _, _ in CLASS]
    assert by["amara"].status == "graded" and by["amara"].score == 3.0 and by["amara"].max_score == 4.0
    assert by["bo"].score == 0.0 and by["chen"].score == 0.0 and by["dara"].score == 1.0
    assert by["eli"].status == "graded" and by["eli"].score == 0.0  # late: nbgrader's "zero" penalty
    assert "late penalty took 3 points" in by["eli"].reason
    assert gf.gradebook_dump(pair["parallel"])["eli"]["notebooks"]["toy"]["late"] == 3.0
    assert by["fay"].status == "graded" and "edited" in by["fay"].reason and by["fay"].score == 2.0
    assert by["gus"].status == "needs review" and "rate_answer was deleted" in by["gus"].reason
    assert by["hana"].status == "invalid notebook" and "not a valid notebook" in by["hana"].reason
    assert by["ivo"].status == "missing notebook" and "toy.ipynb" in by["ivo"].reason
    assert not pair["report"].ok
    assert pair["report"].counts() == {"graded": 6, "needs review": 1, "invalid notebook": 1, "missing notebook": 1}


def test_submitted_untouched(pair: dict) -> None:
    assert gf.snapshot(pair["parallel"] / "submitted") == pair["before"]


def test_summary_csv_and_progress(pair: dict) -> None:
    report = pair["report"]
    assert report.csv_path == pair["parallel"] / "reports" / f"{gf.ASSIGNMENT}_autograde.csv"
    with open(report.csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student"] for row in rows] == [s for s, _, _ in CLASS]
    assert set(rows[0]) == {"student", "status", "score", "max_score", "reason", "seconds"}
    assert rows[0]["status"] == "graded" and rows[0]["score"] == "3" and rows[0]["max_score"] == "4"
    assert float(rows[0]["seconds"]) > 0
    lines = pair["progress"].splitlines()
    assert len(lines) == len(CLASS) and lines[-1].startswith(f"grading {gf.ASSIGNMENT}  [##########] 9/9  3 failed")
    table = report.table().splitlines()
    assert table[-1] == "9 students: 6 graded, 1 invalid notebook, 1 missing notebook, 1 needs review"
    assert [line.split()[0] for line in table[1:-1]] == [s for s, _, _ in CLASS]
    assert table[1].split()[:4] == ["amara", "graded", "3", "4"]


def test_two_jobs_grade_two_students_at_once(pair: dict) -> None:
    """jobs=2 runs two worker processes whose students overlap in time (speed: benchmarks/bench_grading.py)."""
    spans = pair["spans"]
    assert len(spans) == 2, f"expected two worker processes, got {sorted(spans)}"
    graded = sorted(student for runs in spans.values() for student, _, _ in runs)
    assert graded == sorted(s for s, _, _ in CLASS)  # each student once (a missing notebook too)
    first, second = spans.values()
    overlapping = [(a, b) for a, a0, a1 in first for b, b0, b1 in second if a0 < b1 and b0 < a1]
    assert overlapping, f"the two workers never graded at the same time: {spans}"


def test_rerun_skips_then_force_regrades(pair: dict, template: Path, tmp_path: Path) -> None:
    import shutil

    course = gf.copy_course(pair["parallel"], tmp_path / "again")  # with reports/, without autograded/
    shutil.copytree(pair["parallel"] / "autograded", course / "autograded")
    before = gf.gradebook_dump(course)
    again = autograde(gf.ASSIGNMENT, course, jobs=2)
    assert all(r.skipped for r in again.results)
    assert gf.gradebook_dump(course) == before
    # a resubmission is graded again, the others are skipped
    gf.submit(course, "bo", "right", timestamp="2026-01-11 09:00:00.000000 UTC")
    third = autograde(gf.ASSIGNMENT, course, jobs=2)
    regraded = [r.student for r in third.results if not r.skipped]
    assert regraded == ["bo"]
    assert {r.student: r.score for r in third.results}["bo"] == 3.0
    forced = autograde(gf.ASSIGNMENT, course, jobs=2, force=True, students=["amara", "dara"])
    assert [(r.student, r.skipped, r.score) for r in forced.results] == [("amara", False, 3.0), ("dara", False, 1.0)]
    with open(course / "reports" / f"{gf.ASSIGNMENT}_autograde.csv", newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(CLASS)  # the CSV still covers the whole class


def test_interrupt_and_resume(pair: dict, template: Path, tmp_path: Path) -> None:
    roster = [row for row in CLASS if row[1] in {"right", "wrong", "blank", "half"}]
    course = _class_course(template, tmp_path / "interrupted", roster)
    state = course / "reports" / f"{gf.ASSIGNMENT}_autograde.json"
    process = subprocess.Popen([sys.executable, "-m", "funnel_lib", "autograde", gf.ASSIGNMENT, "--course", str(course),
                                "--jobs", "1", "--no-progress"], env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        if state.exists() and json.loads(state.read_text(encoding="utf-8"))["students"]:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    done = set(json.loads(state.read_text(encoding="utf-8"))["students"])
    assert 1 <= len(done) < len(roster)
    resumed = autograde(gf.ASSIGNMENT, course, jobs=2)
    assert {r.student for r in resumed.results if r.skipped} == done
    expected = {s: v for s, v in gf.gradebook_dump(pair["serial"]).items() if s in {r[0] for r in roster}}
    assert gf.gradebook_dump(course) == expected


@pytest.mark.parametrize(("kind", "status", "reason", "timeout", "limits"), [
    ("right", "ok", "", None, Limits()),
    ("os_exit", "kernel died", "exited with code 3", None, Limits()),
    ("infinite_loop", "timed out", "did not recover from the interrupt", 3, Limits()),
    ("busy_loop", "kernel died", "used more than 5 s of CPU time and was stopped (SIGXCPU)", 60, Limits(cpu_seconds=5)),
])
def test_worker_in_process(template: Path, tmp_path: Path, kind: str, status: str, reason: str,
                           timeout: int | None, limits: Limits) -> None:
    """The worker's sandboxed execution, run in this process (so that coverage sees it)."""
    course_dir = _class_course(template, tmp_path / "inproc", [("amara", kind, gf.ON_TIME)])
    course = load_course(course_dir)
    run_dir = tmp_path / "run"
    plan = _Plan.build(course, gf.ASSIGNMENT, run_dir, limits, timeout, None, [])
    task = plan.task("amara")
    Path(task.work).mkdir(parents=True)
    outcome = _grade_in_sandbox(task)
    assert outcome["status"] == status, outcome
    assert reason in outcome["reason"]
    entry = outcome["notebooks"]["toy"]
    assert Path(entry["sanitized"]).exists() and not (run_dir / "box" / "amara").exists()
    if status == "ok":
        # the toy's stage test calls a function the notebook defines: judged in that kernel (info only)
        assert [f["severity"] for f in outcome["findings"]] == ["info"] and Path(entry["executed"]).exists()
        assert "first_stage" in outcome["findings"][0]["message"]
    else:
        assert entry["executed"] is None


def test_cli_autograde(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    course = _class_course(template, tmp_path / "cli", [("amara", "right", gf.ON_TIME), ("bo", "wrong", gf.ON_TIME)])
    code = main(["autograde", gf.ASSIGNMENT, "--course", str(course), "--jobs", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "amara" in out and "2 students: 2 graded" in out and "summary:" in out
    code = main(["autograde", gf.ASSIGNMENT, "--course", str(course), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and [s["student"] for s in data["students"]] == ["amara", "bo"]
    assert main(["autograde", "nope", "--course", str(course)]) == 2
    assert "the course's assignments are: ps1" in capsys.readouterr().err
    assert main(["autograde", gf.ASSIGNMENT, "--course", str(tmp_path / "missing")]) == 2
    assert main(["autograde", gf.ASSIGNMENT, "--course", str(course), "--student", "zed"]) == 2
    assert "students with a submission: amara, bo" in capsys.readouterr().err


def test_cli_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0 and "commands:" in capsys.readouterr().out
    assert main(["--help"]) == 0
    for bad in (["autograde", "ps1", "--student-timeout", "-1"], ["autograde", "ps1", "--memory", "lots"],
                ["autograde", "ps1", "--jobs", "x"], ["grade"], ["frobnicate"]):
        assert main(bad) == 2, bad
    err = capsys.readouterr().err
    assert "--memory: memory must be a size such as 2GiB" in err
    assert "--student-timeout: must be a positive number of seconds, got '-1'" in err


def test_apply_limits_in_this_process() -> None:
    """Limits far above anything this test run uses (setting them here cannot hurt it)."""
    from funnel_lib.grading._shim import apply_limits

    done = apply_limits(memory_bytes=2 ** 50, cpu_seconds=10 ** 7, file_bytes=2 ** 50, nproc=10 ** 6)
    assert done[:3] == [f"memory {2 ** 50} bytes", f"cpu {10 ** 7} s", f"file size {2 ** 50} bytes"]


def test_argument_errors(template: Path) -> None:
    with pytest.raises(ValueError, match="jobs must be a whole number"):
        autograde(gf.ASSIGNMENT, template, jobs=0)
    with pytest.raises(ValueError, match="student_timeout must be a positive"):
        autograde(gf.ASSIGNMENT, template, student_timeout=-1)
    with pytest.raises(ValueError, match="cell_timeout must be a positive whole number"):
        autograde(gf.ASSIGNMENT, template, cell_timeout=0)


def test_progress_on_a_terminal() -> None:
    from funnel_lib.grading._progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = Progress(2, "grading ps1", stream=screen)
    bar.update("amara", "graded", 1.0)
    bar.message("1 student(s) already graded")
    bar.update("bo", "timed out", 2.0)
    text = screen.getvalue()
    assert text.count("\r\x1b[K") == 3 and text.endswith("1 failed  bo: timed out (2.0 s)\n")
    assert "\n" not in text.split("1 student(s) already graded\n")[0]
    quiet = Progress(1, "x")
    quiet.update("a", "graded", 0.1)
    quiet.message("nothing")
    quiet.close()
