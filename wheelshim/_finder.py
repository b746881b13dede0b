"""pip's choice of a file for one requirement on one target, with every refusal as data.

This ports pip's ``LinkEvaluator.evaluate_link`` (per-file checks, in pip's order),
``CandidateEvaluator`` (applicability and ranking) and the resolver's yanked rule
(PIP_RULES D3-D5). Each file ends as a :class:`Candidate` or a :class:`Rejection`; the
result keeps both so that explanations never have to be scraped from logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from wheelshim._formats import BINARY, SOURCE, FormatControl
from wheelshim._models import DistributionFile, filenames_of
from wheelshim._platforms import TagMismatch, classify_mismatch
from wheelshim._target import Target

__all__ = [
    "Candidate",
    "FinderPolicy",
    "FinderResult",
    "ProjectEvaluation",
    "Rejection",
    "RejectionCode",
    "file_versions",
    "find_best",
    "is_pinned",
    "iter_resolver_candidates",
    "resolver_order",
    "select",
]

# pip's ARCHIVE_EXTENSIONS (utils/filetypes.py), longest suffixes first for splitext.
_ARCHIVE_EXTENSIONS = (
    ".tar.bz2",
    ".tar.xz",
    ".tar.lz",
    ".tar.lzma",
    ".tar.gz",
    ".tbz",
    ".txz",
    ".tlz",
    ".tgz",
    ".tar",
    ".zip",
    ".whl",
)
_EGG_PYTHON = re.compile(r"-py([123]\.?[0-9]?)$")
_BUILD_TAG = re.compile(r"^(\d+)(.*)$")


class RejectionCode(StrEnum):
    """Why a file is not a candidate, or not the one taken. Values are stable JSON codes."""

    NOT_A_FILE = "not-a-file"
    UNSUPPORTED_ARCHIVE = "unsupported-archive"
    BINARY_NOT_ALLOWED = "binary-not-allowed"
    MACOSX10_ZIP = "macosx10-zip"
    INVALID_WHEEL_FILENAME = "invalid-wheel-filename"
    WRONG_PROJECT = "wrong-project"
    TAG_MISMATCH = "tag-mismatch"
    SOURCE_NOT_ALLOWED = "source-not-allowed"
    MISSING_VERSION = "missing-version"
    EGG_PYTHON_MISMATCH = "egg-python-mismatch"
    REQUIRES_PYTHON = "requires-python"
    INVALID_VERSION = "invalid-version"
    VERSION_NOT_REQUESTED = "version-not-requested"
    PRERELEASE = "prerelease"
    HASH_NOT_ALLOWED = "hash-not-allowed"
    YANKED = "yanked"


@dataclass(frozen=True)
class FinderPolicy:
    """The pip options that change which file is chosen."""

    formats: FormatControl = field(default_factory=FormatControl)
    prefer_binary: bool = False
    #: ``--pre``: True admits every pre-release; None applies packaging's default rule.
    allow_prereleases: bool | None = None
    ignore_requires_python: bool = False
    #: ``--hash`` values per hash name, from requirements files; empty means no checking.
    hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A file pip could install: its version and, for wheels, its best tag on the target."""

    file: DistributionFile
    version: Version
    is_wheel: bool
    #: Index of the wheel's most preferred tag in the target's tags (0 is best).
    tag_index: int | None = None
    #: That tag, e.g. ``cp39-cp39-manylinux_2_17_aarch64``.
    matched_tag: str | None = None
    build_tag: tuple[int, str] | tuple[()] = ()


@dataclass(frozen=True)
class Rejection:
    """A file that was passed over, with pip's reason and wheelshim's diagnosis.

    For a tag mismatch, ``mismatch`` says which part of the wheel's tags is wrong; it is
    worked out on first access, since most rejections are never explained.
    """

    file: DistributionFile
    code: RejectionCode
    version: str | None = None
    requires_python: str | None = None
    target: Target | None = field(default=None, repr=False, compare=False)

    @cached_property
    def wheel_tags(self) -> frozenset[Tag]:
        """The tags of a wheel file (empty for other files)."""
        parsed = _parse_wheel(self.file.filename)
        return parsed[3] if parsed else frozenset()

    @cached_property
    def mismatch(self) -> TagMismatch | None:
        """Which part of the tags keeps a wheel off the target (tag mismatches only)."""
        if self.code is not RejectionCode.TAG_MISMATCH or self.target is None:
            return None
        return classify_mismatch(self.wheel_tags, self.target.mismatch_facts)


_ParsedWheel = tuple[NormalizedName, Version, BuildTag, frozenset[Tag]]


@lru_cache(maxsize=65536)
def _parse_wheel(filename: str) -> _ParsedWheel | None:
    """``parse_wheel_filename`` once per file name, shared by every target."""
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return canonicalize_name(name), version, build, tags


@dataclass(frozen=True)
class FinderResult:
    """pip's ``BestCandidateResult`` plus the rejections.

    ``candidates`` are all files that passed the per-file checks, in collection order;
    ``applicable`` those the requirement admits, sorted worst to best by pip's key;
    ``best`` what pip's resolver takes first (None: "No matching distribution").
    """

    project: NormalizedName
    candidates: tuple[Candidate, ...]
    applicable: tuple[Candidate, ...]
    rejections: tuple[Rejection, ...]
    best: Candidate | None
    #: True when pre-releases were admitted only because no final release matched.
    prereleases_implicit: bool = False
    #: What ``PackageFinder.find_best_candidate`` returns (``max`` keeps the first of
    #: equally ranked files; the resolver, and so ``pip install``, takes the last).
    finder_best: Candidate | None = None


def is_pinned(specifier: SpecifierSet) -> bool:
    """pip's ``is_pinned``: ``===``, or ``==`` without a trailing ``.*``."""
    for spec in specifier:
        if spec.operator == "===":
            return True
        if spec.operator == "==" and not spec.version.endswith(".*"):
            return True
    return False


def _splitext(filename: str) -> tuple[str, str]:
    lowered = filename.lower()
    for extension in _ARCHIVE_EXTENSIONS:
        if lowered.endswith(extension):
            return filename[: -len(extension)], filename[-len(extension) :]
    stem, dot, ext = filename.rpartition(".")
    return (stem, f".{ext}") if dot and stem else (filename, "")


def _version_from_stem(stem: str, project: NormalizedName) -> str | None:
    """pip's ``_extract_version_from_fragment``: the text after the first fitting ``-``."""
    for index, char in enumerate(stem):
        if char == "-" and canonicalize_name(stem[:index]) == project:
            return stem[index + 1 :] or None
    return None


@lru_cache(maxsize=4096)
def _requires_python_ok(requires_python: str | None, python: tuple[int, int, int]) -> bool:
    if not requires_python:
        return True
    try:
        specifier = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True  # pip ignores an invalid Requires-Python (logs "Ignoring invalid")
    return Version(".".join(map(str, python))) in specifier


class _Evaluator:
    """``LinkEvaluator`` for one project, target and policy."""

    def __init__(self, project: NormalizedName, target: Target, policy: FinderPolicy) -> None:
        self.project = project
        self.target = target
        self.policy = policy
        self.formats = policy.formats.allowed_formats(project)
        self.tag_set = frozenset(target.tags)

    def evaluate(self, file: DistributionFile) -> Candidate | Rejection:
        stem, ext = _splitext(file.filename)
        early = self._check_format(file, ext)
        if early is not None:
            return early
        if ext == ".whl":
            return self._evaluate_wheel(file)
        return self._evaluate_source(file, stem)

    def _check_format(self, file: DistributionFile, ext: str) -> Rejection | None:
        if not ext:
            return Rejection(file, RejectionCode.NOT_A_FILE)
        if ext.lower() not in _ARCHIVE_EXTENSIONS:
            return Rejection(file, RejectionCode.UNSUPPORTED_ARCHIVE)
        if BINARY not in self.formats and ext == ".whl":
            return Rejection(file, RejectionCode.BINARY_NOT_ALLOWED)
        if "macosx10" in file.url and ext == ".zip":
            return Rejection(file, RejectionCode.MACOSX10_ZIP)
        return None

    def _evaluate_wheel(self, file: DistributionFile) -> Candidate | Rejection:
        parsed = _parse_wheel(file.filename)
        if parsed is None:
            return Rejection(file, RejectionCode.INVALID_WHEEL_FILENAME)
        name, version, build, file_tags = parsed
        if name != self.project:
            return Rejection(file, RejectionCode.WRONG_PROJECT)
        if self.tag_set.isdisjoint(file_tags):
            return Rejection(file, RejectionCode.TAG_MISMATCH, str(version), target=self.target)
        rejection = self._check_requires_python(file, str(version))
        if rejection is not None:
            return rejection
        priority = self.target.tag_priority
        index = min(priority[tag] for tag in file_tags if tag in priority)
        return Candidate(file, version, True, index, str(self.target.tags[index]), build)

    def _evaluate_source(self, file: DistributionFile, stem: str) -> Candidate | Rejection:
        if SOURCE not in self.formats:
            return Rejection(file, RejectionCode.SOURCE_NOT_ALLOWED)
        text = _version_from_stem(stem, self.project)
        if text is None:
            return Rejection(file, RejectionCode.MISSING_VERSION)
        match = _EGG_PYTHON.search(text)
        if match:
            text = text[: match.start()]
            if match.group(1) != f"{self.target.python.minor[0]}.{self.target.python.minor[1]}":
                return Rejection(file, RejectionCode.EGG_PYTHON_MISMATCH, text)
        rejection = self._check_requires_python(file, text)
        if rejection is not None:
            return rejection
        try:
            version = Version(text)
        except InvalidVersion:
            return Rejection(file, RejectionCode.INVALID_VERSION, text)
        return Candidate(file, version, False)

    def _check_requires_python(self, file: DistributionFile, version: str) -> Rejection | None:
        if self.policy.ignore_requires_python:
            return None
        if _requires_python_ok(file.requires_python, self.target.python.full):
            return None
        return Rejection(
            file, RejectionCode.REQUIRES_PYTHON, version, requires_python=file.requires_python
        )


def _sort_key(
    candidate: Candidate, policy: FinderPolicy, tag_count: int
) -> tuple[int, int, int, Version, int, tuple[int, str] | tuple[()]]:
    """pip's ``CandidateEvaluator._sort_key`` (larger is better)."""
    has_allowed_hash = int(_hash_allowed(candidate.file, policy.hashes))
    yank_value = -1 if candidate.file.yanked else 0
    binary_preference = 1 if candidate.is_wheel and policy.prefer_binary else 0
    priority = -(candidate.tag_index if candidate.tag_index is not None else tag_count)
    return (
        has_allowed_hash,
        yank_value,
        binary_preference,
        candidate.version,
        priority,
        candidate.build_tag,
    )


def _hash_allowed(file: DistributionFile, hashes: Mapping[str, frozenset[str]]) -> bool:
    return any(file.hashes.get(name) in allowed for name, allowed in hashes.items())


def _filter_hashes(
    candidates: list[Candidate], hashes: Mapping[str, frozenset[str]]
) -> tuple[list[Candidate], list[Candidate]]:
    """pip's ``filter_unallowed_hashes``: returns (kept, dropped)."""
    if not hashes:
        return candidates, []
    kept: list[Candidate] = []
    dropped: list[Candidate] = []
    matches = 0
    for candidate in candidates:
        if not candidate.file.hashes:
            kept.append(candidate)
        elif _hash_allowed(candidate.file, hashes):
            matches += 1
            kept.append(candidate)
        else:
            dropped.append(candidate)
    return (kept, dropped) if matches else (candidates, [])


def _applicable(
    candidates: Sequence[Candidate], specifier: SpecifierSet, policy: FinderPolicy
) -> tuple[list[Candidate], list[Rejection], bool]:
    """``get_applicable_candidates`` minus sorting: filter by version, pre-release, hash."""
    versions = [str(c.version) for c in candidates]
    admitted = set(specifier.filter(versions, prereleases=policy.allow_prereleases))
    finals_admitted = any(not Version(v).is_prerelease for v in admitted)
    implicit = bool(admitted) and not finals_admitted and policy.allow_prereleases is None
    kept: list[Candidate] = []
    rejections: list[Rejection] = []
    for candidate in candidates:
        if str(candidate.version) in admitted:
            kept.append(candidate)
            continue
        code = _exclusion_code(candidate.version, specifier, policy)
        rejections.append(Rejection(candidate.file, code, str(candidate.version)))
    kept, dropped = _filter_hashes(kept, policy.hashes)
    rejections.extend(
        Rejection(c.file, RejectionCode.HASH_NOT_ALLOWED, str(c.version)) for c in dropped
    )
    return kept, rejections, implicit and any(c.version.is_prerelease for c in kept)


def _exclusion_code(
    version: Version, specifier: SpecifierSet, policy: FinderPolicy
) -> RejectionCode:
    if version.is_prerelease and specifier.contains(version, prereleases=True):
        return RejectionCode.PRERELEASE
    return RejectionCode.VERSION_NOT_REQUESTED


def _pick(
    ranked: Sequence[Candidate], specifier: SpecifierSet
) -> tuple[Candidate | None, list[Rejection]]:
    """The resolver's walk (``iter_index_candidate_infos``): best first, yanked skipped
    unless every applicable file is yanked and the requirement is pinned.

    Yanked files that are not taken are returned as rejections, so explanations can
    say that a newer release was passed over for being yanked.
    """
    all_yanked = bool(ranked) and all(c.file.yanked for c in ranked)
    keep_yanked = all_yanked and is_pinned(specifier)
    usable = [c for c in reversed(ranked) if keep_yanked or not c.file.yanked]
    best = usable[0] if usable else None
    skipped = [
        Rejection(c.file, RejectionCode.YANKED, str(c.version))
        for c in ranked
        if c.file.yanked and (best is None or c.version != best.version)
    ]
    return best, skipped


class ProjectEvaluation:
    """A project's files judged for one target, lazily and at most once each.

    pip judges every file; the answer only depends on the files whose version the
    specifier could admit (pre-releases included, so pip's pre-release rule still sees
    every candidate it needs). :meth:`partial` judges just those; :meth:`complete`
    judges all, for pip's "(from versions: ...)" list. Not shared between threads.
    """

    def __init__(
        self,
        project: str,
        files: Sequence[DistributionFile],
        target: Target,
        policy: FinderPolicy,
        versions: Sequence[Version | None] | None = None,
    ) -> None:
        self.project = canonicalize_name(project)
        self.tag_count = len(target.tags)
        self._files = files
        self._evaluator = _Evaluator(self.project, target, policy)
        self._outcomes: dict[int, Candidate | Rejection] = {}
        self._versions = versions if versions is not None else file_versions(self.project, files)
        self._by_version: dict[Version, list[int]] = {}
        self._newest_first: list[Version] | None = None
        for index, version in enumerate(self._versions):
            if version is not None:
                self._by_version.setdefault(version, []).append(index)

    def _judge(self, indexes: Iterable[int]) -> tuple[list[Candidate], list[Rejection]]:
        candidates: list[Candidate] = []
        rejections: list[Rejection] = []
        for index in indexes:
            outcome = self._outcomes.get(index)
            if outcome is None:
                outcome = self._outcomes[index] = self._evaluator.evaluate(self._files[index])
            if isinstance(outcome, Candidate):
                candidates.append(outcome)
            else:
                rejections.append(outcome)
        return candidates, rejections

    def partial(self, specifier: SpecifierSet) -> tuple[list[Candidate], list[Rejection]]:
        """Judge the files whose version ``specifier`` could admit (or cannot be read)."""
        indexes = [i for i, v in enumerate(self._versions) if v is None]
        for version, at in self._by_version.items():
            if specifier.contains(version, prereleases=True):
                indexes.extend(at)
        return self._judge(sorted(indexes))

    def complete(self) -> tuple[list[Candidate], list[Rejection]]:
        """Judge every file, in collection order."""
        return self._judge(range(len(self._files)))

    def versions_newest_first(self, specifier: SpecifierSet) -> Iterator[Version]:
        """Versions named by file names that ``specifier`` could admit, newest first.

        Lazy: a resolver usually stops at the first one or two.
        """
        if self._newest_first is None:
            self._newest_first = sorted(self._by_version, reverse=True)
        return (v for v in self._newest_first if specifier.contains(v, prereleases=True))

    def candidates_of(self, version: Version) -> list[Candidate]:
        """The candidates among the files of one version, in collection order."""
        return self._judge(self._by_version.get(version, ()))[0]


def file_versions(project: str, files: Sequence[DistributionFile]) -> list[Version | None]:
    """The version each file name states (None where it cannot be read cheaply).

    Independent of the target: compute it once per project and pass it to every
    :class:`ProjectEvaluation`.
    """
    name = canonicalize_name(project)
    return [_quick_version(filename, name) for filename in filenames_of(files)]


@lru_cache(maxsize=65536)
def _quick_version(filename: str, project: NormalizedName) -> Version | None:
    """The version a file name states, cheaply; None when it cannot be read that way."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return _version(parts[1]) if len(parts) in (5, 6) else None
    stem, _ = _splitext(filename)
    text = _version_from_stem(stem, project)
    return None if text is None else _version(_EGG_PYTHON.sub("", text))


@lru_cache(maxsize=65536)
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def select(
    evaluation: ProjectEvaluation,
    specifier: SpecifierSet,
    policy: FinderPolicy,
    *,
    complete: bool = False,
) -> FinderResult:
    """Apply a requirement's specifier, pip's ranking and the yanked rule.

    With ``complete`` (or when nothing matches) every file is judged, so that the result
    carries all of pip's candidates and rejections.
    """
    candidates, rejections = evaluation.partial(specifier)
    applicable, excluded, implicit = _applicable(candidates, specifier, policy)
    ranked = sorted(applicable, key=lambda c: _sort_key(c, policy, evaluation.tag_count))
    best, skipped = _pick(ranked, specifier)
    finder_best = _first_of_best(ranked, policy, evaluation.tag_count)
    if complete or best is None:
        candidates, rejections = evaluation.complete()
        _, excluded, _ = _applicable(candidates, specifier, policy)
    return FinderResult(
        project=evaluation.project,
        candidates=tuple(candidates),
        applicable=tuple(ranked),
        rejections=(*rejections, *excluded, *skipped),
        best=best,
        prereleases_implicit=implicit,
        finder_best=finder_best,
    )


def _first_of_best(
    ranked: Sequence[Candidate], policy: FinderPolicy, tag_count: int
) -> Candidate | None:
    """``max(ranked, key)``: the first of the equally best, as pip's finder API gives it."""
    if not ranked:
        return None
    return max(ranked, key=lambda c: _sort_key(c, policy, tag_count))


def resolver_order(result: FinderResult, specifier: SpecifierSet) -> list[Candidate]:
    """The candidates pip's resolver tries, in order: one per version, best file first,
    yanked ones only where pip would take them (``iter_index_candidate_infos``)."""
    ranked = result.applicable
    keep_yanked = bool(ranked) and all(c.file.yanked for c in ranked) and is_pinned(specifier)
    seen: set[Version] = set()
    ordered: list[Candidate] = []
    for candidate in reversed(ranked):
        if (candidate.file.yanked and not keep_yanked) or candidate.version in seen:
            continue
        seen.add(candidate.version)
        ordered.append(candidate)
    return ordered


def _best_of_version(
    candidates: Sequence[Candidate], policy: FinderPolicy, tag_count: int
) -> Candidate:
    # reversed(sorted(...)) as the resolver walks it: among equal keys the last file wins.
    return max(reversed(candidates), key=lambda c: _sort_key(c, policy, tag_count))


def iter_resolver_candidates(
    evaluation: ProjectEvaluation, specifier: SpecifierSet, policy: FinderPolicy
) -> Iterator[Candidate]:
    """:func:`resolver_order`, lazily: one candidate per version, best first, judging
    only the files of the versions reached.

    Equivalent to ``resolver_order(select(...))`` because pip's sort key puts yanked
    files after all others and otherwise orders by version before tags. With
    ``--prefer-binary`` or ``--hash`` the key is different, so the eager path is used.
    """
    if policy.prefer_binary or policy.hashes:
        yield from resolver_order(select(evaluation, specifier, policy), specifier)
        return
    allow = policy.allow_prereleases
    if allow is None and specifier.prereleases:
        allow = True
    yielded = False
    any_final = False
    yanked: list[Candidate] = []
    for version in evaluation.versions_newest_first(specifier):
        if version.is_prerelease and not allow:
            continue
        found = evaluation.candidates_of(version)
        any_final = any_final or bool(found)
        usable = [c for c in found if not c.file.yanked]
        yanked += [c for c in found if c.file.yanked]
        if usable:
            yielded = True
            yield _best_of_version(usable, policy, evaluation.tag_count)
    if allow is None and not any_final:
        # packaging's rule: with no final release at all, pre-releases are taken.
        for version in evaluation.versions_newest_first(specifier):
            if not version.is_prerelease:
                continue
            found = evaluation.candidates_of(version)
            usable = [c for c in found if not c.file.yanked]
            yanked += [c for c in found if c.file.yanked]
            if usable:
                yielded = True
                yield _best_of_version(usable, policy, evaluation.tag_count)
    if not yielded and yanked and is_pinned(specifier):
        by_version: dict[Version, list[Candidate]] = {}
        for candidate in yanked:
            by_version.setdefault(candidate.version, []).append(candidate)
        for version in sorted(by_version, reverse=True):
            yield _best_of_version(by_version[version], policy, evaluation.tag_count)


def find_best(
    project: str,
    files: Sequence[DistributionFile],
    specifier: SpecifierSet,
    target: Target,
    policy: FinderPolicy | None = None,
) -> FinderResult:
    """What pip's finder and resolver take for ``project`` from ``files`` on ``target``.

    ``files`` must be in pip's collection order (see :class:`ProjectFiles`): ties between
    equally ranked files are broken by it exactly as pip breaks them.
    """
    policy = policy or FinderPolicy()
    return select(ProjectEvaluation(project, files, target, policy), specifier, policy)
