"""The hermetic index does what it claims: negotiation, HTML, redirects, ranges, faults."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import record_index
from indexserver import (
    DATA_DIR,
    GARBAGE,
    HTML_TYPE,
    JSON_TYPE,
    IndexFile,
    IndexServer,
    make_sdist,
    make_wheel,
    negotiate,
    parse_range,
)

PIP_ACCEPT = f"{JSON_TYPE}, {HTML_TYPE}; q=0.1, text/html; q=0.01"
SIX_WHEEL = "six-1.16.0-py2.py3-none-any.whl"
MISSING = "wheelshim-no-such-project-zz9"


class _Anchors(HTMLParser):
    """Collects ``(attributes, text)`` of every anchor of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._current: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.anchors.append((self._current, data))
            self._current = None


def anchors(page: str) -> dict[str, dict[str, str | None]]:
    """Return the attributes of each anchor of an HTML page, by link text."""
    parser = _Anchors()
    parser.feed(page)
    return {text: attrs for attrs, text in parser.anchors}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain client that does not follow redirects."""
    with httpx.Client(timeout=10) as http:
        yield http


def get_json(client: httpx.Client, url: str) -> dict[str, object]:
    """GET a PEP 691 page and return it decoded."""
    response = client.get(url, headers={"Accept": JSON_TYPE})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    data: dict[str, object] = response.json()
    return data


def files_of(page: dict[str, object]) -> dict[str, dict[str, object]]:
    """Return the file entries of a PEP 691 page by filename."""
    entries = page["files"]
    assert isinstance(entries, list)
    return {entry["filename"]: entry for entry in entries}


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (PIP_ACCEPT, JSON_TYPE),
        (None, "text/html"),
        ("*/*", "text/html"),
        ("text/html", "text/html"),
        (HTML_TYPE, HTML_TYPE),
        ("application/vnd.pypi.simple.latest+json", JSON_TYPE),
        ("application/vnd.pypi.simple.latest+html", HTML_TYPE),
        (f"text/html, {JSON_TYPE}; q=0.5", "text/html"),
        (f"{JSON_TYPE}; q=0, */*", "text/html"),
        ("application/json", "text/html"),
        (f"*/*; q=0.9, {HTML_TYPE}", HTML_TYPE),
    ],
)
def test_negotiate(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected


def test_json_page_of_a_recorded_project(index: IndexServer, client: httpx.Client) -> None:
    page = get_json(client, index.project_url("six"))
    assert page["name"] == "six"
    assert page["meta"] == {"api-version": "1.1", "_last-serial": page["meta"]["_last-serial"]}  # type: ignore[index]
    entry = files_of(page)[SIX_WHEEL]
    assert str(entry["url"]).startswith(index.files_url + "/")
    assert str(entry["url"]).endswith("/" + SIX_WHEEL)
    assert "core-metadata" not in entry
    assert "1.16.0" in page["versions"]  # type: ignore[operator]


def test_html_page_by_default_and_for_v1_html(index: IndexServer, client: httpx.Client) -> None:
    plain = client.get(index.project_url("six"))
    assert plain.headers["content-type"] == "text/html"
    v1 = client.get(index.project_url("six"), headers={"Accept": HTML_TYPE})
    assert v1.headers["content-type"] == HTML_TYPE
    assert plain.text == v1.text
    links = anchors(plain.text)
    wheel = get_json(client, index.project_url("six"))
    sha = files_of(wheel)[SIX_WHEEL]["hashes"]["sha256"]  # type: ignore[index]
    assert links[SIX_WHEEL]["href"] == f"{index.file_url(SIX_WHEEL)}#sha256={sha}"
    assert links[SIX_WHEEL]["data-requires-python"] == ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*"
    assert '<meta name="pypi:repository-version" content="1.1">' in plain.text


def test_html_escapes_attributes_and_renders_yanks(
    index: IndexServer, client: httpx.Client
) -> None:
    index.add_project(
        "Demo_Pkg",
        [
            IndexFile("demo_pkg-1.0-py3-none-any.whl", b"x", requires_python=">=3.8,<4"),
            IndexFile("demo_pkg-0.9.tar.gz", b"y", yanked='bad "build" <tag> & more'),
            IndexFile("demo_pkg-0.8.tar.gz", yanked=True),
        ],
    )
    body = client.get(index.project_url("demo-pkg")).text
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in body
    assert 'data-yanked="bad &quot;build&quot; &lt;tag&gt; &amp; more"' in body
    links = anchors(body)
    assert links["demo_pkg-1.0-py3-none-any.whl"]["data-requires-python"] == ">=3.8,<4"
    assert links["demo_pkg-0.9.tar.gz"]["data-yanked"] == 'bad "build" <tag> & more'
    assert links["demo_pkg-0.8.tar.gz"]["data-yanked"] == ""
    assert "data-yanked" not in links["demo_pkg-1.0-py3-none-any.whl"]
    sha = hashlib.sha256(b"x").hexdigest()
    assert links["demo_pkg-1.0-py3-none-any.whl"]["href"].endswith(f"#sha256={sha}")  # type: ignore[union-attr]
    assert "#" not in links["demo_pkg-0.8.tar.gz"]["href"]  # type: ignore[operator]


def test_root_lists_projects_but_not_404_markers(index: IndexServer, client: httpx.Client) -> None:
    index.add_project("in-memory-only", ["in_memory_only-1.0.tar.gz"])
    names = [p["name"] for p in get_json(client, index.url)["projects"]]  # type: ignore[attr-defined]
    assert {"six", "numpy", "in-memory-only"} <= set(names)
    assert MISSING not in names
    assert names == sorted(names)
    links = anchors(client.get(index.url).text)
    assert links["six"]["href"] == "/simple/six/"


# --------------------------------------------------------------------------- redirects, 404


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/simple/Six/", "/simple/six/"),
        ("/simple/six", "/simple/six/"),
        ("/simple/ruamel.yaml/", "/simple/ruamel-yaml/"),
        ("/simple/Zope_Interface", "/simple/zope-interface/"),
        ("/simple", "/simple/"),
    ],
)
def test_non_canonical_names_redirect(
    index: IndexServer, client: httpx.Client, path: str, target: str
) -> None:
    response = client.get(index.base_url + path, headers={"Accept": JSON_TYPE})
    assert response.status_code == 301
    assert response.headers["location"] == index.base_url + target
    followed = client.get(index.base_url + path, follow_redirects=True)
    assert followed.status_code == 200


@pytest.mark.parametrize("name", [MISSING, "not-recorded-at-all", "Not.Recorded"])
def test_unknown_projects_and_markers_answer_404(
    index: IndexServer, client: httpx.Client, name: str
) -> None:
    assert (DATA_DIR / "index" / f"{MISSING}.404").is_file()
    response = client.get(f"{index.url}{name}/", headers={"Accept": JSON_TYPE})
    assert response.status_code == 404


def test_other_methods_and_paths(index: IndexServer, client: httpx.Client) -> None:
    assert client.post(index.project_url("six")).status_code == 405
    assert client.get(index.base_url + "/elsewhere").status_code == 404
    assert client.get(index.files_url + "/nothing-here.whl").status_code == 404


# --------------------------------------------------------------------------- files, ranges


@pytest.fixture
def blob(index: IndexServer) -> bytes:
    """1000 registered bytes at ``/files/blob.bin``."""
    content = bytes(range(256)) * 3 + bytes(232)
    index.add_file("blob.bin", content)
    return content


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=990-", 990, 999),
        ("bytes=-10", 990, 999),
        ("bytes=-5000", 0, 999),
        ("bytes=500-5000", 500, 999),
    ],
)
def test_byte_ranges(
    index: IndexServer, client: httpx.Client, blob: bytes, spec: str, first: int, last: int
) -> None:
    response = client.get(index.files_url + "/blob.bin", headers={"Range": spec})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {first}-{last}/1000"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == blob[first : last + 1]
    assert index.log[-1].bytes_sent == last - first + 1


def test_whole_file_head_and_unsatisfiable_range(
    index: IndexServer, client: httpx.Client, blob: bytes
) -> None:
    whole = client.get(index.files_url + "/any/dir/blob.bin")
    assert (whole.status_code, whole.content) == (200, blob)
    assert whole.headers["accept-ranges"] == "bytes"
    head = client.head(index.files_url + "/blob.bin")
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "1000", b"")
    bad = client.get(index.files_url + "/blob.bin", headers={"Range": "bytes=1000-"})
    assert (bad.status_code, bad.headers["content-range"]) == (416, "bytes */1000")
    multi = client.get(index.files_url + "/blob.bin", headers={"Range": "bytes=0-1,5-6"})
    assert multi.status_code == 200
    assert [r.bytes_sent for r in index.requests("/files/*")] == [1000, 0, 0, 1000]


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("bytes=5-", (5, 9)), ("bytes=-3", (7, 9)), ("items=0-1", None)],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 10) == expected


def test_registered_file_of_a_recorded_project(index: IndexServer, client: httpx.Client) -> None:
    wheel = make_wheel(SIX_WHEEL, files={"six.py": b"# six\n"})
    index.add_file(SIX_WHEEL, wheel)
    assert client.get(index.file_url(SIX_WHEEL)).content == wheel
    entry = files_of(get_json(client, index.project_url("six")))[SIX_WHEEL]
    assert entry["hashes"] == {"sha256": hashlib.sha256(wheel).hexdigest()}
    assert entry["size"] == len(wheel)
    index.add_file(SIX_WHEEL, wheel, rehash=False)
    entry = files_of(get_json(client, index.project_url("six")))[SIX_WHEEL]
    assert entry["hashes"] != {"sha256": hashlib.sha256(wheel).hexdigest()}


def test_in_memory_project_can_extend_a_recorded_one(
    index: IndexServer, client: httpx.Client
) -> None:
    extra = IndexFile("six-99.0-py3-none-any.whl", make_wheel("six-99.0-py3-none-any.whl"))
    index.add_project("six", [extra], replace=False)
    page = get_json(client, index.project_url("six"))
    assert {SIX_WHEEL, extra.filename} <= set(files_of(page))
    assert page["versions"][-1] == "99.0"  # type: ignore[index]
    index.add_project("six", [extra])
    assert set(files_of(get_json(client, index.project_url("six")))) == {extra.filename}


def test_mark_yanked_on_a_recorded_file(index: IndexServer, client: httpx.Client) -> None:
    index.mark_yanked("Six", SIX_WHEEL, "broken")
    assert files_of(get_json(client, index.project_url("six")))[SIX_WHEEL]["yanked"] == "broken"
    index.mark_yanked("six", SIX_WHEEL)
    assert anchors(client.get(index.project_url("six")).text)[SIX_WHEEL]["data-yanked"] == ""


# --------------------------------------------------------------------------- metadata


def test_recorded_metadata_served_and_advertised_only_when_enabled(
    index: IndexServer, client: httpx.Client
) -> None:
    recorded = (DATA_DIR / "metadata" / f"{SIX_WHEEL}.metadata").read_bytes()
    response = client.get(index.file_url(SIX_WHEEL) + ".metadata")
    assert (response.status_code, response.content) == (200, recorded)
    assert "core-metadata" not in files_of(get_json(client, index.project_url("six")))[SIX_WHEEL]

    index.config.advertise_metadata = True
    entries = files_of(get_json(client, index.project_url("six")))
    digest = {"sha256": hashlib.sha256(recorded).hexdigest()}
    assert entries[SIX_WHEEL]["core-metadata"] == digest
    assert entries[SIX_WHEEL]["dist-info-metadata"] == digest
    assert "core-metadata" not in entries["six-1.15.0-py2.py3-none-any.whl"]
    link = anchors(client.get(index.project_url("six")).text)[SIX_WHEEL]
    assert link["data-core-metadata"] == f"sha256={digest['sha256']}"


def test_registered_metadata(index: IndexServer, client: httpx.Client) -> None:
    index.config.advertise_metadata = True
    metadata = "Metadata-Version: 2.1\nName: meta\nVersion: 1.0\nRequires-Dist: six\n\n"
    wheel = IndexFile(
        "meta-1.0-py3-none-any.whl",
        make_wheel("meta-1.0-py3-none-any.whl", metadata),
        metadata=metadata.encode(),
    )
    index.add_project("meta", [wheel])
    entry = files_of(get_json(client, index.project_url("meta")))[wheel.filename]
    assert entry["core-metadata"] == {"sha256": hashlib.sha256(metadata.encode()).hexdigest()}
    assert client.get(str(entry["url"]) + ".metadata").text == metadata


# --------------------------------------------------------------------------- switches, faults


def test_validators_off_by_default(index: IndexServer, client: httpx.Client) -> None:
    response = client.get(index.project_url("six"))
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers


def test_validators_and_conditional_requests(index: IndexServer, client: httpx.Client) -> None:
    index.config.validators = True
    first = client.get(index.project_url("six"), headers={"Accept": JSON_TYPE})
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "max-age=600"
    again = client.get(
        index.project_url("six"), headers={"Accept": JSON_TYPE, "If-None-Match": etag}
    )
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    html_page = client.get(index.project_url("six"), headers={"If-None-Match": etag})
    assert html_page.status_code == 200
    assert html_page.headers["etag"] != etag
    assert index.requests("/simple/six/")[1].bytes_sent == 0


def test_gzip_switch(index: IndexServer, client: httpx.Client) -> None:
    assert "content-encoding" not in client.get(index.project_url("six")).headers
    index.config.gzip = True
    response = client.get(index.project_url("six"), headers={"Accept": JSON_TYPE})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["name"] == "six"


def test_fail_then_succeed(index: IndexServer, client: httpx.Client) -> None:
    index.fail("/simple/six/", times=2, status=503)
    statuses = [client.get(index.project_url("six")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert index.count("/simple/six/") == 3


def test_fail_accepts_urls_and_globs(index: IndexServer, client: httpx.Client, blob: bytes) -> None:
    index.fail(index.files_url + "/*", status=404)
    assert client.get(index.files_url + "/blob.bin").status_code == 404
    assert client.get(index.files_url + "/blob.bin").content == blob


def test_delay_triggers_client_timeouts(index: IndexServer) -> None:
    index.delay("/simple/six/", 2.0, times=1)
    with httpx.Client(timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(index.project_url("six"))
    with httpx.Client(timeout=5) as patient:
        assert patient.get(index.project_url("six")).status_code == 200


def test_garbage(index: IndexServer, client: httpx.Client) -> None:
    index.garbage("/simple/six/")
    response = client.get(index.project_url("six"), headers={"Accept": JSON_TYPE})
    assert response.status_code == 200
    assert response.content == GARBAGE
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_request_log(index: IndexServer, client: httpx.Client) -> None:
    response = client.get(index.project_url("six"), headers={"Accept": JSON_TYPE})
    (record,) = index.log
    assert (record.method, record.path, record.status) == ("GET", "/simple/six/", 200)
    assert record.bytes_sent == len(response.content)
    assert record.headers["accept"] == JSON_TYPE
    assert index.bytes_sent("/simple/*") == len(response.content)


def test_reset_forgets_everything(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.fail("/simple/six/", times=5)
    index_server.add_project("temp-project", ["temp_project-1.0.tar.gz"])
    index_server.config.validators = True
    index_server.reset()
    assert client.get(index_server.project_url("six")).status_code == 200
    assert client.get(index_server.project_url("temp-project")).status_code == 404
    assert "etag" not in client.get(index_server.project_url("six")).headers
    index_server.reset()
    assert index_server.log == []


# --------------------------------------------------------------------------- archives


def test_make_wheel_is_a_valid_deterministic_wheel() -> None:
    filename = "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    wheel = make_wheel(filename, files={"demo/__init__.py": b""})
    assert wheel == make_wheel(filename, files={"demo/__init__.py": b""})
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        assert archive.read("demo-1.0.dist-info/METADATA").startswith(b"Metadata-Version")
        tags = archive.read("demo-1.0.dist-info/WHEEL").decode()
    assert "Tag: cp311-cp311-manylinux2014_x86_64\n" in tags


@pytest.mark.parametrize("filename", ["demo-1.0.tar.gz", "demo-1.0.zip"])
def test_make_sdist(filename: str) -> None:
    sdist = make_sdist(filename, files={"setup.py": b"raise SystemExit(1)\n"})
    assert sdist == make_sdist(filename, files={"setup.py": b"raise SystemExit(1)\n"})
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(sdist)) as archive:
            names = archive.namelist()
    else:
        with tarfile.open(fileobj=io.BytesIO(sdist)) as archive:
            names = archive.getnames()
    assert sorted(names) == ["demo-1.0/PKG-INFO", "demo-1.0/setup.py"]


# --------------------------------------------------------------------------- recordings


def test_recorded_pages_use_only_the_neutral_files_host() -> None:
    pages = sorted((DATA_DIR / "index").glob("*.json.gz"))
    expected = {"numpy", "six", "requests", "murmurhash", "spacy", "django", "ruamel-yaml"}
    assert expected <= {p.name.removesuffix(".json.gz") for p in pages}
    for path in pages:
        page = json.loads(gzip.decompress(path.read_bytes()))
        assert page["name"] == path.name.removesuffix(".json.gz")
        bad = [
            f["url"] for f in page["files"] if not f["url"].startswith("https://files.index.test/")
        ]
        assert bad == [], path.name


def test_recordings_are_deterministic_gzip() -> None:
    raw = (DATA_DIR / "index" / "six.json.gz").read_bytes()
    page = json.loads(gzip.decompress(raw))
    assert record_index.gzip_json(page) == raw


def test_recorder_reads_names(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"req": "numpy==="},
        {"req": "Numpy>=2; python_version<'3.10'"},
        {"req": "ruamel.yaml"},
    ]
    cases.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert record_index.unique_canonical(record_index.names_from_cases(cases)) == [
        "numpy",
        "ruamel-yaml",
    ]
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# comment\n-r other.txt\nSix==1.16  # pinned\n\nrequests[socks]\n")
    assert record_index.names_from_requirements(reqs) == ["Six", "requests"]


def test_recorder_rewrites_urls_and_scrubs_hosts() -> None:
    forbidden = record_index.Forbidden()
    page = {
        "name": "x",
        "files": [
            {
                "filename": "x-1.tar.gz",
                "url": "https://files.example.org/a/b/x-1.tar.gz",
                "yanked": "see Example",
            }
        ],
    }
    neutral = record_index.neutral_page(page, forbidden)
    assert neutral["files"][0]["url"] == "https://files.index.test/a/b/x-1.tar.gz"
    assert neutral["files"][0]["yanked"] == "see index"
    metadata = (
        b"Metadata-Version: 2.1\nName: x\nHome-page: https://example.org/x\n"
        b"Requires-Dist: y\nDescription: long\n   more\n\nBody with https://example.org\n"
    )
    assert record_index.sanitize_metadata(metadata, forbidden) == (
        b"Metadata-Version: 2.1\nName: x\nRequires-Dist: y\n\n"
    )


@pytest.mark.parametrize("padding", [0, 200_000])
def test_recorder_reads_metadata_by_ranges(index: IndexServer, padding: int) -> None:
    filename = "ranged-2.0-py3-none-any.whl"
    metadata = "Metadata-Version: 2.1\nName: ranged\nVersion: 2.0\nRequires-Dist: six\n\n"
    wheel = make_wheel(
        filename, metadata, {"ranged/big.bin": os.urandom(padding)}, compression=zipfile.ZIP_STORED
    )
    index.add_file(filename, wheel)
    with httpx.Client(timeout=10) as http:
        content = record_index.read_metadata_by_ranges(
            http, f"{index.files_url}/{filename}", filename
        )
    assert content == metadata.encode()
    ranged = [r for r in index.requests("/files/*") if "range" in r.headers]
    assert ranged
    assert index.bytes_sent("/files/*") < len(wheel) or padding == 0


# --------------------------------------------------------------------------- live


@pytest.mark.live
def test_live_page_has_the_recorded_shape() -> None:
    """The live index still answers PEP 691 pages shaped like the recordings."""
    with record_index.make_client() as http:
        response = record_index.request(
            http, record_index.live_index_url() + "six/", {"Accept": JSON_TYPE}
        )
    live = response.json()
    recorded = json.loads(gzip.decompress((DATA_DIR / "index" / "six.json.gz").read_bytes()))
    assert set(live) == set(recorded)
    assert set(live["files"][0]) == set(recorded["files"][0])
