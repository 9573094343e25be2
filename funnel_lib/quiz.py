"""Self-check quizzes for the lessons: questions whose every option explains itself when picked.

A :class:`Question` holds a prompt, its options, the index of the right one and, in ``why``, one
explanation per option: why the right answer is right and why each distractor (a misconception a
learner really has) is wrong. ``kind`` says what it tests: ``"judgement"`` (marketing judgement,
the default) or ``"api"`` (the library's syntax); a course keeps API questions to at most one in
five.

A :class:`Quiz` is an ipywidgets widget. Each question is a real radio group
(:class:`ipywidgets.RadioButtons`: Tab reaches it, the arrow keys change the answer) and the
feedback appears at once in a polite ARIA live region, in colours that pass WCAG AA on their
white background (:data:`FEEDBACK_COLOURS`), with a ✓ or ✗ so that colour is never the only cue.
It keeps no score anywhere: it is for the learner, not for grading.

**Shuffled options, stable per learner.** The options of each question are shown in an order drawn
from a seed made of the learner's seed and the question's prompt (SHA-256, then
:class:`random.Random`), so one learner always sees the same order, different learners see
different orders, and the right answer's position carries no signal. The learner's seed is the
environment variable :data:`LEARNER_SEED_ENV` (``FUNNEL_LEARNER_SEED``) when set, else the
operating-system user name (:func:`learner_seed`); ``Quiz(..., seed="x")`` fixes it and
``shuffle=False`` keeps the written order. Option indices in the API (``answer``, ``why``,
:meth:`Quiz.answer`) always refer to the order in which the question was written.

**Readable anywhere.** ``repr(quiz)`` lists its questions; outside a live kernel (an HTML export,
GitHub, nbviewer) the quiz shows a static snapshot (the questions, their options in the
learner's order, and the answers with their explanations folded away) instead of raw widget state.

>>> q = Question("Which ask suits a cold audience's first step?",
...              ["Buy now", "Watch a 10-second clip"], answer=1,
...              why=["Strangers have no reason to trust you with money yet.",
...                   "It costs almost nothing, so most people can say yes."])
>>> quiz = Quiz([q], title="Check yourself", seed="ada")
>>> quiz.answer(0, 0)
'Not quite. Strangers have no reason to trust you with money yet.'
>>> quiz.answer(0, 1)
'Correct. It costs almost nothing, so most people can say yes.'
"""

from __future__ import annotations

import getpass
import hashlib
import html
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import anywidget
import ipywidgets as widgets

from funnel_lib._validate import check_choice, check_name, check_text, convert_fields, converts, optional
from funnel_lib.errors import FunnelIndexError, FunnelTypeError, FunnelValueError

__all__ = ["Question", "Quiz", "learner_seed", "LEARNER_SEED_ENV", "KINDS", "FEEDBACK_COLOURS"]

#: The environment variable that fixes a learner's shuffle seed (e.g. a student number on a hub).
LEARNER_SEED_ENV = "FUNNEL_LEARNER_SEED"

#: What a question tests: marketing judgement, or the library's syntax.
KINDS = ("judgement", "api")

FEEDBACK_COLOURS: Mapping[str, str] = MappingProxyType({
    "correct": "#00704F",     # a darker Okabe-Ito bluish green: 6.1:1 on white
    "wrong": "#A33F00",       # a darker Okabe-Ito vermillion: 6.4:1 on white
    "neutral": "#333333",     # "pick an answer first": 12.6:1 on white
    "background": "#FFFFFF",  # set explicitly, so the ratios hold in dark themes too
})
"""Text colours of the quiz feedback and the background they sit on (all pairs pass WCAG AA, >= 4.5:1).

>>> FEEDBACK_COLOURS["background"]
'#FFFFFF'
"""

_QUIZ_KEYS_ESM = (Path(__file__).with_name("_quiz_keys.js")).read_text(encoding="utf-8")

_MARKS = {"correct": "✓", "wrong": "✗", "neutral": "•"}


def learner_seed() -> str:
    """This learner's shuffle seed: ``$FUNNEL_LEARNER_SEED`` if set, else the OS user name.

    Falls back to ``"learner"`` when neither can be found, so a quiz always displays.

    >>> import os
    >>> os.environ["FUNNEL_LEARNER_SEED"] = "student-42"
    >>> learner_seed()
    'student-42'
    >>> del os.environ["FUNNEL_LEARNER_SEED"]
    """
    seed = os.environ.get(LEARNER_SEED_ENV, "").strip()
    if seed:
        return seed
    try:
        return getpass.getuser() or "learner"
    except (KeyError, OSError):  # no user name in a bare container
        return "learner"


def _strings(argument: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise FunnelTypeError(f"{argument} must be a list of strings, got {values!r}")
    return tuple(check_name(f"{argument}[{i}]", v) for i, v in enumerate(values))


def _options(argument: str, values: Any) -> tuple[str, ...]:
    options = _strings(argument, values)
    if len(options) < 2:
        raise FunnelValueError(f"{argument} must hold at least 2 choices, got {len(options)}")
    if len(set(options)) != len(options):
        raise FunnelValueError(f"{argument} must be different from each other, got {list(options)}")
    return options


def _kind(argument: str, value: Any) -> str:
    return str(check_choice(argument, value, KINDS))


@dataclass(frozen=True, slots=True)
class Question:
    """One multiple-choice question: the prompt, the options, the right one, and why each option is or is not.

    ``answer`` is the index of the right option as written. ``why`` (recommended) holds one
    explanation per option, shown when that option is picked; ``explanation`` is the older,
    single explanation shown for the right answer (required when ``why`` is left out), and
    ``hint`` the older generic hint for any wrong answer. ``kind`` is ``"judgement"`` or ``"api"``.

    >>> Question("2 + 2?", ["3", "4"], answer=1, explanation="Arithmetic.").options
    ('3', '4')
    >>> Question("2 + 2?", ["3", "4"], answer=2, explanation="Arithmetic.")
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: answer must be the index of one of the 2 options (0 to 1), got 2
    >>> Question("2 + 2?", ["3", "4"], answer=1, why=["One short."])
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: why must give one explanation per option (2), got 1
    """

    prompt: str = field(metadata=converts(check_name))
    options: Sequence[str] = field(metadata=converts(_options))
    """Stored as a tuple of stripped, distinct strings."""
    answer: int
    """Checked against the options in ``__post_init__``."""
    explanation: str = field(default="", metadata=converts(check_text))
    hint: str = field(default="", metadata=converts(check_text))
    why: Sequence[str] | None = field(default=None, metadata=converts(optional(_strings)))
    """One explanation per option, stored as a tuple (or None)."""
    kind: str = field(default="judgement", metadata=converts(_kind))

    def __post_init__(self) -> None:
        convert_fields(self)
        answer = self.answer
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(self.options):
            raise FunnelValueError(f"answer must be the index of one of the {len(self.options)} options "
                                   f"(0 to {len(self.options) - 1}), got {self.answer!r}")
        if self.why is None:
            object.__setattr__(self, "explanation", check_name("explanation", self.explanation))
        elif len(self.why) != len(self.options):
            raise FunnelValueError(f"why must give one explanation per option ({len(self.options)}), "
                                   f"got {len(self.why)}")
        else:
            object.__setattr__(self, "explanation", self.explanation.strip())

    def feedback(self, choice: int | None) -> str:
        """The feedback text for a chosen option index, as written (None: nothing chosen yet).

        >>> Question("2 + 2?", ["3", "4"], answer=1, explanation="Arithmetic.").feedback(0)
        'Not quite. Try again.'
        >>> Question("2 + 2?", ["3", "4"], answer=1, why=["One short.", "Two and two."]).feedback(0)
        'Not quite. One short.'
        """
        if choice is None:
            return "Pick an answer first."
        if choice == self.answer:
            reason = self.why[choice] if self.why is not None else self.explanation
            extra = self.explanation if self.why is not None and self.explanation else ""
            return " ".join(part for part in ("Correct.", reason, extra) if part)
        if self.why is not None:
            return " ".join(part for part in ("Not quite.", self.why[choice], self.hint) if part)
        return f"Not quite. {self.hint or 'Try again.'}"

    def order(self, seed: str | int) -> tuple[int, ...]:
        """The written indices of the options in the order shown to the learner with ``seed``.

        Deterministic: SHA-256 of the seed and the prompt seeds :class:`random.Random`.

        >>> q = Question("Pick B", ["A", "B", "C", "D"], answer=1, explanation="B.")
        >>> q.order("ada") == q.order("ada") and sorted(q.order("ada")) == [0, 1, 2, 3]
        True
        """
        if isinstance(seed, bool) or not isinstance(seed, str | int):
            raise FunnelTypeError(f"seed must be a string or an integer, got {seed!r}")
        digest = hashlib.sha256(f"{seed}\x1f{self.prompt}".encode("utf-8", "surrogatepass")).digest()
        positions = list(range(len(self.options)))
        random.Random(int.from_bytes(digest[:8], "big")).shuffle(positions)
        return tuple(positions)


def _feedback_html(text: str) -> str:
    tone = "neutral" if text.startswith("Pick") else "correct" if text.startswith("Correct") else "wrong"
    colour = FEEDBACK_COLOURS[tone]
    return (f"<div role='status' aria-live='polite' aria-atomic='true' class='funnel-quiz-{tone}' "
            f"style='color:{colour};background:{FEEDBACK_COLOURS['background']};"
            f"border-left:4px solid {colour};padding:2px 8px'>{_MARKS[tone]} {html.escape(text)}</div>")


class _RadioGroupKeys(anywidget.AnyWidget):
    """An invisible helper that makes each question's options one keyboard radio group in the page.

    It gives the options a shared ``name`` (so the arrow keys move the answer), names the group by
    its question, and keeps JupyterLab's notebook shortcuts from taking the arrow keys
    (``_quiz_keys.js``).
    """

    _esm = _QUIZ_KEYS_ESM


class Quiz(widgets.VBox):
    """A few questions shown together, each a radio group with its own immediate feedback.

    ``seed`` fixes the shuffle (default: :func:`learner_seed`); ``shuffle=False`` shows the
    options as written.

    >>> quiz = Quiz([Question("Pick B", ["A", "B"], answer=1, explanation="B it is.")], seed=1)
    >>> quiz.answer(0, 0)
    'Not quite. Try again.'
    >>> quiz.score
    (0, 1)
    >>> quiz
    Quiz 'Self-check', 1 question:
      1. Pick B
    """

    def __init__(self, questions: Sequence[Question], title: str = "Self-check", *,
                 seed: str | int | None = None, shuffle: bool = True) -> None:
        if isinstance(questions, Question) or not isinstance(questions, Sequence) or not questions:
            raise FunnelTypeError("questions must be a non-empty list of Question objects")
        for i, q in enumerate(questions):
            if not isinstance(q, Question):
                raise FunnelTypeError(f"questions[{i}] must be a Question, got {q!r} ({type(q).__name__})")
        if not isinstance(shuffle, bool):
            raise FunnelTypeError(f"shuffle must be True or False, got {shuffle!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, str | int)):
            raise FunnelTypeError(f"seed must be a string, an integer or None, got {seed!r}")
        self.questions = tuple(questions)
        self.title = check_name("title", title)
        self.seed = learner_seed() if seed is None else seed
        self.orders = tuple(q.order(self.seed) if shuffle else tuple(range(len(q.options))) for q in self.questions)
        self._choices: list[widgets.RadioButtons] = []
        self._feedback: list[widgets.HTML] = []
        rows: list[widgets.Widget] = [widgets.HTML(f"<h4>{html.escape(self.title)}</h4>")]
        for i, (q, order) in enumerate(zip(self.questions, self.orders, strict=True)):
            choice = widgets.RadioButtons(options=[(q.options[j], j) for j in order], value=None,
                                          description=f"Q{i + 1}", tooltip=q.prompt,
                                          layout=widgets.Layout(width="auto"))
            choice.add_class("funnel-quiz-choice")
            feedback = widgets.HTML("<div role='status' aria-live='polite' aria-atomic='true'></div>")
            feedback.add_class("funnel-quiz-feedback")
            choice.observe(lambda change, i=i: self._show(i), names="value")
            self._choices.append(choice)
            self._feedback.append(feedback)
            prompt = widgets.HTML(f"<b>{i + 1}. {html.escape(q.prompt)}</b>")
            prompt.add_class("funnel-quiz-prompt")
            rows += [prompt, choice, feedback]
        self._check = widgets.Button(description="Check my answers", tooltip="Show feedback for every question")
        self._check.on_click(lambda _button: self.check_all())
        self._summary = widgets.HTML("")
        self._summary.add_class("funnel-quiz-summary")
        rows += [self._check, self._summary, _RadioGroupKeys()]
        super().__init__(rows)
        self.add_class("funnel-quiz")

    def _show(self, i: int) -> str:
        text = self.questions[i].feedback(self._choices[i].value)
        self._feedback[i].value = _feedback_html(text)
        return text

    def answer(self, question: int, choice: int) -> str:
        """Choose option ``choice`` (its index as written) for question ``question`` and return the feedback.

        >>> Quiz([Question("Pick B", ["A", "B"], answer=1, explanation="B it is.")]).answer(0, 1)
        'Correct. B it is.'
        """
        if isinstance(question, bool) or not isinstance(question, int) or not 0 <= question < len(self.questions):
            raise FunnelIndexError(f"question must be between 0 and {len(self.questions) - 1}, got {question!r}")
        options = len(self.questions[question].options)
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < options:
            raise FunnelIndexError(f"choice must be between 0 and {options - 1}, got {choice!r}")
        self._choices[question].value = choice
        return self._show(question)

    def check_all(self) -> tuple[int, int]:
        """Show feedback for every question and return (right, total).

        >>> Quiz([Question("Pick B", ["A", "B"], answer=1, explanation="B.")]).check_all()
        (0, 1)
        """
        for i in range(len(self.questions)):
            self._show(i)
        right, total = self.score
        self._summary.value = (f"<div role='status' aria-live='polite'><b>{right} of {total} right.</b>"
                               + (" Well done!" if right == total else "") + "</div>")
        return right, total

    @property
    def score(self) -> tuple[int, int]:
        """How many questions are answered correctly so far, and how many there are."""
        right = sum(c.value == q.answer for c, q in zip(self._choices, self.questions, strict=True))
        return right, len(self.questions)

    def __repr__(self) -> str:
        count = len(self.questions)
        lines = [f"Quiz {self.title!r}, {count} question{'s' if count != 1 else ''}:"]
        lines += [f"  {i}. {q.prompt}" for i, q in enumerate(self.questions, start=1)]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def static_html(self) -> str:
        """A static HTML snapshot: each question, its options in this learner's order, the answers folded away.

        It is what an HTML export, GitHub or nbviewer shows in place of the live widget.

        >>> html = Quiz([Question("Pick B", ["A", "B"], answer=1, why=["No.", "Yes."])], seed=1).static_html()
        >>> "Pick B" in html and "<details>" in html
        True
        """
        parts = [f"<div class='funnel-quiz-static'><h4>{html.escape(self.title)}</h4><ol>"]
        answers = []
        for q, order in zip(self.questions, self.orders, strict=True):
            letters = "abcdefghijklmnopqrstuvwxyz"
            items = "".join(f"<li>{html.escape(q.options[j])}</li>" for j in order)
            parts.append(f"<li><p><b>{html.escape(q.prompt)}</b></p><ol type='a'>{items}</ol></li>")
            shown = order.index(q.answer)
            reason = q.why[q.answer] if q.why is not None else q.explanation
            answers.append(f"<li>({letters[shown]}) {html.escape(q.options[q.answer])}: {html.escape(reason)}</li>")
        parts.append("</ol><details><summary>Answers</summary><ol>" + "".join(answers) + "</ol></details>")
        parts.append("<p><i>Run the notebook to answer interactively.</i></p></div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live widget for a kernel, plus a text summary and a static HTML snapshot for everything else."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.static_html()
        return bundle
