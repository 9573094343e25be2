"""Benchmark the funnel builder: how fast a slider change reaches the model, the chart and the screen.

Two measurements on an 8-step funnel, printed as one table:

1. **Python side** (driven from Python, as the kernel runs it): one slider change = the model
   recomputed (design + cached one-big-ask baseline + checker + the conversion range over 64
   plausible parameter sets, cached per design), the chart's artists moved in place, readout and
   findings refreshed, and a frame requested. Target: median <= 30 ms over
   >= 20 changes. For context the table also gives the time to draw a frame with Agg (what the
   kernel does when the browser asks for it): fast frames redraw only what moved.
2. **Browser round trip** (a real Chromium on a Voila app served as ``make demo`` serves it): a key
   press on a step's ask slider in the page -> the chart redrawn and painted, timed inside the
   page. Measured in the same run for the builder's SVG chart (drawn in the browser, the default)
   and for the previous ipympl canvas (new pixels on the canvas), so the ratio holds even on a
   busy machine. Target: median <= 100 ms over >= 10 changes. Skipped, with the reason, when
   /usr/bin/chromium is missing.

    python benchmarks/bench_widgets.py [--changes 40] [--browser-changes 15] [--no-browser]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import ipywidgets as widgets
import nbformat

from funnel_lib import Funnel, Step
from funnel_lib.examples import get_example
from funnel_lib.widgets import FunnelBuilder

ROOT = Path(__file__).resolve().parents[1]
PYTHON_TARGET_MS = 30.0
BROWSER_TARGET_MS = 100.0


def eight_steps() -> Funnel:
    """The consulting example plus a short article: 8 steps with realistic sizes."""
    funnel = get_example("b2b_consulting")
    funnel.insert(1, Step.from_catalog("read_post"))
    assert len(funnel) == 8
    return funnel


def servers() -> ModuleType:
    """The test suite's server helpers (tests/conftest.py): free ports, start/wait/stop, Chromium flags."""
    spec = importlib.util.spec_from_file_location("funnel_test_servers", ROOT / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def next_ask(builder: FunnelBuilder, i: int) -> tuple[widgets.FloatSlider, float]:
    """The ask slider the ``i``-th change moves, and where to: half a point up, and back down every other round."""
    row = builder.rows[i % 8]
    return row.ask, row.ask.value + (0.5 if row.ask.value <= 9.5 and (i // 8) % 2 == 0 else -0.5)


def svg_changes(changes: int) -> list[float]:
    """Time slider changes on the default builder (SVG chart: Python sends the chart's data, the browser draws)."""
    svg = FunnelBuilder(eight_steps(), chart="svg")
    svg_ms = []
    try:
        for i in range(changes + 3):
            slider, target = next_ask(svg, i)
            start = time.perf_counter()
            slider.value = target
            if i >= 3:
                svg_ms.append((time.perf_counter() - start) * 1e3)
        assert svg.last_error == ""
    finally:
        svg.close()
    return svg_ms


def python_side(changes: int) -> dict[str, list[float]]:
    """Time slider changes on a builder with an ipympl canvas (no browser: frames are requested, not drawn)."""
    builder = FunnelBuilder(eight_steps(), chart="ipympl")
    chart = builder.chart
    chart.render_frame()                        # the first, full frame (the browser would ask for it)
    change_ms, fast_ms, full_ms, both_ms = [], [], [], []
    try:
        for i in range(changes + 3):
            slider, target = next_ask(builder, i)
            start = time.perf_counter()
            slider.value = target                 # what a slider drag does, one step at a time
            middle = time.perf_counter()
            full_before = chart.full_frames
            chart.render_frame()                  # what happens when the browser asks for the frame
            end = time.perf_counter()
            if i < 3:
                continue                          # warm-up
            change_ms.append((middle - start) * 1e3)
            (full_ms if chart.full_frames > full_before else fast_ms).append((end - middle) * 1e3)
            both_ms.append((end - start) * 1e3)
        for _ in range(5):                        # a full frame, as after adding a step or renaming one
            chart.request_draw(full=True)
            start = time.perf_counter()
            chart.render_frame()
            full_ms.append((time.perf_counter() - start) * 1e3)
        assert builder.funnel.steps[0].ask == builder.rows[0].ask.value
        assert builder.last_error == ""
    finally:
        builder.close()
    svg_ms = svg_changes(changes)
    image = FunnelBuilder(eight_steps(), chart="image")
    image_ms = []
    try:
        for i in range(min(changes, 20)):
            row = image.rows[i % 8]
            start = time.perf_counter()
            row.value.value = 3.0 if row.value.value != 3.0 else 3.5
            image_ms.append((time.perf_counter() - start) * 1e3)
    finally:
        image.close()
    return {"svg": svg_ms, "change": change_ms, "fast": fast_ms, "full": full_ms, "both": both_ms, "image": image_ms}


BENCH_JS = """
() => {
  const canvas = document.querySelector('.funnel-builder .funnel-chart canvas');
  const context = canvas.getContext('2d', {willReadFrequently: true});
  window.__bench = {
    t0: 0,
    hash() {
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let h = 0;
      for (let i = 0; i < data.length; i += 8) {
        h = (Math.imul(h, 31) + data[i] + 3 * data[i + 1] + 7 * data[i + 2]) | 0;
      }
      return h;
    },
  };
  document.addEventListener('keydown', () => { window.__bench.t0 = performance.now(); }, true);
  return canvas.width;
}
"""

SVG_BENCH_JS = """
() => {
  const chart = document.querySelector('.funnel-builder .funnel-chart');
  window.__bench = {
    t0: 0,
    hash() { const d = chart.querySelector('svg.funnel-svg desc'); return d ? d.textContent : ''; },
  };
  document.addEventListener('keydown', () => { window.__bench.t0 = performance.now(); }, true);
  return chart.clientWidth;
}
"""

# the SVG is replaced when the new data arrives; two animation frames later it has been painted
WAIT_FOR_SVG_JS = """
(before) => new Promise((resolve) => {
  const bench = window.__bench;
  const poll = () => {
    const now = performance.now();
    if (bench.hash() !== before) {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - bench.t0)));
      return;
    }
    if (now - bench.t0 > 5000) { resolve(-1); return; }
    setTimeout(poll, 2);
  };
  poll();
})
"""

WAIT_FOR_PIXELS_JS = """
(before) => new Promise((resolve) => {
  const bench = window.__bench;
  const poll = () => {
    const now = performance.now();
    if (bench.hash() !== before) { resolve(now - bench.t0); return; }
    if (now - bench.t0 > 5000) { resolve(-1); return; }
    setTimeout(poll, 2);
  };
  poll();
})
"""


IPYMPL_EXTENSIONS = ["@voila-dashboards/widgets-manager8", "@jupyter-widgets/jupyterlab-manager", "jupyter-matplotlib"]


def browser_round_trip(changes: int, chart: str = "svg") -> tuple[list[float], str]:
    """Key press -> chart redrawn on screen, on a Voila app showing the builder with an 8-step funnel."""
    helpers = servers()
    if not (helpers.CHROMIUM.exists()):
        return [], helpers.CHROMIUM_MISSING
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-widgets-") as tmp:
        base = Path(tmp)
        notebook = base / "bench_builder.ipynb"
        code = ("from funnel_lib import Funnel\nfrom funnel_lib.widgets import FunnelBuilder\n"
                f"FunnelBuilder(Funnel.from_json({eight_steps().to_json(indent=None)!r}), chart={chart!r})")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)], metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}})
        nbformat.write(nb, notebook)
        extra = ([f"--VoilaConfiguration.extension_allowlist={name}" for name in IPYMPL_EXTENSIONS]
                 if chart == "ipympl" else [])
        server = helpers.start_voila(notebook, base, extra=extra)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(helpers.CHROMIUM),
                                                     args=helpers.CHROMIUM_ARGS, headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1366, "height": 1000})
                    page.goto(server.url, wait_until="domcontentloaded", timeout=90_000)
                    handles = page.locator(".funnel-builder .funnel-step .funnel-ask .noUi-handle")
                    handles.nth(7).wait_for(timeout=90_000)
                    time.sleep(1.5)               # let the first frames arrive
                    page.evaluate(BENCH_JS if chart == "ipympl" else SVG_BENCH_JS)
                    wait_js = WAIT_FOR_PIXELS_JS if chart == "ipympl" else WAIT_FOR_SVG_JS
                    times = []
                    for i in range(changes + 2):
                        handle = handles.nth(i % 8)
                        handle.focus()
                        time.sleep(0.3)           # the kernel and the canvas are idle before each change
                        before = page.evaluate("window.__bench.hash()")
                        page.keyboard.press("ArrowLeft" if (i // 8) % 2 == 0 else "ArrowRight")
                        elapsed = page.evaluate(wait_js, before)
                        if i >= 2:                # warm-up
                            times.append(float(elapsed))
                    errors = page.locator(".funnel-error").all_inner_texts()
                    if any(e.strip() for e in errors):
                        raise RuntimeError(f"the builder showed an error: {errors}")
                finally:
                    browser.close()
        finally:
            server.stop()
    missed = [t for t in times if t < 0]
    if missed:
        raise RuntimeError(f"{len(missed)} of {len(times)} changes never produced new pixels within 5 s")
    return times, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=40, help="slider changes timed on the Python side (>= 20)")
    parser.add_argument("--browser-changes", type=int, default=15, help="changes timed in the browser (>= 10)")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser round trip")
    args = parser.parse_args(argv)
    if args.changes < 20 or args.browser_changes < 10:
        parser.error("use at least 20 Python-side changes and 10 browser changes")

    py = python_side(args.changes)
    browser_ms: list[float] = []
    ipympl_ms: list[float] = []
    reason = "skipped (--no-browser)" if args.no_browser else ""
    if not args.no_browser:
        browser_ms, reason = browser_round_trip(args.browser_changes, "svg")
        if browser_ms:
            ipympl_ms, _ = browser_round_trip(args.browser_changes, "ipympl")

    def row(label: str, values: list[float], target: str = "") -> str:
        if not values:
            return f"{label:<74}{'-':>8}{'-':>9}{'-':>6}{target:>12}"
        return (f"{label:<74}{statistics.median(values):>6.1f}ms{percentile(values, 0.9):>7.1f}ms"
                f"{len(values):>6}{target:>12}")

    print("Funnel builder, 8-step funnel, cold audience (wall-clock times on this machine)")
    print(f"{'measurement':<74}{'median':>8}{'p90':>9}{'n':>6}{'target':>12}")
    print(row("Python side: slider change -> model, SVG chart data, readout, findings", py["svg"],
              f"<= {PYTHON_TARGET_MS:.0f} ms"))
    print(row("previous ipympl chart: slider change -> model, artists, readout, findings", py["change"]))
    print(row("  then the frame the browser asks for (fast: moved artists)", py["fast"]))
    print(row("  a full frame instead (after adding, removing, renaming a step)", py["full"]))
    print(row("  change + its frame, together", py["both"]))
    print(row("image fallback (no ipympl): change incl. PNG", py["image"]))
    print(row("browser round trip: key press -> SVG chart painted (Voila, default)", browser_ms,
              f"<= {BROWSER_TARGET_MS:.0f} ms"))
    print(row("  the same with the previous ipympl canvas (new pixels), same run", ipympl_ms))
    if browser_ms and ipympl_ms:
        ratio = statistics.median(ipympl_ms) / statistics.median(browser_ms)
        print(f"  ipympl canvas / SVG chart, ratio of medians: {ratio:.1f}x (the SVG chart is faster when > 1)")
    if reason:
        print(f"  browser round trip not measured: {reason}")
    met_python = statistics.median(py["svg"]) <= PYTHON_TARGET_MS
    met_browser = bool(browser_ms) and statistics.median(browser_ms) <= BROWSER_TARGET_MS
    print(f"targets met: Python side {'yes' if met_python else 'NO'}, browser round trip "
          f"{('yes' if met_browser else 'NO') if browser_ms else 'not measured'}")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "bench_widgets.json").write_text(json.dumps({**py, "browser": browser_ms, "browser_ipympl": ipympl_ms},
                                                          indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
