"""A sweep's progress: runs done / total and an estimate of the time left. A rich
progress bar when stderr is a terminal and rich is installed, one plain line per
finished run otherwise (logs, CI), or lines handed to a callable."""
from __future__ import annotations

import sys
import time

from .table import shown

__all__ = ["Progress", "eta"]


def eta(elapsed: float, done: int, remaining: int) -> float | None:
    """Seconds left at the pace so far (None before the first run finishes)."""
    return elapsed / done * remaining if done else None


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _label(job) -> str:
    return " ".join(f"{k}={shown(v)}" for k, v in (*job.params.items(), ("seed", job.seed)))


class Progress:
    """progress: False (silent), True (bar or lines on stderr) or a callable taking lines.
    total: runs in the sweep; cached: those found in the cache (counted as done)."""

    def __init__(self, progress, total: int, cached: int, experiment: str, cache) -> None:
        self.total, self.done, self.new = total, cached, 0
        self.started = time.perf_counter()
        self.say, self.bar = None, None
        if not progress:
            return
        if callable(progress):
            self.say = progress
        elif sys.stderr.isatty() and self._rich(experiment):
            pass
        else:
            self.say = lambda line: print(line, file=sys.stderr, flush=True)
        if cached:
            self._print(f"{experiment}: {cached} of {total} runs found in the cache {cache}")

    def _rich(self, experiment: str) -> bool:
        try:
            # rich is optional: without it the plain progress line is printed
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)
        except ImportError:
            return False
        self.bar = Bar(TextColumn(f"sweep {experiment}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("runs"), TimeElapsedColumn(), TextColumn("ETA"),
                       TimeRemainingColumn(), console=Console(stderr=True))
        self.task = self.bar.add_task("runs", total=self.total, completed=self.done)
        self.bar.start()
        return True

    def _print(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, highlight=False, markup=False)
        elif self.say is not None:
            self.say(line)

    def advance(self, job, entry: dict) -> None:
        self.done += 1
        self.new += 1
        status = entry["status"]
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)
            if status != "ok":
                self._print(f"{_label(job)}: {status}: {entry.get('error')}")
            return
        if self.say is None:
            return
        left = eta(time.perf_counter() - self.started, self.new, self.total - self.done)
        seconds = entry.get("seconds")
        took = f", {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
        what = "ok" if status == "ok" else f"{status}: {entry.get('error')}"
        self.say(f"[{self.done}/{self.total}] {_label(job)}: {what}{took}; "
                 f"ETA {_clock(left) if self.done < self.total else '0 s'}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
