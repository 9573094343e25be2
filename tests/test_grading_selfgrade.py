"""Self-study grading (`funnel grade NOTEBOOK`): per-question table, feedback beside the notebook, clear errors.

The toy course (tests/grading_fixtures) covers the behaviour; the last tests grade the real
course's first exercise when it exists (a solution: full marks; the blank exercise: 0, no crash).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading_fixtures as gf  # noqa: E402

from funnel_lib.cli import main  # noqa: E402
from funnel_lib.grading import CourseError, grade_notebook  # noqa: E402

pytestmark = [pytest.mark.grading]

ROOT = Path(__file__).resolve().parents[1]
REAL_ASSIGNMENT = "ex01_entry_and_value"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gf.course_template(tmp_path_factory.getbasetemp())


def learner_copy(template: Path, folder: Path, kind: str, name: str = "toy.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(gf.KINDS[kind](gf.released(template)), path)
    return path


@pytest.mark.slow
def test_grade_right_answers_twice(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook = learner_copy(template, tmp_path / "ps1", "right")
    original = notebook.read_bytes()
    report = grade_notebook(notebook, template)
    assert (report.assignment, report.notebook_name, report.status) == ("ps1", "toy", "graded")
    assert [(q.grade_id, q.kind, q.points, q.max_points, q.outcome) for q in report.questions] == [
        ("rate_test", "test", 1.0, 1.0, "passed"),
        ("stage_test", "test", 2.0, 2.0, "passed"),
        ("why", "written", None, 1.0, "not autograded"),
    ]
    assert report.passed and (report.score, report.max_score) == (3.0, 3.0)
    feedback = tmp_path / "ps1" / "toy_feedback.html"
    assert report.feedback == feedback and not report.feedback_replaced
    html = feedback.read_text(encoding="utf-8")
    assert "<html" in html and "rate_test" in html
    assert notebook.read_bytes() == original
    assert sorted(p.name for p in notebook.parent.iterdir()) == ["toy.ipynb", "toy_feedback.html"]
    # the command line: the same table, and the feedback file (ours) is replaced
    assert main(["grade", str(notebook), "--course", str(template)]) == 0
    out = capsys.readouterr().out
    assert "rate_test   1       1    passed" in out
    assert "ps1/toy: 3 of 3 autograded points" in out
    assert "1 written answer(s) (1 points) are not autograded: your instructor grades them" in out
    assert f"feedback: {feedback} (replaced the previous feedback file)" in out
    assert notebook.read_bytes() == original


@pytest.mark.slow
def test_grade_failing_answers(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook = learner_copy(template, tmp_path / "ps1", "half")
    original = notebook.read_bytes()
    assert main(["grade", str(notebook), "--course", str(template), "--no-feedback", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["score"] == 1.0 and data["max_score"] == 3.0 and data["feedback"] is None
    stage = next(q for q in data["questions"] if q["grade_id"] == "stage_test")
    assert stage["outcome"] == "failed"
    assert stage["message"].startswith("AssertionError: first_stage(['conversion', 'entry']): expected")
    assert notebook.read_bytes() == original
    assert not (notebook.parent / "toy_feedback.html").exists()


@pytest.mark.slow
def test_grade_renamed_copy_inside_the_course(template: Path, tmp_path: Path) -> None:
    """No --course: the course is found above the notebook; the exercise is recognised by its cells."""
    course = gf.copy_course(template, tmp_path / "course")
    notebook = learner_copy(template, course / "release" / "ps1" / "mine", "wrong", name="my attempt.ipynb")
    report = grade_notebook(notebook, feedback=False)
    assert (report.assignment, report.notebook_name, report.score, report.passed) == ("ps1", "toy", 0.0, False)
    assert "rate should be 0.3 (3 of 10 visitors), got 0.5" in report.questions[0].message
    assert report.feedback is None


def test_clear_errors(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    assert main(["grade", str(broken), "--course", str(template)]) == 2
    assert "is not a notebook: it is not valid JSON (line 1, column 12" in capsys.readouterr().err
    not_nb = tmp_path / "data.ipynb"
    not_nb.write_text('{"rows": [1, 2]}', encoding="utf-8")
    with pytest.raises(CourseError, match="valid JSON, but without the notebook fields 'cells' and 'nbformat'"):
        grade_notebook(not_nb, template)
    binary = tmp_path / "binary.ipynb"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CourseError, match="not UTF-8 text"):
        grade_notebook(binary, template)
    stranger = tmp_path / "stranger.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), stranger)
    with pytest.raises(CourseError, match=r"is not one of the course's exercises; the exercises are: ps1/toy.ipynb"):
        grade_notebook(stranger, template)
    with pytest.raises(CourseError, match="does not exist"):
        grade_notebook(tmp_path / "nope.ipynb", template)
    with pytest.raises(CourseError, match="is not an nbgrader course"):
        grade_notebook(stranger, tmp_path)
    assert not (tmp_path / "stranger_feedback.html").exists()


# --------------------------------------------------------------------------------------------
# the real course (written in parallel by another engineer): skipped until it exists
# --------------------------------------------------------------------------------------------
def _real(kind: str) -> Path:
    folder = ROOT / ("solutions" if kind == "solution" else "exercises") / REAL_ASSIGNMENT
    found = sorted(folder.glob("*.ipynb"))
    if not found:
        pytest.skip(f"the real assignment {REAL_ASSIGNMENT} does not exist yet under {folder.parent.name}/")
    return found[0]


@pytest.mark.slow
def test_real_solution_gets_full_marks(tmp_path: Path) -> None:
    source = _real("solution")
    copy = tmp_path / REAL_ASSIGNMENT / source.name
    copy.parent.mkdir()
    shutil.copyfile(source, copy)
    report = grade_notebook(copy, ROOT, feedback=False)
    assert report.status in {"graded", "needs review"}, report.reason
    assert report.max_score > 0 and report.score == report.max_score, report.table()
    assert source.read_bytes() == copy.read_bytes()


@pytest.mark.slow
def test_real_blank_exercise_scores_zero(tmp_path: Path) -> None:
    blank = _real("exercise")
    copy = tmp_path / REAL_ASSIGNMENT / blank.name
    copy.parent.mkdir()
    shutil.copyfile(blank, copy)
    report = grade_notebook(copy, ROOT)
    assert report.status == "graded", report.reason
    assert report.score == 0 and report.max_score > 0 and not report.passed
    assert report.feedback is not None and report.feedback.exists()
    assert blank.read_bytes() == copy.read_bytes()
