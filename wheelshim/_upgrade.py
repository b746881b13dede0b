"""``upgrade``: the smallest version bumps after which a requirements file installs on
every target without a compiler, written back with only the specifiers changed.

A requirement needs a bump when, on some target, pip would find nothing or would build
an sdist that needs a compiler (a pure-Python sdist is fine). Its bump is the nearest
release with wheels for every target (newer first, smallest step). The plan is checked
by explaining the rewritten file again; what is still wrong stays in the plan, with why.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from wheelshim._advice import Advisor, releases_nearest_first
from wheelshim._coverage import file_version
from wheelshim._explain import ExplainOptions, open_sources, policy_for
from wheelshim._inputs import InputRequirement, entry_text, read_requirements_file
from wheelshim._metadata import MetadataFetcher
from wheelshim._models import ProjectFiles, filenames_of
from wheelshim._outcome import Outcome, ReasonCode, Result
from wheelshim._pins import Pin, PinChecker
from wheelshim._target import Target

__all__ = ["Bump", "UpgradePlan", "plan_upgrades"]

_HASH_OPTION = re.compile(r"\s*--hash[= ]\S+")


@dataclass(frozen=True)
class Bump:
    """One requirement's change, or why there is none.

    ``new`` is the new specifier text (``==1.21.0``); None when no release gets there,
    with ``why_not`` saying why. ``problems`` say what was wrong, per target.
    """

    project: str
    line: int | None
    old: str
    new: str | None
    problems: tuple[str, ...]
    why_not: str | None = None
    hashes: tuple[str, ...] = ()
    hash_note: str | None = None

    def as_json(self) -> dict[str, object]:
        """The JSON form of a bump."""
        return {
            "project": self.project,
            "line": self.line,
            "old": self.old,
            "new": self.new,
            "problems": list(self.problems),
            "why_not": self.why_not,
            "hashes": list(self.hashes),
            "hash_note": self.hash_note,
        }


@dataclass(frozen=True)
class UpgradePlan:
    """The bumps for one requirements file, its rewritten text, and what still fails."""

    path: str
    original: str
    updated: str
    bumps: tuple[Bump, ...]
    remaining: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when nothing fails or needs a compiler after the bumps."""
        return not self.remaining and all(bump.new is not None for bump in self.bumps)

    def diff(self) -> str:
        """A unified diff from the file as it is to the file as the plan writes it."""
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.updated.splitlines(keepends=True),
                fromfile=self.path,
                tofile=self.path,
            )
        )

    def write(self) -> None:
        """Replace the file with the updated text (atomically)."""
        target = Path(self.path)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".wheelshim-")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(self.updated)
        os.replace(temporary, target)

    def as_json(self) -> dict[str, object]:
        """The JSON form of the plan."""
        return {
            "schema": 1,
            "path": self.path,
            "complete": self.complete,
            "bumps": [bump.as_json() for bump in self.bumps],
            "remaining": list(self.remaining),
        }


def _problem(result: Result) -> str | None:
    """Why a result is not acceptable, or None (wheel, skipped, pure-Python sdist)."""
    where = result.target.id
    if result.outcome is Outcome.NO_MATCH:
        return f"{where}: no matching distribution"
    if result.outcome is Outcome.NOT_ON_INDEX:
        return f"{where}: not on an index (cannot be checked)"
    if result.outcome is not Outcome.SDIST:
        return None
    build = result.build
    if build is None or build.needs is None or build.prediction is None:
        return f"{where}: builds {result.file and result.file.filename} (needs unknown)"
    if not build.needs.compiler_needed and build.prediction.result.value == "builds":
        return None
    languages = "/".join(language.value for language in build.needs.languages) or "?"
    return f"{where}: builds {build.sdist}, needs a {languages} compiler or fails"


def _new_specifier(old: SpecifierSet, version: Version) -> str:
    """``==V`` for a pin; otherwise the clauses that still admit V, raised to ``>=V``."""
    if any(spec.operator in ("==", "===") for spec in old):
        return f"=={version}"
    kept = [
        str(spec)
        for spec in old
        if spec.contains(version, prereleases=True) and spec.operator not in (">=", ">", "~=")
    ]
    return ",".join([f">={version}", *kept])


def _hashes_for(files: ProjectFiles, version: Version) -> tuple[str, ...]:
    found: list[str] = []
    for index, name in enumerate(filenames_of(files.files)):
        if file_version(name, files.project) != version:
            continue
        digest = files.files[index].hashes.get("sha256")
        if digest:
            found.append(f"sha256:{digest}")
    return tuple(sorted(set(found)))


class _Planner:
    """Chooses bumps: wheels on every target first, then agreement with the other pins."""

    def __init__(
        self,
        advisor: Advisor,
        targets: Sequence[Target],
        checker: PinChecker,
        pins: dict[NormalizedName, Pin],
    ) -> None:
        self.advisor = advisor
        self.targets = targets
        self.checker = checker
        self.pins = pins

    def _agrees(self, pin: Pin) -> bool:
        """The pins that depend on the project admit the version, and the version's own
        dependencies admit the other pins."""
        others = {name: other for name, other in self.pins.items() if name != pin.project}
        return self.checker.admits(others.values(), pin.project, pin.version) and not (
            self.checker.conflicts_of(pin, others)
        )

    def choose(
        self,
        name: NormalizedName,
        current: Version | None,
        extras: frozenset[str],
        *,
        newer_only: bool = False,
    ) -> Version | None:
        """The nearest release with wheels everywhere, preferring one that agrees with
        the other pins (an agreeing one is searched among the nearest few)."""
        files = self.advisor.source.project_files(name)
        fallback: Version | None = None
        tried = 0
        for version in releases_nearest_first(files, current):
            if newer_only and current is not None and version <= current:
                continue
            if not self.advisor.has_wheel_everywhere(files, version):
                continue
            fallback = fallback or version
            if self._agrees(Pin(name, version, extras)):
                return version
            tried += 1
            if tried >= _AGREEMENT_SEARCH:
                break
        return None if newer_only else fallback

    def bump_for(self, entry: InputRequirement, problems: Sequence[str]) -> Bump:
        assert entry.requirement is not None
        name = canonicalize_name(entry.requirement.name)
        extras = frozenset(canonicalize_name(e) for e in entry.requirement.extras)
        version = self.choose(name, _pinned_version(entry.requirement.specifier), extras)
        if version is None:
            targets = ", ".join(target.id for target in self.targets)
            return _bump(
                entry,
                None,
                problems,
                why_not=f"no release of {name} has a compatible wheel for every target ({targets})",
            )
        self.pins[name] = Pin(name, version, extras)
        return _bump(entry, version, problems, files=self.advisor.source.project_files(name))

    def bump_parents(
        self, entries: Mapping[NormalizedName, InputRequirement], bumped: set[NormalizedName]
    ) -> list[tuple[InputRequirement, Bump]]:
        """Bump the pinned parents whose requirements exclude a bumped pin, to their
        nearest newer release that admits it (a few rounds: a parent bump can cascade)."""
        added: list[tuple[InputRequirement, Bump]] = []
        for _ in range(_PARENT_ROUNDS):
            conflicts = [c for c in self.checker.conflicts(self.pins) if c.project in bumped]
            parents = {c.parent.project: c for c in conflicts if c.parent.project not in bumped}
            progress = False
            for parent, conflict in parents.items():
                entry = entries.get(parent)
                if entry is None or entry.requirement is None:
                    continue
                current = self.pins[parent]
                version = self.choose(parent, current.version, current.extras, newer_only=True)
                if version is None:
                    continue
                self.pins[parent] = Pin(parent, version, current.extras)
                bumped.add(parent)
                added.append(
                    (
                        entry,
                        _bump(
                            entry,
                            version,
                            [conflict.message],
                            files=self.advisor.source.project_files(parent),
                        ),
                    )
                )
                progress = True
            if not progress:
                break
        return added


_AGREEMENT_SEARCH = 8
_PARENT_ROUNDS = 3


def _bump(
    entry: InputRequirement,
    version: Version | None,
    problems: Sequence[str],
    *,
    files: ProjectFiles | None = None,
    why_not: str | None = None,
) -> Bump:
    assert entry.requirement is not None
    name = canonicalize_name(entry.requirement.name)
    line = entry.origin.line if entry.origin else None
    old = str(entry.requirement.specifier)
    if version is None:
        return Bump(name, line, old, None, tuple(problems), why_not=why_not)
    hashes = _hashes_for(files, version) if entry.hashes and files is not None else ()
    note = None
    if entry.hashes and not hashes:
        note = "the index gives no sha256 for the new files: --hash options dropped"
    new = _new_specifier(entry.requirement.specifier, version)
    return Bump(name, line, old, new, tuple(problems), hashes=hashes, hash_note=note)


def _pins_of(inputs: Sequence[InputRequirement]) -> dict[NormalizedName, Pin]:
    pins: dict[NormalizedName, Pin] = {}
    for entry in inputs:
        if entry.requirement is None:
            continue
        version = _pinned_version(entry.requirement.specifier)
        if version is not None:
            name = canonicalize_name(entry.requirement.name)
            extras = frozenset(canonicalize_name(e) for e in entry.requirement.extras)
            pins.setdefault(name, Pin(name, version, extras))
    return pins


def _pinned_version(specifier: SpecifierSet) -> Version | None:
    for spec in specifier:
        if spec.operator == "==" and "*" not in spec.version:
            return Version(spec.version)
    return None


def _rewrite(text: str, path: str, entries: Mapping[int, tuple[InputRequirement, Bump]]) -> str:
    """Apply the bumps to ``text``: only specifiers (and hash options) change."""
    lines = text.splitlines(keepends=True)
    for index in sorted(entries, reverse=True):
        entry, bump = entries[index]
        if bump.new is None or entry.specifier_span is None:
            continue
        physical = entry.raw.count("\n") + 1
        start, end = entry.specifier_span
        first = lines[index]
        ending = first[len(first.rstrip("\r\n")) :]
        edited = first[:start] + bump.new + first[end:].rstrip("\r\n")
        if entry.hashes:
            lines[index : index + physical] = _with_hashes(edited, bump, ending)
        else:
            lines[index] = edited + ending
    return "".join(lines)


def _with_hashes(first: str, bump: Bump, ending: str) -> list[str]:
    bare = _HASH_OPTION.sub("", first).rstrip().removesuffix("\\").rstrip()
    if not bump.hashes:
        return [bare + ending]
    hashes = [f"    --hash={digest}" for digest in bump.hashes]
    body = [bare, *hashes]
    return [line + (" \\" if i < len(body) - 1 else "") + ending for i, line in enumerate(body)]


def plan_upgrades(
    requirements_file: str | os.PathLike[str],
    targets: Sequence[Target],
    options: ExplainOptions | None = None,
) -> UpgradePlan:
    """The smallest bumps that make ``requirements_file`` install on every target from
    wheels (or pure-Python sdists), checked by explaining the rewritten file again.

    Only entries of this file are rewritten; entries in nested ``-r`` files and
    transitive packages are reported in ``remaining`` when they still fail.
    """
    options = replace(options or ExplainOptions(), no_deps=True, advise=True)
    path = os.fspath(requirements_file)
    environ = os.environ if options.environ is None else options.environ
    inputs = read_requirements_file(path, environ)
    results = _explain_file(path, targets, options)
    sources, settings, client = open_sources(options)
    frozen = all(
        _pinned_version(e.requirement.specifier) is not None
        for e in inputs.requirements
        if e.requirement is not None
    )
    with client:
        policy = policy_for(options, settings)
        advisor = Advisor(sources, client, targets, policy)
        checker = PinChecker(sources, MetadataFetcher(client), policy, targets)
        planner = _Planner(advisor, targets, checker, _pins_of(inputs.requirements))
        edits: dict[int, tuple[InputRequirement, Bump]] = {}
        bumps: list[Bump] = []
        entries: dict[NormalizedName, InputRequirement] = {}
        for entry in inputs.requirements:
            if entry.requirement is None:
                continue
            entries.setdefault(canonicalize_name(entry.requirement.name), entry)
            problems = [p for r in results.get(entry_text(entry), ()) if (p := _problem(r))]
            if not problems:
                continue
            bumps.append(_record(planner.bump_for(entry, problems), entry, path, edits))
        bumped = {canonicalize_name(bump.project) for bump in bumps if bump.new is not None}
        for entry, bump in planner.bump_parents(entries, bumped):
            bumps.append(_record(bump, entry, path, edits))
        conflicts = [c.message for c in checker.conflicts(planner.pins)] if frozen else []
    original = Path(path).read_text(encoding="utf-8")
    updated = _rewrite(original, path, edits)
    remaining = _remaining(updated, path, targets, options, resolve_set=not frozen)
    return UpgradePlan(
        path, original, updated, tuple(bumps), tuple(dict.fromkeys([*remaining, *conflicts]))
    )


def _record(
    bump: Bump,
    entry: InputRequirement,
    path: str,
    edits: dict[int, tuple[InputRequirement, Bump]],
) -> Bump:
    """Remember where a bump of an entry of this file is written."""
    origin = entry.origin
    if origin is not None and origin.line and os.path.samefile(origin.path, path):
        edits[origin.line - 1] = (entry, bump)
    return bump


def _explain_file(
    path: str, targets: Sequence[Target], options: ExplainOptions
) -> dict[str, list[Result]]:
    from wheelshim._api import explain_run

    run = explain_run([], targets, replace(options, requirement_files=(path,)))
    by_text: dict[str, list[Result]] = {}
    for result in run.report.results:
        by_text.setdefault(result.requirement.strip(), []).append(result)
    return by_text


def _remaining(
    text: str, path: str, targets: Sequence[Target], options: ExplainOptions, *, resolve_set: bool
) -> tuple[str, ...]:
    """Explain the rewritten file (beside the original, so nested paths still work):
    each requirement alone, then (``resolve_set``) the whole set resolved as pip install
    would. A fully pinned file is checked pin against pin instead (see ``_pins``)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".wheelshim-check-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        alone = _explain_file(temporary, targets, options)
        resolved = _resolution_problems(temporary, targets, options) if resolve_set else []
    finally:
        os.unlink(temporary)
    problems = [
        f"{requirement}: {problem}"
        for requirement, found in alone.items()
        for result in found
        if (problem := _problem(result))
    ]
    return tuple(dict.fromkeys([*problems, *resolved]))


def _resolution_problems(
    path: str, targets: Sequence[Target], options: ExplainOptions
) -> list[str]:
    """What the resolved set adds: conflicts, and dependencies that fail or need builds."""
    from wheelshim._api import explain_run

    run = explain_run(
        [], targets, replace(options, requirement_files=(path,), no_deps=False, advise=False)
    )
    found: list[str] = []
    for result in run.report.results:
        for reason in result.reasons:
            if reason.code is ReasonCode.RESOLUTION_IMPOSSIBLE:
                found.append(f"resolution: {reason.message}")
        if len(result.via) > 1 and result.outcome is Outcome.NO_MATCH:
            found.append(f"{' -> '.join(result.via)}: {result.target.id}: no matching distribution")
    return found
