"""explain(): the article's cases, the reasons as data, and the command line around it."""

from __future__ import annotations

import dataclasses
import json

import pytest
from indexserver import IndexFile, IndexServer

import wheelshim
from wheelshim import ExplainOptions, IndexOptions, Outcome, ReasonCode, Target
from wheelshim._cli import main

ARM64 = Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
AMD64 = Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36")


def _options(index: IndexServer, **changes: object) -> ExplainOptions:
    return ExplainOptions(
        index=IndexOptions(index_url=index.url, retries=2), no_deps=True, **changes
    )  # type: ignore[arg-type]


def _codes(result: wheelshim.Result) -> set[ReasonCode]:
    return {reason.code for reason in result.reasons}


def test_murmurhash_builds_from_source_on_arm64_but_has_a_wheel_on_amd64(
    index: IndexServer,
) -> None:
    report = wheelshim.explain(["murmurhash==1.0.6"], [ARM64, AMD64], _options(index))
    arm, amd = report.results
    assert (arm.outcome, arm.file and arm.file.filename) == (
        Outcome.SDIST,
        "murmurhash-1.0.6.tar.gz",
    )
    assert amd.outcome is Outcome.WHEEL
    assert amd.file is not None
    assert "cp39-cp39-manylinux" in amd.file.filename
    assert "x86_64" in amd.file.filename
    assert amd.matched_tag == "cp39-cp39-manylinux_2_17_x86_64"
    why = next(r for r in arm.reasons if r.code is ReasonCode.NO_COMPATIBLE_WHEEL)
    assert "linux x86_64 cp36–cp310" in why.message
    assert why.message.endswith("none for linux aarch64 cp39")
    kinds = {r.data["kind"] for r in arm.reasons if r.code is ReasonCode.TAG_MISMATCH}
    assert kinds == {"architecture", "operating-system"}
    assert report.exit_code == 1


def test_filprofiler_is_no_match_on_arm64_with_pips_version_list(index: IndexServer) -> None:
    report = wheelshim.explain(["filprofiler==2022.05.0"], [ARM64, AMD64], _options(index))
    arm, amd = report.results
    assert arm.outcome is Outcome.NO_MATCH
    (pip_error,) = [r for r in arm.reasons if r.code is ReasonCode.PIP_ERROR]
    lines = pip_error.data["lines"]
    assert isinstance(lines, tuple)
    assert lines[-2].startswith(
        "ERROR: Could not find a version that satisfies the requirement "
        "filprofiler==2022.05.0 (from versions: 2022.9.1, 2022.9.2, 2022.9.3, 2023.1.0"
    )
    assert lines[-1] == "ERROR: No matching distribution found for filprofiler==2022.05.0"
    assert "NO_WHEELS_PUBLISHED" not in _codes(arm)
    coverage = next(r for r in arm.reasons if r.code is ReasonCode.NO_COMPATIBLE_WHEEL)
    assert coverage.data["version"] == "2022.5.0"
    assert amd.file is not None
    assert (
        amd.file.filename
        == "filprofiler-2022.5.0-cp39-cp39-manylinux_2_12_x86_64.manylinux2010_x86_64.whl"
    )


def test_macos_arm64_wheel_is_called_out_for_a_linux_container(index: IndexServer) -> None:
    index.add_project(
        "trap",
        files=[
            IndexFile("trap-1.0-cp39-cp39-macosx_11_0_arm64.whl"),
            IndexFile("trap-1.0-cp39-cp39-manylinux2014_x86_64.whl"),
            IndexFile("trap-1.0.tar.gz"),
        ],
    )
    (result,) = wheelshim.explain(["trap==1.0"], [ARM64], _options(index)).results
    assert result.outcome is Outcome.SDIST
    assert ReasonCode.MACOS_ARM64_ONLY in _codes(result)


def test_glibc_too_old_is_named(index: IndexServer) -> None:
    index.add_project(
        "newglibc",
        files=[IndexFile("newglibc-1.0-cp39-cp39-manylinux_2_39_aarch64.whl")],
    )
    (result,) = wheelshim.explain(["newglibc"], [ARM64], _options(index)).results
    assert result.outcome is Outcome.NO_MATCH
    mismatch = next(r for r in result.reasons if r.code is ReasonCode.TAG_MISMATCH)
    assert mismatch.data["kind"] == "libc-too-old"
    assert mismatch.data["needed"] == "glibc 2.36"


def test_only_binary_turns_the_sdist_into_no_match(index: IndexServer) -> None:
    options = _options(index, formats=(("only-binary", ":all:"),))
    (result,) = wheelshim.explain(["murmurhash==1.0.6"], [ARM64], options).results
    assert result.outcome is Outcome.NO_MATCH
    assert ReasonCode.ONLY_BINARY in _codes(result)


def test_marker_false_on_target_is_skipped_whatever_the_host(index: IndexServer) -> None:
    (result,) = wheelshim.explain(
        ['six; platform_machine == "x86_64"'], [ARM64], _options(index)
    ).results
    assert result.outcome is Outcome.SKIPPED
    assert ReasonCode.MARKER_FALSE in _codes(result)


def test_yanked_pin_is_taken_with_a_warning(index: IndexServer) -> None:
    index.add_project(
        "yank",
        files=[IndexFile("yank-1.0-py3-none-any.whl"), IndexFile("yank-1.1-py3-none-any.whl")],
    )
    index.mark_yanked("yank", "yank-1.1-py3-none-any.whl", reason="broken")
    pinned, loose = wheelshim.explain(["yank==1.1", "yank"], [ARM64], _options(index)).results
    assert pinned.version == "1.1"
    yanked = next(r for r in pinned.reasons if r.code is ReasonCode.YANKED_CHOSEN)
    assert yanked.data["reason"] == "broken"
    assert loose.version == "1.0"
    assert ReasonCode.YANKED_SKIPPED in _codes(loose)


def test_unknown_project_is_no_match_naming_the_index(index: IndexServer) -> None:
    (result,) = wheelshim.explain(
        ["wheelshim-no-such-project-zz9"], [ARM64], _options(index)
    ).results
    assert result.outcome is Outcome.NO_MATCH
    assert ReasonCode.PROJECT_NOT_FOUND in _codes(result)


def test_a_500_then_success_is_retried(index: IndexServer) -> None:
    index.fail("/simple/six/", times=1, status=500)
    (result,) = wheelshim.explain(["six==1.16.0"], [ARM64], _options(index)).results
    assert result.outcome is Outcome.WHEEL
    assert index.count(path="/simple/six/") == 2


# --- command line -------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json_contract(index: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "explain", "murmurhash==1.0.6", "--platform", "linux/arm64",
        "--platform", "linux/amd64", "--python", "3.9", "--libc", "glibc-2.36",
        "--index-url", index.url, "--format", "json", "--no-deps",
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert data["schema"] == 1
    target_keys = {"id", "docker_platform", "python_version", "implementation", "abis",
                   "platforms", "libc"}  # fmt: skip
    assert all(target_keys <= set(target) for target in data["targets"])
    assert [t["docker_platform"] for t in data["targets"]] == ["linux/arm64", "linux/amd64"]
    result_keys = {"requirement", "project", "target", "outcome", "version", "file", "reasons"}
    assert all(result_keys <= set(result) for result in data["results"])
    assert [r["outcome"] for r in data["results"]] == ["sdist", "wheel"]
    target_ids = {t["id"] for t in data["targets"]}
    assert {r["target"] for r in data["results"]} == target_ids
    assert all(
        {"code", "message"} <= set(reason) for r in data["results"] for reason in r["reasons"]
    )


def test_cli_exit_zero_when_everything_is_a_wheel(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "explain", "six==1.16.0", "--platform", "linux/arm64", "--python", "3.9",
        "--index-url", index.url,
    )  # fmt: skip
    assert code == 0
    assert "six-1.16.0-py2.py3-none-any.whl" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "six", "--platform", "linux/sparc"], "unknown Docker platform 'linux/sparc'"),
        (["explain", "numpy=1.0", "--platform", "linux/arm64"], "invalid requirement 'numpy=1.0'"),
        (["explain", "six", "--python", "three"], "invalid Python version 'three'"),
        (["explain", "six", "--libc", "glibc2"], "invalid libc 'glibc2'"),
        (["explain", "six", "--platform", "x", "--python-version", "3.x"], "each version part"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, *argv, "--index-url", index.url)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("mode", [[], ["--no-deps"]], ids=["resolved", "no-deps"])
def test_cli_unreachable_index_exits_3_and_keeps_partial_results(
    mode: list[str], index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index.fail("/simple/numpy/", times=10, status=503)
    code, out, err = _run(
        capsys, "explain", "six==1.16.0", "numpy==1.21.0", "--platform", "linux/arm64",
        "--python", "3.9", "--index-url", index.url, "--retries", "1", "--format", "json",
        *mode,
    )  # fmt: skip
    assert code == 3
    data = json.loads(out)
    assert [r["project"] for r in data["results"]] == ["six"]
    assert data["errors"][0]["project"] == "numpy"
    assert "numpy" in err
    assert "503" in err


def test_credentials_never_appear_in_output(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_url = index.url.replace("http://", "http://user:s3cret@")
    index.fail("/simple/numpy/", times=10, status=503)
    code, out, err = _run(
        capsys, "explain", "six==1.16.0", "numpy", "--platform", "linux/arm64",
        "--index-url", secret_url, "--retries", "0", "--format", "json",
    )  # fmt: skip
    assert code == 3
    assert "s3cret" not in out + err
    assert "user:****@" in out + err


def test_tags_command_prints_the_targets_tags(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "tags", "--platform", "linux/arm64", "--python", "3.9")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "cp39-cp39-manylinux_2_41_aarch64"
    assert lines == [str(tag) for tag in Target.from_docker("linux/arm64", python="3.9").tags]


def test_public_api_is_pinned() -> None:
    assert set(wheelshim.__all__) == {
        "ArchiveError", "ConfigurationError", "DistributionFile", "ExplainOptions",
        "IndexOptions", "IndexUnreachable", "InputError", "InvalidRequirement",
        "InvalidRequirementsFile", "InvalidTarget", "Libc", "OfflineCacheMiss", "Outcome",
        "ProjectFiles", "PythonSpec", "Reason", "ReasonCode", "Report", "Result", "Target",
        "TargetOptions", "WheelshimError", "__version__", "explain", "render_json",
        "render_markdown", "render_text", "report_json", "targets_from_options", "coverage",
        "BuildReport", "Bump", "CoverageReport", "Fix", "FixKind", "UpgradePlan", "plan_upgrades",
    }  # fmt: skip
    for name in wheelshim.__all__:
        assert getattr(wheelshim, name) is not None


def test_pips_configured_constraint_file_narrows_the_choice(
    index: IndexServer, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    constraints = tmp_path / "constraints.txt"  # type: ignore[operator]
    constraints.write_text("six<1.16\n")
    config = tmp_path / "pip.conf"  # type: ignore[operator]
    config.write_text(f"[global]\nconstraint = {constraints}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    (result,) = wheelshim.explain(["six"], [ARM64], _options(index)).results
    assert result.version == "1.15.0"
    note = next(r for r in result.reasons if r.code is ReasonCode.CONSTRAINED)
    assert "six<1.16" in note.message


def test_an_html_only_index_gives_the_same_answers(index: IndexServer) -> None:
    requirements = ["murmurhash==1.0.6", "filprofiler==2022.05.0", "cryptography==44.0.0"]
    as_json = wheelshim.explain(requirements, [ARM64, AMD64], _options(index, advise=False))
    index.config = dataclasses.replace(index.config, html_only=True)
    as_html = wheelshim.explain(
        requirements, [ARM64, AMD64], _options(index, refresh=True, advise=False)
    )
    picked = [(r.outcome, r.file and r.file.filename) for r in as_json.results]
    assert [(r.outcome, r.file and r.file.filename) for r in as_html.results] == picked


def test_a_server_that_stalls_past_the_timeout_is_retried_then_reported(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index.delay("/simple/six/", 5)
    code, _, err = _run(
        capsys, "explain", "six==1.16.0", "--platform", "linux/arm64", "--python", "3.9",
        "--index-url", index.url, "--timeout", "0.3", "--retries", "1", "--no-deps",
    )  # fmt: skip
    assert code == 3
    assert "after 2 attempts (timed out)" in err
