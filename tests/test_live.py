"""The article's cases against the real index (opt-in: ``nox -s live``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import wheelshim
from wheelshim import ExplainOptions, Outcome, ReasonCode, Target
from wheelshim._upgrade import plan_upgrades

pytestmark = pytest.mark.live

ARM64 = Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
AMD64 = Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36")
NO_DEPS = ExplainOptions(no_deps=True)


def test_murmurhash_1_0_6_builds_on_arm64_and_is_a_wheel_on_amd64() -> None:
    arm, amd = wheelshim.explain(["murmurhash==1.0.6"], [ARM64, AMD64], NO_DEPS).results
    assert arm.outcome is Outcome.SDIST
    assert arm.file is not None
    assert arm.file.filename == "murmurhash-1.0.6.tar.gz"
    assert amd.outcome is Outcome.WHEEL
    assert amd.file is not None
    assert amd.file.filename.startswith("murmurhash-1.0.6-cp39-cp39-manylinux")


def test_filprofiler_2022_05_0_is_no_match_on_arm64() -> None:
    arm, amd = wheelshim.explain(["filprofiler==2022.05.0"], [ARM64, AMD64], NO_DEPS).results
    assert arm.outcome is Outcome.NO_MATCH
    pip_error = next(r for r in arm.reasons if r.code is ReasonCode.PIP_ERROR)
    assert "(from versions: 2022.9.1, 2022.9.2, 2022.9.3" in pip_error.message
    assert amd.file is not None
    assert (
        amd.file.filename
        == "filprofiler-2022.5.0-cp39-cp39-manylinux_2_12_x86_64.manylinux2010_x86_64.whl"
    )


def test_upgrade_write_on_the_old_pins_corpus_leaves_nothing_failing(tmp_path: Path) -> None:
    """`upgrade --write` on paperless-ng's 2021 pins, then explain: every requirement
    installs from a wheel (or a pure-Python sdist) on both targets. What still keeps the
    set from resolving is named, both sides (uvicorn 0.14.0 pins httptools 0.2.*)."""
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpora"
    path = tmp_path / "requirements.txt"
    path.write_text((corpus / "old-paperless-ng-2021-06.txt").read_text())
    plan = plan_upgrades(path, [ARM64, AMD64], ExplainOptions())
    plan.write()
    bumped = {bump.project for bump in plan.bumps if bump.new}
    assert bumped >= {"httptools", "psycopg2-binary", "reportlab", "pikepdf"}
    assert all(" requires " in item and ", but the file pins " in item for item in plan.remaining)
    assert any(item.startswith("uvicorn==0.14.0 requires httptools") for item in plan.remaining)
    options = ExplainOptions(requirement_files=(str(path),), no_deps=True)
    report = wheelshim.explain([], [ARM64, AMD64], options)
    assert [r for r in report.results if r.outcome is Outcome.NO_MATCH] == []
    builds = [r for r in report.results if r.outcome is Outcome.SDIST]
    assert all(r.build and r.build.needs and not r.build.needs.compiler_needed for r in builds)
