"""``--no-deps`` answers on the shared benchmark corpora, line by line, against pip 23.2.1.

For every corpus ``shared/corpora/<corpus>.txt`` and both targets (linux/arm64 and
linux/amd64, CPython 3.9, glibc 2.36), ``shared/corpora/expected/<corpus>.<arch>.tsv``
holds what pip 23.2.1 picks for each requirement line (columns ``line name spec
marker_target marker_host best_wheel best_any``; ``NONE`` = no matching distribution,
``SKIP`` = the marker is false on the target). wheelshim reads the corpus as a
requirements file and must give, for every line, ``best_any`` by default and
``best_wheel`` with ``--only-binary=:all:``.

The TSVs come from ``PackageFinder.find_best_candidate`` (``bench/oracle.py``), which
keeps the *first* of equally ranked files, where ``pip install`` takes the *last*
(wheelshim follows ``pip install`` and names the finder's file in an
``equally-ranked-files`` reason). The lines where that happens are listed in
:data:`TIES`; there the TSV must equal the finder's file and wheelshim's file the other.

The index is the hermetic one: pages recorded on 2026-11-28 (``tests/data/README.md``).
Projects that the corpora only pin exactly are recorded *trimmed* to the pinned releases
(what pip picks for ``==X`` depends only on the files of release X); the others in full.
Each corpus is explained once per format setting for both targets, and the reports are
shared by that corpus's tests; pages go through an HTTP cache that the session shares
(see :func:`recorded_pages_cache`). The module is skipped when the shared corpora are not
beside the repository.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import record_index
from indexserver import IndexServer
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

import wheelshim
from wheelshim import ExplainOptions, IndexOptions, Outcome, Report, Result, Target

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
EXPECTED = CORPORA / "expected"
TARGETS = {
    "arm64": Target.from_docker("linux/arm64", python="3.9", libc="glibc-2.36"),
    "amd64": Target.from_docker("linux/amd64", python="3.9", libc="glibc-2.36"),
}
ARCH_OF = {target.id: arch for arch, target in TARGETS.items()}
FORMATS = {"best_any": (), "best_wheel": (("only-binary", ":all:"),)}
NONE = "NONE"
SKIP = "SKIP"
TIE = "equally-ranked-files"

_SQLALCHEMY = "SQLAlchemy-1.4.54-cp39-cp39-manylinux"
#: (project, version, arch) -> (what pip install takes: the equally ranked file listed
#: last, what PackageFinder.find_best_candidate and so the TSV give: the one listed first).
TIES = {
    ("multi-key-dict", "2.0.3", "arm64"): (
        "multi_key_dict-2.0.3.zip",
        "multi_key_dict-2.0.3.tar.gz",
    ),
    ("multi-key-dict", "2.0.3", "amd64"): (
        "multi_key_dict-2.0.3.zip",
        "multi_key_dict-2.0.3.tar.gz",
    ),
    ("sqlalchemy", "1.4.54", "amd64"): (
        # Both carry manylinux_2_17_x86_64, the best tag either has for the target.
        f"{_SQLALCHEMY}_2_5_x86_64.manylinux1_x86_64.manylinux_2_17_x86_64"
        ".manylinux2014_x86_64.whl",
        f"{_SQLALCHEMY}1_x86_64.manylinux2010_x86_64.manylinux_2_12_x86_64"
        ".manylinux_2_5_x86_64.manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ),
}


def _corpora() -> list[str]:
    return sorted(p.stem for p in CORPORA.glob("*.txt")) if CORPORA.is_dir() else []


def _cases() -> list[object]:
    """One case per corpus, target and column, or a single skipped case without corpora."""
    if not _corpora():
        reason = f"shared corpora not found at {CORPORA}"
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=reason), id="absent")]
    return [
        pytest.param(corpus, arch, column, id=f"{corpus}-{arch}-{column.removeprefix('best_')}")
        for corpus in _corpora()
        for arch in TARGETS
        for column in FORMATS
    ]


@dataclass(frozen=True)
class Row:
    """One line of an expected TSV, with the text of that line in the corpus."""

    line: int
    name: str
    marker_target: str
    best_wheel: str
    best_any: str
    text: str

    def expected(self, column: str) -> str:
        """``best_wheel`` or ``best_any``; ``SKIP`` whenever the target's marker is false."""
        return SKIP if self.marker_target == "False" else str(getattr(self, column))


def _line_text(raw: str) -> str:
    """A requirements-file line without its comment or surrounding blanks."""
    return re.sub(r"(^|\s)#.*$", "", raw).strip()


def _rows(corpus: str, arch: str) -> list[Row]:
    tsv = EXPECTED / f"{corpus}.{arch}.tsv"
    if not tsv.is_file():
        pytest.skip(f"no expected answers {tsv.name}")
    lines = (CORPORA / f"{corpus}.txt").read_text(encoding="utf-8").splitlines()
    with tsv.open(encoding="utf-8", newline="") as stream:
        return [
            Row(
                line=int(row["line"]),
                name=row["name"],
                marker_target=row["marker_target"],
                best_wheel=row["best_wheel"],
                best_any=row["best_any"],
                text=_line_text(lines[int(row["line"]) - 1]),
            )
            for row in csv.DictReader(stream, delimiter="\t")
        ]


Explain = Callable[[str, str, str], Report]


def recorded_pages_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One HTTP cache for the whole session, shared with ``test_resolve.py``.

    Only for runs that read recorded pages nobody changes (no in-memory projects, no
    yanks): the large pages then go over the loopback and get parsed into the cache
    once, whichever module runs first. The answers do not depend on the order.
    """
    path = tmp_path_factory.getbasetemp() / "recorded-pages-http-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory: pytest.TempPathFactory) -> Explain:
    """``(corpus, column, index_url) -> Report`` for both targets, computed once, shared.

    Computed lazily inside the first test that asks, so that test's isolated
    environment (no ``PIP_*``, the hermetic index) applies. ``advise`` is off: build
    needs and fixes do not change which file is picked, and reading sdists is slow.
    """
    cache = recorded_pages_cache(tmp_path_factory)
    reports: dict[tuple[str, str], Report] = {}

    def explain(corpus: str, column: str, index_url: str) -> Report:
        key = (corpus, column)
        if key not in reports:
            options = ExplainOptions(
                index=IndexOptions(index_url=index_url, retries=1),
                requirement_files=(str(CORPORA / f"{corpus}.txt"),),
                no_deps=True,
                formats=FORMATS[column],
                advise=False,
                cache_dir=cache,
            )
            reports[key] = wheelshim.explain([], list(TARGETS.values()), options)
        return reports[key]

    return explain


def _key(name: str, text: str) -> tuple[str, str]:
    return canonicalize_name(name), " ".join(text.split())


def _match(rows: list[Row], results: list[Result]) -> list[tuple[Row, Result]]:
    """Pair every TSV row with the result of its corpus line.

    Results carry the requirement text, not the line number: rows and results are
    matched on (project, text of the line), so one project on several lines with
    different specifiers or markers pairs up line by line. Identical lines give
    identical answers; they are paired in file order. Every row and every result must
    be used exactly once.
    """
    pending: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        pending.setdefault(_key(result.project, _line_text(result.requirement)), []).append(result)
    pairs = []
    for row in sorted(rows, key=lambda r: r.line):
        assert canonicalize_name(Requirement(row.text).name) == canonicalize_name(row.name), row
        found = pending.get(_key(row.name, row.text)) or []
        assert found, f"line {row.line} {row.text!r}: no result"
        pairs.append((row, found.pop(0)))
    leftover = [r.requirement for found in pending.values() for r in found]
    assert leftover == [], "results that match no TSV line"
    return pairs


def _tie(result: Result) -> tuple[str, str] | None:
    """(pip install's file, PackageFinder's file) when equally ranked files tie."""
    for reason in result.reasons:
        if reason.code == TIE:
            return str(reason.data["file"]), str(reason.data["other"])
    return None


def _finder_answer(result: Result) -> str:
    """The result in the TSV's terms, as PackageFinder gives it: a file, NONE or SKIP."""
    if result.outcome is Outcome.SKIPPED:
        return SKIP
    if result.outcome is Outcome.NO_MATCH:
        return NONE
    tie = _tie(result)
    if tie is not None:
        return tie[1]
    return result.file.filename if result.file is not None else f"<{result.outcome} without file>"


def _problems(result: Result, arch: str) -> list[str]:
    """What is wrong with a result whatever pip's answer: outcome/file agreement, ties."""
    file = result.file.filename if result.file is not None else None
    problems = []
    if result.outcome is Outcome.WHEEL and not (file or "").endswith(".whl"):
        problems.append(f"outcome wheel with file {file}")
    if result.outcome is Outcome.SDIST and (file is None or file.endswith(".whl")):
        problems.append(f"outcome sdist with file {file}")
    if result.outcome in (Outcome.NO_MATCH, Outcome.SKIPPED) and file is not None:
        problems.append(f"outcome {result.outcome} with file {file}")
    tie = _tie(result)
    key = (canonicalize_name(result.project), result.version or "", arch)
    if tie is not None and TIES.get(key) != tie:
        problems.append(f"unexpected tie {tie} (not in TIES)")
    if tie is not None and file != tie[0]:
        problems.append(f"tie names {tie[0]} as pip install's file, but the result is {file}")
    return problems


@pytest.mark.parametrize(("corpus", "arch", "column"), _cases())
def test_corpus_line_by_line_matches_pip(
    index: IndexServer, corpus_report: Explain, corpus: str, arch: str, column: str
) -> None:
    rows = _rows(corpus, arch)
    report = corpus_report(corpus, column, index.url)
    mine = [r for r in report.results if ARCH_OF[r.target.id] == arch]
    wrong = [
        f"line {row.line} {row.text}: pip {row.expected(column)}, wheelshim "
        f"{_finder_answer(result)} {'; '.join(_problems(result, arch))}".rstrip()
        for row, result in _match(rows, mine)
        if _finder_answer(result) != row.expected(column) or _problems(result, arch)
    ]
    assert wrong == [], f"{len(wrong)} of {len(rows)} lines differ from pip 23.2.1"


@pytest.mark.parametrize(
    ("requirement", "arch"),
    [
        ("multi_key_dict==2.0.3", "arm64"),
        ("multi_key_dict==2.0.3", "amd64"),
        ("SQLAlchemy==1.4.54", "amd64"),
    ],
)
def test_known_ties_are_still_ties(index: IndexServer, requirement: str, arch: str) -> None:
    """Each entry of :data:`TIES` is still a tie, named by a reason, install's file kept."""
    options = ExplainOptions(
        index=IndexOptions(index_url=index.url, retries=1), no_deps=True, advise=False
    )
    (result,) = wheelshim.explain([requirement], [TARGETS[arch]], options).results
    name, version = requirement.split("==")
    install, finder = TIES[(canonicalize_name(name), version, arch)]
    assert _tie(result) == (install, finder)
    assert result.file is not None
    assert result.file.filename == install


# --------------------------------------------------------------------------- recordings


def test_trimming_keeps_exactly_the_pinned_releases() -> None:
    page = {
        "name": "demo",
        "meta": {"api-version": "1.1"},
        "versions": ["0.9", "1.0", "1.0.1", "2.0b0", "not-a-version"],
        "files": [
            {"filename": name}
            for name in (
                "demo-0.9.tar.gz",
                "demo-1.0-py3-none-any.whl",
                "demo-1.0+local-py3-none-any.whl",
                "demo-1.0.zip",
                "demo-1.0.1.tar.gz",
                "demo-2.0b0-cp39-cp39-manylinux2014_aarch64.whl",
                "demo-1.0-py2.7.egg",
                "demo.weird-name.tar.gz",
            )
        ],
    }
    trimmed = record_index.trimmed_page(page, [SpecifierSet("==1.0"), SpecifierSet("==2.0b")])
    assert [f["filename"] for f in trimmed["files"]] == [
        "demo-1.0-py3-none-any.whl",
        "demo-1.0+local-py3-none-any.whl",  # ==1.0 ignores a local label, as pip does
        "demo-1.0.zip",
        "demo-2.0b0-cp39-cp39-manylinux2014_aarch64.whl",  # ==2.0b is 2.0b0
        "demo-1.0-py2.7.egg",
        "demo.weird-name.tar.gz",  # version unreadable: kept, it might match
    ]
    assert trimmed["versions"] == ["1.0", "2.0b0", "not-a-version"]
    assert trimmed["meta"] == {"api-version": "1.1", record_index.TRIM_KEY: ["==1.0", "==2.0b"]}
    assert record_index.is_trimmed(trimmed)
    assert not record_index.is_trimmed(page)


def test_pin_plan_trims_only_projects_pinned_on_every_line(tmp_path: Path) -> None:
    one = tmp_path / "one.txt"
    one.write_text(
        "Six==1.16.0\nhttpx>=0.24.1\nnumpy==1.26.*\nattrs==23.1.0 ; python_version<'4'\n"
    )
    two = tmp_path / "two.txt"
    two.write_text("-r one.txt\nsix==1.15.0  # again\nhttpx==0.27.0\n")
    trim, full = record_index.pin_plan([one, two])
    assert {name: sorted(map(str, specs)) for name, specs in trim.items()} == {
        "six": ["==1.15.0", "==1.16.0"],
        "attrs": ["==23.1.0"],
    }
    assert full == {"httpx", "numpy"}


@pytest.mark.skipif(not _corpora(), reason=f"shared corpora not found at {CORPORA}")
def test_every_trimmed_recording_covers_the_corpora_pins() -> None:
    """A trimmed page holds every release the corpora pin, and no unpinned project is
    trimmed (re-recording with fewer corpora, or by hand, would break the tests above)."""
    trim, full = record_index.pin_plan([CORPORA / f"{corpus}.txt" for corpus in _corpora()])
    index_dir = Path(record_index.DEFAULT_OUT) / "index"
    problems = []
    for name in sorted({*trim, *full}):
        page = record_index.recorded_page(index_dir / f"{name}.json.gz")
        if page is None:
            if not (index_dir / f"{name}.404").is_file():
                problems.append(f"{name}: not recorded")
            continue
        if not record_index.is_trimmed(page):
            continue
        kept = set(page["meta"][record_index.TRIM_KEY])
        wanted = {str(spec) for spec in trim.get(name, [])}
        if name in full or not wanted <= kept:
            problems.append(f"{name}: trimmed to {sorted(kept)}, corpora need {sorted(wanted)}")
    assert problems == []
