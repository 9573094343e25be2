"""A plain-text progress bar on stderr: redrawn in place on a terminal, one line per student otherwise.

>>> import io
>>> out = io.StringIO()
>>> bar = Progress(3, "grading ps1", stream=out)
>>> bar.update("alice", "graded", 1.2)
>>> bar.update("bob", "kernel died", 0.8)
>>> print(out.getvalue().splitlines()[-1])
grading ps1  [######....] 2/3  1 failed  ETA 0:00  bob: kernel died (0.8 s)
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "format_seconds"]

OK_STATUSES = frozenset({"graded", "skipped"})


def format_seconds(seconds: float) -> str:
    """``h:mm:ss`` for a duration.

    >>> format_seconds(42), format_seconds(3725)
    ('0:42', '1:02:05')
    """
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts finished students and draws ``label [####......] done/total  N failed  ETA m:ss``."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, width: int = 10) -> None:
        self.total = total
        self.label = label
        self.stream = stream
        self.width = width
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def bar(self) -> str:
        """The bar and counters, without the last student's name."""
        filled = int(self.width * self.done / self.total) if self.total else self.width
        text = f"{self.label}  [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
        if self.failed:
            text += f"  {self.failed} failed"
        if 0 < self.done < self.total:
            elapsed = time.monotonic() - self.started
            text += f"  ETA {format_seconds(elapsed / self.done * (self.total - self.done))}"
        return text

    def update(self, student: str, status: str, seconds: float) -> None:
        """Count one finished student and redraw."""
        self.done += 1
        if status not in OK_STATUSES:
            self.failed += 1
        if self.stream is None:
            return
        line = f"{self.bar()}  {student}: {status} ({seconds:.1f} s)"
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """Print a line without disturbing the bar."""
        if self.stream is None:
            return
        if self.tty:
            self.stream.write("\r\x1b[K" + text + "\n" + self.bar())
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self.stream is not None and self.tty and self.done != self.total:
            self.stream.write("\n")
            self.stream.flush()


if __name__ == "__main__":  # pragma: no cover - manual demo
    demo = Progress(5, "grading demo", stream=sys.stderr)
    for name in "abcde":
        time.sleep(0.2)
        demo.update(name, "graded", 0.2)
