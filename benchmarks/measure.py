"""Run one process and measure it alone: wall time, CPU time and peak RSS.

``os.wait4`` returns the resource usage of exactly the process it reaps (plus the
descendants that process waited for), so every run gets its own CPU time and peak RSS,
unlike ``getrusage(RUSAGE_CHILDREN)``, whose ``ru_maxrss`` never goes down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measurement", "measure"]


@dataclass(frozen=True)
class Measurement:
    """One finished process: what it cost and what it printed."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int
    timed_out: bool
    stdout: str
    stderr: str


def _kill_group(pid: int, fired: list[bool]) -> None:
    fired.append(True)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def measure(
    argv: Sequence[str], env: Mapping[str, str], workdir: Path, timeout_s: float
) -> Measurement:
    """Run ``argv`` in ``workdir`` with exactly ``env``; kill its process group after
    ``timeout_s``. Output goes to files in ``workdir`` (no pipe can fill up and stall it)."""
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    fired: list[bool] = []
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        timer = threading.Timer(timeout_s, _kill_group, (proc.pid, fired))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        exit_code=proc.returncode,
        timed_out=bool(fired),
        stdout=_read(out_path),
        stderr=_read(err_path),
    )
