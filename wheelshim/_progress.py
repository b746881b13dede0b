"""A one-line progress display on stderr for long runs, shown only on a terminal."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts events from any thread and redraws one status line a few times a second.

    Disabled (the default for the library), it only counts. ``close()`` clears the line.
    """

    def __init__(self, stream: TextIO | None = None, *, interval: float = 0.2) -> None:
        self._stream = stream
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread: threading.Thread | None = None
        if stream is not None:
            self._thread = threading.Thread(
                target=self._run, args=(interval,), name="wheelshim-progress", daemon=True
            )
            self._thread.start()

    def add(self, event: str, count: int = 1) -> None:
        """Count ``count`` more of ``event`` (``pages``, ``metadata``, ``pinned`` ...)."""
        with self._lock:
            self._counts[event] += count

    def counts(self) -> dict[str, int]:
        """A snapshot of the counts."""
        with self._lock:
            return dict(self._counts)

    def _line(self) -> str:
        counts = self.counts()
        shown = ", ".join(f"{counts[key]} {key}" for key in sorted(counts))
        return f"wheelshim: {time.monotonic() - self._started:5.1f}s {shown}"

    def _run(self, interval: float) -> None:
        assert self._stream is not None
        while not self._stop.wait(interval):
            self._stream.write("\r" + self._line()[:100].ljust(100))
            self._stream.flush()

    def close(self) -> None:
        """Stop redrawing and clear the line."""
        self._stop.set()
        if self._thread is not None and self._stream is not None:
            self._thread.join()
            self._stream.write("\r" + " " * 100 + "\r")
            self._stream.flush()
