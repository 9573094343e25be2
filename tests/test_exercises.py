"""The nbgrader assignments: exercises/ is exactly what solutions/ generates, and grading works.

Everything goes through nbgrader's own Python API in a temporary course (a copy of
``nbgrader_config.py`` and ``solutions/``), never through exit codes:

* **no drift**: ``generate_assignment`` reproduces the committed ``exercises/`` cell for cell
  (sources, ids and metadata, nbgrader's checksums included);
* **no leaks**: ``exercises/`` holds no solution code and no hidden tests;
* **marks**: autograding the solution as a student gives full autograded marks, a blank exercise
  gives 0 without crashing, and every plausible wrong answer in ``tests/wrong_answers/`` loses the
  points of the question it targets and only those;
* **no stderr**: no cell of a solution writes to stderr (nbgrader would score a test cell 0);
* the structure the course promises: docstrings and hidden tests in every test cell, two
  questions per framework step, and ``exercises/README.md`` in step with the assignments.

Autograding is the slow part, so each assignment is autograded once, with all its fake
students (solution, blank, and the wrong answers batched so that one submission carries
several wrong answers aimed at different questions) in a single ``api.autograde(name, "*")``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
WRONG_ANSWERS = Path(__file__).resolve().parent / "wrong_answers"
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file()) \
    if SOLUTIONS.is_dir() else []

SOLUTION_BUDGET_S = 15.0  # the whole solution notebook, run by the autograder

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

pytestmark = [
    pytest.mark.grading,
    pytest.mark.timeout(900),
    # nbgrader 0.9 adds submissions to a SQLAlchemy session in a way SQLAlchemy 2 warns about
    pytest.mark.filterwarnings(r"ignore:Object of type <Submitted\w+> not in session:sqlalchemy.exc.SAWarning"),
]


# ----------------------------------------------------------------------------------------------
# reading notebooks
# ----------------------------------------------------------------------------------------------
def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell: Any) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_id(cell: Any) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def source_notebook(name: str) -> nbformat.NotebookNode:
    return read(SOLUTIONS / name / f"{name}.ipynb")


def exercise_notebook(name: str) -> nbformat.NotebookNode:
    return read(EXERCISES / name / f"{name}.ipynb")


def graded_cells(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Autograded test cells (code cells with grade: true), by grade id."""
    return {grade_id(c): c for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("grade")}


def without_markers(source: str) -> str:
    """A solution cell as a learner who got it right would leave it: the marker lines dropped."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)


def hidden_blocks(source: str) -> list[str]:
    return re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", source, flags=re.S)


def solution_blocks(source: str) -> list[str]:
    return re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, flags=re.S)


def load_wrong_answers(name: str) -> list[dict[str, Any]]:
    path = WRONG_ANSWERS / f"{name}.py"
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"wrong_answers_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.WRONG)


# ----------------------------------------------------------------------------------------------
# the temporary course and its autograding
# ----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def venv_on_path() -> Iterator[None]:
    """nbgrader runs the ``alembic`` command when it creates a gradebook: it must be on PATH."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


def build_submission(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
                     replace: dict[str, str] | None = None, blank: bool = False) -> nbformat.NotebookNode:
    """A student's notebook: the release with every answer cell filled in from the source
    (or left blank), then some answer cells replaced by other code."""
    answers = {grade_id(c): c.source for c in source.cells if nbgrader_meta(c).get("solution")}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        gid = grade_id(cell)
        if not nbgrader_meta(cell).get("solution"):
            continue
        if replace and gid in replace:
            cell.source = replace[gid]
        elif not blank:
            cell.source = without_markers(answers[gid])
    return nb


def batch_wrong_answers(wrong: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Pack wrong answers into submissions: one per answer cell and no two losing the same test."""
    batches: list[list[dict[str, Any]]] = []
    for item in wrong:
        for batch in batches:
            cells = {w["cell"] for w in batch}
            losses = {t for w in batch for t in w["loses"]}
            if item["cell"] not in cells and not losses.intersection(item["loses"]):
                batch.append(item)
                break
        else:
            batches.append([item])
    return batches


@dataclass
class Graded:
    """One assignment's autograding: scores per student and test cell, the notebooks, the log."""

    name: str
    result: dict[str, Any]
    seconds: float
    scores: dict[str, dict[str, float]] = field(default_factory=dict)   # student -> grade id -> score
    max_scores: dict[str, float] = field(default_factory=dict)          # grade id -> points
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    autograded: dict[str, nbformat.NotebookNode] = field(default_factory=dict)


class Course:
    """A temporary nbgrader course made from the repository's config and solutions/."""

    def __init__(self, root: Path) -> None:
        from nbgrader.apps import NbGraderAPI
        from traitlets.config.loader import PyFileConfigLoader

        self.root = root
        shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(SOLUTIONS, root / "solutions")
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        config.CourseDirectory.root = str(root)
        config.Exchange.root = str(root / "exchange")  # never the system-wide exchange
        (root / "exchange").mkdir()
        self.api = NbGraderAPI(config=config)
        self.generated: dict[str, dict[str, Any]] = {}
        self.graded: dict[str, Graded] = {}

    def generate(self, name: str) -> dict[str, Any]:
        if name not in self.generated:
            with venv_on_path():
                self.generated[name] = self.api.generate_assignment(name)
        return self.generated[name]

    def release_path(self, name: str) -> Path:
        return self.root / "exercises" / name / f"{name}.ipynb"

    def autograde(self, name: str) -> Graded:
        if name in self.graded:
            return self.graded[name]
        generated = self.generate(name)
        assert generated["success"], generated.get("error", generated.get("log"))
        release, source = read(self.release_path(name)), source_notebook(name)
        batches = batch_wrong_answers(load_wrong_answers(name))
        students = {"solution": build_submission(release, source), "blank": build_submission(release, source, blank=True)}
        for index, batch in enumerate(batches):
            students[f"wrong{index}"] = build_submission(release, source, {w["cell"]: w["source"] for w in batch})
        for student, nb in students.items():
            folder = self.root / "submitted" / student / name
            folder.mkdir(parents=True)
            for extra in (self.root / "exercises" / name).iterdir():  # data files the assignment ships
                if extra.name != f"{name}.ipynb":
                    shutil.copy(extra, folder / extra.name)
            nbformat.write(nb, folder / f"{name}.ipynb")
        start = time.perf_counter()
        with venv_on_path():
            result = self.api.autograde(name, "*")
        graded = Graded(name, result, time.perf_counter() - start, batches=batches)
        gb = self.api.gradebook
        try:
            for student in students:
                submission = gb.find_submission_notebook(name, name, student)
                graded.scores[student] = {g.name: g.auto_score for g in submission.grades if g.cell_type == "code"}
                graded.max_scores = {g.name: g.max_score for g in submission.grades if g.cell_type == "code"}
                path = self.root / "autograded" / student / name / f"{name}.ipynb"
                graded.autograded[student] = read(path)
        finally:
            gb.close()
        self.graded[name] = graded
        return graded


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    yield Course(tmp_path_factory.mktemp("course"))


# ----------------------------------------------------------------------------------------------
# the assignments exist, and their sources have the shape the course promises
# ----------------------------------------------------------------------------------------------
def test_every_assignment_is_released() -> None:
    assert len(ASSIGNMENTS) >= 8, f"solutions/ holds {ASSIGNMENTS}"
    released = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())
    assert released == ASSIGNMENTS, "exercises/ and solutions/ hold different assignments"
    # a renamed assignment must take its wrong answers along (else they would silently stop being used)
    orphans = sorted(p.name for p in WRONG_ANSWERS.glob("*.py") if p.stem not in ASSIGNMENTS)
    assert orphans == [], f"tests/wrong_answers/ has files for no assignment: {orphans}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_cells_are_well_formed(name: str) -> None:
    """Test cells: locked, with points, a docstring first, visible asserts, then hidden tests."""
    nb = source_notebook(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        assert cell.cell_type == "markdown" or not cell.outputs, "notebooks are committed without outputs"
    tests = graded_cells(nb)
    assert tests, f"{name} has no autograded test cells"
    for gid, cell in tests.items():
        meta = nbgrader_meta(cell)
        assert meta["locked"] and meta["points"] > 0 and not meta["solution"], gid
        assert cell.source.startswith('"""'), f"{gid} does not start with a docstring saying what it checks"
        visible, _, rest = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert "assert " in visible, f"{gid} has no visible test"
        assert hidden_blocks(cell.source) and "assert " in rest, f"{gid} has no hidden test"
    answers = [c for c in nb.cells if nbgrader_meta(c).get("solution") and c.cell_type == "code"]
    assert answers and all(solution_blocks(c.source) for c in answers), "every answer cell holds a solution"


def test_every_framework_step_has_two_autograded_questions() -> None:
    """Each of the eight steps is practised by at least two autograded questions (see the test docstrings)."""
    per_step = {step: [] for step in range(1, 9)}
    for name in ASSIGNMENTS:
        for gid, cell in graded_cells(source_notebook(name)).items():
            docstring = cell.source.split('"""')[1]
            for step in re.findall(r"\(step (\d)\)", docstring):
                per_step[int(step)].append(f"{name}:{gid}")
    thin = {step: found for step, found in per_step.items() if len(found) < 2}
    assert not thin, f"steps with fewer than two autograded questions: {thin}"


def test_capstone_has_a_manually_graded_rationale_with_a_rubric() -> None:
    capstone = [n for n in ASSIGNMENTS if "capstone" in n]
    assert capstone, "no capstone assignment"
    nb = source_notebook(capstone[0])
    manual = [c for c in nb.cells if c.cell_type == "markdown" and nbgrader_meta(c).get("grade")]
    assert manual and all(nbgrader_meta(c)["points"] > 0 for c in manual)
    assert any("rubric" in c.source.lower() for c in manual), "the model answer cell should carry the rubric"


# ----------------------------------------------------------------------------------------------
# no drift, no leaks
# ----------------------------------------------------------------------------------------------
def comparable(nb: nbformat.NotebookNode) -> tuple[Any, list[tuple[Any, ...]]]:
    cells = [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]
    return dict(nb.metadata), cells


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_drift_between_solutions_and_exercises(course: Course, name: str) -> None:
    """generate_assignment in a fresh course gives exactly the committed exercise."""
    generated = course.generate(name)
    assert generated["success"], generated.get("error", generated.get("log"))
    fresh_dir, committed_dir = course.root / "exercises" / name, EXERCISES / name
    assert sorted(p.name for p in fresh_dir.iterdir()) == sorted(p.name for p in committed_dir.iterdir()), (
        "the release holds different files from the committed exercises/")
    fresh_meta, fresh = comparable(read(course.release_path(name)))
    committed_meta, committed = comparable(exercise_notebook(name))
    assert committed_meta == fresh_meta
    assert len(committed) == len(fresh), "a cell was added or removed: regenerate exercises/ (see exercises/README.md)"
    for ours, theirs in zip(committed, fresh, strict=True):
        assert ours == theirs, f"cell {theirs[0]} differs: regenerate exercises/ (see exercises/README.md)"
    for extra in fresh_dir.iterdir():
        if extra.suffix != ".ipynb":
            assert extra.read_bytes() == (committed_dir / extra.name).read_bytes(), f"{extra.name} differs"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_exercises_hold_no_solutions_and_no_hidden_tests(name: str) -> None:
    exercise, source = exercise_notebook(name), source_notebook(name)
    text = "\n".join(c.source for c in exercise.cells)
    for marker in MARKERS:
        assert marker not in text, f"exercises/{name} still contains {marker!r}"
    released = {grade_id(c): c for c in exercise.cells if grade_id(c)}
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        shown = released[meta["grade_id"]].source
        if cell.cell_type == "markdown":
            assert shown == TEXT_STUB, f"{meta['grade_id']}: the model answer leaked"
            continue
        prefix = cell.source.split("### BEGIN SOLUTION")[0]
        assert shown == prefix + STUB, f"{meta['grade_id']}: the answer cell is not the plain stub"
    secret = [line.strip() for cell in source.cells
              for block in hidden_blocks(cell.source) + solution_blocks(cell.source)
              for line in block.splitlines() if len(line.strip()) >= 25]
    visible_in_source = "\n".join(
        re.sub(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n.*?### END (SOLUTION|HIDDEN TESTS)\n?", "", c.source, flags=re.S)
        for c in source.cells)
    leaked = [line for line in secret if line in text and line not in visible_in_source]
    assert not leaked, f"solution or hidden-test lines in exercises/{name}: {leaked[:3]}"


# ----------------------------------------------------------------------------------------------
# autograding
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_gets_full_autograded_marks(course: Course, name: str) -> None:
    graded = course.autograde(name)
    assert graded.result["success"], graded.result.get("error", graded.result.get("log"))
    scores = graded.scores["solution"]
    assert scores and set(scores) == set(graded_cells(source_notebook(name)))
    lost = {gid: (score, graded.max_scores[gid]) for gid, score in scores.items() if score != graded.max_scores[gid]}
    assert not lost, f"the solution loses points in {lost}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_runs_fast_and_writes_nothing_to_stderr(course: Course, name: str) -> None:
    graded = course.autograde(name)
    students = 2 + len(graded.batches)
    assert graded.seconds / students <= SOLUTION_BUDGET_S, (
        f"autograding took {graded.seconds:.1f} s for {students} notebooks")
    nb = graded.autograded["solution"]
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"{grade_id(cell) or cell.get('id')}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"{grade_id(cell) or cell.get('id')} wrote to stderr: {output.text[:300]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_blank_exercise_gets_zero_without_crashing(course: Course, name: str) -> None:
    graded = course.autograde(name)
    scores = graded.scores["blank"]
    assert scores and all(score == 0 for score in scores.values()), f"a blank exercise scores {scores}"
    nb = graded.autograded["blank"]
    last_test = [c for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("grade")][-1]
    errors = [o for o in last_test.outputs if o.output_type == "error"]
    assert errors and errors[0].ename in ("NameError", "NotImplementedError", "AssertionError"), (
        "the kernel should have run to the last test cell and failed it plainly")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_wrong_answers_lose_exactly_their_points(course: Course, name: str) -> None:
    wrong = load_wrong_answers(name)
    assert len(wrong) >= 3, f"tests/wrong_answers/{name}.py should hold at least three plausible wrong answers"
    answer_cells = {grade_id(c) for c in source_notebook(name).cells if nbgrader_meta(c).get("solution")}
    tests = set(graded_cells(source_notebook(name)))
    for item in wrong:
        assert item["cell"] in answer_cells, f"{item['why']}: no answer cell {item['cell']!r}"
        assert item["loses"] and set(item["loses"]) <= tests, f"{item['why']}: unknown test cells {item['loses']}"
    graded = course.autograde(name)
    failures = []
    for index, batch in enumerate(graded.batches):
        scores = graded.scores[f"wrong{index}"]
        losing = {t for w in batch for t in w["loses"]}
        for gid, score in scores.items():
            expected = 0 if gid in losing else graded.max_scores[gid]
            if score != expected:
                who = [w["why"] for w in batch if gid in w["loses"]] or ["(no wrong answer aims at it)"]
                failures.append(f"{gid}: scored {score}, expected {expected}; {who[0]}")
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------------------------------------------
# the learner's index
# ----------------------------------------------------------------------------------------------
def lesson_numbers_from_the_lesson_index() -> dict[str, set[str]]:
    """Which lessons link to which exercise, read from notebooks/README.md."""
    found: dict[str, set[str]] = {}
    text = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            for name in re.findall(r"exercises/([\w]+)/", cells[2]):
                found.setdefault(name, set()).add(cells[0])
    return found


def test_exercises_readme_lists_assignments_points_lessons_and_checking() -> None:
    readme = (EXERCISES / "README.md").read_text(encoding="utf-8")
    lessons = lesson_numbers_from_the_lesson_index()
    for name in ASSIGNMENTS:
        nb = source_notebook(name)
        auto = sum(nbgrader_meta(c)["points"] for c in graded_cells(nb).values())
        manual = sum(nbgrader_meta(c)["points"] for c in nb.cells
                     if c.cell_type == "markdown" and nbgrader_meta(c).get("grade"))
        rows = [line for line in readme.splitlines() if line.startswith("|") and f"({name}/{name}.ipynb)" in line]
        assert len(rows) == 1, f"exercises/README.md should have one table row linking {name}/{name}.ipynb"
        cells = [c.strip() for c in rows[0].strip().strip("|").split("|")]
        assert f"{auto:g}" in cells, f"{name}: the README should give {auto:g} autograded points, row: {cells}"
        assert f"{manual:g}" in cells, f"{name}: the README should give {manual:g} manually graded points"
        for number in sorted(lessons.get(name, set())):
            assert re.search(rf"\b{number}\b", rows[0]), f"{name} follows lesson {number}; the README row should say so"
    assert "funnel grade" in readme and "generate_assignment" in readme
