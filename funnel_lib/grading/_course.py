"""Locating an nbgrader course, loading its configuration the way nbgrader does, and its gradebook.

A *course* is a directory with an ``nbgrader_config.py`` (nbgrader's own convention); its
configuration names the source directory (``solutions/`` in Small Yeses, ``source/`` by default),
``submitted/``, ``autograded/``, ``feedback/`` and the gradebook (``gradebook.db`` unless
``CourseDirectory.db_url`` says otherwise).

>>> from funnel_lib.grading._course import find_course_root
>>> find_course_root("/") is None
True
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from funnel_lib.grading._errors import GradingError

if TYPE_CHECKING:  # pragma: no cover - imports for type checkers only
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

__all__ = [
    "CONFIG_FILE",
    "Course",
    "CourseError",
    "alembic_head",
    "find_course_root",
    "load_course",
    "nbgrader_warnings",
    "new_gradebook",
    "quiet_gradebook",
    "shared_engines",
    "sqlite_path",
]

CONFIG_FILE = "nbgrader_config.py"


class CourseError(GradingError, ValueError):
    """A course, assignment, student or notebook that cannot be used (the message says why).

    >>> isinstance(CourseError("no such assignment"), ValueError)
    True
    """

    __module__ = "funnel_lib.grading"


def find_course_root(start: str | os.PathLike[str]) -> Path | None:
    """Return the nearest directory at or above ``start`` holding ``nbgrader_config.py``, or None.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = pathlib.Path(tmp)
    ...     _ = (root / "nbgrader_config.py").write_text("c = get_config()")
    ...     (root / "exercises" / "ex01").mkdir(parents=True)
    ...     find_course_root(root / "exercises" / "ex01") == root.resolve()
    True
    """
    here = Path(start).expanduser().resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def load_config(root: Path) -> Config:
    """Load the configuration nbgrader would use in ``root``: Jupyter config dirs, then the course's file."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    config = Config()
    # nbgrader (a JupyterApp) reads jupyter_config and nbgrader_config from the Jupyter config path,
    # lowest priority last in the list, then nbgrader_config.py from the course directory.
    for folder in reversed(jupyter_config_path()):
        for name in ("jupyter_config.py", CONFIG_FILE):
            if (Path(folder) / name).is_file():
                try:
                    config.merge(PyFileConfigLoader(name, path=folder).load_config())
                except ConfigFileNotFound:  # pragma: no cover - raced with a deletion
                    pass
    course_file = root / CONFIG_FILE
    if course_file.is_file():
        config.merge(PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config())
    return config


@dataclass
class Course:
    """An nbgrader course directory with its loaded configuration (made by :func:`load_course`).

    >>> import tempfile, pathlib
    >>> config = 'c = get_config()\\nc.CourseDirectory.source_directory = "solutions"'
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (pathlib.Path(tmp) / "nbgrader_config.py").write_text(config)
    ...     course = load_course(tmp)
    ...     course.source_dir.name, course.assignments(), course.db_url.endswith("gradebook.db")
    ('solutions', [], True)
    """

    root: Path
    config: Config = field(repr=False)
    coursedir: CourseDirectory = field(repr=False)

    @property
    def db_url(self) -> str:
        """The gradebook's database URL (``sqlite:///<root>/gradebook.db`` unless configured)."""
        return str(self.coursedir.db_url)

    @property
    def course_id(self) -> str:
        """The course id from the configuration."""
        return str(self.coursedir.course_id)

    def step_dir(self, step: str) -> Path:
        """The directory of an nbgrader step (``source``, ``release``, ``submitted``, ``autograded``, ``feedback``)."""
        name = getattr(self.coursedir, f"{step}_directory")
        return (self.root / name).resolve()

    @property
    def source_dir(self) -> Path:
        """Where the instructor versions (with solutions and hidden tests) live."""
        return self.step_dir("source")

    def assignments(self) -> list[str]:
        """Assignment ids: the folders of the source directory that hold notebooks."""
        if not self.source_dir.is_dir():
            return []
        return sorted(
            entry.name for entry in self.source_dir.iterdir()
            if entry.is_dir() and not entry.name.startswith(".") and any(entry.glob("*.ipynb"))
        )

    def source_notebooks(self, assignment: str) -> list[str]:
        """Names (without ``.ipynb``) of the notebooks of ``assignment`` in the source directory."""
        folder = self.source_dir / assignment
        return sorted(p.stem for p in folder.glob("*.ipynb"))

    def submitted_students(self, assignment: str) -> list[str]:
        """Student ids with a ``submitted/<student>/<assignment>/`` folder, sorted."""
        folder = self.step_dir("submitted")
        if not folder.is_dir():
            return []
        excluded = {s for s in str(self.coursedir.student_id_exclude or "").split(",") if s}
        return sorted(
            entry.name for entry in folder.iterdir()
            if (entry / assignment).is_dir() and not entry.name.startswith(".") and entry.name not in excluded
        )

    def submission_dir(self, student: str, assignment: str) -> Path:
        """``submitted/<student>/<assignment>``."""
        return self.step_dir("submitted") / student / assignment

    def autograded_dir(self, student: str, assignment: str) -> Path:
        """``autograded/<student>/<assignment>``."""
        return self.step_dir("autograded") / student / assignment

    def gradebook_assignments(self) -> list[str]:
        """Assignment ids known to the gradebook (created by ``nbgrader generate_assignment``)."""
        with quiet_gradebook(self.db_url, self.course_id) as gb:
            return sorted(a.name for a in gb.assignments)

    def protected_paths(self) -> list[Path]:
        """Folders and files that student code must not read: instructor sources, submissions, grades, the gradebook."""
        paths = [self.step_dir(step) for step in ("source", "submitted", "autograded", "feedback")]
        db = sqlite_path(self.db_url)
        if db is not None:
            paths += [db, db.with_name(db.name + "-journal"), db.with_name(db.name + "-wal")]
        return paths


def load_course(root: str | os.PathLike[str] | None = None) -> Course:
    """Load the nbgrader course in ``root`` (default: the current directory).

    >>> load_course("/nonexistent/course")
    Traceback (most recent call last):
    ...
    funnel_lib.grading.CourseError: course directory '/nonexistent/course' does not exist
    """
    from nbgrader.coursedir import CourseDirectory

    path = Path(root if root is not None else os.getcwd()).expanduser()
    if not path.is_dir():
        raise CourseError(f"course directory {str(path)!r} does not exist")
    path = path.resolve()
    if not (path / CONFIG_FILE).is_file():
        raise CourseError(
            f"{str(path)!r} is not an nbgrader course: it has no {CONFIG_FILE} "
            "(run the command in the course directory, or pass --course DIR)"
        )
    config = load_config(path)
    if not config.get("CourseDirectory", {}).get("root"):
        config.CourseDirectory.root = str(path)
    coursedir = CourseDirectory(config=config)
    return Course(root=Path(coursedir.root).resolve(), config=config, coursedir=coursedir)


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or None for other databases.

    >>> sqlite_path("sqlite:////srv/course/gradebook.db")
    PosixPath('/srv/course/gradebook.db')
    >>> sqlite_path("postgresql://grader@db/course") is None
    True
    """
    match = re.match(r"^sqlite:///(.+)$", db_url)
    if not match or match.group(1).startswith(":memory:"):
        return None
    return Path(match.group(1))


def alembic_head() -> str:
    """The newest revision of nbgrader's gradebook schema, read from nbgrader's migration scripts.

    >>> len(alembic_head()) > 6
    True
    """
    import nbgrader

    versions = Path(nbgrader.__file__).parent / "alembic" / "versions"
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        found = re.search(r"^revision\s*=\s*['\"]([0-9a-f]+)['\"]", text, re.MULTILINE)
        if found:
            revisions.add(found.group(1))
        down = re.search(r"^down_revision\s*=\s*(.+)$", text, re.MULTILINE)
        if down:
            parents.update(re.findall(r"['\"]([0-9a-f]+)['\"]", down.group(1)))
    heads = sorted(revisions - parents)
    if len(heads) != 1:  # pragma: no cover - depends on nbgrader's packaging
        raise RuntimeError(f"cannot tell nbgrader's schema version: heads {heads}")
    return heads[0]


def new_gradebook(path: Path, version: str | None = None) -> str:
    """Create an empty SQLite gradebook at ``path`` (without running ``alembic``); return its URL."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine

    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    engine = create_engine(url, future=True)
    try:
        Base.metadata.create_all(bind=engine)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("DELETE FROM alembic_version")
        db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (version or alembic_head(),))
    return url


def gradebook_version(db_url: str) -> str | None:
    """The alembic revision stored in an existing gradebook (None when unknown)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            return str(row[0]) if row else None
    except Exception:  # noqa: BLE001 - a missing table just means "unknown"
        return None
    finally:
        engine.dispose()


#: True while a :func:`shared_engines` block runs (a block inside it changes nothing).
_SHARING: list[bool] = []


@contextmanager
def shared_engines() -> Iterator[None]:
    """Make nbgrader's gradebook bookkeeping cheaper while the block runs, with the same SQL and results.

    nbgrader's ``Gradebook`` makes a new SQLAlchemy engine each time it is opened — a dozen times per
    student — so every statement is compiled again, and each opening re-checks the schema; its
    notebook-metadata check re-validates nbgrader's own JSON schema for every cell. Inside this
    block one engine per database URL is reused (``Gradebook.close`` still disposes of its
    connections), the schema is created or checked once per URL, and the metadata schema is
    checked once. Statements, results and validation errors are unchanged. Blocks may nest: the outermost
    one counts.

    >>> with shared_engines():
    ...     with shared_engines():
    ...         pass
    """
    if _SHARING:
        yield
        return
    import jsonschema
    import nbgrader.api as api
    import nbgrader.nbgraderformat.common as common

    original_engine = api.create_engine
    metadata = api.Base.metadata
    engines: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
    created: set[str] = set()
    validators: dict[int, tuple[Any, Any]] = {}

    def create_engine(url: Any, **kwargs: Any) -> Any:
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original_engine(url, **kwargs)
        return engines[key]

    def create_all(bind: Any = None, **kwargs: Any) -> None:
        url = str(getattr(bind, "url", bind))
        if url not in created or kwargs:
            type(metadata).create_all(metadata, bind=bind, **kwargs)
            created.add(url)

    class _Schemas:
        """``jsonschema`` for nbgrader's metadata check, with one validator per schema."""

        ValidationError = jsonschema.ValidationError

        @staticmethod
        def validate(instance: Any, schema: Any) -> None:
            entry = validators.get(id(schema))
            if entry is None or entry[0] is not schema:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
                entry = (schema, cls(schema))
                validators[id(schema)] = entry
            error = jsonschema.exceptions.best_match(entry[1].iter_errors(instance))
            if error is not None:
                raise error

        def __getattr__(self, name: str) -> Any:
            return getattr(jsonschema, name)

    api.create_engine = create_engine
    metadata.create_all = create_all
    common.jsonschema = _Schemas()
    _SHARING.append(True)
    try:
        yield
    finally:
        _SHARING.clear()
        api.create_engine = original_engine
        del metadata.create_all
        common.jsonschema = jsonschema
        for engine in engines.values():
            engine.dispose()


@contextmanager
def nbgrader_warnings() -> Iterator[None]:
    """Silence the SQLAlchemy warnings nbgrader's own code raises when it creates submissions.

    (nbgrader adds objects to relationships before they are in the session; serial ``nbgrader
    autograde`` prints the same ``SAWarning`` and carries on.)
    """
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning, message=r"Object of type <\w+> not in session")
        yield


@contextmanager
def quiet_gradebook(db_url: str, course_id: str = "default_course") -> Iterator[Any]:
    """Open an nbgrader Gradebook, creating a missing SQLite file without the ``alembic`` command."""
    from nbgrader.api import Gradebook

    db = sqlite_path(db_url)
    if db is not None and not db.exists():
        new_gradebook(db)
    with nbgrader_warnings():
        with _alembic_on_path():
            gb = Gradebook(db_url, course_id)
        try:
            yield gb
        finally:
            gb.close()


@contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader runs ``alembic`` from PATH for a new database: make the interpreter's scripts folder visible."""
    import sys

    scripts = str(Path(sys.executable).parent)
    old = os.environ.get("PATH", "")
    if shutil.which("alembic") is None and scripts not in old.split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + old
        try:
            yield
        finally:
            os.environ["PATH"] = old
    else:
        yield


def copy_bare_gradebook(src_url: str, dest: Path, assignment: str) -> str | None:
    """Copy a SQLite gradebook file that holds only ``assignment``'s definition (no students, no
    submissions, no other assignment) to ``dest``; return its URL, or None when it holds more (or is not
    SQLite), in which case :func:`copy_assignment_definition` does the job row by row.

    >>> copy_bare_gradebook("postgresql://host/db", Path("/tmp/x.db"), "ps1") is None
    True
    """
    source = sqlite_path(src_url)
    if source is None:
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
            names = [row[0] for row in db.execute("SELECT name FROM assignment")]
            people = db.execute("SELECT count(*) FROM student").fetchone()[0]
            handed_in = db.execute("SELECT count(*) FROM submitted_assignment").fetchone()[0]
    except sqlite3.Error:
        return None
    if names != [assignment] or people or handed_in:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db, \
            contextlib.closing(sqlite3.connect(dest)) as out:
        db.backup(out)  # consistent even while another process writes
    return f"sqlite:///{dest}"


def copy_assignment_definition(src_url: str, dst_url: str, course_id: str, assignment: str) -> None:
    """Copy one assignment's definition (notebooks, graded/solution/task/source cells) between gradebooks."""
    with quiet_gradebook(src_url, course_id) as src, quiet_gradebook(dst_url, course_id) as dst:
        try:
            found = src.find_assignment(assignment)
        except Exception as error:  # nbgrader.api.MissingEntry
            raise CourseError(
                f"assignment {assignment!r} is not in the gradebook {src_url!r}; "
                f"run `nbgrader generate_assignment {assignment}` first"
            ) from error
        dst.update_or_create_assignment(assignment, duedate=found.duedate)
        for notebook in found.notebooks:
            dst.update_or_create_notebook(notebook.name, assignment, kernelspec=notebook.kernelspec)
            for cell in notebook.grade_cells:
                dst.update_or_create_grade_cell(cell.name, notebook.name, assignment,
                                                max_score=cell.max_score, cell_type=cell.cell_type)
            for cell in notebook.solution_cells:
                dst.update_or_create_solution_cell(cell.name, notebook.name, assignment)
            for cell in notebook.task_cells:
                dst.update_or_create_task_cell(cell.name, notebook.name, assignment,
                                               max_score=cell.max_score, cell_type=cell.cell_type)
            for cell in notebook.source_cells:
                dst.update_or_create_source_cell(cell.name, notebook.name, assignment, cell_type=cell.cell_type,
                                                 locked=cell.locked, source=cell.source, checksum=cell.checksum)
