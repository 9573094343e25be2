"""The builder's live chart: persistent Matplotlib artists that are updated in place.

:class:`LiveFunnelChart` draws two panels on one figure and keeps every artist between
updates, so a slider change only moves bars, lines and labels (``set_width``, ``set_data``,
``set_text``) and asks the canvas to redraw:

* top - *where people leave*: one stacked bar per step (said yes, drifted away, declined,
  the "declined" part hatched), plus a grey bar for the "one big ask" baseline;
* bottom - *is each ask the right size?*: each step's ask against the mean readiness of the
  people arriving, with the band of asks that fit and "too big" / "too small" flags.

Artists for :data:`MAX_STEPS` steps are made once; unused ones are hidden. Colours are the
course's :data:`funnel_lib.plots.PALETTE` (Okabe-Ito, colour-blind safe) and the two kinds of
misfit are also told apart by hatching and by words.

The figure is shown by an ipympl canvas widget in a live kernel with ipympl installed (the
browser asks for a new frame after each change), and otherwise by an ``ipywidgets.Image``
that receives a PNG rendered with Agg (e.g. headless in tests, or without ipympl).

>>> from funnel_lib.model import Funnel, Step
>>> from funnel_lib.simulate import simulate
>>> chart = LiveFunnelChart(backend="image")
>>> f = Funnel([Step("Quiz", "engagement", ask=2, value=4), Step("Buy", "conversion", ask=7)])
>>> result = simulate(f, "warm")
>>> chart.update(result, baseline=0.2)
>>> [bar.get_width() for bar in chart.yes_bars[:2]] == result.table["said_yes"].tolist()
True
>>> chart.close()
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import sys
import warnings
import weakref
from types import ModuleType
from typing import Any, cast

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, PercentFormatter
from PIL import Image as PILImage

from funnel_lib._chart_data import (
    BASELINE_NAME,
    baseline_label,
    check_result,
    funnel_bars,
    ladder_data,
    ladder_top,
    step_label,
    yes_label,
)
from funnel_lib._chart_style import BASELINE_GREY, FIT_GREY, FONT, LEGEND, MODEL_NOTE, PALETTE, SMALL, tidy
from funnel_lib.simulate import SimulationResult
from funnel_lib.thresholds import DEFAULT_THRESHOLDS, Thresholds
from funnel_lib.widgets._common import close_tree
from funnel_lib.widgets._state import MAX_STEPS

__all__ = ["FigureDisplay", "LiveFunnelChart", "MAX_STEPS", "BACKENDS", "choose_backend"]

BACKENDS = ("auto", "svg", "ipympl", "image")
"""How a chart is shown: ``"svg"`` (drawn in the browser, the default that ``"auto"`` picks),
``"ipympl"`` (a Matplotlib canvas, kept for comparison) or ``"image"`` (Matplotlib PNGs)."""

_NAME_CHARS = 26
_FIG_SIZE = (6.4, 6.7)   # inches at 100 dpi: 640 x 670 CSS pixels
_DPI = 100
_HEIGHT = 0.7
_LABEL_BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}
_TOOLBAR_WARNING = r"Passing unrecognized arguments to super\(Toolbar\).__init__"


def _in_kernel() -> bool:
    """True inside a running IPython kernel (JupyterLab, Voila), False in plain Python or pytest."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _ipympl_available() -> bool:
    """Whether ipympl is installed (checked without importing it: importing it switches backends)."""
    return importlib.util.find_spec("ipympl") is not None


def _load_ipympl() -> ModuleType:
    """Import ``ipympl.backend_nbagg`` without changing the user's Matplotlib backend.

    Importing ipympl calls ``matplotlib.use("module://ipympl.backend_nbagg")`` when Matplotlib is
    already loaded, which would turn every later ``plt.subplots()`` of the session (the lessons'
    static charts) into interactive widgets. The builder only needs ipympl's canvas class, so the
    previous backend is put back straight away.

    >>> import matplotlib
    >>> before = matplotlib.rcParams._get_backend_or_none()
    >>> _load_ipympl().__name__, matplotlib.rcParams._get_backend_or_none() == before
    ('ipympl.backend_nbagg', True)
    """
    import matplotlib

    module = sys.modules.get("ipympl.backend_nbagg")
    if module is not None:
        return module
    saved = dict.__getitem__(matplotlib.rcParams, "backend")        # may be the "auto" sentinel
    saved_default = dict.__getitem__(matplotlib.rcParamsDefault, "backend")
    saved_fallback = matplotlib.rcParams["backend_fallback"]
    pyplot = sys.modules.get("matplotlib.pyplot")
    resolved = pyplot is not None and getattr(pyplot, "_backend_mod", None) is not None
    try:
        module = importlib.import_module("ipympl.backend_nbagg")
    finally:
        if dict.__getitem__(matplotlib.rcParams, "backend") != saved:
            if resolved and isinstance(saved, str):
                pyplot.switch_backend(saved)  # type: ignore[union-attr]
            else:
                if pyplot is not None:
                    pyplot._backend_mod = None  # type: ignore[attr-defined]  # resolve lazily, as before
                dict.__setitem__(matplotlib.rcParams, "backend", saved)
            dict.__setitem__(matplotlib.rcParamsDefault, "backend", saved_default)
            matplotlib.rcParams["backend_fallback"] = saved_fallback
    return module


def choose_backend(backend: str = "auto") -> str:
    """Resolve ``backend`` to ``"svg"``, ``"ipympl"`` or ``"image"``.

    ``"auto"`` is ``"svg"``: an SVG chart drawn in the browser has real text, a text alternative
    and no keyboard trap, and works in and out of a kernel.

    >>> choose_backend("image"), choose_backend("auto")
    ('image', 'svg')
    >>> choose_backend("canvas")
    Traceback (most recent call last):
    ...
    ValueError: backend must be one of 'auto', 'svg', 'ipympl', 'image', got 'canvas'
    """
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(repr(b) for b in BACKENDS)}, got {backend!r}")
    if backend == "auto":
        return "svg"
    if backend == "ipympl" and not _ipympl_available():  # pragma: no cover - ipympl is installed here
        raise ValueError("backend='ipympl' needs the ipympl package; install it or use backend='image'")
    return backend


CHECKED_WITH = {"matplotlib": "3.11.2", "ipympl": "0.10.0"}
"""The versions whose private webagg frame state :func:`_fast_canvas_class` was checked against."""


def _fast_canvas_class() -> type:
    """An ipympl Canvas whose frames (drawn when the browser asks) go through :meth:`FigureDisplay.render_frame`."""
    Canvas = _load_ipympl().Canvas  # noqa: N806 - a class

    class FastCanvas(Canvas):  # type: ignore[misc,valid-type]
        """ipympl's canvas; a browser's request for a frame re-draws only what moved, when it can.

        :meth:`get_diff_image` is matplotlib's own (``backend_webagg_core``) with a faster PNG level,
        so it keeps matplotlib's private frame state (``_png_is_old``, ``_force_full``,
        ``_last_buff``, which ipympl reads too). :data:`CHECKED_WITH` names the versions it was
        checked against; ``tests/test_widgets.py::test_fast_canvas_matches_matplotlib`` pins it.
        """

        _png_is_old: bool
        _force_full: bool
        _last_buff: np.ndarray

        def get_diff_image(self) -> bytes | None:
            """Matplotlib's webagg diff frame, PNG-compressed at level 1 (several times faster than 6)."""
            if not self._png_is_old:
                return None
            pixels = np.asarray(self.get_renderer().buffer_rgba())
            buff = pixels.view(np.uint32).squeeze(2)
            if self._force_full or buff.shape != self._last_buff.shape or (pixels[:, :, 3] != 255).any():
                self.set_image_mode("full")
                output = buff
            else:
                self.set_image_mode("diff")
                output = np.where(buff != self._last_buff, buff, 0)
            self._last_buff = buff.copy()
            self._force_full = False
            self._png_is_old = False
            with io.BytesIO() as png:
                PILImage.fromarray(output.view(dtype=np.uint8).reshape((*output.shape, 4))).save(
                    png, format="png", compress_level=1)
                return png.getvalue()

        def _handle_message(self, obj: Any, content: dict[str, Any], buffers: Any) -> None:
            super()._handle_message(obj, content, buffers)
            if content.get("type") == "initialized":
                # the front end turns its resize handle on when it connects; the chart has a fixed size
                self.send_state("resizable")

        def handle_draw(self, event: dict[str, Any]) -> None:
            owner = getattr(self, "_funnel_owner", None)
            display = owner() if owner is not None else None
            if display is None:
                super().handle_draw(event)
            else:
                display.render_frame()

    return FastCanvas


class FigureDisplay:
    """A Matplotlib figure shown as a widget: an ipympl canvas, or an Image fed with Agg PNGs.

    Subclasses draw the static parts on :attr:`figure` once, register the artists that move
    with :meth:`set_dynamic`, and call :meth:`request_draw` after moving them. Frames are
    *blitted*: the static background is rendered once (again only after
    ``request_draw(full=True)`` or a resize) and each new frame draws just the moving
    artists on top of it. With ipympl the frame is drawn when the browser asks for it (so
    quick slider moves coalesce); the image backend renders a PNG at once.

    >>> display = FigureDisplay(backend="image", size=(3, 2), caption="A test figure")
    >>> display.request_draw(); display.frames, bytes(display.canvas_widget.value[:4])
    ((1, 0), b'\\x89PNG')
    >>> display.close()
    """

    def __init__(self, backend: str = "auto", *, size: tuple[float, float] = _FIG_SIZE, caption: str = "",
                 css_class: str = "funnel-chart", label: str = "Chart") -> None:
        chosen = choose_backend(backend)
        if chosen == "svg":  # a Matplotlib figure itself is shown by ipympl in a kernel, else as PNGs
            chosen = "ipympl" if _in_kernel() and _ipympl_available() else "image"
        self.backend = chosen
        self.draw_count = 0
        self.full_frames = 0
        self.fast_frames = 0
        self._closed = False
        self._manager: Any = None
        self._dynamic: list[Artist] = []
        self._background: Any = None
        self._needs_full = True
        self.figure = Figure(figsize=size, dpi=_DPI, facecolor="white")
        width, height = (int(round(v * _DPI)) for v in size)
        if self.backend == "ipympl":
            FigureManager = _load_ipympl().FigureManager  # noqa: N806 - a class
            canvas = _fast_canvas_class()(self.figure)
            canvas._funnel_owner = weakref.ref(self)
            with warnings.catch_warnings():
                # ipympl's Toolbar passes the canvas on to traitlets, which warns; nothing we can change.
                warnings.filterwarnings("ignore", message=_TOOLBAR_WARNING, category=DeprecationWarning)
                self._manager = FigureManager(canvas, num=id(self))
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_visible = False
            canvas.resizable = False
            canvas.capture_scroll = False
            canvas._figure_label = label
            self._canvas_widget: widgets.DOMWidget = canvas
        else:
            FigureCanvasAgg(self.figure)
            self._canvas_widget = widgets.Image(format="png", width=width, height=height,
                                                layout=widgets.Layout(width=f"{width}px", height=f"{height}px"))
        self.figure.canvas.mpl_connect("draw_event", self._on_full_draw)
        self.figure.canvas.mpl_connect("resize_event", self._on_resize)
        parts: list[widgets.Widget] = [self._canvas_widget]
        if caption:
            note = widgets.HTML(f"<div class='funnel-chart-caption' style='line-height:1.35'>{caption}</div>",
                                layout=widgets.Layout(max_width=f"{width}px"))
            note.add_class("funnel-chart-caption")
            parts.append(note)
        self.widget = widgets.VBox(parts)
        self.widget.add_class(css_class)
        self.widget.add_class(f"{css_class}-{self.backend}")

    @property
    def canvas_widget(self) -> widgets.DOMWidget:
        """The widget that shows the pixels (an ipympl ``Canvas`` or an ``ipywidgets.Image``).

        >>> display = FigureDisplay(backend="image", size=(2, 1))
        >>> type(display.canvas_widget).__name__
        'Image'
        >>> display.close()
        """
        return self._canvas_widget

    @property
    def frames(self) -> tuple[int, int]:
        """How many frames were drawn in full (background and all) and how many fast (moving parts only).

        >>> display = FigureDisplay(backend="image", size=(2, 1))
        >>> display.request_draw(); display.request_draw(); display.frames
        (1, 1)
        >>> display.close()
        """
        return self.full_frames, self.fast_frames

    def set_size_px(self, width: int, height: int) -> None:
        """Resize the figure (in CSS pixels at 100 dpi) and its display; the next frame is drawn in full.

        >>> display = FigureDisplay(backend="image", size=(2, 1))
        >>> display.set_size_px(300, 150); display.canvas_widget.width
        '300'
        >>> display.close()
        """
        if (width, height) == tuple(int(round(v * _DPI)) for v in self.figure.get_size_inches()):
            return
        self.figure.set_size_inches(width / _DPI, height / _DPI)
        self._background = None
        self._needs_full = True
        if self.backend == "ipympl":
            self._manager.resize(*self.figure.bbox.size)
        else:
            self._canvas_widget.width = width
            self._canvas_widget.height = height
            self._canvas_widget.layout.width = f"{width}px"
            self._canvas_widget.layout.height = f"{height}px"

    def set_dynamic(self, artists: list[Artist]) -> None:
        """Declare the artists that move between frames (drawn over the cached background, in z order).

        >>> display = FigureDisplay(backend="image", size=(2, 1))
        >>> (line,) = display.figure.add_subplot().plot([0, 1], [0, 1])
        >>> display.set_dynamic([line]); line.get_animated()
        True
        >>> display.close()
        """
        for artist in artists:
            artist.set_animated(True)
        self._dynamic = sorted(artists, key=lambda a: a.get_zorder())
        self._needs_full = True

    def request_draw(self, *, full: bool = False) -> None:
        """Ask for a new frame; ``full=True`` when something static changed (ticks, limits, titles).

        >>> display = FigureDisplay(backend="image", size=(2, 1))
        >>> display.request_draw(); display.request_draw(full=True); display.frames
        (2, 0)
        >>> display.close()
        """
        if self._closed:
            return
        self.draw_count += 1
        self._needs_full = self._needs_full or full
        if self.backend == "ipympl":
            self.figure.canvas.draw_idle()  # the browser asks back; FastCanvas.handle_draw -> render_frame
        else:
            self.render_frame()

    def render_frame(self) -> None:
        """Draw a frame now and send it to the display: in full when needed, else only the moving artists.

        >>> display = FigureDisplay(backend="ipympl", size=(2, 1))
        >>> display.render_frame(); display.render_frame(); display.frames
        (1, 1)
        >>> display.close()
        """
        if self._closed:
            return
        canvas = self._agg_canvas()
        if self._needs_full or self._background is None:
            self._needs_full = False
            self.full_frames += 1
            canvas.draw()  # the draw_event handler caches the background and adds the moving artists
        else:
            self.fast_frames += 1
            canvas.restore_region(self._background)
            self._draw_dynamic()
            if self.backend == "ipympl":
                canvas.blit()  # webagg: send the changed pixels
        if self.backend == "image":
            self._canvas_widget.value = self._buffer_png(compress_level=1)

    def _draw_dynamic(self) -> None:
        for artist in self._dynamic:
            if artist.get_visible():
                self.figure.draw_artist(artist)

    def _agg_canvas(self) -> FigureCanvasAgg:
        """The figure's canvas: Agg itself, or ipympl's (a subclass of Agg via webagg)."""
        return cast(FigureCanvasAgg, self.figure.canvas)

    def _on_full_draw(self, event: Any) -> None:
        self._background = self._agg_canvas().copy_from_bbox(self.figure.bbox)
        self._draw_dynamic()

    def _on_resize(self, event: Any) -> None:
        self._background = None

    def _buffer_png(self, compress_level: int = 6) -> bytes:
        canvas = self._agg_canvas()
        width, height = canvas.get_width_height(physical=True)
        image = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=compress_level)
        return buffer.getvalue()

    def render_png(self) -> bytes:
        """The whole figure as PNG bytes, rendered now with Agg (for tests and exports).

        >>> display = FigureDisplay(backend="image", size=(2, 1))
        >>> display.render_png()[:4]
        b'\\x89PNG'
        >>> display.close()
        """
        FigureCanvasAgg.draw(self._agg_canvas())  # Agg only: ipympl's canvas would also send a frame
        return self._buffer_png()

    def close(self) -> None:
        """Close the display widgets; the figure must not be drawn afterwards.

        >>> display = FigureDisplay(backend="image", size=(2, 1)); display.close()
        >>> display.widget.comm is None
        True
        """
        if self._closed:
            return
        self._closed = True
        self._background = None
        toolbar = getattr(self._manager, "toolbar", None)
        close_tree(self.widget)
        if isinstance(toolbar, widgets.Widget):
            close_tree(toolbar)


class LiveFunnelChart(FigureDisplay):
    """A two-panel funnel chart whose artists are made once and then updated in place.

    ``backend`` is one of :data:`BACKENDS`. :attr:`widget` is what to display (a box with the
    CSS class ``funnel-chart``); :meth:`update` redraws from a
    :class:`~funnel_lib.simulate.SimulationResult`; :meth:`show_empty` shows a message.

    >>> chart = LiveFunnelChart(backend="image")
    >>> chart.show_empty("No steps yet")
    >>> chart.empty_text.get_text(), chart.draw_count
    ('No steps yet', 1)
    >>> chart.close()
    """

    def __init__(self, backend: str = "auto", *, title: str = "Where people leave") -> None:
        super().__init__(backend, size=_FIG_SIZE, label="Funnel chart", caption=(
            "Top: for each step, the share of the whole audience that said yes, drifted away or declined; "
            "the grey bar is the same audience asked only for the last step. Bottom: each step's ask "
            "against the readiness of the people arriving."))
        self.title = title
        self._tick_labels: tuple[str, ...] = ()
        self._n_shown = -1
        self._build()

    # -- artists --------------------------------------------------------------------------
    def _build(self) -> None:
        fig = self.figure
        slots = np.arange(MAX_STEPS)

        # top panel: where people leave
        ax = fig.add_axes((0.34, 0.565, 0.56, 0.315))
        self.funnel_ax = ax
        zeros = np.zeros(MAX_STEPS)
        self.yes_bars = list(ax.barh(slots, zeros, height=_HEIGHT, color=PALETTE["yes"], gid="funnel-yes"))
        self.drifted_bars = list(ax.barh(slots, zeros, height=_HEIGHT, color=PALETTE["drifted"],
                                         gid="funnel-drifted"))
        self.declined_bars = list(ax.barh(slots, zeros, height=_HEIGHT, color=PALETTE["declined"], hatch="///",
                                          edgecolor="white", linewidth=0.0, gid="funnel-declined"))
        self.baseline_bar = Rectangle((0, 0), 0, _HEIGHT, facecolor=BASELINE_GREY, hatch="..",
                                      edgecolor="white", linewidth=0.0, gid="funnel-baseline")
        ax.add_patch(self.baseline_bar)
        self.yes_labels = [ax.text(0, float(i), "", va="center", ha="center", fontsize=SMALL, fontweight="bold",
                                   visible=False) for i in slots]
        self.baseline_label = ax.text(0, 0, "", va="center", ha="left", fontsize=SMALL,
                                      color=PALETTE["text"], fontweight="bold")
        self.separator = ax.axhline(0, color="#999999", linewidth=0.8, linestyle=(0, (2, 2)))
        ax.set_xlim(0.0, 1.0)
        ax.xaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(axis="x", labelsize=SMALL)
        ax.tick_params(axis="y", length=0, labelsize=SMALL)
        ax.set_xlabel("share of the whole audience", fontsize=SMALL)
        tidy(ax, grid="x")
        ax.legend(handles=[Patch(color=PALETTE["yes"], label="said yes"),
                           Patch(color=PALETTE["drifted"], label="drifted away"),
                           Patch(facecolor=PALETTE["declined"], hatch="///", edgecolor="white",
                                 label="declined (said no)")],
                  loc="lower left", bbox_to_anchor=(-0.55, 1.0), ncols=3, **LEGEND)
        self.funnel_title = fig.text(0.02, 0.975, "", fontsize=FONT + 1, fontweight="bold", va="top",
                                     color=PALETTE["text"])

        # bottom panel: ask vs readiness
        lx = fig.add_axes((0.09, 0.085, 0.87, 0.29))
        self.ladder_ax = lx
        self.fit_boxes = [Rectangle((i + 1 - 0.42, 0), 0.84, 0, facecolor=FIT_GREY, alpha=0.35, linewidth=0,
                                    zorder=1, gid="ladder-fit") for i in slots]
        for box in self.fit_boxes:
            lx.add_patch(box)
        self.ask_bars = list(lx.bar(slots + 1, zeros, width=0.56, color=PALETTE["ask"], zorder=2,
                                    edgecolor=PALETTE["text"], linewidth=0.6, gid="ladder-ask"))
        (self.readiness_line,) = lx.plot([], [], color=PALETTE["readiness"], marker="o", markersize=5,
                                         linewidth=2, zorder=3, gid="readiness")
        self.flag_labels = [lx.text(float(i + 1), 0, "", ha="center", va="bottom", rotation=90, fontsize=SMALL,
                                    color=PALETTE["text"], visible=False, gid="ladder-flag") for i in slots]
        lx.set_ylabel("0-10 scale", fontsize=SMALL)
        lx.set_xlabel("step number", fontsize=SMALL)
        lx.tick_params(labelsize=SMALL)
        lx.yaxis.set_major_locator(FixedLocator([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]))
        tidy(lx)
        lx.legend(handles=[Patch(facecolor=PALETTE["ask"], edgecolor=PALETTE["text"], linewidth=0.6,
                                 label="ask (fits)"),
                           Patch(facecolor=PALETTE["resistance"], hatch="///", edgecolor=PALETTE["text"],
                                 linewidth=0.6, label="too big: resistance"),
                           Patch(facecolor=PALETTE["stagnation"], hatch="..", edgecolor=PALETTE["text"],
                                 linewidth=0.6, label="too small: stagnation"),
                           Line2D([], [], color=PALETTE["readiness"], marker="o", markersize=5, linewidth=2,
                                  label="readiness of people arriving"),
                           Patch(facecolor=FIT_GREY, alpha=0.35, label="range of asks that fit")],
                  loc="lower left", bbox_to_anchor=(-0.02, 1.0), ncols=3, **LEGEND)
        self.ladder_title = fig.text(0.02, 0.475, "Is each ask the right size?", fontsize=FONT + 1,
                                     fontweight="bold", va="top", color=PALETTE["text"])
        self.note_text = fig.text(0.98, 0.008, MODEL_NOTE, fontsize=8, color=PALETTE["muted"], fontstyle="italic",
                 ha="right", va="bottom")
        self.empty_text = fig.text(0.5, 0.72, "", ha="center", va="center", fontsize=FONT + 2,
                                   color=PALETTE["muted"], visible=False, wrap=True)
        self._layout: tuple[Any, ...] = ()
        self.set_dynamic([*self.yes_bars, *self.drifted_bars, *self.declined_bars, *self.yes_labels,
                          self.baseline_bar, self.baseline_label, *self.fit_boxes, *self.ask_bars,
                          self.readiness_line, *self.flag_labels])

    # -- updates --------------------------------------------------------------------------
    def _set_count(self, n: int) -> None:
        """Show artists for ``n`` steps; hide the rest (only when the count changes)."""
        if n == self._n_shown:
            return
        self._n_shown = n
        for i in range(MAX_STEPS):
            visible = i < n
            for artist in (self.yes_bars[i], self.drifted_bars[i], self.declined_bars[i], self.fit_boxes[i],
                           self.ask_bars[i]):
                artist.set_visible(visible)
            if not visible:
                self.yes_labels[i].set_visible(False)
                self.flag_labels[i].set_visible(False)
        self._relayout(max(n, 1))
        has_steps = n > 0
        for artist in (self.baseline_bar, self.baseline_label, self.separator, self.readiness_line):
            artist.set_visible(has_steps)
        for ax in (self.funnel_ax, self.ladder_ax):
            ax.set_visible(has_steps)
        self.empty_text.set_visible(not has_steps)
        if has_steps:
            base_y = n + 0.35
            self.baseline_bar.set_y(base_y - _HEIGHT / 2)
            self.baseline_label.set_y(base_y)
            self.separator.set_ydata([n - 0.33, n - 0.33])
            self.funnel_ax.set_ylim(base_y + 0.6, -0.6)
            self.ladder_ax.set_xlim(0.4, n + 0.6)
            self.ladder_ax.set_xticks(np.arange(1, n + 1))

    def _relayout(self, n: int) -> None:
        """Give the top panel room for ``n`` bars: the figure grows with the funnel (positions in pixels)."""
        funnel_px = int(max(211, 24 * (n + 1.35) + 16))
        width = int(round(_FIG_SIZE[0] * _DPI))
        height = 458 + funnel_px
        self.set_size_px(width, height)
        self.funnel_ax.set_position((0.34, (height - 80 - funnel_px) / height, 0.56, funnel_px / height))
        self.ladder_ax.set_position((0.09, 57 / height, 0.87, 194 / height))
        self.funnel_title.set_y(1 - 17 / height)
        self.ladder_title.set_y(1 - (80 + funnel_px + 61) / height)
        self.note_text.set_y(5 / height)
        self.empty_text.set_y(1 - (80 + funnel_px / 2) / height)

    def update(self, result: SimulationResult, baseline: float, *, thresholds: Thresholds = DEFAULT_THRESHOLDS,
               flags: tuple[str | None, ...] | None = None) -> None:
        """Move every artist to show ``result`` and the one-big-ask ``baseline`` conversion, then draw.

        The band of asks that fit uses ``thresholds`` (the checker's); ``flags`` are the checker's
        :attr:`~funnel_lib.framework.Report.fit_flags` for the same design, computed here when left out.

        >>> from funnel_lib.model import Funnel, Step
        >>> from funnel_lib.simulate import simulate
        >>> chart = LiveFunnelChart(backend="image")
        >>> chart.update(simulate(Funnel([Step("Buy", "conversion", ask=8)]), "cold"), baseline=0.003)
        >>> chart.baseline_label.get_text()
        '0.3% if asked only this'
        >>> chart.close()
        """
        n = check_result(result, MAX_STEPS)
        self._set_count(n)
        self.empty_text.set_visible(False)
        self._update_bars(result, float(baseline))
        top = self._update_ladder(result, thresholds, flags)
        layout = (n, self._tick_labels, top, self.funnel_title.get_text())
        changed = layout != self._layout
        self._layout = layout
        self.request_draw(full=changed)

    def _update_bars(self, result: SimulationResult, baseline: float) -> None:
        """The top panel: one stacked bar per step, its "said yes" label, the baseline bar and the titles."""
        bars = funnel_bars(result)
        n = len(bars.names)
        for i in range(n):
            yes, drifted = bars.yes[i], bars.drifted[i]
            self.yes_bars[i].set_width(yes)
            self.drifted_bars[i].set_x(yes)
            self.drifted_bars[i].set_width(drifted)
            self.declined_bars[i].set_x(yes + drifted)
            self.declined_bars[i].set_width(bars.declined[i])
            self._place_yes_label(self.yes_labels[i], i, yes, last=i == n - 1)
        self.baseline_bar.set_width(baseline)
        self.baseline_label.set_x(min(baseline, 0.8) + 0.01)
        self.baseline_label.set_text(baseline_label(baseline))
        labels = (*(step_label(i + 1, name, _NAME_CHARS) for i, name in enumerate(bars.names)), BASELINE_NAME)
        if labels != self._tick_labels:
            self._tick_labels = labels
            self.funnel_ax.set_yticks([*range(n), n + 0.35], labels)
        self.funnel_title.set_text(f"{self.title}: {result.audience.name} audience")

    @staticmethod
    def _place_yes_label(label: Any, i: int, yes: float, *, last: bool) -> None:
        if yes >= (0.24 if last else 0.13):  # fits inside the blue part: white on blue
            label.set_position((yes / 2, i))
            label.set_horizontalalignment("center")
            label.set_color("white")
            label.set_bbox(None)
        else:  # just after the blue part, on a white label so the drop-off colours never hide it
            label.set_position((yes + 0.008, i))
            label.set_horizontalalignment("left")
            label.set_color(PALETTE["text"])
            label.set_bbox(_LABEL_BOX)
        label.set_text(yes_label(yes, last))
        label.set_visible(True)

    def _update_ladder(self, result: SimulationResult, thresholds: Thresholds,
                       flags: tuple[str | None, ...] | None) -> float:
        """The bottom panel: asks, the band that fits and the flags (the checker's), as in plot_ladder; the y top."""
        data = ladder_data(result, thresholds, flags)
        known = data.known
        for i, (ask, flag) in enumerate(zip(data.ask, data.flags, strict=True)):
            bar = self.ask_bars[i]
            bar.set_height(ask)
            low, high = (float(data.low[i]), float(data.high[i])) if known[i] else (0.0, 0.0)
            self.fit_boxes[i].set_y(low)
            self.fit_boxes[i].set_height(max(high - low, 0.0))
            bar.set_facecolor(PALETTE[flag] if flag else PALETTE["ask"])
            bar.set_hatch({"resistance": "///", "stagnation": ".."}.get(flag or ""))
            label = self.flag_labels[i]
            label.set_text(flag or "")
            label.set_y(ask + 0.25)
            label.set_visible(flag is not None)
        n = len(data.ask)
        self.readiness_line.set_data(np.arange(1, n + 1)[known], data.readiness[known])
        # the y range moves in steps of 4 so that most slider moves keep the cached background
        top = ladder_top(data, flag_room=5.0)
        if self.ladder_ax.get_ylim()[1] != top:
            self.ladder_ax.set_ylim(0.0, top)
        return top

    def show_empty(self, message: str) -> None:
        """Hide the panels and show ``message`` instead (e.g. when the funnel has no steps).

        >>> chart = LiveFunnelChart(backend="image")
        >>> chart.show_empty("Add a step"); chart.funnel_ax.get_visible()
        False
        >>> chart.close()
        """
        self._set_count(0)
        self.funnel_title.set_text(self.title)
        self.empty_text.set_text(message)
        self.empty_text.set_visible(True)
        self._layout = (0, message)
        self.request_draw(full=True)

    def artists_summary(self) -> dict[str, Any]:
        """The visible numbers, for tests and debugging: bar widths and heights, labels, limits.

        >>> chart = LiveFunnelChart(backend="image")
        >>> chart.show_empty("empty")
        >>> chart.artists_summary()["steps"]
        0
        >>> chart.close()
        """
        n = max(self._n_shown, 0)
        return {
            "steps": n,
            "yes": [bar.get_width() for bar in self.yes_bars[:n]],
            "drifted": [bar.get_width() for bar in self.drifted_bars[:n]],
            "declined": [bar.get_width() for bar in self.declined_bars[:n]],
            "ask": [bar.get_height() for bar in self.ask_bars[:n]],
            "readiness": [float(v) for v in np.asarray(self.readiness_line.get_ydata())],
            "baseline": self.baseline_bar.get_width(),
            "labels": [t.get_text() for t in self.yes_labels[:n]],
            "flags": [t.get_text() for t in self.flag_labels[:n]],
            "ticks": list(self._tick_labels),
            "title": self.funnel_title.get_text(),
        }
