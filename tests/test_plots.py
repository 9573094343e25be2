"""funnel_lib.plots: each chart returns its Axes, draws the simulated numbers, reads well, fails clearly."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before pyplot is imported anywhere in this module

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from funnel_lib import plots  # noqa: E402
from funnel_lib._format import pct as _pct  # noqa: E402
from funnel_lib.audience import Audience  # noqa: E402
from funnel_lib.model import Funnel, Step  # noqa: E402
from funnel_lib.plots import (  # noqa: E402
    MODEL_NOTE,
    OKABE_ITO,
    PALETTE,
    add_model_note,
    plot_cohort,
    plot_comparison,
    plot_funnel,
    plot_ladder,
)
from funnel_lib.simulate import ModelParams, big_ask_baseline, simulate  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def ladder() -> Funnel:
    return Funnel([
        Step("Watch a 10-second clip", "entry", ask=1, value=3),
        Step("Take a 3-question quiz", "engagement", ask=2, value=4),
        Step("Start a free trial", "progression", ask=5, value=6, trust=4),
        Step("Read case studies", "reinforcement", ask=4, value=5, trust=7),
        Step("Buy the course", "conversion", ask=8),
    ], name="ladder")


@pytest.fixture
def one_step() -> Funnel:
    return Funnel([Step("Buy the course", "conversion", ask=8)], name="one big ask")


@pytest.fixture
def twelve_steps() -> Funnel:
    steps = [Step(f"Tiny step {i}", "entry" if i < 6 else "engagement", ask=0.5) for i in range(1, 12)]
    return Funnel([*steps, Step("Buy", "conversion", ask=8)], name="padded")


def fresh_ax():
    _, ax = plt.subplots(figsize=(7, 4))
    return ax


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.figure.findobj(Text) if t.get_visible() and t.get_text()]


def assert_readable(ax) -> None:
    """Every visible text of the figure is at least 9 points and ASCII (Matplotlib's own minus sign aside)."""
    ax.figure.canvas.draw()  # also proves the chart draws
    for t in ax.figure.findobj(Text):
        if t.get_visible() and t.get_text():
            assert t.get_fontsize() >= 9, (t.get_text(), t.get_fontsize())
            assert t.get_text().replace("\u2212", "-").isascii(), t.get_text()


# -- palette ------------------------------------------------------------------------------------

def test_palette_is_okabe_ito_with_named_roles():
    for role in ("yes", "drifted", "declined", "ask", "readiness", "resistance", "stagnation", "a", "b"):
        assert PALETTE[role] in OKABE_ITO.values(), role
    assert len(set(OKABE_ITO.values())) == 8
    assert len({PALETTE["yes"], PALETTE["drifted"], PALETTE["declined"]}) == 3
    assert PALETTE["a"] != PALETTE["b"]
    with pytest.raises(TypeError):
        PALETTE["yes"] = "#ff0000"  # type: ignore[index]
    assert set(plots.__all__) >= {"PALETTE", "plot_funnel", "plot_ladder", "plot_comparison", "plot_cohort"}


# -- plot_funnel --------------------------------------------------------------------------------

def test_funnel_bars_carry_the_table(ladder):
    ax = fresh_ax()
    assert plot_funnel(ladder, ax) is ax
    table = simulate(ladder).table
    yes, drifted, declined = ax.containers
    np.testing.assert_allclose([b.get_width() for b in yes], table["share_of_start"])
    np.testing.assert_allclose([b.get_width() for b in drifted], table["drifted"])
    np.testing.assert_allclose([b.get_width() for b in declined], table["declined"])
    # the segments stack to the share that reached the step
    np.testing.assert_allclose([b.get_x() + b.get_width() for b in declined], table["reached"])
    assert {to_hex(b.get_facecolor()).upper() for b in yes} == {PALETTE["yes"]}
    assert {to_hex(b.get_facecolor()).upper() for b in declined} == {PALETTE["declined"]}
    assert all(b.get_hatch() for b in declined)  # "said no" is not told by colour alone
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1. Watch a 10-second clip" and labels[-1] == "5. Buy the course"
    assert ax.yaxis_inverted()  # first step on top
    conversion = simulate(ladder).conversion
    assert ax.get_title() == f"ladder, cold audience: {_pct(conversion)} convert"
    assert any(t.startswith(_pct(conversion)) for t in texts(ax))  # the last bar's label is the conversion too
    assert ax.get_xlabel() == "share of the audience (%)"
    assert MODEL_NOTE in texts(ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "said yes", "drifted away (attention)", "declined (said no)"]
    assert_readable(ax)


def test_funnel_new_figure_sizes_and_options(one_step, twelve_steps):
    ax = plot_funnel(one_step, audience="warm", title="Cold ask", note=False)
    assert ax.get_title() == "Cold ask"
    assert not any(MODEL_NOTE in t for t in texts(ax))
    width, height = ax.figure.get_size_inches()
    assert width >= 7 and height >= 3
    assert "said yes" in " ".join(texts(ax))  # tiny yes share: labelled outside the bar
    ax12 = plot_funnel(twelve_steps, audience="hot")
    assert len(ax12.containers[0]) == 12
    assert len(ax12.get_yticklabels()) == 12
    assert_readable(ax12)
    assert ax12.figure is not ax.figure


def test_funnel_accepts_results_and_params(ladder):
    cohort = simulate(ladder, "warm", users=400, seed=7)
    ax = plot_funnel(cohort)
    np.testing.assert_allclose([b.get_width() for b in ax.containers[0]], cohort.table["share_of_start"])
    assert "warm audience" in ax.get_title()
    assert any("400 simulated people, seed 7" in t for t in texts(ax))
    params = ModelParams(attention_cost=0.2)
    ax = plot_funnel(ladder, params=params)
    expected = simulate(ladder, params=params).table["share_of_start"]
    np.testing.assert_allclose([b.get_width() for b in ax.containers[0]], expected)
    custom = Audience("trade-show visitors", readiness_mean=4)
    assert "trade-show visitors" in plot_funnel(ladder, audience=custom).get_title()


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda f: plot_funnel("ladder"), TypeError,
     r"result_or_funnel must be a Funnel or a SimulationResult.*'ladder' \(str\)"),
    (lambda f: plot_funnel(Funnel([])), ValueError, "result_or_funnel has no steps"),
    (lambda f: plot_funnel(f, "warm"), TypeError, r"ax must be a matplotlib Axes or None, got 'warm'.*audience='warm'"),
    (lambda f: plot_funnel(f, audience="lukewarm"), ValueError, "audience must be one of 'cold', 'warm', 'hot'"),
    (lambda f: plot_funnel(f, title=3), TypeError, r"title must be a string or None, got 3 \(int\)"),
    (lambda f: plot_funnel(f, note="yes"), TypeError, "note must be True or False"),
    (lambda f: plot_funnel(f, params={"consistency": 1}), TypeError, "params must be a ModelParams"),
    (lambda f: plot_funnel(simulate(f, "warm"), audience="hot"), ValueError,
     "audience='hot' does not match result_or_funnel, which was simulated for the 'warm' audience"),
    (lambda f: plot_funnel(simulate(f), params=ModelParams()), ValueError, "params only applies when"),
])
def test_funnel_bad_input(ladder, call, error, message):
    with pytest.raises(error, match=message):
        call(ladder)


# -- plot_ladder --------------------------------------------------------------------------------

def test_ladder_line_and_bars_carry_the_table(ladder):
    ax = fresh_ax()
    assert plot_ladder(ladder, ax) is ax
    table = simulate(ladder).table
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "readiness"]
    np.testing.assert_allclose(line.get_xdata(), table["step"])
    np.testing.assert_allclose(line.get_ydata(), table["readiness"])
    bars = ax.containers[0]
    np.testing.assert_allclose([b.get_height() for b in bars], table["ask"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "1. Watch a\n10-second clip\n(Entry)"  # wrapped to the room of a step
    assert labels[-1].endswith("(Conversion)")
    assert ax.get_ylabel() == "ask size and readiness (0-10)"
    assert ax.get_title() == "ladder: ask vs readiness, cold audience"
    assert MODEL_NOTE in texts(ax)
    assert_readable(ax)


def test_ladder_flags_resistance_and_stagnation():
    jump = Funnel([Step("Buy now", "conversion", ask=10)], name="jump")
    ax = plot_ladder(jump)  # readiness 3, ask 10: far above
    assert [t.get_text() for t in ax.texts if t.get_gid() == "ladder-flag"] == ["resistance"]
    assert any(p.get_gid() == "ladder-resistance" for p in ax.patches)
    assert "resistance: ask far above readiness" in [t.get_text() for t in ax.get_legend().get_texts()]

    bored = Funnel([Step(f"Like {i}", "entry", ask=0) for i in range(1, 5)], name="bored")
    ax = plot_ladder(bored, audience="hot")  # readiness 7, ask 0: far below, one run -> one label
    assert [t.get_text() for t in ax.texts if t.get_gid() == "ladder-flag"] == ["stagnation"]

    fits = Funnel([Step("Quiz", "engagement", ask=3)], name="fits")
    ax = plot_ladder(fits)  # readiness 3 meets ask 3
    assert not [t for t in ax.texts if t.get_gid() == "ladder-flag"]
    assert len(ax.get_legend().get_texts()) == 3

    # the margins are the checker's: a huge readiness gap removes the flag, as it removes MC503
    from funnel_lib import Thresholds, check
    loose = Thresholds(readiness_gap=10)
    ax = plot_ladder(simulate(jump), thresholds=loose)
    assert not [t for t in ax.texts if t.get_gid() == "ladder-flag"]
    assert "MC503" not in check(jump, loose).codes and "MC503" in check(jump).codes
    with pytest.raises(TypeError, match="thresholds must be a Thresholds or None"):
        plot_ladder(jump, thresholds={"readiness_gap": 10})


def test_ladder_flags_match_the_checker():
    from funnel_lib import check
    from funnel_lib.examples import EXAMPLES, get_example
    for name in EXAMPLES:
        funnel = get_example(name)
        for audience in ("cold", "hot"):
            ax = plot_ladder(funnel, audience=audience)
            shaded = {p.get_gid() for p in ax.patches if p.get_gid() in {"ladder-resistance", "ladder-stagnation"}}
            codes = check(funnel, audience=audience).codes
            assert ("ladder-stagnation" in shaded) == ("MC501" in codes), (name, audience)
            assert ("ladder-resistance" in shaded) == bool({"MC502", "MC503"} & set(codes)), (name, audience)
            plt.close("all")


def test_ladder_twelve_steps_and_unreached_steps(twelve_steps):
    ax = plot_ladder(twelve_steps, audience="hot")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 12 and labels[0] == "1. Entry: Tiny step 1" and labels[-1] == "12. Conversion: Buy"
    assert ax.get_xticklabels()[0].get_rotation() == 35
    assert_readable(ax)
    # few steps: names wrap onto two lines at most, then the stage
    wordy = Funnel([Step("Read the long and detailed introduction to our whole method", "entry", ask=1),
                    *[Step(f"Step {i}", "engagement", ask=2) for i in range(3)], Step("Buy", "conversion", ask=6)])
    first = plot_ladder(wordy).get_xticklabels()[0].get_text().split("\n")
    assert len(first) == 3 and first[1].endswith("…") and first[2] == "(Entry)"
    # a cohort in which nobody reaches the later steps: their readiness is unknown (NaN)
    wall = Funnel([Step("Sign a contract", "conversion", ask=10), Step("Refer a friend", "conversion", ask=2)])
    result = simulate(wall, users=20, seed=0)
    assert result.table["reached"].iloc[-1] == 0
    ax = plot_ladder(result)
    assert np.isnan(ax.get_lines()[0].get_ydata()[-1])
    assert_readable(ax)


# -- plot_comparison ----------------------------------------------------------------------------

def test_comparison_lines_end_at_the_conversions(ladder):
    big = big_ask_baseline(ladder)
    ax = fresh_ax()
    assert plot_comparison(big, ladder, ax) is ax
    line_a, line_b = ax.get_lines()
    assert list(line_a.get_xdata()) == [0, 1] and list(line_b.get_xdata()) == [0, 1, 2, 3, 4, 5]
    assert line_a.get_ydata()[0] == line_b.get_ydata()[0] == 1.0
    np.testing.assert_allclose(line_b.get_ydata()[1:], simulate(ladder).table["share_of_start"])
    conversions = [simulate(big).conversion, simulate(ladder).conversion]
    assert [line_a.get_ydata()[-1], line_b.get_ydata()[-1]] == pytest.approx(conversions)
    assert [line.get_label() for line in (line_a, line_b)] == ["one big ask (1 step)", "ladder (5 steps)"]
    assert [to_hex(line.get_color()).upper() for line in (line_a, line_b)] == [PALETTE["a"], PALETTE["b"]]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "comparison-conversion"]
    assert labels == [f"{_pct(c)} convert" for c in conversions]
    assert ax.get_title() == "one big ask vs ladder, cold audience"
    assert ax.get_xlabel() == "step number (0 = start)"
    assert MODEL_NOTE in texts(ax)
    assert_readable(ax)


def test_comparison_results_names_and_close_ends(ladder, one_step, twelve_steps):
    twin = ladder.copy(name="ladder")
    ax = plot_comparison(ladder, twin, audience="warm", title="Same design twice")
    assert [line.get_label() for line in ax.get_lines()] == ["ladder (A) (5 steps)", "ladder (B) (5 steps)"]
    ends = [t for t in ax.texts if t.get_gid() == "comparison-conversion"]
    assert sorted(t.xyann[1] for t in ends) == [-7.0, 7.0]  # identical ends: labels nudged apart
    assert ax.get_title() == "Same design twice"

    ax = plot_comparison(simulate(Funnel(one_step.steps), "cold"), simulate(twelve_steps, "hot", users=300, seed=1))
    assert [line.get_label() for line in ax.get_lines()] == ["funnel A, cold (1 step)", "padded, hot (12 steps)"]
    assert ax.get_title() == "funnel A vs padded, cold vs hot audience"
    assert any("includes a simulated cohort" in t for t in texts(ax))
    assert_readable(ax)


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    (("ladder", None), {}, TypeError, "funnel_a must be a Funnel or a SimulationResult"),
    ((None, "ladder"), {}, TypeError,
     r"funnel_b must be a Funnel or a SimulationResult \(from simulate\(\)\), got 'ladder' \(str\)"),
    ((None, None, "hot"), {}, TypeError, "ax must be a matplotlib Axes or None"),
    ((None, None), {"audience": 5}, TypeError, "audience must be one of"),
])
def test_comparison_bad_input(ladder, args, kwargs, error, message):
    args = tuple(ladder if a is None else a for a in args)
    with pytest.raises(error, match=message):
        plot_comparison(*args, **kwargs)


# -- plot_cohort --------------------------------------------------------------------------------

def test_cohort_bars_count_people(ladder):
    result = simulate(ladder, users=1_000, seed=3)
    ax = fresh_ax()
    assert plot_cohort(result, ax) is ax
    drifted, declined, completed = ax.containers
    totals = np.array([sum(b.get_height() for b in bars) for bars in zip(drifted, declined, completed, strict=True)])
    expected = result.cohort["steps_completed"].value_counts(normalize=True).reindex(range(6), fill_value=0)
    np.testing.assert_allclose(totals, expected.to_numpy())
    assert completed[-1].get_height() == pytest.approx(result.conversion)
    assert ax.get_xlabel() == "steps completed (of 5)"
    assert "1,000 simulated people" in ax.get_title()
    assert_readable(ax)


def test_cohort_bad_input(ladder):
    with pytest.raises(ValueError, match=r"Monte Carlo result.*simulate\(funnel, users=1000, seed=1\)"):
        plot_cohort(simulate(ladder))
    with pytest.raises(TypeError, match="result must be a SimulationResult"):
        plot_cohort(ladder)


# -- the footnote, and drawing for real ---------------------------------------------------------

def test_add_model_note_checks_its_arguments():
    ax = fresh_ax()
    assert add_model_note(ax, "Teaching model").get_text() == "Teaching model"
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes, got None"):
        add_model_note(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="text must be a non-empty string"):
        add_model_note(ax, " ")
    with pytest.raises(TypeError, match=r"text must be a string, got 3 \(int\)"):
        add_model_note(ax, 3)  # type: ignore[arg-type]


def test_all_charts_render_to_png_side_by_side(tmp_path, ladder, twelve_steps):
    fig, axes = plt.subplots(2, 2, figsize=(16, 10), layout="constrained")
    plot_funnel(ladder, axes[0, 0])
    plot_ladder(twelve_steps, axes[0, 1], audience="hot")
    plot_comparison(big_ask_baseline(ladder), ladder, axes[1, 0])
    plot_cohort(simulate(ladder, users=500, seed=2), axes[1, 1])
    assert plt.get_fignums() == [fig.number]  # given axes: no extra figures
    path = tmp_path / "charts.png"
    fig.savefig(path, dpi=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


# -- text alternatives ------------------------------------------------------------------------------

from funnel_lib.plots import describe_cohort, describe_comparison, describe_funnel, describe_ladder  # noqa: E402


def one_sentence(text: str) -> None:
    assert text.endswith(".") and text[0].isupper()
    assert ". " not in text.replace("e.g. ", ""), f"more than one sentence: {text}"
    assert len(text) < 600


def test_describe_funnel_says_what_the_chart_shows(ladder):
    for audience in ("cold", "warm", "hot"):
        text = describe_funnel(ladder, audience=audience)
        one_sentence(text)
        ax = plot_funnel(ladder, audience=audience)
        conversion = ax.get_title().split(": ")[1].split(" convert")[0]
        assert f"{conversion} of the audience complete all 5 steps" in text
        assert f"{audience} audience" in text
        first_yes = texts(ax)[texts(ax).index("1. Watch a 10-second clip") - 0]  # tick label exists
        assert first_yes and "step 1 (\u201cWatch a 10-second clip\u201d)" in text
        result = simulate(ladder, audience)
        lost = (result.table["drifted"] + result.table["declined"]).to_numpy()
        worst = int(np.argmax(lost))
        assert f"leave at step {worst + 1} (\u201c{result.table['name'][worst]}\u201d), {lost[worst]:.1%}" in text
        plt.close("all")


def test_describe_ladder_names_exactly_the_shaded_steps():
    from funnel_lib.examples import EXAMPLES, get_example
    for name in EXAMPLES:
        funnel = get_example(name)
        for audience in ("cold", "hot"):
            text = describe_ladder(funnel, audience=audience)
            one_sentence(text)
            ax = plot_ladder(funnel, audience=audience)
            flags = [t.get_text() for t in ax.texts if t.get_gid() == "ladder-flag"]
            assert ("resistance" in flags) == ("resistance (ask far above readiness)" in text), (name, audience)
            assert ("stagnation" in flags) == ("stagnation (ask far below readiness)" in text), (name, audience)
            assert (not flags) == ("every ask fits" in text), (name, audience)
            plt.close("all")


def test_describe_comparison_gives_both_conversions_and_their_ratio(ladder, one_step):
    ax = plot_comparison(one_step, ladder)
    ends = [t.get_text().removesuffix(" convert") for t in ax.texts if t.get_gid() == "comparison-conversion"]
    text = describe_comparison(one_step, ladder)
    one_sentence(text)
    assert f"one big ask (1 step) ends at {ends[0]} converting and ladder (5 steps) at {ends[1]}" in text
    ratio = simulate(ladder).conversion / simulate(one_step).conversion
    assert f"ladder converts {ratio:.1f} times as many as one big ask" in text
    swapped = describe_comparison(ladder, one_step)
    assert swapped.index("ladder (5 steps) ends") < swapped.index("one big ask (1 step) at")
    assert "ladder converts" in swapped
    same = describe_comparison(ladder, ladder)
    assert "about the same" in same and "ladder (A)" in same
    assert "a cold and a hot audience" in describe_comparison(simulate(ladder), simulate(ladder, "hot"))


def test_describe_cohort_counts_the_people(ladder):
    result = simulate(ladder, "warm", users=3_000, seed=4)
    text = describe_cohort(result)
    one_sentence(text)
    completed = result.cohort["steps_completed"]
    assert text.startswith("Bar chart of 3,000 simulated people in ladder")
    assert f"{(completed == 0).mean():.1%} completed none, {result.conversion:.1%} completed all 5" in text
    reasons = result.cohort["left_because"].value_counts()
    most = "drifted away" if reasons.get("drifted away", 0) > reasons.get("declined", 0) else "declined"
    assert f"most who left {most}" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda f: describe_funnel("ladder"), TypeError, "result_or_funnel must be a Funnel or a SimulationResult"),
        (lambda f: describe_funnel(simulate(f), audience="hot"), ValueError, "audience='hot' does not match"),
        (lambda f: describe_ladder(f, thresholds={}), TypeError, "thresholds must be a Thresholds or None"),
        (lambda f: describe_comparison(f, 3), TypeError, "funnel_b must be a Funnel"),
        (lambda f: describe_cohort(simulate(f)), ValueError, "result must be a Monte Carlo result"),
        (lambda f: describe_cohort(f), TypeError, "result must be a SimulationResult"),
        (lambda f: describe_funnel(f, params={}), TypeError, "params must be a ModelParams or None"),
    ],
)
def test_describe_bad_input(ladder, call, error, message):
    with pytest.raises(error, match=message):
        call(ladder)
