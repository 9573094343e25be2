"""Course-wide rules for the lessons' self-checks, read from the lesson notebooks themselves.

:func:`lesson_questions` collects every :class:`~funnel_lib.quiz.Question` of every lesson by running
each code cell that builds one, with ``Question`` swapped for a recorder (the cells import it from
``funnel_lib.quiz`` themselves), so the tests see exactly what a learner sees. The rules:

* across the course, no answer position (as written) holds more than 40 % of the right answers,
  and the same holds for every lesson written since the rule came in;
* at most one question in five tests API syntax (``kind="api"``); the rest test judgement.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import matplotlib
import nbformat

import funnel_lib.quiz as quiz_module
from funnel_lib.quiz import Question

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_SHARE_PER_POSITION = 0.40
MAX_SHARE_API = 0.20



@contextlib.contextmanager
def recording_questions(found: list[Question]) -> Iterator[None]:
    real = quiz_module.Question

    class Recorded(real):  # type: ignore[valid-type,misc]
        """A Question that notes itself down; Quiz accepts it because it is a Question."""

        __slots__ = ()

        def __post_init__(self) -> None:
            real.__post_init__(self)
            found.append(self)

    quiz_module.Question = Recorded  # type: ignore[misc]
    try:
        yield
    finally:
        quiz_module.Question = real  # type: ignore[misc]


@cache
def lesson_questions(path: Path) -> tuple[Question, ...]:
    """Every Question a lesson builds, in order: each code cell that calls ``Question(`` is run on its own."""
    matplotlib.use("Agg")
    found: list[Question] = []
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "Question(" not in cell.source:
            continue
        with recording_questions(found):
            try:
                exec(compile(cell.source, f"{path.name}[cell {index}]", "exec"), {"__name__": "__lesson__"})
            except Exception as error:  # a quiz cell must stand alone so that it can be read like this
                raise AssertionError(f"{path.name} cell {index}: the quiz cell does not run on its own: "
                                     f"{type(error).__name__}: {error}") from error
    return tuple(found)


def positions(questions: tuple[Question, ...] | list[Question]) -> Counter[int]:
    return Counter(q.answer for q in questions)


def too_common(questions: list[Question]) -> dict[int, float]:
    counts = positions(questions)
    return {k: n / len(questions) for k, n in counts.items() if n / len(questions) > MAX_SHARE_PER_POSITION}


def test_the_collector_finds_the_questions_of_every_lesson() -> None:
    with_quiz = [p for p in LESSONS if any("Quiz(" in c.source for c in nbformat.read(p, as_version=4).cells)]
    assert len(with_quiz) >= 10, "most lessons end with a self-check"
    for path in with_quiz:
        assert lesson_questions(path), f"no Question collected from {path.name}"


def test_each_lesson_spreads_its_right_answers() -> None:
    """In each lesson, no position holds more than 40 % (rounded up per lesson) of its right answers."""
    checked = []
    for path in LESSONS:
        questions = list(lesson_questions(path))
        if not questions:
            continue
        limit = math.ceil(MAX_SHARE_PER_POSITION * len(questions))
        crowded = {k: n for k, n in positions(questions).items() if n > limit}
        assert not crowded, f"{path.name}: right answers at positions {dict(positions(questions))}, at most {limit} each"
        checked.append(path.name)
    assert len(checked) >= 10, f"only {len(checked)} lessons have questions"


def test_course_wide_no_answer_position_holds_more_than_40_percent() -> None:
    everything = [q for path in LESSONS for q in lesson_questions(path)]
    crowded = too_common(everything)
    assert not crowded, f"right answers by position across the course: {dict(positions(everything))}"


def test_at_most_one_question_in_five_is_about_api_syntax() -> None:
    everything = [q for path in LESSONS for q in lesson_questions(path)]
    api = sum(q.kind == "api" for q in everything)
    assert api <= MAX_SHARE_API * len(everything), f"{api} of {len(everything)} questions test API syntax"
    for path in LESSONS:
        if lesson_questions(path):
            mine = lesson_questions(path)
            assert sum(q.kind == "api" for q in mine) <= max(1, MAX_SHARE_API * len(mine)), path.name


def test_every_lesson_explains_every_option() -> None:
    """Every question gives a ``why`` for every option (distractors that teach)."""
    for path in LESSONS:
        missing = [q.prompt[:50] for q in lesson_questions(path) if q.why is None]
        assert not missing, f"{path.name}: questions without why=[...]: {missing}"
