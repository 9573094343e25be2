"""The example funnels: good ones pass the checker, broken ones fail on exactly the idea they show,
and each broken one converts worse in the user model than the good funnel it was made from."""

from __future__ import annotations

import pytest

from funnel_lib.examples import EXAMPLES, Example, get_example, get_pair, list_examples
from funnel_lib.framework import LESSONS, PRINCIPLES, RULES, check
from funnel_lib.model import Funnel
from funnel_lib.simulate import simulate

GOOD = [name for name, e in EXAMPLES.items() if e.kind == "good"]
BROKEN = [name for name, e in EXAMPLES.items() if e.kind == "broken"]

# Principles enforced only by rules that use the user model are flagged as warnings (see _rules.py):
# the model is a teaching assumption, so it never produces an error on its own.
MODEL_ONLY = {p for p in PRINCIPLES if all(r.uses_model for r in RULES.values() if r.principle == p)}


def test_there_are_enough_examples_of_both_kinds() -> None:
    assert len(EXAMPLES) >= 12
    assert len(GOOD) >= 4 and len(BROKEN) >= 8
    assert MODEL_ONLY == {"step6_intent"}


@pytest.mark.parametrize("name", GOOD)
def test_good_examples_pass_with_no_findings(name: str) -> None:
    example = EXAMPLES[name]
    report = check(example(), audience=example.audience)
    assert report.ok
    assert report.findings == [], report.to_frame()[["code", "message"]].to_string()


@pytest.mark.parametrize("name", BROKEN)
def test_broken_examples_are_flagged_for_exactly_their_mistake(name: str) -> None:
    example = EXAMPLES[name]
    report = check(example(), audience=example.audience)
    flagged = {f.principle for f in report.findings}
    errors = {f.principle for f in report.errors}
    assert example.principle in flagged
    if example.principle in MODEL_ONLY:
        assert errors == set(example.also)
        assert any(f.principle == example.principle and f.severity == "warning" for f in report.findings)
    else:
        assert not report.ok
        assert errors == {example.principle, *example.also}, report.to_frame()[["code", "message"]].to_string()


@pytest.mark.parametrize("name", [n for n in BROKEN if EXAMPLES[n].principle != "ethics"])
def test_broken_examples_convert_worse_than_the_good_version(name: str) -> None:
    # dark patterns (principle "ethics") are the exception: see tests/test_ethics_rules.py
    example = EXAMPLES[name]
    good = EXAMPLES[example.variant_of]  # type: ignore[index]
    assert good.kind == "good"
    broken_rate = simulate(example(), example.audience).conversion
    good_rate = simulate(good(), example.audience).conversion
    assert broken_rate < good_rate


@pytest.mark.parametrize("name", [n for n in GOOD if EXAMPLES[n]()[-1].ask >= 6.5])
def test_ladder_beats_one_big_ask_by_the_size_the_evidence_supports(name: str) -> None:
    """Issue 10: a sensible cold ladder ending in a big ask converts at most 3 % of the people shown
    its first step, and 1.2-5 times its one-big-ask baseline (the meta-analytic effect of one small yes is ~1.5x)."""
    from funnel_lib.simulate import big_ask_baseline

    ladder = EXAMPLES[name]()
    ladder_rate = simulate(ladder, "cold").conversion
    big_rate = simulate(big_ask_baseline(ladder), "cold").conversion
    assert ladder_rate <= 0.03
    assert 1.2 <= ladder_rate / big_rate <= 5


def test_get_example_returns_fresh_copies() -> None:
    first = get_example("saas_trial")
    first.remove(0)
    first.name = "changed"
    again = get_example("saas_trial")
    assert len(again) == len(first) + 1 and again.name != "changed"
    assert isinstance(again, Funnel)


def test_unknown_names_are_rejected_with_the_list() -> None:
    with pytest.raises(ValueError, match=r"name must be one of 'online_course', .*'saas_trial'.*, got 'gym'"):
        get_example("gym")
    with pytest.raises(TypeError, match="name must be one of"):
        get_example(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name must be a broken example to have a pair"):
        get_pair("local_gym")


def test_list_examples_describes_every_example() -> None:
    table = list_examples()
    assert table.index.tolist() == list(EXAMPLES)
    assert table.columns.tolist() == ["kind", "principle", "mistake", "lesson", "audience", "variant_of", "steps",
                                      "story"]
    assert set(table["kind"]) == {"good", "broken"}
    broken = table[table["kind"] == "broken"]
    assert broken["principle"].notna().all() and broken["variant_of"].isin(GOOD).all()
    assert all(table.loc[n, "lesson"] == LESSONS[table.loc[n, "principle"]][0] for n in broken.index)
    assert all(len(story) <= 110 for story in table["story"])


def test_the_five_mistakes_each_have_a_broken_example() -> None:
    shown = {EXAMPLES[n].principle for n in BROKEN}
    for mistake in ["too_much_too_early", "skipping_steps", "no_value_between_steps", "overcomplicated",
                    "no_guidance", "stage_order", "step5_trust"]:
        assert mistake in shown


def test_examples_are_realistic_funnels() -> None:
    for name, example in EXAMPLES.items():
        funnel = example()
        assert funnel.name and len({s.name for s in funnel}) == len(funnel), name
    assert len(get_example("overcomplicated")) >= 12


def test_example_metadata_is_validated() -> None:
    with pytest.raises(ValueError, match="kind must be one of 'good', 'broken', got 'meh'"):
        Example("x", "meh", "story", lambda: Funnel([]))
    with pytest.raises(ValueError, match="a broken example needs a principle and variant_of"):
        Example("x", "broken", "story", lambda: Funnel([]), principle="stage_order")
    with pytest.raises(ValueError, match="principle must be one of"):
        Example("x", "broken", "story", lambda: Funnel([]), principle="oops", variant_of="online_course")
    with pytest.raises(ValueError, match="audience must be one of"):
        Example("x", "good", "story", lambda: Funnel([]), audience="tepid")
