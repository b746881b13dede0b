"""From a finder result to an outcome with its reasons (the "why" of each prediction)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from packaging.markers import Marker, default_environment
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from wheelshim._coverage import ReleaseCoverage, file_version, release_coverage
from wheelshim._finder import Candidate, FinderResult, Rejection, RejectionCode
from wheelshim._legacy import pip23_version_order
from wheelshim._models import ProjectFiles, filenames_of
from wheelshim._outcome import Outcome, Reason, ReasonCode, Result
from wheelshim._platforms import MismatchKind
from wheelshim._target import Target

__all__ = ["marker_result", "outcome_from_finder", "pip_no_match_lines"]

_KIND_WORDS: Mapping[MismatchKind, str] = {
    MismatchKind.OPERATING_SYSTEM: "built for another operating system",
    MismatchKind.ARCHITECTURE: "built for another CPU architecture",
    MismatchKind.LIBC_KIND: "built for another C library (musl and glibc wheels do not mix)",
    MismatchKind.LIBC_TOO_OLD: "they need a newer glibc/musl than the target has",
    MismatchKind.PLATFORM_NOT_LISTED: (
        "their platform tag is not among the --platform values (pip matches them literally)"
    ),
    MismatchKind.IMPLEMENTATION: "built for another Python implementation",
    MismatchKind.PYTHON_VERSION: "built for other Python versions",
    MismatchKind.ABI: "built for another ABI (e.g. free-threaded versus default build)",
}


def _reason(code: ReasonCode, **data: object) -> Reason:
    return Reason(code, MappingProxyType(data))


def target_words(target: Target) -> str:
    """``linux aarch64 cp39`` — how explanations name a target."""
    facts = target.mismatch_facts
    libc = " musl" if facts.libc == "musl" else ""
    return (
        f"{facts.os} {facts.arch}{libc} {target.implementation}{target.python.minor[0]}"
        f"{target.python.minor[1]}{'t' if target.python.free_threaded else ''}"
    )


def requirement_display(name: str, extras: Iterable[str], specifier: str) -> str:
    """How pip names a requirement in its messages: ``name[extras]specifier``."""
    shown_extras = f"[{','.join(sorted(extras))}]" if extras else ""
    return f"{name}{shown_extras}{specifier}"


def _host_environment() -> dict[str, str]:
    return {key: str(value) for key, value in default_environment().items()} | {"extra": ""}


def _host_marker_reason(marker: Marker, target: Target, on_target: bool) -> Reason | None:
    """pip's --platform mode evaluates markers on the host: name the difference, if any."""
    if not target.pip_flag_mode:
        return None
    host = _host_environment()
    on_host = marker.evaluate(host)
    if on_host == on_target:
        return None
    return _reason(
        ReasonCode.PIP_HOST_MARKERS,
        marker=str(marker),
        host=f"Python {host['python_full_version']}, {host['platform_machine']}",
        host_value="true" if on_host else "false",
        pip_action="install" if on_host else "ignore",
    )


def marker_result(requirement: str, project: str, marker: Marker, target: Target) -> Result | None:
    """A SKIPPED result when ``marker`` is false on ``target``, else None.

    Markers are evaluated in the target's complete environment, never the host's.
    """
    if marker.evaluate({**target.environment, "extra": ""}):
        return None
    reasons = [_reason(ReasonCode.MARKER_FALSE, marker=str(marker), target=target.id)]
    host_note = _host_marker_reason(marker, target, on_target=False)
    reasons += [host_note] if host_note else []
    return Result(requirement, project, target, Outcome.SKIPPED, reasons=tuple(reasons))


def _host_marker_note(marker: Marker | None, target: Target) -> tuple[Reason, ...]:
    """For a requirement installed on the target: would pip's host evaluation skip it?"""
    if marker is None:
        return ()
    note = _host_marker_reason(marker, target, on_target=True)
    return (note,) if note else ()


def pip_no_match_lines(display: str, finder: FinderResult) -> tuple[str, ...]:
    """The error lines pip prints for "No matching distribution found".

    As pip 23.x (the pip of the official ``python:3.x`` images) prints them: every
    candidate version is listed, yanked ones included and non-PEP 440 ones first, and the
    Requires-Python skips come as ``{version} Requires-Python {specifier}``, text-sorted.
    """
    invalid = [r.version for r in finder.rejections if r.code is RejectionCode.INVALID_VERSION]
    listed = [str(c.version) for c in finder.candidates] + [v for v in invalid if v]
    lines: list[str] = []
    skipped = sorted(
        {
            f"{r.version} Requires-Python {r.requires_python}"
            for r in finder.rejections
            if r.code is RejectionCode.REQUIRES_PYTHON
        }
    )
    if skipped:
        lines.append(
            "ERROR: Ignored the following versions that require a different python version: "
            + "; ".join(skipped)
        )
    lines.append(
        f"ERROR: Could not find a version that satisfies the requirement {display} "
        f"(from versions: {', '.join(pip23_version_order(listed)) or 'none'})"
    )
    lines.append(f"ERROR: No matching distribution found for {display}")
    return tuple(lines)


def _join(versions: Iterable[Version]) -> str:
    return ", ".join(str(version) for version in versions)


def _release_of_interest(
    finder: FinderResult, files: ProjectFiles, specifier: SpecifierSet
) -> Version | None:
    """The release an explanation should describe: the chosen one, else the newest one the
    specifier admits among all files (whatever their tags)."""
    if finder.best is not None:
        return finder.best.version
    versions = {file_version(name, finder.project) for name in filenames_of(files.files)}
    admitted = [v for v in versions if v is not None and specifier.contains(v, prereleases=True)]
    return max(admitted) if admitted else None


def _coverage_reasons(coverage: ReleaseCoverage, target: Target) -> list[Reason]:
    if not coverage.groups:
        return [
            _reason(
                ReasonCode.NO_WHEELS_PUBLISHED, project=coverage.project, version=coverage.version
            )
        ]
    published = tuple(f"{group.label} {group.python_range}" for group in coverage.groups)
    reasons = [
        _reason(
            ReasonCode.NO_COMPATIBLE_WHEEL,
            project=coverage.project,
            version=coverage.version,
            published=published,
            target=target_words(target),
        )
    ]
    facts = target.mismatch_facts
    if (
        facts.os == "linux"
        and coverage.has_macos_arm64()
        and not coverage.has_linux_wheel_for(facts.arch, None)
    ):
        reasons.append(
            _reason(ReasonCode.MACOS_ARM64_ONLY, project=coverage.project, version=coverage.version)
        )
    return reasons


def _mismatch_reasons(rejections: Sequence[Rejection]) -> list[Reason]:
    by_kind: dict[MismatchKind, list[Rejection]] = defaultdict(list)
    for rejection in rejections:
        if rejection.mismatch is not None:
            by_kind[rejection.mismatch.kind].append(rejection)
    reasons = []
    for kind, group in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        example = group[0]
        assert example.mismatch is not None
        reasons.append(
            _reason(
                ReasonCode.TAG_MISMATCH,
                kind=str(kind),
                kind_words=_KIND_WORDS[kind],
                count=len(group),
                example=example.file.filename,
                wheel=example.mismatch.wheel,
                needed=example.mismatch.needed,
            )
        )
    return reasons


def _filter_reasons(
    rejections: Sequence[Rejection], finder: FinderResult, target: Target
) -> list[Reason]:
    codes = Counter(rejection.code for rejection in rejections)
    reasons: list[Reason] = []
    if codes[RejectionCode.SOURCE_NOT_ALLOWED]:
        reasons.append(
            _reason(
                ReasonCode.ONLY_BINARY,
                project=finder.project,
                count=codes[RejectionCode.SOURCE_NOT_ALLOWED],
            )
        )
    if codes[RejectionCode.BINARY_NOT_ALLOWED]:
        reasons.append(
            _reason(
                ReasonCode.NO_BINARY,
                project=finder.project,
                count=codes[RejectionCode.BINARY_NOT_ALLOWED],
            )
        )
    python_skips = [r for r in rejections if r.code is RejectionCode.REQUIRES_PYTHON]
    if python_skips:
        reasons.append(
            _reason(
                ReasonCode.REQUIRES_PYTHON,
                count=len(python_skips),
                python=".".join(map(str, target.python.full)),
                specifiers=", ".join(sorted({r.requires_python or "" for r in python_skips})),
            )
        )
    return reasons


def _release_rejections(finder: FinderResult, version: Version | None) -> list[Rejection]:
    if version is None:
        return list(finder.rejections)
    return [
        rejection
        for rejection in finder.rejections
        if file_version(rejection.file.filename, finder.project) == version
    ]


def _selection_reasons(finder: FinderResult, specifier: SpecifierSet) -> list[Reason]:
    reasons: list[Reason] = []
    yanked = sorted(
        {r.version for r in finder.rejections if r.code is RejectionCode.YANKED and r.version}
    )
    if yanked:
        reasons.append(_reason(ReasonCode.YANKED_SKIPPED, versions=", ".join(yanked)))
    pre = sorted(
        {r.version for r in finder.rejections if r.code is RejectionCode.PRERELEASE and r.version},
        key=Version,
    )
    if pre and finder.best is None:
        reasons.append(_reason(ReasonCode.PRERELEASE_EXCLUDED, versions=", ".join(pre[-5:])))
    if finder.prereleases_implicit:
        reasons.append(_reason(ReasonCode.PRERELEASE_ADMITTED, specifier=str(specifier) or "(any)"))
    best = finder.best
    if best is not None and best.file.yanked:
        reasons.append(
            _reason(
                ReasonCode.YANKED_CHOSEN,
                version=str(best.version),
                reason=best.file.yanked_reason or "<none given>",
            )
        )
    return reasons


def _tie_reasons(finder: FinderResult) -> list[Reason]:
    best, first = finder.best, finder.finder_best
    if best is None or first is None or first.file.url == best.file.url or first.file.yanked:
        return []
    return [_reason(ReasonCode.TIE, file=best.file.filename, other=first.file.filename)]


def _chosen_reason(best: Candidate) -> Reason:
    if best.is_wheel:
        return _reason(ReasonCode.WHEEL_CHOSEN, file=best.file.filename, tag=best.matched_tag)
    return _reason(ReasonCode.SDIST_CHOSEN, file=best.file.filename)


def _no_match_reasons(
    display: str, finder: FinderResult, files: ProjectFiles, specifier: SpecifierSet
) -> list[Reason]:
    reasons = [_reason(ReasonCode.PIP_ERROR, lines=pip_no_match_lines(display, finder))]
    if not files.files:
        pages = ", ".join(files.missing or files.pages) or "the configured indexes"
        reasons.append(_reason(ReasonCode.PROJECT_NOT_FOUND, project=files.project, pages=pages))
        return reasons
    if _release_of_interest(finder, files, specifier) is None:
        known = sorted(
            {
                v
                for name in filenames_of(files.files)
                if (v := file_version(name, files.project)) is not None
            }
        )
        reasons.append(
            _reason(
                ReasonCode.VERSION_NOT_FOUND,
                project=files.project,
                specifier=str(specifier) or "(any)",
                versions=_join(known[-8:]) + (" ..." if len(known) > 8 else ""),
            )
        )
    return reasons


def outcome_from_finder(
    requirement: str,
    display: str,
    finder: FinderResult,
    files: ProjectFiles,
    specifier: SpecifierSet,
    target: Target,
    marker: Marker | None = None,
) -> Result:
    """Turn the finder's account into an outcome and the reasons behind it."""
    best = finder.best
    release = _release_of_interest(finder, files, specifier)
    reasons: list[Reason] = []
    if best is not None:
        reasons.append(_chosen_reason(best))
    else:
        reasons.extend(_no_match_reasons(display, finder, files, specifier))
    if best is None or not best.is_wheel:
        if release is not None:
            reasons.extend(
                _coverage_reasons(
                    release_coverage(finder.project, filenames_of(files.files), release), target
                )
            )
        release_rejections = _release_rejections(finder, release)
        reasons.extend(_mismatch_reasons(release_rejections))
        reasons.extend(_filter_reasons(release_rejections, finder, target))
    reasons.extend(_selection_reasons(finder, specifier))
    reasons.extend(_tie_reasons(finder))
    reasons.extend(_host_marker_note(marker, target))
    outcome = (
        Outcome.NO_MATCH if best is None else Outcome.WHEEL if best.is_wheel else Outcome.SDIST
    )
    return Result(
        requirement=requirement,
        project=str(finder.project),
        target=target,
        outcome=outcome,
        version=None if best is None else str(best.version),
        file=None if best is None else best.file,
        matched_tag=None if best is None else best.matched_tag,
        reasons=tuple(reasons),
        finder=finder,
        via=(requirement,),
    )
