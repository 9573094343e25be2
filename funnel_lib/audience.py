"""Audiences: how ready a group of people is, on average, to say yes, and how much they differ.

Readiness is on the same 0-10 scale as a step's ``ask``: a person with readiness 3 who engages
with a step that asks for 3 takes it about half the time. People differ, so readiness at the
start is spread around the audience's mean (normally distributed with standard deviation
``readiness_sd``). *Attention* is the share of the audience who engage with the first step at
all: for a cold audience (people who see an ad or a post from someone they have never heard
of) it is about 1 %, which is why cold click-through rates are about 1 %.

>>> AUDIENCES["cold"].readiness_mean < AUDIENCES["warm"].readiness_mean < AUDIENCES["hot"].readiness_mean
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from funnel_lib._validate import check_name, check_score

__all__ = ["Audience", "AUDIENCES", "resolve_audience", "attention_for"]


@dataclass(frozen=True, slots=True)
class Audience:
    """A group of people described by the mean and spread of their starting readiness.

    >>> Audience("trade-show visitors", readiness_mean=3.5, readiness_sd=1.0).readiness_mean
    3.5
    >>> Audience("x", readiness_mean=11)
    Traceback (most recent call last):
    ...
    ValueError: readiness_mean must be between 0 and 10, got 11
    """

    name: str
    readiness_mean: float
    readiness_sd: float = 1.2
    description: str = ""
    attention: float | None = None
    """Share of the audience who engage with the first step at all (notice the ad, open the e-mail, open
    the door). ``None`` interpolates it from ``readiness_mean`` between the presets (see :func:`attention_for`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_name("name", self.name))
        object.__setattr__(self, "readiness_mean", check_score("readiness_mean", self.readiness_mean))
        object.__setattr__(self, "readiness_sd", check_score("readiness_sd", self.readiness_sd, low=0.0, high=5.0))
        if self.attention is None:
            object.__setattr__(self, "attention", attention_for(self.readiness_mean))
        else:
            object.__setattr__(self, "attention", check_score("attention", self.attention, low=0.0, high=1.0))


# Fitted by funnel_lib.evidence.calibrate() to the benchmark table (see evidence.benchmarks()); rounded.
_PRESETS = {
    # name: (readiness_mean, attention, description)
    "cold": (3.0, 0.011, "has never heard of you: a stranger who sees your ad or post in a feed"),
    "warm": (4.3, 0.033, "knows you a little: subscribes to your e-mails, follows you, read something of yours"),
    "hot": (4.4, 0.052, "already trusts you: past customers, referrals, people who asked"),
}


def attention_for(readiness_mean: float) -> float:
    """Default first-step attention of an audience with this mean readiness (log-linear between presets).

    >>> round(attention_for(3.0), 3), round(attention_for(0.0), 3)
    (0.011, 0.011)
    >>> attention_for(3.0) < attention_for(4.0) < attention_for(5.0)
    True
    """
    means = [m for m, _, _ in _PRESETS.values()]
    logs = [math.log(a) for _, a, _ in _PRESETS.values()]
    return float(math.exp(float(np.interp(readiness_mean, means, logs))))


AUDIENCES: dict[str, Audience] = {
    name: Audience(name, mean, 1.2, description, attention) for name, (mean, attention, description) in _PRESETS.items()
}


def resolve_audience(audience: Any) -> Audience:
    """Return an :class:`Audience` for a preset name (``"cold"``, ``"warm"``, ``"hot"``) or an Audience.

    >>> resolve_audience("warm").name
    'warm'
    >>> resolve_audience("lukewarm")
    Traceback (most recent call last):
    ...
    ValueError: audience must be one of 'cold', 'warm', 'hot' or an Audience(...), got 'lukewarm'
    """
    if isinstance(audience, Audience):
        return audience
    if isinstance(audience, str) and audience.strip().lower() in AUDIENCES:
        return AUDIENCES[audience.strip().lower()]
    names = ", ".join(repr(name) for name in AUDIENCES)
    message = f"audience must be one of {names} or an Audience(...), got {audience!r}"
    if isinstance(audience, str):
        raise ValueError(message)
    raise TypeError(message)
