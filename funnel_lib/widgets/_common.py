"""Pieces shared by the builder and the duel: styles, labels, safe callbacks, argument checks."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as widgets
import numpy as np

from funnel_lib._chart_style import OKABE_ITO, PALETTE
from funnel_lib._format import describe, esc, pct
from funnel_lib.audience import AUDIENCES, Audience, resolve_audience
from funnel_lib.examples import EXAMPLES
from funnel_lib.model import Funnel
from funnel_lib.widgets._state import resolve_funnel

__all__ = [
    "StaticSnapshot", "range_note", "beats_note", "share_text", "READOUT_DRAWS", "logger", "guarded", "style_widget",
    "audience_picker", "audience_options", "pick_audience", "resolve_funnel", "describe", "esc", "pct",
    "example_label", "close_tree", "SEVERITY_COLOURS", "presenter_default", "presenter_toggle", "PRESENTER_ENV",
    "aria_class", "Panel",
]

PRESENTER_ENV = "FUNNEL_PRESENTER"
"""Environment variable that turns presenter mode on by default (``make demo`` sets it to 1)."""

logger = logging.getLogger("funnel_lib.widgets")
"""Unexpected errors in widget callbacks are logged here (and shown briefly in the widget)."""

F = TypeVar("F", bound=Callable[..., Any])

# Okabe-Ito colours for the severities (borders and badges; text stays black for contrast).
SEVERITY_COLOURS = {"error": OKABE_ITO["vermillion"], "warning": OKABE_ITO["orange"], "info": OKABE_ITO["sky_blue"]}

_CSS = f"""
<style>
.funnel-builder, .funnel-duel {{ font-size: 14px; color: #111; max-width: 100%; box-sizing: border-box; }}
.funnel-builder *, .funnel-duel * {{ box-sizing: border-box; }}
.funnel-builder .funnel-main {{ gap: 12px 18px; }}
.funnel-builder .funnel-editor, .funnel-builder .funnel-results {{ min-width: 0; }}
.funnel-builder .widget-dropdown select {{ text-overflow: ellipsis; }}
.funnel-builder .funnel-name input {{ min-width: 8em; }}
.funnel-builder .widget-toggle-buttons .widget-toggle-button {{ width: auto; min-width: 4.5em; }}
.funnel-builder .widget-button, .funnel-duel .widget-button {{ width: auto; padding: 0 0.7em; }}
.funnel-builder .funnel-findings, .funnel-duel .funnel-duel-verdict {{ overflow-wrap: anywhere; }}
/* presenter mode: at least 20 px for every text, larger controls */
.funnel-presenter {{ font-size: 20px; --jp-widgets-font-size: 20px; --jp-widgets-inline-height: 40px;
  --jp-widgets-slider-handle-size: 22px; --jp-widgets-inline-label-width: 6em; }}
.funnel-presenter .widget-label, .funnel-presenter .widget-label-basic, .funnel-presenter .widget-readout,
.funnel-presenter input, .funnel-presenter select, .funnel-presenter textarea, .funnel-presenter button {{
  font-size: 20px !important; }}
.funnel-presenter .widget-html-content, .funnel-presenter .funnel-hint, .funnel-presenter .funnel-chart-caption {{
  font-size: 20px !important; line-height: 1.3; }}
.funnel-presenter .funnel-title {{ font-size: 28px !important; }}
/* in the demo page (Voila), presenter mode enlarges the page's own text too */
body[data-voila]:has(.funnel-presenter) .jp-RenderedHTMLCommon {{ font-size: 20px; }}
body[data-voila]:has(.funnel-presenter) .jp-RenderedHTMLCommon td,
body[data-voila]:has(.funnel-presenter) .jp-RenderedHTMLCommon th {{ font-size: 20px; }}
.funnel-presenter .funnel-step-number {{ font-size: 22px; }}
.funnel-presenter .funnel-conversion .funnel-big {{ font-size: 36px !important; }}
.funnel-presenter .funnel-baseline .funnel-big, .funnel-presenter .funnel-lift .funnel-big {{
  font-size: 28px !important; }}
.funnel-presenter .widget-slider .noUi-handle {{ width: 22px; height: 22px; top: -8px; }}
.funnel-builder :focus-visible, .funnel-duel :focus-visible {{
  outline: 3px solid {OKABE_ITO["blue"]} !important; outline-offset: 2px; }}
.funnel-builder .funnel-title, .funnel-duel .funnel-title {{ font-size: 20px; font-weight: 700; margin: 2px 0; }}
.funnel-builder .funnel-step {{ border: 1px solid #c8c8c8; border-left: 5px solid {PALETTE["ask"]};
  border-radius: 4px; padding: 4px 6px; margin: 0 0 6px 0; background: #fbfbfb; }}
.funnel-builder .funnel-step-number {{ font-weight: 700; font-size: 16px; }}
.funnel-readout {{ display: flex; gap: 18px; flex-wrap: wrap; align-items: baseline; }}
.funnel-builder .funnel-conversion .funnel-big, .funnel-duel .funnel-conversion .funnel-big {{
  font-size: 26px; font-weight: 700; color: {PALETTE["yes"]}; }}
.funnel-builder .funnel-baseline .funnel-big {{ font-size: 20px; font-weight: 700; color: #555; }}
.funnel-builder .funnel-lift .funnel-big {{ font-size: 20px; font-weight: 700; color: #111; }}
.funnel-builder .funnel-readout .widget-html-content {{ line-height: 1.35; }}
.funnel-message-box {{ background: #f3f3f3; border-left: 5px solid {OKABE_ITO["sky_blue"]}; padding: 6px 10px; }}
.funnel-error-box {{ background: #fff3ec; border-left: 5px solid {OKABE_ITO["vermillion"]}; padding: 6px 10px; }}
.funnel-findings ul {{ list-style: none; padding: 0; margin: 4px 0; }}
.funnel-finding {{ border-left: 5px solid #999; padding: 4px 8px; margin: 0 0 5px 0; background: #fafafa;
  line-height: 1.35; }}
.funnel-finding .funnel-badge {{ display: inline-block; min-width: 74px; font-weight: 700; }}
.funnel-finding .funnel-code {{ font-family: monospace; font-weight: 700; margin-right: 6px; }}
.funnel-finding .funnel-where {{ font-style: italic; margin-right: 4px; }}
.funnel-finding-error {{ border-left-color: {SEVERITY_COLOURS["error"]}; }}
.funnel-finding-warning {{ border-left-color: {SEVERITY_COLOURS["warning"]}; }}
.funnel-finding-info {{ border-left-color: {SEVERITY_COLOURS["info"]}; }}
.funnel-chart-caption {{ font-size: 13px; color: #444; line-height: 1.3; }}
.funnel-hint {{ font-size: 13px; color: #444; }}
.funnel-builder .widget-readout {{ min-width: 2.6em; }}
</style>
"""


def style_widget() -> widgets.HTML:
    """An invisible HTML widget carrying the builder's stylesheet (focus outlines, cards, badges).

    >>> style_widget().value.strip().startswith("<style>")
    True
    """
    style = widgets.HTML(_CSS, layout=widgets.Layout(height="0px", margin="0", overflow="hidden"))
    style.add_class("funnel-style")
    return style


def guarded(action: str) -> Callable[[F], F]:
    """Wrap a widget callback so an unexpected exception is logged and shown, never raised into the page.

    The decorated method's object must have ``_report_error(action, exc)``.

    >>> class Panel:
    ...     def _report_error(self, action, exc): self.shown = f"{action}: {exc}"
    ...     @guarded("saving")
    ...     def save(self): raise OSError("disk full")
    >>> panel = Panel(); panel.save(); panel.shown
    'saving: disk full'
    """

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a widget must never show a traceback
                logger.exception("funnel_lib.widgets: %s failed", action)
                self._report_error(action, exc)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate


def close_tree(widget: widgets.Widget) -> None:
    """Close ``widget`` and every widget it holds (children, layout, style, toolbar), depth first.

    ``Widget.close()`` alone leaves a widget's ``Layout`` and ``Style`` models alive; a builder
    that adds and removes steps all session must not leak them.

    >>> box = widgets.VBox([widgets.IntSlider()])
    >>> close_tree(box); box.comm is None and box.children[0].comm is None
    True
    """
    seen: set[int] = set()
    pending = [widget]
    ordered: list[widgets.Widget] = []
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        ordered.append(current)
        for key in current.keys:
            if key.startswith("_"):
                continue
            value = getattr(current, key, None)
            items = value if isinstance(value, (list, tuple)) else [value]
            pending.extend(item for item in items if isinstance(item, widgets.Widget))
    for current in reversed(ordered):
        current.close()


def audience_options(extra: Audience | None = None) -> list[tuple[str, Audience]]:
    """The audience choices: the three presets, plus ``extra`` when it is a custom audience.

    >>> [label for label, _ in audience_options(Audience("fans", 8.0))]
    ['Cold', 'Warm', 'Hot', 'fans']
    """
    options = [(name.capitalize(), audience) for name, audience in AUDIENCES.items()]
    if extra is not None and extra not in AUDIENCES.values():
        options.append((extra.name, extra))
    return options


def audience_picker(audience: str | Audience, *, tooltip_subject: str = "the funnel") -> widgets.ToggleButtons:
    """A labelled, keyboard-usable audience switch (class ``funnel-audience``).

    >>> picker = audience_picker("warm"); picker.description, picker.value.name
    ('Audience', 'warm')
    >>> picker.close()
    """
    who = resolve_audience(audience)
    options = audience_options(who)
    tooltips = [f"{label}: {a.description or 'custom audience'} (mean readiness {a.readiness_mean:g} of 10)"
                for label, a in options]
    picker = widgets.ToggleButtons(
        options=options, value=who, description="Audience", tooltips=tooltips,
        tooltip=f"Who sees {tooltip_subject}: cold strangers, warm followers or hot past customers",
        description_allow_html=False, style={"description_width": "initial", "button_width": "auto"},
        layout=widgets.Layout(display="flex", flex_flow="row nowrap", align_items="center", width="auto"),
    )
    picker.add_class("funnel-audience")
    return picker


def aria_class(name: str) -> str:
    """The CSS class that gives a control the accessible name ``name`` in the page (set by the chart's script).

    >>> aria_class("Step 2 ask")
    'funnel-aria--Step_2_ask'
    """
    if not name or "_" in name or not all(part.isalnum() for part in name.split(" ")):
        raise ValueError(f"name must be words of letters and digits separated by single spaces, got {name!r}")
    return "funnel-aria--" + name.replace(" ", "_")


class StaticSnapshot:
    """Mixin for widgets that also read well without a kernel: a short ``repr`` and a static HTML snapshot.

    The class must define ``__repr__`` and ``static_html()``; a live kernel still gets the widget view.
    """

    def static_html(self) -> str:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live widget for a kernel, plus a text summary and a static HTML snapshot for everything else."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}  # type: ignore[misc]
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.static_html()
        return bundle


class Panel(StaticSnapshot):
    """Mixin for the builder and the duel: closes its chart and every widget, and shows unexpected errors.

    The class must have ``chart`` (with ``close()``), ``error_html`` (an HTML widget) and be a
    widget box; ``_error_hint`` is added after the message of an unexpected error.

    >>> class Box(Panel, widgets.VBox):
    ...     chart = None
    >>> box = Box(); box.error_html = widgets.HTML(); box._report_error("saving", OSError("disk full"))
    >>> box.last_error, "role='alert'" in box.error_html.value
    ('OSError: disk full', True)
    >>> box.close(); box.comm is None
    True
    """

    error_html: widgets.HTML
    last_error = ""
    _error_hint = ""
    _ERROR_CHARS = 300

    def close(self) -> None:
        """Close the chart, every child widget (depth first) and the panel itself."""
        chart = getattr(self, "chart", None)
        if chart is not None:
            chart.close()
        for child in getattr(self, "children", ()):
            close_tree(child)
        close_tree(self.layout)  # type: ignore[attr-defined]
        super().close()  # type: ignore[misc]

    def _report_error(self, action: str, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if len(text) > self._ERROR_CHARS:
            text = text[: self._ERROR_CHARS - 3] + "..."
        self.last_error = text
        self.error_html.value = (f"<div class='funnel-error-box' role='alert'><b>Something went wrong while "
                                 f"{esc(action)}.</b> {esc(text)}{self._error_hint}</div>")
        self.error_html.layout.display = None

    def _clear_error(self) -> None:
        if self.error_html.value:
            self.error_html.value = ""
            self.error_html.layout.display = "none"


def presenter_default() -> bool:
    """Whether presenter mode starts on: ``FUNNEL_PRESENTER=1`` in the environment (``make demo``).

    >>> import os; os.environ.pop("FUNNEL_PRESENTER", None) and None; presenter_default()
    False
    """
    return os.environ.get(PRESENTER_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def presenter_toggle(value: bool = False) -> widgets.ToggleButton:
    """The "Presenter mode" switch (class ``funnel-presenter-toggle``; exposes ``aria-pressed`` in the page).

    >>> toggle = presenter_toggle(True); toggle.description, toggle.value
    ('Presenter mode', True)
    >>> toggle.close()
    """
    toggle = widgets.ToggleButton(value=bool(value), description="Presenter mode", icon="",
                                  tooltip="Larger text and chart labels for a projector (20 px text, 14 pt charts)",
                                  layout=widgets.Layout(width="auto"))
    toggle.add_class("funnel-presenter-toggle")
    return toggle


def pick_audience(picker: widgets.ToggleButtons, value: str | Audience) -> None:
    """Select an audience on a picker, adding it as an option first if it is a custom one.

    >>> picker = audience_picker("cold"); pick_audience(picker, "hot"); picker.value.name
    'hot'
    >>> picker.close()
    """
    who = resolve_audience(value)
    if who not in [a for _, a in picker.options]:
        picker.options = [*picker.options, (who.name, who)]
    picker.value = who


def example_label(name: str) -> str:
    """The preset menu's text for an example: 'Good: online course' or 'Broken: one big ask (...)'.

    >>> example_label("online_course")
    'Good: online course'
    """
    example = EXAMPLES[name]
    words = name.replace("_", " ")
    if example.kind == "good":
        return f"Good: {words}"
    return f"Broken: {words} ({example.mistake})"


READOUT_DRAWS = 64
"""Plausible parameter sets behind the live range and the duel's share: fewer than the default 200 so a
slider change stays fast; results are cached per design and audience (seed 0, so they do not jitter)."""


@functools.lru_cache(maxsize=256)
def _range_for(funnel_json: str, audience: Audience) -> tuple[float, float]:
    from funnel_lib.uncertainty import conversion_draws

    values = conversion_draws(Funnel.from_json(funnel_json), audience, READOUT_DRAWS, 0)
    low, high = (float(v) for v in np.percentile(values, [10, 90]))
    return low, high


def range_note(funnel: Funnel, audience: Audience) -> str:
    """The readout's honest small print: what the rate is a share of, and its range over plausible models.

    >>> from funnel_lib.examples import get_example
    >>> note = range_note(get_example("online_course"), AUDIENCES["cold"])
    >>> "of people shown the first step" in note and "plausible models" in note
    True
    """
    low, high = _range_for(funnel.to_json(indent=None), audience)
    return (f"of people shown the first step; {share_text(low)} to {share_text(high)} "
            f"across {READOUT_DRAWS} plausible models (10th to 90th percentile)")


def beats_note(funnel_a: Funnel, funnel_b: Funnel, name_a: str, name_b: str, audience: Audience) -> str:
    """The duel's robustness line: "A beats B in X % of plausible models".

    >>> from funnel_lib.examples import get_pair
    >>> broken, good = get_pair("one_big_ask")
    >>> beats_note(good, broken, "ladder", "big ask", AUDIENCES["cold"]).startswith("ladder beats big ask in")
    True
    """
    from funnel_lib.uncertainty import robustness

    share = robustness(funnel_a, funnel_b, audience, draws=READOUT_DRAWS, seed=0).share
    return f"{esc(name_a)} beats {esc(name_b)} in {100 * share:.0f} % of plausible models"


share_text = pct
"""A share as the readouts print it: :func:`funnel_lib._format.pct` (kept under its old name)."""
