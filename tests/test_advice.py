"""Build needs and fixes on results that are not wheels (the article's murmurhash case)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from indexserver import IndexServer

import wheelshim
from wheelshim import ExplainOptions, IndexOptions, Outcome, Target
from wheelshim._advice import FixKind, default_image
from wheelshim._cli import main

SDISTS = Path(__file__).parent / "data" / "sdists"
ARM64 = Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
AMD64 = Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36")


@pytest.fixture
def murmurhash(index: IndexServer) -> IndexServer:
    """The recorded index, with the (stripped) murmurhash 1.0.6 sdist served."""
    index.add_file("murmurhash-1.0.6.tar.gz", (SDISTS / "murmurhash-1.0.6.tar.gz").read_bytes())
    return index


def _explain(index: IndexServer, *targets: Target) -> wheelshim.Report:
    options = ExplainOptions(index=IndexOptions(index_url=index.url), no_deps=True)
    return wheelshim.explain(["murmurhash==1.0.6"], list(targets), options)


def test_build_needs_cpp_and_fails_on_msvccompiler_before_the_compiler(
    murmurhash: IndexServer,
) -> None:
    arm, _ = _explain(murmurhash, ARM64, AMD64).results
    assert arm.outcome is Outcome.SDIST
    build = arm.build
    assert build is not None
    assert build.needs is not None
    assert build.prediction is not None
    assert build.needs.compiler_needed
    assert [language.value for language in build.needs.languages][:1] == ["c++"]
    assert any("MurmurHash2.cpp" in (e.detail or "") for e in build.needs.evidence)
    (breakage,) = build.needs.breakages
    assert "msvccompiler" in breakage.evidence.describe()
    assert breakage.fix.constraint == "setuptools<74"
    assert build.image == "python:3.9-slim"
    assert build.prediction.result.value == "fails"
    slim_blockers = {r.kind.value for r in build.prediction.reasons if r.blocking}
    assert slim_blockers == {"breakage", "missing_toolchain"}
    assert build.full_image is not None
    full_blockers = {r.kind.value for r in build.full_image.reasons if r.blocking}
    assert full_blockers == {"breakage"}  # python:3.9 has g++: only the breakage is left


def test_fixes_are_checked_against_the_index(murmurhash: IndexServer) -> None:
    arm, amd = _explain(murmurhash, ARM64, AMD64).results
    assert amd.fixes == ()  # a wheel needs no fix
    kinds = [fix.kind for fix in arm.fixes]
    assert kinds == [
        FixKind.UPGRADE,
        FixKind.BUILD_DEPS,
        FixKind.EMULATE,
        FixKind.WHEELHOUSE,
        FixKind.CONDA_FORGE,
    ]
    upgrade, build_deps, emulate = arm.fixes[:3]
    assert upgrade.requirement == "murmurhash==1.0.7"
    assert upgrade.checked
    assert any(
        "apt-get install -y --no-install-recommends g++" in line for line in build_deps.lines
    )
    assert any("PIP_BUILD_CONSTRAINT" in line for line in build_deps.lines)
    assert amd.file is not None
    assert emulate.data["file"] == amd.file.filename
    assert "FROM --platform=linux/amd64 python:3.9-slim" in emulate.lines


def test_upgrade_needs_wheels_on_every_target(murmurhash: IndexServer) -> None:
    # 1.0.7 has aarch64 and x86_64 wheels for cp39, but no armv7l wheel: on an
    # arm/v7 target there is no release to upgrade to.
    armv7 = Target.from_docker("linux/arm/v7", python="3.9", libc="glibc-2.36")
    arm, armv7_result = _explain(murmurhash, ARM64, armv7).results
    assert FixKind.UPGRADE not in {fix.kind for fix in arm.fixes}
    assert FixKind.UPGRADE not in {fix.kind for fix in armv7_result.fixes}


def test_json_carries_build_and_fixes(
    murmurhash: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "explain",
            "murmurhash==1.0.6",
            "--platform",
            "linux/arm64",
            "--python",
            "3.9",
            "--libc",
            "glibc-2.36",
            "--index-url",
            murmurhash.url,
            "--format",
            "json",
            "--no-deps",
        ]
    )
    assert code == 1
    (result,) = json.loads(capsys.readouterr().out)["results"]
    build = result["build"]
    assert build["compiler_needed"] is True
    assert set(build["languages"]) >= {"c++"}
    assert build["result"] == "fails"
    assert {"file", "why"} <= set(build["evidence"][0])
    fixes = {fix["kind"]: fix for fix in result["fixes"]}
    assert fixes["upgrade"]["requirement"] == "murmurhash==1.0.7"
    assert any("g++" in line for line in fixes["build-deps"]["lines"])


def test_default_image_follows_the_target() -> None:
    assert default_image(ARM64) == "python:3.9-slim"
    alpine = Target.from_docker("linux/arm64", python="3.12", libc="musl-1.2")
    assert default_image(alpine) == "python:3.12-alpine"
    assert default_image(Target.from_image("python:3.11-bookworm")) == "python:3.11-bookworm"


def test_upgrade_fix_skips_a_release_that_breaks_the_resolution(index: IndexServer) -> None:
    from indexserver import IndexFile, make_sdist, make_wheel

    def wheels(version: str, requires: str) -> list[IndexFile]:
        name = f"fastlib-{version}-cp39-cp39-manylinux_2_17_{{0}}.manylinux2014_{{0}}.whl"
        metadata = f"Metadata-Version: 2.1\nName: fastlib\nVersion: {version}\n{requires}\n"
        return [
            IndexFile(name.format(arch), content=make_wheel(name.format(arch), metadata))
            for arch in ("aarch64", "x86_64")
        ]

    setup = (
        b"from setuptools import Extension, setup\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    sdist = make_sdist("fastlib-1.0.tar.gz", files={"setup.py": setup, "m.c": b"int x;"})
    index.add_project(
        "fastlib",
        files=[
            IndexFile("fastlib-1.0.tar.gz", content=sdist),
            *wheels("1.1", "Requires-Dist: six<1.0\n"),
            *wheels("2.0", ""),
        ],
    )
    options = ExplainOptions(index=IndexOptions(index_url=index.url))
    report = wheelshim.explain(["six==1.16.0", "fastlib==1.0"], [ARM64, AMD64], options)
    fastlib_arm = next(r for r in report.results if r.project == "fastlib" and r.target == ARM64)
    upgrade = next(fix for fix in fastlib_arm.fixes if fix.kind is FixKind.UPGRADE)
    assert upgrade.requirement == "fastlib==2.0"  # 1.1 has wheels but conflicts with six
    assert upgrade.data["resolved"] is True
