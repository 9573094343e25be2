"""What the funnel charts show, as data: one set of functions behind the static and the live charts.

:mod:`funnel_lib.plots` and the builder's and the duel's charts (Matplotlib and SVG) take their
bar widths, the band of asks that fit, the misfit flags, the curves and the labels from here,
so the same design draws the same numbers and words everywhere.

>>> from funnel_lib.model import Funnel, Step
>>> from funnel_lib.simulate import simulate
>>> from funnel_lib.thresholds import DEFAULT_THRESHOLDS
>>> result = simulate(Funnel([Step("Watch", "entry", ask=1), Step("Buy", "conversion", ask=8)]))
>>> ladder_data(result, DEFAULT_THRESHOLDS).flags
(None, 'resistance')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from funnel_lib._format import describe, pct, short
from funnel_lib._rules import fit_flags
from funnel_lib.simulate import SimulationResult
from funnel_lib.stages import Stage
from funnel_lib.thresholds import Thresholds

__all__ = ["check_result", "FunnelBars", "LadderData", "funnel_bars", "ladder_data", "ladder_top", "survival",
           "step_label", "yes_label", "baseline_label", "label_offsets", "BASELINE_NAME", "FLAG_WORDS"]

BASELINE_NAME = "One big ask (last step only)"
"""How the charts name the "one big ask" bar."""

FLAG_WORDS = {"resistance": "too big (resistance)", "stagnation": "too small (stagnation)"}
"""The words for a misfit flag in text alternatives and tables."""


def check_result(result: object, max_steps: int) -> int:
    """The number of steps of ``result`` after checking it is a SimulationResult a live chart can draw.

    >>> check_result("cold", 16)
    Traceback (most recent call last):
    ...
    TypeError: result must be a SimulationResult, got 'cold' (str)
    """
    if not isinstance(result, SimulationResult):
        raise TypeError(f"result must be a SimulationResult, got {describe(result)}")
    n = len(result.table)
    if not 0 < n <= max_steps:
        raise ValueError(f"result must have between 1 and {max_steps} steps, got {n}")
    return n


@dataclass(frozen=True)
class FunnelBars:
    """Per step, the shares of the whole audience that said yes, drifted away and declined.

    >>> from funnel_lib.examples import get_example
    >>> from funnel_lib.simulate import simulate
    >>> bars = funnel_bars(simulate(get_example("one_big_ask")))
    >>> len(bars.yes), bool(bars.yes[0] + bars.drifted[0] + bars.declined[0] > 0.99)
    (1, True)
    """

    names: tuple[str, ...]
    yes: np.ndarray
    drifted: np.ndarray
    declined: np.ndarray


def _shares(result: SimulationResult, column: str) -> np.ndarray:
    size = 1.0 if result.users is None else float(result.users)
    return result.table[column].to_numpy(dtype=float) / size


def funnel_bars(result: SimulationResult) -> FunnelBars:
    """The stacked bars of the funnel chart for ``result`` (counts of a cohort become shares).

    >>> from funnel_lib.examples import get_example
    >>> from funnel_lib.simulate import simulate
    >>> bool(funnel_bars(simulate(get_example("local_gym"), users=500, seed=1)).yes.max() <= 1)
    True
    """
    return FunnelBars(tuple(str(n) for n in result.table["name"]), _shares(result, "said_yes"),
                      _shares(result, "drifted"), _shares(result, "declined"))


def survival(result: SimulationResult) -> np.ndarray:
    """The share of the audience still in after each step, from 1 at step 0 (the comparison curves).

    >>> from funnel_lib.examples import get_example
    >>> from funnel_lib.simulate import simulate
    >>> result = simulate(get_example("one_big_ask"))
    >>> still = survival(result); float(still[0]), bool(still[-1] == result.conversion)
    (1.0, True)
    """
    return np.concatenate([[1.0], _shares(result, "share_of_start")])


@dataclass(frozen=True)
class LadderData:
    """The ladder chart's numbers: each ask, the readiness of the people arriving, the band that fits, the flags.

    ``readiness``, ``low`` and ``high`` are NaN for a step nobody reached (a cohort can leave one
    empty); ``flags`` are :func:`funnel_lib.framework.fit_flags`, where the checker warns.

    >>> from funnel_lib.examples import get_example
    >>> from funnel_lib.simulate import simulate
    >>> from funnel_lib.thresholds import DEFAULT_THRESHOLDS
    >>> data = ladder_data(simulate(get_example("online_course")), DEFAULT_THRESHOLDS)
    >>> bool((data.low <= data.readiness).all() and (data.readiness <= data.high).all())
    True
    """

    ask: np.ndarray
    readiness: np.ndarray
    low: np.ndarray
    high: np.ndarray
    flags: tuple[str | None, ...]

    @property
    def known(self) -> np.ndarray:
        """Which steps have a readiness (somebody reached them).

        >>> from funnel_lib.examples import get_example
        >>> from funnel_lib.simulate import simulate
        >>> from funnel_lib.thresholds import DEFAULT_THRESHOLDS
        >>> bool(ladder_data(simulate(get_example("local_gym")), DEFAULT_THRESHOLDS).known.all())
        True
        """
        return ~np.isnan(self.readiness)


def ladder_data(result: SimulationResult, thresholds: Thresholds,
                flags: Sequence[str | None] | None = None) -> LadderData:
    """The ladder of ``result``: the band of asks that fit runs from ``stagnation_gap`` below readiness
    to ``resistance_gap`` above it (``readiness_gap`` for the conversion), never below 0.

    ``flags`` are the misfit flags when already known (``Report.fit_flags`` of the same design
    and thresholds); without them they are computed here.

    >>> from funnel_lib.model import Funnel, Step
    >>> from funnel_lib.simulate import simulate
    >>> from funnel_lib.thresholds import Thresholds
    >>> data = ladder_data(simulate(Funnel([Step("Buy", "conversion", ask=8)])), Thresholds())
    >>> float(data.high[0] - data.readiness[0]) == Thresholds().readiness_gap
    True
    """
    table = result.table
    ask = table["ask"].to_numpy(dtype=float)
    readiness = table["readiness"].to_numpy(dtype=float)
    conversion = [s.stage is Stage.CONVERSION for s in result.funnel.steps]
    if flags is None:
        flags = fit_flags(ask.tolist(), readiness.tolist(), conversion, thresholds)
    high = readiness + np.where(conversion, thresholds.readiness_gap, thresholds.resistance_gap)
    low = np.clip(readiness - thresholds.stagnation_gap, 0.0, None)
    return LadderData(ask, readiness, low, high, tuple(flags))


def ladder_top(data: LadderData, flag_room: float = 0.5) -> float:
    """The top of a live ladder chart's y axis: room for every ask (plus ``flag_room`` above a flagged
    one) and band, in steps of 4 from 12 to 24, so that most slider moves keep the same axis.

    >>> from funnel_lib.examples import get_example
    >>> from funnel_lib.simulate import simulate
    >>> from funnel_lib.thresholds import DEFAULT_THRESHOLDS
    >>> ladder_top(ladder_data(simulate(get_example("online_course")), DEFAULT_THRESHOLDS))
    12.0
    """
    needed = 10.0
    for ask, high, flag in zip(data.ask, data.high, data.flags, strict=True):
        band = 0.0 if math.isnan(high) else float(high)
        needed = max(needed, band + 0.5, float(ask) + (flag_room if flag else 0.5))
    return min(max(12.0, 4.0 * math.ceil(needed / 4.0)), 24.0)


def step_label(number: int, name: str, limit: int) -> str:
    """A step's label on a chart: "2. Take a quiz", shortened to ``limit`` characters.

    >>> step_label(2, "Take a three-question quiz about your goals", 24)
    '2. Take a three-questio…'
    """
    return short(f"{number}. {name}", limit)


def yes_label(share: float, last: bool) -> str:
    """The label on a step's "said yes" bar; the last step's says "convert".

    >>> yes_label(0.25, False), yes_label(0.004, True)
    ('25.0%', '0.4% convert')
    """
    return pct(share) + (" convert" if last else "")


def baseline_label(share: float) -> str:
    """The label on the "one big ask" bar.

    >>> baseline_label(0.003)
    '0.3% if asked only this'
    """
    return f"{pct(share)} if asked only this"


def label_offsets(ends: Sequence[tuple[int, float]], gap: float = 0.07) -> list[float]:
    """Vertical offsets (points) for two end labels of a comparison: apart when their ends nearly touch.

    >>> label_offsets([(4, 0.10), (4, 0.12)]), label_offsets([(1, 0.1), (4, 0.5)])
    ([-7.0, 7.0], [0.0, 0.0])
    """
    offsets = [0.0, 0.0]
    if ends[0][0] == ends[1][0] and abs(ends[0][1] - ends[1][1]) < gap:
        upper = 0 if ends[0][1] >= ends[1][1] else 1
        offsets[upper], offsets[1 - upper] = 7.0, -7.0
    return offsets
