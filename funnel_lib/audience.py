"""Audiences: how ready a group of people is, on average, to say yes, and how much they differ.

Readiness is on the same 0-10 scale as a step's ``ask``: a person with readiness 3 takes a
step that asks for 3 about half the time. People differ, so readiness at the start is spread
around the audience's mean (normally distributed with standard deviation ``readiness_sd``).

>>> AUDIENCES["cold"].readiness_mean < AUDIENCES["warm"].readiness_mean < AUDIENCES["hot"].readiness_mean
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from funnel_lib._validate import check_name, check_score

__all__ = ["Audience", "AUDIENCES", "resolve_audience"]


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_name("name", self.name))
        object.__setattr__(self, "readiness_mean", check_score("readiness_mean", self.readiness_mean))
        object.__setattr__(self, "readiness_sd", check_score("readiness_sd", self.readiness_sd, low=0.0, high=5.0))


AUDIENCES: dict[str, Audience] = {
    "cold": Audience("cold", 3.0, 1.2, "has never heard of you: a stranger scrolling past an ad"),
    "warm": Audience("warm", 5.0, 1.2, "knows you a little: follows you, read something of yours"),
    "hot": Audience("hot", 7.0, 1.2, "already trusts you: past customers, referrals, people who asked"),
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
