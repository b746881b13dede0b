"""``explain()``: every requirement on every target, each project page fetched once."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from wheelshim._config import IndexOptions, IndexSettings, load_index_settings
from wheelshim._exceptions import IndexUnreachable
from wheelshim._finder import FinderPolicy, find_best
from wheelshim._formats import FormatControl
from wheelshim._http import HttpClient, HttpSettings
from wheelshim._inputs import read_requirements_file
from wheelshim._models import FileSource, ProjectFiles
from wheelshim._outcome import Reason, ReasonCode, Report, Result
from wheelshim._predict import marker_result, outcome_from_finder, requirement_display
from wheelshim._redact import redact_text
from wheelshim._sources import PackageSources
from wheelshim._target import Target

__all__ = [
    "ExplainOptions",
    "ExplainRun",
    "ParsedRequirement",
    "ProjectError",
    "explain_no_deps",
    "run_explain",
]

_FETCH_WORKERS = 8


@dataclass(frozen=True)
class ExplainOptions:
    """pip's options that change the answer, plus how wheelshim reaches the index.

    ``formats`` replays ``--only-binary``/``--no-binary`` values in command-line order.
    Index settings follow pip: ``index`` (the command line), then ``PIP_*`` variables in
    ``environ``, then pip's configuration files, then the installed pip's default index.
    ``no_deps`` judges each requirement alone (``pip --no-deps``); otherwise the whole
    set is resolved per target. ``requirement_files`` (``-r``), ``project_file``
    (``pyproject.toml`` or ``pylock.toml``, with ``extras`` and dependency ``groups``)
    add to the requirement strings.
    """

    index: IndexOptions = field(default_factory=IndexOptions)
    no_deps: bool = False
    requirement_files: tuple[str, ...] = ()
    project_file: str | None = None
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    #: Read sdists for their build needs and offer checked fixes (costs downloads).
    advise: bool = True
    #: Redraw a one-line progress display on stderr while resolving.
    progress: bool = False
    formats: tuple[tuple[str, str], ...] = ()
    prefer_binary: bool = False
    pre: bool = False
    ignore_requires_python: bool = False
    offline: bool = False
    refresh: bool = False
    cache_dir: Path | None = None
    environ: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ParsedRequirement:
    """A requirement string with what the finder needs from it.

    ``specifier`` already includes any constraint on the project; ``constraints`` names
    the constraint lines that narrowed it (``file:line: text``).
    """

    text: str
    name: str
    specifier: SpecifierSet
    extras: frozenset[str]
    marker: Requirement | None
    constraints: tuple[str, ...] = ()

    @classmethod
    def from_requirement(cls, text: str, requirement: Requirement) -> ParsedRequirement:
        """From a parsed requirement and the text it was written as."""
        return cls(
            text,
            requirement.name,
            requirement.specifier,
            frozenset(requirement.extras),
            requirement if requirement.marker is not None else None,
        )

    @property
    def display(self) -> str:
        """pip's rendering of the requirement in its messages."""
        return requirement_display(self.name, self.extras, _spec_text(self))


def _spec_text(requirement: ParsedRequirement) -> str:
    if str(requirement.specifier) == f"==={_EMPTY_ARBITRARY}":
        return "==="
    return str(requirement.specifier)


# pip's vendored packaging reads "name===" as an arbitrary-equality pin to the empty
# string, which matches no release ("No matching distribution"); today's packaging
# rejects it. This stand-in keeps pip's answer without accepting anything else.
_EMPTY_ARBITRARY = "<empty>"


def pip_compatible_text(text: str) -> str:
    """``text`` with pip's old reading of ``name===`` spelled so packaging parses it."""
    head, sep, tail = text.strip().partition("===")
    if sep and not tail.strip() and head.strip():
        return f"{head.strip()}==={_EMPTY_ARBITRARY}"
    return text


@dataclass(frozen=True)
class ProjectError:
    """A project whose page could not be read: its results are missing from the report."""

    project: str
    message: str


Constraints = Mapping[str, tuple[SpecifierSet, tuple[str, ...]]]


def load_constraints(paths: Sequence[str], environ: Mapping[str, str]) -> Constraints:
    """Constraint files (``-c``, ``PIP_CONSTRAINT``, pip's ``constraint`` setting), by project.

    Each project maps to the intersection of its constraints and the lines they came from.
    """
    combined: dict[str, tuple[SpecifierSet, tuple[str, ...]]] = {}
    for path in paths:
        for entry in read_requirements_file(path, environ, constraint=True).constraints:
            if entry.requirement is None:
                continue
            name = canonicalize_name(entry.requirement.name)
            specifier, sources = combined.get(name, (SpecifierSet(), ()))
            where = f"{entry.origin.path}:{entry.origin.line}" if entry.origin else path
            combined[name] = (
                specifier & entry.requirement.specifier,
                (*sources, f"{where}: {entry.raw.strip()}"),
            )
    return combined


def constrain(requirement: ParsedRequirement, constraints: Constraints) -> ParsedRequirement:
    """``requirement`` narrowed by the constraints on its project, as pip's resolver does."""
    found = constraints.get(canonicalize_name(requirement.name))
    if found is None:
        return requirement
    specifier, sources = found
    return replace(requirement, specifier=requirement.specifier & specifier, constraints=sources)


def policy_for(options: ExplainOptions, settings: IndexSettings | None) -> FinderPolicy:
    """The finder policy: pip's configured format sets, then the command line's changes."""
    formats = FormatControl()
    if settings is not None:
        formats = FormatControl(frozenset(settings.no_binary), frozenset(settings.only_binary))
    formats = FormatControl.from_options(options.formats, start=formats)
    pre = options.pre or bool(settings and settings.pre)
    return FinderPolicy(
        formats=formats,
        prefer_binary=options.prefer_binary or bool(settings and settings.prefer_binary),
        allow_prereleases=True if pre else None,
        ignore_requires_python=options.ignore_requires_python,
    )


def open_sources(options: ExplainOptions) -> tuple[PackageSources, IndexSettings, HttpClient]:
    """Index settings as pip finds them, one shared HTTP client, and the page reader."""
    environ = os.environ if options.environ is None else options.environ
    settings = load_index_settings(options.index, environ)
    client = HttpClient(
        HttpSettings.from_environ(
            environ,
            cache_dir=options.cache_dir,
            offline=options.offline,
            refresh=options.refresh,
            timeout=settings.timeout,
            retries=settings.retries,
            cert=settings.cert,
            trusted_hosts=settings.trusted_hosts,
        )
    )
    return PackageSources(settings, client), settings, client


def fetch_all(
    source: FileSource, projects: Sequence[str]
) -> tuple[dict[str, ProjectFiles], list[ProjectError]]:
    """Fetch every project page concurrently; keep what arrived when some fail."""
    unique = list(dict.fromkeys(canonicalize_name(name) for name in projects))
    found: dict[str, ProjectFiles] = {}
    errors: list[ProjectError] = []
    with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
        futures = {name: pool.submit(source.project_files, name) for name in unique}
        for name, future in futures.items():
            try:
                found[name] = future.result()
            except IndexUnreachable as error:
                errors.append(ProjectError(name, redact_text(str(error))))
    return found, errors


def predict_one(
    requirement: ParsedRequirement,
    files: ProjectFiles,
    target: Target,
    policy: FinderPolicy,
) -> Result:
    """The outcome of one requirement on one target (``--no-deps`` semantics)."""
    marker = requirement.marker.marker if requirement.marker is not None else None
    if marker is not None:
        skipped = marker_result(requirement.text, str(files.project), marker, target)
        if skipped is not None:
            return skipped
    finder = find_best(requirement.name, files.files, requirement.specifier, target, policy)
    result = outcome_from_finder(
        requirement.text,
        requirement.display,
        finder,
        files,
        requirement.specifier,
        target,
        marker,
    )
    if not requirement.constraints:
        return result
    note = Reason(ReasonCode.CONSTRAINED, MappingProxyType({"lines": requirement.constraints}))
    return replace(result, reasons=(*result.reasons, note))


@dataclass(frozen=True)
class ExplainRun:
    """A report and the projects that could not be read (their results are absent)."""

    report: Report
    errors: tuple[ProjectError, ...]


def run_explain(
    requirements: Sequence[ParsedRequirement],
    targets: Sequence[Target],
    source: FileSource,
    policy: FinderPolicy,
    sources_read: Sequence[str] = (),
) -> ExplainRun:
    """Predict every requirement on every target from ``source``."""
    pages, errors = fetch_all(source, [r.name for r in requirements])
    results = [
        predict_one(requirement, pages[canonicalize_name(requirement.name)], target, policy)
        for requirement in requirements
        if canonicalize_name(requirement.name) in pages
        for target in targets
    ]
    report = Report(targets=tuple(targets), results=tuple(results), sources=tuple(sources_read))
    return ExplainRun(report, tuple(errors))


def explain_no_deps(
    requirements: Sequence[ParsedRequirement],
    targets: Sequence[Target],
    options: ExplainOptions,
    extra_constraints: Constraints | None = None,
) -> ExplainRun:
    """Each requirement on its own (``pip install --no-deps``), against the index.

    pip's configured constraint files apply. Projects whose pages cannot be read are
    listed in ``errors``; the others' results are kept.
    """
    environ = os.environ if options.environ is None else options.environ
    sources, settings, client = open_sources(options)
    constraints = {**load_constraints(settings.constraints, environ), **(extra_constraints or {})}
    policy = policy_for(options, settings)
    with client:
        run = run_explain(
            [constrain(requirement, constraints) for requirement in requirements],
            targets,
            sources,
            policy,
            sources.describe(),
        )
        if options.advise:
            from wheelshim._advice import Advisor

            advised = Advisor(sources, client, targets, policy).advise(run.report.results)
            run = ExplainRun(replace(run.report, results=tuple(advised)), run.errors)
        stats = client.stats
    report = replace(
        run.report,
        stats=MappingProxyType(
            {
                "requests": stats.requests,
                "bytes_received": stats.bytes_received,
                "cache_hits": stats.cache_hits,
            }
        ),
    )
    return ExplainRun(report, run.errors)
