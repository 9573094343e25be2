"""The builder's and the duel's live charts as SVG drawn in the browser, with real text and ARIA.

The model runs in Python. After every change Python sends the chart's numbers *and its words*
(labels, percentages, the text alternative) to the browser in one traitlet, ``data``; a small
JavaScript module (``_svg_chart.js``, loaded through anywidget, nothing fetched from the
network) lays them out as SVG at the width the page gives it. So the chart

* never takes keyboard focus: Tab and Shift+Tab always move on (no canvas to trap them);
* has a text alternative that changes with it: ``role="img"`` with a ``<title>`` and a
  ``<desc>`` (:attr:`SvgChart.summary`), and the same numbers in a table under a ``<details>``;
* reflows with the page, and in presenter mode draws its text at 19 px (>= 14 pt).

The module also names the builder's controls for screen readers (a control's tooltip is
``"<name>: <help>"``, e.g. ``"Step 2 ask: ..."``; the name becomes its ``aria-label``) and
exposes the state of toggle buttons with ``aria-pressed``.

>>> from funnel_lib.examples import get_example
>>> from funnel_lib.simulate import simulate
>>> chart = SvgFunnelChart()
>>> chart.update(simulate(get_example("online_course")), baseline=0.004)
>>> chart.widget.data["steps"][0]["n"], chart.summary.startswith("Where people leave")
(1, True)
>>> chart.close()
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

import anywidget
import traitlets

from funnel_lib._chart_data import (
    BASELINE_NAME,
    FLAG_WORDS,
    baseline_label,
    check_result,
    funnel_bars,
    ladder_data,
    ladder_top,
    survival,
    yes_label,
)
from funnel_lib._chart_style import BASELINE_GREY, FIT_GREY, MODEL_NOTE, OKABE_ITO, PALETTE
from funnel_lib._format import count_of, pct
from funnel_lib.simulate import SimulationResult
from funnel_lib.thresholds import DEFAULT_THRESHOLDS, Thresholds
from funnel_lib.widgets._state import MAX_STEPS

__all__ = ["SvgChartWidget", "SvgChart", "SvgFunnelChart", "SvgDuelChart", "MAX_SVG_STEPS"]

MAX_SVG_STEPS = MAX_STEPS
"""The most steps the funnel chart draws (the builder's limit)."""

_ESM = resources.files("funnel_lib.widgets").joinpath("_svg_chart.js").read_text(encoding="utf-8")

_CSS = """
.funnel-svg-chart { width: 100%; min-width: 0; color: #111; }
.funnel-svg-chart .funnel-svg-heading { font-weight: 700; margin: 0 0 2px 0; }
.funnel-svg-chart .funnel-svg-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px;
  padding: 0; margin: 2px 0 4px 0; font-size: 12px; }
.funnel-svg-chart .funnel-svg-presenter .funnel-svg-legend { font-size: 19px; }
.funnel-svg-chart .funnel-svg-legend li { display: inline-flex; align-items: center; gap: 4px; }
.funnel-svg-chart svg.funnel-svg { display: block; max-width: 100%; height: auto; overflow: visible; }
.funnel-svg-chart .funnel-svg-note { color: #595959; font-style: italic; margin: 2px 0; }
.funnel-svg-chart .funnel-svg-empty { color: #595959; font-size: 16px; padding: 24px 0; }
.funnel-svg-chart details.funnel-svg-table { margin: 4px 0; }
.funnel-svg-chart details.funnel-svg-table table { border-collapse: collapse; margin-top: 4px; }
.funnel-svg-chart details.funnel-svg-table th, .funnel-svg-chart details.funnel-svg-table td {
  border: 1px solid #c8c8c8; padding: 2px 6px; text-align: left; }
.funnel-svg-chart details.funnel-svg-table caption { text-align: left; font-weight: 700; }
"""

_COLOURS = {
    "yes": PALETTE["yes"], "drifted": PALETTE["drifted"], "declined": PALETTE["declined"],
    "ask": PALETTE["ask"], "readiness": PALETTE["readiness"], "resistance": PALETTE["resistance"],
    "stagnation": PALETTE["stagnation"], "fit": FIT_GREY, "baseline": BASELINE_GREY,
}


class SvgChartWidget(anywidget.AnyWidget):
    """The browser side of an SVG chart: ``kind`` ("funnel" or "duel"), ``data`` and ``presenter``.

    >>> w = SvgChartWidget(kind="duel"); w.kind, w.presenter
    ('duel', False)
    >>> w.close()
    """

    _esm = _ESM
    _css = _CSS
    kind = traitlets.Unicode("funnel").tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    presenter = traitlets.Bool(False).tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)


class SvgChart:
    """Common part of the SVG charts: the widget, presenter mode, the text alternative, closing.

    >>> chart = SvgChart("funnel"); chart.presenter = True; chart.widget.presenter
    True
    >>> chart.close(); chart.widget.comm is None
    True
    """

    backend = "svg"

    def __init__(self, kind: str, *, presenter: bool = False) -> None:
        self.widget = SvgChartWidget(kind=kind, presenter=bool(presenter))
        self.widget.add_class("funnel-chart")
        self.widget.add_class("funnel-chart-svg")
        self.draw_count = 0
        self._closed = False

    @property
    def presenter(self) -> bool:
        """Whether the chart draws presenter-sized text (19 px, >= 14 pt).

        >>> SvgChart("funnel", presenter=True).presenter
        True
        """
        return bool(self.widget.presenter)

    @presenter.setter
    def presenter(self, value: bool) -> None:
        self.widget.presenter = bool(value)

    @property
    def summary(self) -> str:
        """The chart's text alternative as it stands (the SVG's ``<desc>``).

        >>> SvgChart("funnel").summary
        ''
        """
        return str(self.widget.data.get("summary", ""))

    def _send(self, data: dict[str, Any]) -> None:
        if self._closed:
            return
        self.draw_count += 1
        with self.widget.hold_sync():
            self.widget.revision = self.draw_count
            self.widget.data = data

    def close(self) -> None:
        """Close the widget (and its layout).

        >>> chart = SvgChart("duel"); chart.close(); chart.widget.comm is None
        True
        """
        if self._closed:
            return
        self._closed = True
        layout = self.widget.layout
        self.widget.close()
        layout.close()


class SvgFunnelChart(SvgChart):
    """The builder's chart: where people leave (stacked bars) and whether each ask fits (ladder).

    ``update(result, baseline)`` redraws from a :class:`~funnel_lib.simulate.SimulationResult` and
    the one-big-ask conversion; ``show_empty(message)`` shows a message instead.

    >>> from funnel_lib.model import Funnel, Step
    >>> from funnel_lib.simulate import simulate
    >>> chart = SvgFunnelChart()
    >>> chart.update(simulate(Funnel([Step("Buy", "conversion", ask=8)]), "cold"), baseline=0.003)
    >>> chart.widget.data["baseline_label"]
    '0.3% if asked only this'
    >>> chart.close()
    """

    def __init__(self, *, title: str = "Where people leave", presenter: bool = False) -> None:
        super().__init__("funnel", presenter=presenter)
        self.title = title

    def update(self, result: SimulationResult, baseline: float, *, thresholds: Thresholds = DEFAULT_THRESHOLDS,
               flags: tuple[str | None, ...] | None = None) -> None:
        """Send the numbers and words for ``result`` and the ``baseline`` conversion to the browser.

        The band of asks that fit uses ``thresholds`` (the checker's); ``flags`` are the checker's
        :attr:`~funnel_lib.framework.Report.fit_flags` for the same design, computed here when left out.

        >>> from funnel_lib.examples import get_example
        >>> from funnel_lib.simulate import simulate
        >>> chart = SvgFunnelChart()
        >>> chart.update(simulate(get_example("too_much_too_early")), baseline=0.001)
        >>> "too big" in chart.summary
        True
        >>> chart.close()
        """
        n = check_result(result, MAX_SVG_STEPS)
        bars = funnel_bars(result)
        ladder = ladder_data(result, thresholds, flags)
        steps = []
        for i, name in enumerate(bars.names):
            r = float(ladder.readiness[i])
            known = not math.isnan(r)
            flag = ladder.flags[i] or ""
            steps.append({
                "n": i + 1, "name": name, "yes": float(bars.yes[i]), "drifted": float(bars.drifted[i]),
                "declined": float(bars.declined[i]), "yes_text": yes_label(float(bars.yes[i]), i == n - 1),
                "ask": float(ladder.ask[i]), "readiness": round(r, 3) if known else None,
                "readiness_text": f"{r:.1f}" if known else "unknown",
                "low": float(ladder.low[i]) if known else 0.0, "high": float(ladder.high[i]) if known else 0.0,
                "flag": flag, "flag_text": FLAG_WORDS.get(flag, ""),
            })
        baseline = float(baseline)
        title = f"{self.title}: {result.audience.name} audience"
        rows = [[f"{i + 1}. {name}", pct(bars.yes[i]), pct(bars.drifted[i]), pct(bars.declined[i]),
                 f"{ladder.ask[i]:g}", steps[i]["readiness_text"], steps[i]["flag_text"] or "fits"]
                for i, name in enumerate(bars.names)]
        rows.append([BASELINE_NAME, pct(baseline), "", "", f"{ladder.ask[-1]:g}", "", ""])
        self._send({
            "title": title, "steps": steps, "baseline": baseline,
            "baseline_name": BASELINE_NAME, "baseline_label": baseline_label(baseline),
            "ladder_title": "Is each ask the right size?", "ymax": ladder_top(ladder),
            "summary": self._describe(title, steps, baseline), "note": MODEL_NOTE, "colours": _COLOURS,
            "table_head": ["step", "said yes (share of audience)", "drifted away", "declined", "ask (0–10)",
                           "readiness of people arriving", "ask fits?"],
            "table_rows": rows, "empty": "",
        })

    @staticmethod
    def _describe(title: str, steps: list[dict[str, Any]], baseline: float) -> str:
        parts = [f"{title}. {count_of(len(steps), 'step')}."]
        for s in steps:
            parts.append(f"Step {s['n']}, {s['name']}: {pct(s['yes'])} of the audience say yes, "
                         f"{pct(s['drifted'])} drift away, {pct(s['declined'])} decline.")
        parts.append(f"In the end {pct(steps[-1]['yes'])} convert; asked only for the last step, "
                     f"{pct(baseline)} would.")
        misfits = [f"step {s['n']} {s['flag_text']}" for s in steps if s["flag"]]
        parts.append("Asks that do not fit the readiness of the people arriving: " + "; ".join(misfits) + "."
                     if misfits else "Every ask fits the readiness of the people arriving.")
        return " ".join(parts)

    def show_empty(self, message: str) -> None:
        """Show ``message`` instead of the chart (e.g. when the funnel has no steps).

        >>> chart = SvgFunnelChart(); chart.show_empty("Add a step"); chart.summary
        'Where people leave: Add a step'
        >>> chart.close()
        """
        self._send({"title": self.title, "steps": [], "empty": message, "summary": f"{self.title}: {message}",
                    "note": MODEL_NOTE, "colours": _COLOURS})


class SvgDuelChart(SvgChart):
    """The duel's chart: the share of the same audience still in each funnel after every step.

    >>> from funnel_lib.examples import get_example
    >>> from funnel_lib.simulate import simulate
    >>> chart = SvgDuelChart()
    >>> a, b = simulate(get_example("one_big_ask")), simulate(get_example("online_course"))
    >>> chart.update(a, b, "A", "B")
    >>> [line["points"][-1] for line in chart.widget.data["lines"]] == [a.conversion, b.conversion]
    True
    >>> chart.close()
    """

    def __init__(self, *, presenter: bool = False) -> None:
        super().__init__("duel", presenter=presenter)

    def update(self, a: SimulationResult, b: SimulationResult, name_a: str, name_b: str) -> None:
        """Send both designs' survival curves and their words to the browser.

        >>> from funnel_lib.examples import get_example
        >>> from funnel_lib.simulate import simulate
        >>> chart = SvgDuelChart()
        >>> r = simulate(get_example("local_gym"), "warm")
        >>> chart.update(r, r, "gym", "gym again"); chart.summary.split(".")[0]
        'Still in after each step, warm audience'
        >>> chart.close()
        """
        lines: list[dict[str, Any]] = []
        sentences = []
        curves: list[list[float]] = []
        for role, dash, result, name in (("a", "7 4", a, name_a), ("b", None, b, name_b)):
            still = [float(v) for v in survival(result)]
            n = len(still) - 1
            curves.append(still)
            lines.append({"label": f"{name} ({count_of(n, 'step')})", "colour": PALETTE[role], "dash": dash,
                          "text_colour": OKABE_ITO["black"], "points": still,
                          "end_label": f"{pct(still[-1])} convert"})
            sentences.append(f"{name}: {', '.join(pct(v) for v in still[1:])} still in after steps 1 to {n}; "
                             f"{pct(still[-1])} convert.")
        title = f"Still in after each step, {a.audience.name} audience"
        longest = max(len(curve) for curve in curves)
        rows = [[str(k)] + [pct(curve[k]) if k < len(curve) else "" for curve in curves] for k in range(longest)]
        self._send({"title": title, "lines": lines, "summary": f"{title}. " + " ".join(sentences),
                    "note": MODEL_NOTE, "table_head": ["step (0 = start)", name_a, name_b], "table_rows": rows})
