"""The article's cases against the real index (opt-in: ``nox -s live``)."""

from __future__ import annotations

import pytest

import wheelshim
from wheelshim import ExplainOptions, Outcome, ReasonCode, Target

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
