"""The ``wheelshim`` command line: a thin shell over the library.

Exit status: 0 every requirement installs from a wheel (or is skipped by its marker);
1 some requirement builds from source or finds no distribution; 2 bad input;
3 the index could not be reached (results that did arrive are still printed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from wheelshim import __version__
from wheelshim._api import coverage, explain_run
from wheelshim._config import IndexOptions
from wheelshim._exceptions import IndexUnreachable, InputError, WheelshimError
from wheelshim._explain import ExplainOptions, ExplainRun
from wheelshim._install import judge_install
from wheelshim._redact import redact_text
from wheelshim._render import (
    coverage_json,
    render_coverage,
    render_json,
    render_markdown,
    render_text,
    render_upgrade_plan,
)
from wheelshim._target import DOCKER_PLATFORMS, Target, TargetOptions, targets_from_options
from wheelshim._upgrade import plan_upgrades

__all__ = ["main"]

EXIT_INPUT = 2
EXIT_INDEX = 3

_EXPLAIN_EXAMPLES = """\
examples:
  wheelshim explain murmurhash==1.0.6 --platform linux/arm64 --python 3.9
  wheelshim explain -r requirements.txt --platform linux/arm64 --platform linux/amd64 --python 3.9
  wheelshim explain spacy==3.2.0 --platform linux/arm64 --python 3.9
  wheelshim explain --project pyproject.toml --python 3.12 --platform linux/arm64
  wheelshim explain filprofiler==2022.05.0 --platform linux/arm64 --platform linux/amd64 \\
      --python 3.9
  wheelshim explain numpy==1.21.0 --platform manylinux2014_aarch64 --python-version 39 \\
      --implementation cp --abi cp39 --only-binary=:all:
  wheelshim explain cryptography --image python:3.12-alpine --platform linux/arm64 --format json
"""

# pip install options with a value that wheelshim's check does not need.
_PIP_VALUE_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("-t", "--target"),
    ("--root",),
    ("--prefix",),
    ("--src",),
    ("--upgrade-strategy",),
    ("--progress-bar",),
    ("--log",),
    ("--proxy",),
    ("--report",),
    ("-C", "--config-settings"),
    ("--global-option",),
    ("--exists-action",),
    ("--root-user-action",),
)

_INSTALL_EXAMPLES = """\
examples:
  wheelshim install -r requirements.txt
  wheelshim install --check-only -r requirements.txt      # in a Dockerfile, before pip
  wheelshim install numpy==1.21.0 --user --no-cache-dir  # unknown options go to pip
"""

_UPGRADE_EXAMPLES = """\
examples:
  wheelshim upgrade -r requirements.txt --platform linux/arm64 --platform linux/amd64 \\
      --python 3.9 --diff
  wheelshim upgrade -r requirements.txt --platform linux/arm64 --python 3.9 --write
  wheelshim upgrade -r requirements.txt --platform linux/arm64 --format json
"""

_COVERAGE_EXAMPLES = """\
examples:
  wheelshim coverage murmurhash==1.0.6
  wheelshim coverage numpy --format json
"""

_TAGS_EXAMPLES = """\
examples:
  wheelshim tags --platform linux/arm64 --python 3.9
  wheelshim tags --platform linux/amd64 --python 3.13t --libc glibc-2.36
  wheelshim tags --platform manylinux2014_aarch64 --python-version 39 --implementation cp --abi cp39
"""


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "target",
        "Where pip would run. Each Docker platform is a target; pip platform tags "
        "(no '/') together form one target with pip's --platform semantics.",
    )
    group.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="PLATFORM",
        help="Docker platform (" + ", ".join(DOCKER_PLATFORMS) + ") or a pip platform tag "
        "such as manylinux2014_aarch64; repeatable. Default: this machine's Docker platform.",
    )
    group.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="VERSION",
        help="Python in the container: 3.9, 3.9.18 or free-threaded 3.13t; repeatable. "
        "Default: this interpreter's minor version.",
    )
    group.add_argument(
        "--python-version", metavar="VERSION", help="pip's --python-version (39, 3.9, 3.9.1)"
    )
    group.add_argument(
        "--implementation", metavar="IMPL", help="cp (CPython, default) or pp (PyPy)"
    )
    group.add_argument(
        "--abi",
        action="append",
        default=[],
        metavar="ABI",
        help="pip's --abi, e.g. cp39 or cp313t; repeatable",
    )
    group.add_argument(
        "--libc",
        metavar="LIBC",
        help="C library in the container: glibc-2.36, musl-1.2, or a Debian codename "
        "(bullseye, bookworm, trixie). Default: glibc 2.41 (Debian 13, as python:X-slim).",
    )
    group.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="IMAGE",
        help="an official image such as python:3.9-slim or python:3.12-alpine; sets Python and "
        "libc; repeatable",
    )


def _add_index_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "index",
        "Taken as pip takes them: command line, then PIP_* variables, then pip's "
        "configuration files, then the installed pip's default index.",
    )
    group.add_argument("-i", "--index-url", metavar="URL", help="the package index (PEP 503/691)")
    group.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="another index, merged with the first as pip merges them (no priority)",
    )
    group.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        metavar="LOCATION",
        help="a directory, HTML file or URL listing archives",
    )
    group.add_argument("--no-index", action="store_true", help="read only --find-links")
    group.add_argument(
        "--trusted-host",
        action="append",
        default=[],
        metavar="HOST",
        help="allow plain HTTP and skip TLS checks for this host, as pip",
    )
    group.add_argument(
        "-c",
        "--constraint",
        action="append",
        default=[],
        metavar="FILE",
        help="constraints file, as pip's -c (pip's configured constraint files apply too)",
    )
    group.add_argument("--cert", metavar="PATH", help="CA bundle for TLS verification")
    group.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="per-request timeout (pip's default: 15)"
    )
    group.add_argument(
        "--retries",
        type=int,
        metavar="N",
        help="retries after a failed request, with backoff (pip's default: 5)",
    )
    group.add_argument(
        "--isolated",
        action="store_true",
        help="ignore PIP_* variables and pip's user configuration, like pip",
    )
    group.add_argument("--offline", action="store_true", help="answer from the local cache only")
    group.add_argument(
        "--refresh",
        action="store_true",
        help="re-fetch index pages even when the cache holds fresh copies",
    )
    group.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="HTTP cache directory (default: the user cache dir, or WHEELSHIM_CACHE_DIR)",
    )


class _FormatAction(argparse.Action):
    """Keep --only-binary/--no-binary values in command-line order, as pip replays them."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        formats = list(getattr(namespace, "formats", None) or [])
        formats.append((self.dest.replace("_", "-"), str(values)))
        namespace.formats = formats


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("selection", "pip's options that change the choice.")
    group.add_argument(
        "--only-binary",
        action=_FormatAction,
        metavar="FORMAT",
        help=":all:, :none: or package names (no sdists for them)",
    )
    group.add_argument(
        "--no-binary",
        action=_FormatAction,
        metavar="FORMAT",
        help=":all:, :none: or package names (no wheels for them)",
    )
    group.add_argument("--pre", action="store_true", help="allow pre-releases")
    group.add_argument(
        "--prefer-binary", action="store_true", help="prefer an older wheel over a newer sdist"
    )
    group.add_argument(
        "--ignore-requires-python",
        action="store_true",
        help="accept files whatever their Requires-Python",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``wheelshim`` (also used to generate the CLI reference)."""
    parser = argparse.ArgumentParser(
        prog="wheelshim",
        description="Predict what pip installs for a Docker platform, image or pip target "
        "before you build, and why.",
    )
    parser.add_argument("--version", action="version", version=f"wheelshim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    explain = commands.add_parser(
        "explain",
        help="what pip would install for each requirement and target, and why",
        description="For each requirement and target: the file pip takes, or that it builds "
        "the sdist, or that it finds nothing, and why. The whole set is resolved for each "
        "target, as pip install inside that container would (--no-deps: each alone).",
        epilog=_EXPLAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument(
        "requirements",
        nargs="*",
        metavar="REQUIREMENT",
        help="PEP 508 requirement, e.g. murmurhash==1.0.6",
    )
    inputs = explain.add_argument_group(
        "inputs", "Where requirements come from, besides arguments."
    )
    inputs.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file, read as pip reads it (nested -r/-c, options, --hash)",
    )
    inputs.add_argument(
        "--project",
        metavar="FILE",
        help="pyproject.toml ([project] dependencies) or pylock.toml (PEP 751)",
    )
    inputs.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="with --project: an optional-dependencies extra (:all: for all)",
    )
    inputs.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="with --project: a PEP 735 dependency group (:all: for all)",
    )
    inputs.add_argument(
        "--no-fixes",
        action="store_true",
        help="skip reading sdists for their build needs and looking for fixes (faster)",
    )
    inputs.add_argument(
        "--no-deps",
        action="store_true",
        help="judge each requirement alone, as pip --no-deps (default: resolve the whole set "
        "for each target, as pip install does)",
    )
    _add_target_options(explain)
    _add_selection_options(explain)
    _add_index_options(explain)
    explain.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text for people (default), json for tools, markdown for PRs",
    )
    explain.add_argument(
        "-v", "--verbose", action="store_true", help="also explain results that are wheels"
    )
    tags = commands.add_parser(
        "tags",
        help="a target's wheel tags, most preferred first",
        description="Print the ordered wheel tags of each target, one per line.",
        epilog=_TAGS_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_target_options(tags)
    cover = commands.add_parser(
        "coverage",
        help="which platforms and Pythons a release has wheels for",
        description="A release's wheels by OS, architecture, libc and Python, the first "
        "release that gained each platform, and the cibuildwheel settings that would add "
        "the missing Linux wheels.",
        epilog=_COVERAGE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upgrade = commands.add_parser(
        "upgrade",
        help="the smallest version bumps that make a requirements file install "
        "from wheels on every target",
        description="Find, for every requirement that builds with a compiler or finds no "
        "distribution on some target, the nearest release with wheels for every target. "
        "Print the plan, a unified diff (--diff), or rewrite the file (--write), changing "
        "only version specifiers (and --hash options, updated from the index).",
        epilog=_UPGRADE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upgrade.add_argument(
        "-r",
        "--requirement",
        required=True,
        metavar="FILE",
        help="the requirements file to upgrade",
    )
    output = upgrade.add_mutually_exclusive_group()
    output.add_argument("--diff", action="store_true", help="print a unified diff")
    output.add_argument("--write", action="store_true", help="rewrite the file in place")
    upgrade.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the plan as text (default) or json",
    )
    _add_target_options(upgrade)
    _add_selection_options(upgrade)
    _add_index_options(upgrade)
    install = commands.add_parser(
        "install",
        help="check what pip would do here, then run pip install",
        description="Explain the requirements for this machine's Python first; stop when pip "
        "would find no distribution or would build an sdist whose compiler is missing here, "
        "otherwise run `python -m pip install` with the same arguments. Options wheelshim "
        "does not know are passed to pip unchanged.",
        epilog=_INSTALL_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    install.add_argument("requirements", nargs="*", metavar="REQUIREMENT")
    install.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE")
    install.add_argument("--no-deps", action="store_true")
    install.add_argument(
        "--check-only",
        action="store_true",
        help="only check; do not run pip (exit 1 when the check blocks)",
    )
    install.add_argument("--force", action="store_true", help="run pip even when the check blocks")
    _add_selection_options(install)
    _add_index_options(install)
    cover.add_argument("project", metavar="PROJECT[==VERSION]")
    _add_index_options(cover)
    cover.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for tools",
    )
    return parser


def _target_options(args: argparse.Namespace) -> TargetOptions:
    return TargetOptions(
        platforms=tuple(args.platform),
        pythons=tuple(args.python),
        pip_python_version=args.python_version,
        implementation=args.implementation,
        abis=tuple(args.abi),
        libc=args.libc,
        images=tuple(args.image),
    )


def _explain_options(args: argparse.Namespace) -> ExplainOptions:
    return replace(
        _selection_options(args),
        no_deps=args.no_deps,
        progress=sys.stderr.isatty(),
        advise=not args.no_fixes,
        requirement_files=tuple(args.requirement),
        project_file=args.project,
        extras=tuple(args.extra),
        groups=tuple(args.group),
    )


def _selection_options(args: argparse.Namespace) -> ExplainOptions:
    """Index options plus pip's selection options (--only-binary, --pre ...)."""
    return replace(
        _index_only_options(args),
        formats=tuple(getattr(args, "formats", None) or ()),
        prefer_binary=args.prefer_binary,
        pre=args.pre,
        ignore_requires_python=args.ignore_requires_python,
    )


def _print_run(run: ExplainRun, output_format: str, verbose: bool) -> None:
    errors = [(error.project, error.message) for error in run.errors]
    if output_format == "json":
        print(render_json(run.report, errors))
    elif output_format == "markdown":
        print(render_markdown(run.report), end="")
    else:
        print(render_text(run.report, verbose=verbose), end="")
    for project, message in errors:
        print(f"wheelshim: {project}: {message}", file=sys.stderr)


def _cmd_explain(args: argparse.Namespace) -> int:
    if not (args.requirements or args.requirement or args.project):
        raise InputError("nothing to explain: give requirements, -r FILE or --project FILE")
    targets = targets_from_options(_target_options(args))
    run = explain_run(args.requirements, targets, _explain_options(args))
    _print_run(run, args.format, args.verbose)
    return EXIT_INDEX if run.errors else run.report.exit_code


def _cmd_install(args: argparse.Namespace, passthrough: Sequence[str]) -> int:
    if not (args.requirements or args.requirement):
        raise InputError("nothing to install: give requirements or -r FILE")
    options = replace(
        _selection_options(args),
        no_deps=args.no_deps,
        requirement_files=tuple(args.requirement),
        progress=sys.stderr.isatty(),
    )
    run = explain_run(args.requirements, [Target.host()], options)
    verdict = judge_install(run.report)
    for line in verdict.lines():
        print(line, file=sys.stderr)
    if run.errors:
        return EXIT_INDEX
    if args.check_only:
        return 0 if verdict.proceed else 1
    if not verdict.proceed and not args.force:
        print(
            "wheelshim: not running pip (use --force to run it anyway; `wheelshim explain` "
            "shows why and the fixes)",
            file=sys.stderr,
        )
        return 1
    return subprocess.call([sys.executable, "-m", "pip", "install", *passthrough])


def _cmd_upgrade(args: argparse.Namespace) -> int:
    targets = targets_from_options(_target_options(args))
    options = _selection_options(args)
    plan = plan_upgrades(args.requirement, targets, options)
    if args.diff:
        print(plan.diff(), end="")
    elif args.format == "json":
        print(json.dumps(plan.as_json(), indent=2, ensure_ascii=False))
    else:
        print(render_upgrade_plan(plan), end="")
    if args.write:
        plan.write()
    for bump in plan.bumps:
        if bump.hash_note:
            print(f"wheelshim: warning: {bump.project}: {bump.hash_note}", file=sys.stderr)
    return 0 if plan.complete else 1


def _cmd_coverage(args: argparse.Namespace) -> int:
    report = coverage(args.project, _index_only_options(args))
    if args.format == "json":
        print(json.dumps(coverage_json(report), indent=2, ensure_ascii=False))
    else:
        print(render_coverage(report), end="")
    return 0


def _index_only_options(args: argparse.Namespace) -> ExplainOptions:
    return ExplainOptions(
        index=IndexOptions(
            index_url=args.index_url,
            extra_index_urls=tuple(args.extra_index_url),
            find_links=tuple(args.find_links),
            no_index=args.no_index,
            trusted_hosts=tuple(args.trusted_host),
            cert=args.cert,
            timeout=args.timeout,
            retries=args.retries,
            isolated=args.isolated,
            constraints=tuple(getattr(args, "constraint", ())),
        ),
        offline=args.offline,
        refresh=args.refresh,
        cache_dir=args.cache_dir,
    )


def _cmd_tags(args: argparse.Namespace) -> int:
    for target in targets_from_options(_target_options(args)):
        if len(args.platform) > 1 or args.image:
            print(f"# {target.id}")
        for tag in target.tags:
            print(tag)
    return 0


def _pip_arguments(argv: Sequence[str]) -> list[str]:
    """The ``install`` arguments for pip: everything but wheelshim's own flags."""
    own = {"--check-only", "--force"}
    arguments = list(argv)
    start = arguments.index("install") + 1
    return [argument for argument in arguments[start:] if argument not in own]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["install"]:
        args, _ = parser.parse_known_args(arguments)
        try:
            return _cmd_install(args, _pip_arguments(arguments))
        except WheelshimError as error:
            print(f"wheelshim: error: {redact_text(str(error))}", file=sys.stderr)
            return error.exit_code
    args = parser.parse_args(arguments)
    handler = {
        "explain": _cmd_explain,
        "tags": _cmd_tags,
        "coverage": _cmd_coverage,
        "upgrade": _cmd_upgrade,
    }[args.command]
    try:
        return handler(args)
    except IndexUnreachable as error:
        print(f"wheelshim: {redact_text(str(error))}", file=sys.stderr)
        return EXIT_INDEX
    except WheelshimError as error:
        print(f"wheelshim: error: {redact_text(str(error))}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: nothing left to say to it.
        sys.stderr.close()
        return 0
