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
from funnel_lib.simulate import simulate
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


def _cloud(middle_ask: float | None) -> Build:
    """Lessons 05 and 09: the cloud-cost consultancy's ladder; ``middle_ask`` flattens steps 2-5 to that ask."""
    def build() -> Funnel:
        steps = [S("read_post", stage="entry"), S("calculator"), S("download_guide"),
                 Step("Get a free two-week cost scan", "progression", ask=5, value=7, trust=4), S("case_study"), S("buy")]
        if middle_ask is not None:
            steps = [steps[0], *[s.replace(ask=middle_ask) for s in steps[1:5]], steps[5]]
        return Funnel(steps, name="gradual" if middle_ask is None else "tiny asks, then a jump")
    return build


def _last_only(build: Build) -> Build:
    """The one-big-ask version of a design: its last step alone."""
    return lambda: Funnel([build()[-1]], name="one big ask")


def _first_then_ask(name: str, k: int) -> Build:
    """An example's first ``k`` steps, then its conversion (lesson 09's timing table)."""
    def build() -> Funnel:
        f = get_example(name)
        return Funnel([*f.steps[:k], f[-1]], name=f"ask after {k} steps")
    return build


def _yoga_trust(shift: float = 0, at_purchase: float | None = None) -> Build:
    """Lesson 06: the yoga studio with a case study, trust shifted at every step or set at the purchase."""
    def build() -> Funnel:
        steps = [s.replace(trust=min(10, max(0, s.trust + shift))) for s in _yoga("case_study")()]
        if at_purchase is not None:
            steps[-1] = steps[-1].replace(trust=at_purchase)
        return Funnel(steps)
    return build


def _small_buy(ladder: bool) -> Build:
    """Lesson 07: a low-price, low-risk purchase (ask 3), offered directly or after three small steps."""
    def build() -> Funnel:
        buy = S("buy", name="Buy a low-price item with free returns", ask=3)
        return Funnel([S("watch_clip"), S("quiz"), S("download_guide"), buy] if ladder else [buy])
    return build


def _bakery(rewarding: bool) -> Build:
    """Lesson 08: the bakery with rewarding steps, or the same asks giving little back."""
    def build() -> Funnel:
        good = [S("watch_clip"), S("quiz", value=5), S("download_guide"), S("webinar", value=7),
                S("testimonials", value=3), S("buy", ask=7)]
        if rewarding:
            return Funnel(good)
        return Funnel([good[0], good[1].replace(value=1), good[2].replace(value=2), good[3].replace(value=3),
                       good[4], good[5]])
    return build


def _ledgerly(gradual: bool) -> Build:
    """Exercise ex02, question 4: the same five Ledgerly steps with tiny asks and a jump, or climbing asks."""
    def build() -> Funnel:
        asks = [1, 2.5, 4, 5.5] if gradual else [1, 1.5, 1.5, 2]
        stages = ["entry", "engagement", "progression", "reinforcement"]
        steps = [Step(f"step {i + 1}", stage, ask=ask, value=4, trust=3) for i, (stage, ask) in enumerate(zip(stages, asks))]
        return Funnel([*steps, Step("Subscribe to a paid plan", "conversion", ask=8, value=8, trust=5)])
    return build


def _crumb(regulars: bool) -> Build:
    """Exercise ex03, question 3: Crumb & Co.'s ladder for strangers, or the solution's funnel for last year's clients."""
    def build() -> Funnel:
        if regulars:
            return Funnel([Step("menu", "entry", ask=2, value=3, trust=3), Step("slot", "engagement", ask=4, value=5, trust=5),
                           Step("tasting", "progression", ask=5.5, value=6, trust=5),
                           Step("quote", "reinforcement", ask=5, value=6, trust=7),
                           Step("book", "conversion", ask=7, value=8, trust=6)])
        return Funnel([Step("video", "entry", ask=1, value=2, trust=1), Step("quiz", "engagement", ask=2, value=4, trust=2),
                       Step("guide", "progression", ask=3, value=5, trust=3), Step("tasting", "progression", ask=4, value=6, trust=4),
                       Step("reviews", "reinforcement", ask=1.5, value=3, trust=7), Step("book", "conversion", ask=7, value=8, trust=5)])
    return build


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
    # --- lessons 05-09 (les2) ---
    Claim("lesson 05", _cloud(None), _last_only(_cloud(None)), "cold", "robust",
          "the consultancy's gradual ladder converts more strangers than the engagement asked cold"),
    Claim("lesson 05", _cloud(None), _cloud(1), "cold", "consistency",
          "a gradual ladder beats the same steps with tiny asks and a final jump (only if bigger yeses commit more)"),
    Claim("lesson 06", _yoga_trust(at_purchase=8), _yoga_trust(at_purchase=0), "cold", "robust",
          "reassurance (a guarantee and reviews) at the purchase raises conversion"),
    Claim("lesson 06", _yoga_trust(shift=2), _yoga_trust(shift=-2), "cold", "robust",
          "more trust at every step raises conversion"),
    Claim("lesson 07", _example("online_course"), _last_only(_example("online_course")), "cold", "robust",
          "for strangers the course ladder beats the direct enrolment ask"),
    Claim("lesson 07", _small_buy(False), _small_buy(True), "hot", "robust",
          "for a simple low-risk purchase, a direct offer beats a ladder (hot audience)"),
    Claim("lesson 08", _bakery(True), _bakery(False), "cold", "robust",
          "steps that give value beat the same asks giving little back (cold)"),
    Claim("lesson 08", _bakery(True), _bakery(False), "hot", "robust",
          "steps that give value beat the same asks giving little back (hot)"),
    Claim("lesson 09", _example("b2b_consulting"), _last_only(_example("b2b_consulting")), "cold", "robust",
          "the 7-step consulting ladder converts more strangers than the one big ask"),
    Claim("lesson 09", _first_then_ask("b2b_consulting", 6), _first_then_ask("b2b_consulting", 2), "cold", "robust",
          "asking after the whole ladder converts more strangers than asking after two steps"),
    Claim("ex02", _ledgerly(True), _ledgerly(False), "cold", "consistency",
          "Ledgerly's climbing asks beat tiny asks and a jump (only if bigger yeses commit more)"),
    Claim("ex03", _crumb(True), _crumb(False), "hot", "consistency",
          "for last year's clients, a funnel with bigger steps beats the ladder for strangers (only if bigger yeses commit more)"),
    Claim("ex03", _crumb(False), _last_only(_crumb(False)), "cold", "robust",
          "for strangers, Crumb & Co.'s ladder beats the booking asked alone"),
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
