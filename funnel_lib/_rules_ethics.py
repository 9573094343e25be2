"""The ethics rules (``MC6xx``, principle ``ethics``): dark patterns a funnel must not use.

A ladder of small yeses persuades by giving value and earning trust. These rules flag the
steps that instead get a yes the person did not really give, or make a no harder than it
should be. Each reads the ethics fields of :class:`funnel_lib.model.Step` (all off by default)
and says in plain words how to fix the step. Lesson 12 (ethics and law) teaches them.

=====  =======================================================================================
code   checks (every one is an error)
=====  =======================================================================================
MC601  a consent box is ticked for the person: pre-ticked consent
MC602  a step before the conversion takes a card and starts charging by itself: forced continuity
MC603  leaving what a step started takes more than max_cancel_effort: roach motel
MC604  more than max_hidden_cost of a step's ask is shown only at that step: hidden costs
MC605  a paid extra is added that the person did not choose: sneak into basket
MC606  a countdown, deadline or scarcity claim that is not true: fake urgency or scarcity
MC607  the way to say no is worded to shame the person: confirmshaming
=====  =======================================================================================

They are errors because each is a clear wrong, not a matter of taste, and several are against
consumer or data-protection law in many places (lesson 12 gives the sources). They do not use
the user model: the model predicts who says yes, and a dark pattern can raise that number while
it harms people, which is exactly why the course checks for it separately.

>>> from funnel_lib._rules import RULES
>>> RULES["MC601"].principle, RULES["MC603"].thresholds
('ethics', ('max_cancel_effort',))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from funnel_lib._rules import Emit, _Context, _n, _rule
from funnel_lib.model import Step
from funnel_lib.stages import Stage

__all__: list[str] = []  # the rules register themselves in funnel_lib._rules.RULES


class _StepRule(NamedTuple):
    """An ethics rule that looks at one step at a time: when it fires and what it tells the author."""

    code: str
    summary: str
    flagged: Callable[[_Context, Step], bool]
    says: str | Callable[[_Context, Step], str]
    thresholds: tuple[str, ...] = ()


def _register(rule: _StepRule) -> None:
    """Register ``rule``: one finding per flagged step, ``Step 3 "..."`` followed by what it says."""

    def run(ctx: _Context) -> Emit:
        for i, step in enumerate(ctx.steps):
            if rule.flagged(ctx, step):
                yield i, f"{ctx.ref(i)} {rule.says if isinstance(rule.says, str) else rule.says(ctx, step)}"

    run.__name__ = run.__qualname__ = f"_{rule.code.lower()}"
    _rule(rule.code, "error", "ethics", rule.summary, rule.thresholds)(run)


_STEP_RULES = (
    _StepRule(
        "MC601", "a consent box is ticked for the person (pre-ticked consent)",
        lambda ctx, step: step.consent_preticked,
        "shows a consent box that is already ticked. Silence or a box someone forgot to untick is not a yes: "
        "leave the box empty and let people tick it themselves, and keep the thing they came for (the guide, "
        "the trial) free of it."),
    _StepRule(
        "MC602", "a step before the conversion takes a card and starts charging by itself",
        lambda ctx, step: step.stage is not Stage.CONVERSION and step.card_required and step.auto_renews,
        "takes payment details and then starts charging unless the person cancels, although it is presented "
        "as a step before the purchase. Let the trial end on its own (no card, or no automatic charge), or "
        "make paying a separate, clear yes; at the least, remind people before the first charge and let them "
        "stop online in one step."),
    _StepRule(
        "MC603", "leaving what a step started takes more than max_cancel_effort (roach motel)",
        lambda ctx, step: step.cancel_effort > ctx.t.max_cancel_effort + 1e-9,
        lambda ctx, step: (
            f"is easy to join but hard to leave: undoing it takes an effort of {_n(step.cancel_effort)} (at "
            f"most {_n(ctx.t.max_cancel_effort)} allowed, about a click or a short online form). Let people "
            "cancel or unsubscribe the way they signed up, online and in a step or two, with no call and no "
            "maze of offers."),
        ("max_cancel_effort",)),
    _StepRule(
        "MC604", "more than max_hidden_cost of a step's ask is shown only at that step",
        lambda ctx, step: step.hidden_cost > ctx.t.max_hidden_cost + 1e-9,
        lambda ctx, step: (
            f"adds costs people were not shown before (a hidden part of {_n(step.hidden_cost)} in its ask of "
            f"{_n(step.ask)}). Make every fee part of the price from the first time a price appears; a surprise "
            "at checkout feels like a trick and brings refunds and complaints."),
        ("max_hidden_cost",)),
    _StepRule(
        "MC605", "a paid extra is added that the person did not choose",
        lambda ctx, step: step.added_extras,
        "puts a paid extra in the basket that the person never chose. Let people add extras themselves, with "
        "an empty box or an 'add' button, so every item paid for was picked."),
    _StepRule(
        "MC606", "a countdown, deadline or scarcity claim that is not true",
        lambda ctx, step: step.false_urgency,
        "pushes people with a deadline or a 'few left' claim that is not true. Remove it, or state only real "
        "limits (a real closing date, real stock), and let the value and proof of the earlier steps do the "
        "persuading."),
    _StepRule(
        "MC607", "the way to say no is worded to shame the person",
        lambda ctx, step: step.confirmshaming,
        "words the way to decline so that saying no feels shameful. Give the no button a neutral label such "
        "as 'No thanks' or 'Not now'; a yes won by guilt is not a commitment people keep."),
)

for _step_rule in _STEP_RULES:
    _register(_step_rule)
