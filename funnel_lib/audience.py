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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from funnel_lib._validate import (
    between,
    check_name,
    check_probability,
    check_score,
    check_text,
    choice_error,
    convert_fields,
    converts,
)

__all__ = ["Audience", "AUDIENCES", "resolve_audience", "attention_for"]


@dataclass(frozen=True, slots=True, init=False)
class Audience:
    """A group of people described by the mean and spread of their starting readiness.

    >>> Audience("trade-show visitors", readiness_mean=3.5, readiness_sd=1.0).readiness_mean
    3.5
    >>> Audience("x", readiness_mean=11)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: readiness_mean must be between 0 and 10, got 11
    """

    name: str = field(metadata=converts(check_name))
    readiness_mean: float = field(metadata=converts(check_score))
    readiness_sd: float = field(default=1.2, metadata=converts(between(0.0, 5.0)))
    description: str = field(default="", metadata=converts(check_text))
    attention: float = field(default=0.0, metadata=converts(check_probability))
    """Share of the audience who engage with the first step at all (notice the ad, open the e-mail, open
    the door). Given as ``None`` (the default), it is interpolated from ``readiness_mean`` between the
    presets (see :func:`attention_for`), so it is always a number once the audience is made."""

    def __init__(self, name: str, readiness_mean: float, readiness_sd: float = 1.2, description: str = "",
                 attention: float | None = None) -> None:
        # Written by hand only so that ``attention`` may be given as None (meaning "interpolate it").
        given = dict(locals(), attention=0.0 if attention is None else attention)
        convert_fields(self, given)
        if attention is None:
            object.__setattr__(self, "attention", attention_for(self.readiness_mean))


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
    funnel_lib.FunnelValueError: audience must be one of 'cold', 'warm', 'hot' or an Audience(...), got 'lukewarm'
    """
    if isinstance(audience, Audience):
        return audience
    if isinstance(audience, str) and audience.strip().lower() in AUDIENCES:
        return AUDIENCES[audience.strip().lower()]
    raise choice_error("audience", audience, AUDIENCES, also="or an Audience(...)", type_error=True)
