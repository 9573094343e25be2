"""Planning a class autograde: what every worker needs (computed once), which students to grade."""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnel_lib.grading._course import (
    Course,
    copy_assignment_definition,
    copy_bare_gradebook,
    gradebook_version,
    load_course,
    nbgrader_warnings,
    new_gradebook,
    quiet_gradebook,
)
from funnel_lib.grading._records import Task
from funnel_lib.grading._reporting import FAILED
from funnel_lib.grading._sandbox import Limits

__all__ = []


_COURSES: dict[str, Course] = {}


@dataclass
class _Plan:
    """Everything the workers and the merge need, computed once per run."""

    course: Course
    assignment: str
    run_dir: Path
    seed_url: str
    notebooks: list[str]
    source_cells: dict[str, list[dict[str, Any]]]
    local_modules: list[str]
    limits: Limits
    cell_timeout: int | None
    student_timeout: float
    read_deny: list[str]
    write_deny: list[str]
    isolation: str | None = None
    #: called once, in a thread of the parent, when every student has been handed to a worker
    while_grading: Callable[[], Any] | None = None

    @classmethod
    def build(cls, course: Course, assignment: str, run_dir: Path, limits: Limits, cell_timeout: int | None,
              student_timeout: float | None, extra_protected: Sequence[str | os.PathLike[str]],
              warm_up: bool = True) -> _Plan:
        """The plan; ``warm_up`` sanitizes the source notebooks once first, for the workers to inherit (worth it
        when several students are graded; for one, its worker would do the same work again)."""
        seed = run_dir / "seed.db"
        seed_url = copy_bare_gradebook(course.db_url, seed, assignment)  # a learner's one-exercise course
        if seed_url is None:
            version = gradebook_version(course.db_url) if course.db_url.startswith("sqlite") else None
            seed_url = new_gradebook(seed, version)
            copy_assignment_definition(course.db_url, seed_url, course.course_id, assignment)
        with quiet_gradebook(seed_url):  # nbgrader's preprocessors open it with the default course id
            pass
        notebooks, source_cells = _definition(seed_url, course.course_id, assignment)
        source = course.source_dir / assignment
        if warm_up:
            _warm_up(course, assignment, seed_url, [source / f"{name}.ipynb" for name in notebooks])
        local_modules = sorted(p.stem for p in source.glob("*.py"))
        timeout = cell_timeout or int(course.config.Execute.get("timeout", None) or 30)
        code_cells = max((sum(1 for c in cells if c["cell_type"] == "code") for cells in source_cells.values()),
                         default=1)
        if student_timeout is None:
            student_timeout = float(timeout * (code_cells + 2) * max(1, len(notebooks)) + 60)
        import funnel_lib

        package = Path(funnel_lib.__file__).resolve().parent
        read_deny = ([str(p) for p in course.protected_paths()] + [str(run_dir)]
                     + [str(Path(p).resolve()) for p in extra_protected])
        write_deny = [str(course.root), str(run_dir), str(package), sys.prefix, sys.base_prefix]
        for key in ("purelib", "platlib", "stdlib", "platstdlib", "scripts"):
            folder = sysconfig.get_paths().get(key)
            if folder:
                write_deny.append(folder)
        _COURSES[str(course.root)] = course
        return cls(course, assignment, run_dir, seed_url, notebooks, source_cells, local_modules, limits,
                   cell_timeout, student_timeout, read_deny, write_deny)

    def task(self, student: str) -> Task:
        """The worker's instructions for one student (plain data, so that it also works with spawn)."""
        work = self.run_dir / "work" / student
        return Task(
            course_root=str(self.course.root), assignment=self.assignment, student=student,
            seed_url=self.seed_url, notebooks=self.notebooks, work=str(work),
            box=str(self.run_dir / "box" / student), result=str(work / "result.json"),
            limits={"memory_bytes": self.limits.memory_bytes, "cpu_seconds": self.limits.cpu_seconds,
                    "file_bytes": self.limits.file_bytes, "max_processes": self.limits.max_processes,
                    "block_processes": self.limits.block_processes},
            cell_timeout=self.cell_timeout, local_modules=self.local_modules,
            read_deny=self.read_deny, write_deny=self.write_deny,
            source_cells=self.source_cells, isolation=self.isolation,
        )


def _course_for(root: str) -> Course:
    if root not in _COURSES:
        _COURSES[root] = load_course(root)
    return _COURSES[root]


def _sanitizer(course: Course, config: Any) -> Any:
    """An exporter running the course's sanitizing steps (as nbgrader's Autograde does)."""
    from nbconvert.exporters import NotebookExporter
    from nbgrader.converters import Autograde

    exporter = NotebookExporter(config=config)
    for step in Autograde(coursedir=course.coursedir, config=config).sanitize_preprocessors:
        exporter.register_preprocessor(step)
    return exporter


def _warm_up(course: Course, assignment: str, seed_url: str, notebooks: list[Path]) -> None:
    """Sanitize the source notebooks once against the seed gradebook, so that every forked worker
    inherits an engine that has already compiled nbgrader's queries."""
    import copy

    config = copy.deepcopy(course.config)
    config.Exporter.default_preprocessors = []
    exporter = _sanitizer(course, config)
    for path in notebooks:
        if path.exists():
            resources = {"nbgrader": {"student": "warm-up", "assignment": assignment, "notebook": path.stem,
                                      "db_url": seed_url}, "unique_key": path.stem}
            try:
                with nbgrader_warnings():
                    exporter.from_filename(str(path), resources=resources)
            except Exception:  # noqa: BLE001 - only an optimisation
                pass


def _definition(db_url: str, course_id: str, assignment: str) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """Notebook names and, per notebook, its cells from the gradebook (in notebook order)."""
    with quiet_gradebook(db_url, course_id) as gb:
        found = gb.find_assignment(assignment)
        notebooks = sorted(nb.name for nb in found.notebooks)
        cells: dict[str, list[dict[str, Any]]] = {}
        for nb in found.notebooks:
            grades = {c.name for c in nb.grade_cells}
            solutions = {c.name for c in nb.solution_cells}
            cells[nb.name] = [
                {"name": c.name, "cell_type": c.cell_type, "locked": bool(c.locked), "source": c.source or "",
                 "grade": c.name in grades, "solution": c.name in solutions}
                for c in nb.source_cells
            ]
    return notebooks, cells


def _fingerprint(folder: Path) -> str:
    """sha256 over the relative paths and bytes of every file of a submission."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"<unreadable>")
    return digest.hexdigest()


def _already_graded(course: Course, assignment: str, student: str, fingerprint: str,
                    previous: dict[str, Any] | None, notebooks: list[str]) -> bool:
    """Whether a student can be skipped: same submission as a recorded grading, or nbgrader's own rule."""
    dest = course.autograded_dir(student, assignment)
    complete = all((dest / f"{name}.ipynb").exists() for name in notebooks)
    if previous is not None:
        if previous.get("fingerprint") != fingerprint:
            return False
        if previous.get("status") in ("graded", "needs review"):
            return complete
        return previous.get("status") in FAILED
    if not complete:
        return False
    new = course.coursedir.get_existing_timestamp(str(course.submission_dir(student, assignment)))
    old = course.coursedir.get_existing_timestamp(str(dest))
    return not (new is not None and old is not None and new > old)
