"""Interactive widgets for JupyterLab and Voila: build a funnel live, or pit two designs against each other.

* :class:`FunnelBuilder` - add, remove, reorder and edit steps with labelled, keyboard-usable
  controls; on every change the user model, the "one big ask" baseline, the chart and the
  checker's findings update at once. ``builder.funnel`` is the current design.
* :class:`FunnelDuel` - two designs side by side for the same audience.
* :class:`BuilderState` - the builder's design, audience, undo and baseline cache, without widgets
  (``builder.state``); ``builder.funnel`` and ``builder.audience`` are traitlets to observe or link.

Both are ipywidgets (``VBox``) and display like any widget; their charts use ipympl in a
live kernel and fall back to PNG images elsewhere. They use the same functions the lessons
use: :func:`funnel_lib.simulate.simulate`, :func:`funnel_lib.simulate.big_ask_baseline` and
:func:`funnel_lib.framework.check`.

>>> from funnel_lib.widgets import FunnelBuilder, FunnelDuel
>>> builder = FunnelBuilder("one_big_ask")
>>> builder.add_step("watch_clip", position=0)
0
>>> [step.name for step in builder.funnel]
['Watch a 10-second clip', 'Enrol in the course']
>>> builder.close()
"""

from funnel_lib.widgets._builder import FunnelBuilder, StepRow, funnel_code, starter_funnel
from funnel_lib.widgets._chart import BACKENDS, MAX_STEPS, LiveFunnelChart
from funnel_lib.widgets._duel import FunnelDuel
from funnel_lib.widgets._state import BuilderState

__all__ = [
    "BACKENDS",
    "BuilderState",
    "MAX_STEPS",
    "FunnelBuilder",
    "FunnelDuel",
    "LiveFunnelChart",
    "StepRow",
    "funnel_code",
    "starter_funnel",
]
