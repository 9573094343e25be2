"""Charts for funnels: where people drop off, whether each ask fits, and two designs side by side.

Every function takes an optional Matplotlib ``ax`` and returns the Axes it drew on. Without
``ax`` it makes a new figure with :func:`matplotlib.pyplot.subplots` (constrained layout) and
never calls ``plt.show()``, so the charts work the same in JupyterLab, in Voila and headless
(the ``Agg`` backend, e.g. in tests and grading).

* :func:`plot_funnel` - one bar per step: who said yes, who drifted away and who declined;
* :func:`plot_ladder` - each step's ask against the readiness of the people who reach it,
  with the steps that meet *resistance* (ask far above readiness) or cause *stagnation*
  (ask far below readiness) shaded;
* :func:`plot_comparison` - the share of the audience still in each of two funnels after
  every step ("one big ask vs a ladder of small yeses");
* :func:`plot_cohort` - how many steps each person of a simulated cohort completed.

Each chart has a ``describe_*`` twin (:func:`describe_funnel`, :func:`describe_ladder`,
:func:`describe_comparison`, :func:`describe_cohort`) that takes the same data and returns one
sentence saying what the chart shows: print it under the chart as its text alternative.

The charts show predictions of the course's *teaching model* (:mod:`funnel_lib.simulate`),
and each says so in a small footnote (:func:`add_model_note`). Colours come from
:data:`PALETTE`, the Okabe-Ito palette, which stays distinguishable for the common forms of
colour blindness; the drop-off that means "said no" is also hatched, so it never relies on
colour alone.

>>> from funnel_lib.model import Funnel, Step
>>> ladder = Funnel([Step("Watch a clip", "entry", ask=1, value=3),
...                  Step("Take a quiz", "engagement", ask=2, value=4),
...                  Step("Buy", "conversion", ask=6, trust=5)], name="ladder")
>>> ax = plot_funnel(ladder)
>>> ax.get_title()
'ladder, cold audience: ...% convert'
>>> plt.close("all")
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.text import Annotation
from matplotlib.ticker import MaxNLocator, PercentFormatter

from funnel_lib._chart_data import funnel_bars, label_offsets, ladder_data, step_label, survival
from funnel_lib._chart_style import FONT, MODEL_NOTE, OKABE_ITO, PALETTE, SMALL, tidy
from funnel_lib._format import count_of, describe, pair_names, pct, short
from funnel_lib._rules import consecutive_runs
from funnel_lib.audience import Audience, resolve_audience
from funnel_lib.model import Funnel
from funnel_lib.simulate import ModelParams, SimulationResult, simulate
from funnel_lib.stages import Stage
from funnel_lib.thresholds import Thresholds

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "MODEL_NOTE",
    "plot_funnel",
    "plot_ladder",
    "plot_comparison",
    "plot_cohort",
    "add_model_note",
    "describe_funnel",
    "describe_ladder",
    "describe_comparison",
    "describe_cohort",
]

_NAME_CHARS = 28
_HATCH = "///"
_DECLINED_HATCH_COLOUR = "white"

_LABELS = {
    "yes": "said yes",
    "drifted": "drifted away (attention)",
    "declined": "declined (said no)",
}


# -- helpers -----------------------------------------------------------------------------------



def _check_ax(ax: Any) -> Axes | None:
    if ax is None or isinstance(ax, Axes):
        return ax
    hint = ""
    if isinstance(ax, str | Audience):
        hint = f"; pass the audience by keyword: audience={ax!r}"
    raise TypeError(f"ax must be a matplotlib Axes or None, got {describe(ax)}{hint}")


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _check_params(params: Any) -> ModelParams | None:
    if params is None or isinstance(params, ModelParams):
        return params
    raise TypeError(f"params must be a ModelParams or None, got {describe(params)}")


def _as_result(value: Any, audience: Any, argument: str, params: ModelParams | None = None,
               params_for_results: bool = False) -> SimulationResult:
    """A SimulationResult for a Funnel (simulated exactly) or a result (checked against ``audience``)."""
    if isinstance(value, SimulationResult):
        if params is not None and not params_for_results:
            raise ValueError(f"params only applies when {argument} is a Funnel to simulate; "
                             f"{argument} is already a SimulationResult: leave params out, or pass the Funnel")
        if audience is not None and resolve_audience(audience) != value.audience:
            raise ValueError(
                f"audience={audience!r} does not match {argument}, which was simulated for the "
                f"{value.audience.name!r} audience; leave audience out when passing a result, "
                "or pass the Funnel instead")
        return value
    if isinstance(value, Funnel):
        if len(value) == 0:
            raise ValueError(f"{argument} has no steps; add at least one Step before plotting it")
        return simulate(value, "cold" if audience is None else audience, params=params)
    raise TypeError(f"{argument} must be a Funnel or a SimulationResult (from simulate()), "
                    f"got {describe(value)}")


def _check_title(title: Any) -> str | None:
    if title is None or isinstance(title, str):
        return title
    raise TypeError(f"title must be a string or None, got {describe(title)}")


def _check_note(note: Any) -> bool:
    if isinstance(note, bool):
        return note
    raise TypeError(f"note must be True or False, got {describe(note)}")






def _funnel_name(result: SimulationResult, fallback: str = "Funnel") -> str:
    return result.funnel.name or fallback




def _how(result: SimulationResult) -> str:
    if result.users is None:
        return MODEL_NOTE
    return f"{MODEL_NOTE}; {result.users:,} simulated people, seed {result.seed}"




def _legend_above(ax: Axes, handles: list[Any], ncols: int) -> int:
    """Put a frameless legend between the title and the axes; return its number of rows."""
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.01), ncols=ncols,
              frameon=False, fontsize=SMALL, borderaxespad=0.0, handlelength=1.6,
              columnspacing=1.2, borderpad=0.2)
    return math.ceil(len(handles) / ncols)


def _finish(ax: Axes, handles: list[Any], ncols: int, title: str, note: str | None) -> Axes:
    """Every chart ends alike: a legend above the axes, the title above it, and the model footnote."""
    rows = _legend_above(ax, handles, ncols)
    ax.set_title(title, fontsize=FONT + 1, pad=8 + 15 * rows)
    if note is not None:
        add_model_note(ax, note)
    return ax


def add_model_note(ax: Axes, text: str = MODEL_NOTE) -> Annotation:
    """Write a small footnote under the axes' x label (right-aligned) and return it.

    Every chart of simulated predictions carries :data:`MODEL_NOTE` this way, so that a
    screenshot of it still says that a teaching model, not data, drew it.

    >>> fig, ax = plt.subplots()
    >>> add_model_note(ax).get_text()
    "Simulated with the course's teaching model (not a forecast)"
    >>> plt.close(fig)
    """
    _check_ax(ax)
    if ax is None:
        raise TypeError("ax must be a matplotlib Axes, got None")
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {describe(text)}")
    if not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    return ax.annotate(text, xy=(1.0, 0.0), xycoords=("axes fraction", ax.xaxis.label),
                       xytext=(0, -4), textcoords="offset points", ha="right", va="top",
                       fontsize=SMALL, color=PALETTE["muted"], fontstyle="italic",
                       annotation_clip=False)


# -- the funnel chart ------------------------------------------------------------------------



def plot_funnel(result_or_funnel: Funnel | SimulationResult, ax: Axes | None = None, *,
                audience: str | Audience | None = None, title: str | None = None,
                params: ModelParams | None = None, note: bool = True) -> Axes:
    """Draw one horizontal bar per step: said yes, drifted away and declined, as shares of the audience.

    Steps run from top to bottom. Each bar is as long as the share of the audience that
    reached the step; its solid part is the share that said yes (labelled), followed by the
    people who *drifted away* (attention cost, boredom) and those who *declined* (hatched).
    The column to the right of the axes lists both drop-offs per step. The default title
    gives the conversion; the last bar's label is the conversion too.

    ``result_or_funnel`` is a :class:`~funnel_lib.model.Funnel` (simulated exactly for
    ``audience``, default ``"cold"``, with the model ``params``, default the course's) or a
    :class:`~funnel_lib.simulate.SimulationResult` (exact or a cohort; it carries its own
    audience). ``note=False`` leaves out the teaching-model footnote.

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Take a quiz", "engagement", ask=2, value=4), Step("Buy", "conversion", ask=7)],
    ...            name="two steps")
    >>> ax = plot_funnel(f, audience="warm")
    >>> ax.get_title()
    'two steps, warm audience: ...% convert'
    >>> [bar.get_label() for bar in ax.containers]
    ['said yes', 'drifted away (attention)', 'declined (said no)']
    >>> plt.close("all")
    """
    ax = _check_ax(ax)
    title = _check_title(title)
    note = _check_note(note)
    result = _as_result(result_or_funnel, audience, "result_or_funnel", _check_params(params))
    table = result.table
    n = len(table)
    bars = funnel_bars(result)
    yes, drifted, declined = bars.yes, bars.drifted, bars.declined
    reached = yes + drifted + declined

    ax = _new_axes(ax, (8.0, min(8.0, max(3.4, 1.9 + 0.42 * n))))
    y = np.arange(n)
    height = 0.68
    ax.barh(y, yes, height=height, color=PALETTE["yes"], label=_LABELS["yes"], gid="funnel-yes")
    ax.barh(y, drifted, height=height, left=yes, color=PALETTE["drifted"], label=_LABELS["drifted"],
            gid="funnel-drifted")
    ax.barh(y, declined, height=height, left=yes + drifted, color=PALETTE["declined"],
            hatch=_HATCH, edgecolor=_DECLINED_HATCH_COLOUR, linewidth=0.0, label=_LABELS["declined"],
            gid="funnel-declined")

    # the share that said yes, inside the bar when it fits, else just after it
    for i in range(n):
        if yes[i] >= 0.14:
            ax.text(yes[i] / 2, i, pct(yes[i]), ha="center", va="center", fontsize=SMALL,
                    color="white", fontweight="bold")
        else:
            ax.text(yes[i] + 0.01, i, f"{pct(yes[i])} said yes", ha="left", va="center",
                    fontsize=SMALL, color=PALETTE["text"],
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                          "alpha": 0.85})

    # the drop-off column, right of the axes
    column = ax.get_yaxis_transform()  # x in axes fraction, y in data
    # headed from below, where the title and legend above cannot collide with it
    ax.annotate("left here:\ndrifted + declined", xy=(1.03, 0.0), xycoords="axes fraction", xytext=(4, -16),
                textcoords="offset points", ha="left", va="top", fontsize=SMALL, color=PALETTE["muted"],
                annotation_clip=False)
    for i in range(n):
        ax.text(1.03, i, f"{pct(drifted[i])} + {pct(declined[i])}", transform=column, ha="left",
                va="center", fontsize=SMALL, color=PALETTE["text"], clip_on=False)

    labels = [step_label(i + 1, name, _NAME_CHARS) for i, name in enumerate(bars.names)]
    ax.set_yticks(y, labels, fontsize=FONT)
    ax.set_ylim(n - 0.5, -0.5)  # first step on top
    ax.set_xlim(0.0, max(1.0, float(np.nanmax(reached))))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(axis="x", labelsize=FONT)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("share of the audience (%)", fontsize=FONT)
    tidy(ax, grid="x")

    if title is None:
        title = f"{_funnel_name(result)}, {result.audience.name} audience: {pct(result.conversion)} convert"
    return _finish(ax, list(ax.containers), 3, title, _how(result) if note else None)


# -- the ladder chart ------------------------------------------------------------------------

def _tick_labels(table: Any, rotate: bool) -> list[str]:
    """"1. Watch a clip" over "Entry" (wrapped to the room a step has), or one line when rotated."""
    n = len(table)
    rows = zip(table["step"], table["name"], table["stage"], strict=True)
    if rotate:
        return [f"{step}. {Stage(stage).label}: {short(name, 24)}" for step, name, stage in rows]
    width = max(12, 84 // n)
    labels = []
    for step, name, stage in rows:
        lines = textwrap.wrap(f"{step}. {name}", width=width)
        if len(lines) > 2:
            lines = [lines[0], short(" ".join(lines[1:]), width)]
        labels.append("\n".join([*lines, f"({Stage(stage).label})"]))
    return labels


def _check_thresholds(thresholds: Any) -> Thresholds:
    if thresholds is None:
        return Thresholds()
    if not isinstance(thresholds, Thresholds):
        raise TypeError(f"thresholds must be a Thresholds or None, got {thresholds!r} ({type(thresholds).__name__})")
    return thresholds


def _shade_misfits(ax: Axes, x: np.ndarray, flags: tuple[str | None, ...]) -> list[Any]:
    """Shade and label each run of steps that meet resistance or cause stagnation; return legend handles."""
    handles: list[Any] = []
    for role, meaning in (("resistance", "ask far above readiness"), ("stagnation", "ask far below readiness")):
        runs = consecutive_runs([i for i, flag in enumerate(flags) if flag == role])
        for run in runs:
            first, last = run[0], run[-1]
            ax.axvspan(x[first] - 0.5, x[last] + 0.5, color=PALETTE[role], alpha=0.16, linewidth=0,
                       zorder=0, gid=f"ladder-{role}")
            ax.annotate(role, xy=((x[first] + x[last]) / 2, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(0, -4), textcoords="offset points", ha="center", va="top",
                        fontsize=SMALL, color=PALETTE["text"], fontweight="bold", gid="ladder-flag")
        if runs:
            handles.append(Patch(color=PALETTE[role], alpha=0.3, label=f"{role}: {meaning}"))
    return handles


def _draw_fit_band(ax: Axes, x: np.ndarray, data: Any) -> Any:
    """The grey band of asks that fit the people arriving (a box for a single step: a band needs two points)."""
    label = "asks that fit the people arriving"
    if len(x) == 1:
        return ax.fill_between([x[0] - 0.42, x[0] + 0.42], [data.low[0]] * 2, [data.high[0]] * 2, color="#888888",
                               alpha=0.2, linewidth=0, zorder=1, gid="ladder-fit", label=label)
    return ax.fill_between(x, data.low, data.high, where=data.known, color="#888888", alpha=0.2, linewidth=0,
                           zorder=1, gid="ladder-fit", label=label)


def plot_ladder(result_or_funnel: Funnel | SimulationResult, ax: Axes | None = None, *,
                audience: str | Audience | None = None, title: str | None = None,
                params: ModelParams | None = None, note: bool = True,
                thresholds: Thresholds | None = None) -> Axes:
    """Draw each step's ask (bars) against the mean readiness of the people arriving (line).

    The grey band shows the asks that fit the people arriving, by the checker's thresholds
    (``thresholds``, default :class:`~funnel_lib.thresholds.Thresholds`): from ``stagnation_gap``
    below readiness to ``resistance_gap`` above it. Steps are shaded and labelled exactly where
    :func:`funnel_lib.check` warns (rules MC501-MC503, via :func:`funnel_lib.framework.fit_flags`):
    *resistance* when an ask is far above readiness (people say no) and *stagnation* for a run of
    asks far below it (people get bored and drift away). Tick labels give the step number, name
    and stage. Readiness is in ask points and can pass 10 after many yeses: the model does not
    cap it.

    ``result_or_funnel`` and ``audience`` work as in :func:`plot_funnel`; a Funnel is
    simulated with ``params``, and a result's flags use ``params`` too.

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Watch a clip", "entry", ask=1), Step("Buy", "conversion", ask=8)], name="jump")
    >>> ax = plot_ladder(f)
    >>> ax.get_title()
    'jump: ask vs readiness, cold audience'
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "ladder-flag"]
    ['resistance']
    >>> plt.close("all")
    """
    ax = _check_ax(ax)
    title = _check_title(title)
    note = _check_note(note)
    params = _check_params(params)
    result = _as_result(result_or_funnel, audience, "result_or_funnel", params, params_for_results=True)
    thresholds = _check_thresholds(thresholds)
    table = result.table
    n = len(table)
    x = table["step"].to_numpy(dtype=float)
    data = ladder_data(result, thresholds)
    ask, readiness, known = data.ask, data.readiness, data.known  # a cohort step nobody reached: no readiness

    rotate = n > 6
    ax = _new_axes(ax, (max(7.5, min(11.0, 1.5 + 0.75 * n)), 4.6 if rotate else 4.3))
    top = max(10.0, float(np.max(ask)), float(np.max(readiness[known])) if known.any() else 0.0) + 2.2

    flag_handles = _shade_misfits(ax, x, data.flags)
    band = _draw_fit_band(ax, x, data)
    bars = ax.bar(x, ask, width=0.6, color=PALETTE["ask"], zorder=2, label="ask (size of the request)",
                  gid="ladder-ask")
    (line,) = ax.plot(x, readiness, color=PALETTE["readiness"], marker="o", markersize=6, linewidth=2,
                      zorder=3, label="readiness of people arriving (mean)", gid="readiness")

    ax.set_xticks(x, _tick_labels(table, rotate), fontsize=SMALL if n > 4 else FONT)
    if rotate:
        for label in ax.get_xticklabels():
            label.set_rotation(35)
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(0.0, top)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.tick_params(axis="y", labelsize=FONT)
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel("ask size and readiness (0-10)", fontsize=FONT)
    ax.set_xlabel("step and stage", fontsize=FONT)
    tidy(ax, grid=None)

    if title is None:
        title = f"{_funnel_name(result)}: ask vs readiness, {result.audience.name} audience"
    return _finish(ax, [bars, line, band, *flag_handles], 2, title, _how(result) if note else None)


# -- the comparison chart --------------------------------------------------------------------

def plot_comparison(funnel_a: Funnel | SimulationResult, funnel_b: Funnel | SimulationResult,
                    ax: Axes | None = None, *, audience: str | Audience | None = None,
                    title: str | None = None, params: ModelParams | None = None, note: bool = True) -> Axes:
    """Draw the share of the audience still in each of two funnels after every step.

    The x axis is the step number (0 = everybody at the start), so funnels of different
    lengths compare directly: a drop at step *k* is the people lost there. Each line ends at
    that funnel's conversion, which is labelled. Made for the story "one big ask vs a ladder
    of small yeses" (see :func:`funnel_lib.simulate.big_ask_baseline`).

    Each of ``funnel_a`` and ``funnel_b`` is a Funnel (simulated exactly for ``audience``,
    default ``"cold"``, with ``params``) or a SimulationResult.

    >>> from funnel_lib.model import Funnel, Step
    >>> big = Funnel([Step("Buy", "conversion", ask=8)], name="one big ask")
    >>> ladder = Funnel([Step("Watch", "entry", ask=1, value=3), Step("Quiz", "engagement", ask=2, value=4),
    ...                  Step("Trial", "progression", ask=5, value=6, trust=4),
    ...                  Step("Buy", "conversion", ask=8)], name="ladder")
    >>> ax = plot_comparison(big, ladder)
    >>> [line.get_label() for line in ax.get_lines()]
    ['one big ask (1 step)', 'ladder (4 steps)']
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "comparison-conversion"]
    ['...% convert', '...% convert']
    >>> plt.close("all")
    """
    ax = _check_ax(ax)
    title = _check_title(title)
    note = _check_note(note)
    params = _check_params(params)
    results = [_as_result(funnel_a, audience, "funnel_a", params), _as_result(funnel_b, audience, "funnel_b", params)]
    names = list(pair_names(results[0].funnel.name, results[1].funnel.name))
    same_audience = results[0].audience == results[1].audience
    if title is None:
        who = (f"{results[0].audience.name} audience" if same_audience
               else f"{results[0].audience.name} vs {results[1].audience.name} audience")
        title = f"{names[0]} vs {names[1]}, {who}"
    if not same_audience:
        names = [f"{name}, {r.audience.name}" for name, r in zip(names, results, strict=True)]

    longest = max(len(r.table) for r in results)
    ax = _new_axes(ax, (7.5, 4.2))
    styles = (("--", "s"), ("-", "o"))  # line style and marker: the two funnels differ without colour too
    ends = []
    for role, result, name, (linestyle, marker) in zip("ab", results, names, styles, strict=True):
        n = len(result.table)
        still = survival(result)
        ax.plot(np.arange(n + 1), still, drawstyle="steps-post", color=PALETTE[role], linewidth=2.2,
                markersize=6, label=f"{name} ({count_of(n, 'step')})", gid=f"comparison-{role}",
                zorder=3, linestyle=linestyle, marker=marker)
        ends.append((n, float(still[-1])))

    # label each end point with its conversion; nudge the labels apart when they would touch
    for role, (n, share), offset in zip("ab", ends, label_offsets(ends), strict=True):
        ax.annotate(f"{pct(share)} convert", xy=(n, share), xytext=(8, offset), textcoords="offset points",
                    ha="left", va="center", fontsize=SMALL, color=PALETTE[role], fontweight="bold",
                    annotation_clip=False, gid="comparison-conversion",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                          "alpha": 0.85})

    ax.set_xlim(-0.2, longest + 0.2)
    ax.set_ylim(0.0, 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(longest, 12) + 1))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(labelsize=FONT)
    ax.set_xlabel("step number (0 = start)", fontsize=FONT)
    ax.set_ylabel("share of the audience still in (%)", fontsize=FONT)
    tidy(ax, grid="both")

    how = MODEL_NOTE if all(r.users is None for r in results) else f"{MODEL_NOTE}; includes a simulated cohort"
    return _finish(ax, list(ax.get_lines()), 2, title, how if note else None)


# -- the cohort chart ------------------------------------------------------------------------

def _cohort_of(result: Any) -> Any:
    """The cohort table of a Monte Carlo result, or a clear error for anything else."""
    if not isinstance(result, SimulationResult):
        raise TypeError(f"result must be a SimulationResult from simulate(funnel, users=..., seed=...), "
                        f"got {describe(result)}")
    if result.cohort is None:
        raise ValueError("result must be a Monte Carlo result with a cohort, got the exact engine's "
                         "result (users=None); run simulate(funnel, users=1000, seed=1)")
    return result.cohort


def plot_cohort(result: SimulationResult, ax: Axes | None = None, *, title: str | None = None,
                note: bool = True) -> Axes:
    """Draw how many steps each person of a simulated cohort completed, split by why they left.

    One stacked bar per number of completed steps (0 to all): people who drifted away,
    people who declined, and, at the last bar, people who completed every step. Needs a
    Monte Carlo result, ``simulate(funnel, users=..., seed=...)``.

    >>> from funnel_lib.model import Funnel, Step
    >>> from funnel_lib.simulate import simulate
    >>> f = Funnel([Step("Quiz", "engagement", ask=2, value=4), Step("Buy", "conversion", ask=7)])
    >>> ax = plot_cohort(simulate(f, "warm", users=2_000, seed=1))
    >>> ax.get_xlabel()
    'steps completed (of 2)'
    >>> plt.close("all")
    """
    ax = _check_ax(ax)
    title = _check_title(title)
    note = _check_note(note)
    cohort = _cohort_of(result)
    n = len(result.table)
    users = len(cohort)
    steps = np.arange(n + 1)
    completed = cohort["steps_completed"].to_numpy()
    reasons = cohort["left_because"].to_numpy()
    counts = {reason: np.bincount(completed[reasons == reason], minlength=n + 1)[: n + 1] / users
              for reason in ("drifted away", "declined", "completed")}

    ax = _new_axes(ax, (7.0, 4.0))
    ax.bar(steps, counts["drifted away"], width=0.7, color=PALETTE["drifted"], label="drifted away",
           gid="cohort-drifted")
    ax.bar(steps, counts["declined"], width=0.7, bottom=counts["drifted away"], color=PALETTE["declined"],
           hatch=_HATCH, edgecolor=_DECLINED_HATCH_COLOUR, linewidth=0.0, label="declined (said no)",
           gid="cohort-declined")
    ax.bar(steps, counts["completed"], width=0.7, bottom=counts["drifted away"] + counts["declined"],
           color=PALETTE["converted"], label="completed every step", gid="cohort-completed")
    total = counts["drifted away"] + counts["declined"] + counts["completed"]
    for k in steps:
        ax.text(float(k), total[k], pct(float(total[k])), ha="center", va="bottom", fontsize=SMALL,
                color=PALETTE["text"])

    ax.set_xticks(steps)
    ax.set_xlim(-0.6, n + 0.6)
    ax.set_ylim(0.0, max(0.1, float(total.max())) * 1.15)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(labelsize=FONT)
    ax.set_xlabel(f"steps completed (of {n})", fontsize=FONT)
    ax.set_ylabel("share of the simulated people (%)", fontsize=FONT)
    tidy(ax, grid="y")

    if title is None:
        title = (f"{_funnel_name(result)}: {users:,} simulated people, "
                 f"{pct(result.conversion)} completed all {count_of(n, 'step')}")
    return _finish(ax, list(ax.containers), 3, title, _how(result) if note else None)


# -- text alternatives -----------------------------------------------------------------------
#
# One sentence per chart, computed from the same simulation as the chart, to print under it
# (a text alternative for people who cannot see it, and a caption that survives any export).

def _quote(name: str) -> str:
    return f"\u201c{short(name, 40)}\u201d"


def _steps_phrase(indices: list[int], names: list[str]) -> str:
    """ "step 2 (“Buy”)", "steps 1 (“A”) and 3 (“C”)", or, for more than three, ranges: "steps 1-8 and 10"."""
    if len(indices) > 3:
        spans = [f"{a + 1}" if a == b else f"{a + 1}-{b + 1}"
                 for a, b in ((run[0], run[-1]) for run in consecutive_runs(sorted(indices)))]
    else:
        spans = [f"{i + 1} ({_quote(names[i])})" for i in indices]
    if len(indices) == 1:
        return f"step {spans[0]}"
    if len(spans) == 1:
        return f"steps {spans[0]}"
    return "steps " + ", ".join(spans[:-1]) + " and " + spans[-1]


def describe_funnel(result_or_funnel: Funnel | SimulationResult, *, audience: str | Audience | None = None,
                    params: ModelParams | None = None) -> str:
    """One sentence describing what :func:`plot_funnel` draws for the same arguments (a text alternative).

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Take a quiz", "engagement", ask=2, value=4), Step("Buy", "conversion", ask=7)],
    ...            name="two steps")
    >>> print(describe_funnel(f, audience="warm"))
    Bar chart of the two steps funnel for a warm audience: ...% say yes to step 1 (“Take a quiz”) and ...% of
    the audience complete all 2 steps; the most people leave at step ... (“...”), ...% of the audience.
    """
    result = _as_result(result_or_funnel, audience, "result_or_funnel", _check_params(params))
    names = result.table["name"].astype(str).tolist()
    bars = funnel_bars(result)
    yes, lost = bars.yes, bars.drifted + bars.declined
    worst = int(np.argmax(lost))
    n = len(names)
    return (f"Bar chart of the {_funnel_name(result)} funnel for a {result.audience.name} audience: "
            f"{pct(float(yes[0]))} say yes to step 1 ({_quote(names[0])}) and {pct(result.conversion)} of the "
            f"audience complete all {count_of(n, 'step')}; the most people leave at step {worst + 1} "
            f"({_quote(names[worst])}), {pct(float(lost[worst]))} of the audience.")


def describe_ladder(result_or_funnel: Funnel | SimulationResult, *, audience: str | Audience | None = None,
                    params: ModelParams | None = None, thresholds: Thresholds | None = None) -> str:
    """One sentence describing what :func:`plot_ladder` draws for the same arguments (a text alternative).

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Watch a clip", "entry", ask=1), Step("Buy", "conversion", ask=8)], name="jump")
    >>> print(describe_ladder(f))
    Ladder chart of jump for a cold audience: the asks go 1, 8 while the mean readiness of the people arriving
    goes from ... to ...; step 2 (“Buy”) meets resistance (ask far above readiness).
    """
    params = _check_params(params)
    result = _as_result(result_or_funnel, audience, "result_or_funnel", params, params_for_results=True)
    flags = ladder_data(result, _check_thresholds(thresholds)).flags
    table = result.table
    names = table["name"].astype(str).tolist()
    ask = table["ask"].to_numpy(dtype=float)
    asks = (f"go {', '.join(f'{a:g}' for a in ask)}" if len(ask) <= 8 else
            f"run from {ask[0]:g} to {ask[-1]:g} over {len(ask)} steps (smallest {ask.min():g}, largest {ask.max():g})")
    readiness = table["readiness"].to_numpy(dtype=float)
    known = readiness[~np.isnan(readiness)]
    moves = (f"goes from {known[0]:.1f} to {known[-1]:.1f}" if len(known) > 1 else
             f"is {known[0]:.1f}" if len(known) == 1 else "is unknown (nobody arrived)")
    verdicts = []
    for role, meaning, verbs in (("resistance", "ask far above readiness", ("meets", "meet")),
                                 ("stagnation", "ask far below readiness", ("causes", "cause"))):
        at = [i for i, flag in enumerate(flags) if flag == role]
        if at:
            verdicts.append(f"{_steps_phrase(at, names)} {verbs[len(at) > 1]} {role} ({meaning})")
    verdict = "; ".join(verdicts) if verdicts else "every ask fits the people arriving"
    return (f"Ladder chart of {_funnel_name(result)} for a {result.audience.name} audience: the asks {asks} "
            f"while the mean readiness of the people arriving {moves}; {verdict}.")


def describe_comparison(funnel_a: Funnel | SimulationResult, funnel_b: Funnel | SimulationResult, *,
                        audience: str | Audience | None = None, params: ModelParams | None = None) -> str:
    """One sentence describing what :func:`plot_comparison` draws for the same arguments (a text alternative).

    >>> from funnel_lib.model import Funnel, Step
    >>> big = Funnel([Step("Buy", "conversion", ask=8)], name="one big ask")
    >>> ladder = Funnel([Step("Watch", "entry", ask=1, value=3), Step("Quiz", "engagement", ask=2, value=4),
    ...                  Step("Trial", "progression", ask=5, value=6, trust=4),
    ...                  Step("Buy", "conversion", ask=8)], name="ladder")
    >>> print(describe_comparison(big, ladder))
    Line chart of the share of a cold audience still in each funnel after every step: one big ask (1 step)
    ends at ...% converting and ladder (4 steps) at ...%: ladder converts ... times as many as one big ask.
    """
    params = _check_params(params)
    results = [_as_result(funnel_a, audience, "funnel_a", params), _as_result(funnel_b, audience, "funnel_b", params)]
    names = list(pair_names(results[0].funnel.name, results[1].funnel.name))
    same = results[0].audience == results[1].audience
    who = (f"a {results[0].audience.name} audience" if same
           else f"a {results[0].audience.name} and a {results[1].audience.name} audience")
    lengths = [len(r.table) for r in results]
    labels = [f"{name} ({count_of(n, 'step')})" for name, n in zip(names, lengths, strict=True)]
    a, b = results[0].conversion, results[1].conversion
    if a > 0 and b > 0 and max(a, b) / min(a, b) >= 1.05:
        high, low = (1, 0) if b > a else (0, 1)
        ratio = f": {names[high]} converts {max(a, b) / min(a, b):.1f} times as many as {names[low]}"
    elif a > 0 and b > 0:
        ratio = ": about the same"
    else:
        ratio = ""
    return (f"Line chart of the share of {who} still in each funnel after every step: {labels[0]} ends at "
            f"{pct(a)} converting and {labels[1]} at {pct(b)}{ratio}.")


def describe_cohort(result: SimulationResult) -> str:
    """One sentence describing what :func:`plot_cohort` draws for the same cohort (a text alternative).

    >>> from funnel_lib.model import Funnel, Step
    >>> from funnel_lib.simulate import simulate
    >>> f = Funnel([Step("Quiz", "engagement", ask=2, value=4), Step("Buy", "conversion", ask=7)], name="quiz first")
    >>> print(describe_cohort(simulate(f, "warm", users=2_000, seed=1)))
    Bar chart of 2,000 simulated people in quiz first by steps completed: ...% completed none, ...% completed
    all 2, and most who left ...
    """
    cohort = _cohort_of(result)
    n = len(result.table)
    users = len(cohort)
    completed = cohort["steps_completed"].to_numpy()
    reasons = cohort["left_because"].to_numpy()
    drifted, declined = int((reasons == "drifted away").sum()), int((reasons == "declined").sum())
    if drifted + declined == 0:
        why = "nobody left"
    elif drifted == declined:
        why = "as many of those who left drifted away as declined"
    else:
        why = "most who left drifted away" if drifted > declined else "most who left declined (said no)"
    return (f"Bar chart of {users:,} simulated people in {_funnel_name(result)} by steps completed: "
            f"{pct(float((completed == 0).mean()))} completed none, {pct(result.conversion)} completed all {n}, "
            f"and {why}.")
