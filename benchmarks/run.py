"""wheelshim beside pip and uv on the same requirement sets, in the same run.

For every corpus: wheelshim resolves all targets in one process; pip and uv need one
process per target. Cold = a fresh empty cache directory per run; warm = one unmeasured
priming run, then every run reuses that cache. Runs of the different tools are
interleaved (run 1 of every cell, then run 2, ...) so that a change of machine load hits
all tools alike. ``--observe`` adds one verbose run per cell and cache through a loopback
CONNECT proxy that counts connections and bytes.

Prints a markdown report (table, ratios, optional target checks, exact commands, load)
and writes the raw records to ``benchmarks/results/<timestamp>.json``. Nothing written
names an index host: the index URL is taken from the installed pip at run time and shown
as ``$INDEX_URL``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from connect_proxy import ConnectProxy
from measure import measure
from summary import (
    RunRecord,
    build_rows,
    check_results,
    markdown_checks,
    markdown_ratios,
    markdown_rows,
    ratio_table,
)
from tools import (
    TARGETS,
    TOOLS,
    Job,
    Tooling,
    build_command,
    command_text,
    isolated_env,
    logged_requests,
    parse_outcome,
    proxied_env,
    sanitize,
)

HERE = Path(__file__).resolve().parent
DEFAULT_CORPORA_DIR = HERE.parent.parent / "shared" / "corpora"
DEFAULT_CORPORA = (
    "derived/small-healthchecks-v3.0.arm64.wheel-only.txt",
    "derived/medium-microblog-2023.arm64.wheel-only.txt",
    "derived/medium-freqtrade-2024.6.arm64.wheel-only.txt",
)
ORIGINAL_CORPORA = (
    "small-healthchecks-v3.0.txt",
    "medium-microblog-2023.txt",
    "medium-freqtrade-2024.6.txt",
    "old-paperless-ng-2021-06.txt",
    "old-large-airflow-2.1.4-constraints-3.9.txt",
    "large-airflow-2.10-constraints-3.9.txt",
)


# -- options -------------------------------------------------------------------------------
def _csv(allowed: Sequence[str]) -> Any:
    def parse(text: str) -> tuple[str, ...]:
        values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
        unknown = [value for value in values if value not in allowed]
        if unknown or not values:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return values

    return parse


def _floor(text: str) -> tuple[str, float]:
    label, _, number = text.rpartition("=")
    try:
        return label, float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not [CORPUS=]BYTES: {text!r}") from None


def _add_corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="requirements file for all tools (repeatable; replaces the default small and "
        "medium wheel-only sets)",
    )
    parser.add_argument(
        "--original",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="requirements file for wheelshim only (repeatable): full sets on which pip and "
        "uv stop at the first wheel-less pin",
    )
    parser.add_argument(
        "--originals", action="store_true", help="all six original sets, wheelshim only"
    )
    parser.add_argument(
        "--corpora-dir",
        type=Path,
        default=Path(os.environ.get("WHEELSHIM_CORPORA", DEFAULT_CORPORA_DIR)),
        help="where the shared corpora are (default: shared/corpora beside the repository, "
        "or $WHEELSHIM_CORPORA)",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, help="timed runs per cell and cache (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help="1 run per cell (unless --runs is given)"
    )
    parser.add_argument("--tools", type=_csv(TOOLS), default=TOOLS, help="default: all")
    parser.add_argument(
        "--targets", type=_csv(tuple(TARGETS)), default=tuple(TARGETS), help="default: all"
    )
    parser.add_argument(
        "--cache", type=_csv(("cold", "warm")), default=("cold", "warm"), help="default: both"
    )
    parser.add_argument(
        "--observe",
        action="store_true",
        help="one extra verbose run per cell and cache through the counting proxy",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds before a run is killed (default 900)"
    )


def _add_tool_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-url", help="default: the installed pip's default index (PyPI.simple_url)"
    )
    parser.add_argument(
        "--pip-python",
        default=sys.executable,
        help="interpreter whose pip is measured (default: the one running run.py)",
    )
    parser.add_argument("--uv", help="uv binary (default: the uv package, then PATH)")
    parser.add_argument(
        "--wheelshim-per-target",
        action="store_true",
        help="also run wheelshim once per target (like-for-like with pip/uv)",
    )
    parser.add_argument(
        "--wheelshim-positional",
        action="store_true",
        help="pass the file's requirement lines as arguments instead of -r FILE",
    )


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="print the target checks")
    parser.add_argument(
        "--bytes-floor",
        type=_floor,
        action="append",
        default=[],
        metavar="[CORPUS=]BYTES",
        help="bytes of (project pages + metadata files needed), the denominator of the bytes "
        "check; CORPUS is a corpus label as in the table (repeatable; without it: every corpus)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=HERE / "results",
        help="where the raw JSON goes (default benchmarks/results, git-ignored)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="run nothing: print the report of an earlier results file again (e.g. with "
        "--check --bytes-floor N)",
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    _add_corpus_options(parser)
    _add_run_options(parser)
    _add_tool_options(parser)
    _add_report_options(parser)
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


# -- set-up --------------------------------------------------------------------------------
def default_index_url(pip_python: str) -> str:
    """pip's default index, asked of the installed pip (never written down here)."""
    code = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    env = isolated_env(os.environ)
    done = subprocess.run(
        [pip_python, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def find_uv(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:
        return str(find_uv_bin())
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def make_tooling(args: argparse.Namespace) -> Tooling:
    uv = find_uv(args.uv)
    if uv is None and "uv" in args.tools:
        sys.exit("run.py: uv not found: pip install uv, or give --uv PATH")
    return Tooling(
        index_url=args.index_url or default_index_url(args.pip_python),
        wheelshim_python=sys.executable,
        pip_python=args.pip_python,
        uv_bin=uv or "uv",
        cert=os.environ.get("PIP_CERT") or None,
        wheelshim_positional=args.wheelshim_positional,
    )


def _version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(
            list(argv), env=isolated_env(os.environ), capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable: {error}"
    if done.returncode != 0:
        return f"unavailable (exit {done.returncode})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def tool_versions(tooling: Tooling) -> dict[str, str]:
    return {
        "wheelshim": _version([tooling.wheelshim_python, "-m", "wheelshim", "--version"]),
        "pip": _version([tooling.pip_python, "-m", "pip", "--version"]),
        "uv": _version([tooling.uv_bin, "--version"]),
    }


def select_corpora(args: argparse.Namespace) -> tuple[list[Path], list[Path]]:
    """(corpora for all tools, corpora for wheelshim only)."""
    shared = [args.corpora_dir / name for name in DEFAULT_CORPORA]
    originals = list(args.original)
    if args.originals:
        originals += [args.corpora_dir / name for name in ORIGINAL_CORPORA]
    corpora = list(args.corpus) or ([] if args.original or args.originals else shared)
    missing = [str(path) for path in [*corpora, *originals] if not path.is_file()]
    if missing:
        sys.exit(f"run.py: no such requirements file: {', '.join(missing)}")
    return corpora, originals


def jobs_for(corpus: Path, args: argparse.Namespace, wheelshim_only: bool) -> list[Job]:
    targets = tuple(TARGETS[name] for name in args.targets)
    jobs = []
    for tool in args.tools:
        if tool == "wheelshim":
            jobs.append(Job(tool, corpus, targets))
            if args.wheelshim_per_target and len(targets) > 1:
                jobs += [Job(tool, corpus, (target,)) for target in targets]
        elif not wheelshim_only:
            jobs += [Job(tool, corpus, (target,)) for target in targets]
    return jobs


# -- running -------------------------------------------------------------------------------
@dataclass
class Runner:
    """Runs jobs in a scratch directory and keeps every record."""

    tooling: Tooling
    root: Path
    timeout: float
    planned: int
    records: list[RunRecord] = dataclasses.field(default_factory=list)
    warm_caches: dict[Job, Path] = dataclasses.field(default_factory=dict)
    _counter: int = 0

    def fresh_dir(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=self.root))

    def run(self, job: Job, cache: Path, label: str, kind: str, index: int) -> RunRecord:
        work = self.fresh_dir("run")
        observe = kind == "observe"
        argv = build_command(self.tooling, job, cache, work, verbose=observe)
        env = isolated_env(os.environ)
        load1 = os.getloadavg()[0]
        proxy = ConnectProxy(max_seconds=self.timeout + 60) if observe else None
        if proxy is not None:
            env = proxied_env(env, proxy.start())
        try:
            measured = measure(argv, env, work, self.timeout)
        finally:
            counts = proxy.stop() if proxy is not None else None
        outcome = parse_outcome(job, measured, work)
        shutil.rmtree(work, ignore_errors=True)
        record = RunRecord(
            tool=job.tool,
            corpus=_corpus_label(job.corpus),
            targets=job.target_label,
            cache=label,
            kind=kind,
            index=index,
            wall_s=round(measured.wall_s, 3),
            cpu_s=round(measured.cpu_s, 3),
            peak_rss_mb=round(measured.peak_rss_mb, 1),
            exit_code=measured.exit_code,
            timed_out=measured.timed_out,
            ok=outcome.ok,
            summary=outcome.summary,
            load1=round(load1, 2),
            packages=outcome.packages,
            stats=outcome.stats,
            logged_requests=logged_requests(job.tool, measured) if observe else None,
            proxy=asdict(counts) if counts is not None else None,
        )
        self._log(record)
        self.records.append(record)
        return record

    def _log(self, record: RunRecord) -> None:
        self._counter += 1
        print(
            f"[{self._counter}/{self.planned}] {record.corpus} {record.tool} {record.targets} "
            f"{record.cache} {record.kind}: {record.wall_s:.2f} s, exit {record.exit_code}, "
            f"{record.summary[:70]}",
            file=sys.stderr,
            flush=True,
        )

    def cold(self, job: Job, kind: str, index: int, *, keep: bool = False) -> None:
        """A run on a fresh empty cache; ``keep`` makes that cache the job's warm cache
        (the cold run is then the warm runs' unmeasured priming run)."""
        cache = self.fresh_dir("cold-cache")
        try:
            self.run(job, cache, "cold", kind, index)
        finally:
            if keep:
                self.warm_caches[job] = cache
            else:
                shutil.rmtree(cache, ignore_errors=True)

    def warm(self, job: Job, kind: str, index: int) -> None:
        if job not in self.warm_caches:
            self.warm_caches[job] = self.fresh_dir("warm-cache")
            self.run(job, self.warm_caches[job], "warm", "prime", 0)
        self.run(job, self.warm_caches[job], "warm", kind, index)


def _corpus_label(path: Path) -> str:
    return path.name.removesuffix(".txt")


def _rotated(jobs: Sequence[Job], shift: int) -> Iterator[Job]:
    shift %= max(len(jobs), 1)
    yield from [*jobs[shift:], *jobs[:shift]]


def _cold_phase(runner: Runner, jobs: Sequence[Job], args: argparse.Namespace) -> None:
    """Timed cold runs, interleaved across cells; the last one of each cell primes that
    cell's warm cache. Then the observed cold runs."""
    prime = "warm" in args.cache
    for index in range(1, args.runs + 1):
        for job in _rotated(jobs, index - 1):
            runner.cold(job, "timed", index, keep=prime and index == args.runs)
    if args.observe:
        for job in jobs:
            runner.cold(job, "observe", 0)


def _warm_phase(runner: Runner, jobs: Sequence[Job], args: argparse.Namespace) -> None:
    """Timed warm runs, interleaved across cells (a priming run first where no cold run
    left a cache), then the observed warm runs."""
    for index in range(1, args.runs + 1):
        for job in _rotated(jobs, index - 1):
            runner.warm(job, "timed", index)
    if args.observe:
        for job in jobs:
            runner.warm(job, "observe", 0)
    for job in jobs:
        shutil.rmtree(runner.warm_caches.pop(job), ignore_errors=True)


def run_corpus(runner: Runner, jobs: Sequence[Job], args: argparse.Namespace) -> None:
    if "cold" in args.cache:
        _cold_phase(runner, jobs, args)
    if "warm" in args.cache:
        _warm_phase(runner, jobs, args)


def planned_runs(jobs: Sequence[Job], args: argparse.Namespace) -> int:
    per_cache: int = args.runs + (1 if args.observe else 0)
    explicit_priming = 1 if args.cache == ("warm",) else 0
    return len(jobs) * (per_cache * len(args.cache) + explicit_priming)


# -- report --------------------------------------------------------------------------------
def _replacements(tooling: Tooling) -> dict[str, str]:
    replacements = {tooling.index_url: "$INDEX_URL"}
    if tooling.cert:
        replacements[tooling.cert] = "$PIP_CERT"
    return replacements


def example_commands(tooling: Tooling, jobs: Sequence[Job]) -> list[dict[str, str]]:
    """One command per distinct (tool, targets), with placeholders for run paths."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for job in jobs:
        argv = build_command(tooling, job, Path("$CACHE"), Path("$RUN"))
        text = command_text(argv, _replacements(tooling))
        seen.setdefault((job.tool, job.target_label), {"tool": job.tool, "command": text})
    return list(seen.values())


def _environment_note() -> str:
    return (
        "Environment of every run: the caller's, minus PIP_* (PIP_CERT kept) and UV_*, plus "
        "PIP_CONFIG_FILE=/dev/null UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never. Observed runs add "
        "HTTPS_PROXY=http://127.0.0.1:PORT (benchmarks/connect_proxy.py) and pip -vvv / uv -v "
        "(the --quiet flag dropped)."
    )


def print_report(
    result: dict[str, Any], commands: Sequence[dict[str, str]], checks_wanted: bool
) -> None:
    load = result["load_at_start"]
    print(f"## wheelshim vs pip vs uv ({result['started']})\n")
    print(f"Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; ", end="")
    print(f"at end: {' '.join(f'{x:.2f}' for x in result['load_at_end'])}; ", end="")
    print(f"{result['machine']['cpus']} CPUs. Versions: ", end="")
    print(", ".join(f"{tool}: {version}" for tool, version in result["versions"].items()))
    print(f"Timed runs per cell: {result['settings']['runs']}.\n")
    print("\n".join(result["markdown"]["table"]))
    print("\nRatios: wheelshim median wall / other tool's median wall (< 1: wheelshim faster).\n")
    print("\n".join(result["markdown"]["ratios"]) or "(no wheelshim row with pip/uv beside it)")
    if checks_wanted:
        print("\nTarget checks (informational, never asserted):\n")
        print("\n".join(result["markdown"]["checks"]))
    print("\nCommands ($CORPUS given literally; $CACHE fresh or primed, $RUN a scratch dir):\n")
    print("```sh")
    print("\n".join(f"# {c['tool']}\n{c['command']}" for c in commands))
    print("```")
    print(f"\n{_environment_note()}")
    print(f"\nRaw results: {result['path']}")


def write_results(result: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    text = sanitize(json.dumps(result, indent=1))
    path.write_text(text + "\n", encoding="utf-8")
    return path


def analyse(
    records: Sequence[RunRecord], bytes_floor: Sequence[tuple[str, float]]
) -> dict[str, Any]:
    """Rows, ratios, checks and their markdown, from the run records alone."""
    rows = build_rows(records)
    ratios = ratio_table(rows)
    checks = check_results(rows, dict(bytes_floor))
    return {
        "rows": [asdict(row) for row in rows],
        "ratios": ratios,
        "checks": [asdict(check) for check in checks],
        "markdown": {
            "table": markdown_rows(rows),
            "ratios": markdown_ratios(ratios),
            "checks": markdown_checks(checks),
        },
    }


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    hidden = {"corpus", "original", "results_dir", "index_url", "report"}
    return {
        key: str(value) if isinstance(value, Path) else value
        for key, value in vars(args).items()
        if key not in hidden
    }


def assemble(
    args: argparse.Namespace,
    records: Sequence[RunRecord],
    started: str,
    load: tuple[float, float, float],
    versions: dict[str, str],
    commands: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "schema": 1,
        "started": started,
        "load_at_start": list(load),
        "load_at_end": list(os.getloadavg()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": versions,
        "settings": _settings(args),
        "corpora": sorted({record.corpus for record in records}),
        "commands": commands,
        "environment": _environment_note(),
        "records": [asdict(record) for record in records],
        **analyse(records, args.bytes_floor),
    }


def report_again(args: argparse.Namespace) -> int:
    """Print the report of an earlier results file, recomputing rows, ratios and checks."""
    result = json.loads(args.report.read_text(encoding="utf-8"))
    records = [RunRecord(**record) for record in result["records"]]
    result.update(analyse(records, args.bytes_floor), path=str(args.report))
    print_report(result, result["commands"], args.check)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report is not None:
        return report_again(args)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load = os.getloadavg()
    corpora, originals = select_corpora(args)
    tooling = make_tooling(args)
    versions = {tool: sanitize(v) for tool, v in tool_versions(tooling).items()}
    groups = [jobs_for(corpus, args, False) for corpus in corpora]
    groups += [jobs_for(corpus, args, True) for corpus in originals]
    all_jobs = [job for group in groups for job in group]
    commands = example_commands(tooling, all_jobs)
    root = Path(tempfile.mkdtemp(prefix="wheelshim-bench-"))
    runner = Runner(tooling, root, args.timeout, planned_runs(all_jobs, args))
    try:
        for group in groups:
            run_corpus(runner, group, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result = assemble(args, runner.records, started, load, versions, commands)
    result["path"] = str(write_results(result, args.results_dir))
    print_report(result, commands, args.check)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
