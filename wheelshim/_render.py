"""Reports rendered as text (for people), JSON (for tools) and Markdown (for PRs and CI).

Rendering never decides anything: it only lays out the data in :mod:`wheelshim._outcome`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from wheelshim._outcome import Outcome, Reason, ReasonCode, Report, Result
from wheelshim._redact import redact_url
from wheelshim._target import Target

__all__ = ["JSON_SCHEMA_VERSION", "render_json", "render_markdown", "render_text", "report_json"]

JSON_SCHEMA_VERSION = 1

_VERDICT = {
    Outcome.WHEEL: "wheel",
    Outcome.SDIST: "sdist",
    Outcome.NO_MATCH: "no-match",
    Outcome.SKIPPED: "skipped",
}
_OUTCOME_WORDS = {
    Outcome.WHEEL: "installs the wheel",
    Outcome.SDIST: "builds from source",
    Outcome.NO_MATCH: "pip fails: No matching distribution found",
    Outcome.SKIPPED: "not installed: its marker is false on this target",
}
# Codes whose message repeats what the outcome line already shows.
_OBVIOUS = frozenset({ReasonCode.WHEEL_CHOSEN, ReasonCode.SDIST_CHOSEN})


def target_json(target: Target) -> dict[str, Any]:
    """The fixed JSON shape of a target (schema 1)."""
    return {
        "id": target.id,
        "docker_platform": target.docker_platform,
        "python_version": str(target.python).rstrip("t") if target.python else None,
        "free_threaded": target.python.free_threaded,
        "implementation": target.implementation,
        "abis": list(target.abis),
        "platforms": list(target.platforms),
        "libc": str(target.libc) if target.libc else None,
        "libc_note": target.libc_note,
        "image": target.image,
        "pip_flag_mode": target.pip_flag_mode,
    }


def result_json(result: Result) -> dict[str, Any]:
    """The fixed JSON shape of a result (schema 1), with a few extra keys."""
    return {
        "requirement": result.requirement,
        "project": result.project,
        "target": result.target.id,
        "outcome": str(result.outcome),
        "version": result.version,
        "file": result.file.filename if result.file else None,
        "url": redact_url(result.file.url) if result.file else None,
        "matched_tag": result.matched_tag,
        "via": list(result.via),
        "reasons": [reason.as_json() for reason in result.reasons],
    }


def report_json(report: Report, errors: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The whole report as a JSON-ready mapping."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "targets": [target_json(target) for target in report.targets],
        "results": [result_json(result) for result in report.results],
        "sources": [redact_url(source) for source in report.sources],
        "errors": [{"project": project, "message": message} for project, message in errors],
    }


def render_json(report: Report, errors: Iterable[tuple[str, str]] = ()) -> str:
    """``report_json`` serialised with stable key order."""
    return json.dumps(report_json(report, errors), indent=2, ensure_ascii=False)


def _requirements_in_order(results: Sequence[Result]) -> list[str]:
    return list(dict.fromkeys(result.requirement for result in results))


def _shown_reasons(reasons: Iterable[Reason]) -> list[str]:
    return [
        reason.message
        for reason in reasons
        if reason.code not in _OBVIOUS and reason.code is not ReasonCode.PIP_ERROR
    ]


def _pip_lines(reasons: Iterable[Reason]) -> list[str]:
    lines: list[str] = []
    for reason in reasons:
        if reason.code is ReasonCode.PIP_ERROR:
            shown = reason.data.get("lines", ())
            if isinstance(shown, tuple):
                lines.extend(str(line) for line in shown)
    return lines


def _explanation_lines(result: Result) -> list[str]:
    lines = [f"      pip: {line}" for line in _pip_lines(result.reasons)]
    lines.extend(f"      - {message}" for message in _shown_reasons(result.reasons))
    return lines


def _result_line(result: Result, width: int) -> str:
    detail = result.file.filename if result.file else _OUTCOME_WORDS[result.outcome]
    return f"  {result.target.id:<{width}}  {_VERDICT[result.outcome]:<8}  {detail}".rstrip()


def render_text(report: Report, *, verbose: bool = False) -> str:
    """Readable text: per requirement, one line per target, then the reasons."""
    width = max((len(target.id) for target in report.targets), default=10)
    lines: list[str] = []
    for requirement in _requirements_in_order(report.results):
        lines.append(requirement)
        for result in report.for_requirement(requirement):
            lines.append(_result_line(result, width))
            if result.outcome is Outcome.WHEEL and not verbose:
                continue
            lines.extend(_explanation_lines(result))
        lines.append("")
    lines.extend(_target_notes(report.targets))
    return "\n".join(lines).rstrip() + "\n"


def _target_notes(targets: Sequence[Target]) -> list[str]:
    notes = ["targets:"]
    for target in targets:
        if target.libc_note:
            notes.append(f"  {target.id}: {target.libc_note}")
        elif target.pip_flag_mode:
            notes.append(f"  {target.id}: pip's --platform/--python-version semantics")
        else:
            notes.append(f"  {target.id}")
    return notes


def render_markdown(report: Report) -> str:
    """A Markdown table (requirements down, targets across) and the reasons below it."""
    header = ["requirement", *(f"`{target.id}`" for target in report.targets)]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    details: list[str] = []
    for requirement in _requirements_in_order(report.results):
        results = report.for_requirement(requirement)
        cells = [f"`{requirement}`", *(_markdown_cell(result) for result in results)]
        rows.append("| " + " | ".join(cells) + " |")
        for result in results:
            if result.outcome in (Outcome.SDIST, Outcome.NO_MATCH):
                details.append(
                    f"- **{requirement}** on `{result.target.id}`: {_OUTCOME_WORDS[result.outcome]}"
                )
                details.extend(f"  - pip: `{line}`" for line in _pip_lines(result.reasons))
                details.extend(f"  - {message}" for message in _shown_reasons(result.reasons))
    return "\n".join([*rows, "", *details]).rstrip() + "\n"


def _markdown_cell(result: Result) -> str:
    marks = {Outcome.WHEEL: "✅", Outcome.SDIST: "🛠", Outcome.NO_MATCH: "❌", Outcome.SKIPPED: "—"}
    name = f" `{result.file.filename}`" if result.file else ""
    return f"{marks[result.outcome]} {_VERDICT[result.outcome]}{name}"
