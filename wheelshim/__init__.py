"""wheelshim: what pip would install on a Docker platform, before you build.

The public API is what this module exports; every other module is private.

>>> import wheelshim
>>> target = wheelshim.Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
>>> str(target.tags[0])
'cp39-cp39-manylinux_2_36_aarch64'
"""

from __future__ import annotations

__version__ = "0.1.0"

from wheelshim._advice import BuildReport, Fix, FixKind
from wheelshim._api import coverage, explain
from wheelshim._config import IndexOptions
from wheelshim._coverage import CoverageReport
from wheelshim._exceptions import (
    ArchiveError,
    ConfigurationError,
    IndexUnreachable,
    InputError,
    InvalidRequirement,
    InvalidRequirementsFile,
    InvalidTarget,
    OfflineCacheMiss,
    WheelshimError,
)
from wheelshim._explain import ExplainOptions
from wheelshim._models import DistributionFile, ProjectFiles
from wheelshim._outcome import Outcome, Reason, ReasonCode, Report, Result
from wheelshim._render import render_json, render_markdown, render_text, report_json
from wheelshim._tags import Libc
from wheelshim._target import PythonSpec, Target, TargetOptions, targets_from_options
from wheelshim._upgrade import Bump, UpgradePlan, plan_upgrades

__all__ = [
    "ArchiveError",
    "BuildReport",
    "Bump",
    "ConfigurationError",
    "CoverageReport",
    "DistributionFile",
    "ExplainOptions",
    "Fix",
    "FixKind",
    "IndexOptions",
    "IndexUnreachable",
    "InputError",
    "InvalidRequirement",
    "InvalidRequirementsFile",
    "InvalidTarget",
    "Libc",
    "OfflineCacheMiss",
    "Outcome",
    "ProjectFiles",
    "PythonSpec",
    "Reason",
    "ReasonCode",
    "Report",
    "Result",
    "Target",
    "TargetOptions",
    "UpgradePlan",
    "WheelshimError",
    "__version__",
    "coverage",
    "explain",
    "plan_upgrades",
    "render_json",
    "render_markdown",
    "render_text",
    "report_json",
    "targets_from_options",
]
