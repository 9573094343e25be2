"""The lessons' self-check quiz widget: feedback, score and bad input."""

from __future__ import annotations

import pytest

from funnel_lib.quiz import FEEDBACK_COLOURS, Question, Quiz


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
    assert FEEDBACK_COLOURS["wrong"] in quiz._feedback[0].value and "aria-live" in quiz._feedback[0].value
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


# ----------------------------------------------------------------------------------------------
# why per option, kinds, shuffling, accessibility, readable outside a kernel
# ----------------------------------------------------------------------------------------------
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import ipywidgets as widgets  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from funnel_lib._colours import AA_NORMAL_TEXT, contrast_ratio, relative_luminance  # noqa: E402
from funnel_lib.quiz import KINDS, LEARNER_SEED_ENV, learner_seed  # noqa: E402

WHY = ["Too big for strangers.", "Costs almost nothing.", "Asks for trust first.", "Skips the value."]


def why_question(**kwargs: object) -> Question:
    args = {"prompt": "Best first step for strangers?", "options": ["Buy now", "Watch a clip", "Book a call",
                                                                   "Give your phone number"],
            "answer": 1, "why": WHY} | kwargs
    return Question(**args)  # type: ignore[arg-type]


def test_each_option_explains_itself_when_picked() -> None:
    quiz = Quiz([why_question()], seed="ada")
    for choice, reason in enumerate(WHY):
        text = quiz.answer(0, choice)
        assert reason in text
        assert text.startswith("Correct." if choice == 1 else "Not quite.")
        assert html_escape(reason) in quiz._feedback[0].value


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_why_is_validated_and_keeps_old_calls_working() -> None:
    with pytest.raises(ValueError, match=r"why must give one explanation per option \(4\), got 2"):
        why_question(why=["a", "b"])
    with pytest.raises(ValueError, match=r"why\[2\] must be a non-empty string"):
        why_question(why=["a", "b", " ", "d"])
    with pytest.raises(TypeError, match="why must be a list of strings"):
        why_question(why="abcd")
    with pytest.raises(ValueError, match="kind must be one of"):
        why_question(kind="trivia")
    old = Question("Q?", ["a", "b"], 0, "Because.", "Think.")  # the positional form the lessons use
    assert old.kind == "judgement" and old.why is None and old.feedback(1) == "Not quite. Think."
    assert why_question(kind="api").kind == "api" and set(KINDS) == {"judgement", "api"}
    assert why_question(explanation="Cheap first.").feedback(1) == "Correct. Costs almost nothing. Cheap first."


@settings(max_examples=60, deadline=None)
@given(seed=st.one_of(st.text(max_size=12), st.integers()), n=st.integers(min_value=2, max_value=6),
       answer=st.data())
def test_shuffle_is_a_stable_permutation_that_tracks_the_answer(seed: str | int, n: int, answer: st.DataObject) -> None:
    options = [f"option {i}" for i in range(n)]
    right = answer.draw(st.integers(min_value=0, max_value=n - 1))
    q = Question("Which one?", options, answer=right, why=[f"because {i}" for i in range(n)])
    order = q.order(seed)
    assert sorted(order) == list(range(n)) and order == q.order(seed)
    quiz = Quiz([q], seed=seed)
    shown = [value for _label, value in quiz._choices[0].options]
    assert tuple(shown) == order
    assert [label for label, _value in quiz._choices[0].options] == [options[j] for j in order]
    quiz._choices[0].value = right  # what clicking the right label sets
    assert quiz.score == (1, 1)


def test_shuffle_differs_between_learners_and_can_be_turned_off() -> None:
    q = why_question()
    orders = {q.order(f"learner {i}") for i in range(40)}
    assert len(orders) > 10  # 24 permutations exist; 40 learners see many of them
    positions = [order.index(q.answer) for order in (q.order(f"learner {i}") for i in range(400))]
    assert all(60 <= positions.count(k) <= 140 for k in range(4))  # about 100 each
    assert Quiz([q], shuffle=False).orders == ((0, 1, 2, 3),)
    with pytest.raises(TypeError, match="seed must be a string, an integer or None"):
        Quiz([q], seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        Quiz([q], shuffle="no")  # type: ignore[arg-type]


def test_learner_seed_comes_from_the_environment_or_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LEARNER_SEED_ENV, "  s-1234 ")
    assert learner_seed() == "s-1234"
    assert Quiz([why_question()]).seed == "s-1234"
    monkeypatch.delenv(LEARNER_SEED_ENV)
    monkeypatch.setattr("getpass.getuser", lambda: "grace")
    assert learner_seed() == "grace"

    def no_user() -> str:
        raise KeyError("getpwuid(): uid not found")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert learner_seed() == "learner"


def test_options_are_a_real_radio_group_with_a_name() -> None:
    quiz = Quiz([why_question(), why_question(prompt="Second?")], seed="ada")
    for i, choice in enumerate(quiz._choices):
        assert isinstance(choice, widgets.RadioButtons)  # native radios: arrow keys move the answer
        assert choice.description == f"Q{i + 1}" and choice.tooltip == quiz.questions[i].prompt
    assert all("aria-live='polite'" in f.value for f in quiz._feedback)  # the live region exists before feedback


@pytest.mark.parametrize("tone", ["correct", "wrong", "neutral"])
def test_feedback_colours_pass_wcag_aa(tone: str) -> None:
    ratio = contrast_ratio(FEEDBACK_COLOURS[tone], FEEDBACK_COLOURS["background"])
    assert ratio >= AA_NORMAL_TEXT, f"{tone}: {ratio:.2f}:1"


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey
    assert contrast_ratio("#D55E00", "#FFFFFF") < AA_NORMAL_TEXT  # the old feedback colour failed AA
    assert relative_luminance("#fff") == 1.0
    with pytest.raises(ValueError, match="colour must be a hex colour"):
        relative_luminance("red")


def test_repr_is_a_short_list_of_questions() -> None:
    quiz = make_quiz()
    text = repr(quiz)
    assert text.splitlines() == ["Quiz 'Lesson check', 2 questions:", "  1. Best first step for strangers?",
                                 "  2. Value after the first step?"]
    assert "children=" not in text


def test_mimebundle_carries_a_static_snapshot_beside_the_widget() -> None:
    quiz = Quiz([why_question()], seed="ada")
    bundle = quiz._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == repr(quiz)
    snapshot = bundle["text/html"]
    assert "Best first step for strangers?" in snapshot and "children=" not in snapshot
    shown = [quiz.questions[0].options[j] for j in quiz.orders[0]]
    assert [snapshot.index(o) for o in shown] == sorted(snapshot.index(o) for o in shown)  # learner's order
    letter = "abcd"[quiz.orders[0].index(1)]
    assert f"({letter}) Watch a clip: Costs almost nothing." in snapshot


@pytest.mark.notebooks
@pytest.mark.timeout(180)
def test_html_export_of_a_quiz_is_readable(tmp_path: Path) -> None:
    """nbconvert's HTML export of an executed notebook with a quiz shows the questions, not widget state."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells.append(nbformat.v4.new_code_cell(
        "from funnel_lib.quiz import Question, Quiz\n"
        "Quiz([Question('Which ask fits a stranger?', ['Buy a plan', 'Watch a clip'], answer=1,\n"
        "               why=['Too big a first ask.', 'Nearly free, so many say yes.'])], seed='export')"))
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}},
                   store_widget_state=False).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert "Which ask fits a stranger?" in body and "Nearly free, so many say yes." in body
    assert "Quiz(children=" not in body and "VBox(children=" not in body and "RadioButtons(" not in body
    assert json.dumps(nb.cells[0].outputs[0]["data"]["text/plain"]).startswith('"Quiz ')


def test_ipython_pretty_printing_uses_the_summary() -> None:
    from IPython.lib.pretty import pretty

    quiz = make_quiz()
    assert pretty(quiz) == repr(quiz)


def test_why_questions_check_the_rest_of_their_arguments() -> None:
    with pytest.raises(TypeError, match="explanation must be a string"):
        why_question(explanation=3)
    with pytest.raises(TypeError, match="seed must be a string or an integer"):
        why_question().order(None)  # type: ignore[arg-type]
