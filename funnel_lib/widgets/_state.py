"""The funnel builder's state, apart from its view: the design, the audience, undo and the baseline cache.

:class:`BuilderState` is plain Python (no widgets), so everything the builder does to a design
can be tested, and reused, without a page: add, remove, move and edit steps, switch audience,
load an example, undo, reset, and :meth:`BuilderState.evaluate` - one simulation per change,
re-used by the checker, and a cached "one big ask" baseline.

>>> from funnel_lib.examples import get_example
>>> state = BuilderState(get_example("one_big_ask"), "cold")
>>> state.add("watch_clip", position=0), [s.name for s in state.funnel]
(0, ['Watch a 10-second clip', 'Enrol in the course'])
>>> state.undo(), len(state.funnel)
(True, 1)
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from funnel_lib._format import describe
from funnel_lib.audience import Audience, resolve_audience
from funnel_lib.examples import EXAMPLES, get_example
from funnel_lib.framework import Report, check
from funnel_lib.model import Funnel, Step
from funnel_lib.simulate import SimulationResult, big_ask_baseline, simulate
from funnel_lib.stages import Stage
from funnel_lib.thresholds import Thresholds, resolve_thresholds

__all__ = ["BuilderState", "Evaluation", "resolve_funnel", "MAX_STEPS", "UNDO_DEPTH", "BASELINE_CACHE"]

MAX_STEPS = 16
"""The most steps a builder holds (and the number of bars the live chart keeps ready)."""
UNDO_DEPTH = 30
"""How many designs Undo remembers."""
BASELINE_CACHE = 64
"""How many "one big ask" baselines are kept (one per last step and audience)."""


def resolve_funnel(value: Any, argument: str = "funnel") -> Funnel:
    """A fresh Funnel from a Funnel (copied) or the name of an example in :mod:`funnel_lib.examples`.

    >>> len(resolve_funnel("local_gym"))
    5
    """
    if isinstance(value, Funnel):
        return value.copy()
    if isinstance(value, str):
        if value in EXAMPLES:
            return get_example(value)
        names = ", ".join(repr(n) for n in EXAMPLES)
        raise ValueError(f"{argument} must be a Funnel or one of the example names {names}, got {value!r}")
    raise TypeError(f"{argument} must be a Funnel or the name of an example, got {describe(value)}")


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of a design: its simulation, the one-big-ask baseline and the checker's report.

    >>> ev = BuilderState("local_gym", "warm").evaluate()
    >>> ev.report.fit_flags is not None and 0 < ev.baseline.conversion < ev.result.conversion
    True
    """

    result: SimulationResult
    baseline: SimulationResult
    report: Report


class BuilderState:
    """The builder's design and audience, with undo, a reset point and a cache of baselines; no widgets.

    ``funnel`` is a Funnel or an example name (copied), ``audience`` a name or an Audience,
    ``thresholds`` the checker's (a :class:`~funnel_lib.thresholds.Thresholds`, a dict of
    overrides or None). :attr:`funnel` is the live design: read it, and change it through the
    methods. Structural changes (add, remove, move, load, reset) can be undone; edits of a step's
    fields (:meth:`replace`) are not, as a slider moves through many values.

    >>> state = BuilderState("local_gym", "warm")
    >>> _ = state.remove(0); state.move(0, 1); state.can_undo
    True
    >>> state.reset(); len(state.funnel), state.audience.name
    (5, 'warm')
    """

    def __init__(self, funnel: Funnel | str, audience: str | Audience = "cold", *,
                 thresholds: Thresholds | dict[str, Any] | None = None) -> None:
        start = resolve_funnel(funnel)
        self._check_size(start)
        who = resolve_audience(audience)
        self.thresholds = resolve_thresholds(thresholds)
        self.funnel = start.copy()
        self.audience = who
        self.start = (start.copy(), who)
        self.history: list[tuple[Funnel, Audience]] = []
        self._baselines: OrderedDict[tuple[Step, Audience], SimulationResult] = OrderedDict()

    @staticmethod
    def _check_size(funnel: Funnel) -> None:
        if len(funnel) > MAX_STEPS:
            raise ValueError(f"funnel must have at most {MAX_STEPS} steps for the builder, got {len(funnel)}")

    @property
    def can_undo(self) -> bool:
        """Whether :meth:`undo` has anything to bring back.

        >>> BuilderState("local_gym").can_undo
        False
        """
        return bool(self.history)

    def remember(self) -> None:
        """Push the current design and audience on the undo stack (at most :data:`UNDO_DEPTH` kept).

        >>> state = BuilderState("local_gym"); state.remember(); state.can_undo
        True
        """
        self.history.append((self.funnel.copy(), self.audience))
        del self.history[:-UNDO_DEPTH]

    def check_index(self, index: Any, argument: str) -> int:
        """``index`` when it is the position of a step, else an IndexError naming ``argument``.

        >>> BuilderState("one_big_ask").check_index(3, "index")
        Traceback (most recent call last):
        ...
        IndexError: index must be a step position from 0 to 0, got 3 (int)
        """
        size = len(self.funnel)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            allowed = f"from 0 to {size - 1}" if size else "none (the funnel has no steps)"
            raise IndexError(f"{argument} must be a step position {allowed}, got {describe(index)}")
        return index

    def new_step(self, step: Step | str | None) -> Step:
        """A Step from a Step, a catalogue key, or ``None`` for a blank one named after its position.

        >>> BuilderState("one_big_ask").new_step(None).name
        'New step 2'
        """
        if isinstance(step, Step):
            return step
        if step is None or step == "":
            used = {s.name for s in self.funnel.steps}
            k = len(self.funnel) + 1
            while f"New step {k}" in used:
                k += 1
            stage = self.funnel.steps[-1].stage if len(self.funnel) else Stage.ENTRY
            if stage is Stage.CONVERSION:
                stage = Stage.PROGRESSION
            return Step(f"New step {k}", stage, ask=2.0, value=3.0, trust=2.0)
        if isinstance(step, str):
            return Step.from_catalog(step)
        raise TypeError(f"step must be a Step, a catalogue key such as 'quiz', or None, got {describe(step)}")

    def load(self, funnel: Funnel | str, audience: str | Audience | None = None) -> None:
        """Replace the design (and the audience, when given); undo brings the old one back.

        >>> state = BuilderState("one_big_ask"); state.load("local_gym", "hot"); state.audience.name
        'hot'
        """
        new = resolve_funnel(funnel)
        self._check_size(new)
        who = self.audience if audience is None else resolve_audience(audience)
        self.remember()
        self.funnel = new
        self.audience = who

    def add(self, step: Step | str | None = None, *, position: int | None = None) -> int:
        """Insert a step (a Step, a catalogue key or ``None`` for a blank one) at ``position``; return it.

        >>> BuilderState("one_big_ask").add("quiz")
        1
        """
        if len(self.funnel) >= MAX_STEPS:
            raise ValueError(f"the builder holds at most {MAX_STEPS} steps; remove one before adding another")
        new = self.new_step(step)
        size = len(self.funnel)
        if position is None:
            position = size
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= size:
            raise ValueError(f"position must be a whole number from 0 to {size}, got {describe(position)}")
        self.remember()
        self.funnel.insert(position, new)
        return position

    def remove(self, index: int) -> Step:
        """Remove the step at ``index`` and return it.

        >>> BuilderState("local_gym").remove(0).stage.value
        'entry'
        """
        self.check_index(index, "index")
        self.remember()
        return self.funnel.remove(index)

    def move(self, index: int, to: int) -> None:
        """Move the step at ``index`` to position ``to``.

        >>> state = BuilderState("local_gym"); state.move(4, 0); state.funnel.steps[0].stage.value
        'conversion'
        """
        self.check_index(index, "index")
        self.check_index(to, "to")
        self.remember()
        self.funnel.move(index, to)

    def replace(self, index: int, **changes: Any) -> Step:
        """Change fields of the step at ``index`` (not undoable: a slider passes through many values).

        >>> BuilderState("local_gym").replace(0, ask=2).ask
        2.0
        """
        self.check_index(index, "index")
        return self.funnel.replace(index, **changes)

    def set_audience(self, audience: str | Audience) -> Audience:
        """Switch the audience (not undoable on its own, as before) and return it.

        >>> BuilderState("local_gym").set_audience("hot").name
        'hot'
        """
        self.audience = resolve_audience(audience)
        return self.audience

    def undo(self) -> bool:
        """Bring back the design and audience before the last structural change; False when there is none.

        >>> BuilderState("local_gym").undo()
        False
        """
        if not self.history:
            return False
        self.funnel, self.audience = self.history.pop()
        return True

    def reset(self) -> None:
        """Go back to the starting design and audience (undoable).

        >>> state = BuilderState("one_big_ask"); _ = state.add("quiz"); state.reset(); len(state.funnel)
        1
        """
        funnel, who = self.start
        self.remember()
        self.funnel = funnel.copy()
        self.audience = who

    def baseline(self) -> SimulationResult:
        """The "one big ask" baseline for the current last step and audience (cached; needs a step).

        >>> state = BuilderState("local_gym"); state.baseline() is state.baseline()
        True
        """
        key = (self.funnel.steps[-1], self.audience)
        cached = self._baselines.get(key)
        if cached is None:
            cached = simulate(big_ask_baseline(self.funnel), self.audience)
            self._baselines[key] = cached
            while len(self._baselines) > BASELINE_CACHE:
                self._baselines.popitem(last=False)
        else:
            self._baselines.move_to_end(key)
        return cached

    def evaluate(self) -> Evaluation | None:
        """Simulate the design once, check it with that simulation, and fetch its baseline (None without steps).

        >>> BuilderState("one_big_ask").evaluate().report.ok
        False
        """
        if len(self.funnel) == 0:
            return None
        result = simulate(self.funnel, self.audience)
        report = check(self.funnel, self.thresholds, audience=self.audience, simulation=result)
        return Evaluation(result, self.baseline(), report)
