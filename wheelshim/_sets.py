"""Whole requirement sets on many targets: inputs → resolution per target → results.

Pages and metadata are fetched once and shared by every target; targets are resolved
side by side. Each resolved package becomes one :class:`Result` per target, carrying
the dependency path that brought it in.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import MappingProxyType

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from wheelshim._advice import Advisor
from wheelshim._config import IndexOptions
from wheelshim._explain import (
    ExplainOptions,
    ExplainRun,
    ProjectError,
    load_constraints,
    open_sources,
    policy_for,
)
from wheelshim._finder import FinderPolicy, select
from wheelshim._inputs import InputRequirement, InputSet, entry_text
from wheelshim._metadata import MetadataFetcher
from wheelshim._outcome import Outcome, Reason, ReasonCode, Report, Result
from wheelshim._predict import marker_result, outcome_from_finder, requirement_display
from wheelshim._progress import Progress
from wheelshim._resolver import Pin, Resolution, ResolveContext, RootRequirement, resolve
from wheelshim._target import Target

__all__ = ["direct_results", "explain_inputs"]

# Metadata only: a larger sdist is not downloaded to read its PKG-INFO.
_MAX_SDIST_DOWNLOAD = 64 * 1024 * 1024


def _reason(code: ReasonCode, **data: object) -> Reason:
    return Reason(code, MappingProxyType(data))


def _merge_file_options(options: ExplainOptions, inputs: InputSet) -> ExplainOptions:
    """Index and selection options written in requirements files, applied as pip does."""
    file = inputs.options
    index = options.index
    urls = file.effective_index_urls(
        ((index.index_url,) if index.index_url else ()) + index.extra_index_urls,
        cli_no_index=index.no_index,
    )
    merged_index = IndexOptions(
        **{
            **index.__dict__,
            "index_url": urls[0] if urls else index.index_url,
            "extra_index_urls": tuple(urls[1:]) if urls else index.extra_index_urls,
            "find_links": (*index.find_links, *file.find_links),
            "no_index": index.no_index or file.no_index,
            "trusted_hosts": (*index.trusted_hosts, *file.trusted_hosts),
        }
    )
    return replace(
        options,
        index=merged_index,
        formats=(*file.format_changes, *options.formats),
        pre=options.pre or file.pre,
        prefer_binary=options.prefer_binary or file.prefer_binary,
    )


def _direct_result(entry: InputRequirement, target: Target) -> Result:
    assert entry.direct is not None
    name = entry.direct.name or entry.direct.location
    return Result(
        requirement=entry.raw.strip() or entry.direct.location,
        project=canonicalize_name(name) if entry.direct.name else name,
        target=target,
        outcome=Outcome.NOT_ON_INDEX,
        reasons=(
            _reason(
                ReasonCode.NOT_ON_INDEX, kind=entry.direct.kind, location=entry.direct.location
            ),
        ),
        via=(entry.raw.strip() or entry.direct.location,),
    )


def direct_results(inputs: InputSet, targets: Sequence[Target]) -> list[Result]:
    """URL, path, VCS and editable requirements: one "not on an index" result per target."""
    return [
        _direct_result(entry, target)
        for entry in inputs.requirements
        if entry.direct is not None
        for target in targets
    ]


def _roots_for(inputs: InputSet, target: Target) -> tuple[list[RootRequirement], list[Result]]:
    """Top-level requirements on one target: resolved roots, and results decided already
    (markers false on the target, direct references)."""
    roots: list[RootRequirement] = []
    decided: list[Result] = []
    for entry in inputs.requirements:
        if entry.direct is not None:
            decided.append(_direct_result(entry, target))
            continue
        assert entry.requirement is not None
        text = entry_text(entry)
        marker = entry.requirement.marker
        if marker is not None:
            skipped = marker_result(text, canonicalize_name(entry.requirement.name), marker, target)
            if skipped is not None:
                decided.append(skipped)
                continue
        requirement = Requirement(str(entry.requirement))
        requirement.marker = None
        roots.append(RootRequirement(text, requirement))
    return roots, decided


def _pin_result(pin: Pin, context: ResolveContext, target: Target) -> Result:
    files = context.project_files(pin.name)
    evaluated = context.evaluation(pin.name, target)
    specifier = SpecifierSet(f"=={pin.version}") if pin.version is not None else pin.specifier
    finder = select(evaluated, specifier, context.policy)
    display = requirement_display(pin.name, (), str(pin.specifier))
    result = outcome_from_finder(pin.via[-1], display, finder, files, specifier, target)
    extra: list[Reason] = []
    if pin.dependencies == "assumed":
        extra.append(_reason(ReasonCode.DEPENDENCIES_ASSUMED, wheel=pin.assumed_from or "?"))
    elif pin.dependencies == "unknown" and pin.candidate is not None:
        extra.append(_reason(ReasonCode.DEPENDENCIES_UNKNOWN, file=pin.candidate.file.filename))
    return replace(result, project=str(pin.name), via=pin.via, reasons=(*result.reasons, *extra))


def _resolution_results(
    resolution: Resolution, context: ResolveContext
) -> tuple[list[Result], list[ProjectError]]:
    unreachable = {name for name, _ in resolution.unreachable}
    results = [
        _pin_result(pin, context, resolution.target)
        for pin in resolution.pins
        if pin.name not in unreachable
    ]
    if resolution.conflict is not None:
        note = _reason(
            ReasonCode.RESOLUTION_IMPOSSIBLE,
            message=resolution.conflict.message,
            target=resolution.target.id,
        )
        results = [
            replace(r, reasons=(*r.reasons, note)) if len(r.via) == 1 else r for r in results
        ]
    errors = [ProjectError(name, message) for name, message in resolution.unreachable]
    return results, errors


def _constraint_specifiers(
    inputs: InputSet, settings_constraints: Mapping[str, tuple[SpecifierSet, tuple[str, ...]]]
) -> dict[str, SpecifierSet]:
    combined = {name: spec for name, (spec, _) in settings_constraints.items()}
    for entry in inputs.constraints:
        if entry.requirement is None:
            continue
        name = canonicalize_name(entry.requirement.name)
        combined[name] = combined.get(name, SpecifierSet()) & entry.requirement.specifier
    return combined


def _resolve_all(
    context: ResolveContext, inputs: InputSet, targets: Sequence[Target]
) -> tuple[list[Result], list[ProjectError]]:
    def one(target: Target) -> tuple[list[Result], list[ProjectError]]:
        roots, decided = _roots_for(inputs, target)
        resolved, errors = _resolution_results(resolve(context, roots, target), context)
        return decided + resolved, errors

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        outcomes = list(pool.map(one, targets))
    results = [result for target_results, _ in outcomes for result in target_results]
    errors = list({e.project: e for _, errs in outcomes for e in errs}.values())
    return results, errors


def _bumped_roots(
    roots: Sequence[RootRequirement], project: str, version: str
) -> list[RootRequirement]:
    """``roots`` with ``project`` pinned to ``version`` (replacing its own specifier)."""
    pinned: list[RootRequirement] = []
    for root in roots:
        if canonicalize_name(root.requirement.name) == canonicalize_name(project):
            requirement = Requirement(str(root.requirement))
            requirement.specifier = SpecifierSet(f"=={version}")
            root = RootRequirement(str(requirement), requirement)
        pinned.append(root)
    return pinned


def _resolution_check(
    make_context: Callable[[Mapping[str, SpecifierSet]], ResolveContext],
    inputs: InputSet,
    targets: Sequence[Target],
    constraints: Mapping[str, SpecifierSet],
) -> Callable[[str, str], bool]:
    """A check for upgrade fixes: does the set still resolve on every target with
    ``project`` at ``version``? Failures that do not involve ``project`` (another
    package with no distribution, say) were there before and do not count against it."""

    def still_resolves(project: str, version: str) -> bool:
        name = canonicalize_name(project)
        context = make_context({**constraints, name: SpecifierSet(f"=={version}")})
        try:
            for target in targets:
                roots = _bumped_roots(_roots_for(inputs, target)[0], project, version)
                conflict = resolve(context, roots, target).conflict
                if conflict is not None and _involves(conflict.causes, name):
                    return False
        finally:
            context.close()
        return True

    return still_resolves


def _involves(causes: Sequence[tuple[str, str | None]], name: str) -> bool:
    for requirement, parent in causes:
        parent_name = parent.split("==", 1)[0] if parent else None
        try:
            required = canonicalize_name(Requirement(requirement).name)
        except ValueError:
            required = None
        if name in (required, canonicalize_name(parent_name) if parent_name else None):
            return True
    return False


def explain_inputs(
    inputs: InputSet,
    targets: Sequence[Target],
    options: ExplainOptions,
    *,
    policy: FinderPolicy | None = None,
) -> ExplainRun:
    """Resolve ``inputs`` on every target and explain each package that pip installs."""
    options = _merge_file_options(options, inputs)
    environ = os.environ if options.environ is None else options.environ
    sources, settings, client = open_sources(options)
    constraints = _constraint_specifiers(inputs, load_constraints(settings.constraints, environ))
    fetcher = MetadataFetcher(client, max_download_bytes=_MAX_SDIST_DOWNLOAD)
    progress = Progress(sys.stderr if options.progress else None)
    policy = policy or policy_for(options, settings)

    def make_context(pins: Mapping[str, SpecifierSet]) -> ResolveContext:
        # Shares the page reader and metadata fetcher: a re-resolution fetches nothing new.
        return ResolveContext(sources, fetcher, policy, pins, progress=progress)

    context = make_context(constraints)
    with client:
        try:
            results, errors = _resolve_all(context, inputs, targets)
        finally:
            context.close()
            progress.close()
        if options.advise:
            check = _resolution_check(make_context, inputs, targets, constraints)
            advisor = Advisor(sources, client, targets, policy, still_resolves=check)
            results = advisor.advise(results)
        stats = client.stats
    report = Report(
        targets=tuple(targets),
        results=tuple(_order(results, targets)),
        sources=sources.describe(),
        stats=MappingProxyType(
            {
                "requests": stats.requests,
                "bytes_received": stats.bytes_received,
                "cache_hits": stats.cache_hits,
            }
        ),
    )
    return ExplainRun(report, tuple(errors))


def _order(results: Sequence[Result], targets: Sequence[Target]) -> list[Result]:
    """Packages in first-seen order, each followed by its results in target order."""
    rank = {target.id: index for index, target in enumerate(targets)}
    first_seen = {project: i for i, project in enumerate(dict.fromkeys(r.project for r in results))}
    return sorted(results, key=lambda r: (first_seen[r.project], rank[r.target.id]))
