"""The claims registry: every comparison the course teaches from the user model, checked across plausible models.

Each claim names where it is taught, the two designs, the audience and the direction ("A converts
more than B"). Its ``basis`` is either ``"robust"`` (it must hold in at least 90 % of plausible
parameter sets, see :mod:`funnel_lib.uncertainty`) or the name of the assumption it depends on, which
the lesson must then teach explicitly; such a claim must still hold at the default parameters, and it
must really not be robust (otherwise register it as robust). A *ranking* claim compares two gains
(A1 over B1 against A2 over B2) the same way.

Lesson authors: add a row for every comparative conclusion a lesson, exercise or demo teaches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from funnel_lib.examples import EXAMPLES, get_example
from funnel_lib.model import Funnel, Step
from funnel_lib.simulate import big_ask_baseline, simulate
from funnel_lib.uncertainty import PLAUSIBLE_RANGES, ROBUST_SHARE, conversion_draws

DRAWS, SEED = 200, 20240
ASSUMPTIONS = set(PLAUSIBLE_RANGES)
S = Step.from_catalog
Build = Callable[[], Funnel]


@dataclass(frozen=True)
class Claim:
    where: str                       # lesson / exercise / demo / rule that teaches it
    a: Build
    b: Build
    audience: str
    basis: str                       # "robust" or the name of the assumption it depends on
    text: str
    a2: Build | None = None          # ranking claims: (a over b) beats (a2 over b2)
    b2: Build | None = None


def _example(name: str) -> Build:
    return lambda: get_example(name)


def _yoga(proof: str | None) -> Build:
    """Lesson 06's yoga studio, with an optional proof step before the purchase."""
    def build() -> Funnel:
        steps = [S("watch_clip"), S("quiz"), S("download_guide"), S("webinar", trust=3), S("buy", ask=7)]
        if proof:
            steps.insert(4, S(proof))
        return Funnel(steps, name=f"yoga, {proof or 'no proof'}")
    return build


def _entry(action: str) -> Build:
    """Lesson 02's accounting app opening with a different first step."""
    def build() -> Funnel:
        rest = [S("calculator"), S("download_guide"), S("webinar"), S("case_study"), S("buy", ask=7)]
        return Funnel([S(action, stage="entry"), *rest], name=f"opens with {action}")
    return build


def _resistance(with_rung: bool) -> Build:
    """MC502: a step far above readiness, with or without a mid-sized rung before it."""
    def build() -> Funnel:
        middle = [S("download_guide")] if with_rung else []
        return Funnel([S("watch_clip"), S("quiz"), *middle, S("book_demo"), S("buy")])
    return build


def _clinic(mistake: str, repaired: bool) -> Build:
    """Lesson 11's clinic: a broken example, or the lesson's own repair of it (the same edits as the lesson)."""
    def build() -> Funnel:
        broken = get_example(mistake)
        if not repaired:
            return broken
        fixed = broken.copy(name=f"{mistake}, repaired")
        if mistake == "too_much_too_early":
            fixed.insert(2, S("free_trial", name="Start a 14-day free trial"))
            fixed.insert(3, S("case_study", name="Read how a team like yours saved time"))
        elif mistake == "skipping_steps":
            fixed.insert(2, S("webinar", name="Join a free live workshop"))
        elif mistake == "no_value_between_steps":
            fixed.replace(2, name="Fill in a short form to get the benchmark report", value=6)
            fixed.replace(3, name="Join a live Q&A with a consultant", value=6)
        elif mistake == "overcomplicated":
            for step in broken:
                if step.name.startswith(("Swipe", "Pick", "Confirm")):
                    fixed.remove(step.name)
        elif mistake == "no_guidance":
            fixed.move("Read our blog post on stretching", 1)
            fixed.remove("Follow us on Instagram")
        else:
            raise ValueError(f"no lesson 11 repair for {mistake!r}")
        return fixed
    return build


def _juniper() -> Funnel:
    """Lesson 13's yoga studio after its repair (a case study instead of the members' video stories)."""
    return Funnel([S("watch_clip", name="Watch a 30-second breathing exercise"),
                   S("quiz", name='Take the "which class suits you?" quiz'),
                   S("download_guide", name="Get a 7-day home routine by e-mail"),
                   S("free_trial", name="Come to a free first class"),
                   S("case_study", name="Read how three members eased a stiff back"),
                   S("starter_purchase", name="Buy a 4-week intro pass")], name="Juniper Yoga")


_MISTAKES = ("too_much_too_early", "skipping_steps", "no_value_between_steps", "overcomplicated", "no_guidance")


CLAIMS: list[Claim] = [
    # funnel_lib.examples: each good example beats its broken twin, for the example's audience
    *[Claim(f"examples.{name}", _example(e.variant_of), _example(name), e.audience,  # type: ignore[arg-type]
            {"entry_too_big": "decision_softness"}.get(name, "robust"),
            f"{e.variant_of} converts more than {name}")
      for name, e in EXAMPLES.items() if e.kind == "broken"],
    # model-based checker rules
    Claim("MC503", _example("online_course"), _example("one_big_ask"), "cold", "robust",
          "asking for the conversion before people are ready (MC503) converts less than the ladder"),
    Claim("MC502", _resistance(True), _resistance(False), "cold", "robust",
          "a mid-sized rung before a step that meets resistance (MC502) raises conversion"),
    Claim("MC501", _example("online_course"), _example("too_small_for_hot_audience"), "hot", "robust",
          "for a hot audience, extra tiny steps (MC501, stagnation) lower conversion"),
    # lessons: the comparisons issue 10 named as suspect
    Claim("lesson 02", _entry("watch_clip"), _entry("create_account"), "cold", "robust",
          "a light first step converts more than opening with an account"),
    Claim("lesson 02", _entry("quiz"), _entry("learn_more"), "cold", "robust",
          "a quiz as first step converts more than a click"),
    Claim("lesson 06", _yoga("case_study"), _yoga(None), "cold", "attention_cost",
          "a case study before the purchase raises conversion (only if an extra step costs little attention)"),
    Claim("lesson 06", _yoga("case_study"), _yoga("testimonials"), "cold", "robust",
          "a case study beats customer stories"),
    Claim("lesson 11", _example("online_course"), _example("one_big_ask"), "cold", "decision_softness",
          "mistake 1 (one big ask) costs more than mistake 3 (no value between steps)",
          a2=_example("b2b_consulting"), b2=_example("no_value_between_steps")),
    Claim("lesson 11", _example("charity_donation"), _example("overcomplicated"), "cold", "robust",
          "mistake 4 (heavy padding) costs more than mistake 3 (no value between steps)",
          a2=_example("b2b_consulting"), b2=_example("no_value_between_steps")),
    # --- lessons 10-13 (les3) ---
    Claim("lesson 10", _example("online_course"), lambda: big_ask_baseline(get_example("online_course")), "cold",
          "robust", "the online-course ladder converts more than its one big ask (consistency r = .05 to .17)"),
    *[Claim("lesson 11", _clinic(m, True), _clinic(m, False), "cold", "robust", f"the lesson's repair of {m} converts more")
      for m in _MISTAKES],
    *[Claim("lesson 11", _clinic(top, True), _clinic(top, False), "cold", "robust",
            f"repairing {top} gains more than repairing {low}", a2=_clinic(low, True), b2=_clinic(low, False))
      for top in ("too_much_too_early", "overcomplicated")
      for low in ("skipping_steps", "no_value_between_steps", "no_guidance")],
    Claim("lesson 11", _clinic("too_much_too_early", True), _clinic("too_much_too_early", False), "cold",
          "decision_softness", "repairing too_much_too_early gains more than repairing overcomplicated (assumption: how "
          "sharply people refuse an ask above their readiness, and what an extra step costs)",
          a2=_clinic("overcomplicated", True), b2=_clinic("overcomplicated", False)),
    Claim("lesson 11", _clinic("skipping_steps", True), _clinic("skipping_steps", False), "cold", "consistency",
          "repairing skipping_steps gains more than repairing no_value_between_steps (assumption: strength of consistency)",
          a2=_clinic("no_value_between_steps", True), b2=_clinic("no_value_between_steps", False)),
    Claim("lesson 13", _juniper, lambda: big_ask_baseline(_juniper()), "cold", "robust",
          "the yoga ladder converts more of a cold audience than the direct ask"),
    *[Claim("lesson 13", _juniper, lambda: big_ask_baseline(_juniper()), audience, "decision_softness",
            f"the yoga ladder converts more of a {audience} audience than the direct ask (depends on decision softness)")
      for audience in ("warm", "hot")],
]


def _gains(claim: Claim) -> tuple[np.ndarray, float]:
    """Per plausible model: how much A beats B (log ratio), minus the second pair's for rankings; and at defaults."""
    def log_ratio(a: Build, b: Build) -> tuple[np.ndarray, float]:
        fa, fb = a(), b()
        draws = np.log(conversion_draws(fa, claim.audience, DRAWS, SEED)) - np.log(conversion_draws(fb, claim.audience, DRAWS, SEED))
        default = float(np.log(simulate(fa, claim.audience).conversion) - np.log(simulate(fb, claim.audience).conversion))
        return draws, default
    draws, default = log_ratio(claim.a, claim.b)
    if claim.a2 is not None and claim.b2 is not None:
        draws2, default2 = log_ratio(claim.a2, claim.b2)
        return draws - draws2, default - default2
    return draws, default


@pytest.mark.parametrize("claim", CLAIMS, ids=[f"{c.where}: {c.text}" for c in CLAIMS])
def test_claim_holds_as_registered(claim: Claim) -> None:
    draws, default = _gains(claim)
    share = float(np.mean(draws > 0))
    assert default > 0, f"{claim.text}: false at the default parameters"
    if claim.basis == "robust":
        assert share >= ROBUST_SHARE, f"{claim.text}: holds in only {share:.0%} of plausible models"
    else:
        assert claim.basis in ASSUMPTIONS, f"unknown assumption {claim.basis!r}; use one of {sorted(ASSUMPTIONS)}"
        assert share < ROBUST_SHARE, f"{claim.text}: holds in {share:.0%} of plausible models; register it as robust"


def test_registry_covers_every_broken_example_and_model_rule() -> None:
    where = {c.where for c in CLAIMS}
    assert {f"examples.{n}" for n, e in EXAMPLES.items() if e.kind == "broken"} <= where
    assert {"MC501", "MC502", "MC503"} <= where
