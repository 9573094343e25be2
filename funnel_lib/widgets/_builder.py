"""The funnel builder: edit a funnel with widgets and watch the model, the chart and the checker react."""

from __future__ import annotations

import functools
from typing import Any

import ipywidgets as widgets
import traitlets

from funnel_lib._format import count_of, times
from funnel_lib.audience import Audience
from funnel_lib.catalog import ASK_CATALOG
from funnel_lib.examples import EXAMPLES
from funnel_lib.framework import Report
from funnel_lib.model import Funnel, Step
from funnel_lib.simulate import SimulationResult
from funnel_lib.stages import Stage
from funnel_lib.thresholds import Thresholds
from funnel_lib.widgets._chart import LiveFunnelChart, choose_backend
from funnel_lib.widgets._common import (
    Panel,
    aria_class,
    audience_picker,
    close_tree,
    describe,
    esc,
    example_label,
    guarded,
    pick_audience,
    presenter_default,
    presenter_toggle,
    range_note,
    share_text,
    style_widget,
)
from funnel_lib.widgets._state import MAX_STEPS, BuilderState, Evaluation
from funnel_lib.widgets._svg import SvgFunnelChart

__all__ = ["FunnelBuilder", "StepRow", "starter_funnel", "funnel_code"]

# widths in em, so that labels grow with the text in presenter mode
_SLIDER_STYLE = {"description_width": "3.6em"}
_FIELD_STYLE = {"description_width": "3.6em"}
_INSERT_CHOICES = (("before the last step", "before_last"), ("at the end", "end"))
_EXPORT_CHOICES = (("Hide", "hide"), ("Python", "python"), ("JSON", "json"))


def starter_funnel() -> Funnel:
    """The design a new builder starts with: a clip, a quiz and a purchase.

    >>> [s.name for s in starter_funnel()]
    ['Watch a 10-second clip', 'Take a 3-question quiz', 'Buy the product']
    """
    return Funnel([Step.from_catalog("watch_clip"), Step.from_catalog("quiz"), Step.from_catalog("buy")],
                  name="My funnel")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _step_code(step: Step) -> str:
    """Python source that rebuilds ``step`` exactly (from the catalogue when it came from there)."""
    if step.action is not None:
        base = Step.from_catalog(step.action)
        parts = [repr(step.action)]
        for field in ("name", "stage", "ask", "value", "trust", "description"):
            mine, theirs = getattr(step, field), getattr(base, field)
            if mine != theirs:
                shown = repr(mine.value) if field == "stage" else (
                    _num(mine) if field in ("ask", "value", "trust") else repr(mine))
                parts.append(f"{field}={shown}")
        return f"Step.from_catalog({', '.join(parts + _ethics_code(step))})"
    parts = [repr(step.name), repr(step.stage.value), f"ask={_num(step.ask)}", f"value={_num(step.value)}",
             f"trust={_num(step.trust)}"]
    if step.description:
        parts.append(f"description={step.description!r}")
    return f"Step({', '.join(parts + _ethics_code(step))})"


def _ethics_code(step: Step) -> list[str]:
    """``key=value`` for the step's ethics fields that are not at their fair defaults."""
    return [f"{key}={value!r}" if isinstance(value, bool) else f"{key}={_num(value)}"
            for key, value in step.ethics().items()]


def funnel_code(funnel: Funnel, variable: str = "funnel") -> str:
    """Python source that rebuilds ``funnel`` exactly.

    >>> code = funnel_code(starter_funnel())
    >>> print(code.splitlines()[4])
            Step.from_catalog('watch_clip'),
    >>> namespace = {}
    >>> exec(code, namespace)
    >>> namespace["funnel"] == starter_funnel()
    True
    """
    lines = ["from funnel_lib import Funnel, Step", "", f"{variable} = Funnel(", "    ["]
    lines += [f"        {_step_code(step)}," for step in funnel.steps]
    lines += ["    ],", f"    name={funnel.name!r},", ")", ""]
    return "\n".join(lines)


#: The builder's labels for the ethics fields of a step (see :class:`funnel_lib.model.Step`).
_ETHICS_LABELS: dict[str, str] = {
    "consent_preticked": "Consent box pre-ticked",
    "card_required": "Card required",
    "auto_renews": "Renews into a paid plan",
    "added_extras": "Extras added to the basket",
    "false_urgency": "Untrue urgency or scarcity",
    "confirmshaming": "Shaming 'no' button",
    "cancel_effort": "Effort to cancel",
    "hidden_cost": "Cost not shown before",
}

_ETHICS_TIPS: dict[str, str] = {
    "consent_preticked": "a consent box (e-mails, sharing data) is already ticked for the person",
    "card_required": "the step asks for payment details, even if nothing is charged yet",
    "auto_renews": "what the step starts turns into a paid plan unless cancelled",
    "added_extras": "a paid extra the person did not choose is put in the basket",
    "false_urgency": "a countdown, deadline or 'only 2 left' that is not true",
    "confirmshaming": "the way to say no is worded to shame the person",
    "cancel_effort": "how hard it is to undo: 0 nothing to undo, 1 one click, 8 a phone call",
    "hidden_cost": "part of the ask not shown before (fees at checkout), at most the ask",
}


def _spoken(label: str) -> str:
    """A label as plain words for an accessible name ("Shaming 'no' button" -> "shaming no button")."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in label.lower()).split())


class StepRow:
    """The controls of one position in the builder: name, stage, ask / value / trust, up, down, remove.

    Each row also has a "How it treats people" toggle that shows the step's ethics fields (a
    pre-ticked consent box, a card, auto-renewal, cancel effort, hidden costs, extras added to
    the basket, untrue urgency, a shaming "no"), so the ethics rules (MC6xx) can be tried live.

    Rows are positional: row ``i`` always shows step ``i`` of the funnel. Moving or removing a
    step re-fills the rows' values instead of re-creating widgets, so every control stays
    wired (one observer each) and keeps keyboard focus where the user expects it.

    >>> b = FunnelBuilder(chart="image")
    >>> row = b.rows[1]
    >>> row.name.value, row.ask.description, row.ask.tooltip.split(":")[0]
    ('Take a 3-question quiz', 'Ask', 'Step 2 ask')
    >>> b.close(); row.closed
    True
    """

    def __init__(self, builder: FunnelBuilder, position: int) -> None:
        self.position = position
        self.number = widgets.HTML(layout=widgets.Layout(width="auto", flex="0 0 auto"))
        self.number.add_class("funnel-step-number")
        self.name = widgets.Text(description="Name", continuous_update=False, description_allow_html=False,
                                 placeholder="What the step asks people to do", style=_FIELD_STYLE,
                                 layout=widgets.Layout(width="auto", flex="1 1 auto", min_width="0"))
        self.name.add_class("funnel-name")
        self.stage = widgets.Dropdown(options=[(s.label, s.value) for s in Stage], description="Stage",
                                      description_allow_html=False, style=_FIELD_STYLE,
                                      layout=widgets.Layout(width="auto", flex="1 1 12em", min_width="0"))
        self.stage.add_class("funnel-stage")
        self.ask = self._slider("Ask", "funnel-ask")
        self.value = self._slider("Value", "funnel-value")
        self.trust = self._slider("Trust", "funnel-trust")
        self.up = widgets.Button(description="Up", icon="arrow-up", layout=widgets.Layout(width="auto"))
        self.up.add_class("funnel-up")
        self.down = widgets.Button(description="Down", icon="arrow-down", layout=widgets.Layout(width="auto"))
        self.down.add_class("funnel-down")
        self.remove = widgets.Button(description="Remove", icon="trash", layout=widgets.Layout(width="auto"))
        self.remove.add_class("funnel-remove")
        self.care = widgets.ToggleButton(description="How it treats people", value=False,
                                         layout=widgets.Layout(width="auto"))
        self.care.add_class("funnel-ethics-toggle")
        self.ethics: dict[str, widgets.Widget] = {}
        for key, label in _ETHICS_LABELS.items():
            if key in ("cancel_effort", "hidden_cost"):
                control: widgets.Widget = self._slider(label, f"funnel-{key.replace('_', '-')}")
            else:
                control = widgets.Checkbox(description=label, indent=False, value=False,
                                           layout=widgets.Layout(width="auto"))
                control.add_class(f"funnel-{key.replace('_', '-')}")
            self.ethics[key] = control
        self.ethics_box = widgets.VBox(list(self.ethics.values()),
                                       layout=widgets.Layout(width="auto", display="none"))
        self.ethics_box.add_class("funnel-ethics")

        buttons = widgets.HBox([self.up, self.down, self.remove, self.care], layout=widgets.Layout(
            flex="0 0 auto", flex_flow="row wrap"))
        self.box = widgets.VBox([widgets.HBox([self.number, self.name], layout=widgets.Layout(
                                     width="100%", align_items="center")),
                                 widgets.HBox([self.stage, buttons], layout=widgets.Layout(
                                     width="100%", flex_flow="row wrap", align_items="center")),
                                 self.ask, self.value, self.trust, self.ethics_box],
                                layout=widgets.Layout(width="auto"))
        self.box.add_class("funnel-step")
        # accessible names that say which step a control belongs to ("Step 2 ask"; rows are
        # positional, so row i always shows step i + 1); the chart's script applies them
        n = position + 1
        for control, name in ((self.name, f"Step {n} name"), (self.stage, f"Step {n} stage"),
                              (self.ask, f"Step {n} ask"), (self.value, f"Step {n} value"),
                              (self.trust, f"Step {n} trust"), (self.up, f"Move step {n} up"),
                              (self.down, f"Move step {n} down"), (self.remove, f"Remove step {n}"),
                              (self.care, f"Step {n} how it treats people"),
                              *((c, f"Step {n} {_spoken(_ETHICS_LABELS[k])}") for k, c in self.ethics.items())):
            control.add_class(aria_class(name))

        self._observed: list[tuple[widgets.Widget, Any]] = []
        for control, field in ((self.name, "name"), (self.stage, "stage"), (self.ask, "ask"),
                               (self.value, "value"), (self.trust, "trust"), *((c, k) for k, c in self.ethics.items())):
            handler = functools.partial(builder._on_field, self, field)
            control.observe(handler, names="value")
            self._observed.append((control, handler))
        self.care.observe(self._on_care, names="value")
        self._observed.append((self.care, self._on_care))
        self._clicks: list[tuple[widgets.Button, Any]] = []
        for button, handler in ((self.up, functools.partial(builder._on_move, self, -1)),
                                (self.down, functools.partial(builder._on_move, self, +1)),
                                (self.remove, functools.partial(builder._on_remove, self))):
            button.on_click(handler)
            self._clicks.append((button, handler))
        self.closed = False

    def _on_care(self, change: dict[str, Any]) -> None:
        """Show or hide the step's ethics fields."""
        self.ethics_box.layout.display = None if change["new"] else "none"

    @staticmethod
    def _slider(label: str, css: str) -> widgets.FloatSlider:
        slider = widgets.FloatSlider(min=0.0, max=10.0, step=0.5, description=label, readout_format=".1f",
                                     continuous_update=True, description_allow_html=False, style=_SLIDER_STYLE,
                                     layout=widgets.Layout(width="100%"))
        slider.add_class(css)
        return slider

    @property
    def controls(self) -> tuple[widgets.Widget, ...]:
        """Every control of the row (for tests and keyboard checks).

        >>> b = FunnelBuilder(chart="image")
        >>> [c.description for c in b.rows[0].controls]
        ['Name', 'Stage', 'Ask', 'Value', 'Trust', 'Up', 'Down', 'Remove']
        >>> b.close()
        """
        return (self.name, self.stage, self.ask, self.value, self.trust, self.up, self.down, self.remove)

    def show(self, step: Step, position: int, count: int) -> None:
        """Fill the row with ``step`` at ``position`` of ``count`` (the caller suppresses callbacks).

        >>> b = FunnelBuilder(chart="image")
        >>> b.rows[0].up.disabled, b.rows[0].down.tooltip
        (True, 'Move step 1 down: later in the funnel')
        >>> b.close()
        """
        self.position = position
        n = position + 1
        self.number.value = f"<span aria-hidden='true'>{n}.</span>"
        self.ethics["hidden_cost"].max = max(step.ask, 0.5)
        for control, value in ((self.name, step.name), (self.stage, step.stage.value), (self.ask, step.ask),
                               (self.value, step.value), (self.trust, step.trust),
                               *((c, getattr(step, k)) for k, c in self.ethics.items())):
            if control.value != value:
                control.value = value
        tips = {
            self.name: f"Step {n} name: {step.name}",
            self.stage: f"Step {n} stage: Entry, Engagement, Progression, Reinforcement or Conversion",
            self.ask: f"Step {n} ask: how big the request is, 0 to 10 (1 a glance, 10 a large purchase)",
            self.value: f"Step {n} value: what people get back at this step, 0 nothing to 10 a lot",
            self.trust: f"Step {n} trust: how strong the proof and reassurance shown are, 0 to 10",
            self.up: f"Move step {n} up: earlier in the funnel",
            self.down: f"Move step {n} down: later in the funnel",
            self.remove: f"Remove step {n}: take it out of the funnel (Undo brings it back)",
            self.care: f"Step {n}: show or hide how the step treats people (the ethics rules, lesson 12)",
            **{self.ethics[key]: f"Step {n} {_spoken(label)}: {_ETHICS_TIPS[key]}"
               for key, label in _ETHICS_LABELS.items()},
        }
        for control, tip in tips.items():
            if control.tooltip != tip:
                control.tooltip = tip
        self.up.disabled = position == 0
        self.down.disabled = position == count - 1

    def close(self) -> None:
        """Detach every observer and close every widget of the row.

        >>> b = FunnelBuilder(chart="image")
        >>> last = b.rows[-1]; _ = b.remove_step(0)
        >>> last.closed, last.ask.comm is None
        (True, True)
        >>> b.close()
        """
        if self.closed:
            return
        self.closed = True
        for control, handler in self._observed:
            control.unobserve(handler, names="value")
        for button, handler in self._clicks:
            button.on_click(handler, remove=True)
        self._observed.clear()
        self._clicks.clear()
        close_tree(self.box)


class _FunnelTrait(traitlets.Any):
    """A trait holding a Funnel that hands out a copy on every read, so the builder's design cannot be
    changed behind its back (assign a new value instead)."""

    info_text = "a Funnel or the name of an example"

    def get(self, obj: traitlets.HasTraits, cls: type | None = None) -> Any:
        value = super().get(obj, cls)
        return value.copy() if isinstance(value, Funnel) else value


class FunnelBuilder(Panel, widgets.VBox):
    """An interactive funnel builder for JupyterLab and Voila: edit steps, see the model react live.

    ``funnel`` is a :class:`~funnel_lib.model.Funnel`, the name of an example in
    :mod:`funnel_lib.examples`, or ``None`` for a small starter design; ``audience`` is
    ``"cold"``, ``"warm"``, ``"hot"`` or an :class:`~funnel_lib.audience.Audience`. ``chart``
    picks how the chart is shown (``"auto"``, ``"ipympl"`` or ``"image"``); ``thresholds`` are
    the checker's (a :class:`~funnel_lib.thresholds.Thresholds`, a dict of overrides or None),
    used for the findings and for the chart's band of asks that fit.

    ``funnel`` and ``audience`` are traitlets: observe them (``builder.observe(callback,
    names="funnel")``) or link them (``traitlets.link((a, "funnel"), (b, "funnel"))``); reading
    ``funnel`` gives a copy, assigning a Funnel or an example name loads it. The design itself
    lives in :attr:`state`, a :class:`~funnel_lib.widgets._state.BuilderState` without widgets.

    On every change the builder simulates the design and the "one big ask" baseline for the
    audience (:func:`~funnel_lib.simulate.simulate`, :func:`~funnel_lib.simulate.big_ask_baseline`),
    checks it (:func:`~funnel_lib.framework.check`), moves the chart's artists and refreshes
    the readout and the findings. A callback never raises into the page: mistakes get a
    friendly message (CSS class ``funnel-message``), unexpected errors a short one
    (``funnel-error``) and a log record on the ``funnel_lib.widgets`` logger.

    The parts carry stable CSS classes: ``funnel-builder``, ``funnel-step`` (one per step),
    ``funnel-name``, ``funnel-stage``, ``funnel-ask``, ``funnel-value``, ``funnel-trust``,
    ``funnel-up``, ``funnel-down``, ``funnel-remove``, ``funnel-add``, ``funnel-audience``,
    ``funnel-preset``, ``funnel-reset``, ``funnel-undo``, ``funnel-conversion``,
    ``funnel-baseline``, ``funnel-lift``, ``funnel-findings`` (each item ``funnel-finding``),
    ``funnel-chart``, ``funnel-message``, ``funnel-error``, ``funnel-export``.

    >>> from funnel_lib.examples import get_example
    >>> b = FunnelBuilder(get_example("online_course"))
    >>> b.funnel.name, len(b.rows)
    ('Online course: a ladder of small yeses', 6)
    >>> b.rows[0].ask.value = 2.0           # what a learner's slider does
    >>> b.funnel.steps[0].ask
    2.0
    >>> b.conversion_html.value == b.readout()["conversion_html"]
    True
    >>> b.close()
    """

    funnel = _FunnelTrait(help="The current design: a copy on every read; assign a Funnel or an example name")
    audience = traitlets.Any(help="The name of the audience; assign a name or an Audience")

    _error_hint = "<br>Your last good design is kept; try again, press Undo, or Reset."

    def __init__(self, funnel: Funnel | str | None = None, audience: str | Audience = "cold", *,
                 chart: str = "auto", presenter: bool | None = None,
                 thresholds: Thresholds | dict[str, Any] | None = None) -> None:
        state = BuilderState(starter_funnel() if funnel is None else funnel, audience, thresholds=thresholds)
        self._publishing = True  # the traits below are the builder's own until __init__ ends
        super().__init__()
        self.state = state
        self.add_class("funnel-builder")
        self._syncing = False
        self._evaluation: Evaluation | None = None
        self.last_error = ""
        self.recompute_count = 0
        self.rows: list[StepRow] = []

        self._presenter = presenter_default() if presenter is None else bool(presenter)
        self.chart: SvgFunnelChart | LiveFunnelChart = (
            SvgFunnelChart(presenter=self._presenter) if choose_backend(chart) == "svg" else LiveFunnelChart(chart))
        self._build_controls()
        self.presenter = self._presenter
        self._sync_rows()
        self._recompute()
        self._publishing = False

    # -- layout -----------------------------------------------------------------------------
    def _build_controls(self) -> None:
        title = widgets.HTML("<div class='funnel-title' role='heading' aria-level='2'>Funnel builder</div>")
        self.name_text = widgets.Text(value=self.state.funnel.name, description="Funnel name", continuous_update=False,
                                      description_allow_html=False, tooltip="Funnel name: a name for this design",
                                      placeholder="e.g. Online course ladder", style={"description_width": "initial"},
                                      layout=widgets.Layout(width="auto", flex="1 1 18em", min_width="0"))
        self.name_text.add_class("funnel-name-input")
        self.name_text.observe(self._on_funnel_name, names="value")

        self.preset_picker = widgets.Dropdown(
            options=[("Choose an example…", "")] + [(example_label(name), name) for name in EXAMPLES],
            value="", description="Example", description_allow_html=False,
            tooltip="Example: load an example funnel from the course, good ladders and broken ones",
            style={"description_width": "initial"}, layout=widgets.Layout(width="auto", max_width="100%"))
        self.preset_picker.add_class("funnel-preset")
        self.preset_picker.observe(self._on_preset, names="value")
        self.reset_button = widgets.Button(description="Reset", icon="refresh",
                                           tooltip="Go back to the design this builder started with",
                                           layout=widgets.Layout(width="auto"))
        self.reset_button.add_class("funnel-reset")
        self.reset_button.on_click(self._on_reset)
        self.undo_button = widgets.Button(description="Undo", icon="undo", disabled=True,
                                          tooltip="Undo the last add, remove, move, example or reset",
                                          layout=widgets.Layout(width="auto"))
        self.undo_button.add_class("funnel-undo")
        self.undo_button.on_click(self._on_undo)
        self.audience_picker = audience_picker(self.state.audience)
        self.audience_picker.observe(self._on_audience, names="value")

        self.conversion_html = widgets.HTML()
        self.conversion_html.add_class("funnel-conversion")
        self.baseline_html = widgets.HTML()
        self.baseline_html.add_class("funnel-baseline")
        self.lift_html = widgets.HTML()
        self.lift_html.add_class("funnel-lift")
        readout = widgets.HBox([self.conversion_html, self.baseline_html, self.lift_html],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start",
                                                     justify_content="flex-start", width="100%"))
        readout.add_class("funnel-readout")
        # three columns side by side even at 125 % zoom on a projector; each may hold extra lines
        for part in readout.children:
            part.layout.margin = "0 20px 0 0"
            part.layout.flex = "1 1 12em"
            part.layout.min_width = "0"

        self.message_html = widgets.HTML(layout=widgets.Layout(display="none"))
        self.message_html.add_class("funnel-message")
        self.error_html = widgets.HTML(layout=widgets.Layout(display="none"))
        self.error_html.add_class("funnel-error")

        self.steps_box = widgets.VBox()
        self.steps_box.add_class("funnel-steps")
        self.new_step_picker = widgets.Dropdown(
            options=[("Blank step", "")] + [
                (f"{e.label} (ask {e.ask:g}, {e.stage.label})", key)
                for key, e in sorted(ASK_CATALOG.items(), key=lambda item: (item[1].ask, item[1].label))],
            value="", description="New step", description_allow_html=False,
            tooltip="New step: blank, or a common action from the catalogue with its usual sizes",
            style={"description_width": "initial"}, layout=widgets.Layout(width="auto", max_width="100%"))
        self.new_step_picker.add_class("funnel-new-step")
        self.insert_picker = widgets.Dropdown(options=list(_INSERT_CHOICES), value="before_last",
                                              description="Insert", description_allow_html=False,
                                              tooltip="Insert: where the new step goes",
                                              style={"description_width": "initial"},
                                              layout=widgets.Layout(width="auto"))
        self.insert_picker.add_class("funnel-insert")
        self.add_button = widgets.Button(description="Add step", icon="plus", button_style="primary",
                                         tooltip="Add the chosen step to the funnel",
                                         layout=widgets.Layout(width="auto"))
        self.add_button.add_class("funnel-add")
        self.add_button.on_click(self._on_add)
        add_bar = widgets.HBox([self.new_step_picker, self.insert_picker, self.add_button],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        add_bar.add_class("funnel-add-bar")
        left = widgets.VBox([widgets.HTML("<b>Steps</b> <span class='funnel-hint'>(first step on top; "
                                          "sizes on a 0–10 scale; arrow keys move a focused slider)</span>"),
                             self.steps_box, add_bar],
                            layout=widgets.Layout(flex="1 1 400px", min_width="0", max_width="100%"))
        left.add_class("funnel-editor")

        self.findings_html = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.findings_html.add_class("funnel-findings")
        right = widgets.VBox([self.chart.widget, self.findings_html],
                             layout=widgets.Layout(flex="1.25 1 480px", min_width="0", max_width="100%"))
        right.add_class("funnel-results")
        # side by side when there is room for both (about 900 px and more), stacked below that
        main = widgets.HBox([left, right], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start",
                                                                 width="100%"))
        main.add_class("funnel-main")

        self.export_picker = widgets.ToggleButtons(
            options=list(_EXPORT_CHOICES), value="hide", description="Export", description_allow_html=False,
            tooltips=["Hide the export", "Show Python code that rebuilds this funnel",
                      "Show the funnel as JSON (Funnel.from_json reads it)"],
            tooltip="Show the design as Python code or JSON to copy", style={"description_width": "initial",
                                                                           "button_width": "auto"},
            layout=widgets.Layout(display="flex", flex_flow="row nowrap", align_items="center", width="auto"))
        self.export_picker.add_class("funnel-export-picker")
        self.export_picker.observe(self._on_export, names="value")
        self.export_text = widgets.Textarea(description="Design", description_allow_html=False,
                                            tooltip="Copy this text; editing it here changes nothing",
                                            layout=widgets.Layout(width="98%", height="220px", display="none"))
        self.export_text.add_class("funnel-export")

        header = widgets.HBox([title, self.name_text], layout=widgets.Layout(flex_flow="row wrap",
                                                                             align_items="center"))
        header.children[0].layout.margin = "0 24px 0 0"
        self.presenter_button = presenter_toggle(self._presenter)
        self.presenter_button.observe(self._on_presenter, names="value")
        toolbar = widgets.HBox([self.audience_picker, self.preset_picker, self.reset_button, self.undo_button,
                                self.presenter_button],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        toolbar.add_class("funnel-toolbar")
        self.children = [style_widget(), header, toolbar, readout, self.message_html, self.error_html, main,
                         self.export_picker, self.export_text]

    # -- public API -------------------------------------------------------------------------
    @traitlets.validate("funnel")
    def _validate_funnel(self, proposal: dict[str, Any]) -> Any:
        """Assigning ``funnel`` loads the design (undoable), as :meth:`load` does.

        >>> b = FunnelBuilder(chart="image")
        >>> b.funnel = "local_gym"; b.funnel.name == b.name_text.value
        True
        >>> b.close()
        """
        if self._publishing:
            return proposal["value"]
        self.load(proposal["value"])
        return self._trait_values["funnel"]

    @traitlets.validate("audience")
    def _validate_audience(self, proposal: dict[str, Any]) -> Any:
        """Assigning ``audience`` (a name or an Audience) switches the picker, which recomputes.

        >>> b = FunnelBuilder(chart="image")
        >>> b.audience = "hot"; b.audience, b.result.audience.name
        ('hot', 'hot')
        >>> b.close()
        """
        if self._publishing:
            return proposal["value"]
        pick_audience(self.audience_picker, proposal["value"])  # the picker's observer recomputes
        return self.state.audience.name

    def _publish(self) -> None:
        """Show the state's design and audience on the ``funnel`` and ``audience`` traits (observers fire)."""
        before = self._publishing
        self._publishing = True
        try:
            if self._trait_values.get("funnel") != self.state.funnel:
                self.funnel = self.state.funnel.copy()
            self.audience = self.state.audience.name
        finally:
            self._publishing = before

    @property
    def thresholds(self) -> Thresholds:
        """The checker's thresholds, used for the findings and the chart's band of asks that fit.

        >>> FunnelBuilder(chart="image", thresholds={"max_steps": 4}).thresholds.max_steps
        4
        """
        return self.state.thresholds

    @property
    def presenter(self) -> bool:
        """Presenter mode: text of at least 20 px and chart text of at least 14 pt, for a room.

        On by default when the environment variable ``FUNNEL_PRESENTER`` is 1 (``make demo``).

        >>> b = FunnelBuilder(presenter=False); b.presenter = True
        >>> "funnel-presenter" in b._dom_classes, b.chart.presenter, b.presenter_button.value
        (True, True, True)
        >>> b.close()
        """
        return self._presenter

    @presenter.setter
    def presenter(self, value: bool) -> None:
        on = bool(value)
        self._presenter = on
        if on and "funnel-presenter" not in self._dom_classes:
            self.add_class("funnel-presenter")
        elif not on and "funnel-presenter" in self._dom_classes:
            self.remove_class("funnel-presenter")
        if isinstance(self.chart, SvgFunnelChart):
            self.chart.presenter = on
        if self.presenter_button.value != on:
            self.presenter_button.value = on

    @property
    def result(self) -> SimulationResult | None:
        """The latest simulation of the design (``None`` while the funnel has no steps).

        >>> b = FunnelBuilder(chart="image")
        >>> 0 < b.result.conversion < 1
        True
        >>> b.close()
        """
        return None if self._evaluation is None else self._evaluation.result

    @property
    def baseline(self) -> SimulationResult | None:
        """The latest simulation of the "one big ask" baseline (``None`` without steps).

        >>> b = FunnelBuilder(chart="image")
        >>> [s.name for s in b.baseline.funnel]
        ['Buy the product']
        >>> b.close()
        """
        return None if self._evaluation is None else self._evaluation.baseline

    @property
    def report(self) -> Report | None:
        """The checker's latest :class:`~funnel_lib.framework.Report` (``None`` without steps).

        >>> b = FunnelBuilder("one_big_ask", chart="image")
        >>> b.report.ok
        False
        >>> b.close()
        """
        return None if self._evaluation is None else self._evaluation.report

    def load(self, funnel: Funnel | str, *, audience: str | Audience | None = None) -> None:
        """Replace the design with ``funnel`` (a Funnel or an example name); Undo brings the old one back.

        >>> b = FunnelBuilder(chart="image")
        >>> b.load("local_gym"); len(b.rows)
        5
        >>> b.close()
        """
        self.state.load(funnel, audience)
        self._show_audience()
        with self._quiet():
            self.preset_picker.value = funnel if isinstance(funnel, str) else ""
        self._refresh_all()

    def add_step(self, step: Step | str | None = None, *, position: int | None = None) -> int:
        """Add a step (a Step, a catalogue key, or ``None`` for a blank one); returns its position.

        ``position`` defaults to the end.

        >>> b = FunnelBuilder(chart="image")
        >>> b.add_step("case_study", position=2)
        2
        >>> b.funnel.steps[2].name
        'Read a case study'
        >>> b.close()
        """
        position = self.state.add(step, position=position)
        self._refresh_all()
        return position

    def remove_step(self, index: int) -> Step:
        """Remove the step at ``index`` and return it.

        >>> b = FunnelBuilder(chart="image")
        >>> b.remove_step(0).name
        'Watch a 10-second clip'
        >>> b.close()
        """
        removed = self.state.remove(index)
        self._refresh_all()
        return removed

    def move_step(self, index: int, to: int) -> None:
        """Move the step at ``index`` to position ``to``.

        >>> b = FunnelBuilder(chart="image")
        >>> b.move_step(2, 0); b.funnel.steps[0].name
        'Buy the product'
        >>> b.close()
        """
        self.state.move(index, to)
        self._refresh_all()

    def update_step(self, index: int, **changes: Any) -> Step:
        """Change fields of the step at ``index`` (name, stage, ask, value, trust, description).

        >>> b = FunnelBuilder(chart="image")
        >>> b.update_step(1, ask=3).ask, b.rows[1].ask.value
        (3.0, 3.0)
        >>> b.close()
        """
        new = self.state.replace(index, **changes)
        self._refresh_all()
        return new

    def undo(self) -> bool:
        """Undo the last add, remove, move, load or reset; returns False when there is nothing to undo.

        >>> b = FunnelBuilder(chart="image")
        >>> _ = b.remove_step(0); b.undo(), len(b.funnel)
        (True, 3)
        >>> b.close()
        """
        if not self.state.undo():
            return False
        self._show_audience()
        self._refresh_all()
        return True

    def reset(self) -> None:
        """Go back to the design and audience the builder started with (Undo can reverse it).

        >>> b = FunnelBuilder("one_big_ask", chart="image")
        >>> b.load("online_course"); b.reset(); len(b.funnel)
        1
        >>> b.close()
        """
        self.state.reset()
        self._show_audience()
        with self._quiet():
            self.preset_picker.value = ""
        self._refresh_all()

    def to_json(self, indent: int | None = 2) -> str:
        """The current design as JSON (``Funnel.from_json`` reads it back).

        >>> b = FunnelBuilder(chart="image")
        >>> Funnel.from_json(b.to_json()) == b.funnel
        True
        >>> b.close()
        """
        return self.state.funnel.to_json(indent=indent)

    def to_code(self, variable: str = "funnel") -> str:
        """Python source that rebuilds the current design exactly.

        >>> b = FunnelBuilder(chart="image")
        >>> ns = {}; exec(b.to_code(), ns); ns["funnel"] == b.funnel
        True
        >>> b.close()
        """
        if not isinstance(variable, str) or not variable.isidentifier():
            raise ValueError(f"variable must be a Python name such as 'funnel', got {describe(variable)}")
        return funnel_code(self.state.funnel, variable)

    def readout(self) -> dict[str, Any]:
        """What the builder shows, as data: conversion, baseline, score, finding codes and the readout HTML.

        >>> b = FunnelBuilder("one_big_ask", chart="image")
        >>> r = b.readout(); r["steps"], r["conversion"] == r["baseline"]
        (1, True)
        >>> b.close()
        """
        result, base, report = self.result, self.baseline, self.report
        return {
            "steps": len(self.state.funnel),
            "audience": self.state.audience.name,
            "conversion": None if result is None else result.conversion,
            "baseline": None if base is None else base.conversion,
            "score": None if report is None else report.score,
            "codes": [] if report is None else report.codes,
            "conversion_html": self.conversion_html.value,
            "baseline_html": self.baseline_html.value,
            "findings_html": self.findings_html.value,
            "message": self.message_html.value,
            "error": self.error_html.value,
        }

    def __repr__(self) -> str:
        result = self.result
        predicted = (f"; the teaching model predicts {share_text(result.conversion)} of people shown the first "
                     "step convert") if result is not None else ""
        steps = " > ".join(step.name for step in self.state.funnel.steps)
        return (f"FunnelBuilder({self.state.funnel.name or 'untitled funnel'!r}, {len(self.state.funnel)} steps, "
                f"{self.audience} audience{predicted}): {steps}")

    def static_html(self) -> str:
        """A static HTML snapshot of the current design and its prediction, for views without a kernel.

        An HTML export, GitHub or nbviewer shows it in place of the live builder.

        >>> b = FunnelBuilder(chart="image")
        >>> html = b.static_html()
        >>> "funnel-design" in html and "teaching model" in html
        True
        >>> b.close()
        """
        result = self.result
        line = (f"<p>Audience: {esc(self.audience)}. The teaching model predicts that "
                f"<b>{share_text(result.conversion)}</b> of the people shown the first step convert "
                "(a model result, not a forecast).</p>") if result is not None else ""
        return (f"<div class='funnel-builder-static'>{self.state.funnel._repr_html_()}{line}"
                "<p><i>Run the notebook to change the design interactively.</i></p></div>")

    def close(self) -> None:
        """Close the builder and every widget in it (rows, chart, controls).

        >>> b = FunnelBuilder(chart="image"); b.close()
        >>> b.comm is None and b.add_button.comm is None
        True
        """
        for row in getattr(self, "rows", ()):
            row.close()
        self.rows = []
        super().close()

    # -- internals --------------------------------------------------------------------------
    class _Quiet:
        def __init__(self, builder: FunnelBuilder) -> None:
            self.builder = builder
            self.before = False

        def __enter__(self) -> None:
            self.before = self.builder._syncing
            self.builder._syncing = True

        def __exit__(self, *exc: object) -> None:
            self.builder._syncing = self.before

    def _quiet(self) -> FunnelBuilder._Quiet:
        return FunnelBuilder._Quiet(self)

    def _show_audience(self) -> None:
        """Select the state's audience on the picker without recomputing (the caller refreshes)."""
        with self._quiet():
            pick_audience(self.audience_picker, self.state.audience)

    def _sync_rows(self) -> None:
        """Make one row per step and fill them (re-using rows; closing the ones no longer needed)."""
        steps = self.state.funnel.steps
        n = len(steps)
        with self._quiet():
            while len(self.rows) > n:
                self.rows.pop().close()
            while len(self.rows) < n:
                self.rows.append(StepRow(self, len(self.rows)))
            for i, (row, step) in enumerate(zip(self.rows, steps, strict=True)):
                row.show(step, i, n)
            boxes = tuple(row.box for row in self.rows)
            if self.steps_box.children != boxes:
                self.steps_box.children = boxes
            if self.name_text.value != self.state.funnel.name:
                self.name_text.value = self.state.funnel.name
        full = n >= MAX_STEPS
        self.add_button.disabled = full
        self.add_button.tooltip = (f"The builder holds at most {MAX_STEPS} steps: remove one first" if full
                                   else "Add the chosen step to the funnel")
        self.insert_picker.disabled = n == 0

    def _refresh_all(self) -> None:
        self._sync_rows()
        self._recompute()

    def _recompute(self) -> None:
        """Evaluate the design once (simulation, checker, baseline), then update chart, readout and findings."""
        self.recompute_count += 1
        self._clear_error()
        self.undo_button.disabled = not self.state.can_undo
        try:
            self._evaluation = evaluation = self.state.evaluate()
            if evaluation is None:
                self._show_empty()
            else:
                self._show_message("")
                report = evaluation.report
                self.chart.update(evaluation.result, evaluation.baseline.conversion,
                                  thresholds=self.state.thresholds, flags=report.fit_flags)
                self._update_readout(evaluation.result, evaluation.baseline, report)
                self._update_findings(report)
            self._refresh_export()
        finally:  # the traits follow the design even when showing it failed
            self._publish()

    def _show_empty(self) -> None:
        self._show_message("The funnel has no steps yet. Choose a step under “New step” and press "
                           "“Add step”, pick an example, or press Undo.")
        self._set_html(self.conversion_html, self._big("Predicted conversion", "–", "add a step to see it"))
        self._set_html(self.baseline_html, self._big("One big ask", "–", "needs a last step"))
        self._set_html(self.lift_html, "")
        self._set_html(self.findings_html, "<div class='funnel-findings-head'><b>Checker</b>: nothing to "
                                           "check yet.</div>")
        self.chart.show_empty("No steps yet: add one to see the funnel")

    @staticmethod
    def _big(label: str, number: str, hint: str) -> str:
        return (f"<div class='funnel-label'>{esc(label)}</div><div class='funnel-big' role='status' "
                f"aria-live='polite'>{esc(number)}</div><div class='funnel-hint'>{hint}</div>")

    @staticmethod
    def _set_html(widget: widgets.HTML, value: str) -> None:
        if widget.value != value:
            widget.value = value

    @staticmethod
    def _lift(n: int, conversion: float, baseline: float) -> tuple[str, str]:
        """The lift readout: the design's conversion as a multiple of the one big ask's, and what it means."""
        if n == 1:
            return "1×", "this design is the one big ask: add small steps before it"
        if baseline <= 0:
            return "∞", "the big ask alone converts nobody"
        ratio = conversion / baseline
        if 0.95 <= ratio <= 1.05:
            return "≈ 1×", "about the same as the one big ask"
        if ratio > 1:
            return f"{times(ratio)}×", "as many buyers as the one big ask"
        return f"{ratio:.2f}×", "fewer than the one big ask: the steps lose people"

    def _update_readout(self, result: SimulationResult, base: SimulationResult, report: Report) -> None:
        n = len(self.state.funnel)
        who = esc(self.state.audience.name)
        last = esc(self.state.funnel.steps[-1].name)
        self._set_html(self.conversion_html, self._big(
            "Predicted conversion", share_text(result.conversion),
            f"of a {who} audience completes all {n} step{'s' * (n != 1)}, "
            f"{range_note(self.state.funnel, self.state.audience)}"))
        self._set_html(self.baseline_html, self._big(
            "One big ask", share_text(base.conversion), f"if the same audience were asked only “{last}”"))
        lift, hint = self._lift(n, result.conversion, base.conversion)
        score = (f"framework score <b class='funnel-score'>{report.score}/100</b>")
        self._set_html(self.lift_html, self._big("Small yeses vs one big ask", lift, f"{hint}; {score}"))

    def _update_findings(self, report: Report) -> None:
        counts = ", ".join(count_of(len(found), word) for found, word in
                           ((report.errors, "error"), (report.warnings, "warning"), (report.infos, "tip")))
        head = (f"<div class='funnel-findings-head'><b>Checker</b>: score {report.score}/100 · {counts}</div>")
        self._set_html(self.findings_html, head + report.findings_html())

    def _refresh_export(self) -> None:
        kind = self.export_picker.value
        self.export_text.layout.display = "none" if kind == "hide" else None
        if kind == "python":
            text = self.to_code()
        elif kind == "json":
            text = self.to_json()
        else:
            return
        if self.export_text.value != text:
            self.export_text.value = text

    def _show_message(self, text: str) -> None:
        value = f"<div class='funnel-message-box' role='status'>{text}</div>" if text else ""
        self._set_html(self.message_html, value)
        display = None if text else "none"
        if self.message_html.layout.display != display:
            self.message_html.layout.display = display

    # -- callbacks (each guarded: never raises into the page) --------------------------------
    @guarded("changing a step")
    def _on_field(self, row: StepRow, field: str, change: dict[str, Any]) -> None:
        if self._syncing or row.closed:
            return
        index = row.position
        old = self.state.funnel.steps[index]
        new_value = change["new"]
        if field == "name":
            text = (new_value or "").strip()
            if not text:
                with self._quiet():
                    row.name.value = old.name
                self._show_message(f"Step {index + 1} needs a name, so it keeps “{esc(old.name)}”. "
                                   "Type a new name and press Enter.")
                return
            new_value = text
        elif field == "stage":
            new_value = Stage.coerce(new_value)
        changes = {field: new_value}
        if field == "ask" and old.hidden_cost > new_value:
            changes["hidden_cost"] = new_value  # a hidden cost is part of the ask, so it shrinks with it
        self.state.funnel.replace(index, **changes)
        if field == "ask":
            with self._quiet():
                row.show(self.state.funnel.steps[index], index, len(self.state.funnel))
        if field == "name":
            if row.name.value != new_value:
                with self._quiet():
                    row.name.value = new_value
            row.name.tooltip = f"Step {index + 1} name: {new_value}"
        self._recompute()

    @guarded("moving a step")
    def _on_move(self, row: StepRow, delta: int, _button: widgets.Button | None = None) -> None:
        if row.closed:
            return
        index, target = row.position, row.position + delta
        if not 0 <= target < len(self.state.funnel):
            self._show_message(f"Step {index + 1} is already the {'first' if delta < 0 else 'last'} step.")
            return
        self.move_step(index, target)
        moved = self.rows[target]
        button = moved.up if delta < 0 else moved.down
        (button if not button.disabled else (moved.down if delta < 0 else moved.up)).focus()

    @guarded("removing a step")
    def _on_remove(self, row: StepRow, _button: widgets.Button | None = None) -> None:
        if row.closed:
            return
        index = row.position
        self.remove_step(index)
        if self.rows:
            self.rows[min(index, len(self.rows) - 1)].name.focus()
        else:
            self.add_button.focus()

    @guarded("adding a step")
    def _on_add(self, _button: widgets.Button | None = None) -> None:
        if len(self.state.funnel) >= MAX_STEPS:
            self._show_message(f"The builder holds at most {MAX_STEPS} steps. A funnel that long is "
                               "overcomplicated: remove a step before adding another.")
            return
        size = len(self.state.funnel)
        position = size - 1 if self.insert_picker.value == "before_last" and size > 0 else size
        added = self.add_step(self.new_step_picker.value or None, position=position)
        self.rows[added].name.focus()

    @guarded("switching the audience")
    def _on_audience(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.state.set_audience(change["new"])
        self._recompute()

    @guarded("loading an example")
    def _on_preset(self, change: dict[str, Any]) -> None:
        name = change["new"]
        if self._syncing or not name:
            return
        self.load(name, audience=EXAMPLES[name].audience)

    @guarded("resetting the design")
    def _on_reset(self, _button: widgets.Button | None = None) -> None:
        self.reset()

    @guarded("undoing")
    def _on_undo(self, _button: widgets.Button | None = None) -> None:
        self.undo()

    @guarded("renaming the funnel")
    def _on_funnel_name(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.state.funnel.name = change["new"]
        self._recompute()

    @guarded("switching presenter mode")
    def _on_presenter(self, change: dict[str, Any]) -> None:
        self.presenter = bool(change["new"])

    @guarded("showing the export")
    def _on_export(self, change: dict[str, Any]) -> None:
        self._refresh_export()
