"""Whole requirement sets, resolved per target the way pip inside that container would.

A resolvelib provider per target, sharing one page reader and one metadata fetcher, so
every page and metadata file is fetched once for all targets. Dependencies' pages and the
best candidate's metadata are prefetched in the background as soon as they are known.

The first pass is strict, as pip is: a requirement with no matching distribution makes
the resolution impossible. If it is, a second pass lets such requirements stand as
"missing" so that the report still shows every other package and every other problem.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import BaseReporter, Resolver
from resolvelib.providers import AbstractProvider
from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep
from resolvelib.structs import RequirementInformation

from wheelshim._coverage import file_version
from wheelshim._exceptions import ArchiveError, IndexUnreachable
from wheelshim._finder import (
    Candidate,
    FinderPolicy,
    ProjectEvaluation,
    file_versions,
    iter_resolver_candidates,
)
from wheelshim._metadata import CoreMetadata, MetadataFetcher
from wheelshim._models import FileSource, ProjectFiles, filenames_of
from wheelshim._progress import Progress
from wheelshim._redact import redact_text
from wheelshim._target import Target

__all__ = ["Pin", "Resolution", "ResolveContext", "RootRequirement", "resolve"]

PYTHON = "<python>"
_MAX_ROUNDS = 20000


@dataclass(frozen=True)
class RootRequirement:
    """A top-level requirement: its text (for paths and messages) and parsed form."""

    text: str
    requirement: Requirement


@dataclass(frozen=True)
class _Req:
    identifier: str
    name: NormalizedName
    extras: frozenset[str]
    specifier: SpecifierSet
    text: str
    #: True for the resolver's own link from ``pkg[extra]`` to ``pkg``: nobody wrote it,
    #: so dependency paths leave it out.
    implied: bool = False

    @property
    def is_python(self) -> bool:
        return self.identifier == PYTHON


@dataclass(frozen=True)
class _Cand:
    """A candidate: one version of a project (with extras), or the target's Python, or
    a placeholder standing for "no matching distribution" in the second pass."""

    identifier: str
    name: NormalizedName
    version: Version
    extras: frozenset[str] = frozenset()
    chosen: Candidate | None = field(default=None, compare=False)
    missing: bool = False


@dataclass(frozen=True)
class Pin:
    """A resolved package on one target.

    ``candidate`` is None when the package has no matching distribution (second pass).
    ``via`` is the requirement path from the top level to this package.
    """

    name: NormalizedName
    version: Version | None
    candidate: Candidate | None
    specifier: SpecifierSet
    via: tuple[str, ...]
    metadata: CoreMetadata | None = None
    #: Where the dependencies came from: "read" (the chosen file's own metadata),
    #: "assumed" (a wheel of the same release for another platform), "unknown".
    dependencies: str = "read"
    #: The wheel whose metadata stood in for an sdist's (``dependencies == "assumed"``).
    assumed_from: str | None = None


@dataclass(frozen=True)
class Conflict:
    """Why pip's resolution is impossible: each cause is (requirement, required by).

    ``missing`` is True when no cause has any distribution at all: pip then reports
    "No matching distribution found" rather than conflicting dependencies.
    """

    causes: tuple[tuple[str, str | None], ...]
    missing: bool = False

    @property
    def message(self) -> str:
        """pip's wording of the failure."""
        if self.missing:
            return "; ".join(
                f"No matching distribution found for {requirement}"
                + (f" (required by {parent})" if parent else "")
                for requirement, parent in self.causes
            )
        lines = [
            f"{parent + ' depends on ' if parent else 'The user requested '}{requirement}"
            for requirement, parent in self.causes
        ]
        return "these package versions have conflicting dependencies: " + "; ".join(lines)


@dataclass(frozen=True)
class Resolution:
    """The packages pip installs on one target, or why it cannot."""

    target: Target
    pins: tuple[Pin, ...]
    #: Set when pip itself would stop (missing distribution or conflict); ``pins`` then
    #: come from the lenient second pass and show everything else that is known.
    conflict: Conflict | None = None
    #: Projects whose page could not be read (network), with the error, kept out of pins.
    unreachable: tuple[tuple[str, str], ...] = ()


class ResolveContext:
    """What all targets share: page reader, metadata fetcher, background fetch pool."""

    def __init__(
        self,
        pages: FileSource,
        metadata: MetadataFetcher,
        policy: FinderPolicy,
        constraints: Mapping[str, SpecifierSet] | None = None,
        workers: int = 16,
        progress: Progress | None = None,
    ) -> None:
        self.pages = pages
        self.metadata = metadata
        self.policy = policy
        self.constraints = dict(constraints or {})
        self.progress = progress or Progress()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wheelshim")
        self._lock = threading.Lock()
        self._page_futures: dict[str, Future[ProjectFiles]] = {}
        self._meta_futures: dict[str, Future[CoreMetadata]] = {}
        self._evaluations: dict[tuple[str, str], ProjectEvaluation] = {}
        self._versions: dict[str, list[Version | None]] = {}

    def evaluation(self, name: NormalizedName, target: Target) -> ProjectEvaluation:
        """The project's files judged for ``target`` (one per project and target).

        Raises :class:`IndexUnreachable` when the page cannot be read.
        """
        key = (name, target.id)
        with self._lock:
            found = self._evaluations.get(key)
        if found is not None:
            return found
        files = self.project_files(name)
        with self._lock:
            versions = self._versions.get(name)
        if versions is None:
            versions = file_versions(name, files.files)
            with self._lock:
                self._versions[name] = versions
        evaluation = ProjectEvaluation(name, files.files, target, self.policy, versions)
        with self._lock:
            return self._evaluations.setdefault(key, evaluation)

    def close(self) -> None:
        """Stop the background pool (pending prefetches are abandoned)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def prefetch_page(self, name: str) -> Future[ProjectFiles]:
        """Start (once) fetching a project's page; the future is shared."""
        key = canonicalize_name(name)
        with self._lock:
            future = self._page_futures.get(key)
            if future is None:
                future = self._pool.submit(self.pages.project_files, key)
                future.add_done_callback(lambda _: self.progress.add("pages"))
                self._page_futures[key] = future
            return future

    def project_files(self, name: str) -> ProjectFiles:
        """A project's files, waiting for the prefetch if one is running."""
        return self.prefetch_page(name).result()

    def prefetch_metadata(self, candidate: Candidate) -> Future[CoreMetadata]:
        """Start (once) fetching a file's metadata; the future is shared."""
        key = candidate.file.url
        with self._lock:
            future = self._meta_futures.get(key)
            if future is None:
                future = self._pool.submit(self.metadata.metadata_for, candidate.file)
                future.add_done_callback(lambda _: self.progress.add("metadata"))
                self._meta_futures[key] = future
            return future


def _identifier(name: str, extras: Iterable[str]) -> str:
    shown = sorted(canonicalize_name(extra) for extra in extras)
    return f"{canonicalize_name(name)}[{','.join(shown)}]" if shown else canonicalize_name(name)


def _req_from(requirement: Requirement, text: str | None = None) -> _Req:
    return _Req(
        identifier=_identifier(requirement.name, requirement.extras),
        name=canonicalize_name(requirement.name),
        extras=frozenset(canonicalize_name(e) for e in requirement.extras),
        specifier=requirement.specifier,
        text=text or str(requirement),
    )


@dataclass(frozen=True)
class _Metadata:
    metadata: CoreMetadata | None
    provenance: str
    assumed_from: str | None = None


class _Provider(AbstractProvider[_Req, _Cand, str]):
    """resolvelib's view of one target."""

    def __init__(
        self,
        context: ResolveContext,
        target: Target,
        *,
        lenient: bool,
        user_identifiers: frozenset[str],
    ) -> None:
        self.context = context
        self.target = target
        self.lenient = lenient
        self.user_identifiers = user_identifiers
        self.unreachable: dict[str, str] = {}
        #: Identifiers for which the index offers no candidate at all.
        self.without_distribution: set[str] = set()

    # -- resolvelib interface --------------------------------------------------------

    def identify(self, requirement_or_candidate: _Req | _Cand) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Cand],
        candidates: Mapping[str, Iterator[_Cand]],
        information: Mapping[str, Iterator[RequirementInformation[_Req, _Cand]]],
        backtrack_causes: Sequence[RequirementInformation[_Req, _Cand]],
    ) -> tuple[bool, bool, bool, bool, str]:
        # pip's order: Requires-Python first, pinned (==) requirements, requirements
        # named in the backtrack causes, user-requested ones, then by name.
        infos = list(information[identifier])
        pinned = any(
            spec.operator in ("==", "===") and not spec.version.endswith(".*")
            for info in infos
            for spec in info.requirement.specifier
        )
        causes = {cause.requirement.identifier for cause in backtrack_causes}
        return (
            identifier != PYTHON,
            not pinned,
            identifier not in causes,
            identifier not in self.user_identifiers,
            identifier,
        )

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Req]],
        incompatibilities: Mapping[str, Iterator[_Cand]],
    ) -> Callable[[], Iterator[_Cand]] | list[_Cand]:
        reqs = list(requirements[identifier])
        excluded = {candidate.version for candidate in incompatibilities[identifier]}
        if identifier == PYTHON:
            return self._python_matches(reqs)
        first = reqs[0]
        specifier = SpecifierSet()
        for req in reqs:
            specifier &= req.specifier
        specifier &= self.context.constraints.get(first.name, SpecifierSet())
        evaluation = self._evaluate(first.name)
        if evaluation is None:
            return self._missing(identifier, first, excluded)

        def matches() -> Iterator[_Cand]:
            # A fresh iterator each call (resolvelib re-iterates); judged files are
            # cached in the evaluation, so only new versions cost anything.
            found_any = False
            for candidate in iter_resolver_candidates(evaluation, specifier, self.context.policy):
                found_any = True
                if candidate.version in excluded:
                    continue
                self.context.prefetch_metadata(candidate)
                yield _Cand(identifier, first.name, candidate.version, first.extras, candidate)
            if not found_any:
                yield from self._missing(identifier, first, excluded)

        return matches

    def is_satisfied_by(self, requirement: _Req, candidate: _Cand) -> bool:
        if candidate.missing:
            return True
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: _Cand) -> list[_Req]:
        if candidate.missing or candidate.identifier == PYTHON or candidate.chosen is None:
            return []
        if candidate.extras:
            base = _Req(
                candidate.name,
                candidate.name,
                frozenset(),
                SpecifierSet(f"=={candidate.version}"),
                f"{candidate.name}=={candidate.version}",
                implied=True,
            )
            return [base, *self._metadata_dependencies(candidate, candidate.extras)]
        return self._metadata_dependencies(candidate, frozenset())

    # -- helpers ---------------------------------------------------------------------

    def _python_matches(self, reqs: Sequence[_Req]) -> list[_Cand]:
        version = Version(".".join(map(str, self.target.python.full)))
        if all(req.specifier.contains(version, prereleases=True) for req in reqs):
            return [_Cand(PYTHON, NormalizedName(PYTHON), version)]
        return []

    def _missing(self, identifier: str, req: _Req, excluded: set[Version]) -> list[_Cand]:
        self.without_distribution.add(identifier)
        if not self.lenient or Version("0") in excluded:
            return []
        return [_Cand(identifier, req.name, Version("0"), req.extras, missing=True)]

    def _evaluate(self, name: NormalizedName) -> ProjectEvaluation | None:
        try:
            return self.context.evaluation(name, self.target)
        except IndexUnreachable as error:
            self.unreachable[name] = redact_text(str(error))
            return None

    def metadata(self, name: NormalizedName, candidate: Candidate) -> _Metadata:
        """The candidate's metadata and where its dependencies came from.

        An sdist whose dependencies are not static borrows them from a wheel of the same
        release for another platform, and says so ("assumed"); failing that they are
        "unknown" (finding them would mean running the build backend).
        """
        own = self._fetch(candidate)
        if candidate.is_wheel or (own is not None and own.dependencies_known):
            return _Metadata(own, "read" if own is not None else "unknown")
        stand_in = self._stand_in(name, candidate)
        borrowed = self._fetch(stand_in) if stand_in is not None else None
        if borrowed is None or stand_in is None:
            return _Metadata(own, "unknown")
        return _Metadata(borrowed, "assumed", stand_in.file.filename)

    def _stand_in(self, name: NormalizedName, candidate: Candidate) -> Candidate | None:
        try:
            project = self.context.project_files(name)
        except IndexUnreachable:
            return None
        for index, filename in enumerate(filenames_of(project.files)):
            if filename.endswith(".whl") and file_version(filename, name) == candidate.version:
                return Candidate(project.files[index], candidate.version, True)
        return None

    def _fetch(self, candidate: Candidate) -> CoreMetadata | None:
        try:
            return self.context.prefetch_metadata(candidate).result()
        except (ArchiveError, IndexUnreachable):
            return None

    def _metadata_dependencies(self, candidate: _Cand, extras: frozenset[str]) -> list[_Req]:
        assert candidate.chosen is not None
        metadata = self.metadata(candidate.name, candidate.chosen).metadata
        if metadata is None:
            return []
        environment = dict(self.target.environment)
        deps: list[_Req] = []
        if metadata.requires_python:
            deps.append(
                _Req(
                    PYTHON,
                    NormalizedName(PYTHON),
                    frozenset(),
                    SpecifierSet(metadata.requires_python),
                    "Requires-Python",
                )
            )
        for requirement in metadata.requires_dist:
            if not _marker_applies(requirement.marker, environment, extras):
                continue
            dependency = Requirement(str(requirement))
            dependency.marker = None
            deps.append(_req_from(dependency))
            self.context.prefetch_page(dependency.name)
        return deps


def _marker_applies(
    marker: Marker | None, environment: Mapping[str, str], extras: frozenset[str]
) -> bool:
    if marker is None:
        return not extras
    if extras:
        return any(marker.evaluate({**environment, "extra": extra}) for extra in extras)
    return marker.evaluate({**environment, "extra": ""})


def _parent_label(candidate: _Cand | None) -> str | None:
    if candidate is None:
        return None
    return f"{candidate.name}=={candidate.version}"


def _via(
    identifier: str, criteria: Mapping[str, object], roots: Mapping[str, str], seen: frozenset[str]
) -> tuple[str, ...]:
    """The requirement path from a top-level requirement down to ``identifier``."""
    if identifier in roots:
        return (roots[identifier],)
    criterion = criteria.get(identifier)
    infos = list(getattr(criterion, "information", ()) or ())
    for info in infos:
        parent = info.parent
        if parent is None or parent.identifier in seen:
            continue
        upper = _via(parent.identifier, criteria, roots, seen | {identifier})
        return upper if info.requirement.implied else (*upper, info.requirement.text)
    return (infos[0].requirement.text,) if infos else (identifier,)


def _resolve_once(
    provider: _Provider, roots: Sequence[_Req]
) -> tuple[Mapping[str, _Cand], Mapping[str, object]]:
    resolver: Resolver[_Req, _Cand, str] = Resolver(provider, BaseReporter())
    result = resolver.resolve(roots, max_rounds=_MAX_ROUNDS)
    return result.mapping, result.criteria


def _conflict(error: ResolutionImpossible[_Req, _Cand], without_distribution: set[str]) -> Conflict:
    causes = tuple((cause.requirement.text, _parent_label(cause.parent)) for cause in error.causes)
    missing = all(cause.requirement.identifier in without_distribution for cause in error.causes)
    return Conflict(tuple(dict.fromkeys(causes)), missing=missing)


def _pins(
    provider: _Provider,
    mapping: Mapping[str, _Cand],
    criteria: Mapping[str, object],
    roots: Mapping[str, str],
) -> tuple[Pin, ...]:
    pins: dict[NormalizedName, Pin] = {}
    for identifier, candidate in mapping.items():
        if identifier == PYTHON or candidate.name in pins:
            continue
        base = mapping.get(candidate.name, candidate)
        via = _via(identifier, criteria, roots, frozenset())
        specifier = SpecifierSet()
        for info in getattr(criteria.get(identifier), "information", ()) or ():
            specifier &= info.requirement.specifier
        chosen = base.chosen
        found = provider.metadata(candidate.name, chosen) if chosen else _Metadata(None, "unknown")
        pins[candidate.name] = Pin(
            name=candidate.name,
            version=None if base.missing else base.version,
            candidate=chosen,
            specifier=specifier,
            via=via,
            metadata=found.metadata,
            dependencies=found.provenance,
            assumed_from=found.assumed_from,
        )
    return tuple(pins.values())


def resolve(
    context: ResolveContext, roots: Sequence[RootRequirement], target: Target
) -> Resolution:
    """pip's resolution of ``roots`` on ``target``; see the module docstring."""
    reqs = [_req_from(root.requirement, root.text) for root in roots]
    for req in reqs:
        context.prefetch_page(req.name)
    root_text = {req.identifier: req.text for req in reqs}
    user = frozenset(root_text)
    strict = _Provider(context, target, lenient=False, user_identifiers=user)
    try:
        mapping, criteria = _resolve_once(strict, reqs)
        return Resolution(
            target,
            _pins(strict, mapping, criteria, root_text),
            unreachable=tuple(sorted(strict.unreachable.items())),
        )
    except (ResolutionImpossible, ResolutionTooDeep) as error:
        conflict = (
            _conflict(error, strict.without_distribution)
            if isinstance(error, ResolutionImpossible)
            else Conflict((("resolution too deep: pip would give up backtracking", None),))
        )
    lenient = _Provider(context, target, lenient=True, user_identifiers=user)
    try:
        mapping, criteria = _resolve_once(lenient, reqs)
    except (ResolutionImpossible, ResolutionTooDeep):
        return Resolution(target, (), conflict, tuple(sorted(lenient.unreachable.items())))
    pins = _pins(lenient, mapping, criteria, root_text)
    return Resolution(target, pins, conflict, tuple(sorted(lenient.unreachable.items())))
