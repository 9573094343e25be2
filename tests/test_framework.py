"""The checker: every rule fires on a funnel that breaks it and stays quiet on a near miss.

Rules that use the user model (MC5xx) are tested only on cases far from their thresholds,
so that tuning the model's parameters does not change these verdicts.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel_lib.framework import (
    LESSON_TITLES,
    LESSONS,
    PRINCIPLES,
    RULES,
    SCORE_PENALTIES,
    Finding,
    Report,
    Thresholds,
    check,
    lesson_reference,
    rules_frame,
)
from funnel_lib.model import Funnel, Step
from funnel_lib.stages import Stage
from funnel_lib.thresholds import DEFAULT_THRESHOLDS, resolve_thresholds

ALL_PRINCIPLES = [
    "step1_entry", "step2_value", "step3_next_step", "step4_gradual", "step5_trust", "step6_intent",
    "step7_reward", "step8_conversion", "too_much_too_early", "skipping_steps", "no_value_between_steps",
    "overcomplicated", "no_guidance", "stage_order", "ethics",
]


def S(name: str, stage: str, ask: float, value: float = 0, trust: float = 0) -> Step:
    return Step(name, stage, ask=ask, value=value, trust=trust)


def ladder() -> list[Step]:
    """A funnel that passes every rule: entry 1, value early, rungs of 1-2, proof before the buy."""
    return [
        S("Watch a clip", "entry", 1, 2, 1),
        S("Take a quiz", "engagement", 2, 4, 2),
        S("Download a guide", "progression", 3, 6, 3),
        S("Start a trial", "progression", 5, 7, 4),
        S("Read a case study", "reinforcement", 2, 4, 6),
        S("Buy", "conversion", 8, 8, 5),
    ]


def F(steps: list[Step]) -> Funnel:
    return Funnel(steps, name="test")


def changed(**edits: dict[str, float | str | bool]) -> Funnel:
    """The ladder with some steps' fields changed: changed(s0={"ask": 3})."""
    steps = ladder()
    for key, fields in edits.items():
        i = int(key[1:])
        steps[i] = steps[i].replace(**fields)
    return F(steps)


def without(*indices: int) -> Funnel:
    return F([s for i, s in enumerate(ladder()) if i not in indices])


def codes(funnel: Funnel, thresholds: object = None, audience: str | None = None) -> list[str]:
    return check(funnel, thresholds, audience=audience).codes  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# the baseline
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("audience", ["cold", "warm", None])
def test_the_ladder_passes_every_rule(audience: str | None) -> None:
    report = check(F(ladder()), audience=audience)
    assert report.findings == []
    assert report.ok and report.score == 100


# ---------------------------------------------------------------------------------------------
# each rule: a funnel that triggers it and a near miss that does not
# ---------------------------------------------------------------------------------------------
TRIGGER_AND_MISS: dict[str, tuple[Funnel, Funnel]] = {
    # MC1xx shape
    "MC101": (F([ladder()[0], ladder()[2], ladder()[1], *ladder()[3:]]), F(ladder())),
    "MC102": (changed(s0={"stage": "engagement"}), changed(s0={"stage": "entry"})),
    "MC103": (without(5), changed(s5={"stage": "conversion"})),
    "MC104": (without(1), F(ladder())),
    "MC105": (without(4), F(ladder())),
    "MC106": (F([ladder()[0], ladder()[5]]), F([ladder()[0], ladder()[1], ladder()[5].replace(ask=5)])),
    "MC107": (F([ladder()[0], *[S(f"Read post {k}", "engagement", 1.5, 4, 2) for k in range(3)], *ladder()[1:]]),
              F([ladder()[0], *[S(f"Read post {k}", "engagement", 1.5, 4, 2) for k in range(2)], *ladder()[1:]])),
    "MC108": (F([*[S(f"Glance {k}", "entry", 1, 2, 1) for k in range(4)], *ladder()[1:]]),
              F([*[S(f"Glance {k}", "entry", 1, 2, 1) for k in range(3)], *ladder()[1:]])),
    # MC2xx asks
    "MC201": (changed(s0={"ask": 2.5, "value": 3}), changed(s0={"ask": 2, "value": 3})),
    "MC202": (F([ladder()[0], ladder()[1], S("Book a call", "progression", 6, 6, 6), ladder()[5]]),
              F([*ladder()[:3], S("Book a call", "progression", 6, 6, 6), ladder()[5]])),
    "MC203": (changed(s5={"ask": 8.5}), changed(s5={"ask": 8})),
    "MC204": (F([ladder()[0], S("Read", "engagement", 1, 3, 2), S("Guide", "progression", 3, 6, 3),
                 S("Proof", "reinforcement", 1.5, 3, 7), S("Buy", "conversion", 4, 5, 3)]),
              F([ladder()[0], S("Read", "engagement", 2, 3, 2), S("Guide", "progression", 3, 6, 3),
                 S("Proof", "reinforcement", 1.5, 3, 7), S("Buy", "conversion", 4, 5, 3)])),
    "MC205": (changed(s2={"ask": 0.5, "value": 1}), changed(s2={"ask": 3})),
    "MC206": (changed(s4={"ask": 1.5}), changed(s4={"ask": 2})),
    "MC207": (changed(s3={"ask": 6}, s5={"ask": 5.5}), changed(s3={"ask": 6}, s5={"ask": 6})),
    # MC3xx value
    "MC301": (changed(s0={"value": 2}, s1={"value": 2.5}), changed(s0={"value": 2}, s1={"value": 3})),
    "MC302": (changed(s2={"value": 1.5}), changed(s2={"value": 2, "ask": 2})),
    "MC303": (changed(s2={"value": 1}, s3={"value": 1}), changed(s1={"value": 3.5}, s2={"value": 3})),
    "MC304": (changed(s2={"value": 2.5}), changed(s2={"value": 3})),
    # MC4xx trust
    "MC401": (changed(s5={"trust": 2.5}), changed(s5={"trust": 3})),
    "MC402": (changed(s4={"trust": 5.5}), changed(s4={"trust": 6})),
    # MC6xx ethics (more in tests/test_ethics_rules.py)
    "MC601": (changed(s2={"consent_preticked": True}), F(ladder())),
    "MC602": (changed(s3={"card_required": True, "auto_renews": True}), changed(s3={"card_required": True})),
    "MC603": (changed(s5={"auto_renews": True, "cancel_effort": 2.5}),
              changed(s5={"auto_renews": True, "cancel_effort": 2})),
    "MC604": (changed(s5={"hidden_cost": 0.5}), F(ladder())),
    "MC605": (changed(s5={"added_extras": True}), F(ladder())),
    "MC606": (changed(s5={"false_urgency": True}), F(ladder())),
    "MC607": (changed(s1={"confirmshaming": True}), F(ladder())),
}

MODEL_TRIGGER_AND_MISS: dict[str, tuple[Funnel, str, Funnel, str]] = {
    # far from the thresholds: the first step's readiness is the audience's mean exactly
    "MC501": (F([S("Glance", "entry", 1, 2, 1), S("Glance again", "entry", 1, 2, 1), *ladder()[1:]]), "hot",
              F(ladder()), "cold"),
    "MC502": (F([ladder()[0], S("Huge step", "progression", 9.5, 9, 9), *ladder()[2:]]), "cold",
              F(ladder()), "cold"),
    "MC503": (F([S("Buy now", "conversion", 8, 8, 5)]), "cold",
              F([S("Buy now", "conversion", 5, 8, 5)]), "hot"),
}


def test_every_rule_has_a_trigger_test() -> None:
    assert set(TRIGGER_AND_MISS) | set(MODEL_TRIGGER_AND_MISS) == set(RULES)


@pytest.mark.parametrize("code", sorted(TRIGGER_AND_MISS))
def test_rule_fires_on_its_trigger_and_not_on_the_near_miss(code: str) -> None:
    trigger, miss = TRIGGER_AND_MISS[code]
    found = check(trigger, audience=None)
    assert code in found.codes, found.to_frame()[["code", "message"]].to_string()
    assert code not in codes(miss)
    finding = next(f for f in found.findings if f.code == code)
    rule = RULES[code]
    assert (finding.severity, finding.principle) == (rule.severity, rule.principle)


@pytest.mark.parametrize("code", sorted(MODEL_TRIGGER_AND_MISS))
def test_model_rule_fires_on_its_trigger_and_not_on_the_near_miss(code: str) -> None:
    trigger, audience, miss, miss_audience = MODEL_TRIGGER_AND_MISS[code]
    assert code in codes(trigger, audience=audience)
    assert code not in codes(miss, audience=miss_audience)
    assert code not in codes(trigger, audience=None), "audience=None skips the model rules"
    assert code not in check(trigger, audience=audience, ignore=[code]).codes


def test_mc103_also_catches_a_conversion_that_is_not_last() -> None:
    steps = ladder()
    steps.insert(4, steps.pop(5))
    report = check(F(steps), audience=None)
    assert {"MC103", "MC101"} <= set(report.codes)
    message = next(f.message for f in report.findings if f.code == "MC103")
    assert '"Buy"' in message and "move" in message.lower()


def test_mc106_words_a_single_step_and_a_two_step_funnel_differently() -> None:
    one = check(F([S("Buy", "conversion", 8, 8, 5)]), audience=None)
    two = check(F([ladder()[0], ladder()[5]]), audience=None)
    (m1,) = [f.message for f in one.findings if f.code == "MC106"]
    (m2,) = [f.message for f in two.findings if f.code == "MC106"]
    assert "single step" in m1 and "straight from" in m2


def test_too_early_is_reported_once_not_also_as_a_jump_or_missing_proof() -> None:
    report = check(F([ladder()[0], S("Buy", "conversion", 9, 8, 5)]), audience=None)
    assert "MC202" in report.codes
    assert "MC203" not in report.codes and "MC402" not in report.codes


def test_jump_message_suggests_in_between_asks() -> None:
    report = check(changed(s3={"ask": 3.5}, s5={"ask": 10}), audience=None)
    (message,) = [f.message for f in report.findings if f.code == "MC203"]
    assert "jump of 6.5" in message and "Add 2 steps" in message and "about 5.7 and 7.8" in message


def test_a_run_of_valueless_steps_is_one_error_not_also_warnings() -> None:
    report = check(changed(s2={"value": 1}, s3={"value": 1}), audience=None)
    assert [f.code for f in report.findings if f.principle == "no_value_between_steps"] == ["MC303"]


# ---------------------------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------------------------
def test_codes_are_unique_stable_and_well_formed() -> None:
    assert all(re.fullmatch(r"MC[1-6]\d\d", code) for code in RULES)
    assert [rule.code for rule in RULES.values()] == list(RULES)
    assert len(set(RULES)) == len(RULES) >= 20


def test_every_principle_is_enforced_by_a_rule() -> None:
    assert list(PRINCIPLES) == ALL_PRINCIPLES
    enforced = {rule.principle for rule in RULES.values()}
    assert enforced == set(ALL_PRINCIPLES)


def test_every_mistake_and_the_stage_order_have_an_error_rule() -> None:
    error_principles = {rule.principle for rule in RULES.values() if rule.severity == "error"}
    for principle in ["too_much_too_early", "skipping_steps", "no_value_between_steps", "overcomplicated",
                      "no_guidance", "stage_order", "step1_entry", "step8_conversion"]:
        assert principle in error_principles


def test_model_rules_are_never_errors() -> None:
    assert all(rule.severity != "error" for rule in RULES.values() if rule.uses_model)


def test_rules_name_real_thresholds() -> None:
    names = {f.name for f in dataclasses.fields(Thresholds)}
    for rule in RULES.values():
        assert set(rule.thresholds) <= names, rule.code
    used = {name for rule in RULES.values() for name in rule.thresholds}
    assert used == names, "every threshold is used by a rule"


def test_lessons_cover_every_principle_and_agree_with_the_titles() -> None:
    assert set(LESSONS) == set(ALL_PRINCIPLES)
    assert sorted(LESSON_TITLES) == list(range(1, 14))
    for number, title in LESSONS.values():
        assert LESSON_TITLES[number] == title
    assert LESSONS["step1_entry"][0] == 2 and LESSONS["step8_conversion"][0] == 9
    assert LESSONS["overcomplicated"][0] == 11 and LESSONS["stage_order"][0] == 13


def test_rules_frame_lists_every_rule() -> None:
    frame = rules_frame()
    assert frame.index.tolist() == list(RULES)
    assert {"severity", "principle", "lesson", "checks", "thresholds"} <= set(frame.columns)


def test_lesson_reference_rejects_unknown_principles() -> None:
    with pytest.raises(ValueError, match="principle must be one of step1_entry"):
        lesson_reference("be_nice")


# ---------------------------------------------------------------------------------------------
# messages
# ---------------------------------------------------------------------------------------------
ALL_CASES = [funnel for pair in TRIGGER_AND_MISS.values() for funnel in pair] + [
    case[0] for case in MODEL_TRIGGER_AND_MISS.values()
]


@pytest.mark.parametrize("audience", ["cold", "hot"])
def test_messages_name_the_step_and_the_lesson(audience: str) -> None:
    seen = set()
    for funnel in ALL_CASES:
        for finding in check(funnel, audience=audience).findings:
            seen.add(finding.code)
            number = LESSONS[finding.principle][0]
            assert finding.message.endswith(lesson_reference(finding.principle))
            assert f"(Lesson {number:02d}" in finding.message
            if finding.step is not None:
                name = funnel.steps[finding.step].name
                assert f'"{name}"' in finding.message, finding
            assert re.search(r"\d", finding.message), "messages give numbers"
    assert len(seen) >= 15


#: What each rule's message tells the learner to do: a phrase of its own, so that a message that lost
#: its advice (or gave another rule's) fails. Every rule must be listed here.
HOW_TO_FIX = {
    "MC101": r"Move it before step \d+, or change its stage",
    "MC102": r"Add a light entry step before it, or relabel it Entry",
    "MC103": r"End with one Conversion step",
    "MC104": r"no \w+ step, so a whole stage of the journey is skipped\. Add a step whose job is to \w+",
    "MC105": r"Add a step with customer stories, a case study, reviews or a guarantee",
    "MC106": (r"Add a small next step, such as \"[^\"]+\" \(ask [\d.]+\)"
              r"|Give it at least \d+ steps: something tiny to start"),
    "MC107": r"merge or drop the steps that add neither value nor commitment",
    "MC108": r"keep one light entry and fold the rest into steps",
    "MC201": r"Open with something light and relevant, such as \"[^\"]+\" \(ask [\d.]+\), and move \"[^\"]+\" later",
    "MC202": r"Move it later, or ask for something smaller",
    "MC203": r"Add \d+ steps? in between asking for about [\d.]+",
    "MC204": r"Let the steps ask a little more each time",
    "MC205": r"Order the steps so the asks mostly climb",
    "MC206": r"move it earlier, or make it a natural follow-up",
    "MC207": r"check that the last step really is the goal, or make this step smaller",
    "MC301": r"Make \"[^\"]+\" deliver a quick, concrete win",
    "MC302": r"attach something useful to it, .* or drop it",
    "MC303": r"give each one something useful, or merge them into a single step",
    "MC304": r"Add to what people get, or ask for less",
    "MC401": r"Add trust signals at this step",
    "MC402": r"Put a step with customer stories, a case study or a guarantee before it",
    "MC501": r"drop some, or ask for a little more",
    "MC502": r"Put a smaller step before it, or make it smaller",
    "MC503": r"add value, proof or a mid-sized step before the main ask",
    "MC601": r"leave the box empty and let people tick it themselves",
    "MC602": r"Let the trial end on its own",
    "MC603": r"Let people cancel or unsubscribe the way they signed up",
    "MC604": r"Make every fee part of the price",
    "MC605": r"Let people add extras themselves",
    "MC606": r"Remove it, or state only real limits",
    "MC607": r"Give the no button a neutral label",
}


def test_every_rule_says_how_to_fix_in_its_own_words() -> None:
    assert sorted(HOW_TO_FIX) == sorted(RULES), "each rule needs its fix phrase in HOW_TO_FIX"
    seen = set()
    for funnel in ALL_CASES:
        for finding in check(funnel, audience="cold").findings:
            seen.add(finding.code)
            assert re.search(HOW_TO_FIX[finding.code], finding.message), finding.message
            others = [code for code, fix in HOW_TO_FIX.items() if code != finding.code
                      and re.search(fix, finding.message)]
            assert others == [], f"{finding.code} reads like {others}: {finding.message}"
    assert seen == set(RULES), f"no case triggers {sorted(set(RULES) - seen)}"


# ---------------------------------------------------------------------------------------------
# thresholds
# ---------------------------------------------------------------------------------------------
def test_threshold_overrides_change_verdicts() -> None:
    big_entry = changed(s0={"ask": 3, "value": 3})
    assert not check(big_entry, audience=None).ok
    assert check(big_entry, Thresholds(max_entry_ask=3), audience=None).ok
    assert check(big_entry, {"max_entry_ask": 3}, audience=None).ok
    assert "MC107" in codes(F(ladder()), {"max_steps": 5})
    assert "MC203" in codes(F(ladder()), {"max_jump": 2.5})
    assert "MC402" not in codes(changed(s4={"trust": 3}), {"proof_trust": 3})
    assert "MC401" in codes(F(ladder()), Thresholds(trust_per_ask=1))


def test_thresholds_reject_unknown_names_and_bad_values() -> None:
    with pytest.raises(TypeError, match=r"unknown threshold 'max_step'; allowed: max_entry_ask, .*max_steps"):
        check(F(ladder()), {"max_step": 10})
    with pytest.raises(TypeError, match="unknown threshold 'entry'"):
        Thresholds().replace(entry=1)
    with pytest.raises(ValueError, match="max_jump must be between 0 and 10, got 11"):
        Thresholds(max_jump=11)
    with pytest.raises(TypeError, match="max_steps must be a whole number, got 8.5"):
        Thresholds(max_steps=8.5)
    with pytest.raises(ValueError, match=r"max_steps must be at least min_steps \(3\), got 2"):
        Thresholds(max_steps=2)
    with pytest.raises(TypeError, match="thresholds must be a Thresholds, a dict of overrides"):
        check(F(ladder()), thresholds=[("max_steps", 3)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="threshold names must be strings"):
        resolve_thresholds({1: 2})  # type: ignore[dict-item]


def test_thresholds_are_frozen_documented_and_listed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_THRESHOLDS.max_steps = 3  # type: ignore[misc]
    doc = Thresholds.__doc__ or ""
    frame = Thresholds().to_frame()
    for f in dataclasses.fields(Thresholds):
        assert re.search(rf"^\s*{f.name}\s", doc, re.MULTILINE), f"{f.name} missing from the docstring table"
        assert frame.loc[f.name, "meaning"]
    assert Thresholds(max_steps=9.0).max_steps == 9 and isinstance(Thresholds(max_steps=9.0).max_steps, int)
    assert Thresholds().replace(max_jump=2) == Thresholds(max_jump=2)


def test_trust_needed_is_the_documented_line() -> None:
    t = Thresholds(trust_free_ask=3, trust_per_ask=0.5)
    assert [t.trust_needed(a) for a in (0, 3, 5, 9)] == [0.0, 0.0, 1.0, 3.0]


# ---------------------------------------------------------------------------------------------
# check() arguments
# ---------------------------------------------------------------------------------------------
def test_check_rejects_a_non_funnel_and_an_empty_funnel() -> None:
    with pytest.raises(TypeError, match=r"funnel must be a Funnel, got \[\] \(list\)"):
        check([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^funnel has no steps; add at least one Step before checking$"):
        check(Funnel([]))


def test_check_validates_audience_and_ignore() -> None:
    with pytest.raises(ValueError, match="audience must be one of 'cold', 'warm', 'hot'"):
        check(F(ladder()), audience="tepid")
    with pytest.raises(ValueError, match="ignore has unknown rule code 'MC999'"):
        check(F(ladder()), ignore=["MC999"])
    with pytest.raises(TypeError, match="ignore must be a list of rule codes"):
        check(F(ladder()), ignore=5)  # type: ignore[arg-type]
    assert "MC107" not in check(F(ladder()), {"max_steps": 5}, ignore="MC107").codes


def test_check_does_not_change_the_funnel() -> None:
    funnel = changed(s0={"ask": 4})
    before = funnel.to_dict()
    check(funnel)
    assert funnel.to_dict() == before


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------
def broken_report() -> Report:
    return check(changed(s0={"ask": 2.5, "value": 3}, s2={"value": 1.5}, s5={"ask": 4.5}))


def test_report_helpers() -> None:
    report = broken_report()
    assert report.codes == sorted(set(report.codes)) == ["MC201", "MC207", "MC302"]
    assert [f.code for f in report.errors] == ["MC201"]
    assert [f.code for f in report.warnings] == ["MC302"]
    assert [f.code for f in report.infos] == ["MC207"]
    assert not report.ok
    assert report.score == 100 - 25 - 8 - 2
    assert list(report.by_principle()) == ["step1_entry", "step8_conversion", "no_value_between_steps"]
    assert report.summary() == "test: score 65/100, 1 error, 1 warning, 1 tip. Fix the errors first: MC201."
    assert "score=65" in repr(report)


def test_findings_are_sorted_most_serious_first() -> None:
    severities = [f.severity for f in broken_report().findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_report_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="use report.ok"):
        bool(broken_report())


def test_report_to_frame_columns_and_one_based_steps() -> None:
    report = broken_report()
    frame = report.to_frame()
    assert frame.columns.tolist() == ["code", "severity", "step", "step_name", "principle", "lesson", "message"]
    assert len(frame) == len(report.findings)
    first = frame.iloc[0]
    assert (first["code"], first["step"], first["step_name"], first["lesson"]) == ("MC201", 1, "Watch a clip", 2)
    whole = check(without(4), audience=None).to_frame()
    assert whole["step"].isna().any() and str(whole["step"].dtype) == "Int64"
    empty = check(F(ladder())).to_frame()
    assert empty.empty and empty.columns.tolist() == frame.columns.tolist()


def test_report_html_has_stable_classes_and_escapes_text() -> None:
    report = check(F([S("<b>Buy</b> & co", "conversion", 8, 8, 5)]))
    page = report._repr_html_()
    for css in ("funnel-findings", "funnel-finding", "severity-error", "severity-warning", "funnel-score"):
        assert css in page
    assert "<b>Buy</b>" not in page and "&lt;b&gt;Buy&lt;/b&gt; &amp; co" in page
    assert "every rule passed" in check(F(ladder()))._repr_html_()


def test_finding_validates_its_fields() -> None:
    good = dict(code="MC201", severity="error", step=0, principle="step1_entry", message="x")
    assert Finding(**good).lesson == 2
    for field, bad in [("code", "X1"), ("severity", "fatal"), ("step", -1), ("step", True),
                       ("principle", "nice"), ("message", " ")]:
        with pytest.raises(ValueError, match=field):
            Finding(**{**good, field: bad})
    with pytest.raises(dataclasses.FrozenInstanceError):
        Finding(**good).code = "MC202"  # type: ignore[misc]


def test_adding_an_error_never_raises_the_score() -> None:
    base = check(F(ladder()))
    worse = check(changed(s0={"ask": 3}))
    worse_still = check(changed(s0={"ask": 3}, s5={"ask": 9.5}))
    assert base.score > worse.score > worse_still.score
    error = Finding("MC201", "error", 0, "step1_entry", "x")
    for report in (base, worse, worse_still):
        more = dataclasses.replace(report, findings=[*report.findings, error])
        assert more.score <= report.score
    assert SCORE_PENALTIES["error"] > SCORE_PENALTIES["warning"] > SCORE_PENALTIES["info"] > 0


# ---------------------------------------------------------------------------------------------
# properties over random funnels
# ---------------------------------------------------------------------------------------------
sizes = st.floats(min_value=0, max_value=10, allow_nan=False).map(lambda x: round(x, 1))
steps_strategy = st.builds(
    Step,
    name=st.sampled_from(["Watch", "Quiz", "Guide", "Trial", "Proof", "Buy", "Tap"]),
    stage=st.sampled_from(list(Stage)),
    ask=sizes, value=sizes, trust=sizes,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(steps_strategy, min_size=1, max_size=14),
    audience=st.sampled_from(["cold", "warm", "hot", None]),
    extra_error=st.booleans(),
)
def test_check_never_raises_and_its_report_is_consistent(steps: list[Step], audience: str | None,
                                                         extra_error: bool) -> None:
    funnel = Funnel(steps)
    report = check(funnel, audience=audience)
    assert 0 <= report.score <= 100
    assert report.ok == (not any(f.severity == "error" for f in report.findings))
    for finding in report.findings:
        assert finding.step is None or 0 <= finding.step < len(funnel)
        assert finding.code in RULES and RULES[finding.code].principle == finding.principle
    if audience is None:
        assert not any(RULES[f.code].uses_model for f in report.findings)
    frame = report.to_frame()
    assert len(frame) == len(report.findings)
    if extra_error:
        extra = Finding("MC201", "error", 0, "step1_entry", "x")
        more = dataclasses.replace(report, findings=[*report.findings, extra])
        assert more.score <= report.score and not more.ok


def test_the_documented_rules_table_matches_the_registry() -> None:
    import funnel_lib._rules as rules_module

    rows = re.findall(r"^(MC\d{3})  (\w+)\s+(\w+)\s+(.+)$", rules_module.__doc__ or "", re.MULTILINE)
    assert [(code, sev, principle, summary.strip()) for code, sev, principle, summary in rows] == [
        (r.code, r.severity, r.principle, r.summary) for r in RULES.values()
    ]


# ---------------------------------------------------------------------------------------------
# one simulation, one set of fit flags
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("audience", ["cold", "warm", "hot"])
def test_a_finished_simulation_gives_the_same_report(audience: str) -> None:
    from funnel_lib.simulate import simulate

    for funnel in ALL_CASES[:12]:
        plain = check(funnel, audience=audience)
        reused = check(funnel, audience=audience, simulation=simulate(funnel, audience))
        assert reused == plain


def test_check_with_a_simulation_does_not_simulate_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from funnel_lib import framework
    from funnel_lib.simulate import simulate

    funnel = changed(s5={"ask": 9.5})
    result = simulate(funnel, "cold")
    calls: list[object] = []
    monkeypatch.setattr(framework, "simulate", lambda *a, **k: calls.append(a) or simulate(*a, **k))
    check(funnel, simulation=result)
    assert calls == []
    check(funnel)
    assert len(calls) == 1


def test_fit_flags_are_computed_once_and_kept_on_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from funnel_lib import _rules
    from funnel_lib.framework import fit_flags

    real = _rules.fit_flags
    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> list[str | None]:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_rules, "fit_flags", counting)
    funnel = F([S("Watch a clip", "entry", 1, 3, 1), S("Huge step", "progression", 9.5, 8, 8),
                S("Buy", "conversion", 9)])
    report = check(funnel)
    assert len(calls) == 1
    assert report.fit_flags is not None and report.fit_flags[1] == "resistance"
    assert "MC502" in report.codes
    assert fit_flags is real
    assert check(funnel, audience=None).fit_flags is None


def test_check_rejects_a_simulation_of_something_else() -> None:
    from funnel_lib.simulate import simulate

    funnel = F(ladder())
    with pytest.raises(ValueError, match="simulation was run for the 'warm' audience, but audience is 'cold'"):
        check(funnel, simulation=simulate(funnel, "warm"))
    with pytest.raises(ValueError, match="simulation was run for a different funnel"):
        check(funnel, simulation=simulate(changed(s0={"ask": 2}), "cold"))
    with pytest.raises(ValueError, match=r"simulation must come from the exact engine \(users=None\)"):
        check(funnel, simulation=simulate(funnel, "cold", users=200, seed=1))
    with pytest.raises(TypeError, match="simulation must be a SimulationResult"):
        check(funnel, simulation="cold")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="simulation needs an audience"):
        check(funnel, audience=None, simulation=simulate(funnel, "cold"))


# --- what a learner reads in a finding: step numbers and names, "a"/"an", counts ----------------
# `make mutation` showed that no test pinned these down: a message could call step 3 "Step 4",
# write "a Entry step" or "1 steps", and every test still passed.

def one_finding(steps: list[Step], code: str, thresholds: Thresholds | None = None) -> Finding:
    found = [f for f in check(Funnel(steps, name="wording"), thresholds).findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got {[f.code for f in check(Funnel(steps)).findings]}"
    return found[0]


def test_a_step_out_of_stage_order_is_named_by_its_position_from_one() -> None:
    steps = ladder()
    swapped = [steps[0], steps[2], steps[1], *steps[3:]]  # an Engagement step after a Progression step
    f = one_finding(swapped, "MC101")
    assert f.step == 2
    assert f.message.startswith('Step 3 "Take a quiz" is an Engagement step but comes after '
                                'step 2 "Download a guide", a Progression step.')
    assert "Move it before step 2," in f.message


@pytest.mark.parametrize(("stage", "article"), [("engagement", "an Engagement"), ("progression", "a Progression"),
                                                 ("reinforcement", "a Reinforcement")])
def test_the_article_fits_the_stage_name(stage: str, article: str) -> None:
    steps = ladder()
    f = one_finding([steps[0].replace(stage=stage), *steps[1:]], "MC102")
    assert f.step == 0 and f.message.startswith(f'Step 1 "Watch a clip" is {article} step, but')


@pytest.mark.parametrize(("position", "before"), [(1, "after only 1 step"), (2, "after only 2 steps")])
def test_a_big_ask_too_early_counts_the_steps_before_it(position: int, before: str) -> None:
    steps = ladder()
    steps[position] = steps[position].replace(ask=8)
    f = one_finding(steps, "MC202")
    assert f.step == position
    assert f.message.startswith(f'Step {position + 1} "{steps[position].name}" asks for 8, a big commitment, '
                                f"{before}.")


def test_many_trivial_steps_are_listed_up_to_four_then_counted() -> None:
    light = [S(f"Tap {n}", "engagement", 0.5, 2, 1) for n in range(1, 7)]
    strict = Thresholds(max_trivial_steps=3, trivial_ask=1)

    steps = ladder()

    def listed(extra: int) -> str:
        f = one_finding([steps[0].replace(ask=0.5), *light[:extra], *steps[2:]], "MC108", strict)
        assert f.step is None
        return f.message.split(", more than")[0]

    assert listed(6) == '7 steps ask for less than 1 ("Watch a clip", "Tap 1", "Tap 2", "Tap 3", and 3 more)'
    assert listed(4) == '5 steps ask for less than 1 ("Watch a clip", "Tap 1", "Tap 2", "Tap 3", and 1 more)'
    assert listed(3) == '4 steps ask for less than 1 ("Watch a clip", "Tap 1", "Tap 2", "Tap 3")'
