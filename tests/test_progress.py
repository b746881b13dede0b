"""The progress display: silent unless given a stream, and it cleans up after itself."""

from __future__ import annotations

import io
import time

from wheelshim._progress import Progress


def test_disabled_progress_only_counts() -> None:
    progress = Progress()
    progress.add("pages", 3)
    progress.add("metadata")
    progress.close()
    assert progress.counts() == {"pages": 3, "metadata": 1}


def test_enabled_progress_redraws_then_clears_its_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interval=0.01)
    progress.add("pages", 2)
    deadline = time.monotonic() + 2
    while "2 pages" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    progress.close()
    written = stream.getvalue()
    assert "2 pages" in written
    assert written.endswith("\r" + " " * 100 + "\r")
