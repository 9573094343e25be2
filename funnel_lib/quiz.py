"""Self-check quizzes for the lessons: multiple-choice questions with immediate feedback.

A :class:`Quiz` is an ipywidgets widget: display it in a notebook, pick an answer per question
and press *Check* (or change an answer: feedback updates at once). It keeps no score anywhere:
it is for the learner, not for grading.

>>> q = Question("Which ask suits a cold audience's first step?",
...              ["Buy now", "Watch a 10-second clip"], answer=1,
...              explanation="A first step should cost almost nothing.")
>>> quiz = Quiz([q], title="Check yourself")
>>> quiz.answer(0, 1)
'Correct. A first step should cost almost nothing.'
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from funnel_lib._validate import check_name

__all__ = ["Question", "Quiz"]


@dataclass(frozen=True, slots=True)
class Question:
    """One multiple-choice question: the prompt, the options, the index of the right one and why.

    >>> Question("2 + 2?", ["3", "4"], answer=1, explanation="Arithmetic.").options
    ('3', '4')
    >>> Question("2 + 2?", ["3", "4"], answer=2, explanation="Arithmetic.")
    Traceback (most recent call last):
    ...
    ValueError: answer must be the index of one of the 2 options (0 to 1), got 2
    """

    prompt: str
    options: Sequence[str]
    answer: int
    explanation: str
    hint: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prompt", check_name("prompt", self.prompt))
        if isinstance(self.options, str) or not isinstance(self.options, Sequence):
            raise TypeError(f"options must be a list of strings, got {self.options!r}")
        options = tuple(check_name(f"options[{i}]", o) for i, o in enumerate(self.options))
        if len(options) < 2:
            raise ValueError(f"options must hold at least 2 choices, got {len(options)}")
        if len(set(options)) != len(options):
            raise ValueError(f"options must be different from each other, got {list(options)}")
        object.__setattr__(self, "options", options)
        if isinstance(self.answer, bool) or not isinstance(self.answer, int) or not 0 <= self.answer < len(options):
            raise ValueError(f"answer must be the index of one of the {len(options)} options "
                             f"(0 to {len(options) - 1}), got {self.answer!r}")
        object.__setattr__(self, "explanation", check_name("explanation", self.explanation))
        if not isinstance(self.hint, str):
            raise TypeError(f"hint must be a string, got {self.hint!r}")

    def feedback(self, choice: int | None) -> str:
        """The feedback text for a chosen option index (None: nothing chosen yet).

        >>> Question("2 + 2?", ["3", "4"], answer=1, explanation="Arithmetic.").feedback(0)
        'Not quite. Try again.'
        """
        if choice is None:
            return "Pick an answer first."
        if choice == self.answer:
            return f"Correct. {self.explanation}"
        return f"Not quite. {self.hint or 'Try again.'}"


class Quiz(widgets.VBox):
    """A few questions shown together, each with its own immediate feedback.

    >>> quiz = Quiz([Question("Pick B", ["A", "B"], answer=1, explanation="B it is.")])
    >>> quiz.answer(0, 0)
    'Not quite. Try again.'
    >>> quiz.score
    (0, 1)
    """

    def __init__(self, questions: Sequence[Question], title: str = "Self-check") -> None:
        if isinstance(questions, Question) or not isinstance(questions, Sequence) or not questions:
            raise TypeError("questions must be a non-empty list of Question objects")
        for i, q in enumerate(questions):
            if not isinstance(q, Question):
                raise TypeError(f"questions[{i}] must be a Question, got {q!r} ({type(q).__name__})")
        self.questions = tuple(questions)
        self._choices: list[widgets.RadioButtons] = []
        self._feedback: list[widgets.HTML] = []
        rows: list[widgets.Widget] = [widgets.HTML(f"<h4>{html.escape(title)}</h4>")]
        for i, q in enumerate(self.questions):
            choice = widgets.RadioButtons(options=[(o, j) for j, o in enumerate(q.options)], value=None,
                                          description="", layout=widgets.Layout(width="auto"))
            choice.add_class("funnel-quiz-choice")
            feedback = widgets.HTML("")
            feedback.add_class("funnel-quiz-feedback")
            choice.observe(lambda change, i=i: self._show(i), names="value")
            self._choices.append(choice)
            self._feedback.append(feedback)
            rows += [widgets.HTML(f"<b>{i + 1}. {html.escape(q.prompt)}</b>"), choice, feedback]
        self._check = widgets.Button(description="Check my answers", tooltip="Show feedback for every question")
        self._check.on_click(lambda _button: self.check_all())
        self._summary = widgets.HTML("")
        self._summary.add_class("funnel-quiz-summary")
        rows += [self._check, self._summary]
        super().__init__(rows)
        self.add_class("funnel-quiz")

    def _show(self, i: int) -> str:
        text = self.questions[i].feedback(self._choices[i].value)
        colour = "#009E73" if text.startswith("Correct") else "#D55E00"
        self._feedback[i].value = f"<span style='color:{colour}'>{html.escape(text)}</span>"
        return text

    def answer(self, question: int, choice: int) -> str:
        """Choose option ``choice`` for question ``question`` (as a learner's click would) and return the feedback.

        >>> Quiz([Question("Pick B", ["A", "B"], answer=1, explanation="B it is.")]).answer(0, 1)
        'Correct. B it is.'
        """
        if isinstance(question, bool) or not isinstance(question, int) or not 0 <= question < len(self.questions):
            raise IndexError(f"question must be between 0 and {len(self.questions) - 1}, got {question!r}")
        options = len(self.questions[question].options)
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < options:
            raise IndexError(f"choice must be between 0 and {options - 1}, got {choice!r}")
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
        self._summary.value = f"<b>{right} of {total} right.</b>" + (" Well done!" if right == total else "")
        return right, total

    @property
    def score(self) -> tuple[int, int]:
        """How many questions are answered correctly so far, and how many there are."""
        right = sum(c.value == q.answer for c, q in zip(self._choices, self.questions, strict=True))
        return right, len(self.questions)
