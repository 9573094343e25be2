"""Two funnel designs side by side for the same audience: who keeps more people, step by step."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.legend import Legend
from matplotlib.ticker import MaxNLocator, PercentFormatter

from funnel_lib._chart_data import label_offsets, survival
from funnel_lib._chart_style import FONT, LEGEND, MODEL_NOTE, PALETTE, SMALL, tidy
from funnel_lib._format import count_of, pair_names, times
from funnel_lib.audience import Audience, resolve_audience
from funnel_lib.framework import Report, check
from funnel_lib.model import Funnel
from funnel_lib.simulate import SimulationResult, simulate
from funnel_lib.widgets._chart import FigureDisplay, choose_backend
from funnel_lib.widgets._common import (
    Panel,
    audience_picker,
    beats_note,
    esc,
    guarded,
    pct,
    pick_audience,
    presenter_default,
    resolve_funnel,
    share_text,
    style_widget,
)
from funnel_lib.widgets._svg import SvgDuelChart

__all__ = ["FunnelDuel", "DuelChart"]


class DuelChart(FigureDisplay):
    """The share of the audience still in each funnel after every step; lines updated in place.

    >>> from funnel_lib.examples import get_example
    >>> chart = DuelChart(backend="image")
    >>> a, b = simulate(get_example("one_big_ask")), simulate(get_example("online_course"))
    >>> chart.update(a, b, "A", "B")
    >>> [float(line.get_ydata()[-1]) for line in chart.lines] == [a.conversion, b.conversion]
    True
    >>> chart.close()
    """

    def __init__(self, backend: str = "auto") -> None:
        super().__init__(backend, size=(7.2, 3.6), css_class="funnel-chart", label="Duel chart", caption=(
            "The share of the same audience still in each funnel after every step (0 = everybody at the "
            "start); each line ends at that funnel's conversion."))
        fig = self.figure
        ax = fig.add_axes((0.1, 0.16, 0.72, 0.68))
        self.ax = ax
        styles = (("a", "--", "s"), ("b", "-", "o"))
        self.lines = [ax.plot([], [], drawstyle="steps-post", color=PALETTE[role], linestyle=ls, marker=mk,
                              markersize=5, linewidth=2.2, gid=f"duel-{role}")[0] for role, ls, mk in styles]
        self.end_labels = [ax.annotate("", xy=(0, 0), xytext=(8, 0), textcoords="offset points", ha="left",
                                       va="center", fontsize=SMALL, color=PALETTE[role], fontweight="bold",
                                       annotation_clip=False) for role, _, _ in styles]
        ax.set_ylim(0.0, 1.04)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=SMALL)
        ax.set_xlabel("step number (0 = start)", fontsize=SMALL)
        ax.set_ylabel("still in the funnel", fontsize=SMALL)
        tidy(ax, grid="both")
        self.legend: Legend | None = None
        self.title = fig.text(0.02, 0.97, "", fontsize=FONT + 1, fontweight="bold", va="top")
        fig.text(0.98, 0.01, MODEL_NOTE, fontsize=8, color=PALETTE["muted"], fontstyle="italic", ha="right",
                 va="bottom")

    def update(self, a: SimulationResult, b: SimulationResult, name_a: str, name_b: str) -> None:
        """Move both lines and their end labels to show results ``a`` and ``b``, then draw.

        >>> from funnel_lib.examples import get_example
        >>> chart = DuelChart(backend="image")
        >>> result = simulate(get_example("local_gym"), "warm")
        >>> chart.update(result, result, "gym", "gym again"); chart.title.get_text()
        'Still in after each step, warm audience'
        >>> chart.close()
        """
        longest = 1
        ends = []
        for line, label, result, name in zip(self.lines, self.end_labels, (a, b), (name_a, name_b), strict=True):
            n = len(result.table)
            still = survival(result)
            line.set_data(np.arange(n + 1), still)
            line.set_label(f"{name} ({count_of(n, 'step')})")
            ends.append((n, float(still[-1])))
            label.set_text(f"{pct(float(still[-1]))} convert")
            longest = max(longest, n)
        for label, (n, share), offset in zip(self.end_labels, ends, label_offsets(ends, gap=0.08), strict=True):
            label.xy = (n, share)
            label.set_position((8, offset))
        self.ax.set_xlim(-0.2, longest + 0.2)
        if self.legend is not None:
            self.legend.remove()
        self.legend = self.ax.legend(handles=self.lines, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2,
                                     **LEGEND)
        self.title.set_text(f"Still in after each step, {a.audience.name} audience")
        self.request_draw(full=True)


class FunnelDuel(Panel, widgets.VBox):
    """Two funnel designs side by side for the same audience, with a switch for the audience.

    ``funnel_a`` and ``funnel_b`` are Funnels or example names; each card shows the design's
    predicted conversion (CSS class ``funnel-conversion``), its checker score and its steps,
    and a chart shows how many people each keeps after every step.

    >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
    >>> duel.result_b.conversion > duel.result_a.conversion
    True
    >>> duel.audience = "warm"; duel.result_a.audience.name
    'warm'
    >>> duel.close()
    """

    def __init__(self, funnel_a: Funnel | str, funnel_b: Funnel | str, audience: str | Audience = "cold", *,
                 chart: str = "auto", presenter: bool | None = None) -> None:
        a = resolve_funnel(funnel_a, "funnel_a")
        b = resolve_funnel(funnel_b, "funnel_b")
        for argument, funnel in (("funnel_a", a), ("funnel_b", b)):
            if len(funnel) == 0:
                raise ValueError(f"{argument} has no steps; a duel needs two funnels with at least one step each")
        who = resolve_audience(audience)
        super().__init__()
        self.add_class("funnel-duel")
        on = presenter_default() if presenter is None else bool(presenter)
        if on:
            self.add_class("funnel-presenter")
        self._funnels = [a, b]
        self._audience = who
        self.results: list[SimulationResult] = []
        self.reports: list[Report] = []
        self.chart: SvgDuelChart | DuelChart = (
            SvgDuelChart(presenter=on) if choose_backend(chart) == "svg" else DuelChart(chart))
        self.audience_picker = audience_picker(who, tooltip_subject="both funnels")
        self.audience_picker.observe(self._on_audience, names="value")
        self.cards = [widgets.HTML(layout=widgets.Layout(flex="1 1 320px", min_width="0")) for _ in range(2)]
        for card, role in zip(self.cards, "ab", strict=True):
            card.add_class(f"funnel-duel-{role}")
        self.verdict_html = widgets.HTML()
        self.verdict_html.add_class("funnel-duel-verdict")
        self.error_html = widgets.HTML(layout=widgets.Layout(display="none"))
        self.error_html.add_class("funnel-error")
        title = widgets.HTML("<div class='funnel-title' role='heading' aria-level='2'>Two designs, one audience</div>")
        row = widgets.HBox(self.cards, layout=widgets.Layout(flex_flow="row wrap", justify_content="space-between",
                                                             width="100%"))
        self.children = [style_widget(), title, self.audience_picker, row, self.verdict_html, self.error_html,
                         self.chart.widget]
        self._recompute()

    @property
    def funnel_a(self) -> Funnel:
        """The first design (a copy; assign a Funnel or example name to replace it).

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> duel.funnel_a = "local_gym"; len(duel.funnel_a)
        5
        >>> duel.close()
        """
        return self._funnels[0].copy()

    @funnel_a.setter
    def funnel_a(self, value: Funnel | str) -> None:
        self._set_funnel(0, value, "funnel_a")

    @property
    def funnel_b(self) -> Funnel:
        """The second design (a copy; assign a Funnel or example name to replace it).

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> duel.funnel_b.name
        'Online course: a ladder of small yeses'
        >>> duel.close()
        """
        return self._funnels[1].copy()

    @funnel_b.setter
    def funnel_b(self, value: Funnel | str) -> None:
        self._set_funnel(1, value, "funnel_b")

    @property
    def audience(self) -> str:
        """The name of the audience both designs are simulated for (assign a name or an Audience).

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> duel.audience
        'cold'
        >>> duel.close()
        """
        return self._audience.name

    @audience.setter
    def audience(self, value: str | Audience) -> None:
        pick_audience(self.audience_picker, value)

    @property
    def result_a(self) -> SimulationResult:
        """The latest simulation of the first design.

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> len(duel.result_a.table)
        1
        >>> duel.close()
        """
        return self.results[0]

    @property
    def result_b(self) -> SimulationResult:
        """The latest simulation of the second design.

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> len(duel.result_b.table)
        6
        >>> duel.close()
        """
        return self.results[1]

    def __repr__(self) -> str:
        a, b = self.result_a.conversion, self.result_b.conversion
        name_a, name_b = self._names()
        return (f"FunnelDuel({name_a!r} vs {name_b!r}, {self.audience} audience; the teaching model predicts "
                f"{share_text(a)} vs {share_text(b)} of people shown the first step convert)")

    def static_html(self) -> str:
        """A static HTML snapshot of both designs and their predictions, for views without a kernel.

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> "teaching model" in duel.static_html()
        True
        >>> duel.close()
        """
        name_a, name_b = self._names()
        a, b = self.result_a.conversion, self.result_b.conversion
        return (f"<div class='funnel-duel-static'><p>Audience: {esc(self.audience)}. The teaching model predicts "
                f"<b>{share_text(a)}</b> for {esc(name_a)} and <b>{share_text(b)}</b> for {esc(name_b)} "
                "(shares of the people shown the first step; model results, not forecasts).</p>"
                f"{self.funnel_a._repr_html_()}{self.funnel_b._repr_html_()}"
                "<p><i>Run the notebook to compare interactively.</i></p></div>")

    def close(self) -> None:
        """Close the duel and every widget in it.

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image"); duel.close()
        >>> duel.comm is None
        True
        """
        super().close()

    def _set_funnel(self, index: int, value: Funnel | str, argument: str) -> None:
        funnel = resolve_funnel(value, argument)
        if len(funnel) == 0:
            raise ValueError(f"{argument} has no steps; a duel needs at least one step on each side")
        self._funnels[index] = funnel
        self._recompute()

    def _names(self) -> tuple[str, str]:
        return pair_names(self._funnels[0].name, self._funnels[1].name, ("Design A", "Design B"))

    def _recompute(self) -> None:
        self.results = [simulate(f, self._audience) for f in self._funnels]
        self.reports = [check(f, audience=self._audience, simulation=r) for f, r in zip(self._funnels, self.results,
                                                                                       strict=True)]
        names = self._names()
        for card, role, funnel, result, report, name in zip(self.cards, "AB", self._funnels, self.results,
                                                          self.reports, names, strict=True):
            card.value = self._card(role, name, funnel, result, report)
        self.verdict_html.value = f"<div class='funnel-duel-verdict-text'>{self.verdict(names)}</div>"
        self.chart.update(self.results[0], self.results[1], *names)

    @staticmethod
    def _card(role: str, name: str, funnel: Funnel, result: SimulationResult, report: Report) -> str:
        steps = "".join(f"<li>{esc(s.name)} <span class='funnel-hint'>({s.stage.label}, ask {s.ask:g})</span></li>"
                        for s in funnel.steps)
        return (f"<div class='funnel-label'>{role}: <b>{esc(name)}</b></div>"
                f"<div class='funnel-conversion'><span class='funnel-big' role='status'>"
                f"{share_text(result.conversion)}</span> <span class='funnel-hint'>predicted conversion, "
                f"{count_of(len(funnel), 'step')}</span></div>"
                f"<div class='funnel-hint'>framework score <b>{report.score}/100</b>, "
                f"{count_of(len(report.errors), 'error')}</div><ol class='funnel-duel-steps'>{steps}</ol>")

    def verdict(self, names: tuple[str, str] | None = None) -> str:
        """The duel's verdict as HTML: which design converts more of the audience, by how much, and how robustly.

        >>> duel = FunnelDuel("one_big_ask", "online_course", chart="image")
        >>> duel.verdict().startswith("<b>Online course: a ladder of small yeses</b> converts")
        True
        >>> duel.close()
        """
        name_a, name_b = self._names() if names is None else names
        ca, cb = (r.conversion for r in self.results)
        who = esc(self._audience.name)
        if ca <= 0 and cb <= 0:
            return "Neither design converts anybody in this audience."
        if min(ca, cb) <= 0:
            text = f"Only {esc(name_a if ca > 0 else name_b)} converts anybody in a {who} audience."
        elif max(ca, cb) / min(ca, cb) < 1.05:
            text = f"Both designs convert about the same share of a {who} audience."
        else:
            winner, loser = (name_a, name_b) if ca > cb else (name_b, name_a)
            text = (f"<b>{esc(winner)}</b> converts {times(max(ca, cb) / min(ca, cb))}× as many people as "
                    f"{esc(loser)} in a {who} audience.")
        first, second = (0, 1) if ca >= cb else (1, 0)
        both = (name_a, name_b)
        return text + (" " + beats_note(self._funnels[first], self._funnels[second], both[first], both[second],
                                        self._audience) + ".")

    @guarded("switching the audience")
    def _on_audience(self, change: dict[str, Any]) -> None:
        self._audience = resolve_audience(change["new"])
        self._recompute()
        self._clear_error()
