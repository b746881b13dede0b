"""What pip would do for one requirement on one target, and why, as immutable data.

A :class:`Reason` is a code plus the facts behind it; its one-line ``message`` is derived
from those facts here, in one place, so text, JSON and Markdown say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from wheelshim._models import DistributionFile
from wheelshim._target import Target

if TYPE_CHECKING:
    from wheelshim._advice import BuildReport, Fix
    from wheelshim._finder import FinderResult

__all__ = ["Outcome", "Reason", "ReasonCode", "Report", "Result"]


class Outcome(StrEnum):
    """The four things pip can do with a requirement on a target."""

    WHEEL = "wheel"  # installs a prebuilt wheel
    SDIST = "sdist"  # downloads the sdist and builds it in the image
    NO_MATCH = "no-match"  # "No matching distribution found"
    SKIPPED = "skipped"  # the requirement's environment marker is false on the target
    NOT_ON_INDEX = "not-on-index"  # a URL, path, VCS or editable requirement: needs a build


class ReasonCode(StrEnum):
    """Stable codes of the facts that explain an outcome."""

    WHEEL_CHOSEN = "wheel-chosen"
    SDIST_CHOSEN = "sdist-chosen"
    NO_COMPATIBLE_WHEEL = "no-compatible-wheel"
    NO_WHEELS_PUBLISHED = "no-wheels-published"
    MACOS_ARM64_ONLY = "macos-arm64-not-linux"
    TAG_MISMATCH = "tag-mismatch"
    REQUIRES_PYTHON = "requires-python"
    YANKED_SKIPPED = "yanked-skipped"
    YANKED_CHOSEN = "yanked-chosen"
    PRERELEASE_EXCLUDED = "prerelease-excluded"
    PRERELEASE_ADMITTED = "prerelease-admitted"
    ONLY_BINARY = "only-binary"
    NO_BINARY = "no-binary"
    PREFER_BINARY = "prefer-binary"
    PROJECT_NOT_FOUND = "project-not-found"
    VERSION_NOT_FOUND = "version-not-found"
    NO_FILES = "no-files"
    PIP_ERROR = "pip-error"
    MARKER_FALSE = "marker-false"
    PIP_HOST_MARKERS = "pip-host-markers"
    NEWER_RELEASE_HAS_WHEEL = "newer-release-has-wheel"
    CONSTRAINED = "constrained"
    NOT_ON_INDEX = "not-on-index"
    DEPENDENCIES_ASSUMED = "dependencies-assumed"
    DEPENDENCIES_UNKNOWN = "dependencies-unknown"
    RESOLUTION_IMPOSSIBLE = "resolution-impossible"
    TIE = "equally-ranked-files"


def _json_value(value: object) -> Any:
    if isinstance(value, tuple | list):
        return [_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Reason:
    """One fact behind an outcome: ``code`` and the data it is built from.

    ``data`` holds JSON-compatible values only (str, int, bool, None, tuples, mappings).
    """

    code: ReasonCode
    data: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def message(self) -> str:
        """One plain sentence for people, derived from ``data``."""
        return _MESSAGES[self.code](self.data)

    def as_json(self) -> dict[str, Any]:
        """``{"code", "message", **data}`` for the JSON report."""
        return {"code": str(self.code), "message": self.message, **_json_value(self.data)}


def _lines(data: Mapping[str, object]) -> list[str]:
    shown = data.get("lines", ())
    return [str(line) for line in shown] if isinstance(shown, tuple | list) else []


def _fmt(template: str) -> Callable[[Mapping[str, object]], str]:
    return lambda data: template.format_map(data)


def _no_compatible_wheel(data: Mapping[str, object]) -> str:
    published = data.get("published") or ()
    assert isinstance(published, tuple | list)
    listing = "; ".join(str(item) for item in published) or "no platform"
    release = f"{data['project']} {data['version']}"
    return f"{release} publishes wheels for {listing}: none for {data['target']}"


def _tag_mismatch(data: Mapping[str, object]) -> str:
    return (
        f"{data['count']} wheel(s) rejected, {data['kind_words']}: "
        f"e.g. {data['example']} ({data['wheel']}; target has {data['needed']})"
    )


_MESSAGES: Mapping[ReasonCode, Callable[[Mapping[str, object]], str]] = {
    ReasonCode.WHEEL_CHOSEN: _fmt("pip takes {file}: its tag {tag} is the best fit for the target"),
    ReasonCode.SDIST_CHOSEN: _fmt("pip downloads the sdist {file} and builds it inside the image"),
    ReasonCode.NO_COMPATIBLE_WHEEL: _no_compatible_wheel,
    ReasonCode.NO_WHEELS_PUBLISHED: _fmt("{project} {version} publishes no wheels at all"),
    ReasonCode.MACOS_ARM64_ONLY: _fmt(
        "{project} {version} has a macOS arm64 wheel, but a Docker container on an Apple "
        "Silicon Mac runs Linux: that wheel cannot be used there"
    ),
    ReasonCode.TAG_MISMATCH: _tag_mismatch,
    ReasonCode.REQUIRES_PYTHON: _fmt(
        "{count} file(s) need a different Python ({python} not in: {specifiers})"
    ),
    ReasonCode.YANKED_SKIPPED: _fmt(
        "yanked version(s) {versions} skipped: pip takes a yanked file only for an exact pin"
    ),
    ReasonCode.YANKED_CHOSEN: _fmt(
        "{version} is yanked (reason: {reason}); pip takes it only because it is pinned exactly"
    ),
    ReasonCode.PRERELEASE_EXCLUDED: _fmt(
        "pre-release(s) {versions} not considered: pass --pre to allow them"
    ),
    ReasonCode.PRERELEASE_ADMITTED: _fmt(
        "no final release matches {specifier}, so pip considers pre-releases"
    ),
    ReasonCode.ONLY_BINARY: _fmt(
        "--only-binary forbids sdists for {project}: {count} sdist(s) not considered"
    ),
    ReasonCode.NO_BINARY: _fmt(
        "--no-binary forbids wheels for {project}: {count} wheel(s) not considered"
    ),
    ReasonCode.PREFER_BINARY: _fmt(
        "--prefer-binary: pip takes the newest release with a wheel ({version}) over newer sdists"
    ),
    ReasonCode.PROJECT_NOT_FOUND: _fmt("no project named {project} on {pages}"),
    ReasonCode.VERSION_NOT_FOUND: _fmt(
        "no release of {project} matches {specifier} (releases: {versions})"
    ),
    ReasonCode.NO_FILES: _fmt("{project} {version} is registered but has no files"),
    ReasonCode.PIP_ERROR: lambda data: " / ".join(_lines(data)),
    ReasonCode.MARKER_FALSE: _fmt("the marker '{marker}' is false on {target}"),
    ReasonCode.PIP_HOST_MARKERS: _fmt(
        "pip with --platform/--python-version evaluates markers on the host ({host}), where "
        "'{marker}' is {host_value}: it would {pip_action} this requirement"
    ),
    ReasonCode.CONSTRAINED: lambda data: "narrowed by the constraint(s) " + "; ".join(_lines(data)),
    ReasonCode.NOT_ON_INDEX: _fmt(
        "a {kind} requirement ({location}) is not on an index: what pip does with it cannot "
        "be predicted without a build"
    ),
    ReasonCode.DEPENDENCIES_ASSUMED: _fmt(
        "the sdist's dependencies are not static; those of {wheel} (same release, another "
        "platform) are assumed"
    ),
    ReasonCode.DEPENDENCIES_UNKNOWN: _fmt(
        "the dependencies of {file} are unknown without running its build backend"
    ),
    ReasonCode.RESOLUTION_IMPOSSIBLE: _fmt("pip stops on {target}: {message}"),
    ReasonCode.TIE: _fmt(
        "{file} and {other} rank equally; pip install takes the one listed last ({file}), "
        "while pip's PackageFinder.find_best_candidate returns {other}"
    ),
    ReasonCode.NEWER_RELEASE_HAS_WHEEL: _fmt(
        "{project} {version} is the nearest release with a wheel for this target"
    ),
}


@dataclass(frozen=True)
class Result:
    """The prediction for one requirement on one target."""

    requirement: str
    project: str
    target: Target
    outcome: Outcome
    version: str | None = None
    file: DistributionFile | None = None
    matched_tag: str | None = None
    reasons: tuple[Reason, ...] = ()
    #: The finder's full account (all files judged); None for skipped requirements.
    finder: FinderResult | None = field(default=None, repr=False, compare=False)
    #: The dependency path that brought the requirement in (top level: just itself).
    via: tuple[str, ...] = ()
    #: For an sdist: what building it needs and whether it builds in the target's image.
    build: BuildReport | None = field(default=None, compare=False)
    #: For anything not a wheel: the ways to make it install, each checked where possible.
    fixes: tuple[Fix, ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        """True when pip installs a wheel or skips the requirement."""
        return self.outcome in (Outcome.WHEEL, Outcome.SKIPPED)


@dataclass(frozen=True)
class Report:
    """Every result of one run, with the targets and where the files came from."""

    targets: tuple[Target, ...]
    results: tuple[Result, ...]
    #: The (redacted) index pages and find-links locations that were read.
    sources: tuple[str, ...] = ()
    #: Network figures of the run (requests, bytes_received, cache_hits), when measured.
    stats: Mapping[str, int] | None = None

    @property
    def exit_code(self) -> int:
        """0 when every requirement installs from a wheel (or is skipped), else 1."""
        return 0 if all(result.ok for result in self.results) else 1

    def for_requirement(self, requirement: str) -> tuple[Result, ...]:
        """The results of one requirement, one per target, in target order."""
        return tuple(result for result in self.results if result.requirement == requirement)
