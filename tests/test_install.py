"""wheelshim install: check for this machine, then hand over to pip (or not)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from indexserver import IndexFile, IndexServer, make_sdist

from wheelshim._cli import _pip_arguments, main
from wheelshim._install import missing_toolchains

SETUP_WITH_C = (
    b"from setuptools import Extension, setup\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
)


def test_pip_gets_every_argument_but_wheelshims_own() -> None:
    argv = ["install", "--check-only", "-r", "req.txt", "--user", "--target", "/x", "--force"]
    assert _pip_arguments(argv) == ["-r", "req.txt", "--user", "--target", "/x"]


def test_missing_toolchains_looks_at_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert missing_toolchains(["c", "rust"]) == ("c", "rust")
    assert missing_toolchains([]) == ()


def test_no_matching_distribution_blocks_pip(
    index: IndexServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda argv: called.append(argv) or 0)
    code = main(["install", "wheelshim-no-such-project-zz9", "--index-url", index.url])
    assert code == 1
    assert called == []
    assert "no matching distribution" in capsys.readouterr().err


def test_wheels_hand_over_to_pip_with_the_same_arguments(
    index: IndexServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    index.add_project("purepkg", files=[IndexFile("purepkg-1.0-py3-none-any.whl")])
    called: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda argv: called.append(argv) or 0)
    argv = [
        "install",
        "purepkg==1.0",
        "--no-deps",
        "--index-url",
        index.url,
        "--target",
        str(tmp_path),
    ]
    assert main(argv) == 0
    (pip_argv,) = called
    assert pip_argv[1:4] == ["-m", "pip", "install"]
    assert pip_argv[4:] == argv[1:]


def test_a_build_whose_compiler_is_missing_blocks(
    index: IndexServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = make_sdist("rusty-1.0.tar.gz", files={"setup.py": SETUP_WITH_C, "m.c": b"int x;"})
    index.add_project("rusty", files=[IndexFile("rusty-1.0.tar.gz", content=content)])
    monkeypatch.setenv("PATH", "/nonexistent")
    code = main(["install", "--check-only", "rusty==1.0", "--no-deps", "--index-url", index.url])
    err = capsys.readouterr().err
    assert code == 1
    assert "blocks: rusty-1.0.tar.gz (c; no c compiler on this machine)" in err
