"""Self-study grading: ``funnel grade NOTEBOOK`` grades a learner's copy of an exercise with the hidden tests.

The learner's notebook is only read. A temporary nbgrader course is made from the instructor's
version of the assignment (``solutions/<assignment>/``, hidden tests included), the notebook is
"submitted" there, graded by the same sandboxed engine as class autograding, and the result is a
per-question table plus ``<notebook stem>_feedback.html`` written beside the notebook (that file is
ours: it is overwritten on the next run, and the report says so).

>>> QuestionResult("rate_test", "test", 0.0, 1.0, "failed", "AssertionError: rate should be 0.3").row()
['rate_test', '0', '1', 'failed', 'AssertionError: rate should be 0.3']
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnel_lib.grading._course import (
    Course,
    CourseError,
    find_course_root,
    load_course,
    nbgrader_warnings,
    new_gradebook,
)

__all__ = [
    "GradeReport", "QuestionResult", "check_exercise", "grade_notebook", "identify_exercise", "locate_course"]

LEARNER = "learner"


@dataclass
class QuestionResult:
    """One graded cell of the learner's notebook.

    >>> QuestionResult("why", "written", None, 1.0, "not autograded").row()[:4]
    ['why', '-', '1', 'not autograded']
    """

    grade_id: str
    kind: str  # "test" (autograded), "written" (manually graded answer) or "task"
    points: float | None
    max_points: float
    outcome: str  # "passed", "partial", "failed", "no answer", "not autograded"
    message: str = ""

    def row(self) -> list[str]:
        """The table row."""
        points = "-" if self.points is None else f"{self.points:g}"
        return [self.grade_id, points, f"{self.max_points:g}", self.outcome, self.message]


@dataclass
class GradeReport:
    """The outcome of :func:`grade_notebook`.

    >>> report = GradeReport(Path("ex.ipynb"), "ps1", "ex", "graded", "",
    ...                      [QuestionResult("q1_test", "test", 2.0, 2.0, "passed")])
    >>> report.score, report.max_score, report.passed
    (2.0, 2.0, True)
    """

    notebook: Path
    assignment: str
    notebook_name: str
    status: str
    reason: str
    questions: list[QuestionResult] = field(default_factory=list)
    feedback: Path | None = None
    feedback_replaced: bool = False
    seconds: float = 0.0

    @property
    def score(self) -> float:
        """Points earned on the autograded questions."""
        return sum(q.points or 0.0 for q in self.questions if q.kind == "test")

    @property
    def max_score(self) -> float:
        """Points available on the autograded questions."""
        return sum(q.max_points for q in self.questions if q.kind == "test")

    @property
    def passed(self) -> bool:
        """True when grading worked and every autograded question got full points."""
        return self.status in {"graded", "needs review"} and all(
            q.outcome == "passed" for q in self.questions if q.kind == "test")  # visible-only never "passes"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the table when a notebook cell ends with the report (``check_exercise()``)."""
        printer.text(self.table())

    def table(self) -> str:
        """The per-question table with a summary, as printed by ``funnel grade``."""
        headers = ["question", "points", "max", "result", "message"]
        rows = [q.row() for q in self.questions]
        widths = [max([len(headers[i])] + [len(r[i]) for r in rows]) for i in range(4)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:4], widths, strict=True)) + "  " + headers[4]]
        indent = sum(widths) + 2 * len(widths)
        for row in rows:
            # the whole message, wrapped under its column (the advice often comes at the end)
            wrapped = textwrap.wrap(row[4], width=max(40, 110 - indent), break_long_words=False) or [""]
            lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + wrapped[0])
            lines.extend(" " * indent + more for more in wrapped[1:])
        lines.append("")
        lines.append(f"{self.assignment}/{self.notebook_name}: {self.score:g} of {self.max_score:g} autograded points")
        written = [q for q in self.questions if q.kind != "test"]
        if written:
            lines.append(f"{len(written)} written answer(s) ({sum(q.max_points for q in written):g} points) "
                         "are not autograded: your instructor grades them")
        if self.status not in {"graded"}:
            lines.append(f"status: {self.status}" + (f" — {self.reason}" if self.reason else ""))
        if self.feedback is not None:
            replaced = " (replaced the previous feedback file)" if self.feedback_replaced else ""
            lines.append(f"feedback: {self.feedback}{replaced}")
        return "\n".join(lines)


def locate_course(notebook: Path, course: str | os.PathLike[str] | None = None) -> Course:
    """The course of a learner's notebook: ``course``, else the nearest course above it, else this repository."""
    if course is not None:
        return load_course(course)
    candidates = [find_course_root(notebook)]
    import funnel_lib

    candidates.append(Path(funnel_lib.__file__).resolve().parents[1])
    for root in candidates:
        if root is None or not (root / "nbgrader_config.py").is_file():
            continue
        found = load_course(root)
        if found.assignments():
            return found
    raise CourseError(
        f"no nbgrader course with exercises was found above {notebook.parent} or where funnel_lib is installed; "
        "pass --course DIR (the folder with nbgrader_config.py and the solutions)"
    )


def _grade_ids(nb: dict[str, Any]) -> set[str]:
    found = set()
    for cell in nb.get("cells", []):
        grade_id = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
        if grade_id:
            found.add(grade_id)
    return found


def identify_exercise(course: Course, notebook: Path, nb: dict[str, Any]) -> tuple[str, str]:
    """Which (assignment, notebook) of the course a learner's notebook is.

    First by the course-specific id in the notebook's metadata (``funnel_grading.id``, e.g.
    ``small-yeses/ex03_trust_and_intent/ex03_trust_and_intent``), then by its folder and name, else by
    its cells' grade ids.
    """
    assignments = course.assignments()
    metadata = nb.get("metadata")
    tag = ((metadata or {}).get("funnel_grading") or {}).get("id") if isinstance(metadata, dict) else None
    if isinstance(tag, str) and tag.count("/") == 2:
        course_id, assignment, name = tag.split("/")
        if course_id == course.course_id and assignment in assignments and name in course.source_notebooks(assignment):
            return assignment, name
    folder = notebook.parent.name
    if folder in assignments and notebook.stem in course.source_notebooks(folder):
        return folder, notebook.stem
    mine = _grade_ids(nb)
    best: tuple[float, str, str] | None = None
    if mine:
        for assignment in assignments:
            for name in course.source_notebooks(assignment):
                try:
                    source = course.source_dir / assignment / f"{name}.ipynb"
                    theirs = _grade_ids(json.loads(source.read_text(encoding="utf-8")))
                except (OSError, json.JSONDecodeError):
                    continue
                if theirs:
                    share = len(mine & theirs) / len(theirs)
                    if best is None or share > best[0]:
                        best = (share, assignment, name)
    if best is not None and best[0] >= 0.5:
        return best[1], best[2]
    listing = ", ".join(f"{a}/{n}.ipynb" for a in assignments for n in course.source_notebooks(a))
    raise CourseError(f"{str(notebook)!r} is not one of the course's exercises; the exercises are: {listing}")


def _read_notebook(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise CourseError(f"{str(path)!r} is not a notebook: it is not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        raise CourseError(f"{str(path)!r} is not a notebook: it is not valid JSON (line {error.lineno}, "
                          f"column {error.colno}: {error.msg}); was it saved completely?") from error
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or "nbformat" not in data:
        raise CourseError(f"{str(path)!r} is not a notebook: valid JSON, but without the notebook fields "
                          "'cells' and 'nbformat'")
    return data


def _quiet_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(f"funnel_lib.grading.self.{name}")
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False
    return logger


_IGNORED = (".ipynb_checkpoints", "__pycache__")


def _cache_dir(part: str = "grade") -> Path:
    """Where ``funnel grade`` keeps what it prepares: ``$XDG_CACHE_HOME/funnel_lib/<part>`` (exercise
    definitions in ``grade``, compiled feedback templates in ``templates``).

    >>> _cache_dir().parts[-2:], _cache_dir("templates").parts[-1]
    (('funnel_lib', 'grade'), 'templates')
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "funnel_lib" / part


def _definition_key(course: Course, assignment: str, config_text: str) -> str:
    """A digest of everything the prepared definition depends on: the course's configuration, every file of
    the assignment's source, nbgrader's version and the code that prepares it (this module and ``_course.py``)."""
    import hashlib

    import nbgrader

    from funnel_lib.grading import _course

    digest = hashlib.sha256()
    for part in (nbgrader.__version__, course.course_id, assignment, config_text):
        digest.update(str(part).encode() + b"\0")
    for module in (__file__, _course.__file__):
        digest.update(Path(module).read_bytes() + b"\0")
    source = course.source_dir / assignment
    files = (p for p in source.rglob("*") if p.is_file() and not set(p.relative_to(source).parts) & set(_IGNORED))
    for path in sorted(files):
        digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _temporary_course(course: Course, assignment: str, root: Path) -> Course:
    """A private copy of the course holding only ``assignment``'s source, with its own gradebook.

    The gradebook holding the assignment's definition (what ``nbgrader generate_assignment`` records) is
    kept in :func:`_cache_dir`, keyed by a digest of the sources and configuration it came from, so that
    grading the same exercise again skips generating it.
    """
    config_text = (course.root / "nbgrader_config.py").read_text(encoding="utf-8")
    db = root / "gradebook.db"
    (root / "nbgrader_config.py").write_text(
        config_text + "\n\nc = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(db)!r}\n",
        encoding="utf-8",
    )
    source_name = course.coursedir.source_directory
    shutil.copytree(course.source_dir / assignment, root / source_name / assignment,
                    ignore=shutil.ignore_patterns(*_IGNORED))
    try:
        key = _definition_key(course, assignment, config_text)
    except OSError:
        key = ""
    cached = _cache_dir() / f"{key}.db" if key else None
    if cached is not None and cached.is_file():
        try:
            shutil.copyfile(cached, db)
            return load_course(root)
        except OSError:
            pass
    temp = _generated_course(course, assignment, root, db)
    if cached is not None:
        try:  # atomically, so that a run at the same time never reads half a file
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
            shutil.copyfile(db, partial)
            os.replace(partial, cached)
        except OSError:
            pass
    return temp


def _generated_course(course: Course, assignment: str, root: Path, db: Path) -> Course:
    """Run nbgrader's ``generate_assignment`` in the temporary course at ``root`` (its gradebook: ``db``)."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import temp_attrs

    new_gradebook(db)
    temp = load_course(root)
    with temp_attrs(temp.coursedir, assignment_id=assignment):
        app = GenerateAssignment(coursedir=temp.coursedir, config=temp.config, log=_quiet_logger("generate"))
        app.force = True
        app.create_assignment = True
        try:
            with nbgrader_warnings():
                app.start()
        except Exception as error:  # noqa: BLE001
            raise CourseError(f"could not prepare the exercise {assignment!r} from "
                              f"{course.source_dir / assignment}: {error}") from error
    return temp


def _messages(autograded: Path) -> dict[str, str]:
    """grade id -> first line of what a failing cell reported, from the autograded notebook."""
    import re

    messages: dict[str, str] = {}
    try:
        nb = json.loads(autograded.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return messages
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    for cell in nb.get("cells", []):
        grade_id = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
        if not grade_id:
            continue
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                value = " ".join(ansi.sub("", str(output.get("evalue", ""))).split())
                messages[grade_id] = f"{output.get('ename')}: {value}".strip().rstrip(":")
                break
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                lines = [line for line in ansi.sub("", text).splitlines() if line.strip()]
                messages[grade_id] = "wrote to stderr: " + (lines[-1].strip() if lines else "")
                break
    return messages


def grade_notebook(
    notebook: str | os.PathLike[str],
    course: str | os.PathLike[str] | None = None,
    *,
    feedback: bool = True,
    cell_timeout: int | None = None,
) -> GradeReport:
    """Grade a learner's copy of an exercise with the hidden tests; never modifies the notebook.

    >>> grade_notebook("/nonexistent/ex01.ipynb")
    Traceback (most recent call last):
    ...
    funnel_lib.grading.CourseError: notebook '/nonexistent/ex01.ipynb' does not exist
    """
    from funnel_lib.grading._course import shared_engines

    started = time.monotonic()
    path = Path(notebook).expanduser()
    if not path.is_file():
        raise CourseError(f"notebook {str(path)!r} does not exist")
    path = path.resolve()
    nb = _read_notebook(path)
    try:
        found = locate_course(path, course)
    except CourseError:
        if course is not None or not _test_cells(nb):
            raise
        return _visible_tests_only(path, nb, cell_timeout, started)
    assignment, name = identify_exercise(found, path, nb)
    root = Path(tempfile.mkdtemp(prefix="funnel-grade-"))
    try:
        with shared_engines():  # one gradebook engine for grading, the table and the feedback
            return _grade_in_course(found, assignment, name, path, root, feedback, cell_timeout, started)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _grade_in_course(found: Course, assignment: str, name: str, path: Path, root: Path, feedback: bool,
                     cell_timeout: int | None, started: float) -> GradeReport:
    """Grade the learner's notebook ``path`` (``assignment``/``name`` of the course ``found``) in a temporary
    course at ``root``; write the feedback page when ``feedback``."""
    from funnel_lib.grading._autograde import autograde

    temp = _temporary_course(found, assignment, root)
    target = temp.submission_dir(LEARNER, assignment) / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    protected = [found.source_dir, found.step_dir("submitted"), found.step_dir("autograded")]
    warm = (lambda: _warm_feedback(temp, name, path)) if feedback else None
    report = autograde(assignment, temp, jobs=1, force=True, progress=None, reports_dir=root / "reports",
                       cell_timeout=cell_timeout, extra_protected=[str(p) for p in protected],
                       while_grading=warm)
    result = report.results[0] if report.results else None
    status = result.status if result else "error"
    reason = result.reason if result else "nothing was graded"
    autograded = temp.autograded_dir(LEARNER, assignment) / f"{name}.ipynb"
    questions = _questions(temp, assignment, name, reason, _messages(autograded))
    feedback_path = None
    replaced = False
    if feedback and autograded.exists():
        feedback_path, replaced = _feedback(temp, assignment, name, path)
    return GradeReport(path, assignment, name, status, reason, questions, feedback_path, replaced,
                       time.monotonic() - started)


def _questions(temp: Course, assignment: str, name: str, reason: str, messages: dict[str, str]) -> list[QuestionResult]:
    """The table's rows, from the temporary course's gradebook: every graded or task cell, in notebook order."""
    from funnel_lib.grading._course import quiet_gradebook

    questions: list[QuestionResult] = []
    with quiet_gradebook(temp.db_url, temp.course_id) as gb:
        definition = gb.find_notebook(name, assignment)
        order = [cell.name for cell in definition.source_cells]
        kinds = {cell.name: ("written" if cell.name in {s.name for s in definition.solution_cells} else "test")
                 for cell in definition.grade_cells}
        kinds.update({cell.name: "task" for cell in definition.task_cells})
        maxima = {cell.name: float(cell.max_score)
                  for cell in list(definition.grade_cells) + list(definition.task_cells)}
        scores: dict[str, float | None] = {}
        try:
            submission = gb.find_submission_notebook(name, assignment, LEARNER)
            for grade in submission.grades:
                scores[grade.name] = None if grade.auto_score is None else float(grade.auto_score)
        except Exception:  # noqa: BLE001 - not graded (kernel died, ...)
            pass
        for cell_name in sorted(maxima, key=lambda n: order.index(n) if n in order else len(order)):
            kind = kinds[cell_name]
            points = scores.get(cell_name)
            maximum = maxima[cell_name]
            if kind != "test":
                outcome = "no answer" if points == 0 else "not autograded"
                message = "" if outcome == "no answer" else "graded by your instructor"
            elif points is None:
                outcome, message = "failed", reason or "not graded"
                points = 0.0
            elif points >= maximum:
                outcome, message = "passed", ""
            elif points > 0:
                outcome, message = "partial", messages.get(cell_name, "")
            else:
                outcome, message = "failed", messages.get(cell_name, "")
            questions.append(QuestionResult(cell_name, kind, points, maximum, outcome, message))
    return questions


def _feedback_config(temp: Course) -> Any:
    """The temporary course's configuration for nbgrader's feedback, with hidden tests always hidden."""
    from nbgrader.converters import GenerateFeedback
    from traitlets.config import Config

    from funnel_lib.grading._feedback import FeedbackExporter

    config = Config(temp.config)
    config.HTMLExporter.template_name = "feedback"
    config.GenerateFeedback.exporter_class = FeedbackExporter  # its compiled templates are kept
    steps = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}"
             for p in (config.GenerateFeedback.get("preprocessors", None)
                       or GenerateFeedback.class_traits()["preprocessors"].default())]
    hide = "funnel_lib.grading._feedback.HideHiddenTests"
    if hide not in steps:  # any course: the learner never sees hidden tests
        steps.insert(1, hide)
    config.GenerateFeedback.preprocessors = steps
    return config


def _warm_feedback(temp: Course, name: str, notebook: Path) -> None:
    """Render the learner's notebook once with the feedback template and throw the page away.

    Runs in a thread while the kernel works, so that :func:`_feedback` afterwards finds the regular
    expressions, entity tables and style sheet that HTML export builds on first use ready, and the
    compiled templates in :func:`~funnel_lib.grading._feedback.template_cache`. Nothing is written
    but that cache.
    """
    import nbformat
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback

    from funnel_lib.grading._feedback import FeedbackExporter

    app = GenerateFeedback(coursedir=temp.coursedir, config=_feedback_config(temp), log=_quiet_logger("warm"))
    exporter = FeedbackExporter(config=app.config)
    exporter.register_preprocessor(CSSHTMLHeaderPreprocessor, enabled=True)
    nb = nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4)
    # the lexer the graded notebook names (its kernel fills in language_info), so that the same highlighter loads
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3",
                                    **dict(nb.metadata.get("language_info") or {})}
    for cell in nb.cells:  # what nbgrader's GetGrades adds to graded cells
        meta = cell.metadata.get("nbgrader")
        if isinstance(meta, dict) and meta.get("grade"):
            meta["score"], meta["points"] = 0.0, float(meta.get("points") or 0.0)
    exporter.from_notebook_node(nb, resources={"nbgrader": {"notebook": name, "score": 0.0, "max_score": 0.0,
                                                            "late_penalty": 0.0}})


def _feedback(temp: Course, assignment: str, name: str, notebook: Path) -> tuple[Path | None, bool]:
    """Generate nbgrader's HTML feedback in the temporary course and copy it beside the learner's notebook."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import temp_attrs

    config = _feedback_config(temp)
    with temp_attrs(temp.coursedir, assignment_id=assignment, student_id=LEARNER):
        app = GenerateFeedback(coursedir=temp.coursedir, config=config, log=_quiet_logger("feedback"))
        app.force = True
        try:
            with nbgrader_warnings():
                app.start()
        except Exception:  # noqa: BLE001 - feedback is a bonus; the table is the result
            return None, False
    html = temp.step_dir("feedback") / LEARNER / assignment / f"{name}.html"
    if not html.exists():
        return None, False
    target = notebook.with_name(f"{notebook.stem}_feedback.html")
    if target.resolve() == notebook.resolve():  # pragma: no cover - a notebook cannot end in .html
        return None, False
    replaced = target.exists()
    try:
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(html, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError:
        return None, False
    return target, replaced


def check_exercise(question: str | None = None, notebook: str | os.PathLike[str] | None = None,
                   course: str | os.PathLike[str] | None = None) -> GradeReport:
    """Grade the open exercise from inside JupyterLab (save it first); show the table inline.

    ``question`` (e.g. ``"q1"`` or ``"q1_test"``) keeps only that question's rows; ``notebook`` defaults
    to the notebook this kernel belongs to (JupyterLab tells the kernel through ``JPY_SESSION_NAME``).
    The result displays as the same table as ``funnel grade`` prints.

    >>> check_exercise(notebook="/nonexistent/ex01.ipynb")
    Traceback (most recent call last):
    ...
    funnel_lib.grading.CourseError: notebook '/nonexistent/ex01.ipynb' does not exist
    """
    if notebook is None:
        notebook = os.environ.get("JPY_SESSION_NAME") or ""
        if not notebook.endswith(".ipynb"):
            raise CourseError("cannot tell which notebook this is; call check_exercise(notebook='path/to/it.ipynb')")
    report = grade_notebook(notebook, course, feedback=False)
    if question is not None:
        wanted = str(question)
        rows = [q for q in report.questions if q.grade_id == wanted or q.grade_id.startswith(wanted.rstrip("_") + "_")]
        if not rows:
            known = ", ".join(q.grade_id for q in report.questions)
            raise ValueError(f"question must be one of the notebook's graded cells ({known}), got {question!r}")
        report.questions = rows
    return report


VISIBLE_ONLY = ("visible tests only: the course's solutions/ (with the hidden tests) is not on this machine, "
                "so only the tests you can see ran; the hidden tests may still fail")


def _test_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"
            and ((c.get("metadata") or {}).get("nbgrader") or {}).get("grade")
            and not ((c.get("metadata") or {}).get("nbgrader") or {}).get("solution")]


def _visible_tests_only(path: Path, nb: dict[str, Any], cell_timeout: int | None, started: float) -> GradeReport:
    """Run a copy of the learner's notebook as it is (their own code, their own account) and report its
    visible tests; used when no course with the hidden tests is found."""
    import nbformat
    from nbclient import NotebookClient

    from funnel_lib.grading._verdict import failed

    copy = nbformat.reads(json.dumps(nb), as_version=4)  # sources as text, not lists of lines
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="funnel-visible-") as folder:
        for sibling in path.parent.iterdir():  # data files next to the notebook
            if sibling.is_file() and sibling.suffix != ".ipynb" and sibling.stat().st_size < 50 * 1024 ** 2:
                shutil.copyfile(sibling, Path(folder) / sibling.name)
        client = NotebookClient(copy, timeout=cell_timeout or 60, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        try:
            client.execute()
            status = "visible tests only"
        except Exception as error:  # noqa: BLE001 - a kernel that died: report what ran
            status = "error"
            reason = f"the notebook could not run: {error}"
    questions = []
    for cell in _test_cells(copy):
        meta = cell["metadata"]["nbgrader"]
        points = float(meta.get("points") or 0)
        bad = failed(cell.get("outputs", [])) or cell.get("execution_count") is None
        message = ""
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output.get('ename')}: {' '.join(str(output.get('evalue', '')).split())}".rstrip(": ")
        questions.append(QuestionResult(meta.get("grade_id", "?"), "test", 0.0 if bad else points, points,
                                        "failed" if bad else "passed (visible)", message))
    if status != "error":
        reason = VISIBLE_ONLY
    return GradeReport(path, path.parent.name, path.stem, status, reason, questions, None, False,
                       time.monotonic() - started)
