"""Project pages parsed and merged as pip does (wheelshim._sources)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from indexserver import IndexFile, IndexServer

from wheelshim._config import IndexSettings
from wheelshim._exceptions import IndexUnreachable
from wheelshim._http import HttpClient, HttpResponse, HttpSettings
from wheelshim._sources import (
    SIMPLE_ACCEPT,
    PackageSources,
    parse_html_page,
    parse_json_page,
    parse_page,
)

PAGE = "https://index.test/simple/demo/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
Routes = Mapping[str, httpx.Response | Callable[[httpx.Request], httpx.Response]]


# --- HTML ---------------------------------------------------------------------------


def test_html_links_resolve_against_the_page_and_keep_hash_fragments() -> None:
    page = (
        b"<html><body>"
        b'<a href="../../files/demo-1.0.tar.gz#sha256=abc">demo-1.0.tar.gz</a>'
        b'<a href="https://files.index.test/demo-2.0-py3-none-any.whl">w</a>'
        b"<a>no href</a><a href=''>empty</a>"
        b"</body></html>"
    )
    first, second = parse_html_page(page, PAGE)
    assert first.url == "https://index.test/files/demo-1.0.tar.gz#sha256=abc"
    assert first.filename == "demo-1.0.tar.gz"
    assert dict(first.hashes) == {"sha256": "abc"}
    assert first.origin == PAGE
    assert second.url == "https://files.index.test/demo-2.0-py3-none-any.whl"
    assert dict(second.hashes) == {}


def test_html_base_href_is_honoured_and_resolved_against_the_page() -> None:
    page = (
        b'<base href="/mirror/"><base href="https://ignored.test/"><a href="demo-1.0.tar.gz">x</a>'
    )
    (file,) = parse_html_page(page, PAGE)
    assert file.url == "https://index.test/mirror/demo-1.0.tar.gz"


def test_html_attributes_are_unescaped() -> None:
    page = b'<a href="demo-1.0.tar.gz" data-requires-python="&gt;=3.8,&lt;4">x</a>'
    (file,) = parse_html_page(page, PAGE)
    assert file.requires_python == ">=3.8,<4"


@pytest.mark.parametrize(
    ("attribute", "yanked", "reason"),
    [
        ("", False, None),
        (' data-yanked=""', True, None),
        (" data-yanked", True, None),
        (' data-yanked="broken &amp; insecure"', True, "broken & insecure"),
    ],
)
def test_html_yanked(attribute: str, yanked: bool, reason: str | None) -> None:
    (file,) = parse_html_page(f'<a href="demo-1.0.tar.gz"{attribute}>x</a>'.encode(), PAGE)
    assert (file.yanked, file.yanked_reason) == (yanked, reason)


@pytest.mark.parametrize(
    ("attributes", "advertised", "hashes"),
    [
        ("", False, {}),
        (' data-core-metadata="true"', True, {}),
        (' data-core-metadata="sha256=feed"', True, {"sha256": "feed"}),
        (' data-dist-info-metadata="sha256=beef"', True, {"sha256": "beef"}),
        # The PEP 714 name wins over the older one.
        (' data-core-metadata="true" data-dist-info-metadata="sha256=beef"', True, {}),
        (' data-core-metadata="blake2b=00"', True, {}),
        (' data-core-metadata="garbage"', True, {}),
    ],
)
def test_html_metadata_flags(attributes: str, advertised: bool, hashes: dict[str, str]) -> None:
    (file,) = parse_html_page(f'<a href="demo-1.0.tar.gz"{attributes}>x</a>'.encode(), PAGE)
    assert file.metadata_advertised is advertised
    assert dict(file.metadata_hashes) == hashes


def test_html_urls_are_quoted_once_and_credentials_kept_but_not_in_origin() -> None:
    page_url = "https://user:secret@index.test/simple/demo/"
    page = b'<a href="demo 1.0.tar.gz">a</a><a href="demo%201.1.tar.gz">b</a>'
    first, second = parse_html_page(page, page_url)
    assert first.url == "https://user:secret@index.test/simple/demo/demo%201.0.tar.gz"
    assert second.url == "https://user:secret@index.test/simple/demo/demo%201.1.tar.gz"
    assert first.filename == "demo 1.0.tar.gz"
    assert "secret" not in first.origin


def test_html_encoding_from_the_content_type() -> None:
    page = '<a href="d\u00e9mo-1.0.tar.gz">x</a>'.encode("latin-1")
    response = HttpResponse(PAGE, 200, {"Content-Type": "text/html; charset=ISO-8859-1"}, page)
    (file,) = parse_page(response) or ()
    assert file.filename == "d\u00e9mo-1.0.tar.gz"


# --- JSON ---------------------------------------------------------------------------


def _json(*files: Mapping[str, object]) -> bytes:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "files": files}).encode()


def test_json_fields() -> None:
    content = _json(
        {
            "filename": "demo-1.0.tar.gz",
            "url": "../../files/demo-1.0.tar.gz",
            "hashes": {"sha256": "aa", "blake2b": "bb"},
            "requires-python": ">=3.9",
            "size": 123,
            "upload-time": "2024-01-01T00:00:00.000000Z",
            "core-metadata": {"sha256": "cc"},
        },
        {"filename": "no-url.tar.gz"},
        {"url": "demo-2.0.tar.gz#md5=dd", "hashes": {"md5": "ee"}, "requires-python": ""},
    )
    first, second = parse_json_page(content, PAGE)
    assert first.url == "https://index.test/files/demo-1.0.tar.gz"
    assert dict(first.hashes) == {"sha256": "aa"}
    assert (first.requires_python, first.size) == (">=3.9", 123)
    assert first.upload_time == "2024-01-01T00:00:00.000000Z"
    assert first.metadata_advertised is True
    assert dict(first.metadata_hashes) == {"sha256": "cc"}
    # The URL fragment's hash wins over the listed one, as in pip.
    assert dict(second.hashes) == {"md5": "dd"}
    assert second.requires_python is None
    assert second.metadata_advertised is False


@pytest.mark.parametrize(
    ("value", "yanked", "reason"),
    [(False, False, None), (True, True, None), ("", False, None), ("bad build", True, "bad build")],
)
def test_json_yanked(value: object, yanked: bool, reason: str | None) -> None:
    (file,) = parse_json_page(_json({"url": "demo-1.0.tar.gz", "yanked": value}), PAGE)
    assert (file.yanked, file.yanked_reason) == (yanked, reason)


@pytest.mark.parametrize(
    ("fields", "advertised", "hashes"),
    [
        ({"core-metadata": True}, True, {}),
        ({"core-metadata": False, "dist-info-metadata": True}, False, {}),
        ({"dist-info-metadata": {"sha256": "ab"}}, True, {"sha256": "ab"}),
        ({"core-metadata": {"blake2b": "ab"}}, True, {}),
    ],
)
def test_json_metadata(fields: dict[str, object], advertised: bool, hashes: dict[str, str]) -> None:
    (file,) = parse_json_page(_json({"url": "demo-1.0.tar.gz", **fields}), PAGE)
    assert (file.metadata_advertised, dict(file.metadata_hashes)) == (advertised, hashes)


def test_invalid_json_is_an_unreachable_index_with_a_redacted_url() -> None:
    with pytest.raises(IndexUnreachable) as raised:
        parse_json_page(b"{not json", "https://u:secret@index.test/simple/demo/")
    assert "secret" not in str(raised.value)
    assert "u:****@index.test" in str(raised.value)


def test_parser_chosen_by_content_type() -> None:
    json_page = HttpResponse(PAGE, 200, {"content-type": JSON_TYPE}, _json({"url": "a.tar.gz"}))
    html_page = HttpResponse(PAGE, 200, {"content-type": "text/html"}, b'<a href="b.tar.gz">b</a>')
    other = HttpResponse(PAGE, 200, {"content-type": "application/zip"}, b"PK")
    assert [f.filename for f in parse_page(json_page) or ()] == ["a.tar.gz"]
    assert [f.filename for f in parse_page(html_page) or ()] == ["b.tar.gz"]
    assert parse_page(other) is None


# --- collecting ---------------------------------------------------------------------


class Index:
    """A fake network routing URLs to answers, counting requests per URL."""

    def __init__(self, routes: Routes) -> None:
        self.routes = dict(routes)
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        answer = self.routes.get(str(request.url), httpx.Response(404))
        return answer(request) if callable(answer) else answer

    def count(self, url: str) -> int:
        return sum(1 for r in self.requests if str(r.url) == url)


def html(*names: str) -> httpx.Response:
    body = "".join(f'<a href="{name}">{name}</a>' for name in names)
    return httpx.Response(200, text=body, headers={"Content-Type": "text/html"})


def json_page(*names: str) -> httpx.Response:
    return httpx.Response(
        200, content=_json(*({"url": n} for n in names)), headers={"Content-Type": JSON_TYPE}
    )


def sources(
    index: Index,
    tmp_path: Path,
    *,
    index_url: str | None = "https://index.test/simple/",
    extra: tuple[str, ...] = (),
    find_links: tuple[str, ...] = (),
    trusted_hosts: tuple[str, ...] = (),
    retries: int = 0,
) -> PackageSources:
    settings = IndexSettings(
        index_url=index_url,
        extra_index_urls=extra,
        find_links=find_links,
        no_index=index_url is None,
        trusted_hosts=trusted_hosts,
    )
    http = HttpSettings(cache_dir=tmp_path / "cache", retries=retries, use_netrc=False)
    client = HttpClient(http, transport=httpx.MockTransport(index), sleep=lambda _: None)
    return PackageSources(settings, client)


def names(files: object) -> list[str]:
    return [f.filename for f in files]  # type: ignore[attr-defined]


def test_indexes_merge_in_order_with_content_negotiation(tmp_path: Path) -> None:
    index = Index(
        {
            "https://index.test/simple/foo-bar/": json_page("foo_bar-2.0.tar.gz"),
            "https://extra.test/simple/foo-bar/": html("foo_bar-1.0.tar.gz"),
        }
    )
    found = sources(
        index, tmp_path, extra=("https://missing.test/simple", "https://extra.test/simple")
    ).project_files("Foo_Bar")
    assert found.project == "foo-bar"
    assert names(found.files) == ["foo_bar-2.0.tar.gz", "foo_bar-1.0.tar.gz"]
    assert found.pages == (
        "https://index.test/simple/foo-bar/",
        "https://extra.test/simple/foo-bar/",
    )
    assert found.missing == ("https://missing.test/simple/foo-bar/",)
    assert {r.headers["accept"] for r in index.requests} == {SIMPLE_ACCEPT}


def test_duplicate_links_on_a_page_are_dropped_but_kept_across_pages(tmp_path: Path) -> None:
    same = "https://files.index.test/demo-1.0.tar.gz"
    index = Index(
        {
            "https://index.test/simple/demo/": html(same, same),
            "https://extra.test/simple/demo/": html(same),
        }
    )
    found = sources(index, tmp_path, extra=("https://extra.test/simple/",)).project_files("demo")
    assert [f.url for f in found.files] == [same, same]


def test_one_fetch_per_project_across_threads(tmp_path: Path) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        return html("demo-1.0.tar.gz")

    index = Index({"https://index.test/simple/demo/": slow})
    source = sources(index, tmp_path)
    spellings = ["demo", "Demo", "DEMO", "dEmO"] * 4
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(source.project_files, spellings))
    assert len(index.requests) == 1
    assert all(result is results[0] for result in results)


def test_prefetch_then_lookups_need_no_requests(tmp_path: Path) -> None:
    index = Index(
        {
            "https://index.test/simple/a/": html("a-1.0.tar.gz"),
            "https://index.test/simple/b/": html("b-1.0.tar.gz"),
        }
    )
    source = sources(index, tmp_path)
    source.prefetch(["a", "B", "c", "a"])
    assert len(index.requests) == 3
    assert names(source.project_files("b").files) == ["b-1.0.tar.gz"]
    assert source.project_files("c").missing == ("https://index.test/simple/c/",)
    assert len(index.requests) == 3


def test_unreachable_index_propagates_and_is_remembered(tmp_path: Path) -> None:
    index = Index({"https://index.test/simple/demo/": httpx.Response(500)})
    source = sources(index, tmp_path, retries=1)
    with pytest.raises(IndexUnreachable, match="after 2 attempts"):
        source.project_files("demo")
    with pytest.raises(IndexUnreachable):
        source.project_files("demo")
    assert len(index.requests) == 2


def test_insecure_pages_are_skipped_unless_trusted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = Index({"http://plain.test/simple/demo/": html("demo-1.0.tar.gz")})
    with caplog.at_level(logging.WARNING):
        skipped = sources(index, tmp_path, index_url="http://plain.test/simple/")
        assert skipped.project_files("demo").files == ()
    assert "not a trusted or secure host" in caplog.text
    assert "--trusted-host plain.test" in caplog.text
    assert index.requests == []
    trusted = sources(
        index, tmp_path, index_url="http://plain.test/simple/", trusted_hosts=("plain.test",)
    )
    assert names(trusted.project_files("demo").files) == ["demo-1.0.tar.gz"]


def _touch(directory: Path, *names: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes(b"")


def test_find_links_files_come_first_reverse_sorted_then_pages(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    _touch(wheels, "demo-1.0.tar.gz", "demo-2.0-py3-none-any.whl", "demo-1.5.zip")
    (wheels / "links.html").write_text('<a href="https://files.index.test/demo-0.9.tar.gz">o</a>')
    more = tmp_path / "more"
    _touch(more, "demo-3.0.tar.gz")
    index = Index(
        {
            "https://index.test/simple/demo/": html("demo-4.0.tar.gz"),
            "https://links.test/page.html": html("https://files.index.test/demo-0.1.tar.gz"),
        }
    )
    found = sources(
        index,
        tmp_path,
        find_links=(str(wheels), "https://links.test/page.html", more.as_uri()),
    ).project_files("demo")
    assert names(found.files) == [
        # every file link, sorted by whole URL in reverse across locations (".../wheels/"
        # sorts after ".../more/"), as pip sorts them
        "demo-2.0-py3-none-any.whl",
        "demo-1.5.zip",
        "demo-1.0.tar.gz",
        "demo-3.0.tar.gz",
        # then find-links pages in order, then the index page
        "demo-0.9.tar.gz",
        "demo-0.1.tar.gz",
        "demo-4.0.tar.gz",
    ]
    local = [f for f in found.files if f.from_local_dir]
    assert len(local) == 4
    assert local[-1].url == (more / "demo-3.0.tar.gz").as_uri()
    assert local[-1].origin == str(more.resolve())
    assert found.pages[0] == str(wheels.resolve())


def test_find_links_are_read_once_for_all_projects(tmp_path: Path) -> None:
    index = Index({"https://links.test/": html("a-1.0.tar.gz", "b-1.0.tar.gz")})
    source = sources(index, tmp_path, index_url=None, find_links=("https://links.test/",))
    assert names(source.project_files("a").files) == ["a-1.0.tar.gz", "b-1.0.tar.gz"]
    source.project_files("b")
    assert len(index.requests) == 1


def test_archive_find_links_url_is_a_file_link(tmp_path: Path) -> None:
    index = Index({})
    url = "https://files.index.test/demo-1.0-py3-none-any.whl"
    found = sources(index, tmp_path, index_url=None, find_links=(url,)).project_files("demo")
    assert [f.url for f in found.files] == [url]
    assert index.requests == []


def test_egg_fragment_links_sort_last(tmp_path: Path) -> None:
    wheels = tmp_path / "w"
    _touch(wheels, "demo-1.0.tar.gz")
    egg = "https://vcs.test/zzz.tar.gz#egg=demo"
    found = sources(
        Index({}), tmp_path, index_url=None, find_links=(str(wheels), egg)
    ).project_files("demo")
    assert [f.url for f in found.files] == [(wheels / "demo-1.0.tar.gz").as_uri(), egg]


def test_missing_find_links_location_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        found = sources(
            Index({}), tmp_path, index_url=None, find_links=(str(tmp_path / "nope"),)
        ).project_files("demo")
    assert found.files == ()
    assert "is ignored" in caplog.text


def _file_index(root: Path) -> Path:
    simple = root / "simple"
    (simple / "demo").mkdir(parents=True)
    (simple / "demo" / "index.html").write_text(
        '<a href="../../files/demo-1.0.tar.gz#sha256=00" data-requires-python="&gt;=3">d</a>'
    )
    (simple / "nopage").mkdir()
    return simple


def test_file_index_reads_index_html(tmp_path: Path) -> None:
    simple = _file_index(tmp_path / "repo")
    source = sources(Index({}), tmp_path, index_url=simple.as_uri())
    found = source.project_files("Demo")
    (file,) = found.files
    assert file.url == (tmp_path / "repo" / "files" / "demo-1.0.tar.gz").as_uri() + "#sha256=00"
    assert file.requires_python == ">=3"
    assert found.pages == ((simple / "demo" / "index.html").as_uri(),)
    assert source.project_files("absent").missing == ((simple / "absent").as_uri() + "/",)
    assert source.project_files("nopage").missing == ((simple / "nopage" / "index.html").as_uri(),)


def test_plain_path_index(tmp_path: Path) -> None:
    simple = _file_index(tmp_path / "repo")
    found = sources(Index({}), tmp_path, index_url=str(simple)).project_files("demo")
    assert names(found.files) == ["demo-1.0.tar.gz"]


def test_describe_lists_locations_redacted(tmp_path: Path) -> None:
    source = sources(
        Index({}),
        tmp_path,
        index_url="https://u:secret@index.test/simple/",
        find_links=("/wheels",),
    )
    assert source.describe() == ("https://u:****@index.test/simple/", "/wheels")


def test_against_a_real_index_server(index: IndexServer, tmp_path: Path) -> None:
    index.add_project(
        "Demo",
        [
            IndexFile("demo-1.0.tar.gz", requires_python=">=3.8"),
            IndexFile("demo-2.0-py3-none-any.whl", yanked="broken"),
        ],
    )
    settings = IndexSettings(index_url=index.url)
    http = HttpSettings(cache_dir=tmp_path / "cache", use_netrc=False)
    with HttpClient(http) as client:
        found = PackageSources(settings, client).project_files("DEMO")
    assert names(found.files) == ["demo-1.0.tar.gz", "demo-2.0-py3-none-any.whl"]
    assert found.files[0].requires_python == ">=3.8"
    assert (found.files[1].yanked, found.files[1].yanked_reason) == (True, "broken")
    assert found.files[1].url.startswith(index.files_url)
    assert index.requests("/simple/demo/")[0].headers["accept"] == SIMPLE_ACCEPT
