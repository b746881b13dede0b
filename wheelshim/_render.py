"""Reports rendered as text (for people), JSON (for tools) and Markdown (for PRs and CI).

Rendering never decides anything: it only lays out the data in :mod:`wheelshim._outcome`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from wheelshim._advice import BuildReport
from wheelshim._buildneeds import BuildReason
from wheelshim._coverage import CoverageReport
from wheelshim._outcome import Outcome, Reason, ReasonCode, Report, Result
from wheelshim._redact import redact_url
from wheelshim._target import Target
from wheelshim._upgrade import UpgradePlan

__all__ = [
    "JSON_SCHEMA_VERSION",
    "coverage_json",
    "render_coverage",
    "render_json",
    "render_markdown",
    "render_matrix",
    "render_text",
    "render_upgrade_plan",
    "report_json",
]

JSON_SCHEMA_VERSION = 1

_VERDICT = {outcome: str(outcome) for outcome in Outcome}
_OUTCOME_WORDS = {
    Outcome.WHEEL: "installs the wheel",
    Outcome.SDIST: "builds from source",
    Outcome.NO_MATCH: "pip fails: No matching distribution found",
    Outcome.SKIPPED: "not installed: its marker is false on this target",
    Outcome.NOT_ON_INDEX: "not on an index: cannot be predicted without a build",
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
        "finder_file": _finder_file(result),
        "via": list(result.via),
        "reasons": [reason.as_json() for reason in result.reasons],
        **({"build": result.build.as_json()} if result.build is not None else {}),
        **({"fixes": [fix.as_json() for fix in result.fixes]} if result.fixes else {}),
    }


def _finder_file(result: Result) -> str | None:
    """The file pip's ``PackageFinder.find_best_candidate`` returns, where it differs."""
    first = result.finder.finder_best if result.finder is not None else None
    if first is None or result.file is None or first.file.url == result.file.url:
        return None
    return first.file.filename


def report_json(report: Report, errors: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The whole report as a JSON-ready mapping."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "targets": [target_json(target) for target in report.targets],
        "results": [result_json(result) for result in report.results],
        "sources": [redact_url(source) for source in report.sources],
        "stats": dict(report.stats) if report.stats is not None else None,
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
    lines.extend(_build_lines(result))
    if result.fixes:
        lines.append("      fixes:")
        for number, fix in enumerate(result.fixes, start=1):
            mark = "   [checked]" if fix.checked else ""
            lines.append(f"        {number}. {fix.kind}: {fix.summary}{mark}")
            lines.extend(f"             {line}" for line in fix.lines)
    return lines


def _build_lines(result: Result) -> list[str]:
    build = result.build
    if build is None:
        return []
    if build.needs is None or build.prediction is None:
        return [f"      build: unknown ({build.problem})"]
    lines = [
        f"      build: {_build_summary(build)}; in {build.image}: {build.prediction.result.value}"
    ]
    lines.extend(
        f"        ! {_build_reason_words(r)}" for r in build.prediction.reasons if r.blocking
    )
    full = build.full_image
    if full is not None and full.reasons != build.prediction.reasons:
        remaining = [_short_reason(r) for r in full.reasons if r.blocking]
        left = f": {'; '.join(remaining)}" if remaining else ""
        lines.append(
            f"        in {full.image.name} (compilers included): {full.result.value}{left}"
        )
    return lines


_SOURCE_EVIDENCE = (
    "compiled source named by the build",
    "compiled source files in the archive",
    "Rust crate built by the backend",
)


def _build_summary(build: BuildReport) -> str:
    needs = build.needs
    assert needs is not None
    if not needs.compiler_needed:
        return "pure Python" if not needs.languages else "compiled part is optional"
    languages = "/".join(language.value for language in needs.languages)
    sources = [e for e in needs.evidence if e.why.value in _SOURCE_EVIDENCE]
    where = f" ({sources[0].detail or sources[0].file})" if sources else ""
    return f"compiles {languages}{where}"


def _short_reason(reason: BuildReason) -> str:
    if reason.breakage is not None:
        return f"the {reason.breakage.evidence.detail or reason.breakage.kind.value} breakage"
    return _build_reason_words(reason)


def _build_reason_words(reason: BuildReason) -> str:
    if reason.breakage is not None:
        breakage = reason.breakage
        evidence = breakage.evidence
        place = f"{evidence.file}:{evidence.line}" if evidence.line else evidence.file
        pin = breakage.fix.constraint
        hint = (
            f"; pin {pin} for the build (PIP_BUILD_CONSTRAINT, or PIP_CONSTRAINT before pip 26.2)"
            if pin
            else ""
        )
        return f"fails before any compiler runs: {evidence.describe()} ({place}){hint}"
    subject = (
        reason.toolchain.value
        if reason.toolchain
        else reason.library.value
        if reason.library
        else ""
    )
    add = f": add {' '.join(reason.packages)}" if reason.packages else ""
    words = {
        "missing_toolchain": f"no {subject} compiler in the image",
        "missing_library": f"no {subject} headers in the image",
    }
    return words.get(reason.kind.value, f"{reason.kind.value} {subject}") + add


def _result_line(result: Result, width: int) -> str:
    detail = result.file.filename if result.file else _OUTCOME_WORDS[result.outcome]
    return f"  {result.target.id:<{width}}  {_VERDICT[result.outcome]:<8}  {detail}".rstrip()


def _is_resolved(report: Report) -> bool:
    return any(len(result.via) > 1 for result in report.results)


def _cell(result: Result | None) -> str:
    if result is None:
        return "-"
    version = f" {result.version}" if result.version else ""
    return f"{_VERDICT[result.outcome]}{version}"


def render_matrix(report: Report, *, verbose: bool = False) -> str:
    """Packages down, targets across; then every cell that is not a wheel, explained,
    with the dependency path that brought the package in."""
    projects = list(dict.fromkeys(result.project for result in report.results))
    by_cell = {(r.project, r.target.id): r for r in report.results}
    header = ["package", *(target.id for target in report.targets)]
    rows = [header] + [
        [project, *(_cell(by_cell.get((project, t.id))) for t in report.targets)]
        for project in projects
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    problems = [
        r for r in report.results if verbose or r.outcome not in (Outcome.WHEEL, Outcome.SKIPPED)
    ]
    if problems:
        lines += ["", "not installed from a wheel:" if not verbose else "details:"]
    for result in problems:
        path = " → ".join(result.via)
        lines.append(
            f"  {result.project} on {result.target.id}: {_OUTCOME_WORDS[result.outcome]}"
            + (f" ({result.file.filename})" if result.file else "")
        )
        lines.append(f"      via: {path}")
        lines.extend(_explanation_lines(result))
    lines += ["", *_target_notes(report.targets)]
    return "\n".join(lines).rstrip() + "\n"


def render_text(report: Report, *, verbose: bool = False) -> str:
    """Readable text. Resolved sets: a matrix (see :func:`render_matrix`). Otherwise per
    requirement, one line per target, then the reasons."""
    if _is_resolved(report):
        return render_matrix(report, verbose=verbose)
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
    """A Markdown table (requirements or packages down, targets across) and, below it,
    every result that is not a wheel with its dependency path and reasons."""
    resolved = _is_resolved(report)

    def key(result: Result) -> str:
        return result.project if resolved else result.requirement

    header = ["package" if resolved else "requirement", *(f"`{t.id}`" for t in report.targets)]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    by_cell = {(key(r), r.target.id): r for r in report.results}
    details: list[str] = []
    for label in dict.fromkeys(key(r) for r in report.results):
        results = [by_cell[(label, t.id)] for t in report.targets if (label, t.id) in by_cell]
        rows.append("| " + " | ".join([f"`{label}`", *map(_markdown_cell, results)]) + " |")
        for result in results:
            if result.outcome in (Outcome.WHEEL, Outcome.SKIPPED):
                continue
            words = _OUTCOME_WORDS[result.outcome]
            via = f" (via {' → '.join(result.via)})" if resolved else ""
            details.append(f"- **{label}** on `{result.target.id}`: {words}{via}")
            details.extend(f"  - pip: `{line}`" for line in _pip_lines(result.reasons))
            details.extend(f"  - {message}" for message in _shown_reasons(result.reasons))
    return "\n".join([*rows, "", *details]).rstrip() + "\n"


def _markdown_cell(result: Result) -> str:
    marks = {
        Outcome.WHEEL: "✅",
        Outcome.SDIST: "🛠",
        Outcome.NO_MATCH: "❌",
        Outcome.SKIPPED: "—",
        Outcome.NOT_ON_INDEX: "❓",
    }
    name = f" `{result.file.filename}`" if result.file else ""
    return f"{marks[result.outcome]} {_VERDICT[result.outcome]}{name}"


def coverage_json(report: CoverageReport) -> dict[str, Any]:
    """The JSON form of a coverage report."""
    release = report.release
    return {
        "schema": JSON_SCHEMA_VERSION,
        "project": release.project,
        "version": release.version,
        "sdist": release.sdist,
        "pythons": list(report.pythons),
        "platforms": [
            {
                "os": g.os,
                "arch": g.arch,
                "libc": g.libc or None,
                "label": g.label,
                "min_libc": ".".join(map(str, g.min_libc)) if g.min_libc else None,
                "pythons": list(g.interpreters),
            }
            for g in release.groups
        ],
        "trap_macos_arm64_without_linux_aarch64": report.trap,
        "missing_linux": list(report.missing_linux),
        "first_release_per_platform": [
            {
                "label": h.label,
                "os": h.os,
                "arch": h.arch,
                "libc": h.libc or None,
                "first_version": h.first_version,
            }
            for h in report.history
        ],
        "cibuildwheel": list(report.cibuildwheel),
    }


def render_coverage(report: CoverageReport) -> str:
    """A table of the release's wheels: platforms down, Pythons across."""
    release = report.release
    pythons = list(report.pythons)
    rows = [["platform", *pythons]]
    for group in release.groups:
        label = group.label + (
            f" (glibc {group.min_libc[0]}.{group.min_libc[1]}+)"
            if group.min_libc and group.libc == "glibc"
            else ""
        )
        rows.append([label, *("✓" if p in group.interpreters else "·" for p in pythons)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"{release.project} {release.version}: wheels by platform and Python"]
    lines += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.append(f"  sdist: {release.sdist or 'none'}")
    if report.trap:
        lines.append(
            "  ! macOS arm64 wheels exist but no Linux aarch64 wheel: it installs on an "
            "Apple Silicon Mac, and builds from source (or fails) in Docker there"
        )
    if report.missing_linux:
        lines.append("  missing for Docker: " + ", ".join(report.missing_linux))
    if report.history:
        lines.append("  first release with a wheel for:")
        lines += [f"    {h.label:<24} {h.first_version}" for h in report.history]
    if report.cibuildwheel:
        lines.append("  cibuildwheel settings that would add the missing wheels:")
        lines += [f"    {setting}" for setting in report.cibuildwheel]
    return "\n".join(lines) + "\n"


def render_upgrade_plan(plan: UpgradePlan) -> str:
    """The plan for people: each bump with why, then what still fails."""
    lines = [f"{plan.path}: {len([b for b in plan.bumps if b.new])} bump(s)"]
    for bump in plan.bumps:
        where = f"line {bump.line}: " if bump.line else ""
        if bump.new is not None:
            lines.append(f"  {where}{bump.project} {bump.old or '(any)'} -> {bump.new}")
        else:
            lines.append(f"  {where}{bump.project} {bump.old or '(any)'}: no fix ({bump.why_not})")
        lines.extend(f"      because {problem}" for problem in bump.problems)
    if plan.remaining:
        lines.append(
            "still failing after the bumps (builds, missing distributions, pin conflicts):"
        )
        lines.extend(f"  {item}" for item in plan.remaining)
    else:
        lines.append(
            "after the bumps every requirement installs from a wheel (or a pure-Python "
            "sdist) on every target"
        )
    return "\n".join(lines) + "\n"
