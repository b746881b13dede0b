"""Core metadata without building: PEP 658, probed ``.metadata``, range reads, downloads, sdists.

Every test talks to the hermetic index on 127.0.0.1 (``index`` fixture) or to an
:class:`httpx.MockTransport`; byte and request counts come from the server's log.
"""

from __future__ import annotations

import io
import json
import random
import struct
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indexserver import IndexFile, IndexServer, make_sdist, make_wheel
from packaging.requirements import Requirement
from packaging.version import Version

from wheelshim._exceptions import ArchiveError
from wheelshim._http import HttpClient, HttpSettings
from wheelshim._metadata import (
    CoreMetadata,
    MetadataFetcher,
    MetadataSource,
    parse_core_metadata,
)
from wheelshim._models import DistributionFile

PROJECT = "demo-pkg"
WHEEL = "demo_pkg-1.2.0-py3-none-any.whl"
SDIST = "demo_pkg-1.2.0.tar.gz"
METADATA = """\
Metadata-Version: 2.1
Name: demo-pkg
Version: 1.2.0
Requires-Python: >=3.8
Requires-Dist: requests>=2
Requires-Dist: typing-extensions; python_version < "3.10"
Requires-Dist: pytest; extra == "test"
Provides-Extra: test

A long description that nobody needs for resolving.
"""
EXPECTED_REQUIRES = (
    "requests>=2",
    'typing-extensions; python_version < "3.10"',
    'pytest; extra == "test"',
)
MIB = 1024 * 1024


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def client() -> Iterator[HttpClient]:
    """A client without a disk cache, so every fetch reaches the server's log."""
    with HttpClient(HttpSettings(cache_dir=None, retries=0), sleep=lambda _s: None) as http:
        yield http


@pytest.fixture
def fetcher(client: HttpClient) -> MetadataFetcher:
    return MetadataFetcher(client)


def served(index: IndexServer, filename: str, project: str = PROJECT) -> DistributionFile:
    """The file as the project page serves it (URL, hashes, PEP 658 advertisement)."""
    page = index.project_page(project)
    assert page is not None
    entry = next(e for e in page["files"] if e["filename"] == filename)
    core = entry.get("core-metadata")
    return DistributionFile(
        filename=filename,
        url=entry["url"],
        origin=index.project_url(project),
        hashes=entry["hashes"],
        metadata_advertised=bool(core),
        metadata_hashes=core if isinstance(core, dict) else {},
        size=entry["size"] or None,
    )


def requirement_strings(metadata: CoreMetadata) -> tuple[str, ...]:
    return tuple(str(r) for r in metadata.requires_dist)


def big_wheel(compression: int = zipfile.ZIP_STORED, blob: int = 2 * MIB) -> bytes:
    """A wheel whose first member is ``blob`` incompressible bytes."""
    noise = random.Random(658).randbytes(blob)
    return make_wheel(WHEEL, METADATA, {"demo_pkg/blob.bin": noise}, compression=compression)


def zip64ify(data: bytes) -> bytes:
    """Rewrite a zip's central directory in ZIP64 form (as huge archives are written).

    Every central record stores sizes and offset as 0xFFFFFFFF with the real values in
    a ZIP64 extra field; a ZIP64 end record and locator precede a saturated EOCD.
    """
    eocd = data.rfind(b"PK\x05\x06")
    _, _, _, _, count, size, offset, _ = struct.unpack_from("<4s4H2LH", data, eocd)
    central, records, position = data[offset : offset + size], [], 0
    for _ in range(count):
        fields = list(struct.unpack_from("<4s6H3L5HLL", central, position))
        name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
        rest = central[position + 46 : position + 46 + name_length + extra_length + comment_length]
        name, extra = rest[:name_length], rest[name_length : name_length + extra_length]
        comment = rest[name_length + extra_length :]
        zip64 = struct.pack("<HHQQQ", 1, 24, fields[9], fields[8], fields[16])
        fields[8] = fields[9] = fields[16] = 0xFFFFFFFF
        fields[11] = len(zip64) + len(extra)
        records.append(struct.pack("<4s6H3L5HLL", *fields) + name + zip64 + extra + comment)
        position += 46 + name_length + extra_length + comment_length
    directory = b"".join(records)
    end64 = offset + len(directory)
    record64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return data[:offset] + directory + record64 + locator + end


def file_requests(index: IndexServer) -> list[Any]:
    return index.requests("/files/*")


# --------------------------------------------------------------------------- parsing


def test_parse_core_metadata_reads_the_fields_pip_uses() -> None:
    metadata = parse_core_metadata(METADATA.encode(), MetadataSource.PEP658, WHEEL)
    assert metadata.name == "demo-pkg"
    assert metadata.version == Version("1.2.0")
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert metadata.requires_python == ">=3.8"
    assert metadata.provides_extras == frozenset({"test"})
    assert metadata.metadata_version == "2.1"
    assert metadata.dependencies_known
    assert metadata.invalid == ()
    assert metadata.warnings == ()


def test_invalid_requires_dist_lines_are_skipped_and_reported() -> None:
    text = METADATA.replace(
        "Provides-Extra: test",
        "Requires-Dist: broken (>=1.0\nRequires-Dist: legacy (>=1.0-dev-r123)\n"
        "Provides-Extra: test",
    )
    metadata = parse_core_metadata(text.encode(), MetadataSource.RANGE, WHEEL)
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert len(metadata.invalid) == 2
    assert "broken" in metadata.invalid[0]
    assert "legacy" in metadata.invalid[1]
    assert all("\n" not in problem for problem in metadata.invalid)


def test_name_and_version_that_disagree_with_the_file_name_are_invalid() -> None:
    text = METADATA.replace("Name: demo-pkg", "Name: other").replace("1.2.0", "1.3")
    metadata = parse_core_metadata(text.encode(), MetadataSource.PEP658, WHEEL)
    assert len(metadata.invalid) == 2
    assert "other" in metadata.invalid[0]
    assert "1.3" in metadata.invalid[1]


def test_missing_fields_fall_back_to_the_file_name() -> None:
    metadata = parse_core_metadata(b"Summary: nothing useful\n", MetadataSource.RANGE, WHEEL)
    assert (metadata.name, metadata.version) == ("demo-pkg", Version("1.2.0"))
    assert "no Name field" in metadata.invalid
    assert "no Version field" in metadata.invalid
    assert "no Metadata-Version field" in metadata.warnings


def test_bad_requires_python_is_ignored_with_a_warning() -> None:
    text = METADATA.replace(">=3.8", ">=three")
    metadata = parse_core_metadata(text.encode(), MetadataSource.RANGE, WHEEL)
    assert metadata.requires_python is None
    assert any("Requires-Python" in w for w in metadata.warnings)
    assert metadata.invalid == ()


def test_headers_decode_utf8_then_latin1_and_unfold() -> None:
    raw = (
        b"Metadata-Version: 2.2\nName: demo-pkg\nVersion: 1.2.0\n"
        b"Author: J\xc3\xbcrgen\nMaintainer: J\xfcrgen\n"
        b"Requires-Dist: requests\n  >=2\nDynamic: Provides-Extra\n\n"
    )
    metadata = parse_core_metadata(raw, MetadataSource.SDIST_PKG_INFO, SDIST)
    assert requirement_strings(metadata) == ("requests>=2",)
    assert metadata.dynamic == ("Provides-Extra",)
    assert metadata.is_dynamic("provides-extra")
    assert not metadata.is_dynamic("Requires-Dist")


# --------------------------------------------------------------------------- wheels


def test_pep658_metadata_takes_exactly_one_small_request(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    index.config.advertise_metadata = True
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel(), metadata=METADATA.encode())])
    file = served(index, WHEEL)
    assert file.metadata_advertised
    assert file.metadata_hashes

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.PEP658
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    (request,) = index.log
    assert request.path.endswith(f"/{WHEEL}.metadata")
    assert request.bytes_sent == len(METADATA.encode())
    stats = fetcher.stats
    assert (stats.requests, stats.bytes_downloaded) == (1, len(METADATA.encode()))
    assert stats.by_source == {MetadataSource.PEP658: 1}


def test_unadvertised_metadata_file_is_probed(index: IndexServer, fetcher: MetadataFetcher) -> None:
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel(), metadata=METADATA.encode())])
    file = served(index, WHEEL)
    assert not file.metadata_advertised

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.METADATA_FILE
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert [r.path.rsplit("/", 1)[-1] for r in index.log] == [f"{WHEEL}.metadata"]


def test_probed_metadata_for_another_project_is_not_trusted(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    wrong = METADATA.replace("Name: demo-pkg", "Name: somebody-else")
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel(), metadata=wrong.encode())])

    metadata = fetcher.metadata_for(served(index, WHEEL))

    assert metadata.source is MetadataSource.RANGE
    assert metadata.name == "demo-pkg"
    assert metadata.invalid == ()
    assert any(w.startswith(".metadata probe:") for w in metadata.warnings)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_range_reads_fetch_a_small_part_of_a_large_wheel(
    index: IndexServer, fetcher: MetadataFetcher, compression: int
) -> None:
    wheel = big_wheel(compression)
    index.add_project(PROJECT, [IndexFile(WHEEL, wheel)])

    metadata = fetcher.metadata_for(served(index, WHEEL))

    assert metadata.source is MetadataSource.RANGE
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert metadata.warnings == ()
    # The 404 probe, then one 64 KiB tail that holds the directory and METADATA.
    assert [(r.status, r.headers.get("range")) for r in index.log] == [
        (404, None),
        (206, "bytes=-65536"),
    ]
    assert len(wheel) > 2 * MIB
    assert index.bytes_sent("/files/*") <= 64 * 1024 + 16
    assert fetcher.stats.requests == 2
    assert fetcher.stats.bytes_downloaded == index.bytes_sent("/files/*")


def test_range_reads_fetch_what_the_tail_lacks(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    # 1500 members: the central directory outgrows the tail and RECORD pushes
    # METADATA out of it, so the directory's head and the member are read as well.
    members = {"demo_pkg/blob.bin": random.Random(3).randbytes(MIB)}
    members.update(
        {f"demo_pkg/module_with_a_long_name_{i:05d}.py": b"x = 1\n" for i in range(1500)}
    )
    wheel = make_wheel(WHEEL, METADATA, members)
    index.add_project(PROJECT, [IndexFile(WHEEL, wheel)])

    metadata = fetcher.metadata_for(served(index, WHEEL))

    assert metadata.source is MetadataSource.RANGE
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    ranged = [r for r in index.log if r.status == 206]
    assert len(ranged) == 3
    assert index.count() <= 4
    assert index.bytes_sent("/files/*") < len(wheel) / 5


def test_zip64_central_directory(index: IndexServer, fetcher: MetadataFetcher) -> None:
    wheel = zip64ify(big_wheel(blob=256 * 1024))
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:  # the rewrite is a valid zip
        assert archive.read("demo_pkg-1.2.0.dist-info/METADATA") == METADATA.encode()
    assert b"PK\x06\x06" in wheel[-200:]
    index.add_project(PROJECT, [IndexFile(WHEEL, wheel)])

    metadata = fetcher.metadata_for(served(index, WHEEL))

    assert metadata.source is MetadataSource.RANGE
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert index.count("/files/*", "GET") == 2


def test_server_that_ignores_range_gives_the_whole_wheel_once() -> None:
    wheel = big_wheel(blob=300 * 1024)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith(".metadata"):
            return httpx.Response(404)
        return httpx.Response(200, content=wheel)  # Range or not

    transport = httpx.MockTransport(answer)
    with HttpClient(HttpSettings(cache_dir=None, retries=0), transport=transport) as http:
        fetcher = MetadataFetcher(http)
        url = f"https://index.test/files/{WHEEL}"
        metadata = fetcher.metadata_for(DistributionFile(WHEEL, url, "https://index.test/"))

    assert metadata.source is MetadataSource.DOWNLOAD
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert any("ignored Range" in w for w in metadata.warnings)
    assert [r.headers.get("range") for r in seen] == [None, "bytes=-65536"]
    assert fetcher.stats.bytes_downloaded == len(wheel)


def test_advertised_metadata_hash_mismatch_falls_back(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    index.config.advertise_metadata = True
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel(), metadata=METADATA.encode())])
    file = replace(served(index, WHEEL), metadata_hashes={"sha256": "0" * 64})

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.RANGE
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    (note,) = metadata.warnings
    assert note.startswith("PEP 658 metadata: .metadata sha256 is ")
    assert "0" * 64 in note
    # No second try of the same .metadata URL as a probe.
    assert index.count("/files/*.metadata") == 1
    assert fetcher.stats.fallbacks == 1


def test_advertised_metadata_that_is_missing_falls_back(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel())])
    file = replace(served(index, WHEEL), metadata_advertised=True)

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.RANGE
    assert any("answered HTTP 404" in w for w in metadata.warnings)


def test_invalid_requires_dist_in_served_metadata_is_reported(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    bad = METADATA.replace("Provides-Extra: test", "Requires-Dist: numpy >=\nProvides-Extra: test")
    index.config.advertise_metadata = True
    index.add_project(PROJECT, [IndexFile(WHEEL, make_wheel(WHEEL, bad), metadata=bad.encode())])

    metadata = fetcher.metadata_for(served(index, WHEEL))

    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    (problem,) = metadata.invalid
    assert problem.startswith("Requires-Dist 'numpy >=' is invalid: ")


def test_garbage_wheel_raises_a_one_line_archive_error(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    index.add_project(PROJECT, [IndexFile(WHEEL, random.Random(1).randbytes(100_000))])
    file = served(index, WHEEL)

    with pytest.raises(ArchiveError) as caught:
        fetcher.metadata_for(file)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{WHEEL}: cannot read its metadata: ")
    assert "End of Central Directory" in message
    # Memoised: the same error again, without another request.
    before = index.count()
    with pytest.raises(ArchiveError):
        fetcher.metadata_for(file)
    assert index.count() == before


def test_corrupt_metadata_member_fails_its_crc(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    wheel = make_wheel(WHEEL, METADATA, compression=zipfile.ZIP_STORED)
    corrupt = wheel.replace(b"Requires-Dist: requests>=2", b"Requires-Dist: requests>=3")
    assert corrupt != wheel
    index.add_project(PROJECT, [IndexFile(WHEEL, corrupt)])

    with pytest.raises(ArchiveError) as caught:
        fetcher.metadata_for(served(index, WHEEL))
    message = str(caught.value)
    assert "\n" not in message
    assert "fails its CRC check" in message


def test_wheel_without_metadata_is_not_downloaded_whole(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo_pkg/__init__.py", b"")
        archive.writestr("demo_pkg-1.2.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n")
    index.add_project(PROJECT, [IndexFile(WHEEL, buffer.getvalue())])

    with pytest.raises(ArchiveError, match=r"no \.dist-info/METADATA in the wheel"):
        fetcher.metadata_for(served(index, WHEEL))
    assert all(r.headers.get("range") or r.path.endswith(".metadata") for r in index.log)


def test_several_dist_info_directories_are_invalid(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    stray = {"other-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n"}
    index.add_project(PROJECT, [IndexFile(WHEEL, make_wheel(WHEEL, METADATA, stray))])

    metadata = fetcher.metadata_for(served(index, WHEEL))

    assert metadata.name == "demo-pkg"
    assert metadata.invalid == (
        "several .dist-info directories (demo_pkg-1.2.0.dist-info, other-1.0.dist-info)",
    )


def test_rejected_range_request_falls_back_to_download() -> None:
    wheel = make_wheel(WHEEL, METADATA)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".metadata"):
            return httpx.Response(404)
        if "range" in request.headers:
            return httpx.Response(400, content=b"no ranges here")
        return httpx.Response(200, content=wheel)

    transport = httpx.MockTransport(answer)
    with HttpClient(HttpSettings(cache_dir=None, retries=0), transport=transport) as http:
        fetcher = MetadataFetcher(http)
        url = f"https://index.test/files/{WHEEL}#sha256=whatever-the-fragment-says"
        metadata = fetcher.metadata_for(DistributionFile(WHEEL, url, "https://index.test/"))

    assert metadata.source is MetadataSource.DOWNLOAD
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    (note,) = metadata.warnings
    assert note.startswith("range reads: ")
    assert "HTTP 400" in note
    assert fetcher.stats.by_source == {MetadataSource.DOWNLOAD: 1}
    assert fetcher.stats.fallbacks == 1


_FUZZ_WHEEL = make_wheel(WHEEL, METADATA, {"demo_pkg/__init__.py": b"x = 1\n" * 50})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(_FUZZ_WHEEL) - 1), st.integers(1, 255)), max_size=6
    ),
    cut=st.integers(0, 64),
)
def test_damaged_wheels_give_metadata_or_an_archive_error(
    flips: list[tuple[int, int]], cut: int
) -> None:
    damaged = bytearray(_FUZZ_WHEEL)
    for position, mask in flips:
        damaged[position] ^= mask
    body = bytes(damaged[: len(damaged) - cut])

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".metadata"):
            return httpx.Response(404)
        spec = request.headers.get("range")
        if spec is None:
            return httpx.Response(200, content=body)
        first, _, last = spec.removeprefix("bytes=").partition("-")
        start = max(len(body) - int(last), 0) if not first else int(first)
        end = len(body) - 1 if not first or not last else min(int(last), len(body) - 1)
        if not body or start > end:
            return httpx.Response(416)
        headers = {"content-range": f"bytes {start}-{end}/{len(body)}"}
        return httpx.Response(206, content=body[start : end + 1], headers=headers)

    transport = httpx.MockTransport(answer)
    with HttpClient(HttpSettings(cache_dir=None, retries=0), transport=transport) as http:
        fetcher = MetadataFetcher(http)
        file = DistributionFile(WHEEL, f"https://index.test/files/{WHEEL}", "https://index.test/")
        outcome: CoreMetadata | ArchiveError
        try:
            outcome = fetcher.metadata_for(file)
        except ArchiveError as error:
            outcome = error
    if isinstance(outcome, ArchiveError):
        assert "\n" not in str(outcome)
    else:
        assert outcome.source in (MetadataSource.RANGE, MetadataSource.DOWNLOAD)


def test_download_cap_is_checked_before_downloading(index: IndexServer, client: HttpClient) -> None:
    index.add_project(PROJECT, [IndexFile(WHEEL, random.Random(2).randbytes(200_000))])
    fetcher = MetadataFetcher(client, max_download_bytes=100_000)

    with pytest.raises(ArchiveError, match="over the 100000 byte download cap"):
        fetcher.metadata_for(served(index, WHEEL))
    assert all(r.headers.get("range") or r.path.endswith(".metadata") for r in index.log)


def test_missing_wheel_is_an_index_error(index: IndexServer, fetcher: MetadataFetcher) -> None:
    from wheelshim._exceptions import IndexUnreachable

    url = f"{index.files_url}/nowhere/{WHEEL}"
    with pytest.raises(IndexUnreachable, match="HTTP 404"):
        fetcher.metadata_for(DistributionFile(WHEEL, url, index.url))


def test_not_a_distribution(fetcher: MetadataFetcher) -> None:
    file = DistributionFile("demo_pkg-1.2.0.exe", "https://index.test/x.exe", "https://index.test")
    with pytest.raises(ArchiveError, match="not a wheel or sdist"):
        fetcher.metadata_for(file)


def test_memoised_concurrent_callers_share_one_fetch(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    index.config.advertise_metadata = True
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel(), metadata=METADATA.encode())])
    file = served(index, WHEEL)
    index.delay("/files/*", 0.3)
    barrier = threading.Barrier(2)
    results: list[CoreMetadata] = []

    def work() -> None:
        barrier.wait()
        results.append(fetcher.metadata_for(file))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(results) == 2
    assert results[0] is results[1]
    assert index.count() == 1
    assert fetcher.stats.memo_hits == 1
    assert fetcher.stats.by_source == {MetadataSource.PEP658: 1}


def test_disk_cache_answers_a_second_fetcher(index: IndexServer, tmp_path: Any) -> None:
    index.add_project(PROJECT, [IndexFile(WHEEL, big_wheel())])
    file = served(index, WHEEL)
    settings = HttpSettings(cache_dir=tmp_path / "http", retries=0)
    with HttpClient(settings) as http:
        first = MetadataFetcher(http).metadata_for(file)
    requests = index.count()
    with HttpClient(settings) as http:
        again = MetadataFetcher(http)
        assert again.metadata_for(file) == first
    assert index.count() == requests
    assert again.stats.requests == 0
    assert again.stats.cache_hits == 2


# --------------------------------------------------------------------------- sdists


def sdist_file(index: IndexServer, content: bytes, filename: str = SDIST) -> DistributionFile:
    index.add_project(PROJECT, [IndexFile(filename, content)])
    return served(index, filename)


def test_sdist_pkg_info_with_static_requires_dist(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    pkg_info = METADATA.replace("Metadata-Version: 2.1", "Metadata-Version: 2.2\nDynamic: Summary")
    file = sdist_file(index, make_sdist(SDIST, pkg_info))

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.SDIST_PKG_INFO
    assert requirement_strings(metadata) == EXPECTED_REQUIRES
    assert metadata.dynamic == ("Summary",)
    assert metadata.dependencies_known
    (request,) = index.log
    assert request.headers.get("range") is None


def test_sdist_with_dynamic_pkg_info_uses_static_pyproject(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    pkg_info = "Metadata-Version: 2.2\nName: demo-pkg\nVersion: 1.2.0\nDynamic: Requires-Dist\n\n"
    pyproject = b"""
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "demo-pkg"
dynamic = ["version", "readme"]
requires-python = ">=3.9"
dependencies = ["requests>=2", 'typing-extensions; python_version < "3.10"']

[project.optional-dependencies]
Test = ["pytest", 'coverage; sys_platform == "linux"']
"""
    file = sdist_file(index, make_sdist(SDIST, pkg_info, {"pyproject.toml": pyproject}))

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.SDIST_PYPROJECT
    assert (metadata.name, metadata.version) == ("demo-pkg", Version("1.2.0"))
    assert requirement_strings(metadata) == (
        "requests>=2",
        'typing-extensions; python_version < "3.10"',
        'pytest; extra == "test"',
        'coverage; sys_platform == "linux" and extra == "test"',
    )
    assert metadata.provides_extras == frozenset({"test"})
    assert metadata.requires_python == ">=3.9"
    assert metadata.dynamic == ("Version", "Description")
    assert metadata.dependencies_known
    assert metadata.invalid == ()
    env = {"python_version": "3.12", "sys_platform": "linux", "extra": "test"}
    assert Requirement(requirement_strings(metadata)[3]).marker.evaluate(env)  # type: ignore[union-attr]


def test_sdist_with_nothing_static_is_unknown(index: IndexServer, fetcher: MetadataFetcher) -> None:
    pkg_info = "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2.0\n\n"
    pyproject = b'[project]\nname = "demo-pkg"\ndynamic = ["version", "dependencies"]\n'
    file = sdist_file(
        index, make_sdist(SDIST, pkg_info, {"pyproject.toml": pyproject, "setup.py": b"raise"})
    )

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.UNKNOWN
    assert not metadata.dependencies_known
    assert metadata.requires_dist == ()
    assert (metadata.name, metadata.version) == ("demo-pkg", Version("1.2.0"))
    (reason,) = metadata.warnings
    assert reason == (
        "dependencies unknown without a build: PKG-INFO is Metadata-Version 2.1 (before "
        "2.2); pyproject.toml lists dependencies in dynamic"
    )
    assert fetcher.stats.by_source == {MetadataSource.UNKNOWN: 1}


def test_zip_sdist_without_pyproject_is_unknown(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    filename = "demo_pkg-1.2.0.zip"
    pkg_info = "Metadata-Version: 2.2\nName: demo-pkg\nVersion: 1.2.0\nDynamic: Requires-Dist\n\n"
    file = sdist_file(index, make_sdist(filename, pkg_info), filename)

    metadata = fetcher.metadata_for(file)

    assert metadata.source is MetadataSource.UNKNOWN
    assert metadata.dynamic == ("Requires-Dist",)
    assert "no pyproject.toml" in metadata.warnings[0]


def test_sdist_that_does_not_match_its_hash_is_not_read(
    index: IndexServer, fetcher: MetadataFetcher
) -> None:
    content = make_sdist(SDIST)
    index.add_project(PROJECT, [IndexFile(SDIST, content, hashes={"sha256": "ab" * 32})])

    with pytest.raises(ArchiveError, match=r"sha256 is .* the index says abab"):
        fetcher.metadata_for(served(index, SDIST))


def test_stats_are_a_json_friendly_snapshot(fetcher: MetadataFetcher) -> None:
    stats = fetcher.stats
    assert json.dumps({s.value: n for s, n in stats.by_source.items()}) == "{}"
    assert (stats.requests, stats.bytes_downloaded, stats.fallbacks) == (0, 0, 0)
