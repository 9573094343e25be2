"""The funnel builder and the duel, driven from Python as the browser would drive them.

Every test changes widgets the way a learner does (``slider.value = ...``, ``button.click()``,
``dropdown.value = ...``) and then checks the model (``builder.funnel``), the chart's artists,
the readout and the checker's findings against the library functions the lessons use.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator

import ipywidgets as widgets
import numpy as np
import pytest
from ipywidgets.widgets.widget import _instances

from funnel_lib._chart_style import BASELINE_GREY, FIT_GREY
from funnel_lib.audience import AUDIENCES, Audience
from funnel_lib.catalog import ASK_CATALOG
from funnel_lib.examples import EXAMPLES, get_example
from funnel_lib.framework import check
from funnel_lib.model import Funnel, Step
from funnel_lib.plots import OKABE_ITO, PALETTE
from funnel_lib.simulate import big_ask_baseline, simulate
from funnel_lib.widgets import MAX_STEPS, FunnelBuilder, FunnelDuel, LiveFunnelChart, funnel_code
from funnel_lib.widgets import _builder as builder_module
from funnel_lib.widgets import _state as state_module
from funnel_lib.widgets._chart import FigureDisplay, choose_backend
from funnel_lib.widgets._common import pct, share_text

CLASSES = ("funnel-builder", "funnel-step", "funnel-ask", "funnel-conversion", "funnel-baseline", "funnel-findings",
           "funnel-chart", "funnel-add", "funnel-remove", "funnel-up", "funnel-down", "funnel-audience",
           "funnel-preset", "funnel-error")


def eight_steps() -> Funnel:
    """An 8-step funnel (the benchmark's size)."""
    f = get_example("b2b_consulting")
    f.insert(1, Step.from_catalog("read_post"))
    assert len(f) == 8
    return f


@pytest.fixture
def builder() -> Iterator[FunnelBuilder]:
    b = FunnelBuilder(eight_steps(), chart="image")
    yield b
    b.close()


def walk(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def with_class(root: widgets.Widget, css: str) -> list[widgets.Widget]:
    return [w for w in walk(root) if css in w._dom_classes]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def observers(widget: widgets.Widget, name: str = "value") -> int:
    """How many of the widget's ``name`` observers belong to a builder or a duel (not ipywidgets' own)."""
    handlers = widget._trait_notifiers.get(name, {}).get("change", [])
    owners = [getattr(getattr(h, "func", h), "__self__", None) for h in handlers]
    return sum(isinstance(owner, FunnelBuilder | FunnelDuel) for owner in owners)


def click_handlers(button: widgets.Button) -> int:
    return len(button._click_handlers.callbacks)


# -- structure, labels, keyboard ------------------------------------------------------------

def test_builder_is_a_widget_with_the_stable_css_classes(builder: FunnelBuilder) -> None:
    assert isinstance(builder, widgets.VBox)
    for css in CLASSES:
        assert with_class(builder, css), f"no widget with class {css}"
    assert len(with_class(builder, "funnel-step")) == 8
    assert len(with_class(builder, "funnel-ask")) == 8
    assert with_class(builder, "funnel-findings")[0] is builder.findings_html
    assert builder.findings_html.value.count("class='funnel-finding ") == len(builder.report.findings)


def test_every_control_is_labelled_and_keyboard_usable(builder: FunnelBuilder) -> None:
    controls = [w for w in walk(builder) if isinstance(w, widgets.ValueWidget | widgets.Button)
                and not isinstance(w, widgets.HTML | widgets.Label | widgets.Image)]
    assert len(controls) > 8 * 8
    for control in controls:
        assert control.description.strip(), f"{type(control).__name__} without a label"
        assert control.tooltip, f"{control.description!r} without a tooltip"
        assert control.tabbable is not False
        if hasattr(control, "description_allow_html"):
            assert control.description_allow_html is False
    sliders = [w for w in controls if isinstance(w, widgets.FloatSlider)]
    assert {s.description for s in sliders} == {"Ask", "Value", "Trust", "Effort to cancel", "Cost not shown before"}
    assert all((s.min, s.step) == (0, 0.5) and s.continuous_update for s in sliders)
    capped = "Cost not shown before"  # the hidden cost is capped by the ask
    assert all(s.max == 10 for s in sliders if s.description != capped)
    assert "Step 3 ask" in builder.rows[2].ask.tooltip
    # every row control carries its accessible name, with the step number, for the page's script
    for i, row in enumerate(builder.rows):
        names = [next(c[len("funnel-aria--"):].replace("_", " ") for c in control._dom_classes
                      if c.startswith("funnel-aria--")) for control in row.controls]
        assert names == [f"Step {i + 1} name", f"Step {i + 1} stage", f"Step {i + 1} ask", f"Step {i + 1} value",
                         f"Step {i + 1} trust", f"Move step {i + 1} up", f"Move step {i + 1} down",
                         f"Remove step {i + 1}"]
        # label in name (WCAG 2.5.3): the visible word is part of the accessible name
        assert all(c.description.lower() in n.lower() for c, n in zip(row.controls, names, strict=True))


def test_chart_and_findings_use_colour_blind_safe_colours(builder: FunnelBuilder) -> None:
    chart = builder.chart
    safe = {c.lower() for c in OKABE_ITO.values()} | {BASELINE_GREY.lower(), FIT_GREY.lower(), "#ffffff",
                                                      PALETTE["muted"].lower()}
    from matplotlib.colors import to_hex
    for bar in (*chart.yes_bars, *chart.drifted_bars, *chart.declined_bars, *chart.ask_bars, chart.baseline_bar):
        assert to_hex(bar.get_facecolor()) in safe
    assert to_hex(chart.readiness_line.get_color()) in safe
    # the two drop-offs differ by pattern too, not only by colour
    assert chart.declined_bars[0].get_hatch() and not chart.drifted_bars[0].get_hatch()
    for colour in re.findall(r"#[0-9A-Fa-f]{6}", builder.children[0].value):
        assert colour.lower() in safe | {"#c8c8c8", "#fbfbfb", "#fff3ec", "#f3f3f3", "#fafafa", "#999999",
                                         "#444444", "#555555", "#111111"}


# -- live recompute -------------------------------------------------------------------------

def test_slider_change_recomputes_model_chart_readout_and_findings(builder: FunnelBuilder) -> None:
    before = builder.readout()
    png_before = bytes(builder.chart.canvas_widget.value)
    builder.rows[3].ask.value = 9.0

    assert builder.funnel.steps[3].ask == 9.0
    expected = simulate(builder.funnel, "cold")
    assert builder.result.conversion == pytest.approx(expected.conversion)
    summary = builder.chart.artists_summary()
    np.testing.assert_allclose(summary["yes"], expected.table["said_yes"], rtol=1e-12)
    np.testing.assert_allclose(summary["ask"], expected.table["ask"])
    assert summary["ask"][3] == 9.0
    assert bytes(builder.chart.canvas_widget.value) != png_before
    assert share_text(expected.conversion) in text_of(builder.conversion_html.value)
    after = builder.readout()
    assert after["conversion"] != before["conversion"]
    assert after["codes"] == check(builder.funnel, audience="cold").codes
    assert after["codes"] != before["codes"]
    for code in after["codes"]:
        assert f"data-code='{code}'" in builder.findings_html.value
    assert after["error"] == "" and builder.last_error == ""


def test_baseline_is_the_one_big_ask_for_the_same_audience(builder: FunnelBuilder) -> None:
    expected = simulate(big_ask_baseline(builder.funnel), "cold").conversion
    assert builder.baseline.conversion == pytest.approx(expected)
    assert share_text(expected) in text_of(builder.baseline_html.value)
    assert builder.chart.baseline_bar.get_width() == pytest.approx(expected)
    cached = builder.baseline
    builder.rows[0].value.value = 5.0          # the last step is unchanged: the baseline is reused
    assert builder.baseline is cached
    builder.rows[7].ask.value = 6.0            # the last step changed: a new baseline
    assert builder.baseline is not cached
    assert builder.baseline.conversion == pytest.approx(simulate(big_ask_baseline(builder.funnel)).conversion)


def test_audience_switch_recomputes_everything(builder: FunnelBuilder) -> None:
    cold = builder.result.conversion
    builder.audience_picker.value = AUDIENCES["hot"]
    assert builder.audience == "hot"
    assert builder.result.audience.name == "hot" and builder.result.conversion != cold
    assert builder.baseline.conversion == pytest.approx(simulate(big_ask_baseline(builder.funnel), "hot").conversion)
    assert builder.report.audience == "hot"
    assert "hot audience" in builder.chart.funnel_title.get_text()
    assert "hot audience" in text_of(builder.conversion_html.value)
    builder.audience = "warm"
    assert builder.audience_picker.value is AUDIENCES["warm"] and builder.result.audience.name == "warm"


def test_custom_audience_is_offered_and_used() -> None:
    shoppers = Audience("trade-show visitors", readiness_mean=4.0)
    b = FunnelBuilder(audience=shoppers, chart="image")
    try:
        assert b.audience == "trade-show visitors"
        assert b.result.audience == shoppers
        assert (("trade-show visitors", shoppers) in b.audience_picker.options)
        other = Audience("newsletter readers", readiness_mean=6.0)
        b.audience = other
        assert b.result.audience == other
    finally:
        b.close()


def test_name_and_stage_edits(builder: FunnelBuilder) -> None:
    row = builder.rows[1]
    row.name.value = "  Read our short guide  "
    assert builder.funnel.steps[1].name == "Read our short guide"
    assert row.name.value == "Read our short guide"
    assert "2. Read our short guide" in builder.chart.artists_summary()["ticks"]
    row.stage.value = "reinforcement"
    assert builder.funnel.steps[1].stage.value == "reinforcement"
    builder.name_text.value = "Workshop design"
    assert builder.funnel.name == "Workshop design"


def test_empty_name_is_refused_with_a_message(builder: FunnelBuilder) -> None:
    old = builder.funnel.steps[2].name
    builder.rows[2].name.value = "   "
    assert builder.funnel.steps[2].name == old
    assert builder.rows[2].name.value == old
    assert "Step 3 needs a name" in builder.message_html.value
    assert builder.message_html.layout.display is None
    assert builder.error_html.value == ""
    builder.rows[2].ask.value = 4.0             # the next good change clears the message
    assert builder.message_html.value == "" and builder.message_html.layout.display == "none"


# -- adding, removing, moving keeps every control wired ---------------------------------------

def assert_wired(b: FunnelBuilder) -> None:
    """One row per step, numbered in order, each control observed exactly once and showing its step."""
    steps = b.funnel.steps
    assert len(b.rows) == len(steps) == len(b.steps_box.children)
    for i, (row, step) in enumerate(zip(b.rows, steps, strict=True)):
        assert row.position == i and not row.closed
        assert b.steps_box.children[i] is row.box
        assert f"{i + 1}." in row.number.value
        assert (row.name.value, row.stage.value, row.ask.value, row.value.value, row.trust.value) == (
            step.name, step.stage.value, step.ask, step.value, step.trust)
        for control in (row.name, row.stage, row.ask, row.value, row.trust):
            assert observers(control) == 1, f"row {i}: {control.description} has {observers(control)} observers"
        for button in (row.up, row.down, row.remove):
            assert click_handlers(button) == 1
        assert row.up.disabled == (i == 0) and row.down.disabled == (i == len(steps) - 1)
    for control in (b.audience_picker, b.preset_picker, b.name_text, b.export_picker):
        assert observers(control) == 1
    assert click_handlers(b.add_button) == 1


def assert_closed(row: builder_module.StepRow) -> None:
    assert row.closed
    alive = {id(w) for w in _instances.values()}
    for control in (*row.controls, row.box, row.number):
        assert control.comm is None, f"{type(control).__name__} left open"
        assert id(control) not in alive and id(control.layout) not in alive
    for control in (row.name, row.stage, row.ask, row.value, row.trust):
        assert observers(control) == 0
    for button in (row.up, row.down, row.remove):
        assert click_handlers(button) == 0


def test_add_blank_and_catalogue_steps_with_the_button(builder: FunnelBuilder) -> None:
    builder.insert_picker.value = "end"
    builder.add_button.click()
    assert len(builder.funnel) == 9
    assert builder.funnel.steps[-1].name == "New step 9"
    assert_wired(builder)
    builder.rows[8].ask.value = 1.0             # the new row is live
    assert builder.funnel.steps[8].ask == 1.0
    assert builder.result.table["ask"].iloc[8] == 1.0

    builder.new_step_picker.value = "testimonials"
    builder.insert_picker.value = "before_last"
    builder.add_button.click()
    assert builder.funnel.steps[8] == Step.from_catalog("testimonials")
    assert builder.funnel.steps[9].name == "New step 9"
    assert len(with_class(builder, "funnel-step")) == 10
    assert_wired(builder)
    assert builder.chart.artists_summary()["steps"] == 10


def test_remove_closes_widgets_and_keeps_the_rest_wired(builder: FunnelBuilder) -> None:
    names = [s.name for s in builder.funnel]
    last_row = builder.rows[-1]
    builder.rows[2].remove.click()
    assert [s.name for s in builder.funnel] == names[:2] + names[3:]
    assert_closed(last_row)                    # rows are positional: the surplus last row goes
    assert_wired(builder)
    builder.rows[2].ask.value = 0.5            # the row now showing the old 4th step edits it
    assert builder.funnel.steps[2].name == names[3] and builder.funnel.steps[2].ask == 0.5
    last_row.ask.value = 7.0                   # a closed control changes nothing
    assert builder.funnel.steps[-1].ask != 7.0 or names[-1] != builder.funnel.steps[-1].name


def test_removing_every_step_shows_a_friendly_empty_state(builder: FunnelBuilder) -> None:
    rows = list(builder.rows)
    while builder.rows:
        builder.rows[0].remove.click()
    for row in rows:
        assert_closed(row)
    assert len(builder.funnel) == 0 and builder.result is None and builder.report is None
    assert "no steps yet" in builder.message_html.value.lower()
    assert "–" in builder.conversion_html.value
    assert "nothing to check" in builder.findings_html.value
    assert builder.chart.empty_text.get_visible() and not builder.chart.funnel_ax.get_visible()
    assert builder.error_html.value == "" and builder.last_error == ""
    assert builder.insert_picker.disabled
    builder.add_button.click()                 # and it comes back to life
    assert len(builder.funnel) == 1 and builder.result is not None
    assert builder.message_html.value == ""
    assert_wired(builder)


def test_move_up_and_down_with_buttons(builder: FunnelBuilder) -> None:
    names = [s.name for s in builder.funnel]
    builder.rows[3].up.click()
    assert [s.name for s in builder.funnel][2:4] == [names[3], names[2]]
    builder.rows[2].down.click()
    assert [s.name for s in builder.funnel] == names
    builder.rows[7].up.click()
    assert builder.funnel.steps[6].name == names[7]
    assert_wired(builder)
    assert builder.chart.artists_summary()["ticks"][6].startswith("7. ")
    # the end buttons are disabled; pressing one anyway only explains
    assert builder.rows[0].up.disabled
    before = builder.funnel
    builder.rows[0].up.click()
    assert builder.funnel == before
    assert "already the first step" in builder.message_html.value
    builder.rows[-1].down.click()
    assert "already the last step" in builder.message_html.value


def test_many_structural_changes_never_leak_or_double_wire(builder: FunnelBuilder) -> None:
    models = len(_instances)
    for _ in range(3):
        builder.add_button.click()
        builder.rows[1].down.click()
        builder.rows[0].remove.click()
        builder.preset_picker.value = "overcomplicated"
        builder.preset_picker.value = "one_big_ask"
        builder.undo_button.click()
    assert_wired(builder)
    builder.load(eight_steps())            # back to 8 rows: as many widget models as we started with
    assert len(_instances) == models


def test_the_add_button_stops_at_the_maximum(builder: FunnelBuilder) -> None:
    while len(builder.funnel) < MAX_STEPS:
        builder.add_button.click()
    assert builder.add_button.disabled
    assert f"at most {MAX_STEPS}" in builder.add_button.tooltip
    builder.add_button.click()                 # a click that slips through only explains
    assert len(builder.funnel) == MAX_STEPS
    assert f"at most {MAX_STEPS} steps" in builder.message_html.value
    assert builder.chart.artists_summary()["steps"] == MAX_STEPS
    with pytest.raises(ValueError, match=f"at most {MAX_STEPS} steps"):
        builder.add_step()


# -- presets, reset, undo, export -----------------------------------------------------------

@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_loads_from_the_preset_menu(name: str) -> None:
    b = FunnelBuilder(chart="image")
    try:
        b.preset_picker.value = name
        assert b.funnel == get_example(name)
        assert b.audience == EXAMPLES[name].audience
        assert b.result.conversion == pytest.approx(simulate(get_example(name), EXAMPLES[name].audience).conversion)
        assert b.readout()["codes"] == check(get_example(name), audience=EXAMPLES[name].audience).codes
        assert b.error_html.value == ""
        assert_wired(b)
        kind = EXAMPLES[name].kind
        assert dict((v, k) for k, v in b.preset_picker.options)[name].lower().startswith(kind)
        if kind == "broken":
            assert b.report.findings, f"broken example {name} shows no findings"
    finally:
        b.close()


def test_reset_and_undo(builder: FunnelBuilder) -> None:
    start = builder.funnel
    assert builder.undo_button.disabled
    builder.preset_picker.value = "too_small_for_hot_audience"
    assert builder.audience == "hot"
    builder.rows[0].remove.click()
    builder.undo_button.click()
    assert builder.funnel == get_example("too_small_for_hot_audience")
    builder.reset_button.click()
    assert builder.funnel == start and builder.audience == "cold"
    assert builder.preset_picker.value == ""
    builder.undo_button.click()
    assert builder.funnel == get_example("too_small_for_hot_audience") and builder.audience == "hot"
    while builder.undo():
        pass
    assert builder.undo_button.disabled and builder.undo() is False


def test_funnel_property_is_a_copy_and_assignable(builder: FunnelBuilder) -> None:
    copy = builder.funnel
    copy.remove(0)
    assert len(builder.funnel) == 8
    builder.funnel = copy
    assert builder.funnel == copy and len(builder.rows) == 7
    builder.funnel = "local_gym"
    assert builder.funnel == get_example("local_gym") and builder.preset_picker.value == "local_gym"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_to_code_and_to_json_rebuild_the_design_exactly(name: str) -> None:
    b = FunnelBuilder(name, chart="image")
    try:
        b.add_step(Step("Custom step", "engagement", ask=2.5, value=3.25, trust=1, description="made \"here\""))
        namespace: dict[str, object] = {}
        exec(b.to_code(), namespace)
        assert namespace["funnel"] == b.funnel
        assert Funnel.from_json(b.to_json()) == b.funnel
        assert json.loads(b.to_json(indent=None))["name"] == b.funnel.name
    finally:
        b.close()


def test_export_panel_shows_code_or_json(builder: FunnelBuilder) -> None:
    assert builder.export_text.layout.display == "none"
    builder.export_picker.value = "python"
    assert builder.export_text.layout.display is None
    assert builder.export_text.value == builder.to_code()
    builder.rows[0].ask.value = 2.0            # stays current while shown
    assert "ask=2" in builder.export_text.value or builder.export_text.value == builder.to_code()
    assert builder.export_text.value == builder.to_code()
    builder.export_picker.value = "json"
    assert Funnel.from_json(builder.export_text.value) == builder.funnel
    builder.export_picker.value = "hide"
    assert builder.export_text.layout.display == "none"
    assert "from funnel_lib import Funnel, Step" in funnel_code(builder.funnel)


# -- never a traceback ----------------------------------------------------------------------

def test_an_unexpected_error_is_shown_and_logged_not_raised(builder: FunnelBuilder, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    good = builder.funnel

    def broken_check(*args: object, **kwargs: object) -> None:
        raise RuntimeError("checker exploded")

    monkeypatch.setattr(state_module, "check", broken_check)
    with caplog.at_level(logging.ERROR, logger="funnel_lib.widgets"):
        builder.rows[0].ask.value = 3.0         # must not raise
    assert "checker exploded" in builder.error_html.value
    assert "Something went wrong while changing a step" in builder.error_html.value
    assert builder.error_html.layout.display is None
    assert "funnel-error" in builder.error_html._dom_classes
    assert builder.last_error == "RuntimeError: checker exploded"
    assert any(r.exc_info and "changing a step" in r.getMessage() for r in caplog.records)
    assert builder.funnel.steps[0].ask == 3.0 and good.steps[0].ask != 3.0
    monkeypatch.undo()
    builder.rows[0].ask.value = 1.0             # the next good change clears the error
    assert builder.error_html.value == "" and builder.error_html.layout.display == "none"
    for action in (builder.add_button.click, builder.rows[1].remove.click, builder.reset_button.click):
        monkeypatch.setattr(state_module, "check", broken_check)
        action()
        assert "checker exploded" in builder.error_html.value
        monkeypatch.undo()


def test_every_callback_is_guarded(builder: FunnelBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(builder, "_recompute", boom)
    builder.audience_picker.value = AUDIENCES["warm"]
    assert "switching the audience" in builder.error_html.value
    builder.name_text.value = "x"
    assert "renaming the funnel" in builder.error_html.value
    monkeypatch.setattr(builder, "_refresh_export", boom)
    builder.export_picker.value = "json"
    assert "showing the export" in builder.error_html.value
    monkeypatch.setattr(builder, "load", boom)
    builder.preset_picker.value = "local_gym"
    assert "loading an example" in builder.error_html.value
    monkeypatch.setattr(builder, "undo", boom)
    builder.undo_button.click()
    assert "undoing" in builder.error_html.value
    monkeypatch.setattr(builder, "move_step", boom)
    builder.rows[1].up.click()
    assert "moving a step" in builder.error_html.value
    long = "x" * 400

    def wordy(*args: object, **kwargs: object) -> None:
        raise ValueError(long)

    monkeypatch.setattr(builder, "add_step", wordy)
    builder.add_button.click()
    assert "adding a step" in builder.error_html.value and len(builder.last_error) == 300


# -- programmatic API and argument errors ---------------------------------------------------

def test_programmatic_api(builder: FunnelBuilder) -> None:
    assert builder.add_step("watch_clip", position=0) == 0
    assert builder.funnel.steps[0] == Step.from_catalog("watch_clip")
    assert builder.remove_step(0) == Step.from_catalog("watch_clip")
    builder.move_step(0, 7)
    assert builder.rows[7].name.value == builder.funnel.steps[7].name
    assert builder.update_step(0, trust=9).trust == 9.0
    assert builder.rows[0].trust.value == 9.0
    blank = FunnelBuilder(Funnel([Step("Buy", "conversion", ask=8)]), chart="image")
    try:
        blank.add_step()
        assert blank.funnel.steps[1].stage.value == "progression"   # a blank step after a conversion
        blank.load(Funnel())
        blank.add_step()
        assert blank.funnel.steps[0].stage.value == "entry" and blank.funnel.steps[0].name == "New step 1"
        blank.add_step()
        assert blank.funnel.steps[1].name == "New step 2"
    finally:
        blank.close()


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: FunnelBuilder(audience="lukewarm"), ValueError, "audience must be one of 'cold', 'warm', 'hot'"),
    (lambda: FunnelBuilder(funnel=[1, 2]), TypeError, "funnel must be a Funnel or the name of an example"),
    (lambda: FunnelBuilder(funnel="gym"), ValueError, "funnel must be a Funnel or one of the example names"),
    (lambda: FunnelBuilder(chart="canvas"), ValueError,
     "backend must be one of 'auto', 'svg', 'ipympl', 'image', got 'canvas'"),
    (lambda: FunnelBuilder(Funnel([Step("s", "entry", ask=1)] * (MAX_STEPS + 1))), ValueError,
     f"at most {MAX_STEPS} steps"),
    (lambda: FunnelDuel(Funnel(), "online_course"), ValueError, "funnel_a has no steps"),
    (lambda: FunnelDuel("online_course", 3), TypeError, "funnel_b must be a Funnel"),
])
def test_constructor_errors_name_the_argument(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_method_errors_name_the_argument(builder: FunnelBuilder) -> None:
    with pytest.raises(IndexError, match=r"index must be a step position from 0 to 7, got 8 \(int\)"):
        builder.remove_step(8)
    with pytest.raises(IndexError, match="to must be a step position"):
        builder.move_step(0, -1)
    with pytest.raises(ValueError, match=r"position must be a whole number from 0 to 8, got -1"):
        builder.add_step(position=-1)
    with pytest.raises(TypeError, match="step must be a Step, a catalogue key"):
        builder.add_step(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="action must be one of"):
        builder.add_step("teleport")
    with pytest.raises(ValueError, match="variable must be a Python name"):
        builder.to_code("1st")
    with pytest.raises(ValueError, match="audience must be one of"):
        builder.audience = "tepid"
    with pytest.raises(ValueError, match=f"at most {MAX_STEPS} steps"):
        builder.load(Funnel([Step("s", "entry", ask=1)] * (MAX_STEPS + 1)))
    empty = FunnelBuilder(Funnel(), chart="image")
    try:
        with pytest.raises(IndexError, match=r"none \(the funnel has no steps\)"):
            empty.remove_step(0)
    finally:
        empty.close()
    assert len(builder.funnel) == 8


# -- the chart --------------------------------------------------------------------------------

def test_chart_updates_in_place_and_blits(builder: FunnelBuilder) -> None:
    chart = builder.chart
    artists = (list(chart.yes_bars), chart.readiness_line, list(chart.ask_bars))
    full, fast = chart.frames
    for value in (2.0, 2.5, 3.0):
        builder.rows[1].value.value = value
    assert (list(chart.yes_bars), chart.readiness_line, list(chart.ask_bars)) == artists  # same objects
    assert chart.frames[1] >= fast + 2                       # slider moves mostly redraw only what moved
    builder.rows[0].name.value = "A new first step"            # a new tick label needs a full frame
    assert chart.frames[0] == chart.frames[0] and chart.frames[0] > full
    assert len(chart.funnel_ax.patches) == 3 * MAX_STEPS + 1  # nothing was added
    # a blitted frame equals a full redraw of the same state
    blitted = np.asarray(chart.figure.canvas.buffer_rgba()).copy()
    chart.request_draw(full=True)
    np.testing.assert_array_equal(np.asarray(chart.figure.canvas.buffer_rgba()), blitted)


def test_chart_flags_asks_that_do_not_fit() -> None:
    b = FunnelBuilder(Funnel([Step("Glance", "entry", ask=1, value=1), Step("Like", "engagement", ask=1),
                              Step("Sign", "conversion", ask=10)]), chart="image")
    try:
        flags = b.chart.artists_summary()["flags"]
        assert flags == ["", "", "resistance"]
        assert b.chart.ask_bars[2].get_hatch() == "///"
        b.audience = "hot"  # a run of two tiny asks for ready people: stagnation, as the checker's MC501 says
        assert b.chart.artists_summary()["flags"][:2] == ["stagnation", "stagnation"]
        assert b.report is not None and "MC501" in b.report.codes
        assert b.chart.ladder_ax.get_ylim()[1] % 4 == 0
    finally:
        b.close()


def test_chart_png_and_summary() -> None:
    chart = LiveFunnelChart(backend="image")
    try:
        result = simulate(eight_steps(), "warm")
        chart.update(result, baseline=0.05)
        png = chart.render_png()
        assert png[:4] == b"\x89PNG"
        summary = chart.artists_summary()
        assert summary["steps"] == 8 and summary["title"].endswith("warm audience")
        assert summary["labels"][-1].endswith("convert")
        with pytest.raises(TypeError, match="result must be a SimulationResult"):
            chart.update("nope", 0.1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=f"between 1 and {MAX_STEPS} steps"):
            chart.update(simulate(Funnel([Step("s", "entry", ask=1)] * (MAX_STEPS + 1))), 0.1)
        cohort = simulate(eight_steps(), "warm", users=500, seed=1)
        chart.update(cohort, baseline=0.05)
        assert max(chart.artists_summary()["yes"]) <= 1.0
    finally:
        chart.close()
    chart.close()          # closing twice is harmless
    chart.request_draw()   # and drawing after closing does nothing
    chart.render_frame()


def test_ipympl_canvas_draws_when_the_browser_asks() -> None:
    b = FunnelBuilder("online_course", chart="ipympl")
    try:
        canvas = b.chart.canvas_widget
        assert type(canvas).__name__ == "FastCanvas" and canvas.figure is b.chart.figure
        assert (canvas.header_visible, canvas.footer_visible, canvas.toolbar_visible) == (False, False, False)
        assert "funnel-chart" in b.chart.widget._dom_classes
        sent: list[bytes] = []
        canvas.send_binary = sent.append        # what would travel to the browser
        canvas.handle_event({"type": "draw"})   # the browser's first request: a full frame
        full, fast = b.chart.frames
        assert full >= 1 and sent
        b.rows[2].ask.value = 5.0               # Python side only asks for a frame ...
        assert b.chart.frames == (full, fast)
        canvas.handle_event({"type": "draw"})   # ... the browser's request draws it, fast
        assert b.chart.frames == (full, fast + 1) and len(sent) == 2
        canvas._funnel_owner = None             # without an owner, ipympl's own full draw runs
        canvas.handle_event({"type": "draw"})
        canvas.handle_event({"type": "resize", "width": 640, "height": 670})
    finally:
        b.close()


def test_backend_choice() -> None:
    assert choose_backend("auto") == "svg"     # the browser-drawn chart, in and out of a kernel
    assert choose_backend("ipympl") == "ipympl"
    assert FigureDisplay(backend="auto", size=(2, 1)).backend == "image"   # a Matplotlib figure: no kernel here
    with pytest.raises(ValueError, match="backend must be one of"):
        choose_backend(3)  # type: ignore[arg-type]
    display = FigureDisplay(backend="image", size=(2, 1))
    display.request_draw()
    assert display.frames == (1, 0)
    display.close()


# -- the duel -------------------------------------------------------------------------------

def test_duel_compares_two_designs_for_one_audience() -> None:
    duel = FunnelDuel("one_big_ask", get_example("online_course"), chart="image")
    try:
        assert "funnel-duel" in duel._dom_classes
        a, b = simulate(get_example("one_big_ask")), simulate(get_example("online_course"))
        assert duel.result_a.conversion == pytest.approx(a.conversion)
        assert duel.result_b.conversion == pytest.approx(b.conversion)
        for card, result in zip(duel.cards, (a, b), strict=True):
            assert share_text(result.conversion) in card.value and "funnel-conversion" in card.value
        assert "converts" in duel.verdict_html.value and "as many people as" in duel.verdict_html.value
        np.testing.assert_allclose(duel.chart.lines[1].get_ydata()[1:], b.table["share_of_start"])
        duel.audience_picker.value = AUDIENCES["hot"]
        assert duel.audience == "hot" and duel.result_a.audience.name == "hot"
        assert "hot audience" in duel.verdict_html.value
        duel.funnel_b = "one_big_ask"
        assert duel.funnel_b == get_example("one_big_ask")
        assert "about the same" in duel.verdict_html.value and "(A)" in duel.cards[0].value
        duel.funnel_a = "local_gym"
        assert duel.funnel_a == get_example("local_gym")
        duel.audience = Audience("nobody", readiness_mean=0.0, readiness_sd=0.0)
        assert duel.audience == "nobody"
        with pytest.raises(ValueError, match="funnel_b has no steps"):
            duel.funnel_b = Funnel()
    finally:
        duel.close()


def test_duel_verdicts_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    duel = FunnelDuel("local_gym", "one_big_ask", chart="image")
    try:
        assert "local" not in duel.verdict_html.value or "converts" in duel.verdict_html.value

        class Zero:
            conversion = 0.0

        monkeypatch.setattr(duel, "results", [Zero(), Zero()])
        assert duel.verdict() == "Neither design converts anybody in this audience."

        def boom(*args: object) -> None:
            raise RuntimeError("duel broke")

        monkeypatch.setattr(duel, "_recompute", boom)
        duel.audience_picker.value = AUDIENCES["warm"]
        assert "duel broke" in duel.error_html.value and duel.last_error == "RuntimeError: duel broke"
    finally:
        duel.close()


def test_duel_when_only_one_converts(monkeypatch: pytest.MonkeyPatch) -> None:
    import funnel_lib.widgets._duel as duel_module

    real = duel_module.simulate
    duel = FunnelDuel("local_gym", "one_big_ask", chart="image")
    try:
        def fake(funnel: Funnel, audience: object) -> object:
            result = real(funnel, audience)
            if len(funnel) == 1:
                object.__setattr__(result, "conversion", 0.0)
            return result

        monkeypatch.setattr(duel_module, "simulate", fake)
        duel._recompute()
        gym, big = "Local gym: tip, quiz, trial class, pass", "Online course: one big ask"
        assert re.fullmatch(rf"<div class='funnel-duel-verdict-text'>Only {re.escape(gym)} converts anybody in a "
                            rf"cold audience\. {re.escape(gym)} beats {re.escape(big)} in \d+ % of plausible "
                            r"models\.</div>", duel.verdict_html.value), duel.verdict_html.value
        # the other way round: the second design is the only one that converts, and the verdict names it
        monkeypatch.setattr(duel, "_funnels", duel._funnels[::-1])
        duel._recompute()
        assert duel.verdict().startswith(f"Only {gym} converts anybody in a cold audience. {gym} beats {big} in ")
    finally:
        duel.close()


def test_closing_releases_every_widget() -> None:
    before = set(_instances)
    for chart in ("image", "ipympl"):
        b = FunnelBuilder("saas_trial", chart=chart)
        b.add_button.click()
        b.rows[0].remove.click()
        b.close()
        d = FunnelDuel("one_big_ask", "saas_trial", chart=chart)
        d.close()
    assert set(_instances) == before


def test_catalogue_menu_lists_every_action(builder: FunnelBuilder) -> None:
    keys = [value for _, value in builder.new_step_picker.options if value]
    assert sorted(keys) == sorted(ASK_CATALOG)
    asks = [ASK_CATALOG[k].ask for k in keys]
    assert asks == sorted(asks)


def test_the_ipympl_chart_leaves_the_users_matplotlib_backend_alone() -> None:
    """ipympl's import switches pyplot to itself; the builder puts the previous backend back."""
    import subprocess
    import sys

    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import matplotlib; matplotlib.use('agg')\n"
        "import matplotlib.pyplot as plt\n"
        "plt.figure()\n"
        "from funnel_lib.widgets import FunnelBuilder\n"
        "b = FunnelBuilder('local_gym', chart='ipympl')\n"
        "assert type(b.chart.canvas_widget).__name__ == 'FastCanvas'\n"
        "fig, ax = plt.subplots()\n"
        "print(matplotlib.get_backend(), type(fig.canvas).__name__, len(plt.get_fignums()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "MPLBACKEND": "agg"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["agg", "FigureCanvasAgg", "2"]


# -- the SVG charts (drawn in the browser; Python sends numbers, words and the text alternative) --

def test_svg_chart_carries_the_model_and_a_text_alternative() -> None:
    from funnel_lib.widgets._svg import SvgFunnelChart

    b = FunnelBuilder("too_much_too_early")
    try:
        assert isinstance(b.chart, SvgFunnelChart)
        data = b.chart.widget.data
        result = b.result
        assert [s["name"] for s in data["steps"]] == [s.name for s in b.funnel]
        assert [s["yes"] for s in data["steps"]] == pytest.approx(result.table["said_yes"].tolist())
        assert data["baseline"] == pytest.approx(b.baseline.conversion)
        summary = b.chart.summary
        for i, step in enumerate(b.funnel.steps):
            assert f"Step {i + 1}, {step.name}" in summary
        assert pct(result.conversion) in summary and "too big" in summary
        assert len(data["table_rows"]) == len(b.funnel) + 1
        before = b.chart.draw_count
        b.rows[0].ask.value = 0.5
        assert b.chart.draw_count == before + 1 and b.chart.summary != summary
        b.remove_step(0)
        assert len(b.chart.widget.data["steps"]) == len(b.funnel)
        while b.funnel.steps:
            b.remove_step(0)
        assert b.chart.widget.data["steps"] == [] and "No steps yet" in b.chart.summary
    finally:
        b.close()


def test_presenter_mode_toggles_text_size_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNNEL_PRESENTER", "1")
    b = FunnelBuilder("local_gym")
    d = FunnelDuel("one_big_ask", "local_gym")
    try:
        assert b.presenter and b.chart.presenter and "funnel-presenter" in b._dom_classes
        assert "funnel-presenter" in d._dom_classes and d.chart.presenter
        b.presenter_button.value = False          # what a click on the toggle does
        assert not b.presenter and not b.chart.presenter and "funnel-presenter" not in b._dom_classes
    finally:
        b.close()
        d.close()
    monkeypatch.setenv("FUNNEL_PRESENTER", "0")
    plain = FunnelBuilder(presenter=None)
    try:
        assert not plain.presenter
    finally:
        plain.close()


def test_svg_duel_chart_follows_the_audience() -> None:
    duel = FunnelDuel("one_big_ask", "online_course")
    try:
        lines = duel.chart.widget.data["lines"]
        assert [line["points"][-1] for line in lines] == pytest.approx([duel.result_a.conversion,
                                                                        duel.result_b.conversion])
        duel.audience = "hot"
        assert "hot audience" in duel.chart.summary
    finally:
        duel.close()


# --- ethics fields in the builder, and readable snapshots outside a kernel ----------------------

def test_ethics_toggle_shows_the_fields_and_a_ticked_box_reaches_the_checker(builder: FunnelBuilder) -> None:
    row = builder.rows[2]
    assert row.ethics_box.layout.display == "none", "the ethics fields start folded away"
    row.care.value = True
    assert row.ethics_box.layout.display is None
    assert not [f for f in builder.report.findings if f.principle == "ethics"]
    row.ethics["consent_preticked"].value = True
    assert builder.funnel.steps[2].consent_preticked is True
    codes = {f.code for f in builder.report.findings if f.principle == "ethics"}
    assert codes == {"MC601"}, codes
    assert "MC601" in builder.findings_html.value
    row.ethics["consent_preticked"].value = False
    assert not [f for f in builder.report.findings if f.principle == "ethics"]
    builder.load("preticked_consent")
    for i, step in enumerate(builder.funnel.steps):
        ticked = builder.rows[i].ethics["consent_preticked"].value
        assert ticked is step.consent_preticked, "rows follow a loaded design"


def test_hidden_cost_never_exceeds_the_ask(builder: FunnelBuilder) -> None:
    row = builder.rows[-1]
    ask = builder.funnel.steps[-1].ask
    assert row.ethics["hidden_cost"].max == ask
    row.ethics["hidden_cost"].value = ask
    row.ask.value = ask - 2
    step = builder.funnel.steps[-1]
    assert step.ask == ask - 2 and step.hidden_cost == ask - 2, "a hidden cost shrinks with its ask"
    assert row.ethics["hidden_cost"].value == ask - 2 and row.ethics["hidden_cost"].max == ask - 2
    assert builder.error_html.layout.display == "none"


def test_ethics_controls_carry_step_specific_accessible_names(builder: FunnelBuilder) -> None:
    row = builder.rows[1]
    assert "funnel-aria--Step_2_how_it_treats_people" in row.care._dom_classes
    assert "funnel-aria--Step_2_shaming_no_button" in row.ethics["confirmshaming"]._dom_classes
    for key, control in row.ethics.items():
        assert control.description, key
        assert any(c.startswith("funnel-aria--Step_2_") for c in control._dom_classes), key


def test_builder_and_duel_read_well_without_a_kernel() -> None:
    b = FunnelBuilder(get_example("online_course"), chart="image")
    duel = FunnelDuel("one_big_ask", "online_course", chart="image")
    try:
        text = repr(b)
        assert text.startswith("FunnelBuilder(") and "children=" not in text and len(text) < 600
        assert share_text(b.result.conversion) in text and "teaching model" in text
        bundle = b._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert "children=" not in bundle["text/plain"]
        assert get_example("online_course").steps[0].name in bundle["text/html"]
        dtext = repr(duel)
        assert "children=" not in dtext and share_text(duel.result_b.conversion) in dtext
        assert "teaching model" in duel._repr_mimebundle_()["text/html"]
    finally:
        b.close()
        duel.close()


# -- state apart from the view; traits; thresholds -------------------------------------------

def test_builder_state_works_without_widgets() -> None:
    state = state_module.BuilderState("one_big_ask", "cold", thresholds={"max_steps": 3})
    assert state.add("watch_clip", position=0) == 0 and state.add(None) == 2
    assert [s.name for s in state.funnel] == ["Watch a 10-second clip", "Enrol in the course", "New step 3"]
    state.move(2, 1)
    state.replace(1, ask=2.5)
    assert state.funnel.steps[1].ask == 2.5
    evaluation = state.evaluate()
    assert evaluation is not None and evaluation.report.thresholds.max_steps == 3
    assert evaluation.result.funnel == state.funnel and evaluation.baseline is state.baseline()
    assert evaluation.report == check(state.funnel, {"max_steps": 3}, audience="cold")
    state.set_audience("hot")
    assert state.evaluate().result.audience.name == "hot"  # type: ignore[union-attr]
    assert state.undo() and [s.name for s in state.funnel][-1] == "New step 3"  # the move is undone
    state.reset()
    assert state.funnel == get_example("one_big_ask") and state.audience.name == "cold"
    assert state.undo() and len(state.funnel) == 3
    while state.undo():
        pass
    assert state.funnel == get_example("one_big_ask") and not state.can_undo
    for _ in range(state_module.UNDO_DEPTH + 5):
        state.remember()
    assert len(state.history) == state_module.UNDO_DEPTH
    with pytest.raises(IndexError, match="to must be a step position from 0 to 0, got 4 \\(int\\)"):
        state.move(0, 4)
    _ = state.remove(0)
    assert state.evaluate() is None


def test_one_slider_change_simulates_the_design_once(builder: FunnelBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    import funnel_lib.framework as framework_module

    calls: list[str] = []
    real = state_module.simulate
    monkeypatch.setattr(state_module, "simulate", lambda *a, **k: calls.append("state") or real(*a, **k))
    monkeypatch.setattr(framework_module, "simulate", lambda *a, **k: calls.append("check") or real(*a, **k))
    builder.rows[2].ask.value = 4.5
    assert calls == ["state"]  # the baseline is cached: the last step did not change
    assert builder.report == check(builder.funnel, audience=builder.audience)


def test_funnel_and_audience_are_traits_that_can_be_observed_and_linked() -> None:
    import traitlets

    a = FunnelBuilder("local_gym", chart="image")
    b = FunnelBuilder("one_big_ask", chart="image")
    try:
        seen: list[tuple[str, object]] = []
        a.observe(lambda change: seen.append((change["name"], change["new"])), names=["funnel", "audience"])
        a.rows[0].ask.value = 2.0
        assert seen[-1][0] == "funnel" and seen[-1][1].steps[0].ask == 2.0  # type: ignore[attr-defined]
        a.audience_picker.value = AUDIENCES["warm"]
        assert seen[-1] == ("audience", "warm")
        link = traitlets.link((a, "funnel"), (b, "funnel"))
        assert b.funnel == a.funnel and len(b.rows) == len(a.rows)
        a.rows[1].value.value = 7.0
        assert b.funnel.steps[1].value == 7.0 and b.result.funnel == b.funnel  # type: ignore[union-attr]
        b.remove_step(0)
        assert a.funnel == b.funnel and len(a.rows) == 4
        link.unlink()
        copy = a.funnel
        copy.remove(0)
        assert len(a.funnel) == 4  # reading gives a copy
        with pytest.raises(TypeError, match="funnel must be a Funnel or the name of an example, got 5 \\(int\\)"):
            a.funnel = 5
    finally:
        a.close()
        b.close()


def test_thresholds_reach_the_checker_and_the_chart() -> None:
    from funnel_lib.thresholds import Thresholds

    strict = Thresholds(stagnation_gap=0.5, stagnation_run=2)
    for chart in ("image", "svg"):
        plain = FunnelBuilder("online_course", chart=chart)
        tight = FunnelBuilder("online_course", chart=chart, thresholds=strict)
        try:
            assert tight.thresholds == strict and tight.report.thresholds == strict  # type: ignore[union-attr]
            assert tight.report == check(tight.funnel, strict, audience="cold")
            assert tight.report.fit_flags != plain.report.fit_flags  # type: ignore[union-attr]
            if chart == "image":
                flags = tight.chart.artists_summary()["flags"]  # type: ignore[union-attr]
                heights = [box.get_height() for box in tight.chart.fit_boxes[:6]]  # type: ignore[union-attr]
            else:
                flags = [s["flag"] for s in tight.chart.widget.data["steps"]]  # type: ignore[union-attr]
                heights = [s["high"] - s["low"] for s in tight.chart.widget.data["steps"]]  # type: ignore[union-attr]
            assert flags == [f or "" for f in tight.report.fit_flags]  # type: ignore[union-attr]
            readiness = tight.result.table["readiness"].to_numpy()  # type: ignore[union-attr]
            gaps = [strict.readiness_gap if i == 5 else strict.resistance_gap for i in range(6)]
            expected = [min(r, strict.stagnation_gap) + gap for r, gap in zip(readiness, gaps, strict=True)]
            assert heights == pytest.approx(expected)
        finally:
            plain.close()
            tight.close()


def test_fast_canvas_matches_matplotlib() -> None:
    """FastCanvas re-uses matplotlib's private webagg frame state: pinned to the versions it was checked with."""
    import inspect
    import io as io_module

    import ipympl
    import matplotlib
    from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore
    from PIL import Image

    from funnel_lib.widgets._chart import CHECKED_WITH

    installed = {"matplotlib": matplotlib.__version__, "ipympl": ipympl.__version__}
    assert installed == CHECKED_WITH, (
        f"FastCanvas.get_diff_image was checked against {CHECKED_WITH}, found {installed}: compare it with "
        "FigureCanvasWebAggCore.get_diff_image of the new version, then update CHECKED_WITH")
    source = inspect.getsource(FigureCanvasWebAggCore.get_diff_image)
    assert all(name in source for name in ("_png_is_old", "_force_full", "_last_buff", "set_image_mode"))

    def pixels(png: bytes) -> np.ndarray:
        return np.asarray(Image.open(io_module.BytesIO(png)).convert("RGBA"))

    display = FigureDisplay(backend="ipympl", size=(2, 1))
    try:
        canvas = display.canvas_widget
        (line,) = display.figure.add_subplot().plot([0, 1], [0, 1])
        for step in ("full", "diff"):
            if step == "diff":
                line.set_ydata([1, 0])
            matplotlib.backends.backend_agg.FigureCanvasAgg.draw(canvas)
            last = canvas._last_buff.copy()
            frames = []
            for get in (canvas.get_diff_image, lambda: FigureCanvasWebAggCore.get_diff_image(canvas)):
                canvas._last_buff = last.copy()
                canvas._png_is_old = True
                canvas._force_full = step == "full"
                frames.append(get())
                assert canvas._png_is_old is False and canvas._force_full is False
            ours, theirs = frames
            assert ours is not None and theirs is not None
            assert np.array_equal(pixels(ours), pixels(theirs)), step
        canvas._png_is_old = False
        assert canvas.get_diff_image() is None  # nothing new: no frame
    finally:
        display.close()
