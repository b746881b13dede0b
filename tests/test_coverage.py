"""The coverage command: a release's wheels by platform, its history, and the trap."""

from __future__ import annotations

import json

import pytest
from indexserver import IndexServer

import wheelshim
from wheelshim import ExplainOptions, IndexOptions, InvalidRequirement
from wheelshim._cli import main


def _options(index: IndexServer) -> ExplainOptions:
    return ExplainOptions(index=IndexOptions(index_url=index.url))


def test_trap_release_has_macos_arm64_but_no_linux_aarch64(index: IndexServer) -> None:
    report = wheelshim.coverage("murmurhash==1.0.11", _options(index))
    labels = {group.label for group in report.release.groups}
    assert "macOS arm64" in labels
    assert "linux aarch64" not in labels
    assert report.trap
    assert "linux aarch64" in report.missing_linux
    assert any("CIBW_ARCHS_LINUX" in setting for setting in report.cibuildwheel)


def test_history_names_the_first_release_per_platform(index: IndexServer) -> None:
    report = wheelshim.coverage("murmurhash==1.0.6", _options(index))
    first = {h.label: h.first_version for h in report.history}
    assert first["linux aarch64"] == "1.0.7"
    assert first["macOS arm64"] == "1.0.7"
    assert not report.trap  # 1.0.6 has no macOS arm64 wheel either
    assert report.pythons == ("cp36", "cp37", "cp38", "cp39", "cp310")


def test_pure_python_release_misses_nothing(index: IndexServer) -> None:
    report = wheelshim.coverage("six==1.16.0", _options(index))
    assert report.missing_linux == ()
    assert report.cibuildwheel == ()


def test_free_threaded_wheels_are_their_own_column(index: IndexServer) -> None:
    report = wheelshim.coverage("numpy==2.1.0", _options(index))
    assert "cp313t" in report.pythons
    assert not any("freethreading" in setting for setting in report.cibuildwheel)


@pytest.mark.parametrize("bad", ["numpy>=1", "numpy==1,==2", "https://index.test/x.whl"])
def test_coverage_takes_a_name_or_a_pin(bad: str, index: IndexServer) -> None:
    with pytest.raises(InvalidRequirement):
        wheelshim.coverage(bad, _options(index))


def test_coverage_cli_json(index: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "murmurhash==1.0.11", "--index-url", index.url,
                 "--format", "json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == "1.0.11"
    assert data["trap_macos_arm64_without_linux_aarch64"] is True
    assert {"label", "pythons"} <= set(data["platforms"][0])


def test_coverage_cli_unknown_release_is_exit_2(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coverage", "murmurhash==9.9.9", "--index-url", index.url]) == 2
    assert "no files for murmurhash==9.9.9" in capsys.readouterr().err
