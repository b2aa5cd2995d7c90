"""A progress line on a terminal: `annotate: 1,204/2,285 files · 41 s · about 35 s left`.

Shown only when the stream is a terminal, and only once a run has taken about a second
(short runs print nothing extra); never in pipes or CI logs, which are not terminals.
The line is redrawn in place (carriage return) at most a few times a second and erased
when the run ends, so the output that follows starts on a clean line.
"""

from __future__ import annotations

import time
from typing import TextIO

SHOW_AFTER = 1.0  # seconds before the first line
REDRAW_EVERY = 0.2  # seconds between redraws


class ProgressLine:
    def __init__(self, what: str, total: int, stream: TextIO, *, enabled: bool | None = None) -> None:
        self.what, self.total, self.stream = what, total, stream
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.done = 0
        self.start = time.monotonic()
        self._drawn_at = 0.0
        self._width = 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and now - self.start >= SHOW_AFTER and now - self._drawn_at >= REDRAW_EVERY:
            self._draw(self.text(now))
            self._drawn_at = now

    def update(self, done: int, total: int) -> None:
        """`done` of `total` files (for work that counts its files itself)."""
        self.total = total
        self.advance(done - self.done)

    def text(self, now: float) -> str:
        elapsed = now - self.start
        line = f"{self.what}: {self.done:,}/{self.total:,} files · {_duration(elapsed)}"
        if 0 < self.done < self.total:
            line += f" · about {_duration(elapsed / self.done * (self.total - self.done))} left"
        return line

    def close(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _draw(self, line: str) -> None:
        padding = " " * max(0, self._width - len(line))
        self.stream.write("\r" + line + padding)
        self.stream.flush()
        self._width = max(self._width, len(line))


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
