"""Predictions against the real pip in an emulated linux/arm64 Debian (opt-in).

``shared/oracle`` runs pip inside a qemu-emulated arm64 Debian bookworm (Python 3.11,
glibc 2.36, no compiler: the situation of ``python:3.11-slim``), the way Docker on an
Apple Silicon Mac does. Set it up once (see its README), then::

    pytest --oracle /tmp/oracle --live tests/test_oracle.py

Each case runs pip for real (10 s to 2 min under emulation) and compares its outcome with
what wheelshim predicts from the index alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import wheelshim
from wheelshim import ExplainOptions, Outcome, ReasonCode, Target

pytestmark = [pytest.mark.oracle, pytest.mark.live]

BOOKWORM_ARM64 = Target.from_docker("linux/arm64", python="3.11.2", libc="bookworm")


def _oracle(request: pytest.FixtureRequest, requirement: str, *extra: str) -> dict[str, Any]:
    directory = Path(request.config.getoption("--oracle"))
    outcomes = directory / "results" / "outcomes.jsonl"
    before = outcomes.read_text().count("\n") if outcomes.exists() else 0
    subprocess.run(
        [sys.executable, str(directory / "oracle.py"), "-r", "bookworm", *extra, requirement],
        check=True,
        timeout=900,
    )
    new = outcomes.read_text().splitlines()[before:]
    (line,) = [json.loads(text) for text in new if json.loads(text)["req"] == requirement]
    return dict(line)


def _excerpt(outcome: dict[str, Any]) -> str:
    excerpt = outcome.get("error_excerpt") or ""
    return excerpt if isinstance(excerpt, str) else "\n".join(excerpt)


def _predict(requirement: str) -> wheelshim.Result:
    report = wheelshim.explain([requirement], [BOOKWORM_ARM64], ExplainOptions(no_deps=True))
    (result,) = report.results
    return result


def test_murmurhash_fails_on_msvccompiler_before_any_compiler(
    request: pytest.FixtureRequest,
) -> None:
    real = _oracle(request, "murmurhash==1.0.6")
    assert real["outcome"] == "sdist-build-failed"
    assert "msvccompiler" in _excerpt(real)
    predicted = _predict("murmurhash==1.0.6")
    assert predicted.outcome is Outcome.SDIST
    assert predicted.file is not None
    assert predicted.file.filename == real["chosen_file"]
    assert predicted.build is not None
    assert predicted.build.needs is not None
    assert any("msvccompiler" in b.evidence.describe() for b in predicted.build.needs.breakages)


def test_with_the_build_constraint_it_fails_on_the_missing_compiler(
    request: pytest.FixtureRequest,
) -> None:
    real = _oracle(request, "murmurhash==1.0.6", "--build-constraint", "setuptools<74")
    assert real["outcome"] == "sdist-build-failed"
    assert real["failed_stage"] == "build-wheel"
    assert "g++' failed" in _excerpt(real)
    predicted = _predict("murmurhash==1.0.6")
    assert predicted.build is not None
    assert predicted.build.prediction is not None
    toolchains = {r.toolchain.value for r in predicted.build.prediction.reasons if r.toolchain}
    assert "c++" in toolchains


def test_filprofiler_finds_no_distribution(request: pytest.FixtureRequest) -> None:
    real = _oracle(request, "filprofiler==2022.05.0")
    assert real["outcome"] == "no-matching-distribution"
    predicted = _predict("filprofiler==2022.05.0")
    assert predicted.outcome is Outcome.NO_MATCH
    (pip_error,) = [r for r in predicted.reasons if r.code is ReasonCode.PIP_ERROR]
    could_not_find = next(line for line in pip_error.data["lines"] if "Could not find" in line)  # type: ignore[attr-defined]
    assert could_not_find in _excerpt(real)
