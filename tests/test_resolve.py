"""Whole-set resolution per target: real closures from recorded pages, and small cases.

* freqtrade 2024.6 (its wheel-only variant, ``--only-binary=:all:``) resolved for
  linux/arm64 and linux/amd64 against ``shared/corpora/derived/*.closure.txt``;
* ``spacy==3.2.0`` on linux/arm64, where spacy alone has no wheel;
* in-memory projects for markers, extras, backtracking and a missing distribution.

The recorded data (pages in full, the core metadata of every wheel the resolver reads)
comes from ``tests/record_resolution.py``, run on 2026-11-28 (``tests/data/README.md``).
"""

from __future__ import annotations

import email.parser
from collections.abc import Sequence
from pathlib import Path

import pytest
from indexserver import IndexFile, IndexServer, make_wheel
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

import wheelshim
from wheelshim import ExplainOptions, IndexOptions, Outcome, ReasonCode, Report, Result, Target

DERIVED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "derived"
ARM64 = Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36")
AMD64 = Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36")
TARGETS = {"arm64": ARM64, "amd64": AMD64}
ONLY_BINARY = (("only-binary", ":all:"),)


def _recorded_pages_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's HTTP cache for runs over recorded pages only (as in test_corpora.py)."""
    path = tmp_path_factory.getbasetemp() / "recorded-pages-http-cache"
    path.mkdir(exist_ok=True)
    return path


def _options(
    index: IndexServer,
    *,
    requirement_files: tuple[str, ...] = (),
    formats: tuple[tuple[str, str], ...] = (),
    cache_dir: Path | None = None,
) -> ExplainOptions:
    # advise=False: build needs and fixes do not change what is resolved.
    return ExplainOptions(
        index=IndexOptions(index_url=index.url, retries=1),
        advise=False,
        requirement_files=requirement_files,
        formats=formats,
        cache_dir=cache_dir,
    )


def _by_project(report: Report, target: Target) -> dict[str, Result]:
    """The results on ``target`` by project, checking there is one per package."""
    results = [r for r in report.results if r.target.id == target.id]
    projects = [canonicalize_name(r.project) for r in results]
    assert len(projects) == len(set(projects)), "one result per package and target"
    return dict(zip(projects, results, strict=True))


def _assert_recorded_in_full(index: IndexServer, installed: dict[str, Result]) -> None:
    """Resolution walks every release: none of these pages may be trimmed to pins."""
    trimmed = [
        name
        for name in installed
        if "_trimmed-to-pins" in ((index.project_page(name) or {}).get("meta") or {})
    ]
    assert trimmed == []


def _codes(result: Result) -> set[ReasonCode]:
    return {reason.code for reason in result.reasons}


def _path_is_consistent(result: Result, root: str) -> None:
    """``via`` starts at a top-level requirement and ends at the package itself."""
    assert result.via, result.project
    assert result.via[0] == root
    assert canonicalize_name(Requirement(result.via[-1]).name) == canonicalize_name(result.project)


# --------------------------------------------------------------------------- freqtrade

#: Backports that a Python 3.9 container installs because of a ``python_version < "3.1x"``
#: marker somewhere on their path. pip 23.2.1 run on this 3.11 host with
#: ``--python-version 3.9 --platform ... --only-binary=:all:`` (live, 2026-11-28)
#: evaluated those markers for the host and left all six out (119 packages on arm64,
#: 120 on amd64). The closure files were made by ``uv pip compile`` for the target
#: (BASELINES: "uv ... OK 125/126 dists"), which evaluates markers as wheelshim does,
#: so they include them.
BACKPORTS = {
    "async-timeout": "4.0.3",
    "exceptiongroup": "1.3.2",
    "importlib-metadata": "8.7.1",
    "importlib-resources": "6.5.2",
    "tomli": "2.5.0",
    "zipp": "3.23.1",
}
#: The other package where pip 23.2.1 differs, for the same reason: typer 0.23.2 needs
#: ``click>=8.2.1; python_version >= "3.10"``; on the host that marker is true and every
#: such click needs Python >= 3.10, so pip backtracks to typer 0.23.1. In a 3.9
#: container the marker is false: typer 0.23.2 with click 8.1.8 (the closure's answer).
PIP_ON_THE_HOST = {"typer": "0.23.1"}


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _requires_dist(index: IndexServer, result: Result) -> list[Requirement]:
    """The Requires-Dist of a result's file, from the recorded core metadata."""
    assert result.file is not None
    raw = index.metadata_for(result.file.filename)
    assert raw is not None, f"no recorded metadata for {result.file.filename}"
    headers = email.parser.BytesHeaderParser().parsebytes(raw)
    return [Requirement(text) for text in headers.get_all("Requires-Dist") or []]


def _file_version(entry: dict[str, object]) -> Version:
    filename = str(entry["filename"])
    if filename.endswith(".whl"):
        return parse_wheel_filename(filename)[1]
    return parse_sdist_filename(filename)[1]


def _marker_true(marker: Marker | None, target: Target) -> bool:
    return marker is None or marker.evaluate({**target.environment, "extra": ""})


def _gated_edge(
    index: IndexServer, installed: dict[str, Result], result: Result, host: Target
) -> str | None:
    """The first edge of ``result.via`` whose marker is true on the target and false on
    ``host`` (as ``parent -> requirement; marker``), or None."""
    for parent_text, child_text in zip(result.via, result.via[1:], strict=False):
        parent = installed[canonicalize_name(Requirement(parent_text).name)]
        child = canonicalize_name(Requirement(child_text).name)
        for requirement in _requires_dist(index, parent):
            if canonicalize_name(requirement.name) != child or requirement.marker is None:
                continue
            if _marker_true(requirement.marker, parent.target) and not _marker_true(
                requirement.marker, host
            ):
                return f"{parent.project} -> {requirement}"
    return None


@pytest.mark.parametrize("arch", ["arm64", "amd64"])
def test_freqtrade_closure_matches_the_recorded_one(
    index: IndexServer, tmp_path_factory: pytest.TempPathFactory, arch: str
) -> None:
    wheel_only = DERIVED / f"medium-freqtrade-2024.6.{arch}.wheel-only.txt"
    closure = DERIVED / f"medium-freqtrade-2024.6.{arch}.closure.txt"
    if not (wheel_only.is_file() and closure.is_file()):
        pytest.skip(f"shared corpora not found at {DERIVED}")
    target = TARGETS[arch]
    options = _options(
        index,
        requirement_files=(str(wheel_only),),
        formats=ONLY_BINARY,
        cache_dir=_recorded_pages_cache(tmp_path_factory),
    )
    report = wheelshim.explain([], [target], options)
    installed = _by_project(report, target)

    for result in installed.values():
        assert result.outcome is Outcome.WHEEL, (result.project, result.outcome)
        # Every dependency list was read: a missing metadata recording would show here.
        assert not _codes(result) & {
            ReasonCode.RESOLUTION_IMPOSSIBLE,
            ReasonCode.DEPENDENCIES_UNKNOWN,
            ReasonCode.DEPENDENCIES_ASSUMED,
        }, result.project
    resolved = {name: str(result.version) for name, result in installed.items()}
    assert resolved == _pins(closure)
    _assert_recorded_in_full(index, installed)

    # What pip 23.2.1 itself installed: the closure without the backports, typer older.
    pip_on_host = {k: v for k, v in resolved.items() if k not in BACKPORTS} | PIP_ON_THE_HOST
    assert len(pip_on_host) == {"arm64": 119, "amd64": 120}[arch]
    assert {k: resolved[k] for k in BACKPORTS} == BACKPORTS

    # Why: each backport's path has a marker that is true for 3.9 and false on the host.
    host = Target.from_docker(f"linux/{arch}", python="3.11", libc="glibc-2.36")
    ungated = [p for p in BACKPORTS if _gated_edge(index, installed, installed[p], host) is None]
    assert ungated == []
    typer = installed["typer"]
    assert typer.via == ("fastapi==0.111.0", "fastapi-cli>=0.0.2", "typer>=0.16.0")
    click_rules = [r for r in _requires_dist(index, typer) if r.name == "click"]
    host_only = [r for r in click_rules if not _marker_true(r.marker, target)]
    assert [str(r.specifier) for r in host_only] == [">=8.2.1"]
    assert _marker_true(host_only[0].marker, host)
    assert not host_only[0].specifier.contains(Version(resolved["click"]))
    # ... and no click that satisfies it runs on 3.9: pip on the host must backtrack.
    click_page = index.project_page("click")
    assert click_page is not None
    newer = [f for f in click_page["files"] if host_only[0].specifier.contains(_file_version(f))]
    assert newer
    assert all(not SpecifierSet(f["requires-python"]).contains("3.9.0") for f in newer)


# --------------------------------------------------------------------------- spacy

#: ``spacy==3.2.0`` on linux/arm64, CPython 3.9, glibc 2.36 (live run, 2026-11-28).
SPACY_ARM64 = {
    "spacy": "3.2.0",
    "blis": "0.7.11",
    "catalogue": "2.0.10",
    "certifi": "2026.10.19.post1",
    "charset-normalizer": "3.5.3",
    "click": "8.1.8",
    "cymem": "2.0.16",
    "idna": "3.20",
    "jinja2": "3.1.6",
    "langcodes": "3.5.1",
    "markupsafe": "3.0.4",
    "murmurhash": "1.0.16",
    "numpy": "2.0.2",
    "packaging": "26.3",
    "pathlib-abc": "0.1.1",
    "pathy": "0.11.0",
    "preshed": "3.0.15",
    "pydantic": "1.8.2",
    "requests": "2.32.5",
    "setuptools": "82.0.1",
    "smart-open": "6.4.0",
    "spacy-legacy": "3.0.12",
    "spacy-loggers": "1.0.5",
    "srsly": "2.5.6",
    "thinc": "8.0.17",
    "tqdm": "4.70.1",
    "typer": "0.4.2",
    "typing-extensions": "4.16.0",
    "urllib3": "2.6.3",
    "wasabi": "0.10.1",
}


def test_spacy_3_2_0_on_arm64_builds_only_spacy_and_says_how_each_package_came(
    index: IndexServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    options = _options(index, cache_dir=_recorded_pages_cache(tmp_path_factory))
    report = wheelshim.explain(["spacy==3.2.0"], [ARM64], options)
    installed = _by_project(report, ARM64)
    assert {name: str(r.version) for name, r in installed.items()} == SPACY_ARM64
    _assert_recorded_in_full(index, installed)

    # spacy 3.2.0 has no aarch64 cp39 wheel; everything it pulls in has one.
    sdists = {name for name, r in installed.items() if r.outcome is Outcome.SDIST}
    assert sdists == {"spacy"}
    assert all(r.outcome is Outcome.WHEEL for n, r in installed.items() if n != "spacy")
    spacy = installed["spacy"]
    assert spacy.file is not None
    assert spacy.file.filename == "spacy-3.2.0.tar.gz"
    assert spacy.via == ("spacy==3.2.0",)
    assert {ReasonCode.SDIST_CHOSEN, ReasonCode.NO_COMPATIBLE_WHEEL} <= _codes(spacy)
    # The sdist's dependencies are not static: those of a wheel of the same release stand in.
    (assumed,) = [r for r in spacy.reasons if r.code is ReasonCode.DEPENDENCIES_ASSUMED]
    assert str(assumed.data["wheel"]).startswith("spacy-3.2.0-")

    thinc = installed["thinc"]
    assert thinc.file is not None
    assert "aarch64" in thinc.file.filename
    assert thinc.via == ("spacy==3.2.0", "thinc<8.1.0,>=8.0.12")
    for result in installed.values():
        _path_is_consistent(result, "spacy==3.2.0")
    # Transitive ones show the whole path.
    assert installed["markupsafe"].via == ("spacy==3.2.0", "jinja2", "MarkupSafe>=2.0")
    assert installed["certifi"].via == (
        "spacy==3.2.0",
        "requests<3.0.0,>=2.13.0",
        "certifi>=2017.4.17",
    )
    assert installed["click"].via == (
        "spacy==3.2.0",
        "typer<0.5.0,>=0.3.0",
        "click<9.0.0,>=7.1.1",
    )
    assert installed["pathlib-abc"].via == ("spacy==3.2.0", "pathy>=0.3.5", "pathlib-abc==0.1.1")


# --------------------------------------------------------------------------- in memory


def _wheel(
    name: str,
    version: str,
    requires: Sequence[str] = (),
    *,
    extras: Sequence[str] = (),
    tag: str = "py3-none-any",
) -> IndexFile:
    """A served wheel whose METADATA (also served as ``.metadata``) has ``requires``."""
    filename = f"{name.replace('-', '_')}-{version}-{tag}.whl"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Provides-Extra: {extra}" for extra in extras]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    metadata = "\n".join(lines) + "\n\n"
    return IndexFile(filename, content=make_wheel(filename, metadata), metadata=metadata.encode())


def _resolve(
    index: IndexServer, requirements: list[str]
) -> tuple[Report, dict[str, Result], dict[str, Result]]:
    report = wheelshim.explain(requirements, [ARM64, AMD64], _options(index))
    return report, _by_project(report, ARM64), _by_project(report, AMD64)


def _versions(installed: dict[str, Result]) -> dict[str, str | None]:
    return {name: result.version for name, result in installed.items()}


def test_dependency_marker_is_evaluated_for_each_target(index: IndexServer) -> None:
    requires = ['shim-x86only>=1; platform_machine == "x86_64"', "shim-common"]
    index.add_project("shim-app", [_wheel("shim-app", "1.0", requires)])
    index.add_project("shim-x86only", [_wheel("shim-x86only", v) for v in ("1.0", "1.1")])
    index.add_project("shim-common", [_wheel("shim-common", "2.0")])

    _, arm, amd = _resolve(index, ["shim-app==1.0"])
    assert _versions(arm) == {"shim-app": "1.0", "shim-common": "2.0"}
    assert _versions(amd) == {"shim-app": "1.0", "shim-common": "2.0", "shim-x86only": "1.1"}
    assert amd["shim-x86only"].via == ("shim-app==1.0", "shim-x86only>=1")
    assert arm["shim-common"].via == amd["shim-common"].via == ("shim-app==1.0", "shim-common")


def test_an_extra_brings_in_its_dependencies(index: IndexServer) -> None:
    requires = ['shim-speedup>=2; extra == "fast"', "shim-common"]
    index.add_project("shim-lib", [_wheel("shim-lib", "1.0", requires, extras=["fast"])])
    index.add_project("shim-speedup", [_wheel("shim-speedup", v) for v in ("1.0", "2.0", "2.1")])
    index.add_project("shim-common", [_wheel("shim-common", "2.0")])

    _, arm, amd = _resolve(index, ["shim-lib[fast]==1.0"])
    for installed in (arm, amd):
        assert _versions(installed) == {
            "shim-lib": "1.0",
            "shim-speedup": "2.1",
            "shim-common": "2.0",
        }
        assert installed["shim-lib"].via == ("shim-lib[fast]==1.0",)
        assert installed["shim-speedup"].via == ("shim-lib[fast]==1.0", "shim-speedup>=2")
        assert installed["shim-common"].via[0] == "shim-lib[fast]==1.0"
        assert installed["shim-common"].via[-1] == "shim-common"

    _, arm, amd = _resolve(index, ["shim-lib==1.0"])
    assert _versions(arm) == _versions(amd) == {"shim-lib": "1.0", "shim-common": "2.0"}


def test_path_through_an_extra_names_only_written_requirements(index: IndexServer) -> None:
    index.add_project("shim-lib", [_wheel("shim-lib", "1.0", ["shim-common"], extras=["fast"])])
    index.add_project("shim-common", [_wheel("shim-common", "2.0")])
    _, arm, _ = _resolve(index, ["shim-lib[fast]==1.0"])
    assert arm["shim-common"].via == ("shim-lib[fast]==1.0", "shim-common")


def test_conflict_backtracks_to_an_older_parent(index: IndexServer) -> None:
    # pip pins shim-a-parent 2.0 first (newest, first by name), then shim-b-other, whose
    # shim-dep<2 leaves no shim-dep for parent 2.0's shim-dep>=2: it backtracks to 1.0.
    # pip 23.2.1 from a --find-links copy of these wheels gives the same three versions.
    index.add_project(
        "shim-a-parent",
        [
            _wheel("shim-a-parent", "1.0", ["shim-dep<2"]),
            _wheel("shim-a-parent", "2.0", ["shim-dep>=2"]),
        ],
    )
    index.add_project("shim-b-other", [_wheel("shim-b-other", "1.0", ["shim-dep<2"])])
    index.add_project("shim-dep", [_wheel("shim-dep", v) for v in ("1.5", "2.0")])

    report, arm, amd = _resolve(index, ["shim-a-parent", "shim-b-other"])
    expected = {"shim-a-parent": "1.0", "shim-b-other": "1.0", "shim-dep": "1.5"}
    assert _versions(arm) == _versions(amd) == expected
    assert all(ReasonCode.RESOLUTION_IMPOSSIBLE not in _codes(r) for r in report.results)
    assert arm["shim-dep"].via[-1] == "shim-dep<2"


@pytest.mark.parametrize(
    ("ghost_files", "why"),
    [
        pytest.param(None, ReasonCode.PROJECT_NOT_FOUND, id="not-on-the-index"),
        pytest.param(
            ["cp39-cp39-win_amd64"], ReasonCode.NO_COMPATIBLE_WHEEL, id="no-file-for-linux"
        ),
    ],
)
def test_missing_distribution_is_reported_with_everything_else(
    index: IndexServer, ghost_files: list[str] | None, why: ReasonCode
) -> None:
    index.add_project("shim-needy", [_wheel("shim-needy", "1.0", ["shim-ghost>=1", "shim-fine"])])
    index.add_project("shim-fine", [_wheel("shim-fine", "1.0")])
    index.add_project("shim-solo", [_wheel("shim-solo", "3.0")])
    if ghost_files is not None:
        index.add_project("shim-ghost", [_wheel("shim-ghost", "1.0", tag=t) for t in ghost_files])

    # Strict pip stops: "No matching distribution found for shim-ghost>=1" (checked with
    # pip 23.2.1). wheelshim still reports every other package on every target.
    _, arm, amd = _resolve(index, ["shim-needy==1.0", "shim-solo"])
    for target, installed in ((ARM64, arm), (AMD64, amd)):
        assert _versions(installed) == {
            "shim-needy": "1.0",
            "shim-fine": "1.0",
            "shim-solo": "3.0",
            "shim-ghost": None,
        }
        ghost = installed["shim-ghost"]
        assert ghost.outcome is Outcome.NO_MATCH
        assert ghost.file is None
        assert ghost.via == ("shim-needy==1.0", "shim-ghost>=1")
        assert why in _codes(ghost)
        (pip_error,) = [r for r in ghost.reasons if r.code is ReasonCode.PIP_ERROR]
        lines = pip_error.data["lines"]
        assert isinstance(lines, tuple)
        assert lines[-1] == "ERROR: No matching distribution found for shim-ghost>=1"
        assert installed["shim-fine"].outcome is Outcome.WHEEL
        assert installed["shim-fine"].via == ("shim-needy==1.0", "shim-fine")
        # The top-level results say that pip itself would stop, and on what.
        for top in ("shim-needy", "shim-solo"):
            (stop,) = [
                r for r in installed[top].reasons if r.code is ReasonCode.RESOLUTION_IMPOSSIBLE
            ]
            assert stop.data["target"] == target.id
            assert str(stop.data["message"]) == (
                "No matching distribution found for shim-ghost>=1 (required by shim-needy==1.0)"
            )
        assert ReasonCode.RESOLUTION_IMPOSSIBLE not in _codes(installed["shim-fine"])
