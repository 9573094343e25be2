"""The checker's thresholds: every number :func:`funnel_lib.framework.check` judges a funnel by.

They are teaching defaults, chosen so that the catalogue's actions (see
:mod:`funnel_lib.catalog`) put together in the framework's order pass, and the course's
broken examples fail. An instructor can change any of them for a class:

>>> strict = Thresholds(max_entry_ask=1.5, max_jump=2)
>>> strict.max_jump
2.0
>>> DEFAULT_THRESHOLDS.replace(max_steps=10).max_steps
10
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from funnel_lib._validate import check_positive_int, check_score

__all__ = ["Thresholds", "DEFAULT_THRESHOLDS", "resolve_thresholds"]


def _size(default: float, doc: str, rules: str) -> Any:
    """A threshold on the 0-10 scale of ask, value and trust."""
    return field(default=float(default), metadata={"doc": doc, "rules": rules, "kind": "size"})


def _ratio(default: float, doc: str, rules: str) -> Any:
    """A non-negative multiplier (0-10)."""
    return field(default=float(default), metadata={"doc": doc, "rules": rules, "kind": "ratio"})


def _count(default: int, doc: str, rules: str, *, allow_zero: bool = False) -> Any:
    """A whole number of steps."""
    kind = "count0" if allow_zero else "count"
    return field(default=int(default), metadata={"doc": doc, "rules": rules, "kind": kind})


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The named limits the checker uses; every field has a default an instructor can override.

    Sizes (ask, value, trust, readiness) are on the course's 0-10 scale.

    ===================  =======  =====  ==========================================================
    field                default  rules  meaning
    ===================  =======  =====  ==========================================================
    max_entry_ask        2        MC201  largest ask for the first step
    early_value_steps    2        MC301  value must arrive within this many first steps
    min_early_value      3        MC301  value one of those first steps must give
    min_value            2        MC302  least value a step before the conversion should give
                                  MC303
    reward_ratio         1        MC304  a step should give back at least this times its ask
    max_jump             3        MC203  largest rise of an ask over the biggest earlier ask
    min_rungs            2        MC204  steps between entry and conversion that raise the ask
    big_ask              6        MC202  an ask this size or more is a big commitment
                                  MC402
    warmup_steps         3        MC202  smaller steps needed before the first big ask
    drop_tolerance       1        MC205  a fall in ask larger than this counts as a drop
    max_drops            1        MC205  drops allowed along the funnel
    max_drop             3        MC206  largest fall of an ask from one step to the next
    trust_free_ask       2        MC401  asks up to this size need no trust signals
    trust_per_ask        0.5      MC401  trust needed per point of ask above trust_free_ask
    proof_trust          6        MC402  trust that counts as strong proof before a big ask
    min_steps            3        MC106  fewest steps a funnel needs
    max_steps            8        MC107  most steps before a funnel gets too long
    trivial_ask          1.5      MC108  an ask below this is a trivial click or glance
    max_trivial_steps    3        MC108  trivial steps allowed before the conversion
    stagnation_gap       3.3      MC501  an ask this far below predicted readiness is too small
    stagnation_run       2        MC501  consecutive too-small steps that count as stagnation
    resistance_gap       3        MC502  an ask this far above predicted readiness meets resistance
    readiness_gap        1        MC503  how far the conversion's ask may exceed readiness
    max_cancel_effort    2        MC603  most effort leaving may take (2: a short online form)
    max_hidden_cost      0        MC604  most of a step's ask that may be shown only at that step
    ===================  =======  =====  ==========================================================

    Each field also carries its own description (see :meth:`to_frame`). Values are checked
    when the object is made, with errors that name the field:

    >>> Thresholds(max_jump=-1)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: max_jump must be between 0 and 10, got -1
    >>> Thresholds().trust_needed(8)
    3.0
    """

    max_entry_ask: float = _size(2, "largest ask for the first step: a stranger should say yes without thinking",
                                 "MC201")
    early_value_steps: int = _count(2, "value must arrive within this many first steps", "MC301")
    min_early_value: float = _size(3, "value at least one of the first early_value_steps steps must give", "MC301")
    min_value: float = _size(2, "least value every step after the entry and before the conversion should give",
                             "MC302, MC303")
    reward_ratio: float = _ratio(1, "a step before the conversion should give back at least this times its ask",
                                 "MC304")
    max_jump: float = _size(3, "largest rise of a step's ask over the biggest ask before it", "MC203")
    min_rungs: int = _count(2, "steps between the entry and the conversion that must raise the biggest ask so far",
                            "MC204", allow_zero=True)
    big_ask: float = _size(6, "an ask this size or more is a big commitment (a demo call, a purchase)",
                           "MC202, MC402")
    warmup_steps: int = _count(3, "smaller steps that must come before the first big ask", "MC202", allow_zero=True)
    drop_tolerance: float = _size(1, "a fall in ask from one step to the next larger than this counts as a drop",
                                  "MC205")
    max_drops: int = _count(1, "drops in ask allowed along the funnel (one dip for a proof step is normal)",
                            "MC205", allow_zero=True)
    max_drop: float = _size(3, "largest fall of an ask from one step to the next", "MC206")
    trust_free_ask: float = _size(2, "asks up to this size need no trust signals", "MC401")
    trust_per_ask: float = _ratio(0.5, "trust a step needs per point of ask above trust_free_ask", "MC401")
    proof_trust: float = _size(6, "trust that counts as strong proof (customer stories, a case study)", "MC402")
    min_steps: int = _count(3, "fewest steps a funnel needs: an entry, a next step and the conversion", "MC106")
    max_steps: int = _count(8, "most steps before the funnel counts as too long", "MC107")
    trivial_ask: float = _size(1.5, "an ask below this is a trivial click or glance", "MC108")
    max_trivial_steps: int = _count(3, "trivial steps allowed before the conversion", "MC108", allow_zero=True)
    stagnation_gap: float = _size(3.3, "an ask this far below the predicted readiness of the people reaching it "
                                     "is too small", "MC501")
    stagnation_run: int = _count(2, "consecutive too-small steps that count as stagnation", "MC501")
    resistance_gap: float = _size(3, "an ask this far above the predicted readiness of the people reaching it "
                                     "meets resistance", "MC502")
    readiness_gap: float = _size(1, "how far the conversion's ask may exceed the predicted readiness of the "
                                    "people reaching it", "MC503")
    max_cancel_effort: float = _size(2, "most effort that cancelling, unsubscribing or leaving may take, on the "
                                        "ask scale (1 one click, 2 a short online form, 8 a phone call)", "MC603")
    max_hidden_cost: float = _size(0, "most of a step's ask that may be revealed only at that step (fees first "
                                      "shown at checkout); 0 means every cost is shown up front", "MC604")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = f.metadata["kind"]
            if kind in ("count", "count0"):
                number: float = check_positive_int(f.name, value, allow_zero=kind == "count0")
            else:
                number = check_score(f.name, value)
            object.__setattr__(self, f.name, number)
        if self.max_steps < self.min_steps:
            raise ValueError(f"max_steps must be at least min_steps ({self.min_steps}), got {self.max_steps}")

    def replace(self, **changes: Any) -> Thresholds:
        """Return a copy with some thresholds changed (validated like new ones).

        >>> Thresholds().replace(max_entry_ask=3).max_entry_ask
        3.0
        >>> Thresholds().replace(max_entry=3)
        Traceback (most recent call last):
        ...
        TypeError: unknown threshold 'max_entry'; allowed: max_entry_ask, early_value_steps, ...
        """
        _check_names(changes)
        return dataclasses.replace(self, **changes)

    def trust_needed(self, ask: float) -> float:
        """Trust a step with this ask should show: ``trust_per_ask * (ask - trust_free_ask)``, at least 0.

        >>> t = Thresholds()
        >>> t.trust_needed(2), t.trust_needed(6), t.trust_needed(10)
        (0.0, 2.0, 4.0)
        """
        ask = check_score("ask", ask)
        return max(0.0, self.trust_per_ask * (ask - self.trust_free_ask))

    def to_frame(self) -> pd.DataFrame:
        """One row per threshold: its value, its default, the rules that use it and what it means.

        >>> Thresholds(max_steps=10).to_frame().loc["max_steps", ["value", "default"]].tolist()
        [10, 8]
        """
        names = [f.name for f in fields(self)]
        return pd.DataFrame(
            {
                # object columns keep whole-number thresholds as ints next to the float ones
                "value": pd.Series([getattr(self, n) for n in names], index=names, dtype=object),
                "default": pd.Series([f.default for f in fields(self)], index=names, dtype=object),
                "rules": [f.metadata["rules"] for f in fields(self)],
                "meaning": [f.metadata["doc"] for f in fields(self)],
            },
            index=pd.Index(names, name="threshold"),
        )


DEFAULT_THRESHOLDS = Thresholds()

_NAMES = tuple(f.name for f in fields(Thresholds))


def _check_names(changes: Mapping[str, Any]) -> None:
    unknown = [name for name in changes if name not in _NAMES]
    if unknown:
        raise TypeError(f"unknown threshold {unknown[0]!r}; allowed: {', '.join(_NAMES)}")


def resolve_thresholds(thresholds: Thresholds | Mapping[str, Any] | None) -> Thresholds:
    """Return a :class:`Thresholds` from one, from a dict of overrides, or the defaults for ``None``.

    >>> resolve_thresholds({"max_steps": 10}).max_steps
    10
    >>> resolve_thresholds(None) == DEFAULT_THRESHOLDS
    True
    >>> resolve_thresholds(3)
    Traceback (most recent call last):
    ...
    TypeError: thresholds must be a Thresholds, a dict of overrides such as {'max_steps': 10}, or None, got 3 (int)
    """
    if thresholds is None:
        return DEFAULT_THRESHOLDS
    if isinstance(thresholds, Thresholds):
        return thresholds
    if isinstance(thresholds, Mapping):
        bad = [key for key in thresholds if not isinstance(key, str)]
        if bad:
            raise TypeError(f"threshold names must be strings, got {bad[0]!r}")
        _check_names(thresholds)
        return DEFAULT_THRESHOLDS.replace(**thresholds)
    raise TypeError("thresholds must be a Thresholds, a dict of overrides such as {'max_steps': 10}, or None, "
                    f"got {thresholds!r} ({type(thresholds).__name__})")
