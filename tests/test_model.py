"""Stage, Step, Funnel and the ask catalogue: validation, editing and exact round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel_lib import ASK_CATALOG, Funnel, Stage, Step, catalog_frame
from funnel_lib.model import FORMAT_NAME


def ladder() -> Funnel:
    return Funnel([
        Step("Watch a clip", "entry", ask=1, value=2),
        Step("Quiz", "engagement", ask=2, value=4),
        Step("Buy", "conversion", ask=8, value=8, trust=5),
    ], name="ladder")


def test_stage_order_and_names() -> None:
    assert list(Stage) == sorted(Stage)
    assert [s.value for s in Stage] == ["entry", "engagement", "progression", "reinforcement", "conversion"]
    assert Stage("Conversion") is Stage.CONVERSION
    assert Stage.coerce(" entry ") is Stage.ENTRY
    assert Stage.ENTRY < Stage.ENGAGEMENT <= Stage.ENGAGEMENT < Stage.CONVERSION
    assert Stage.CONVERSION > Stage.ENTRY and Stage.CONVERSION >= Stage.CONVERSION
    assert Stage.ENTRY.__lt__("entry") is NotImplemented
    assert Stage.ENTRY.__le__(1) is NotImplemented
    assert Stage.ENTRY.__gt__(1) is NotImplemented
    assert Stage.ENTRY.__ge__(1) is NotImplemented


def test_unknown_stage_lists_all_five() -> None:
    with pytest.raises(ValueError, match="stage must be one of 'entry', 'engagement', 'progression', "
                                         "'reinforcement', 'conversion', got 'checkout'"):
        Step("Pay", "checkout", ask=5)
    with pytest.raises(TypeError, match="stage must be a Stage or one of"):
        Step("Pay", 3, ask=5)


@pytest.mark.parametrize(
    ("field", "bad", "kind", "message"),
    [
        ("ask", 12, ValueError, "ask must be between 0 and 10, got 12"),
        ("ask", -1, ValueError, "ask must be between 0 and 10, got -1"),
        ("value", math.nan, ValueError, "value must be a number between 0 and 10, got NaN"),
        ("trust", 10.5, ValueError, "trust must be between 0 and 10, got 10.5"),
        ("ask", "5", TypeError, "ask must be a number between 0 and 10, got '5' \\(str\\)"),
        ("ask", True, TypeError, "ask must be a number between 0 and 10, got True \\(bool\\)"),
    ],
)
def test_step_rejects_bad_sizes(field: str, bad: object, kind: type, message: str) -> None:
    kwargs = {"ask": 1.0, "value": 0.0, "trust": 0.0}
    kwargs[field] = bad  # type: ignore[assignment]
    with pytest.raises(kind, match=message):
        Step("A", "entry", **kwargs)  # type: ignore[arg-type]


def test_step_rejects_empty_names_and_bad_description() -> None:
    with pytest.raises(ValueError, match="name must be a non-empty string, got '  '"):
        Step("  ", "entry", ask=1)
    with pytest.raises(TypeError, match="name must be a string, got None"):
        Step(None, "entry", ask=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="description must be a string"):
        Step("A", "entry", ask=1, description=3)  # type: ignore[arg-type]


def test_step_is_immutable_and_replace_validates() -> None:
    step = Step("A", "entry", ask=1)
    with pytest.raises(AttributeError):
        step.ask = 3  # type: ignore[misc]
    assert step.replace(ask=3).ask == 3.0
    with pytest.raises(ValueError, match="ask must be between 0 and 10, got 11"):
        step.replace(ask=11)
    with pytest.raises(TypeError, match="unexpected field 'size'"):
        step.replace(size=3)


def test_catalogue_has_documented_defaults() -> None:
    assert len(ASK_CATALOG) >= 12
    frame = catalog_frame()
    assert frame["ask"].is_monotonic_increasing
    assert {"watch_clip", "learn_more", "quiz", "download_guide", "free_trial", "book_demo", "buy"} <= set(ASK_CATALOG)
    for entry in ASK_CATALOG.values():
        assert 0 <= entry.ask <= 10 and entry.why
    trial = Step.from_catalog("free_trial", stage="progression")
    assert (trial.ask, trial.stage, trial.action) == (5.0, Stage.PROGRESSION, "free_trial")
    assert Step.from_catalog("buy", name="Buy the course").name == "Buy the course"
    with pytest.raises(ValueError, match="action must be one of 'watch_clip'"):
        Step.from_catalog("skydive")
    with pytest.raises(TypeError, match="unexpected keyword 'colour'"):
        Step.from_catalog("buy", colour="red")
    with pytest.raises(TypeError, match="action must be a string"):
        Step.from_catalog(3)  # type: ignore[arg-type]


def test_funnel_editing() -> None:
    f = ladder()
    f.insert(1, Step("Read", "engagement", ask=1.5, value=3))
    assert [s.name for s in f] == ["Watch a clip", "Read", "Quiz", "Buy"]
    f.move("Buy", 0)
    assert f[0].name == "Buy"
    f.move(0, -1)
    assert f[-1].name == "Buy"
    assert f.remove(1).name == "Read"
    f.insert(len(f), Step("Upsell", "conversion", ask=9))
    f.insert(-1, Step("Case study", "reinforcement", ask=2, trust=6))
    assert [s.name for s in f][-2:] == ["Case study", "Upsell"]
    assert f.replace("Quiz", ask=3).ask == 3.0
    f.replace(0, Step("Clip", "entry", ask=1))
    assert f["Clip"].name == "Clip" and f.index("Quiz") == 1
    copy = f.copy(name="copy")
    copy.remove(0)
    assert len(copy) == len(f) - 1 and copy.name == "copy"


def test_funnel_never_holds_an_invalid_step() -> None:
    f = ladder()
    with pytest.raises(TypeError, match=r"steps\[1\] must be a Step, got 'Buy' \(str\)"):
        Funnel([Step("A", "entry", ask=1), "Buy"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="step must be a Step"):
        f.add({"name": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="steps must be a list of Step objects"):
        Funnel("abc")  # type: ignore[arg-type]
    with pytest.raises(IndexError, match="index must be between 0 and 2 \\(the funnel has 3 steps\\), got 7"):
        f.remove(7)
    with pytest.raises(IndexError, match="index must be between 0 and 3"):
        f.insert(9, Step("X", "entry", ask=1))
    with pytest.raises(TypeError, match="index must be a whole number"):
        f.insert("1", Step("X", "entry", ask=1))  # type: ignore[arg-type]
    with pytest.raises(IndexError, match="the funnel has no steps yet"):
        Funnel().remove(0)
    with pytest.raises(ValueError, match="no step called 'Nope'"):
        f.remove("Nope")
    with pytest.raises(TypeError, match="either a new step or field changes"):
        f.replace(0, Step("X", "entry", ask=1), ask=2)
    with pytest.raises(TypeError, match="to must be a whole number"):
        f.move(0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name must be a string"):
        Funnel([], name=3)  # type: ignore[arg-type]
    assert [s.name for s in f] == ["Watch a clip", "Quiz", "Buy"]


def test_round_trips_exactly() -> None:
    f = ladder()
    f.add(Step.from_catalog("book_demo"))
    assert Funnel.from_dict(f.to_dict()) == f
    assert Funnel.from_json(f.to_json()) == f
    assert Funnel.from_json(f.to_json(indent=None)).to_json() == f.to_json()
    assert f.to_dict()["format"] == FORMAT_NAME
    assert Funnel() != f and (f == 3) is False


def test_from_dict_rejects_bad_data() -> None:
    with pytest.raises(ValueError, match="text is not valid JSON"):
        Funnel.from_json("{nope")
    with pytest.raises(TypeError, match="text must be a JSON string"):
        Funnel.from_json(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="funnel data must be a dict"):
        Funnel.from_dict([1])
    with pytest.raises(ValueError, match="unknown key 'colour'"):
        Funnel.from_dict({"steps": [], "colour": "red"})
    with pytest.raises(ValueError, match="format must be 'small-yeses-funnel'"):
        Funnel.from_dict({"format": "other", "steps": []})
    with pytest.raises(ValueError, match=r"version must be one of \[1, 2\], got 9"):
        Funnel.from_dict({"version": 9, "steps": []})
    with pytest.raises(ValueError, match="needs 'steps' as a list"):
        Funnel.from_dict({"name": "x"})
    with pytest.raises(ValueError, match="missing key 'ask'"):
        Funnel.from_dict({"steps": [{"name": "A", "stage": "entry"}]})
    with pytest.raises(ValueError, match="unknown key 'size'"):
        Funnel.from_dict({"steps": [{"name": "A", "stage": "entry", "ask": 1, "size": 2}]})
    with pytest.raises(TypeError, match="a step must be a dict"):
        Funnel.from_dict({"steps": ["A"]})
    with pytest.raises(ValueError, match="ask must be between 0 and 10, got 40"):
        Funnel.from_dict({"steps": [{"name": "A", "stage": "entry", "ask": 40}]})


def test_frame_and_html() -> None:
    f = ladder()
    frame = f.to_frame()
    assert frame.columns.tolist() == ["name", "stage", "ask", "value", "trust"]
    assert frame.index.tolist() == [1, 2, 3]
    assert frame["ask"].dtype == "float64"
    html = f._repr_html_()
    assert html.count("class='funnel-step'") == 3 and "ladder" in html
    assert "no steps yet" in Funnel()._repr_html_()
    assert Funnel([Step("<b>", "entry", ask=1)])._repr_html_().count("&lt;b&gt;") == 1
    assert repr(f).startswith("Funnel([Step(name='Watch a clip'")


sizes = st.floats(min_value=0, max_value=10, allow_nan=False)
steps = st.builds(Step, name=st.text(min_size=1, max_size=20).filter(str.strip),
                  stage=st.sampled_from(list(Stage)), ask=sizes, value=sizes, trust=sizes)


@given(st.lists(steps, max_size=12), st.text(max_size=30))
def test_json_round_trip_for_any_funnel(items: list[Step], name: str) -> None:
    f = Funnel(items, name=name)
    assert Funnel.from_json(f.to_json()) == f
    assert Funnel.from_dict(f.to_dict()) == f


def test_catalogue_step_and_look_alike_differ_in_repr_as_in_equality() -> None:
    from_catalogue = Step.from_catalog("quiz")
    look_alike = Step("Take a 3-question quiz", "engagement", ask=2, value=4, trust=2)
    assert from_catalogue != look_alike
    assert repr(from_catalogue) != repr(look_alike)
    assert "action='quiz'" in repr(from_catalogue) and "description=" in repr(from_catalogue)
    assert repr(look_alike) == "Step(name='Take a 3-question quiz', stage='engagement', ask=2.0, value=4.0, trust=2.0)"


def test_stage_is_always_a_stage_whatever_was_given() -> None:
    assert Step("A", "  Entry ", ask=1).stage is Stage.ENTRY
    assert Step("A", Stage.ENTRY, ask=1) == Step("A", "entry", ask=1)


flags = st.booleans()
rich_steps = st.builds(
    Step, name=st.sampled_from(["Buy", "Quiz", " Quiz"]), stage=st.sampled_from(list(Stage)),
    ask=st.sampled_from([6.0, 8]), value=st.sampled_from([0, 1.5]), trust=st.just(0.0),
    description=st.sampled_from(["", "why"]), action=st.sampled_from([None, "quiz", "buy"]),
    consent_preticked=flags, card_required=flags, auto_renews=flags, cancel_effort=st.sampled_from([0, 2.5]),
    hidden_cost=st.sampled_from([0.0, 1.0]), added_extras=flags, false_urgency=flags, confirmshaming=flags,
)


@given(rich_steps, rich_steps)
def test_repr_agrees_with_equality(a: Step, b: Step) -> None:
    assert (repr(a) == repr(b)) == (a == b)


@given(rich_steps)
def test_repr_rebuilds_an_equal_step(step: Step) -> None:
    assert eval(repr(step), {"Step": Step}) == step


@given(rich_steps)
def test_steps_survive_pickle_and_copy(step: Step) -> None:
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(step)) == step and copy.deepcopy(step) == step
