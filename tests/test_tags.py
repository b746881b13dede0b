"""Tag lists: pip's flags mode against recorded ``pip debug --verbose``, native mode against
the platform lists recorded in the shared cases, and the host against packaging."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging import tags as ptags

from wheelshim import InvalidTarget, Libc, Target
from wheelshim._tags import expand_pip_platforms, native_platforms

DATA = Path(__file__).parent / "data" / "pip_tags"
PIP_26 = json.loads((DATA / "pip-26.3.json").read_text())
CASES = Path(__file__).parents[2] / "shared" / "cases" / "public.jsonl"


def _host_matches(recorded: dict[str, Any]) -> bool:
    python = ".".join(map(str, sys.version_info[:3]))
    machine = f"linux-{platform.machine()}"
    return recorded["host_python"] == python and recorded["host_platform"] == machine


def _target_from_flags(flags: dict[str, Any]) -> Target:
    return Target.from_pip_flags(
        platforms=flags["platforms"],
        python_version=flags["python_version"],
        implementation=flags["implementation"],
        abis=flags["abis"],
    )


@pytest.mark.parametrize("record", PIP_26["targets"], ids=lambda record: record["id"])
def test_pip_flag_tags_equal_pip_debug(record: dict[str, Any]) -> None:
    if record.get("host_dependent") and not _host_matches(PIP_26):
        pytest.skip("recorded on another host: pip fills omitted flags from the host")
    assert [str(tag) for tag in _target_from_flags(record["flags"]).tags] == record["tags"]


def test_recording_covers_at_least_twenty_flag_targets() -> None:
    assert sum(not record.get("host_dependent") for record in PIP_26["targets"]) >= 20


@pytest.mark.parametrize("refused", PIP_26["refused"], ids=lambda record: record["id"])
def test_python_version_errors_match_pip(refused: dict[str, Any]) -> None:
    value = refused["argv"][refused["argv"].index("--python-version") + 1]
    with pytest.raises(InvalidTarget) as error:
        Target.from_pip_flags(python_version=value)
    assert str(error.value) in refused["error"]


def test_host_target_equals_sys_tags() -> None:
    assert list(Target.host().tags) == list(ptags.sys_tags())


def _native_cases() -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    seen: dict[str, dict[str, Any]] = {}
    for case in cases:
        target = case["target"]
        if target.get("libc") and not target.get("raw_platform_flag"):
            seen.setdefault(target["name"], target)
    return list(seen.values())


@pytest.mark.parametrize("target", _native_cases(), ids=lambda target: target["name"])
def test_native_platforms_equal_recorded_container_platforms(target: dict[str, Any]) -> None:
    kind, version = target["libc"].split()
    libc = Libc("glibc" if kind == "glibc" else "musl", tuple(map(int, version.split("."))))
    arch = target["platforms"][-1].removeprefix("linux_")
    assert list(native_platforms(arch, libc)) == target["platforms"]


def test_docker_target_tags_start_with_the_interpreter_abi_and_newest_glibc() -> None:
    target = Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
    assert str(target.tags[0]) == "cp39-cp39-manylinux_2_36_aarch64"
    assert str(target.tags[-1]) == "py30-none-any"
    assert target.platforms[-1] == "linux_aarch64"
    assert "manylinux_2_37_aarch64" not in target.platforms


def test_docker_target_equals_pip_flags_with_the_same_aarch64_platform_list() -> None:
    docker = Target.from_docker("linux/arm64", python="3.11", libc="glibc-2.36")
    flags = Target.from_pip_flags(
        platforms=list(docker.platforms),
        python_version="3.11",
        implementation="cp",
        abis=["cp311"],
    )
    assert docker.tags == flags.tags


def test_pip_flags_pull_legacy_x86_aliases_forward() -> None:
    # pip expands manylinux2014_x86_64 to manylinux2010/manylinux1 right after it, so the
    # same platform list ranks those above manylinux_2_16..2_12 in pip's --platform mode.
    docker = Target.from_docker("linux/amd64", python="3.11", libc="glibc-2.36")
    flags = Target.from_pip_flags(
        platforms=list(docker.platforms),
        python_version="3.11",
        implementation="cp",
        abis=["cp311"],
    )
    assert set(docker.tags) == set(flags.tags)
    assert flags.platforms.index("manylinux1_x86_64") < flags.platforms.index(
        "manylinux_2_16_x86_64"
    )
    assert docker.platforms.index("manylinux1_x86_64") > docker.platforms.index(
        "manylinux_2_5_x86_64"
    )


def test_free_threaded_target_has_no_abi3() -> None:
    target = Target.from_docker("linux/amd64", python="3.13t", libc="glibc-2.36")
    abis = {tag.abi for tag in target.tags}
    assert "cp313t" in abis
    assert "cp313" not in abis
    assert "abi3" not in abis


def test_pypy_target_uses_pp73_abi_and_no_abi3() -> None:
    target = Target.from_docker("linux/amd64", python="3.10", implementation="pp")
    assert str(target.tags[0]).startswith("pp310-pypy310_pp73-manylinux_2_41_x86_64")
    assert all(tag.abi != "abi3" for tag in target.tags)


def test_armv6_gets_no_manylinux() -> None:
    target = Target.from_docker("linux/arm/v6", python="3.11")
    assert target.platforms == ("linux_armv6l",)


def test_python_37_uses_the_pymalloc_abi() -> None:
    target = Target.from_docker("linux/amd64", python="3.7")
    assert target.abis[0] == "cp37m"


def test_pip_expands_only_legacy_manylinux_and_macos() -> None:
    assert expand_pip_platforms(["manylinux2010_i686", "linux_x86_64"]) == [
        "manylinux2010_i686",
        "manylinux1_i686",
        "linux_x86_64",
    ]
    mac = expand_pip_platforms(["macosx_11_0_arm64"])
    assert mac[0] == "macosx_11_0_arm64"
    assert "macosx_11_0_universal2" in mac


@pytest.mark.parametrize(
    "bad",
    ["linux/sparc", "windows/amd64", "arm64"],
)
def test_unknown_docker_platform_is_one_clear_error(bad: str) -> None:
    with pytest.raises(
        InvalidTarget, match=r"unknown Docker platform '.*': use one of linux/amd64"
    ):
        Target.from_docker(bad, python="3.9")


@pytest.mark.parametrize("bad", ["3", "three", "3.9.x", "3.12t"])
def test_bad_python_versions_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidTarget):
        Target.from_docker("linux/amd64", python=bad)


def test_image_sets_python_and_libc() -> None:
    slim = Target.from_image("python:3.9-slim-bullseye", docker_platform="linux/arm64")
    assert (slim.python.minor, slim.libc) == ((3, 9), Libc("glibc", (2, 31)))
    alpine = Target.from_image("python:3.9-alpine3.12")
    assert alpine.libc == Libc("musl", (1, 1))
    assert alpine.platforms[0] == "musllinux_1_1_x86_64"


def test_marker_environment_is_the_targets_not_the_hosts() -> None:
    target = Target.from_docker("linux/arm64", python="3.9.18")
    env = target.environment
    assert env["platform_machine"] == "aarch64"
    assert env["python_full_version"] == "3.9.18"
    assert env["python_version"] == "3.9"
    assert env["sys_platform"] == "linux"
