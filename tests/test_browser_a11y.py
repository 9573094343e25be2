"""Accessibility, layout and offline behaviour in a real browser (Debian's Chromium via Playwright).

What a keyboard user, a screen-reader user, a learner on a 1366x800 laptop and a presenter on a
1280x720 projector get:

* the demo (Voila, as ``make demo`` serves it): no request leaves the machine, no error in the
  console, an axe-core audit without critical or serious violations, the steps and the chart side
  by side at 1280x720 at 100 % and 125 % zoom and stacked without horizontal scrolling below
  1000 px, presenter text of at least 20 px and chart text of at least 14 pt;
* the keyboard: Tab and Shift+Tab always move on past the charts, sliders are named "Step 1 ask",
  the audience buttons expose aria-pressed, and the chart's text alternative follows a key press;
* Voila culls the kernel of a closed page (with a short timeout set here);
* JupyterLab in learner mode (``make lab``) at 1366x800 with the sidebar collapsed: no nbgrader
  instructor tools, the builder side by side, quiz answers chosen with the arrow keys, and an
  axe-core audit of the builder and the quiz.

axe-core 4.14.1 (MPL-2.0, Deque Systems) is vendored in tests/vendor/axe-core/ with its licence.
Set FUNNEL_SCREENSHOT_DIR to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
PAGE_TIMEOUT_MS = 90_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}


def keep(page: Any, name: str, tmp_path: Path, **kwargs: Any) -> Path:
    """Screenshot the page (or an element via ``locator=``) and copy it to $FUNNEL_SCREENSHOT_DIR if set."""
    path = tmp_path / name
    target = kwargs.pop("locator", None) or page
    target.screenshot(path=str(path), **kwargs)
    folder = os.environ.get("FUNNEL_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / name)
    return path


class Guard:
    """Records console errors, page errors and every request that would leave the machine (and blocks it)."""

    def __init__(self, context: Any) -> None:
        self.off_machine: list[str] = []
        self.console_errors: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        parsed = urlparse(url)
        if parsed.scheme in LOCAL_SCHEMES or parsed.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.off_machine.append(url)
            route.abort()

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        return page


def axe_violations(page: Any, include: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2 A/AA rules) on the page or on the ``include`` selectors; critical and serious only."""
    page.add_script_tag(path=str(AXE))
    context = {"include": [[s] for s in include]} if include else None
    result = page.evaluate(
        """async (context) => {
             const options = {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                              resultTypes: ['violations']};
             const r = await axe.run(context || document, options);
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
           }""", context)
    return [v for v in result if v["impact"] in ("critical", "serious")]


def open_demo(browser: Any, url: str, width: int, height: int, zoom: float = 1.0) -> tuple[Any, Any, Guard]:
    """A fresh context at ``width`` x ``height`` screen pixels and browser zoom ``zoom`` (CSS px = pixels / zoom)."""
    context = browser.new_context(viewport={"width": round(width / zoom), "height": round(height / zoom)},
                                  device_scale_factor=zoom)
    guard = Guard(context)
    page = guard.watch(context.new_page())
    page.goto(url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    page.locator(".funnel-builder svg.funnel-svg").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.locator(".funnel-duel svg.funnel-svg").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    return context, page, guard


def side_by_side(page: Any, root: str = ".funnel-builder") -> tuple[bool, dict[str, Any]]:
    boxes = page.evaluate(
        """(root) => {
             const b = document.querySelector(root);
             const box = (s) => { const r = b.querySelector(s).getBoundingClientRect();
                                  return {x: r.x, y: r.y, w: r.width, h: r.height}; };
             return {editor: box('.funnel-editor'), results: box('.funnel-results'),
                     scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth};
           }""", root)
    editor, results = boxes["editor"], boxes["results"]
    beside = results["x"] >= editor["x"] + editor["w"] - 1 and abs(results["y"] - editor["y"]) < 40
    return beside, boxes


def test_demo_is_offline_clean_and_passes_axe(browser: Any, voila_demo: Any, tmp_path: Path) -> None:
    context, page, guard = open_demo(browser, voila_demo.url, 1280, 720)
    try:
        time.sleep(0.5)
        violations = axe_violations(page)
        assert violations == [], f"axe-core: {violations}"
        assert guard.off_machine == [], f"requests that left the machine: {guard.off_machine}"
        assert guard.console_errors == [], f"console errors: {guard.console_errors}"
        # presenter mode is on in the demo: >= 20 px text in the builder, >= 14 pt (18.67 px) in the charts
        sizes = page.evaluate("""() => {
            const px = (el) => parseFloat(getComputedStyle(el).fontSize);
            const b = document.querySelector('.funnel-builder');
            const texts = [...b.querySelectorAll('.widget-label, .funnel-hint, .funnel-finding, button, input')]
                           .filter(e => e.offsetParent !== null && e.textContent + (e.value || '') !== '');
            const chart = [...document.querySelectorAll('svg.funnel-svg text')].filter(t => t.textContent.trim());
            return {body: Math.min(...texts.map(px)), chart: Math.min(...chart.map(px)),
                    pressed: document.querySelector('.funnel-presenter-toggle').getAttribute('aria-pressed')};
        }""")
        assert sizes["body"] >= 20, sizes
        assert sizes["chart"] >= 18.6, sizes
        assert sizes["pressed"] == "true"
    finally:
        context.close()


@pytest.mark.parametrize("zoom", [1.0, 1.25], ids=["100pct", "125pct"])
def test_demo_steps_and_chart_side_by_side_at_1280x720(browser: Any, voila_demo: Any, tmp_path: Path,
                                                      zoom: float, server_helpers: Any) -> None:
    context, page, _ = open_demo(browser, voila_demo.url, 1280, 720, zoom)
    try:
        beside, boxes = side_by_side(page)
        page.locator(".funnel-builder").first.evaluate("e => e.scrollIntoView({block: 'start'})")
        keep(page, f"voila_1280x720_{int(zoom * 100)}.png", tmp_path)
        page.locator(".funnel-duel").first.evaluate("e => e.scrollIntoView({block: 'start'})")
        keep(page, f"voila_1280x720_{int(zoom * 100)}_duel.png", tmp_path)
        assert beside, f"steps and chart are not side by side at zoom {zoom}: {boxes}"
        assert boxes["scroll"] <= boxes["client"], f"horizontal scrolling: {boxes}"
        if zoom == 1.0:  # below about 1000 px they stack, still without horizontal scrolling
            page.set_viewport_size({"width": 860, "height": 900})
            server_helpers.wait_until(lambda: not side_by_side(page)[0], 10, "the builder did not stack at 860 px")
            _, narrow = side_by_side(page)
            assert narrow["results"]["y"] > narrow["editor"]["y"] + narrow["editor"]["h"] - 1, narrow
            assert narrow["scroll"] <= narrow["client"], f"horizontal scrolling at 860 px: {narrow}"
            page.locator(".funnel-builder").first.evaluate("e => e.scrollIntoView({block: 'start'})")
            keep(page, "voila_860_stacked.png", tmp_path, full_page=False)
    finally:
        context.close()


def test_keyboard_reaches_everything_past_the_charts(browser: Any, voila_demo: Any, tmp_path: Path,
                                                     server_helpers: Any) -> None:
    context, page, guard = open_demo(browser, voila_demo.url, 1280, 720)
    try:
        builder = page.locator(".funnel-builder").first
        handle = builder.locator(".funnel-step .funnel-ask .noUi-handle").first
        server_helpers.wait_until(lambda: handle.get_attribute("aria-label") == "Step 1 ask", 10,
                                  f"the first ask slider is named {handle.get_attribute('aria-label')!r}")
        assert builder.locator(".funnel-step .funnel-trust .noUi-handle").first.get_attribute("aria-label") == \
            "Step 1 trust"
        assert builder.locator("button.funnel-up").first.get_attribute("aria-label") == "Move step 1 up"
        name = builder.locator(".funnel-step .funnel-name input").first
        assert name.get_attribute("title") == name.input_value() == "Enrol in the course"   # in full on hover
        pressed = [b.get_attribute("aria-pressed") for b in builder.locator(".funnel-audience button").all()]
        assert pressed == ["true", "false", "false"], pressed
        builder.locator(".funnel-audience button", has_text="Warm").click()
        buttons = builder.locator(".funnel-audience button")
        server_helpers.wait_until(lambda: [b.get_attribute("aria-pressed") for b in buttons.all()]
                                  == ["false", "true", "false"], 10, "aria-pressed did not follow the audience")
        desc = builder.locator("svg.funnel-svg desc").first
        server_helpers.wait_until(lambda: "warm audience" in desc.text_content(), 10,
                                  "the chart's text alternative did not follow")

        # a key press on a slider changes the chart's text alternative
        before = desc.text_content()
        handle.focus()
        page.keyboard.press("ArrowLeft")
        server_helpers.wait_until(lambda: desc.text_content() != before, 10,
                                  "the text alternative did not change with the chart")

        # Tab from the last step control walks past the chart to the Export buttons and on out of the builder
        builder.locator("button.funnel-add").focus()
        seen = []
        for _ in range(40):
            page.keyboard.press("Tab")
            info = page.evaluate("""() => { const a = document.activeElement;
                return {inChart: !!a.closest('.funnel-chart'), tag: a.tagName,
                        text: (a.textContent || '').trim().slice(0, 30),
                        inBuilder: !!a.closest('.funnel-builder'), export: !!a.closest('.funnel-export-picker'),
                        outline: getComputedStyle(a).outlineStyle }; }""")
            seen.append(info)
            if not info["inBuilder"]:
                break
        assert any(s["export"] for s in seen), f"Tab never reached Export: {seen}"
        assert not seen[-1]["inBuilder"], f"Tab never left the builder: {seen}"
        focused_chart = [s for s in seen if s["inChart"]]
        assert all(s["tag"] == "SUMMARY" for s in focused_chart), f"a chart took focus: {focused_chart}"
        assert all(s["outline"] != "none" for s in seen if s["inBuilder"]), "a focused control has no visible outline"
        # Escape never traps, and Shift+Tab walks back past the chart to the Add step button
        page.keyboard.press("Escape")
        back = []
        for _ in range(40):
            page.keyboard.press("Shift+Tab")
            text = page.evaluate("() => (document.activeElement.textContent || '').trim()")
            back.append(text)
            if text.startswith("Add step"):
                break
        assert back[-1].startswith("Add step"), f"Shift+Tab did not come back: {back}"
        keep(page, "voila_keyboard.png", tmp_path)
        assert guard.console_errors == [], guard.console_errors
    finally:
        context.close()


def _kernels(server: Any) -> int:
    import psutil

    try:
        children = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    count = 0
    for child in children:
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                count += 1
        except psutil.Error:
            continue
    return count


def test_voila_culls_the_kernel_of_a_closed_page(browser: Any, tmp_path: Path, server_helpers: Any) -> None:
    # the timeout must outlast the moment between the notebook's run and the page connecting to
    # its kernel (an idle kernel without connections); make demo uses 40 s
    server = server_helpers.start_voila(ROOT / "notebooks" / "workshop_demo.ipynb", tmp_path, extra=[
        "--MappingKernelManager.cull_idle_timeout=12", "--MappingKernelManager.cull_interval=2"])
    try:
        context, page, _ = open_demo(browser, server.url, 1280, 720)
        assert _kernels(server) == 1
        context.close()
        server_helpers.wait_until(lambda: _kernels(server) == 0, 45, "the closed page's kernel is still running",
                                  interval=0.5)
        assert "Culling" in server.log.read_text()
    finally:
        server.stop()


# --- JupyterLab, learner mode -------------------------------------------------------------------


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory: pytest.TempPathFactory, server_helpers: Any) -> Iterator[Any]:
    server_helpers.chromium_or_skip()
    base = tmp_path_factory.mktemp("learner")
    root = base / "course"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / "04_next_small_step.ipynb", root / "lesson.ipynb")
    server = server_helpers.start_lab(root, base, learner=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lesson_page(browser: Any, learner_lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The lesson with the builder and a quiz, run top to bottom in JupyterLab at 1366x800, sidebar collapsed."""
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    guard = Guard(context)
    page = guard.watch(context.new_page())
    page.goto(f"{learner_lab.url}lab/tree/lesson.ipynb?token={learner_lab.extra['token']}",
              wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current.count():
        current.first.click()              # collapse the left sidebar
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.locator(".funnel-builder svg.funnel-svg").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.locator(".funnel-quiz").first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.guard = guard
    try:
        yield page
    finally:
        context.close()


def test_learner_lab_has_no_instructor_tools(lesson_page: Any, learner_lab: Any, tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    page = lesson_page
    menus = " ".join(page.locator(".lm-MenuBar-itemLabel").all_inner_texts())
    assert "Nbgrader" not in menus and "Formgrader" not in menus, menus
    assert page.locator(".jp-NotebookPanel-toolbar", has_text="Validate").count() == 0
    body = page.locator("body").inner_text()
    assert "Error fetching courses" not in body
    for path in ("formgrader", "create_assignment", "assignments"):
        try:
            with urllib.request.urlopen(f"{learner_lab.url}{path}?token={learner_lab.extra['token']}", timeout=10):
                pytest.fail(f"/{path} answers in learner mode")
        except urllib.error.HTTPError as error:
            assert error.code == 404, f"/{path}: {error.code}"
    config = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")
    assert "@jupyter/nbgrader" in config.get("disabledExtensions", []), config.get("disabledExtensions")
    assert page.guard.off_machine == [], page.guard.off_machine


def test_lab_builder_side_by_side_at_1366x800(lesson_page: Any, tmp_path: Path) -> None:
    page = lesson_page
    builder = page.locator(".funnel-builder").first
    builder.evaluate("e => e.scrollIntoView({block: 'start'})")
    beside, boxes = side_by_side(page)
    keep(page, "lab_1366x800_builder.png", tmp_path)
    assert beside, f"steps and chart are not side by side in JupyterLab at 1366x800: {boxes}"
    violations = axe_violations(page, [".funnel-builder"])
    assert violations == [], f"axe-core on the builder in JupyterLab: {violations}"


def test_quiz_is_a_radio_group_used_with_arrow_keys(lesson_page: Any, tmp_path: Path, server_helpers: Any) -> None:
    page = lesson_page
    quiz = page.locator(".funnel-quiz").first
    quiz.scroll_into_view_if_needed()
    radios = quiz.locator(".funnel-quiz-choice").first.locator("input[type=radio]")
    assert radios.count() >= 2
    radios.nth(0).focus()
    page.keyboard.press("Space")
    server_helpers.wait_until(lambda: radios.nth(0).is_checked(), 5, "Space did not pick the first answer")
    page.keyboard.press("ArrowDown")
    server_helpers.wait_until(lambda: radios.nth(1).is_checked(), 5, "ArrowDown did not move the answer")
    feedback = quiz.locator(".funnel-quiz-feedback").first
    server_helpers.wait_until(lambda: feedback.inner_text().strip() != "", 10,
                              "no feedback after choosing with the keyboard")
    live = feedback.evaluate("e => !!e.closest('[aria-live]') || !!e.querySelector('[aria-live]')")
    assert live, "the quiz feedback is not in an aria-live region"
    keep(page, "lab_quiz.png", tmp_path, locator=quiz)
    violations = axe_violations(page, [".funnel-quiz"])
    assert violations == [], f"axe-core on the quiz: {violations}"


def test_lesson_with_quiz_passes_axe(lesson_page: Any) -> None:
    page = lesson_page
    page.locator(".funnel-quiz").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    violations = axe_violations(page, [".funnel-quiz"])
    assert violations == [], f"axe-core on the lesson's quiz: {violations}"
