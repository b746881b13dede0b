"""Every outcome pip recorded in ``shared/cases`` is reproduced: same outcome, same file.

Each case gives pip's own target flags (``--platform`` list, ``--python-version``,
``--implementation``, ``--abi``), the options and what ``pip download --no-deps`` did.
By default the cases run against the recorded pages served on 127.0.0.1; with ``--live``
(``nox -s live``) they run against the real index, and ``WHEELSHIM_CASES`` may name
another file of cases in the same format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from indexserver import IndexServer

import wheelshim
from wheelshim import ExplainOptions, IndexOptions, Outcome, ReasonCode, Target

_DEFAULT_CASES = Path(__file__).resolve().parents[2] / "shared" / "cases" / "public.jsonl"
CASES_FILE = Path(os.environ.get("WHEELSHIM_CASES", _DEFAULT_CASES))
# pip reports a requirement whose marker is false as "Ignoring ...": wheelshim's "skipped".
_OUTCOMES = {"ignored": Outcome.SKIPPED}
_RECORDED_PREFIXES = ("ERROR: Could not find", "ERROR: No matching")


def _load_cases() -> list[dict[str, Any]]:
    if not CASES_FILE.exists():
        return []
    return [json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip()]


CASES = _load_cases()


def _expected(case: dict[str, Any]) -> dict[str, Any]:
    """pip 26.3's answer where the recorded pip versions disagree (wheelshim follows the
    strict wheel-filename parsing and messages of current pip); else the recorded one."""
    if not case.get("pip_versions_agree", True) and "26.3" in case.get("oracles", {}):
        return dict(case["oracles"]["26.3"])
    return case


def _target(case: dict[str, Any]) -> Target:
    flags = case["target"]
    return Target.from_pip_flags(
        platforms=flags["platforms"],
        python_version=flags["python_version"],
        implementation=flags["implementation"],
        abis=[flags["abi"]],
    )


def _options(case: dict[str, Any], index_url: str) -> ExplainOptions:
    raw = case["options"]
    formats = [("only-binary", raw["only_binary"])] if raw.get("only_binary") else []
    formats += [("no-binary", raw["no_binary"])] if raw.get("no_binary") else []
    return ExplainOptions(
        index=IndexOptions(index_url=index_url),
        no_deps=True,
        advise=False,
        formats=tuple(formats),
        pre=bool(raw.get("pre")),
        prefer_binary=bool(raw.get("prefer_binary")),
    )


@pytest.fixture
def index_url(request: pytest.FixtureRequest) -> str:
    """The recorded index, or the live one when the run is live."""
    if request.config.getoption("--live") or os.environ.get("WHEELSHIM_LIVE_RUN") == "1":
        from wheelshim._config import pip_default_index_url

        url = pip_default_index_url()
        assert url, "live cases need pip installed (its default index) or PIP_INDEX_URL"
        return url
    server: IndexServer = request.getfixturevalue("index")
    return server.url


@pytest.mark.skipif(not CASES, reason=f"no cases file at {CASES_FILE}")
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.get("id", case["req"]))
def test_case_reproduces_pip(case: dict[str, Any], index_url: str) -> None:
    expected = _expected(case)
    report = wheelshim.explain([case["req"]], [_target(case)], _options(case, index_url))
    (result,) = report.results
    codes = {reason.code for reason in result.reasons}
    want = _OUTCOMES.get(expected["outcome"]) or Outcome(expected["outcome"])
    if want is Outcome.SKIPPED and result.outcome is not Outcome.SKIPPED:
        # pip's --platform mode evaluates markers on the host (PIP_RULES D5); wheelshim
        # evaluates them for the target and must say that pip would ignore the line.
        assert ReasonCode.PIP_HOST_MARKERS in codes, result.reasons
        return
    assert result.outcome is want
    assert (result.file.filename if result.file else None) == expected["chosen_file"]
    if want is Outcome.NO_MATCH and expected.get("pip_message"):
        (pip_error,) = [r for r in result.reasons if r.code is ReasonCode.PIP_ERROR]
        lines = pip_error.data["lines"]
        assert isinstance(lines, tuple)
        # The recorder kept pip's "Could not find" and "No matching" lines only.
        assert [line for line in lines if line.startswith(_RECORDED_PREFIXES)] == expected[
            "pip_message"
        ]
