"""Example funnels for the lessons: good ladders, and broken versions that each show one mistake.

Every broken example is a variant of one good example (``variant_of``) with a single thing
changed, so a lesson can put the two side by side: the checker flags the mistake, and the
user model shows the broken version converting worse for the same audience.

>>> get_example("online_course").name
'Online course: a ladder of small yeses'
>>> broken, good = get_pair("skipping_steps")
>>> len(broken) < len(good)
True
>>> list_examples().loc["one_big_ask", "variant_of"]
'online_course'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from funnel_lib._rules import LESSONS, MISTAKES, PRINCIPLES
from funnel_lib._validate import check_choice
from funnel_lib.audience import AUDIENCES
from funnel_lib.errors import FunnelValueError
from funnel_lib.model import Funnel, Step

__all__ = ["Example", "EXAMPLES", "DARK_PATTERNS", "get_example", "get_pair", "list_examples"]

_S = Step.from_catalog


@dataclass(frozen=True, slots=True)
class Example:
    """A named example funnel: call it to get a fresh copy; the other fields say what it teaches.

    ``principle`` is the idea a broken example breaks (``None`` for good ones); ``also`` lists
    any other principles the checker unavoidably flags at error level for it.

    >>> example = EXAMPLES["local_gym"]
    >>> example.kind, example.audience, len(example())
    ('good', 'cold', 5)
    """

    name: str
    kind: str
    story: str
    build: Callable[[], Funnel] = field(repr=False, compare=False)
    audience: str = "cold"
    principle: str | None = None
    variant_of: str | None = None
    also: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, ("good", "broken"))
        check_choice("audience", self.audience, AUDIENCES)
        for p in (self.principle, *self.also):
            if p is not None:
                check_choice("principle", p, PRINCIPLES)
        if (self.kind == "broken") != (self.principle is not None and self.variant_of is not None):
            raise FunnelValueError("a broken example needs a principle and variant_of; a good one has neither")

    def __call__(self) -> Funnel:
        """A fresh copy of the funnel (changing it never changes the example).

        >>> EXAMPLES["online_course"]() is EXAMPLES["online_course"]()
        False
        """
        return self.build()

    @property
    def mistake(self) -> str:
        """What the example shows, in words: the named mistake or idea, or "follows the framework".

        >>> EXAMPLES["no_guidance"].mistake
        'failing to guide progression'
        """
        if self.principle is None:
            return "follows the framework"
        if self.principle in MISTAKES:
            return MISTAKES[self.principle]
        return _IDEAS[self.principle]


_IDEAS = {
    "step1_entry": "an entry step that asks too much",
    "step2_value": "no value right after the first contact",
    "step3_next_step": "no next step after the entry",
    "step4_gradual": "commitment that does not grow",
    "step5_trust": "a big ask without proof before it",
    "step6_intent": "asks far too small for the audience (stagnation)",
    "step7_reward": "steps that give back less than they ask",
    "step8_conversion": "a conversion before people are ready",
    "stage_order": "stages out of order",
    "ethics": "a dark pattern",
}


# ---------------------------------------------------------------------------------------------
# good examples
# ---------------------------------------------------------------------------------------------
def _course_steps() -> list[Step]:
    return [
        _S("watch_clip", name="Watch a 90-second lesson preview"),
        _S("quiz", name='Take the 3-question "which level am I?" quiz'),
        _S("download_guide", name="Download the free study planner"),
        _S("webinar", name="Join a free live workshop"),
        _S("case_study", name="Read three graduates' stories", stage="reinforcement"),
        _S("buy", name="Enrol in the course", ask=7),
    ]


def _online_course() -> Funnel:
    return Funnel(_course_steps(), name="Online course: a ladder of small yeses")


def _saas_steps() -> list[Step]:
    return [
        _S("learn_more", name="Click to see how it works"),
        _S("calculator", name="Try the time-savings calculator"),
        _S("create_account", name="Create a free account"),
        _S("free_trial", name="Start a 14-day free trial"),
        _S("case_study", name="Read how a team like yours saved 10 hours a week"),
        _S("book_demo", name="Book a demo call"),
        _S("buy", name="Subscribe to a paid plan"),
    ]


def _saas_trial() -> Funnel:
    return Funnel(_saas_steps(), name="SaaS: from first click to paid plan")


def _gym_steps() -> list[Step]:
    return [
        _S("watch_clip", name="Watch a 20-second workout tip"),
        _S("quiz", name='Take the "find your training style" quiz'),
        Step("Book a free trial class", "progression", ask=4, value=6, trust=4,
             description="an hour at the gym, at a time the person picks"),
        _S("testimonials", name="Meet members like you"),
        _S("starter_purchase", name="Buy a one-month starter pass"),
    ]


def _local_gym() -> Funnel:
    return Funnel(_gym_steps(), name="Local gym: tip, quiz, trial class, pass")


def _b2b_steps() -> list[Step]:
    return [
        _S("read_post", name="Read a 3-minute article on cutting cloud costs", stage="entry"),
        _S("calculator", name="Try the cloud-cost calculator"),
        _S("download_guide", name="Download the benchmark report"),
        _S("webinar", name="Register for a live Q&A"),
        _S("case_study", name="Read a client case study"),
        _S("book_demo", name="Book a free 30-minute assessment call"),
        _S("buy", name="Sign a three-month engagement"),
    ]


def _b2b_consulting() -> Funnel:
    return Funnel(_b2b_steps(), name="B2B consulting: article to engagement")


def _charity_steps() -> list[Step]:
    return [
        _S("watch_clip", name="Watch a 30-second story from the field", trust=2),
        _S("quiz", name="Take the 3-question water quiz"),
        _S("newsletter", name="Get the monthly field update by e-mail"),
        Step("See exactly where last year's money went", "reinforcement", ask=1.5, value=3, trust=7,
             description="an audited one-page breakdown"),
        Step("Give 10 pounds once", "conversion", ask=5, value=5, trust=5,
             description="a small first gift, with a receipt and a thank-you story"),
    ]


def _charity_donation() -> Funnel:
    return Funnel(_charity_steps(), name="Charity: story, quiz, updates, first gift")


# ---------------------------------------------------------------------------------------------
# broken examples: each changes one thing in a good one
# ---------------------------------------------------------------------------------------------
def _one_big_ask() -> Funnel:
    return Funnel([_course_steps()[-1]], name="Online course: one big ask")


def _entry_too_big() -> Funnel:
    steps = _saas_steps()[2:]
    steps[0] = steps[0].replace(name="Create an account to see how it works", stage="entry")
    return Funnel(steps, name="SaaS: opens by asking for an account")


def _too_much_too_early() -> Funnel:
    steps = _saas_steps()
    return Funnel([steps[0], steps[1], steps[-1]], name="SaaS: paid plan on the third screen")


def _skipping_steps() -> Funnel:
    steps = _course_steps()
    return Funnel([steps[0], steps[1], steps[4], steps[5]], name="Online course: from quiz to enrolment")


def _no_value() -> Funnel:
    steps = _b2b_steps()
    steps[2] = Step("Fill in a 12-field contact form", "progression", ask=3, value=0, trust=2)
    steps[3] = Step("Take a qualifying call from sales", "progression", ask=4, value=1, trust=3)
    return Funnel(steps, name="B2B consulting: forms instead of value")


def _no_immediate_value() -> Funnel:
    steps = _charity_steps()
    steps[1] = Step("Add your name to our petition", "engagement", ask=2, value=1, trust=2)
    return Funnel(steps, name="Charity: a petition before anything useful")


def _overcomplicated() -> Funnel:
    steps = _charity_steps()
    padding = [Step(f"Swipe to photo {k} of 8", "engagement", ask=1, value=3, trust=2) for k in range(2, 9)]
    extra = [Step("Pick a region you care about", "progression", ask=1, value=2, trust=2),
             Step("Confirm your region", "progression", ask=1, value=2, trust=2)]
    return Funnel([steps[0], *padding, steps[1], *extra, steps[2], steps[3], steps[4]],
                  name="Charity: fourteen taps to a gift")


def _no_guidance() -> Funnel:
    steps = _gym_steps()
    wander = [
        steps[0],
        Step("Try a free group class", "engagement", ask=4, value=6, trust=3),
        _S("read_post", name="Read our blog post on stretching", stage="engagement"),
        Step("Book a personal-trainer intro session", "progression", ask=4.5, value=6, trust=4),
        _S("follow", name="Follow us on Instagram", stage="progression", value=2),
        steps[3],
        steps[4],
    ]
    return Funnel(wander, name="Local gym: a path that wanders")


def _stage_order() -> Funnel:
    steps = _charity_steps()
    return Funnel([steps[0], steps[2], steps[1], steps[3], steps[4]], name="Charity: e-mail before the quiz")


def _missing_trust() -> Funnel:
    steps = _saas_steps()
    # the customer story becomes a feature list: same effort and value, but no proof
    steps[4] = Step("Read the feature list", "progression", ask=2, value=4, trust=1)
    steps[5] = steps[5].replace(name="Book a call with our sales team", trust=3)
    steps[6] = steps[6].replace(trust=3)
    return Funnel(steps, name="SaaS: demo and plan with no proof")


def _too_small() -> Funnel:
    steps = _course_steps()
    extra = [
        _S("read_post", name="Read a short post about the course", stage="engagement"),
        _S("quiz", name="Take a second quiz"),
    ]
    return Funnel([steps[0], extra[0], steps[1], extra[1], *steps[2:]],
                  name="Online course for past students: too many small steps")


# ---------------------------------------------------------------------------------------------
# dark patterns: each changes how one step of a good funnel treats people (lesson 12)
# ---------------------------------------------------------------------------------------------
def _one_step_changed(base: Callable[[], list[Step]], index: int, funnel_name: str, step_name: str,
                      **changes: Any) -> Callable[[], Funnel]:
    """A builder for a good example's funnel whose step ``index`` is renamed and given ``changes``."""
    def build() -> Funnel:
        steps = base()
        steps[index] = steps[index].replace(name=step_name, **changes)
        return Funnel(steps, name=funnel_name)
    return build


_forced_continuity = _one_step_changed(
    _saas_steps, 3, "SaaS: the free trial bills itself",
    "Start a 14-day free trial (card needed, then billed monthly)", card_required=True, auto_renews=True)
_roach_motel = _one_step_changed(
    _saas_steps, 6, "SaaS: subscribe online, cancel by phone",
    "Subscribe to a paid plan (cancel by phone only)", auto_renews=True, cancel_effort=8)
_confirmshaming = _one_step_changed(
    _course_steps, 2, "Online course: a no button that shames",
    'Download the planner (or "No thanks, I don\'t care about passing")', confirmshaming=True)
_preticked_consent = _one_step_changed(
    _b2b_steps, 2, "B2B consulting: consent ticked in advance",
    "Download the report (box ticked: share my details with partners)", consent_preticked=True)
_hidden_costs = _one_step_changed(
    _gym_steps, 4, "Local gym: a joining fee at checkout",
    "Buy a one-month pass (joining fee shown at checkout)", hidden_cost=2)
_sneak_into_basket = _one_step_changed(
    _gym_steps, 4, "Local gym: an extra already in the basket",
    "Buy a one-month pass (towel service already in the basket)", added_extras=True)
_fake_urgency = _one_step_changed(
    _course_steps, 5, "Online course: a countdown that restarts",
    "Enrol now: the offer ends in 10 minutes (the timer restarts)", false_urgency=True)


DARK_PATTERNS: dict[str, str] = {
    "forced_continuity": "MC602",
    "roach_motel": "MC603",
    "confirmshaming": "MC607",
    "preticked_consent": "MC601",
    "hidden_costs": "MC604",
    "sneak_into_basket": "MC605",
    "fake_urgency": "MC606",
}
"""The dark-pattern examples (all ``principle="ethics"``) and the rule that flags each one."""


def _example(*args: object, **kwargs: object) -> Example:
    return Example(*args, **kwargs)  # type: ignore[arg-type]


EXAMPLES: dict[str, Example] = {
    e.name: e
    for e in [
        _example("online_course", "good",
                 "A preview, a level quiz, a free planner, a live workshop and graduates' stories lead to enrolment.",
                 _online_course),
        _example("saas_trial", "good",
                 "A click, a calculator, a free account, a trial, a customer story and a demo lead to a paid plan.",
                 _saas_trial),
        _example("local_gym", "good",
                 "A workout tip, a style quiz, a free class and members' stories lead to a one-month pass.",
                 _local_gym),
        _example("b2b_consulting", "good",
                 "An article, a cost calculator, a report, a Q&A, a case study and a free call lead to a contract.",
                 _b2b_consulting),
        _example("charity_donation", "good",
                 "A short story, a quiz, monthly updates and a clear money breakdown lead to a first gift.",
                 _charity_donation),
        _example("one_big_ask", "broken",
                 "The course ad asks strangers to enrol straight away: one big ask and nothing before it.",
                 _one_big_ask, principle="too_much_too_early", variant_of="online_course",
                 also=("step1_entry", "step3_next_step")),
        _example("entry_too_big", "broken",
                 "The SaaS funnel opens by asking for an account before showing anything.",
                 _entry_too_big, principle="step1_entry", variant_of="saas_trial"),
        _example("too_much_too_early", "broken",
                 "After one click and a calculator, the SaaS funnel already asks for a paid plan.",
                 _too_much_too_early, principle="too_much_too_early", variant_of="saas_trial"),
        _example("skipping_steps", "broken",
                 "The course drops its planner and workshop: from a quiz straight to enrolment.",
                 _skipping_steps, principle="skipping_steps", variant_of="online_course"),
        _example("no_value_between_steps", "broken",
                 "The consulting firm swaps its report and Q&A for a long form and a sales call.",
                 _no_value, principle="no_value_between_steps", variant_of="b2b_consulting"),
        _example("no_immediate_value", "broken",
                 "The charity swaps its quiz for a petition: the first two steps take and give nothing back.",
                 _no_immediate_value, principle="step2_value", variant_of="charity_donation"),
        _example("overcomplicated", "broken",
                 "The charity pads its funnel with photo swipes and region pickers: 14 steps to give.",
                 _overcomplicated, principle="overcomplicated", variant_of="charity_donation"),
        _example("no_guidance", "broken",
                 "The gym's path wanders: a class, a blog post, a trainer session, then 'follow us'.",
                 _no_guidance, principle="no_guidance", variant_of="local_gym"),
        _example("stage_order", "broken",
                 "The charity asks for an e-mail address before the quiz that shows why it matters.",
                 _stage_order, principle="stage_order", variant_of="charity_donation"),
        _example("missing_trust", "broken",
                 "The SaaS funnel swaps its customer story for a feature list and shows little proof anywhere.",
                 _missing_trust, principle="step5_trust", variant_of="saas_trial"),
        _example("too_small_for_hot_audience", "broken",
                 "Past students are walked through extra posts and quizzes before they may enrol again.",
                 _too_small, audience="hot", principle="step6_intent", variant_of="online_course"),
        _example("forced_continuity", "broken",
                 "The SaaS free trial takes a card and starts billing monthly unless people remember to cancel.",
                 _forced_continuity, principle="ethics", variant_of="saas_trial"),
        _example("roach_motel", "broken",
                 "The SaaS plan is bought in two clicks but can only be cancelled by phone in office hours.",
                 _roach_motel, principle="ethics", variant_of="saas_trial"),
        _example("confirmshaming", "broken",
                 "The course's planner pop-up labels its no button \"I don't care about passing\".",
                 _confirmshaming, principle="ethics", variant_of="online_course"),
        _example("preticked_consent", "broken",
                 "The consulting report form comes with 'share my details with partners' already ticked.",
                 _preticked_consent, principle="ethics", variant_of="b2b_consulting"),
        _example("hidden_costs", "broken",
                 "The gym shows the monthly price, then adds a joining fee on the checkout page.",
                 _hidden_costs, principle="ethics", variant_of="local_gym"),
        _example("sneak_into_basket", "broken",
                 "The gym's checkout adds a paid towel service that nobody picked.",
                 _sneak_into_basket, principle="ethics", variant_of="local_gym"),
        _example("fake_urgency", "broken",
                 "The course's enrolment page shows a 10-minute countdown that starts again on every visit.",
                 _fake_urgency, principle="ethics", variant_of="online_course"),
    ]
}
"""Every example by name: ``EXAMPLES[name]()`` builds a fresh funnel; the fields describe it."""


def get_example(name: str) -> Funnel:
    """A fresh copy of the example funnel called ``name``.

    >>> [s.ask for s in get_example("local_gym")]
    [1.0, 2.0, 4.0, 1.5, 6.5]
    >>> get_example("gym")
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: name must be one of 'online_course', ..., got 'gym'
    """
    return _lookup(name)()


def get_pair(name: str) -> tuple[Funnel, Funnel]:
    """For a broken example: ``(broken funnel, the good funnel it is a version of)``, for side-by-side lessons.

    >>> broken, good = get_pair("one_big_ask")
    >>> len(broken), len(good)
    (1, 6)
    """
    example = _lookup(name)
    if example.variant_of is None:
        broken = ", ".join(repr(n) for n, e in EXAMPLES.items() if e.kind == "broken")
        raise FunnelValueError(f"name must be a broken example to have a pair ({broken}), got {name!r}")
    return example(), EXAMPLES[example.variant_of]()


def _lookup(name: str) -> Example:
    return EXAMPLES[check_choice("name", name, EXAMPLES, type_error=True)]


def list_examples() -> pd.DataFrame:
    """All examples as a table: kind, what they show, the lesson, the audience and a one-line story.

    >>> table = list_examples()
    >>> table.columns.tolist()
    ['kind', 'principle', 'mistake', 'lesson', 'audience', 'variant_of', 'steps', 'story']
    >>> table["kind"].value_counts().to_dict()
    {'broken': 18, 'good': 5}
    """
    rows = []
    for e in EXAMPLES.values():
        rows.append({
            "name": e.name, "kind": e.kind, "principle": e.principle, "mistake": e.mistake,
            "lesson": LESSONS[e.principle][0] if e.principle else LESSONS["stage_order"][0], "audience": e.audience,
            "variant_of": e.variant_of, "steps": len(e()), "story": e.story,
        })
    return pd.DataFrame(rows).set_index("name")
