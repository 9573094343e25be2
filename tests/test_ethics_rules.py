"""The ethics fields of a Step and the MC6xx rules that flag dark patterns.

Every rule is tested on a step that breaks it and on the same step made fair; the properties
that must hold for every funnel (fair defaults never flagged, the ethics fields never change
what the other rules say, JSON round trips) are hypothesis tests.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel_lib.examples import DARK_PATTERNS, EXAMPLES, get_pair
from funnel_lib.framework import LESSONS, RULES, Thresholds, check
from funnel_lib.model import FORMAT_VERSION, Funnel, Step
from funnel_lib.simulate import simulate
from funnel_lib.stages import Stage

ETHICS = [code for code, rule in RULES.items() if rule.principle == "ethics"]
FLAGS = ["consent_preticked", "card_required", "auto_renews", "added_extras", "false_urgency", "confirmshaming"]
SIZES = ["cancel_effort", "hidden_cost"]
FAIR = dict.fromkeys(FLAGS, False) | dict.fromkeys(SIZES, 0.0)


def ladder(**last: object) -> Funnel:
    """A sound SaaS ladder whose trial (step 4) or plan (step 6) can be given ethics fields."""
    return Funnel([
        Step.from_catalog("watch_clip"), Step.from_catalog("quiz"), Step.from_catalog("download_guide"),
        Step.from_catalog("free_trial"), Step.from_catalog("case_study"), Step.from_catalog("buy", **last),
    ], name="ladder")


def ethics_codes(funnel: Funnel, **kwargs: object) -> list[tuple[str, int | None]]:
    return [(f.code, f.step) for f in check(funnel, audience=None, **kwargs).findings if f.code in ETHICS]


def test_the_family_is_mc6xx_errors_with_principle_ethics_taught_in_lesson_12() -> None:
    assert ETHICS == ["MC601", "MC602", "MC603", "MC604", "MC605", "MC606", "MC607"]
    for code in ETHICS:
        rule = RULES[code]
        assert rule.severity == "error" and not rule.uses_model and rule.lesson == 12
    assert LESSONS["ethics"] == (12, "Ethics and law")


@pytest.mark.parametrize(("code", "index", "changes"), [
    ("MC601", 2, {"consent_preticked": True}),
    ("MC602", 3, {"card_required": True, "auto_renews": True}),
    ("MC603", 5, {"auto_renews": True, "cancel_effort": 8}),
    ("MC604", 5, {"hidden_cost": 2}),
    ("MC605", 5, {"added_extras": True}),
    ("MC606", 5, {"false_urgency": True}),
    ("MC607", 2, {"confirmshaming": True}),
])
def test_each_rule_flags_its_pattern_at_that_step_with_a_fix_and_the_lesson(
        code: str, index: int, changes: dict[str, object]) -> None:
    funnel = ladder()
    assert ethics_codes(funnel) == []
    funnel.replace(index, **changes)
    report = check(funnel, audience=None)
    found = [f for f in report.findings if f.principle == "ethics"]
    assert [(f.code, f.step) for f in found] == [(code, index)]
    assert not report.ok
    message = found[0].message
    assert message.startswith(f'Step {index + 1} "') and message.endswith("(Lesson 12: ethics and law)")
    assert len(message.split()) >= 25  # says what is wrong and how to fix it


def test_card_or_auto_renewal_alone_is_not_forced_continuity() -> None:
    # an opt-out trial (card, no automatic charge) and a subscription bought as the conversion are fair
    funnel = ladder(auto_renews=True, card_required=True, cancel_effort=1)
    funnel.replace(3, card_required=True)
    assert ethics_codes(funnel) == []
    funnel.replace(3, auto_renews=True)
    assert ethics_codes(funnel) == [("MC602", 3)]


@given(effort=st.floats(0, 10), limit=st.floats(0, 10))
def test_roach_motel_fires_exactly_above_the_threshold(effort: float, limit: float) -> None:
    funnel = ladder(auto_renews=True, cancel_effort=effort)
    flagged = ("MC603", 5) in ethics_codes(funnel, thresholds={"max_cancel_effort": limit})
    assert flagged == (effort > limit + 1e-9)


@given(hidden=st.floats(0, 7), limit=st.floats(0, 10))
def test_hidden_costs_fire_exactly_above_the_threshold(hidden: float, limit: float) -> None:
    funnel = ladder(hidden_cost=hidden)  # the catalogue's "buy" asks for 7
    flagged = ("MC604", 5) in ethics_codes(funnel, thresholds={"max_hidden_cost": limit})
    assert flagged == (hidden > limit + 1e-9)


sizes = st.floats(min_value=0, max_value=10, allow_nan=False)


@st.composite
def any_step(draw: st.DrawFn, fair: bool = False) -> Step:
    ask = draw(sizes)
    ethics = {} if fair else {
        **{flag: draw(st.booleans()) for flag in FLAGS},
        "cancel_effort": draw(sizes), "hidden_cost": draw(st.floats(0, ask)),
    }
    return Step(draw(st.text(min_size=1, max_size=12).filter(str.strip)), draw(st.sampled_from(list(Stage))),
                ask=ask, value=draw(sizes), trust=draw(sizes), **ethics)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_step(fair=True), min_size=1, max_size=8))
def test_a_funnel_with_fair_defaults_is_never_flagged_for_ethics(steps: list[Step]) -> None:
    assert ethics_codes(Funnel(steps)) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_step(), min_size=1, max_size=8))
def test_ethics_fields_never_change_what_the_other_rules_say(steps: list[Step]) -> None:
    dark = Funnel(steps)
    fair = Funnel([s.replace(**FAIR) for s in steps])
    others = [(f.code, f.step, f.message) for f in check(dark).findings if f.principle != "ethics"]
    assert others == [(f.code, f.step, f.message) for f in check(fair).findings]
    assert ethics_codes(fair) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_step(), min_size=1, max_size=8))
def test_each_flagged_step_really_has_the_pattern(steps: list[Step]) -> None:
    expected = []
    for i, s in enumerate(steps):
        pairs = [("MC601", s.consent_preticked),
                 ("MC602", s.card_required and s.auto_renews and s.stage is not Stage.CONVERSION),
                 ("MC603", s.cancel_effort > 2 + 1e-9), ("MC604", s.hidden_cost > 1e-9),
                 ("MC605", s.added_extras), ("MC606", s.false_urgency), ("MC607", s.confirmshaming)]
        expected += [(code, i) for code, hit in pairs if hit]
    assert sorted(ethics_codes(Funnel(steps))) == sorted(expected)


@settings(max_examples=80)
@given(st.lists(any_step(), max_size=6), st.text(max_size=10))
def test_json_round_trips_exactly_with_ethics_fields(steps: list[Step], name: str) -> None:
    funnel = Funnel(steps, name=name)
    assert Funnel.from_json(funnel.to_json()) == funnel
    assert Funnel.from_dict(json.loads(json.dumps(funnel.to_dict()))) == funnel
    uses = any(s.ethics() for s in steps)
    assert funnel.to_dict()["version"] == (FORMAT_VERSION if uses else 1)


@settings(max_examples=40)
@given(st.lists(any_step(fair=True), max_size=6))
def test_fair_funnels_are_written_exactly_as_before_the_ethics_fields(steps: list[Step]) -> None:
    data = Funnel(steps).to_dict()
    assert data["version"] == 1
    assert all(set(step) <= {"name", "stage", "ask", "value", "trust", "description", "action"}
               for step in data["steps"])


def test_old_files_load_and_newer_keys_need_version_2() -> None:
    old = '{"format": "small-yeses-funnel", "version": 1, "name": "x", "steps": [' \
          '{"name": "A", "stage": "entry", "ask": 1.0, "value": 0.0, "trust": 0.0}]}'
    funnel = Funnel.from_json(old)
    assert funnel.to_json(indent=None) == old
    with pytest.raises(ValueError, match="step key 'hidden_cost' needs file version 2, but the file says version 1"):
        Funnel.from_dict({"version": 1, "steps": [{"name": "A", "stage": "entry", "ask": 1, "hidden_cost": 1}]})
    with pytest.raises(ValueError, match=r"version must be one of \[1, 2\], got 3"):
        Funnel.from_dict({"version": 3, "steps": []})


def test_bad_ethics_values_are_rejected_with_the_argument_named() -> None:
    with pytest.raises(TypeError, match="auto_renews must be True or False, got 1 \\(int\\)"):
        Step("Trial", "progression", ask=5, auto_renews=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cancel_effort must be between 0 and 10, got 11"):
        Step("Plan", "conversion", ask=7, cancel_effort=11)
    with pytest.raises(ValueError, match=r"hidden_cost must be at most the step's ask \(3\), got 4"):
        Step("Plan", "conversion", ask=3, hidden_cost=4)
    with pytest.raises(ValueError, match="max_cancel_effort must be between 0 and 10, got -1"):
        Thresholds(max_cancel_effort=-1)


def test_repr_shows_only_what_differs_from_fair() -> None:
    assert repr(Step("Plan", "conversion", ask=7)) == \
        "Step(name='Plan', stage='conversion', ask=7.0, value=0.0, trust=0.0)"
    assert repr(Step("Plan", "conversion", ask=7, cancel_effort=8)).endswith("trust=0.0, cancel_effort=8.0)")


@pytest.mark.parametrize("name", list(DARK_PATTERNS))
def test_each_dark_pattern_example_is_flagged_by_its_rule_and_its_twin_is_fair(name: str) -> None:
    example = EXAMPLES[name]
    assert example.kind == "broken" and example.principle == "ethics"
    broken, twin = get_pair(name)
    assert {code for code, _ in ethics_codes(broken)} == {DARK_PATTERNS[name]}
    assert ethics_codes(twin) == []
    # the twin differs only in that step's ethics fields (and the label that described them)
    assert len(broken) == len(twin)
    changed = [i for i, (a, b) in enumerate(zip(broken, twin, strict=True)) if a != b]
    assert len(changed) == 1
    i = changed[0]
    assert broken[i].replace(name=twin[i].name, **FAIR) == twin[i]


@pytest.mark.parametrize("name", list(DARK_PATTERNS))
def test_the_user_model_cannot_see_the_harm(name: str) -> None:
    # a dark pattern does not lower the model's conversion: that is why the checker and the
    # guardrail metrics (refunds, complaints, cancellations) have to catch it
    broken, twin = get_pair(name)
    assert simulate(broken, "cold").conversion == pytest.approx(simulate(twin, "cold").conversion)
