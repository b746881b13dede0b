"""Record what the resolution tests (``tests/test_resolve.py``) read, from a live run.

Run by hand (see ``tests/data/README.md``); never imported by the test suite::

    PIP_CONFIG_FILE=/dev/null python tests/record_resolution.py

For each scenario below it resolves live with wheelshim, from a fresh temporary cache
directory, and notes every project page read and every file whose core metadata was
asked for (``MetadataFetcher.metadata_for`` and ``PackageSources.project_files`` are
wrapped to see it: that includes the candidates the resolver prefetched but did not
keep). Then it records, with ``record_index.py``:

* the **full** page of every project read (never trimmed), and
* the core metadata of every **wheel** read (``.metadata``, or range reads into the
  wheel when the live index answers 404 for it).

Sdists are not recorded: the hermetic server does not serve them, so wheelshim takes an
sdist's dependencies from a wheel of the same release (``dependencies-assumed``) exactly
as it does live when the sdist's own metadata is not static. The run lists them.

Last, unless ``--no-verify``, it resolves every scenario again against the recordings on
a local :class:`indexserver.IndexServer` and compares (project, version, outcome, file,
dependency path) with the live answers; any difference makes the exit status 1.

The live index URL comes from the installed pip at run time and is never written.
Only ``PIP_CERT`` of the ``PIP_*`` variables reaches wheelshim; ``PIP_CONFIG_FILE`` is
forced to the null device.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import record_index  # noqa: E402
from indexserver import IndexServer  # noqa: E402

import wheelshim  # noqa: E402
from wheelshim import ExplainOptions, IndexOptions, Target, _metadata, _sources  # noqa: E402

DERIVED = HERE.parent.parent / "shared" / "corpora" / "derived"
ONLY_BINARY = (("only-binary", ":all:"),)
ARM64 = Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
AMD64 = Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36")


@dataclass(frozen=True)
class Scenario:
    """One resolution of ``tests/test_resolve.py``."""

    name: str
    target: Target
    requirements: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()
    formats: tuple[tuple[str, str], ...] = ()


SCENARIOS = (
    Scenario(
        "freqtrade-arm64",
        ARM64,
        requirement_files=(str(DERIVED / "medium-freqtrade-2024.6.arm64.wheel-only.txt"),),
        formats=ONLY_BINARY,
    ),
    Scenario(
        "freqtrade-amd64",
        AMD64,
        requirement_files=(str(DERIVED / "medium-freqtrade-2024.6.amd64.wheel-only.txt"),),
        formats=ONLY_BINARY,
    ),
    Scenario("spacy-arm64", ARM64, requirements=("spacy==3.2.0",)),
)

Row = tuple[str, str | None, str, str | None, tuple[str, ...]]


@dataclass
class Reads:
    """What a live run read: project pages and files whose metadata was asked for."""

    pages: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def watching(reads: Reads) -> Iterator[None]:
    """Note every page and metadata read while the block runs."""
    fetch_metadata = _metadata.MetadataFetcher.metadata_for
    fetch_page = _sources.PackageSources.project_files

    def metadata_for(self: _metadata.MetadataFetcher, file: object) -> object:
        with reads.lock:
            reads.files.add(file.filename)  # type: ignore[attr-defined]
        return fetch_metadata(self, file)  # type: ignore[arg-type]

    def project_files(self: _sources.PackageSources, project: str) -> object:
        with reads.lock:
            reads.pages.add(project)
        return fetch_page(self, project)

    _metadata.MetadataFetcher.metadata_for = metadata_for  # type: ignore[method-assign,assignment]
    _sources.PackageSources.project_files = project_files  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        _metadata.MetadataFetcher.metadata_for = fetch_metadata  # type: ignore[method-assign]
        _sources.PackageSources.project_files = fetch_page  # type: ignore[method-assign]


def clean_environ(keep: tuple[str, ...] = ("PIP_CERT",)) -> dict[str, str]:
    """This process's environment without ``PIP_*`` (but ``keep``) and ``WHEELSHIM_*``."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith(("PIP_", "WHEELSHIM_"))) or k in keep
    }
    environ["PIP_CONFIG_FILE"] = os.devnull
    return environ


def resolve(
    scenario: Scenario, index_url: str, cache: Path, environ: Mapping[str, str]
) -> list[Row]:
    """The scenario's results as comparable rows."""
    options = ExplainOptions(
        index=IndexOptions(index_url=index_url),
        requirement_files=scenario.requirement_files,
        formats=scenario.formats,
        cache_dir=cache,
        environ=environ,
    )
    report = wheelshim.explain(list(scenario.requirements), [scenario.target], options)
    return [
        (
            r.project,
            r.version,
            str(r.outcome),
            r.file.filename if r.file else None,
            r.via,
        )
        for r in report.results
    ]


def live_runs(index_url: str) -> tuple[Reads, dict[str, list[Row]]]:
    """Every scenario resolved live, each from its own fresh cache directory."""
    reads = Reads()
    answers: dict[str, list[Row]] = {}
    with watching(reads):
        for scenario in SCENARIOS:
            with tempfile.TemporaryDirectory(prefix="wheelshim-record-") as cache:
                answers[scenario.name] = resolve(scenario, index_url, Path(cache), clean_environ())
            print(f"live {scenario.name}: {len(answers[scenario.name])} packages", flush=True)
    return reads, answers


def verify(out: Path, live: Mapping[str, list[Row]]) -> int:
    """Resolve every scenario against the recordings; return the number of differences."""
    for name in ("NO_PROXY", "no_proxy"):
        entries = [e for e in os.environ.get(name, "").split(",") if e.strip()]
        os.environ[name] = ",".join([*entries, "127.0.0.1", "localhost", "::1"])
    differences = 0
    with IndexServer(data_dir=out) as server:
        for scenario in SCENARIOS:
            with tempfile.TemporaryDirectory(prefix="wheelshim-verify-") as cache:
                environ = clean_environ(keep=())
                hermetic = resolve(scenario, server.url, Path(cache), environ)
            for row in sorted(set(live[scenario.name]) ^ set(hermetic), key=str):
                side = "live only" if row in live[scenario.name] else "recorded only"
                print(f"DIFFERENCE {scenario.name} ({side}): {row}", file=sys.stderr)
                differences += 1
            print(f"verified {scenario.name}: {len(hermetic)} packages", flush=True)
    return differences


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=record_index.DEFAULT_OUT)
    parser.add_argument(
        "--list-only", action="store_true", help="print what would be recorded; record nothing"
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the hermetic re-run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, record: Callable[[list[str]], int] | None = None) -> int:
    """Resolve live, record, verify; return the process exit status."""
    args = parse_args(argv)
    reads, live = live_runs(record_index.live_index_url())
    pages = sorted(reads.pages)
    wheels = sorted(f for f in reads.files if f.endswith(".whl"))
    sdists = sorted(f for f in reads.files if not f.endswith(".whl"))
    print(f"{len(pages)} pages, {len(wheels)} wheel metadata; sdists not recorded: {sdists}")
    if args.list_only:
        print("\n".join([*pages, *wheels]))
        return 0
    status = (record or record_index.main)(
        [*pages, "--metadata-for", *wheels, "--out", str(args.out)]
    )
    if status != 0 or args.no_verify:
        return status
    return 1 if verify(args.out, live) else 0


if __name__ == "__main__":
    sys.exit(main())
