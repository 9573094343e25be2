"""The lessons' self-check quiz widget: feedback, score and bad input."""

from __future__ import annotations

import pytest

from funnel_lib.quiz import Question, Quiz


def make_quiz() -> Quiz:
    return Quiz([
        Question("Best first step for strangers?", ["Buy now", "Watch a clip"], answer=1,
                 explanation="It costs almost nothing.", hint="Which one needs no trust?"),
        Question("Value after the first step?", ["Yes", "No", "Maybe"], answer=0, explanation="Value keeps people."),
    ], title="Lesson check")


def test_feedback_is_immediate_and_scored() -> None:
    quiz = make_quiz()
    assert quiz.score == (0, 2)
    assert quiz.answer(0, 0) == "Not quite. Which one needs no trust?"
    assert "D55E00" in quiz._feedback[0].value
    assert quiz.answer(0, 1) == "Correct. It costs almost nothing."
    quiz._choices[1].value = 2  # a click in the page
    assert "Try again" in quiz._feedback[1].value
    assert quiz.check_all() == (1, 2)
    assert "1 of 2 right" in quiz._summary.value
    quiz.answer(1, 0)
    quiz._check.click()
    assert "Well done" in quiz._summary.value
    assert "funnel-quiz" in quiz._dom_classes


def test_unanswered_question_asks_for_an_answer() -> None:
    quiz = make_quiz()
    quiz.check_all()
    assert "Pick an answer first." in quiz._feedback[0].value


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        ({"options": ["only"]}, ValueError, "options must hold at least 2 choices, got 1"),
        ({"options": "ab"}, TypeError, "options must be a list of strings"),
        ({"options": ["a", "a"]}, ValueError, "options must be different"),
        ({"answer": -1}, ValueError, "answer must be the index of one of the 2 options"),
        ({"prompt": ""}, ValueError, "prompt must be a non-empty string"),
        ({"hint": 3}, TypeError, "hint must be a string"),
        ({"explanation": " "}, ValueError, "explanation must be a non-empty string"),
    ],
)
def test_question_rejects_bad_input(kwargs: dict, kind: type, message: str) -> None:
    args = {"prompt": "Q?", "options": ["a", "b"], "answer": 0, "explanation": "Because."} | kwargs
    with pytest.raises(kind, match=message):
        Question(**args)


def test_quiz_rejects_bad_input() -> None:
    with pytest.raises(TypeError, match="non-empty list of Question"):
        Quiz([])
    with pytest.raises(TypeError, match=r"questions\[0\] must be a Question"):
        Quiz(["What?"])  # type: ignore[list-item]
    quiz = make_quiz()
    with pytest.raises(IndexError, match="question must be between 0 and 1, got 5"):
        quiz.answer(5, 0)
    with pytest.raises(IndexError, match="choice must be between 0 and 1, got 9"):
        quiz.answer(0, 9)
