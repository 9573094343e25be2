"""The checker's rules, the principles they enforce and the lessons that teach them.

Every rule has a stable code (``MC101`` ...), one severity, one principle and a one-line
summary; :data:`RULES` is the registry the lessons and the instructor guide list (see
:func:`rules_frame`). Codes are grouped by family:

* ``MC1xx`` the funnel's shape: stages, length, where it ends;
* ``MC2xx`` the asks: entry, pacing, jumps and drops;
* ``MC3xx`` value and reward;
* ``MC4xx`` trust;
* ``MC5xx`` fit with the audience, using the course's user model (:mod:`funnel_lib.simulate`);
* ``MC6xx`` ethics: dark patterns (defined in :mod:`funnel_lib._rules_ethics`).

The rules (``sev.`` is the severity):

=====  =======  ======================  ==============================================================================
code   sev.     principle               checks
=====  =======  ======================  ==============================================================================
MC101  error    stage_order             a step's stage comes before the stage of the step ahead of it
MC102  warning  stage_order             the first step is not an Entry step
MC103  error    step8_conversion        the last step is not a Conversion step
MC104  warning  skipping_steps          no Engagement or no Progression step: a whole stage is skipped
MC105  warning  step5_trust             no Reinforcement step before the conversion
MC106  error    step3_next_step         the funnel has fewer than min_steps steps: no next step to build on
MC107  warning  overcomplicated         the funnel has more than max_steps steps
MC108  error    overcomplicated         more than max_trivial_steps steps ask for less than trivial_ask
MC201  error    step1_entry             the first step asks for more than max_entry_ask
MC202  error    too_much_too_early      a big ask (big_ask or more) comes before warmup_steps smaller steps
MC203  error    skipping_steps          an ask rises more than max_jump above the biggest ask before it
MC204  warning  step4_gradual           fewer than min_rungs steps between entry and conversion raise the ask
MC205  error    no_guidance             the asks drop by more than drop_tolerance more than max_drops times
MC206  warning  no_guidance             one step asks more than max_drop less than the step before it
MC207  info     step8_conversion        an earlier step asks for more than the final conversion
MC301  error    step2_value             none of the first early_value_steps steps gives at least min_early_value
MC302  warning  no_value_between_steps  a step after the entry gives less than min_value
MC303  error    no_value_between_steps  two or more steps in a row give less than min_value
MC304  warning  step7_reward            a step before the conversion gives back less than reward_ratio x its ask
MC401  warning  step5_trust             a step shows less trust than trust_per_ask x (ask - trust_free_ask)
MC402  error    step5_trust             a big ask comes with no earlier step showing proof_trust or more
MC501  warning  step6_intent            stagnation_run+ steps in a row ask over stagnation_gap below predicted readiness
MC502  warning  step6_intent            a step before the conversion asks over resistance_gap above predicted readiness
MC503  warning  step8_conversion        the conversion asks over readiness_gap above predicted readiness
MC601  error    ethics                  a consent box is ticked for the person (pre-ticked consent)
MC602  error    ethics                  a step before the conversion takes a card and starts charging by itself
MC603  error    ethics                  leaving what a step started takes more than max_cancel_effort (roach motel)
MC604  error    ethics                  more than max_hidden_cost of a step's ask is shown only at that step
MC605  error    ethics                  a paid extra is added that the person did not choose
MC606  error    ethics                  a countdown, deadline or scarcity claim that is not true
MC607  error    ethics                  the way to say no is worded to shame the person
=====  =======  ======================  ==============================================================================

Structural rules (``MC1xx``-``MC4xx``) judge only the numbers on the steps. The ``MC5xx`` rules
ask the teaching model how ready the people reaching each step are; because that rests on the
model's assumptions they are warnings, never errors, and ``check(..., audience=None)`` skips them.

>>> RULES["MC201"].principle, RULES["MC201"].severity, RULES["MC201"].lesson
('step1_entry', 'error', 2)
>>> LESSONS["skipping_steps"]
(11, 'Common mistakes')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from funnel_lib.catalog import ASK_CATALOG
from funnel_lib.model import Step
from funnel_lib.stages import Stage
from funnel_lib.thresholds import Thresholds

__all__ = [
    "PRINCIPLES", "MISTAKES", "LESSONS", "LESSON_TITLES", "SEVERITIES",
    "Finding", "Rule", "RULES", "rules_frame", "lesson_reference", "fit_flags",
]

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
"""Severities, most serious first: an error is a clear mistake, a warning a softer issue, info a tip."""

LESSON_TITLES: dict[int, str] = {
    1: "Why big asks fail",
    2: "A low-friction entry point",
    3: "Immediate value",
    4: "The next small step",
    5: "Gradual commitment",
    6: "Trust at every step",
    7: "Matching each step to intent",
    8: "Rewarding steps",
    9: "The transition to conversion",
    10: "The psychology of small yeses",
    11: "Common mistakes",
    12: "Ethics and law",
    13: "The whole framework",
}
"""The course's lessons by number (notebook files are numbered the same way)."""

PRINCIPLES: tuple[str, ...] = (
    "step1_entry", "step2_value", "step3_next_step", "step4_gradual", "step5_trust", "step6_intent",
    "step7_reward", "step8_conversion", "too_much_too_early", "skipping_steps", "no_value_between_steps",
    "overcomplicated", "no_guidance", "stage_order", "ethics",
)
"""The 15 ideas the checker enforces: the framework's eight steps, five named mistakes, stage order and ethics."""

MISTAKES: dict[str, str] = {
    "too_much_too_early": "asking for too much too early",
    "skipping_steps": "skipping steps",
    "no_value_between_steps": "no value between steps",
    "overcomplicated": "an overcomplicated funnel",
    "no_guidance": "failing to guide progression",
}
"""The five named mistakes (all taught in lesson 11), by principle."""

LESSONS: dict[str, tuple[int, str]] = {
    "step1_entry": (2, LESSON_TITLES[2]),
    "step2_value": (3, LESSON_TITLES[3]),
    "step3_next_step": (4, LESSON_TITLES[4]),
    "step4_gradual": (5, LESSON_TITLES[5]),
    "step5_trust": (6, LESSON_TITLES[6]),
    "step6_intent": (7, LESSON_TITLES[7]),
    "step7_reward": (8, LESSON_TITLES[8]),
    "step8_conversion": (9, LESSON_TITLES[9]),
    **{mistake: (11, LESSON_TITLES[11]) for mistake in MISTAKES},
    "stage_order": (13, LESSON_TITLES[13]),
    "ethics": (12, LESSON_TITLES[12]),
}
"""Which lesson teaches each principle: principle -> (lesson number, lesson title)."""

_CODE = re.compile(r"^MC\d{3}$")


def lesson_reference(principle: str) -> str:
    """The lesson pointer that ends every finding's message, e.g. ``(Lesson 02: a low-friction entry point)``.

    >>> lesson_reference("step1_entry")
    '(Lesson 02: a low-friction entry point)'
    >>> lesson_reference("skipping_steps")
    '(Lesson 11: common mistakes, skipping steps)'
    """
    if principle not in LESSONS:
        raise ValueError(f"principle must be one of {', '.join(PRINCIPLES)}, got {principle!r}")
    number, title = LESSONS[principle]
    title = title[0].lower() + title[1:]
    if principle in MISTAKES:
        title = f"{title}, {MISTAKES[principle]}"
    return f"(Lesson {number:02d}: {title})"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem the checker found: which rule, how serious, where, which idea, and how to fix it.

    ``step`` is the 0-based position of the step in ``funnel.steps``, or ``None`` when the
    finding is about the funnel as a whole.

    >>> f = Finding("MC201", "error", 0, "step1_entry", 'Step 1 "Buy" asks for 8 ...')
    >>> f.lesson, f.step
    (2, 0)
    >>> Finding("MC201", "fatal", 0, "step1_entry", "...")
    Traceback (most recent call last):
    ...
    ValueError: severity must be one of 'error', 'warning', 'info', got 'fatal'
    """

    code: str
    severity: str
    step: int | None
    principle: str
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.match(self.code):
            raise ValueError(f"code must look like 'MC101' (MC and three digits), got {self.code!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(map(repr, SEVERITIES))}, got {self.severity!r}")
        if self.step is not None and (isinstance(self.step, bool) or not isinstance(self.step, int) or self.step < 0):
            raise ValueError(f"step must be a 0-based step index (0 or more) or None, got {self.step!r}")
        if self.principle not in PRINCIPLES:
            raise ValueError(f"principle must be one of {', '.join(PRINCIPLES)}, got {self.principle!r}")
        if not isinstance(self.message, str) or not self.message.strip():
            raise ValueError(f"message must be a non-empty string, got {self.message!r}")

    @property
    def lesson(self) -> int:
        """Number of the lesson that teaches this finding's principle.

        >>> Finding("MC203", "error", 3, "skipping_steps", "...").lesson
        11
        """
        return LESSONS[self.principle][0]


class _Context:
    """What every rule reads: the steps as numbers, the thresholds and (optionally) predicted readiness."""

    __slots__ = ("steps", "t", "audience", "readiness", "n", "asks", "values", "trusts", "too_early", "fit")

    def __init__(self, steps: Sequence[Step], thresholds: Thresholds, audience: str | None,
                 readiness: Sequence[float] | None) -> None:
        self.steps = tuple(steps)
        self.t = thresholds
        self.audience = audience
        self.readiness = None if readiness is None else tuple(float(r) for r in readiness)
        self.n = len(self.steps)
        self.asks = [s.ask for s in self.steps]
        self.values = [s.value for s in self.steps]
        self.trusts = [s.trust for s in self.steps]
        # a big ask with fewer than `warmup_steps` steps before it: reported once, as too much too early
        self.too_early = frozenset(
            i for i, a in enumerate(self.asks) if a >= thresholds.big_ask and i < thresholds.warmup_steps
        )
        # how each ask fits the people arriving (MC501-MC503 and Report.fit_flags): computed once
        self.fit: tuple[str | None, ...] | None = None if self.readiness is None else tuple(
            fit_flags(self.asks, self.readiness, [self.is_conversion(i) for i in range(self.n)], thresholds))

    def ref(self, i: int, word: str = "Step") -> str:
        """``Step 3 "Download the guide"`` (positions from 1, as the learner sees them)."""
        return f'{word} {i + 1} "{self.steps[i].name}"'

    def is_conversion(self, i: int) -> bool:
        return self.steps[i].stage is Stage.CONVERSION

    def before_conversion(self) -> list[int]:
        """Indices of every step that is not a Conversion-stage step."""
        return [i for i in range(self.n) if not self.is_conversion(i)]


Emit = Iterator[tuple[int | None, str]]
"""A rule yields (step index or None, message) pairs; the engine wraps them in Findings."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One check of the framework: a stable code, its severity and principle, and what it looks at.

    >>> rule = RULES["MC203"]
    >>> rule.principle, rule.thresholds
    ('skipping_steps', ('max_jump',))
    """

    code: str
    severity: str
    principle: str
    summary: str
    thresholds: tuple[str, ...] = ()
    uses_model: bool = False
    func: Callable[[_Context], Emit] = field(default=lambda ctx: iter(()), repr=False, compare=False)

    @property
    def lesson(self) -> int:
        """Number of the lesson that teaches this rule's principle.

        >>> RULES["MC402"].lesson
        6
        """
        return LESSONS[self.principle][0]

    def run(self, ctx: _Context) -> list[Finding]:
        """Apply the rule to a prepared context and return its findings (``check`` does this for you).

        >>> ctx = _Context([Step("Buy", "conversion", ask=8)], Thresholds(), None, None)
        >>> [(f.code, f.step) for f in RULES["MC201"].run(ctx)]
        [('MC201', 0)]
        """
        suffix = lesson_reference(self.principle)
        return [Finding(self.code, self.severity, step, self.principle, f"{message} {suffix}")
                for step, message in self.func(ctx)]


RULES: dict[str, Rule] = {}
"""Every rule by code, in the order the checker applies them."""


def _rule(code: str, severity: str, principle: str, summary: str, thresholds: tuple[str, ...] = (),
          uses_model: bool = False) -> Callable[[Callable[[_Context], Emit]], Callable[[_Context], Emit]]:
    def register(func: Callable[[_Context], Emit]) -> Callable[[_Context], Emit]:
        if code in RULES:  # pragma: no cover - guards the registry while editing
            raise ValueError(f"rule code {code} is used twice")
        RULES[code] = Rule(code, severity, principle, summary, thresholds, uses_model, func)
        return func
    return register


def _n(x: float) -> str:
    """A size for a message: ``3``, ``2.5``, ``4.2``."""
    return f"{round(x, 1):g}"


def _names(ctx: _Context, indices: Sequence[int], limit: int = 4) -> str:
    shown = [f'"{ctx.steps[i].name}"' for i in indices[:limit]]
    if len(indices) > limit:
        shown.append(f"and {len(indices) - limit} more")
    return ", ".join(shown)


def _a(word: str) -> str:
    """``a Progression``, ``an Entry``."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _catalog_hint(ask: float) -> str:
    """A catalogue action whose ask is close to ``ask``, as an example of a step to add."""
    entries = [e for e in ASK_CATALOG.values() if e.stage is not Stage.CONVERSION]
    best = min(entries, key=lambda e: (abs(e.ask - ask), e.ask))
    return f'"{best.label}" (ask {_n(best.ask)})'


# ---------------------------------------------------------------------------------------------
# MC1xx - the funnel's shape
# ---------------------------------------------------------------------------------------------
_STAGE_PATH = " -> ".join(stage.label for stage in Stage)


@_rule("MC101", "error", "stage_order", "a step's stage comes before the stage of the step ahead of it")
def _stage_backwards(ctx: _Context) -> Emit:
    for i in range(1, ctx.n):
        here, before = ctx.steps[i].stage, ctx.steps[i - 1].stage
        if here < before:
            yield i, (f"{ctx.ref(i)} is {_a(here.label)} step but comes after {ctx.ref(i - 1, 'step')}, "
                      f"{_a(before.label)} step. Stages run {_STAGE_PATH}, so people move from a light first "
                      f"contact to the main action. Move it before step {i}, or change its stage.")


@_rule("MC102", "warning", "stage_order", "the first step is not an Entry step")
def _first_not_entry(ctx: _Context) -> Emit:
    first = ctx.steps[0]
    if first.stage is not Stage.ENTRY:
        yield 0, (f"{ctx.ref(0)} is {_a(first.stage.label)} step, but a funnel should open with an Entry step "
                  "whose only job is to catch attention at almost no cost. Add a light entry step before it, "
                  "or relabel it Entry if it really is that light.")


@_rule("MC103", "error", "step8_conversion", "the last step is not a Conversion step")
def _last_not_conversion(ctx: _Context) -> Emit:
    last = ctx.n - 1
    if ctx.is_conversion(last):
        return
    earlier = [i for i in range(ctx.n) if ctx.is_conversion(i)]
    stage = ctx.steps[last].stage.label
    if earlier:
        j = earlier[-1]
        yield last, (f"The last step, {ctx.ref(last, 'step')}, is {_a(stage)} step, but the conversion "
                     f"({ctx.ref(j, 'step')}) comes before it. Make the main action the final step: move "
                     f'"{ctx.steps[j].name}" to the end, after the steps that prepare people for it.')
    else:
        yield last, (f"The last step, {ctx.ref(last, 'step')}, is {_a(stage)} step and the funnel never asks for the "
                     "main action. End with one Conversion step (buy, subscribe, donate, sign) once the "
                     "earlier steps have given value and shown proof.")


@_rule("MC104", "warning", "skipping_steps", "no Engagement or no Progression step: a whole stage is skipped",
       ("min_steps",))
def _missing_middle_stage(ctx: _Context) -> Emit:
    if ctx.n < ctx.t.min_steps:
        return  # MC106 already says the funnel is too short
    present = {s.stage for s in ctx.steps}
    for stage in (Stage.ENGAGEMENT, Stage.PROGRESSION):
        if stage not in present:
            yield None, (f"The funnel has no {stage.label} step, so a whole stage of the journey is skipped. "
                         f"Add a step whose job is to {stage.goal}; without it people are asked to go further "
                         "than they have been shown a reason to.")


@_rule("MC105", "warning", "step5_trust", "no Reinforcement step before the conversion", ("min_steps",))
def _missing_reinforcement(ctx: _Context) -> Emit:
    if ctx.n < ctx.t.min_steps:
        return
    last_conversion = max((i for i in range(ctx.n) if ctx.is_conversion(i)), default=ctx.n)
    if not any(s.stage is Stage.REINFORCEMENT for s in ctx.steps[:last_conversion]):
        yield None, ("No Reinforcement step comes before the conversion: nothing shows proof that the offer "
                     "works for people like the reader. Add a step with customer stories, a case study, "
                     "reviews or a guarantee just before the main ask.")


@_rule("MC106", "error", "step3_next_step", "the funnel has fewer than min_steps steps: no next step to build on",
       ("min_steps",))
def _too_few_steps(ctx: _Context) -> Emit:
    if ctx.n >= ctx.t.min_steps:
        return
    need = ctx.t.min_steps
    if ctx.n == 1:
        yield None, (f'The funnel is a single step, "{ctx.steps[0].name}": there is no small first yes and no '
                     f"next step to build on. Give it at least {need} steps: something tiny to start, then a "
                     "slightly deeper step that builds on it, then the main action.")
    else:
        yield None, (f'The funnel goes straight from "{ctx.steps[0].name}" to "{ctx.steps[-1].name}" with '
                     f"nothing in between; it needs at least {need} steps so that each yes leads to a slightly "
                     f"bigger next one. Add a small next step, such as {_catalog_hint(2)}.")


@_rule("MC107", "warning", "overcomplicated", "the funnel has more than max_steps steps", ("max_steps",))
def _too_many_steps(ctx: _Context) -> Emit:
    if ctx.n > ctx.t.max_steps:
        yield None, (f"The funnel has {ctx.n} steps, more than {ctx.t.max_steps}. Every extra step loses a "
                     "few people; merge or drop the steps that add neither value nor commitment.")


@_rule("MC108", "error", "overcomplicated",
       "more than max_trivial_steps steps ask for less than trivial_ask",
       ("trivial_ask", "max_trivial_steps"))
def _too_many_trivial(ctx: _Context) -> Emit:
    trivial = [i for i in ctx.before_conversion() if ctx.asks[i] < ctx.t.trivial_ask]
    if len(trivial) > ctx.t.max_trivial_steps:
        yield None, (f"{len(trivial)} steps ask for less than {_n(ctx.t.trivial_ask)} ({_names(ctx, trivial)}), "
                     f"more than the {ctx.t.max_trivial_steps} allowed. Clicks that do not move people "
                     "forward make the journey long and tiring: keep one light entry and fold the rest into "
                     "steps that give value or raise the commitment a little.")


# ---------------------------------------------------------------------------------------------
# MC2xx - the asks
# ---------------------------------------------------------------------------------------------
@_rule("MC201", "error", "step1_entry", "the first step asks for more than max_entry_ask", ("max_entry_ask",))
def _entry_too_big(ctx: _Context) -> Emit:
    ask = ctx.asks[0]
    if ask > ctx.t.max_entry_ask:
        yield 0, (f"{ctx.ref(0)} asks for {_n(ask)}; an entry step should ask for at most "
                  f"{_n(ctx.t.max_entry_ask)} so a stranger can say yes without thinking. Open with something "
                  f"light and relevant, such as {_catalog_hint(1)}, and move "
                  f'"{ctx.steps[0].name}" later.')


@_rule("MC202", "error", "too_much_too_early",
       "a big ask (big_ask or more) comes before warmup_steps smaller steps", ("big_ask", "warmup_steps"))
def _big_ask_too_early(ctx: _Context) -> Emit:
    for i in sorted(ctx.too_early):
        before = "as the very first step" if i == 0 else f"after only {_plural(i, 'step')}"
        yield i, (f"{ctx.ref(i)} asks for {_n(ctx.asks[i])}, a big commitment, {before}. A big ask (size "
                  f"{_n(ctx.t.big_ask)} or more) should wait until people have said at least "
                  f"{ctx.t.warmup_steps} smaller yeses and have had value and proof. Move it later, or ask for "
                  "something smaller at this point.")


@_rule("MC203", "error", "skipping_steps", "an ask rises more than max_jump above the biggest ask before it",
       ("max_jump",))
def _jump(ctx: _Context) -> Emit:
    for i in range(1, ctx.n):
        if i in ctx.too_early:
            continue  # reported as too much too early (MC202)
        j = int(np.argmax(ctx.asks[:i]))
        built, ask = ctx.asks[j], ctx.asks[i]
        jump = ask - built
        if jump > ctx.t.max_jump + 1e-9:
            missing = max(1, math.ceil(jump / ctx.t.max_jump - 1e-9) - 1)
            targets = [built + jump * (k + 1) / (missing + 1) for k in range(missing)]
            sizes = " and ".join(_n(x) for x in targets)
            yield i, (f"{ctx.ref(i)} asks for {_n(ask)}, but the biggest yes so far was {_n(built)} "
                      f"({ctx.ref(j, 'step')}): a jump of {_n(jump)}, more than {_n(ctx.t.max_jump)}. Add "
                      f"{_plural(missing, 'step')} in between asking for about {sizes}, such as "
                      f"{_catalog_hint(targets[0])}, so each yes is only a little bigger than the last.")


@_rule("MC204", "warning", "step4_gradual",
       "fewer than min_rungs steps between entry and conversion raise the ask", ("min_rungs", "min_steps"))
def _few_rungs(ctx: _Context) -> Emit:
    if ctx.n < max(3, ctx.t.min_steps):
        return
    highest = ctx.asks[0]
    rungs = 0
    for i in range(1, ctx.n - 1):
        if ctx.asks[i] > highest:
            rungs += 1
            highest = ctx.asks[i]
    if rungs < ctx.t.min_rungs:
        count = "No step" if rungs == 0 else f"Only {_plural(rungs, 'step')}"
        yield None, (f"{count} between the entry and the conversion "
                     f"{'raise' if rungs > 1 else 'raises'} the ask (at least {ctx.t.min_rungs} expected), so "
                     "commitment hardly grows before the main action. Let the steps ask a little more each "
                     "time: from noticing, to being interested, to seriously considering the offer.")


@_rule("MC205", "error", "no_guidance",
       "the asks drop by more than drop_tolerance more than max_drops times",
       ("drop_tolerance", "max_drops"))
def _zigzag(ctx: _Context) -> Emit:
    drops = [i for i in range(1, ctx.n) if ctx.asks[i] < ctx.asks[i - 1] - ctx.t.drop_tolerance]
    if len(drops) > ctx.t.max_drops:
        where = ", ".join(f"step {i + 1}" for i in drops)
        i = drops[ctx.t.max_drops]
        yield i, (f"The asks go down {len(drops)} times ({where}); more than {ctx.t.max_drops} drop leaves people "
                  f"unsure where the funnel is taking them. {ctx.ref(i)} asks for {_n(ctx.asks[i])} after "
                  f"{_n(ctx.asks[i - 1])}. Order the steps so the asks mostly climb, keeping at most one dip "
                  "(a proof step just before the main ask).")


@_rule("MC206", "warning", "no_guidance", "one step asks more than max_drop less than the step before it",
       ("max_drop",))
def _big_drop(ctx: _Context) -> Emit:
    for i in range(1, ctx.n):
        drop = ctx.asks[i - 1] - ctx.asks[i]
        if drop > ctx.t.max_drop + 1e-9:
            yield i, (f"{ctx.ref(i)} asks for {_n(ctx.asks[i])} right after a step that asked for "
                      f"{_n(ctx.asks[i - 1])}, a drop of {_n(drop)} (more than {_n(ctx.t.max_drop)}). A sudden "
                      "small ask after a big one feels like a detour; move it earlier, or make it a natural "
                      "follow-up to the step before.")


@_rule("MC207", "info", "step8_conversion", "an earlier step asks for more than the final conversion")
def _conversion_not_biggest(ctx: _Context) -> Emit:
    last = ctx.n - 1
    if last == 0 or not ctx.is_conversion(last):
        return
    j = int(np.argmax(ctx.asks[:last]))
    if ctx.asks[j] > ctx.asks[last]:
        yield j, (f"{ctx.ref(j)} asks for {_n(ctx.asks[j])}, more than the conversion "
                  f'"{ctx.steps[last].name}" ({_n(ctx.asks[last])}). The main action is normally the biggest ask; '
                  "check that the last step really is the goal, or make this step smaller.")


# ---------------------------------------------------------------------------------------------
# MC3xx - value and reward
# ---------------------------------------------------------------------------------------------
@_rule("MC301", "error", "step2_value",
       "none of the first early_value_steps steps gives at least min_early_value",
       ("early_value_steps", "min_early_value"))
def _no_early_value(ctx: _Context) -> Emit:
    first = [i for i in range(min(ctx.t.early_value_steps, ctx.n)) if not ctx.is_conversion(i)]
    if not first:
        return
    best = max(ctx.values[i] for i in first)
    if best < ctx.t.min_early_value:
        i = first[1] if len(first) > 1 else first[0]
        opening = "The first step gives" if len(first) == 1 else f"None of the first {len(first)} steps gives"
        yield i, (f"{opening} much back (the most is {_n(best)}; "
                  f"at least {_n(ctx.t.min_early_value)} expected). Right after the first contact people "
                  f"should get something useful: an insight, a personal result, a handy tool. Make "
                  f'"{ctx.steps[i].name}" deliver a quick, concrete win.')


def _valueless(ctx: _Context) -> list[int]:
    """Steps after the entry and before the conversion that give less than min_value."""
    return [i for i in ctx.before_conversion() if i > 0 and ctx.values[i] < ctx.t.min_value]


def consecutive_runs(indices: Sequence[int]) -> list[list[int]]:
    """The runs of consecutive positions in sorted ``indices`` (one home for "steps in a row").

    >>> consecutive_runs([0, 1, 3, 5, 6, 7])
    [[0, 1], [3], [5, 6, 7]]
    """
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


@_rule("MC302", "warning", "no_value_between_steps", "a step after the entry gives less than min_value",
       ("min_value",))
def _step_without_value(ctx: _Context) -> Emit:
    for run in consecutive_runs(_valueless(ctx)):
        if len(run) == 1:  # runs of two or more are MC303 errors
            i = run[0]
            yield i, (f"{ctx.ref(i)} gives back {_n(ctx.values[i])} in value (less than {_n(ctx.t.min_value)}). "
                      "A step that only takes feels like a toll; attach something useful to it, such as a "
                      "result, a tip or a resource, or drop it.")


@_rule("MC303", "error", "no_value_between_steps", "two or more steps in a row give less than min_value",
       ("min_value",))
def _run_without_value(ctx: _Context) -> Emit:
    for run in consecutive_runs(_valueless(ctx)):
        if len(run) >= 2:
            yield run[0], (f"Steps {run[0] + 1} to {run[-1] + 1} ({_names(ctx, run)}) come one after another "
                           f"and each gives back less than {_n(ctx.t.min_value)} in value. A stretch of steps "
                           "that only take is where people give up; give each one something useful, or merge "
                           "them into a single step that does.")


@_rule("MC304", "warning", "step7_reward", "a step before the conversion gives back less than reward_ratio x its ask",
       ("reward_ratio", "min_value"))
def _unrewarding(ctx: _Context) -> Emit:
    skip = set(_valueless(ctx))  # already reported as giving (almost) no value
    for i in ctx.before_conversion():
        if i in skip:
            continue
        need = ctx.t.reward_ratio * ctx.asks[i]
        if ctx.values[i] < need - 1e-9:
            share = ("as much as it asks" if ctx.t.reward_ratio == 1
                     else f"{_n(ctx.t.reward_ratio)} times what it asks (here {_n(need)})")
            yield i, (f"{ctx.ref(i)} asks for {_n(ctx.asks[i])} but gives back only {_n(ctx.values[i])}; a step "
                      f"should return at least {share} so that even a small action feels worth it. Add to what "
                      "people get, or ask for less.")


# ---------------------------------------------------------------------------------------------
# MC4xx - trust
# ---------------------------------------------------------------------------------------------
@_rule("MC401", "warning", "step5_trust",
       "a step shows less trust than trust_per_ask x (ask - trust_free_ask)",
       ("trust_free_ask", "trust_per_ask"))
def _trust_below_need(ctx: _Context) -> Emit:
    for i, step in enumerate(ctx.steps):
        need = ctx.t.trust_needed(step.ask)
        if step.trust < need - 1e-9:
            yield i, (f"{ctx.ref(i)} asks for {_n(step.ask)} but shows trust of only {_n(step.trust)}; an ask "
                      f"this size needs at least {_n(need)}. Add trust signals at this step: reviews, a "
                      "guarantee, clear terms, a real person's name and face.")


@_rule("MC402", "error", "step5_trust", "a big ask comes with no earlier step showing proof_trust or more",
       ("big_ask", "proof_trust"))
def _no_proof_before_big_ask(ctx: _Context) -> Emit:
    for i, ask in enumerate(ctx.asks):
        if ask < ctx.t.big_ask or i in ctx.too_early:
            continue
        shown = max(ctx.trusts[:i], default=0.0)
        if shown < ctx.t.proof_trust:
            yield i, (f"{ctx.ref(i)} asks for {_n(ask)}, a big commitment, but no step before it shows strong "
                      f"proof (trust {_n(ctx.t.proof_trust)} or more; the most so far is {_n(shown)}). Put a step "
                      "with customer stories, a case study or a guarantee before it.")
        return  # only the first big ask: once it is fixed, the proof covers the later ones too


# ---------------------------------------------------------------------------------------------
# MC5xx - fit with the audience (uses the teaching model)
# ---------------------------------------------------------------------------------------------
def fit_flags(asks: Sequence[float], readiness: Sequence[float], conversion: Sequence[bool],
              thresholds: Thresholds) -> list[str | None]:
    """Per step, how its ask fits the people arriving: "resistance", "stagnation" or None.

    The one definition behind the rules MC501-MC503 and the ladder chart: a step before the
    conversion meets *resistance* when it asks more than ``resistance_gap`` above the predicted
    readiness (the conversion: more than ``readiness_gap``); ``stagnation_run`` or more steps in a
    row before the conversion that ask more than ``stagnation_gap`` below it cause *stagnation*.

    >>> from funnel_lib.thresholds import Thresholds
    >>> fit_flags([1, 1, 9], [5.5, 5.8, 5.0], [False, False, True], Thresholds())
    ['stagnation', 'stagnation', 'resistance']
    """
    n = len(asks)
    flags: list[str | None] = [None] * n
    known = [not math.isnan(float(r)) for r in readiness]
    small = [i for i in range(n) if known[i] and not conversion[i]
             and readiness[i] - asks[i] > thresholds.stagnation_gap]
    for run in consecutive_runs(small):
        if len(run) >= thresholds.stagnation_run:
            for i in run:
                flags[i] = "stagnation"
    for i in range(n):
        limit = thresholds.readiness_gap if conversion[i] else thresholds.resistance_gap
        if known[i] and asks[i] - readiness[i] > limit:
            flags[i] = "resistance"
    return flags


@_rule("MC501", "warning", "step6_intent",
       "stagnation_run+ steps in a row ask over stagnation_gap below predicted readiness",
       ("stagnation_gap", "stagnation_run"), uses_model=True)
def _stagnation(ctx: _Context) -> Emit:
    if ctx.readiness is None or ctx.fit is None:
        return
    r = ctx.readiness
    flags = ctx.fit
    for run in consecutive_runs([i for i in range(ctx.n) if flags[i] == "stagnation"]):
        asks = ", ".join(_n(ctx.asks[i]) for i in run)
        ready = ", ".join(f"{r[i]:.1f}" for i in run)
        yield run[0], (f"Steps {run[0] + 1} to {run[-1] + 1} ({_names(ctx, run)}) ask for far less than a "
                       f"{ctx.audience} audience is ready for by then (asks {asks}; predicted readiness "
                       f"{ready}; gaps above {_n(ctx.t.stagnation_gap)}). Steps that are too small "
                       "build no commitment and every extra step loses some people: drop some, or ask for a little "
                       "more.")


@_rule("MC502", "warning", "step6_intent",
       "a step before the conversion asks over resistance_gap above predicted readiness",
       ("resistance_gap",), uses_model=True)
def _resistance(ctx: _Context) -> Emit:
    if ctx.readiness is None or ctx.fit is None:
        return
    flags = ctx.fit
    for i in ctx.before_conversion():
        if flags[i] == "resistance":
            r = ctx.readiness[i]
            yield i, (f"{ctx.ref(i)} asks for {_n(ctx.asks[i])}, while the people reaching it are predicted to be "
                      f"ready for about {r:.1f} (a {ctx.audience} audience): more than {_n(ctx.t.resistance_gap)} "
                      "above, so expect resistance. Put a smaller step before it, or make it smaller.")


@_rule("MC503", "warning", "step8_conversion",
       "the conversion asks over readiness_gap above predicted readiness", ("readiness_gap",),
       uses_model=True)
def _not_ready(ctx: _Context) -> Emit:
    if ctx.readiness is None or ctx.fit is None:
        return
    last = ctx.n - 1
    r = ctx.readiness[last]
    if ctx.is_conversion(last) and ctx.fit[last] == "resistance":
        yield last, (f"The conversion, {ctx.ref(last, 'step')}, asks for {_n(ctx.asks[last])}, but the {ctx.audience} "
                     f"audience reaching it is predicted to be ready for only about {r:.1f} "
                     f"({ctx.asks[last] - r:.1f} short; at most {_n(ctx.t.readiness_gap)} is fine). They are not "
                     "ready yet: add value, proof or a mid-sized step before the main ask.")


def rules_frame() -> pd.DataFrame:
    """The rule registry as a table for lessons and the instructor guide: one row per code.

    >>> frame = rules_frame()
    >>> frame.loc["MC201", ["severity", "principle", "thresholds"]].tolist()
    ['error', 'step1_entry', 'max_entry_ask']
    >>> frame.columns.tolist()
    ['severity', 'principle', 'lesson', 'lesson_title', 'checks', 'thresholds', 'uses_model']
    """
    rows = [
        {"code": r.code, "severity": r.severity, "principle": r.principle, "lesson": r.lesson,
         "lesson_title": LESSONS[r.principle][1], "checks": r.summary, "thresholds": ", ".join(r.thresholds),
         "uses_model": r.uses_model}
        for r in RULES.values()
    ]
    return pd.DataFrame(rows).set_index("code")


# ---------------------------------------------------------------------------------------------
# MC6xx - ethics: registered by their own module, after every rule above
# ---------------------------------------------------------------------------------------------
from funnel_lib import _rules_ethics  # noqa: E402,F401  (imports _rule from here, so it comes last)
