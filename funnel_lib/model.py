"""Funnel designs: a :class:`Step` is one ask, a :class:`Funnel` is an ordered list of steps.

A step is immutable and validated when it is made, and a funnel checks every step it is
given, so a funnel can never hold an invalid step.

>>> funnel = Funnel([Step("Watch a clip", "entry", ask=1, value=2),
...                  Step("Buy", "conversion", ask=8, value=8, trust=5)], name="demo")
>>> [step.name for step in funnel]
['Watch a clip', 'Buy']
>>> Funnel.from_json(funnel.to_json()) == funnel
True
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from funnel_lib._validate import check_flag, check_name, check_score, check_text, convert_fields, converts, optional
from funnel_lib.catalog import lookup_action
from funnel_lib.errors import FunnelIndexError, FunnelTypeError, FunnelValueError
from funnel_lib.stages import Stage

__all__ = ["Step", "Funnel", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "small-yeses-funnel"
FORMAT_VERSION = 2
"""The newest file version. Version 1 files (no ethics fields) still load; a funnel that uses no
ethics field is still written as version 1, so files made before version 2 stay byte-for-byte the same."""

_ETHICS_FLAGS = ("consent_preticked", "card_required", "auto_renews", "added_extras", "false_urgency",
                 "confirmshaming")
_ETHICS_SIZES = ("cancel_effort", "hidden_cost")
_ETHICS_KEYS = _ETHICS_FLAGS + _ETHICS_SIZES
_STEP_KEYS = ("name", "stage", "ask", "value", "trust", "description", "action") + _ETHICS_KEYS


def _stage(argument: str, value: Any) -> Stage:
    return Stage.coerce(value, argument)


def _action_key(argument: str, value: Any) -> str:
    return lookup_action(value).key


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Step:
    """One step of a funnel: what is asked (``ask``), what is given (``value``) and the trust shown.

    All three sizes are on a 0-10 scale; ``stage`` is a :class:`Stage` or its lower-case name.

    Eight optional fields describe how the step treats people, so the checker's ethics rules
    (``MC6xx``, lesson 12) can flag dark patterns. Their defaults describe a fair step, so a
    step that leaves them alone is exactly what it was before they existed:

    ==================  =======  ======================================================================
    field               default  meaning
    ==================  =======  ======================================================================
    consent_preticked   False    a consent box (e-mails, sharing data) is already ticked for the person
    card_required       False    the step asks for payment details, even if nothing is charged yet
    auto_renews         False    what the step starts turns into (or stays) a paid plan unless cancelled
    cancel_effort       0        how hard it is to undo or leave what the step started, on the ask scale
                                 (0 nothing to undo, 1 one click, 5 a form and a wait, 8 a phone call)
    hidden_cost         0        part of this step's ask that was not shown before (fees at checkout);
                                 at most ``ask``
    added_extras        False    the step puts a paid extra in the basket that the person did not choose
    false_urgency       False    a countdown, deadline or "only 2 left" that is not true
    confirmshaming      False    the way to say no is worded to shame ("No thanks, I like losing money")
    ==================  =======  ======================================================================

    >>> Step("Take a 3-question quiz", "engagement", ask=2, value=4)
    Step(name='Take a 3-question quiz', stage='engagement', ask=2.0, value=4.0, trust=0.0)
    >>> Step("Start a free trial", "progression", ask=5, card_required=True, auto_renews=True)
    Step(name='Start a free trial', stage='progression', ask=5.0, value=0.0, trust=0.0, card_required=True, \
auto_renews=True)
    >>> Step("Buy", "conversion", ask=12)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: ask must be between 0 and 10, got 12
    >>> Step("Buy", "conversion", ask=6, hidden_cost=7)
    Traceback (most recent call last):
    ...
    funnel_lib.FunnelValueError: hidden_cost must be at most the step's ask (6), got 7
    """

    name: str = field(metadata=converts(check_name))
    stage: Stage = field(metadata=converts(_stage))
    """Always a :class:`Stage` once the step is made; the constructor also takes the stage's name."""
    ask: float = field(metadata=converts(check_score))
    value: float = field(default=0.0, metadata=converts(check_score))
    trust: float = field(default=0.0, metadata=converts(check_score))
    description: str = field(default="", metadata=converts(check_text))
    action: str | None = field(default=None, metadata=converts(optional(_action_key)))
    consent_preticked: bool = field(default=False, metadata=converts(check_flag))
    card_required: bool = field(default=False, metadata=converts(check_flag))
    auto_renews: bool = field(default=False, metadata=converts(check_flag))
    cancel_effort: float = field(default=0.0, metadata=converts(check_score))
    hidden_cost: float = field(default=0.0, metadata=converts(check_score))
    added_extras: bool = field(default=False, metadata=converts(check_flag))
    false_urgency: bool = field(default=False, metadata=converts(check_flag))
    confirmshaming: bool = field(default=False, metadata=converts(check_flag))

    def __init__(self, name: str, stage: Stage | str, ask: float, value: float = 0.0, trust: float = 0.0,
                 description: str = "", action: str | None = None, consent_preticked: bool = False,
                 card_required: bool = False, auto_renews: bool = False, cancel_effort: float = 0.0,
                 hidden_cost: float = 0.0, added_extras: bool = False, false_urgency: bool = False,
                 confirmshaming: bool = False) -> None:
        # Written by hand only so that ``stage`` is honestly typed ``Stage | str``: every field is
        # checked and converted by the converter its declaration names.
        convert_fields(self, locals())
        if self.hidden_cost > self.ask:
            raise FunnelValueError(f"hidden_cost must be at most the step's ask ({self.ask:g}), "
                                   f"got {self.hidden_cost:g}")

    def ethics(self) -> dict[str, Any]:
        """The ethics fields that differ from their fair defaults (empty for a fair step).

        >>> Step("Buy", "conversion", ask=6, hidden_cost=1.5).ethics()
        {'hidden_cost': 1.5}
        >>> Step("Buy", "conversion", ask=6).ethics()
        {}
        """
        return {key: getattr(self, key) for key in _ETHICS_KEYS if getattr(self, key)}

    def __repr__(self) -> str:
        """Name, stage and the three sizes, then every other field that is not at its default.

        Every field takes part in ``==``, so two steps with the same repr are equal, and
        ``eval(repr(step)) == step``.

        >>> Step.from_catalog("quiz")
        Step(name='Take a 3-question quiz', stage='engagement', ask=2.0, value=4.0, trust=2.0, \
description='a minute of effort; the answer is personal value', action='quiz')
        """
        shown = {"name": self.name, "stage": self.stage.value, "ask": self.ask, "value": self.value,
                 "trust": self.trust}
        shown.update((key, getattr(self, key)) for key, default in _OPTIONAL_DEFAULTS
                     if getattr(self, key) != default)
        return "Step(" + ", ".join(f"{key}={value!r}" for key, value in shown.items()) + ")"

    @classmethod
    def from_catalog(cls, action: str, **overrides: Any) -> Step:
        """Make a step from the ask catalogue; keyword arguments override the defaults.

        >>> Step.from_catalog("free_trial", stage="reinforcement").stage
        <Stage.REINFORCEMENT: 'reinforcement'>
        >>> Step.from_catalog("buy", name="Buy the course", ask=7).ask
        7.0
        """
        entry = lookup_action(action)
        unknown = sorted(set(overrides) - set(_STEP_KEYS) - {"action"})
        if unknown:
            raise FunnelTypeError(f"from_catalog got unexpected keyword {unknown[0]!r}; allowed: "
                            + ", ".join(repr(k) for k in _STEP_KEYS if k != "action"))
        fields: dict[str, Any] = {
            "name": entry.label, "stage": entry.stage, "ask": entry.ask, "value": entry.value,
            "trust": entry.trust, "description": entry.why, "action": entry.key,
        }
        fields.update(overrides)
        return cls(**fields)

    def replace(self, **changes: Any) -> Step:
        """Return a copy with some fields changed (validated like a new step).

        >>> Step("Quiz", "engagement", ask=2).replace(ask=3).ask
        3.0
        """
        unknown = sorted(set(changes) - set(_STEP_KEYS))
        if unknown:
            raise FunnelTypeError(f"replace got unexpected field {unknown[0]!r}; allowed: "
                            + ", ".join(repr(k) for k in _STEP_KEYS))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The step as plain JSON-ready data.

        >>> Step("Quiz", "engagement", ask=2).to_dict()
        {'name': 'Quiz', 'stage': 'engagement', 'ask': 2.0, 'value': 0.0, 'trust': 0.0}
        """
        data: dict[str, Any] = {"name": self.name, "stage": self.stage.value, "ask": self.ask,
                                "value": self.value, "trust": self.trust}
        if self.description:
            data["description"] = self.description
        if self.action is not None:
            data["action"] = self.action
        data.update(self.ethics())
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Step:
        """Make a step from :meth:`to_dict` output, rejecting unknown or missing keys.

        >>> Step.from_dict({"name": "Quiz", "stage": "engagement", "ask": 2})
        Step(name='Quiz', stage='engagement', ask=2.0, value=0.0, trust=0.0)
        """
        if not isinstance(data, dict):
            raise FunnelTypeError(f"a step must be a dict with keys {list(_STEP_KEYS)}, got {data!r}")
        unknown = sorted(set(data) - set(_STEP_KEYS))
        if unknown:
            raise FunnelValueError(f"step has unknown key {unknown[0]!r}; allowed keys: {list(_STEP_KEYS)}")
        missing = [k for k in ("name", "stage", "ask") if k not in data]
        if missing:
            raise FunnelValueError(f"step {data!r} is missing key {missing[0]!r}")
        return cls(**data)


_OPTIONAL_DEFAULTS = tuple((f.name, f.default) for f in dataclasses.fields(Step)
                           if f.name not in ("name", "stage", "ask", "value", "trust"))


class Funnel:
    """An ordered list of steps with a name; every change is validated.

    >>> f = Funnel([Step("Watch", "entry", ask=1)], name="mini")
    >>> f.add(Step("Buy", "conversion", ask=8))
    >>> f.move(1, 0)
    >>> [s.name for s in f.steps]
    ['Buy', 'Watch']
    >>> len(f)
    2
    """

    __slots__ = ("_steps", "_name")

    def __init__(self, steps: Iterable[Step] = (), name: str = "") -> None:
        if isinstance(steps, (str, bytes, Step)) or not isinstance(steps, Iterable):
            raise FunnelTypeError(f"steps must be a list of Step objects, got {steps!r} ({type(steps).__name__})")
        self._steps: list[Step] = [self._check_step(step, position=i) for i, step in enumerate(steps)]
        self.name = name

    # -- validation -------------------------------------------------------------------------
    @staticmethod
    def _check_step(step: Any, position: int | None = None) -> Step:
        if not isinstance(step, Step):
            where = f"steps[{position}]" if position is not None else "step"
            raise FunnelTypeError(f"{where} must be a Step, got {step!r} ({type(step).__name__}); "
                            "make one with Step(name, stage, ask) or Step.from_catalog(action)")
        return step

    def _check_index(self, index: Any, *, argument: str = "index", inserting: bool = False) -> int:
        size = len(self._steps) + (1 if inserting else 0)
        if isinstance(index, bool) or not isinstance(index, int):
            raise FunnelTypeError(f"{argument} must be a whole number, got {index!r} ({type(index).__name__})")
        if size == 0:
            raise FunnelIndexError(f"{argument} {index} is out of range: the funnel has no steps yet; add one first")
        if not -size <= index < size:
            raise FunnelIndexError(f"{argument} must be between 0 and {size - 1} (the funnel has "
                             f"{len(self._steps)} steps), got {index}")
        return index % size

    def index(self, name: str) -> int:
        """Position of the first step called ``name``.

        >>> Funnel([Step("A", "entry", ask=1), Step("B", "conversion", ask=8)]).index("B")
        1
        """
        for i, step in enumerate(self._steps):
            if step.name == name:
                return i
        names = [s.name for s in self._steps]
        raise FunnelValueError(f"no step called {name!r}; steps are {names}")

    def _resolve(self, key: int | str, argument: str = "index") -> int:
        return self.index(key) if isinstance(key, str) else self._check_index(key, argument=argument)

    # -- reading ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The funnel's display name (may be empty)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str):
            raise FunnelTypeError(f"name must be a string, got {value!r} ({type(value).__name__})")
        self._name = value.strip()

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps in order (a tuple: change the funnel through its methods).

        >>> Funnel([Step("A", "entry", ask=1)]).steps
        (Step(name='A', stage='entry', ask=1.0, value=0.0, trust=0.0),)
        """
        return tuple(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(tuple(self._steps))

    def __getitem__(self, key: int | str) -> Step:
        return self._steps[self._resolve(key)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Funnel):
            return NotImplemented
        return self._name == other._name and self._steps == other._steps

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self._steps)
        return f"Funnel([{inner}], name={self._name!r})"

    # -- changing ---------------------------------------------------------------------------
    def add(self, step: Step) -> None:
        """Append a step at the end.

        >>> f = Funnel(); f.add(Step("A", "entry", ask=1)); len(f)
        1
        """
        self._steps.append(self._check_step(step))

    def insert(self, index: int, step: Step) -> None:
        """Insert a step before position ``index`` (``len(funnel)`` appends).

        >>> f = Funnel([Step("B", "conversion", ask=8)]); f.insert(0, Step("A", "entry", ask=1))
        >>> [s.name for s in f]
        ['A', 'B']
        """
        step = self._check_step(step)
        if isinstance(index, bool) or not isinstance(index, int):
            raise FunnelTypeError(f"index must be a whole number, got {index!r} ({type(index).__name__})")
        size = len(self._steps)
        if not -size <= index <= size:
            raise FunnelIndexError(f"index must be between 0 and {size} (the funnel has {size} steps), got {index}")
        self._steps.insert(index if index >= 0 else index + size, step)

    def remove(self, key: int | str) -> Step:
        """Remove the step at position ``key`` (or with that name) and return it.

        >>> f = Funnel([Step("A", "entry", ask=1), Step("B", "conversion", ask=8)])
        >>> f.remove("A").name
        'A'
        """
        return self._steps.pop(self._resolve(key))

    def move(self, key: int | str, to: int) -> None:
        """Move a step (by position or name) to position ``to``.

        >>> f = Funnel([Step("A", "entry", ask=1), Step("B", "conversion", ask=8)])
        >>> f.move("B", 0); [s.name for s in f]
        ['B', 'A']
        """
        source = self._resolve(key)
        target = self._check_index(to, argument="to")
        self._steps.insert(target, self._steps.pop(source))

    def replace(self, key: int | str, step: Step | None = None, **changes: Any) -> Step:
        """Swap in a new step at a position, or change some of its fields; returns the new step.

        >>> f = Funnel([Step("A", "entry", ask=1)])
        >>> f.replace(0, ask=2).ask
        2.0
        """
        position = self._resolve(key)
        if step is None:
            new = self._steps[position].replace(**changes)
        else:
            if changes:
                raise FunnelTypeError("pass either a new step or field changes to replace, not both")
            new = self._check_step(step)
        self._steps[position] = new
        return new

    def copy(self, name: str | None = None) -> Funnel:
        """An independent copy, optionally renamed.

        >>> f = Funnel([Step("A", "entry", ask=1)], name="x")
        >>> g = f.copy()
        >>> _ = g.remove(0)
        >>> len(f), len(g)
        (1, 0)
        """
        return Funnel(self._steps, name=self._name if name is None else name)

    # -- conversion -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The funnel as plain JSON-ready data (round-trips exactly through :meth:`from_dict`).

        >>> Funnel([Step("A", "entry", ask=1)], name="x").to_dict()["steps"][0]["ask"]
        1.0
        """
        steps = [s.to_dict() for s in self._steps]
        uses_ethics = any(s.ethics() for s in self._steps)
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION if uses_ethics else 1, "name": self._name,
                "steps": steps}

    @classmethod
    def from_dict(cls, data: Any) -> Funnel:
        """Rebuild a funnel from :meth:`to_dict` output (file versions 1 and 2).

        >>> Funnel.from_dict({"name": "x", "steps": [{"name": "A", "stage": "entry", "ask": 1}]}).name
        'x'
        >>> Funnel.from_dict({"version": 1, "steps": [{"name": "A", "stage": "entry", "ask": 1,
        ...                                            "auto_renews": True}]})
        Traceback (most recent call last):
        ...
        funnel_lib.FunnelValueError: step key 'auto_renews' needs file version 2, but the file says version 1
        """
        if not isinstance(data, dict):
            raise FunnelTypeError(f"funnel data must be a dict with keys 'name' and 'steps', got {type(data).__name__}")
        unknown = sorted(set(data) - {"format", "version", "name", "steps"})
        if unknown:
            raise FunnelValueError(f"funnel data has unknown key {unknown[0]!r}; "
                                   "allowed: 'format', 'version', 'name', 'steps'")
        if data.get("format", FORMAT_NAME) != FORMAT_NAME:
            raise FunnelValueError(f"format must be {FORMAT_NAME!r}, got {data.get('format')!r}")
        version = data.get("version", FORMAT_VERSION)
        if isinstance(version, bool) or version not in range(1, FORMAT_VERSION + 1):
            raise FunnelValueError(f"version must be one of {list(range(1, FORMAT_VERSION + 1))}, got {version!r}")
        steps = data.get("steps")
        if not isinstance(steps, list):
            raise FunnelValueError(f"funnel data needs 'steps' as a list, got {steps!r}")
        if version == 1:
            for step in steps:
                newer = [key for key in _ETHICS_KEYS if isinstance(step, dict) and key in step]
                if newer:
                    raise FunnelValueError(f"step key {newer[0]!r} needs file version 2, but the file says version 1")
        return cls([Step.from_dict(s) for s in steps], name=data.get("name", ""))

    def to_json(self, indent: int | None = 2) -> str:
        """The funnel as JSON text.

        >>> Funnel([Step("A", "entry", ask=1)]).to_json(indent=None)[:40]
        '{"format": "small-yeses-funnel", "versio'
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Funnel:
        """Rebuild a funnel from :meth:`to_json` text.

        >>> Funnel.from_json('{"name": "x", "steps": []}').name
        'x'
        """
        if not isinstance(text, str | bytes):
            raise FunnelTypeError(f"text must be a JSON string, got {type(text).__name__}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FunnelValueError(f"text is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: position (from 1), name, stage, ask, value and trust.

        >>> Funnel([Step("A", "entry", ask=1)]).to_frame()
             name  stage  ask  value  trust
        step
        1       A  entry  1.0    0.0    0.0
        """
        frame = pd.DataFrame(
            {
                "name": [s.name for s in self._steps],
                "stage": [s.stage.value for s in self._steps],
                "ask": np.array([s.ask for s in self._steps], dtype="float64"),
                "value": np.array([s.value for s in self._steps], dtype="float64"),
                "trust": np.array([s.trust for s in self._steps], dtype="float64"),
            },
            index=pd.RangeIndex(1, len(self._steps) + 1, name="step"),
        )
        return frame

    def _repr_html_(self) -> str:
        title = html.escape(self._name) if self._name else "Funnel"
        if not self._steps:
            return f"<div class='funnel-design'><b>{title}</b>: no steps yet.</div>"
        rows = []
        for i, s in enumerate(self._steps, start=1):
            bar = f"<span style='display:inline-block;height:0.8em;width:{s.ask * 8:.0f}px;background:#0072B2'></span>"
            rows.append(
                f"<tr class='funnel-step'><td>{i}</td><td>{html.escape(s.name)}</td><td>{s.stage.label}</td>"
                f"<td>{bar} {s.ask:g}</td><td>{s.value:g}</td><td>{s.trust:g}</td></tr>"
            )
        head = "<tr><th>#</th><th>step</th><th>stage</th><th>ask</th><th>value</th><th>trust</th></tr>"
        return (f"<div class='funnel-design'><b>{title}</b> ({len(self._steps)} steps)"
                f"<table>{head}{''.join(rows)}</table></div>")
