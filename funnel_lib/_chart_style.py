"""The house chart style, in one place: colours, fonts, grid, spines and the model footnote.

:mod:`funnel_lib.plots` (static charts) and the live charts of :mod:`funnel_lib.widgets`
(Matplotlib and SVG) draw with these, so every chart of the course looks and reads alike.

>>> PALETTE["yes"], FONT, SMALL
('#0072B2', 10, 9)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["OKABE_ITO", "PALETTE", "MODEL_NOTE", "FONT", "SMALL", "GRID", "FIT_GREY", "BASELINE_GREY",
           "LEGEND", "tidy"]

OKABE_ITO: Mapping[str, str] = MappingProxyType({
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
})
"""The eight colours of Okabe & Ito (2008), *Color Universal Design*, by name.

They remain distinct for people with protanopia, deuteranopia and tritanopia.
"""

PALETTE: Mapping[str, str] = MappingProxyType({
    "yes": OKABE_ITO["blue"],              # said yes and moved on
    "drifted": OKABE_ITO["orange"],        # left without deciding: attention cost or boredom
    "declined": OKABE_ITO["vermillion"],   # saw the ask and said no (also hatched)
    "ask": OKABE_ITO["sky_blue"],          # the size of a step's request
    "readiness": OKABE_ITO["black"],       # mean readiness of the people arriving
    "resistance": OKABE_ITO["vermillion"],  # ask far above readiness: people say no
    "stagnation": OKABE_ITO["orange"],     # ask far below readiness: people drift away
    "a": OKABE_ITO["vermillion"],          # first funnel of a comparison (often "one big ask")
    "b": OKABE_ITO["blue"],                # second funnel of a comparison (often the ladder)
    "converted": OKABE_ITO["bluish_green"],  # completed every step
    "text": OKABE_ITO["black"],
    "muted": "#595959",                    # neutral grey for notes (7:1 contrast on white)
})
"""Colour roles shared by the charts and the widgets (read-only; values are hex strings).

``yes``, ``drifted`` and ``declined`` split each step's arrivals; ``ask`` and ``readiness``
draw the ladder, ``resistance`` and ``stagnation`` shade steps that do not fit; ``a`` and
``b`` tell two funnels apart; ``converted`` marks people who completed every step; ``text``
and ``muted`` are for labels and notes. All colours except the neutral grey are Okabe-Ito.

>>> PALETTE["yes"], PALETTE["declined"]
('#0072B2', '#D55E00')
"""

MODEL_NOTE = "Simulated with the course's teaching model (not a forecast)"
"""The footnote on every chart of simulated predictions: a teaching model says it is one."""

FONT = 10
"""Labels and titles (points)."""
SMALL = 9
"""Annotations, ticks and notes (points): never smaller."""
GRID: Mapping[str, Any] = MappingProxyType({"color": "#dddddd", "linewidth": 0.8})
"""Light grid lines, drawn behind the data."""
FIT_GREY = "#BBBBBB"
"""The band of asks that fit the people arriving (live charts)."""
BASELINE_GREY = "#6E6E6E"
"""The "one big ask" bar (5:1 contrast on white, so it reads as a shape too)."""
LEGEND: Mapping[str, Any] = MappingProxyType({"frameon": False, "fontsize": SMALL, "borderaxespad": 0.2,
                                              "handlelength": 1.5, "columnspacing": 1.0})
"""Frameless legends in the small font."""


def tidy(ax: Any, grid: str | None = None) -> None:
    """The house style of every chart's axes: light grid lines behind the data, no top or right spine.

    ``grid`` is ``"x"``, ``"y"``, ``"both"`` or ``None`` (no grid).

    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot(); tidy(ax, grid="x"); ax.spines["top"].get_visible()
    False
    """
    if grid is not None:
        ax.grid(axis=grid, **GRID)
        ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
