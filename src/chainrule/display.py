"""Showing things where the user is: figures that draw in Jupyter the first time, a
display that updates in place in a notebook, fit's progress bar (rich's on a terminal, an
HTML one in Jupyter), and whether we are in a notebook.

Why figures need help: IPython's inline backend shows a ``matplotlib.figure.Figure`` only
once it has registered its PNG formatter, which happens when pyplot is first imported. A
Figure made without pyplot (every chainrule figure: scripts, the CLI and the report must
not open windows or change the user's backend) printed ``<Figure size 700x420 with 1
Axes>`` in a fresh kernel. The Figure class chainrule draws on adds ``_repr_png_``, which
IPython calls whether pyplot was imported or not; outside Jupyter nothing changes.

>>> fig = figure_class()(figsize=(4, 3))      # shows itself when a notebook cell ends with it
"""
from __future__ import annotations

import html
import io
import sys
import time

__all__ = ["figure_class", "MatplotlibMissing", "in_notebook", "LiveDisplay", "NotebookProgress",
           "progress_bar"]

_CLASSES: dict = {}     # matplotlib's Figure -> chainrule's subclass of it, made once


class MatplotlibMissing(ImportError):
    """matplotlib is not installed, so no figure can be drawn."""


def figure_class():
    """The Figure class chainrule draws on: matplotlib's own, plus ``_repr_png_`` so that
    Jupyter shows it inline (pyplot is never used, so the user's backend and windows are
    not touched). Raises MatplotlibMissing, saying how to install it, without matplotlib."""
    try:
        # matplotlib is optional: imported when the first figure is made
        from matplotlib.figure import Figure
    except ImportError:
        raise MatplotlibMissing(
            "figures need matplotlib, which is not installed; install chainrule's demo extra "
            "with: pip install 'chainrule[demo]'  (or: pip install matplotlib)") from None
    cls = _CLASSES.get(Figure)
    if cls is None:
        cls = _CLASSES[Figure] = type("Figure", (Figure,), {
            "__doc__": Figure.__doc__, "__module__": __name__, "_repr_png_": _figure_png})
    return cls


def _figure_png(fig) -> bytes:
    """The figure as PNG bytes, as the inline backend would draw it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def in_notebook() -> bool:
    """True inside a Jupyter kernel (a notebook, JupyterLab, VS Code), False in a terminal,
    a script or plain IPython. IPython is only looked at if something imported it."""
    if "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LiveDisplay:
    """One output area of a notebook cell that is redrawn in place (IPython's
    ``display(..., display_id=True)``): the first ``show`` displays, later ones replace it.
    Outside a notebook it keeps only the latest object (``.latest``).

    >>> fig1, fig2 = "first", "second"          # any displayable objects, e.g. Figures
    >>> live = LiveDisplay(); live.show(fig1); live.show(fig2)   # one figure, redrawn
    >>> live.latest                             # outside a notebook
    'second'
    """

    def __init__(self) -> None:
        self.latest = None
        self._handle = None

    def show(self, obj) -> None:
        self.latest = obj
        if not in_notebook():
            return
        from IPython.display import display
        if self._handle is None:
            self._handle = display(obj, display_id=True)
        else:
            self._handle.update(obj)


class _Text:
    """An object whose notebook rendering is the given HTML and plain text."""

    def __init__(self, html: str, text: str) -> None:
        self._html, self._text = html, text

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._text


class NotebookProgress:
    """fit's progress bar in Jupyter: an HTML ``<progress>`` bar with the epoch count, the
    latest loss and the time left, updated in place (rich's live bar needs ipywidgets
    and showed an empty box without them; this works in any front end and in nbclient)."""

    def __init__(self, total: int, what: str = "epoch") -> None:
        self._clock = time.perf_counter
        self.total, self.what = total, what
        self.done, self.info = 0, ""
        self._started = self._clock()
        self._start_done = 0
        self._live = LiveDisplay()
        self._draw()

    def update(self, completed: int | None = None, advance: int = 0, info: str | None = None):
        if completed is not None:
            self.done = self._start_done = completed
            self._started = self._clock()
        self.done += advance
        if info is not None:
            self.info = info
        self._draw()

    def stop(self) -> None:
        self._draw(final=True)

    def _draw(self, final: bool = False) -> None:
        elapsed = self._clock() - self._started
        ran = self.done - self._start_done
        if final or self.done >= self.total:
            when = f"{elapsed:.1f} s"
        elif ran:
            when = f"{elapsed / ran * (self.total - self.done):.0f} s left"
        else:
            when = ""
        text = "  ".join(p for p in (f"{self.what} {self.done}/{self.total}", self.info, when)
                         if p)
        bar = (f'<progress value="{self.done}" max="{max(self.total, 1)}" '
               f'style="width: 18em; vertical-align: middle"></progress>')
        self._live.show(_Text(f"<div>{bar} <code>{html.escape(text)}</code></div>", text))


class _RichProgress:
    """fit's progress bar on a terminal: rich's, cleared when training ends."""

    def __init__(self, total: int, what: str = "epoch") -> None:
        # rich is optional (and slow to import): imported when a bar is shown
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)
        self._bar = Progress(TextColumn(what), MofNCompleteColumn(), BarColumn(),
                             TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                             transient=True)
        self._bar.start()
        self._task = self._bar.add_task(what, total=total, info="")

    def update(self, completed: int | None = None, advance: int = 0, info: str | None = None):
        fields = {} if info is None else {"info": info}
        if completed is not None:
            self._bar.update(self._task, completed=completed, **fields)
        self._bar.update(self._task, advance=advance, **fields)

    def stop(self) -> None:
        self._bar.stop()


def progress_bar(enabled: bool | None, total: int, what: str = "epoch"):
    """A progress bar with ``update(completed=, advance=, info=)`` and ``stop()``: an HTML
    bar updated in place in Jupyter, rich's on a terminal, None when not enabled.
    enabled=None: on in a notebook or on a terminal, off when output is redirected."""
    notebook = in_notebook()
    if enabled is None:
        enabled = notebook or sys.stdout.isatty()
    if not enabled:
        return None
    if notebook:
        return NotebookProgress(total, what)
    try:
        return _RichProgress(total, what)
    except ImportError:     # rich is optional: no bar rather than no training
        return None
