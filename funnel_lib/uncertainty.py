"""What the user model cannot know: plausible ranges of its parameters, and conclusions tested across them.

The defaults of :class:`funnel_lib.simulate.ModelParams` and of the audiences are one fit to the
published rates in :func:`funnel_lib.evidence.benchmarks`. Other values fit the evidence about as
well, so every comparison the course teaches is also run over many *plausible* parameter sets:
a conclusion that holds in at least 90 % of them is robust; one that does not depends on an
assumption, which the lesson must name.

The plausible ranges (:data:`PLAUSIBLE_RANGES`), each drawn independently and uniformly (the
attention factors log-uniformly):

* ``consistency``: the values that give a foot-in-the-door effect from r = .05 to r = .17 in
  Freedman & Fraser's design. Dillard, Hunter & Burgoon (1984) report a weighted mean of r = .11
  and r = .17 under optimal conditions; the range is symmetric around the mean. Their corrected
  standard deviation (.14) says some real settings lie outside it, down to backfires (Chartrand,
  Pinckert & Burger 1999): conclusions that need a positive effect name the assumption
  ``consistency``.
* ``attention`` (one factor per audience): how far the first-step attention may move so that the
  model's click rate stays inside its benchmark row: cold within the social-ad click-through
  range, warm within the e-mail click range, hot within the Hillstrom extra-visit range.
* ``decision_softness``, ``attention_cost``, ``value_gain``, ``trust_gain``, ``trust_boost`` and
  ``resistance``: no benchmark pins them down; the ranges are judgement (about +-30-50 % around
  the default) and say so.

>>> ranges = plausible_ranges()
>>> bool(ranges.loc["consistency", "low"] < ranges.loc["consistency", "default"] < ranges.loc["consistency", "high"])
True
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from funnel_lib._validate import check_funnel, check_positive_int, check_seed
from funnel_lib.audience import AUDIENCES, Audience, resolve_audience
from funnel_lib.errors import FunnelValueError
from funnel_lib.model import Funnel
from funnel_lib.simulate import DEFAULT_PARAMS, ModelParams, conversions_for_draws

__all__ = ["PLAUSIBLE_RANGES", "plausible_ranges", "draw_params", "conversion_draws", "Robustness", "robustness",
           "ROBUST_SHARE"]

ROBUST_SHARE = 0.9
"""A comparison is *robust* when it holds in at least this share of plausible parameter sets."""

# name: (low, high, how the range was set). Consistency values solve the Freedman & Fraser exp. 2
# design for r = .05 and r = .17 (funnel_lib.evidence.fitd_rate_for_effect_size + calibrate); the
# attention factors are the benchmark rows' low and high divided by the default model's value.
PLAUSIBLE_RANGES: dict[str, tuple[float, float, str]] = {
    "consistency": (0.113, 0.527, "fitted: foot-in-the-door effect r = .05 to .17 (Dillard et al. 1984)"),
    "decision_softness": (1.2, 1.9, "judgement around the fitted value"),
    "attention_cost": (0.04, 0.10, "judgement"),
    "value_gain": (0.04, 0.12, "judgement"),
    "trust_gain": (0.02, 0.06, "judgement"),
    "trust_boost": (0.10, 0.20, "judgement"),
    "resistance": (0.15, 0.45, "judgement"),
    "attention_cold": (0.55, 1.89, "fitted: social ad click-through 0.47-1.61 % (WordStream 2017)"),
    "attention_warm": (0.66, 1.01, "fitted: e-mail click rate 1.92-2.95 % (Mailchimp 2019)"),
    "attention_hot": (0.97, 1.65, "fitted: extra visits after an e-mail, 4.5-7.7 % (Hillstrom data)"),
}


def plausible_ranges() -> pd.DataFrame:
    """The plausible ranges as a table: default, low, high and how each range was set.

    Attention rows are factors applied to the audience's default attention (1 = the default).

    >>> plausible_ranges().columns.tolist()
    ['default', 'low', 'high', 'how']
    """
    rows = []
    for name, (low, high, how) in PLAUSIBLE_RANGES.items():
        default = 1.0 if name.startswith("attention_") and name != "attention_cost" else getattr(DEFAULT_PARAMS, name)
        rows.append({"parameter": name, "default": default, "low": low, "high": high, "how": how})
    return pd.DataFrame(rows).set_index("parameter")


class _Draws:
    """Parameter arrays of shape (draws, 1), read by the engine like a ModelParams."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.__dict__.update(values)


@lru_cache(maxsize=16)
def _cached_draws(draws: int, seed: int | None) -> _Draws:
    rng = np.random.default_rng(seed)
    values: dict[str, np.ndarray] = {}
    for name in ModelParams.__dataclass_fields__:
        values[name] = np.full((draws, 1), float(getattr(DEFAULT_PARAMS, name)))
    for name, (low, high, _) in PLAUSIBLE_RANGES.items():
        if name.startswith("attention_") and name != "attention_cost":
            values[name] = np.exp(rng.uniform(math.log(low), math.log(high), size=(draws, 1)))
        else:
            values[name] = rng.uniform(low, high, size=(draws, 1))
    return _Draws(values)


def draw_params(draws: int, seed: int | None = None) -> Any:
    """``draws`` plausible parameter sets as arrays of shape (draws, 1) (cached for a fixed seed).

    >>> p = draw_params(5, seed=1)
    >>> p.consistency.shape, bool((p.consistency >= 0.113).all())
    ((5, 1), True)
    """
    draws = check_positive_int("draws", draws)
    if draws > 100_000:
        raise FunnelValueError(f"draws must be at most 100,000, got {draws:,}")
    seed = check_seed("seed", seed)
    if seed is None:
        return _cached_draws.__wrapped__(draws, None)
    return _cached_draws(draws, seed)


def _attention(audience: Audience, p: Any) -> np.ndarray:
    key = next((name for name, preset in AUDIENCES.items() if preset == audience), "cold")
    return np.clip(audience.attention * getattr(p, f"attention_{key}"), 0.0, 1.0)


def conversion_draws(funnel: Funnel, audience: str | Audience = "cold", draws: int = 200,
                     seed: int | None = None) -> np.ndarray:
    """Final conversion of ``funnel`` under each of ``draws`` plausible parameter sets (one numpy pass).

    >>> from funnel_lib.model import Funnel, Step
    >>> values = conversion_draws(Funnel([Step("Click", "entry", ask=1)]), draws=50, seed=0)
    >>> values.shape, bool(0.004 < values.min() and values.max() < 0.02)
    ((50,), True)
    """
    check_funnel("funnel", funnel, purpose="simulating")
    who = resolve_audience(audience)
    p = draw_params(draws, seed)
    return conversions_for_draws(funnel, who, p, attention=_attention(who, p))


def _percent(x: float) -> str:
    return f"{100 * x:.2g} %" if x < 0.01 else f"{100 * x:.1f} %"


@dataclass(frozen=True)
class Robustness:
    """How often funnel A converts more than funnel B across plausible parameter sets.

    ``share`` is that share (0-1); ``range_a`` and ``range_b`` are each funnel's 10th-90th
    percentile conversion over the same parameter sets.

    ``str()`` gives the result in words; ``repr()`` shows every field, exactly.

    >>> r = Robustness("ladder", "big ask", "cold", 0.95, (0.001, 0.003), (0.0005, 0.001), 200)
    >>> r.robust
    True
    >>> print(r)
    ladder beats big ask in 95 % of plausible models (cold audience; 200 parameter sets); ladder 0.1 %-0.3 %, \
big ask 0.05 %-0.1 %
    """

    name_a: str
    name_b: str
    audience: str
    share: float
    range_a: tuple[float, float]
    range_b: tuple[float, float]
    draws: int

    @property
    def robust(self) -> bool:
        """True when A beats B in at least :data:`ROBUST_SHARE` of plausible models."""
        return self.share >= ROBUST_SHARE

    def sentence(self) -> str:
        """The result in words, for readouts and lessons."""
        return (f"{self.name_a} beats {self.name_b} in {100 * self.share:.0f} % of plausible models "
                f"({self.audience} audience; {self.draws} parameter sets)")

    def __str__(self) -> str:
        return (f"{self.sentence()}; {self.name_a} {_percent(self.range_a[0])}-{_percent(self.range_a[1])}, "
                f"{self.name_b} {_percent(self.range_b[0])}-{_percent(self.range_b[1])}")

    def _repr_html_(self) -> str:
        verdict = "robust" if self.robust else "depends on the parameters: name the assumption"
        return (f"<div class='funnel-robustness'><b>{html.escape(self.sentence())}</b> - {verdict}.<br>"
                f"{html.escape(self.name_a)}: {_percent(self.range_a[0])} to {_percent(self.range_a[1])}; "
                f"{html.escape(self.name_b)}: {_percent(self.range_b[0])} to {_percent(self.range_b[1])} "
                "(10th-90th percentile of conversion).<br><small>A teaching model with stated assumptions, "
                "not a forecast.</small></div>")


def robustness(funnel_a: Funnel, funnel_b: Funnel, audience: str | Audience = "cold", draws: int = 200,
               seed: int | None = None) -> Robustness:
    """Share of plausible parameter sets in which ``funnel_a`` converts more than ``funnel_b``.

    Both funnels see the same parameter sets, so the share measures the design, not the luck of the draw.

    >>> from funnel_lib.model import Funnel, Step
    >>> big = Funnel([Step("Buy", "conversion", ask=8)], name="one big ask")
    >>> ladder = Funnel([Step("Quiz", "engagement", ask=2, value=5),
    ...                  Step("Trial", "progression", ask=5, value=7, trust=4),
    ...                  Step("Buy", "conversion", ask=8, trust=5)], name="ladder")
    >>> result = robustness(ladder, big, seed=1)
    >>> result.robust
    True
    """
    check_funnel("funnel_a", funnel_a, purpose="comparing")
    check_funnel("funnel_b", funnel_b, purpose="comparing")
    who = resolve_audience(audience)
    p = draw_params(draws, seed)
    attention = _attention(who, p)
    a = conversions_for_draws(funnel_a, who, p, attention=attention)
    b = conversions_for_draws(funnel_b, who, p, attention=attention)
    share = float(np.mean(a > b))
    return Robustness(funnel_a.name or "funnel A", funnel_b.name or "funnel B", who.name, share,
                      _range(a), _range(b), int(draws))


def _range(values: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(values, [10, 90])
    return float(low), float(high)
