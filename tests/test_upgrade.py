"""upgrade: the smallest bumps, written back with nothing but specifiers changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from indexserver import IndexFile, IndexServer, make_sdist, make_wheel

from wheelshim import ExplainOptions, IndexOptions, Target
from wheelshim._cli import main
from wheelshim._upgrade import plan_upgrades

SDISTS = Path(__file__).parent / "data" / "sdists"
TARGETS = [
    Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36"),
    Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36"),
]
SETUP_WITH_C = (
    b"from setuptools import Extension, setup\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
)
REQUIREMENTS = """\
# pinned for the app
murmurhash==1.0.6  # keep this comment
six==1.16.0
fastlib==1.0 ; python_version >= "3" \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
stuck==1.0
"""


def _compiled_sdist(filename: str) -> IndexFile:
    content = make_sdist(filename, files={"setup.py": SETUP_WITH_C, "m.c": b"int x;\n"})
    return IndexFile(filename, content=content)


def _wheels(name: str, version: str) -> list[IndexFile]:
    return [
        IndexFile(
            f"{name}-{version}-cp39-cp39-manylinux_2_17_{arch}.manylinux2014_{arch}.whl",
            content=make_wheel(
                f"{name}-{version}-cp39-cp39-manylinux_2_17_{arch}.manylinux2014_{arch}.whl"
            ),
        )
        for arch in ("aarch64", "x86_64")
    ]


@pytest.fixture
def served(index: IndexServer, tmp_path: Path) -> Path:
    index.add_file("murmurhash-1.0.6.tar.gz", (SDISTS / "murmurhash-1.0.6.tar.gz").read_bytes())
    index.add_project(
        "fastlib",
        files=[
            _compiled_sdist("fastlib-1.0.tar.gz"),
            *_wheels("fastlib", "1.1"),
            *_wheels("fastlib", "2.0"),
        ],
    )
    index.add_project(
        "stuck", files=[_compiled_sdist("stuck-1.0.tar.gz"), _wheels("stuck", "1.1")[1]]
    )  # x86_64 only
    path = tmp_path / "requirements.txt"
    path.write_text(REQUIREMENTS)
    return path


def _options(index: IndexServer) -> ExplainOptions:
    return ExplainOptions(index=IndexOptions(index_url=index.url))


def test_plan_bumps_to_the_nearest_release_with_wheels_everywhere(
    served: Path, index: IndexServer
) -> None:
    plan = plan_upgrades(served, TARGETS, _options(index))
    bumps = {bump.project: bump for bump in plan.bumps}
    assert set(bumps) == {"murmurhash", "fastlib", "stuck"}  # six is a wheel everywhere
    assert bumps["murmurhash"].new == "==1.0.7"
    assert bumps["fastlib"].new == "==1.1"  # the smallest step, not the newest
    assert bumps["stuck"].new is None
    assert "no release of stuck" in (bumps["stuck"].why_not or "")
    assert any("linux/arm64" in problem for problem in bumps["stuck"].problems)
    assert not plan.complete
    assert any(item.startswith("stuck==1.0") for item in plan.remaining)


def test_rewrite_changes_only_specifiers_and_hashes(served: Path, index: IndexServer) -> None:
    plan = plan_upgrades(served, TARGETS, _options(index))
    lines = plan.updated.splitlines()
    assert lines[0] == "# pinned for the app"
    assert lines[1] == "murmurhash==1.0.7  # keep this comment"
    assert lines[2] == "six==1.16.0"
    assert lines[3] == 'fastlib==1.1 ; python_version >= "3" \\'
    new_hashes = [line.strip().rstrip(" \\") for line in lines[4:6]]
    assert all(h.startswith("--hash=sha256:") and "0000000000" not in h for h in new_hashes)
    assert lines[6] == "stuck==1.0"
    assert plan.diff().count("\n-") >= 2


def test_cli_write_then_explain_leaves_only_the_unfixable(
    served: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "upgrade",
        "-r",
        str(served),
        "--platform",
        "linux/arm64",
        "--platform",
        "linux/amd64",
        "--python",
        "3.9",
        "--libc",
        "glibc-2.36",
        "--index-url",
        index.url,
    ]
    assert main([*argv, "--write"]) == 1  # stuck cannot be fixed
    capsys.readouterr()
    assert "murmurhash==1.0.7" in served.read_text()
    assert main([*argv, "--format", "json"]) == 1
    plan = json.loads(capsys.readouterr().out)
    assert [bump["project"] for bump in plan["bumps"]] == ["stuck"]


def test_a_bump_that_breaks_the_resolution_is_reported(index: IndexServer, tmp_path: Path) -> None:
    name = "fastlib-1.1-cp39-cp39-manylinux_2_17_{0}.manylinux2014_{0}.whl"
    metadata = "Metadata-Version: 2.1\nName: fastlib\nVersion: 1.1\nRequires-Dist: six<1.0\n\n"
    wheels = [
        IndexFile(name.format(arch), content=make_wheel(name.format(arch), metadata))
        for arch in ("aarch64", "x86_64")
    ]
    index.add_project("fastlib", files=[_compiled_sdist("fastlib-1.0.tar.gz"), *wheels])
    path = tmp_path / "requirements.txt"
    path.write_text("six==1.16.0\nfastlib==1.0\n")
    plan = plan_upgrades(path, TARGETS, _options(index))
    assert [bump.new for bump in plan.bumps] == ["==1.1"]
    assert not plan.complete
    # A fully pinned file is checked pin against pin, naming both sides.
    assert any(
        item.startswith("fastlib==1.1 requires six<1.0 on linux/arm64")
        and item.endswith("but the file pins six==1.16.0")
        for item in plan.remaining
    )


OLD_PINS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpora" / "old-paperless-ng-2021-06.txt"
)


@pytest.mark.skipif(not OLD_PINS.exists(), reason=f"no corpus at {OLD_PINS}")
def test_old_pins_corpus_installs_from_wheels_after_the_upgrade(
    index: IndexServer, tmp_path: Path
) -> None:
    """The resolution issue's check, on recorded pages: upgrade --write on the 2021
    paperless-ng pins, then explain: nothing fails or needs a compiler on either target."""
    for sdist in SDISTS.glob("*.tar.gz"):
        index.add_file(sdist.name, sdist.read_bytes())
    path = tmp_path / "requirements.txt"
    path.write_text(OLD_PINS.read_text())
    plan = plan_upgrades(path, TARGETS, _options(index))
    assert plan.complete, plan.remaining
    bumped = {bump.project: bump.new for bump in plan.bumps}
    assert set(bumped) == {
        "httptools",
        "pikepdf",
        "psycopg2-binary",
        "python-levenshtein",
        "reportlab",
        "uvloop",
    }
    # The pure-Python sdists (inotify-simple, langdetect, tika) need no bump.
    plan.write()
    again = plan_upgrades(path, TARGETS, _options(index))
    assert again.bumps == ()
    assert again.remaining == ()


def test_a_parent_that_excludes_the_bump_is_bumped_too(index: IndexServer, tmp_path: Path) -> None:
    """uvicorn 0.14.0 pinned httptools==0.2.*: bumping httptools alone breaks the set, so
    the parent moves to its nearest release that admits the bump."""

    def wheel_with(name: str, version: str, requires: str = "") -> IndexFile:
        filename = f"{name}-{version}-py3-none-any.whl"
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}\n"
        return IndexFile(filename, content=make_wheel(filename, metadata))

    index.add_project(
        "fastlib", files=[_compiled_sdist("fastlib-1.0.tar.gz"), *_wheels("fastlib", "1.1")]
    )
    index.add_project(
        "server",
        files=[
            wheel_with("server", "1.0", "Requires-Dist: fastlib==1.0.*"),
            wheel_with("server", "1.1", "Requires-Dist: fastlib==1.0.*"),
            wheel_with("server", "1.2", "Requires-Dist: fastlib<2,>=1.0"),
        ],
    )
    path = tmp_path / "requirements.txt"
    path.write_text("fastlib==1.0\nserver==1.0\n")
    plan = plan_upgrades(path, TARGETS, _options(index))
    assert [(bump.project, bump.new) for bump in plan.bumps] == [
        ("fastlib", "==1.1"),
        ("server", "==1.2"),
    ]
    assert "server==1.0 requires fastlib==1.0.*" in plan.bumps[1].problems[0]
    assert plan.complete, plan.remaining
    assert plan.updated == "fastlib==1.1\nserver==1.2\n"
