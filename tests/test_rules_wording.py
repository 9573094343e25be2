"""What a learner reads in the checker's findings: the right step numbers and names, "a"/"an", counts.

`make mutation` showed that no test pinned these down: a message could call step 3 "Step 4",
write "a Entry step" or "1 steps", and every test still passed. Each test here builds a funnel
that triggers one rule and reads the message the learner would see.
"""

from __future__ import annotations

import pytest

from funnel_lib.framework import Finding, Thresholds, check
from funnel_lib.model import Funnel, Step


def S(name: str, stage: str, ask: float, value: float = 0, trust: float = 0) -> Step:
    return Step(name, stage, ask=ask, value=value, trust=trust)


LADDER = [
    S("Watch a clip", "entry", 1, 2, 1),
    S("Take a quiz", "engagement", 2, 4, 2),
    S("Download a guide", "progression", 3, 6, 3),
    S("Start a trial", "progression", 5, 7, 4),
    S("Read a case study", "reinforcement", 2, 4, 6),
    S("Buy", "conversion", 8, 8, 5),
]


def finding(steps: list[Step], code: str, thresholds: Thresholds | None = None) -> Finding:
    found = [f for f in check(Funnel(steps, name="wording"), thresholds).findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got {[f.code for f in check(Funnel(steps)).findings]}"
    return found[0]


def test_a_step_out_of_stage_order_is_named_by_its_position_from_one() -> None:
    swapped = [LADDER[0], LADDER[2], LADDER[1], *LADDER[3:]]  # an Engagement step after a Progression step
    f = finding(swapped, "MC101")
    assert f.step == 2
    assert f.message.startswith('Step 3 "Take a quiz" is an Engagement step but comes after '
                                'step 2 "Download a guide", a Progression step.')
    assert "Move it before step 2," in f.message


@pytest.mark.parametrize(("stage", "article"), [("engagement", "an Engagement"), ("progression", "a Progression"),
                                                 ("reinforcement", "a Reinforcement")])
def test_the_article_fits_the_stage_name(stage: str, article: str) -> None:
    first = LADDER[0].replace(stage=stage)
    f = finding([first, *LADDER[1:]], "MC102")
    assert f.step == 0 and f.message.startswith(f'Step 1 "Watch a clip" is {article} step, but')


@pytest.mark.parametrize(("position", "before"), [(1, "after only 1 step"), (2, "after only 2 steps")])
def test_a_big_ask_too_early_counts_the_steps_before_it(position: int, before: str) -> None:
    steps = list(LADDER)
    steps[position] = steps[position].replace(ask=8)
    f = finding(steps, "MC202")
    assert f.step == position
    assert f.message.startswith(f'Step {position + 1} "{steps[position].name}" asks for 8, a big commitment, '
                                f"{before}.")


def test_many_trivial_steps_are_listed_up_to_four_then_counted() -> None:
    light = [S(f"Tap {n}", "engagement", 0.5, 2, 1) for n in range(1, 7)]
    strict = Thresholds(max_trivial_steps=3, trivial_ask=1)

    def listed(extra: int) -> str:
        f = finding([LADDER[0].replace(ask=0.5), *light[:extra], *LADDER[2:]], "MC108", strict)
        assert f.step is None
        return f.message.split(", more than")[0]

    assert listed(6) == '7 steps ask for less than 1 ("Watch a clip", "Tap 1", "Tap 2", "Tap 3", and 3 more)'
    assert listed(4) == '5 steps ask for less than 1 ("Watch a clip", "Tap 1", "Tap 2", "Tap 3", and 1 more)'
    assert listed(3) == '4 steps ask for less than 1 ("Watch a clip", "Tap 1", "Tap 2", "Tap 3")'
