"""Self-study grading (`funnel grade NOTEBOOK`): per-question table, feedback beside the notebook, clear errors.

The toy course (tests/grading_fixtures) covers the behaviour; the last tests grade the real
course's first exercise (a solution: full marks; the blank exercise: 0, no crash), and fail if it is gone.
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
def test_exercise_definition_is_prepared_once_per_source(template: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated definition is reused from the cache until a source file changes; same results."""
    import funnel_lib.grading._selfgrade as selfgrade

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    course = tmp_path / "course"
    shutil.copytree(template, course)
    generated: list[str] = []
    original = selfgrade._generated_course

    def counting(*args: object, **kwargs: object) -> object:
        generated.append("generate")
        return original(*args, **kwargs)

    monkeypatch.setattr(selfgrade, "_generated_course", counting)
    notebook = learner_copy(template, tmp_path / "ps1", "wrong")
    first = grade_notebook(notebook, course, feedback=False)
    second = grade_notebook(notebook, course, feedback=False)
    assert generated == ["generate"]
    assert [q.row() for q in second.questions] == [q.row() for q in first.questions]
    assert len(list((tmp_path / "cache" / "funnel_lib" / "grade").glob("*.db"))) == 1
    source = course / "source" / gf.ASSIGNMENT / "toy.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].source += "\n\n(edited)"
    nbformat.write(nb, source)
    third = grade_notebook(notebook, course, feedback=False)
    assert generated == ["generate", "generate"]
    assert [q.row() for q in third.questions] == [q.row() for q in first.questions]


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
# the real course: its first assignment is part of the repository, so a missing one is a failure
# --------------------------------------------------------------------------------------------
def _real(kind: str) -> Path:
    folder = ROOT / ("solutions" if kind == "solution" else "exercises") / REAL_ASSIGNMENT
    path = folder / f"{REAL_ASSIGNMENT}.ipynb"
    if not path.is_file():
        present = sorted(p.name for p in folder.parent.glob("ex*") if p.is_dir())
        pytest.fail(f"{path.relative_to(ROOT)} is missing: if the assignment was renamed, set REAL_ASSIGNMENT in "
                    f"{Path(__file__).name} to one of {present}", pytrace=False)
    return path


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


def test_feedback_templates_are_compiled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Feedback pages reuse compiled templates, kept in a private cache folder (else in memory): same page."""
    import jinja2
    from nbformat.v4 import new_code_cell, new_notebook

    import funnel_lib.grading._feedback as feedback

    monkeypatch.setattr(feedback, "_TEMPLATE_CACHE", [])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    nb = new_notebook(cells=[new_code_cell("rate = 0.3")], metadata={"language_info": {"name": "python"}})
    first, _ = feedback.FeedbackExporter(template_name="lab").from_notebook_node(nb)
    folder = tmp_path / "cache" / "funnel_lib" / "templates"
    assert folder.stat().st_mode & 0o777 == 0o700 and list(folder.glob("*.cache"))
    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: object,
                 **kwargs: object) -> object:
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    monkeypatch.setattr(feedback, "_TEMPLATE_CACHE", [])  # a new process: only the folder is left
    second, _ = feedback.FeedbackExporter(template_name="lab").from_notebook_node(nb)
    assert compiled == [] and second == first
    # a cache folder others could write to is never used: compiled code would run from it
    shared = tmp_path / "shared"
    (shared / "funnel_lib" / "templates").mkdir(parents=True)
    (shared / "funnel_lib" / "templates").chmod(0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    monkeypatch.setattr(feedback, "_TEMPLATE_CACHE", [])
    assert type(feedback.template_cache()).__name__ == "_MemoryBytecodeCache"
    third, _ = feedback.FeedbackExporter(template_name="lab").from_notebook_node(nb)
    assert third == first and not list((shared / "funnel_lib" / "templates").iterdir())


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(template: Path, tmp_path: Path) -> None:
    notebook = learner_copy(template, tmp_path / "ps1", "wrong")
    report = grade_notebook(notebook, template)
    html = report.feedback.read_text(encoding="utf-8")
    assert "rate_test" in html and "hidden tests: not shown" in html
    assert "BEGIN HIDDEN TESTS" not in html and "assert rate == 0.3" not in html
    assert "len(list(Stage)) == 5" not in html
    assert "rate should be 0.3" in html  # the test's own message is kept


def test_table_wraps_whole_messages() -> None:
    from funnel_lib.grading._selfgrade import GradeReport, QuestionResult

    advice = "the advice at the very end of a long message must still be shown to the learner"
    message = "AssertionError: " + "this step asks too much " * 5 + advice
    table = GradeReport(Path("ex.ipynb"), "ps1", "ex", "graded", "",
                        [QuestionResult("q1_test", "test", 0.0, 2.0, "failed", message)]).table()
    assert "..." not in table
    assert " ".join(table.split()).count(advice) == 1
    assert max(len(line) for line in table.splitlines()) <= 110


def test_course_specific_notebook_id_wins(tmp_path: Path) -> None:
    from funnel_lib.grading._course import load_course
    from funnel_lib.grading._selfgrade import identify_exercise

    course = load_course(ROOT)
    ex03 = json.loads((ROOT / "exercises" / "ex03_trust_and_intent" / "ex03_trust_and_intent.ipynb").read_text("utf-8"))
    assert ex03["metadata"]["funnel_grading"]["id"] == "small-yeses/ex03_trust_and_intent/ex03_trust_and_intent"
    ex03["metadata"]["funnel_grading"]["id"] = "small-yeses/ex04_reward_and_conversion/ex04_reward_and_conversion"
    assert identify_exercise(course, tmp_path / "copy.ipynb", ex03) == (
        "ex04_reward_and_conversion", "ex04_reward_and_conversion")
    ex03["metadata"]["funnel_grading"]["id"] = "another-course/ex04_reward_and_conversion/ex04_reward_and_conversion"
    assert identify_exercise(course, tmp_path / "copy.ipynb", ex03)[0] != "ex04_reward_and_conversion"


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_every_assignment_notebook_carries_its_course_specific_id(folder: str) -> None:
    notebooks = sorted((ROOT / folder).glob("ex*/*.ipynb"))
    assert len(notebooks) >= 9
    for path in notebooks:
        meta = json.loads(path.read_text("utf-8"))["metadata"]
        want = f"small-yeses/{path.parent.name}/{path.stem}"
        assert (meta.get("funnel_grading") or {}).get("id") == want, f"{path.relative_to(ROOT)} lacks id {want!r}"


@pytest.mark.slow
def test_check_exercise_inside_the_notebook(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from funnel_lib.grading import check_exercise

    notebook = learner_copy(template, tmp_path / "ps1", "half")
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))  # what JupyterLab tells the kernel
    report = check_exercise("rate", course=template)
    assert [(q.grade_id, q.outcome) for q in report.questions] == [("rate_test", "passed")]
    shown: list[str] = []
    report._repr_pretty_(type("Printer", (), {"text": lambda self, text: shown.append(text)})(), False)
    assert "rate_test" in shown[0] and "stage_test" not in shown[0]
    with pytest.raises(ValueError, match=r"question must be one of the notebook's graded cells \(rate_test"):
        check_exercise("q9", notebook=notebook, course=template)


@pytest.mark.slow
def test_without_solutions_only_visible_tests_run(template: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import funnel_lib.grading._selfgrade as selfgrade

    def no_course(notebook: Path, course: object = None) -> None:
        raise CourseError("no course here")  # a learner's machine without solutions/

    monkeypatch.setattr(selfgrade, "locate_course", no_course)
    notebook = learner_copy(template, tmp_path / "ps1", "wrong")
    (notebook.parent / "toy_helpers.py").write_text(gf.HELPERS, encoding="utf-8")
    report = grade_notebook(notebook)
    assert report.status == "visible tests only" and "hidden tests may still fail" in report.reason
    # `rate = 0.5` passes the visible test (the hidden one would fail it); first_stage is right
    assert [(q.grade_id, q.outcome) for q in report.questions] == [
        ("rate_test", "passed (visible)"), ("stage_test", "passed (visible)")]
    assert not report.passed and "status: visible tests only" in report.table()
