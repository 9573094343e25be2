"""The five stages of a micro-commitment funnel, in the order a person moves through them."""

from __future__ import annotations

from enum import Enum
from typing import Any

from funnel_lib._validate import choice_error
from funnel_lib.errors import FunnelTypeError

__all__ = ["Stage"]

_GOALS = {
    "entry": "catch attention with something that costs almost nothing",
    "engagement": "hand over something useful straight away",
    "progression": "offer the next, slightly deeper step",
    "reinforcement": "show proof and build confidence",
    "conversion": "ask for the main action once the person is ready",
}


class Stage(Enum):
    """A funnel stage; stages compare in funnel order and accept their lower-case names.

    >>> Stage("entry") < Stage.CONVERSION
    True
    >>> Stage.coerce("Progression").label
    'Progression'
    """

    ENTRY = "entry"
    ENGAGEMENT = "engagement"
    PROGRESSION = "progression"
    REINFORCEMENT = "reinforcement"
    CONVERSION = "conversion"

    @classmethod
    def _missing_(cls, value: object) -> Stage:
        if isinstance(value, str):
            wanted = value.strip().lower()
            for stage in cls:
                if stage.value == wanted:
                    return stage
        raise choice_error("stage", value, [stage.value for stage in cls])

    @classmethod
    def coerce(cls, value: Any, argument: str = "stage") -> Stage:
        """Return ``value`` as a Stage, accepting a Stage or its name in any case.

        >>> Stage.coerce("REINFORCEMENT")
        <Stage.REINFORCEMENT: 'reinforcement'>
        >>> Stage.coerce("checkout")
        Traceback (most recent call last):
        ...
        funnel_lib.FunnelValueError: stage must be one of 'entry', 'engagement', 'progression', 'reinforcement', \
'conversion', got 'checkout'
        """
        if isinstance(value, Stage):
            return value
        names = [stage.value for stage in cls]
        if not isinstance(value, str):
            raise FunnelTypeError(f"{argument} must be a Stage or one of {', '.join(map(repr, names))}, "
                                  f"got {value!r} ({type(value).__name__})")
        wanted = value.strip().lower()
        if wanted not in names:
            raise choice_error(argument, value, names)
        return cls(wanted)

    @property
    def rank(self) -> int:
        """Position of the stage in the funnel, from 0 (entry) to 4 (conversion).

        >>> Stage.PROGRESSION.rank
        2
        """
        return _ORDER[self]

    @property
    def label(self) -> str:
        """The stage name for display.

        >>> Stage.ENGAGEMENT.label
        'Engagement'
        """
        return self.value.capitalize()

    @property
    def goal(self) -> str:
        """What a step at this stage is for, in a few plain words.

        >>> Stage.ENTRY.goal
        'catch attention with something that costs almost nothing'
        """
        return _GOALS[self.value]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank >= other.rank


_ORDER = {stage: index for index, stage in enumerate(Stage)}
