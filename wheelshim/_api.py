"""The front door: read every input, then explain with or without resolution."""

from __future__ import annotations

import os
from collections.abc import Sequence

from packaging.requirements import InvalidRequirement as InvalidRequirementError
from packaging.requirements import Requirement
from packaging.version import Version

from wheelshim._coverage import CoverageReport, coverage_report
from wheelshim._exceptions import IndexUnreachable, InputError, InvalidRequirement
from wheelshim._explain import (
    ExplainOptions,
    ExplainRun,
    ParsedRequirement,
    explain_no_deps,
    open_sources,
    pip_compatible_text,
    policy_for,
    run_explain,
)
from wheelshim._inputs import InputSet, entry_text, read_inputs
from wheelshim._models import FileSource, filenames_of
from wheelshim._outcome import Report
from wheelshim._sets import direct_results, explain_inputs
from wheelshim._target import Target

__all__ = ["coverage", "explain", "explain_run", "read_all_inputs"]


def read_all_inputs(requirements: Sequence[str], options: ExplainOptions) -> InputSet:
    """Requirement strings, ``-r`` files, the index's constraint files (``-c``) and a
    ``pyproject.toml``/``pylock.toml``, merged in pip's order."""
    environ = os.environ if options.environ is None else options.environ
    return read_inputs(
        [pip_compatible_text(text) for text in requirements],
        options.requirement_files,
        options.index.constraints,
        options.project_file,
        environ,
        extras=options.extras,
        groups=options.groups,
    )


def _parsed(inputs: InputSet) -> list[ParsedRequirement]:
    return [
        ParsedRequirement.from_requirement(entry_text(entry), entry.requirement)
        for entry in inputs.requirements
        if entry.requirement is not None
    ]


def explain_run(
    requirements: Sequence[str], targets: Sequence[Target], options: ExplainOptions
) -> ExplainRun:
    """Like :func:`explain`, but a page that cannot be read leaves its project out of
    the report (listed in ``errors``) instead of raising."""
    inputs = read_all_inputs(requirements, options)
    if not options.no_deps:
        return explain_inputs(inputs, targets, options)
    run = explain_no_deps(_parsed(inputs), targets, options)
    direct = direct_results(inputs, targets)
    if not direct:
        return run
    report = run.report
    return ExplainRun(
        Report(report.targets, (*report.results, *direct), report.sources, report.stats),
        run.errors,
    )


def explain(
    requirements: Sequence[str],
    targets: Sequence[Target],
    options: ExplainOptions | None = None,
    *,
    source: FileSource | None = None,
) -> Report:
    """Predict what pip does on each target, and why.

    ``requirements`` are PEP 508 strings (``"murmurhash==1.0.6"``); more come from
    ``options.requirement_files`` and ``options.project_file``. By default the whole set
    is resolved for each target, as ``pip install`` inside that container would, and
    every package pip would install gets a result with the path that brought it in.
    With ``options.no_deps`` each requirement is judged alone (``pip --no-deps``).
    Markers are evaluated in each target's own environment.

    The index, extra indexes, find-links and constraint files come from ``options`` and
    pip's configuration, as pip takes them; ``source`` replaces the index entirely (for
    tests and offline tools; it implies ``no_deps``).

    Raises :class:`InvalidRequirement` / :class:`InvalidRequirementsFile` for bad input
    and :class:`IndexUnreachable` when a page could not be read after retries.
    """
    options = options or ExplainOptions()
    if source is not None:
        inputs = read_all_inputs(requirements, options)
        run = run_explain(_parsed(inputs), targets, source, policy_for(options, None))
    else:
        run = explain_run(requirements, targets, options)
    if run.errors:
        first = run.errors[0]
        raise IndexUnreachable(f"{first.project}: {first.message}")
    return run.report


def coverage(requirement: str, options: ExplainOptions | None = None) -> CoverageReport:
    """Which platforms and Pythons a release has wheels for (``PROJECT`` or ``PROJECT==V``).

    The release is the pinned one, else the newest final release. Raises
    :class:`InvalidRequirement` for anything but a name with an optional ``==`` pin, and
    :class:`InputError` when the project or release has no files on the index.
    """
    options = options or ExplainOptions()
    name, version = _coverage_target(requirement)
    sources, _, client = open_sources(options)
    with client:
        files = sources.project_files(name)
    report = coverage_report(name, filenames_of(files.files), version)
    if report is None:
        shown = f"{name}=={version}" if version else name
        raise InputError(f"no files for {shown} on the index: check the name and version")
    return report


def _coverage_target(requirement: str) -> tuple[str, Version | None]:
    try:
        parsed = Requirement(requirement)
    except InvalidRequirementError:
        parsed = None
    pins = [s for s in parsed.specifier if s.operator == "=="] if parsed else []
    if parsed is None or parsed.url or len(pins) != len(list(parsed.specifier)) or len(pins) > 1:
        raise InvalidRequirement(
            f"invalid project {requirement!r}: give a name, optionally pinned (numpy==1.26.4)"
        )
    return parsed.name, Version(pins[0].version) if pins else None
