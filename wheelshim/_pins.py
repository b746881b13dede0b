"""Conflicts between the pins of a frozen requirements file, read from metadata.

A pinned file (pip-compile, pipenv lock, ``pip freeze``) resolves exactly when every
pinned package's dependencies admit the versions pinned for them. Checking that directly
is fast and names the culprit ("uvicorn 0.14.0 requires httptools==0.2.*, the file pins
httptools 0.3.0"), where a general resolver would backtrack for a long time first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from wheelshim._exceptions import ArchiveError, IndexUnreachable
from wheelshim._finder import FinderPolicy, find_best
from wheelshim._metadata import MetadataFetcher
from wheelshim._models import FileSource
from wheelshim._target import Target

__all__ = ["Pin", "PinChecker", "PinConflict"]


@dataclass(frozen=True)
class Pin:
    """A project pinned to one version, with the extras asked for."""

    project: NormalizedName
    version: Version
    extras: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PinConflict:
    """``parent`` requires ``requirement`` on ``target``; the pin of ``project`` is outside it."""

    parent: Pin
    requirement: str
    project: NormalizedName
    pinned: Version
    target: str

    @property
    def message(self) -> str:
        """One line naming both sides."""
        return (
            f"{self.parent.project}=={self.parent.version} requires {self.requirement} on "
            f"{self.target}, but the file pins {self.project}=={self.pinned}"
        )


class PinChecker:
    """Reads each pinned release's dependencies on each target (memoized)."""

    def __init__(
        self,
        source: FileSource,
        fetcher: MetadataFetcher,
        policy: FinderPolicy,
        targets: Sequence[Target],
    ) -> None:
        self.source = source
        self.fetcher = fetcher
        self.policy = policy
        self.targets = tuple(targets)
        self._memo: dict[
            tuple[NormalizedName, Version, frozenset[str], str], tuple[Requirement, ...] | None
        ] = {}

    def requirements_of(self, pin: Pin, target: Target) -> tuple[Requirement, ...] | None:
        """The dependencies of ``pin`` that apply on ``target``; None when unknown."""
        key = (pin.project, pin.version, pin.extras, target.id)
        if key not in self._memo:
            self._memo[key] = self._read(pin, target)
        return self._memo[key]

    def _read(self, pin: Pin, target: Target) -> tuple[Requirement, ...] | None:
        try:
            files = self.source.project_files(pin.project)
            specifier = SpecifierSet(f"=={pin.version}")
            best = find_best(pin.project, files.files, specifier, target, self.policy).best
            if best is None:
                return None
            metadata = self.fetcher.metadata_for(best.file)
        except (ArchiveError, IndexUnreachable):
            return None
        if not metadata.dependencies_known:
            return None
        environment = dict(target.environment)
        extras = ("", *sorted(pin.extras))
        return tuple(
            requirement
            for requirement in metadata.requires_dist
            if requirement.marker is None
            or any(requirement.marker.evaluate({**environment, "extra": e}) for e in extras)
        )

    def conflicts_of(self, pin: Pin, pins: Mapping[NormalizedName, Pin]) -> list[PinConflict]:
        """Where ``pin``'s own dependencies exclude another pin, on any target."""
        found: list[PinConflict] = []
        for target in self.targets:
            for requirement in self.requirements_of(pin, target) or ():
                other = pins.get(canonicalize_name(requirement.name))
                if other is None or requirement.specifier.contains(other.version, prereleases=True):
                    continue
                found.append(
                    PinConflict(
                        pin,
                        f"{requirement.name}{requirement.specifier}",
                        other.project,
                        other.version,
                        target.id,
                    )
                )
        return found

    def conflicts(self, pins: Mapping[NormalizedName, Pin]) -> list[PinConflict]:
        """Every conflict among ``pins``."""
        return [conflict for pin in pins.values() for conflict in self.conflicts_of(pin, pins)]

    def admits(self, parents: Iterable[Pin], project: NormalizedName, version: Version) -> bool:
        """Whether every parent's requirement on ``project`` (on every target) admits it."""
        for parent in parents:
            for target in self.targets:
                for requirement in self.requirements_of(parent, target) or ():
                    if canonicalize_name(requirement.name) != project:
                        continue
                    if not requirement.specifier.contains(version, prereleases=True):
                        return False
        return True
