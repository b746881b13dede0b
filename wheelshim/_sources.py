"""From index settings to the files offered for a project, collected as pip collects them.

Parsing mirrors pip's ``index/collector.py`` and ``models/link.py`` (PEP 503 HTML and
PEP 691 JSON pages); the merge order mirrors ``PackageFinder.find_all_candidates``:

1. every *file link* — files in local ``--find-links`` directories, local
   ``--find-links`` files, remote ``--find-links`` URLs that name an archive — sorted
   by URL in reverse, duplicates dropped, ``#egg=`` links last;
2. then the links of every *page*: first the ``--find-links`` pages (HTML files in
   ``--find-links`` directories, local HTML files, remote pages) in the order given,
   then the project page of each index URL in order (index URL, then extra ones),
   each page's links in page order with duplicates dropped.

Pages of a host that is neither secure nor trusted are skipped with pip's warning, as
pip does. Unlike pip, which skips any page it cannot fetch, an index that stays
unreachable after the retries raises :class:`~wheelshim._exceptions.IndexUnreachable`.
"""

from __future__ import annotations

import email.message
import itertools
import json
import logging
import mimetypes
import os
import posixpath
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Generic, TypeVar

from packaging.utils import NormalizedName, canonicalize_name

from wheelshim._config import IndexSettings
from wheelshim._exceptions import IndexUnreachable
from wheelshim._http import HttpClient, HttpResponse, is_secure_origin
from wheelshim._models import DistributionFile, FileList, ProjectFiles
from wheelshim._redact import redact_url

__all__ = [
    "SIMPLE_ACCEPT",
    "PackageSources",
    "parse_html_page",
    "parse_json_page",
    "parse_page",
]

logger = logging.getLogger(__name__)

#: The ``Accept`` header pip sends for project pages (JSON preferred, HTML accepted).
SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_API_TYPES = ("text/html", "application/vnd.pypi.simple.v1+html", _JSON_TYPE)
# pip's _SUPPORTED_HASHES, strongest first.
_SUPPORTED_HASHES = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")
_SUPPORTED_HASH_SET = frozenset(_SUPPORTED_HASHES)
_HASH_FRAGMENT = re.compile(r"[#&](" + "|".join(_SUPPORTED_HASHES) + r")=([^&]*)")
_EGG_FRAGMENT = re.compile(r"[#&]egg=([^&]*)")
_RESERVED_IN_PATH = re.compile("(@|%2F)", re.IGNORECASE)
# pip's ARCHIVE_EXTENSIONS (utils/filetypes.py).
_ARCHIVE_EXTENSIONS = (
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
)
_EMPTY: Mapping[str, str] = MappingProxyType({})
_PREFETCH_WORKERS = 8


# --- URLs (pip's models/link.py and utils/urls.py) ----------------------------------


def _ensure_quoted_url(url: str) -> str:
    """Quote what needs quoting in ``url``'s path without double quoting (pip's rule)."""
    parts = urllib.parse.urlparse(url)
    local = not parts.netloc
    pieces = _RESERVED_IN_PATH.split(parts.path)
    cleaned = []
    # re.split alternates text and separator; pair them up as pip's misc.pairwise does.
    iterator = iter([*pieces, ""])
    for text, reserved in zip(iterator, iterator, strict=False):
        if local:
            cleaned.append(urllib.request.pathname2url(urllib.request.url2pathname(text)))
        else:
            cleaned.append(urllib.parse.quote(urllib.parse.unquote(text)))
        cleaned.append(reserved.upper())
    return urllib.parse.urlunparse(parts._replace(path="".join(cleaned)))


def _filename(url: str) -> str:
    if _PLAIN_ABSOLUTE.match(url) and "%" not in url:
        path = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        after_scheme = path.split("://", 1)[1]
        if "/" in after_scheme:  # a path after the host: its last segment is the name
            return path.rsplit("/", 1)[1]
    parts = urllib.parse.urlsplit(url)
    name = posixpath.basename(urllib.parse.unquote(parts.path).rstrip("/"))
    if name:
        return name
    # A URL without a path names its host; never its credentials.
    return parts.netloc.rpartition("@")[2]


def _is_archive(name: str) -> bool:
    lowered = name.lower()
    return any(lowered.endswith(ext) for ext in _ARCHIVE_EXTENSIONS)


def _path_to_url(path: str) -> str:
    absolute = os.path.normpath(os.path.abspath(path))
    return urllib.parse.urljoin("file:", urllib.request.pathname2url(absolute))


def _url_to_path(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    return urllib.request.url2pathname(parts.path)


def _supported_hashes(hashes: Mapping[str, object]) -> dict[str, str]:
    return {
        name: value
        for name, value in hashes.items()
        if name in _SUPPORTED_HASHES and isinstance(value, str)
    }


def _make_file(
    url: str,
    origin: str,
    *,
    hashes: Mapping[str, str] = _EMPTY,
    requires_python: str | None = None,
    yanked_reason: str | None = None,
    yanked: bool = False,
    metadata: dict[str, str] | None = None,
    size: int | None = None,
    upload_time: str | None = None,
    from_local_dir: bool = False,
) -> DistributionFile:
    """A record for ``url``; hashes in the URL fragment win over ``hashes`` (as in pip)."""
    merged = dict(hashes)
    fragment = _HASH_FRAGMENT.search(url)
    if fragment is not None:
        merged[fragment.group(1)] = fragment.group(2)
    return DistributionFile(
        filename=_filename(url),
        url=url,
        origin=origin,
        hashes=MappingProxyType(merged) if merged else _EMPTY,
        requires_python=requires_python or None,
        yanked=yanked,
        yanked_reason=yanked_reason or None,
        metadata_advertised=metadata is not None,
        metadata_hashes=MappingProxyType(metadata) if metadata else _EMPTY,
        size=size,
        upload_time=upload_time,
        from_local_dir=from_local_dir,
    )


# --- parsing ------------------------------------------------------------------------


def parse_json_page(content: bytes, page_url: str) -> FileList:
    """The files of a PEP 691 JSON project page, in pip's order (``Link.from_json``,
    repeated URLs dropped, ``#egg=`` links last), each record built on first access.

    Relative URLs are resolved against ``page_url``. ``yanked`` may be ``true`` or a
    reason; ``core-metadata`` (or the older ``dist-info-metadata``) may be ``true`` or
    a hash mapping. Raises :class:`IndexUnreachable` when the page is not JSON.
    """
    shown = redact_url(page_url)
    try:
        data = json.loads(content)
    except ValueError:
        raise IndexUnreachable(
            f"{shown} answered a JSON page that cannot be parsed: check the index",
            url=shown,
        ) from None
    entries = data.get("files", []) if isinstance(data, dict) else []
    if not isinstance(entries, list):
        entries = []
    fast = _plain_page(entries)
    if fast is not None:
        filenames, kept = fast
    else:
        filenames, kept = _located_entries(entries, page_url)

    def build(index: int) -> DistributionFile:
        entry = kept[index]
        made = _plain_json_file(entry, shown) or _json_file(entry, page_url, shown)
        assert made is not None  # entries without a URL were left out above
        return made

    return FileList(filenames, build)


def _plain_page(entries: list[object]) -> tuple[list[str], list[Mapping[str, object]]] | None:
    """The common page (every entry an absolute, plain, distinct URL ending in its file
    name), checked with comprehensions; None means: locate entry by entry."""
    try:
        filenames = [entry["filename"] for entry in entries]  # type: ignore[index]
        urls = [entry["url"] for entry in entries]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    plain = all(
        type(url) is str
        and type(name) is str
        and url.startswith("https://")
        and url.endswith("/" + name)
        and "%" not in url
        and "#" not in url
        for url, name in zip(urls, filenames, strict=True)
    )
    if not plain or len(set(urls)) != len(urls):
        return None
    return filenames, entries  # type: ignore[return-value]


def _located_entries(
    entries: list[object], page_url: str
) -> tuple[list[str], list[Mapping[str, object]]]:
    """Entries with their names, repeated URLs dropped and ``#egg=`` links last (pip)."""
    plain: list[tuple[str, Mapping[str, object]]] = []
    eggs: list[tuple[str, Mapping[str, object]]] = []
    seen: set[str] = set()
    for entry in entries:
        located = _locate_json_entry(entry, page_url)
        if located is None or located[1] in seen:
            continue
        filename, url = located
        seen.add(url)
        is_egg = "#" in url and _EGG_FRAGMENT.search(url) is not None
        (eggs if is_egg else plain).append((filename, entry))  # type: ignore[arg-type]
    ordered = plain + eggs
    return [name for name, _ in ordered], [entry for _, entry in ordered]


def _locate_json_entry(entry: object, page_url: str) -> tuple[str, str] | None:
    """(file name, absolute URL) of an entry, cheaply; None for an entry without a URL."""
    if not isinstance(entry, dict):
        return None
    href = entry.get("url")
    if not isinstance(href, str) or not href:
        return None
    filename = entry.get("filename")
    if (
        type(filename) is str
        and href.startswith("https://")
        and href.endswith("/" + filename)
        and "%" not in href
        and "#" not in href
    ):
        # The usual entry: the URL needs no resolving or quoting to serve as the key.
        return filename, href
    url = _absolute_url(href, page_url)
    return _filename(url), url


def _plain_json_file(entry: Mapping[str, object], origin: str) -> DistributionFile | None:
    """The common entry (absolute URL ending in its file name, sha256 only, no metadata
    advertised) built without URL parsing; None means: take the general path."""
    href = entry.get("url")
    filename = entry.get("filename")
    hashes = entry.get("hashes")
    if (
        type(href) is not str
        or type(filename) is not str
        or not href.endswith("/" + filename)
        or not href.startswith("https://")
        or not _PLAIN_ABSOLUTE.match(href)
        or "%" in href
        or "core-metadata" in entry
        or "dist-info-metadata" in entry
        or type(hashes) is not dict
        or not hashes.keys() <= _SUPPORTED_HASH_SET
        or not all(type(value) is str for value in hashes.values())
    ):
        return None
    yanked = entry.get("yanked")
    requires_python = entry.get("requires-python")
    size = entry.get("size")
    upload_time = entry.get("upload-time")
    return DistributionFile(
        filename=filename,
        url=href,
        origin=origin,
        hashes=MappingProxyType(hashes) if hashes else _EMPTY,
        requires_python=requires_python
        if type(requires_python) is str and requires_python
        else None,
        yanked=bool(yanked),
        yanked_reason=yanked if type(yanked) is str and yanked else None,
        size=size if type(size) is int else None,
        upload_time=upload_time if type(upload_time) is str else None,
    )


# An absolute URL that needs no quoting: the usual case, parsed without urllib (pages of
# large projects list thousands of files, and urllib dominated the parsing time).
_PLAIN_ABSOLUTE = re.compile(r"^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=-]+$")


def _absolute_url(href: str, page_url: str) -> str:
    if _PLAIN_ABSOLUTE.match(href):
        return href
    return _ensure_quoted_url(urllib.parse.urljoin(page_url, href))


def _json_file(entry: Mapping[str, object], page_url: str, origin: str) -> DistributionFile | None:
    href = entry.get("url")
    if not isinstance(href, str) or not href:
        return None
    # PEP 714: "core-metadata" is the name; "dist-info-metadata" is the older one.
    metadata_info = entry.get("core-metadata")
    if metadata_info is None:
        metadata_info = entry.get("dist-info-metadata")
    metadata: dict[str, str] | None = None
    if isinstance(metadata_info, dict):
        metadata = _supported_hashes(metadata_info)
    elif metadata_info:
        metadata = {}
    yanked = entry.get("yanked")
    hashes = entry.get("hashes")
    requires_python = entry.get("requires-python")
    size = entry.get("size")
    upload_time = entry.get("upload-time")
    return _make_file(
        _absolute_url(href, page_url),
        origin,
        hashes=_supported_hashes(hashes) if isinstance(hashes, dict) else _EMPTY,
        requires_python=requires_python if isinstance(requires_python, str) else None,
        yanked=bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) else None,
        metadata=metadata,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        upload_time=upload_time if isinstance(upload_time, str) else None,
    )


class _AnchorParser(HTMLParser):
    """Collects the first ``<base href>`` and the attributes of every ``<a>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url: str | None = None
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base_url is None:
            href = next((value for name, value in attrs if name == "href"), None)
            if href is not None:
                self.base_url = href
        elif tag == "a":
            self.anchors.append(dict(attrs))


def parse_html_page(
    content: bytes, page_url: str, *, encoding: str | None = None
) -> tuple[DistributionFile, ...]:
    """The files of a PEP 503 HTML page, in page order (pip's ``Link.from_element``).

    Links resolve against the first ``<base href>`` (itself resolved against
    ``page_url``) or ``page_url``. Attribute values are HTML-unescaped. A
    ``data-yanked`` attribute marks the file yanked, its value being the reason;
    ``data-core-metadata`` (or ``data-dist-info-metadata``) is ``"true"`` or
    ``"<hash name>=<hex>"``. ``encoding`` defaults to UTF-8.
    """
    parser = _AnchorParser()
    parser.feed(content.decode(encoding or "utf-8", errors="replace"))
    parser.close()
    base_url = urllib.parse.urljoin(page_url, parser.base_url) if parser.base_url else page_url
    shown = redact_url(page_url)
    files = (_html_file(anchor, base_url, shown) for anchor in parser.anchors)
    return tuple(file for file in files if file is not None)


def _html_file(
    anchor: Mapping[str, str | None], base_url: str, origin: str
) -> DistributionFile | None:
    href = anchor.get("href")
    if not href:
        return None
    metadata_info = anchor.get("data-core-metadata")
    if metadata_info is None:
        metadata_info = anchor.get("data-dist-info-metadata")
    metadata: dict[str, str] | None = None
    if metadata_info is not None:
        name, sep, value = metadata_info.partition("=")
        # "true", or a malformed value, advertises the file without a hash (as pip).
        metadata = _supported_hashes({name: value}) if sep else {}
    return _make_file(
        _ensure_quoted_url(urllib.parse.urljoin(base_url, href)),
        origin,
        requires_python=anchor.get("data-requires-python"),
        # PEP 592: the attribute's presence marks the file yanked, even with no value.
        yanked="data-yanked" in anchor,
        yanked_reason=anchor.get("data-yanked"),
        metadata=metadata,
    )


def _charset(content_type: str) -> str | None:
    message = email.message.Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset if isinstance(charset, str) and charset else None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def parse_page(response: HttpResponse) -> Sequence[DistributionFile] | None:
    """The files of a simple-API page, parsed by its ``Content-Type``.

    Returns ``None`` when the content type is neither JSON nor HTML (pip skips such
    pages with a warning).
    """
    content_type = _header(response.headers, "content-type")
    lowered = content_type.lower()
    if lowered.startswith(_JSON_TYPE):
        return parse_json_page(response.content, response.url)
    if lowered.startswith(_API_TYPES):
        return parse_html_page(response.content, response.url, encoding=_charset(content_type))
    return None


# --- locations ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Collected:
    """What one location contributed: file links, page links, and what was read."""

    file_links: tuple[DistributionFile, ...] = ()
    page_files: Sequence[DistributionFile] = ()
    pages: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @staticmethod
    def join(parts: Iterable[_Collected]) -> _Collected:
        parts = list(parts)
        return _Collected(
            file_links=tuple(itertools.chain.from_iterable(p.file_links for p in parts)),
            page_files=FileList.concat(p.page_files for p in parts),
            pages=tuple(itertools.chain.from_iterable(p.pages for p in parts)),
            missing=tuple(itertools.chain.from_iterable(p.missing for p in parts)),
        )


def _project_page_url(index_url: str, project: NormalizedName) -> str:
    """pip's ``mkurl_pypi_url``: ``<index>/<quoted name>/``."""
    location = posixpath.join(index_url, urllib.parse.quote(project))
    return location if location.endswith("/") else location + "/"


def _is_html_file(url: str) -> bool:
    return mimetypes.guess_type(url, strict=False)[0] == "text/html"


def _dedupe_pages(files: Iterable[DistributionFile]) -> tuple[DistributionFile, ...]:
    """Drop repeated URLs and put ``#egg=`` links last (pip's ``_sort_links``)."""
    seen: set[str] = set()
    plain: list[DistributionFile] = []
    eggs: list[DistributionFile] = []
    for file in files:
        if file.url in seen:
            continue
        seen.add(file.url)
        is_egg = "#" in file.url and _EGG_FRAGMENT.search(file.url) is not None
        (eggs if is_egg else plain).append(file)
    return (*plain, *eggs)


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Memo(Generic[_K, _V]):
    """Compute each key once, even when many threads ask at the same time.

    Failures are remembered too: within one run an index that stayed unreachable after
    its retries is not tried again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[_K, Future[_V]] = {}

    def get(self, key: _K, compute: Callable[[], _V]) -> _V:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._futures[key] = future
        if owner:
            try:
                future.set_result(compute())
            except BaseException as error:
                future.set_exception(error)
        return future.result()


class PackageSources:
    """The files each project offers across the configured indexes and find-links.

    Thread-safe; each project (and each find-links location) is collected once per
    instance, however many threads ask for it.
    """

    def __init__(self, settings: IndexSettings, client: HttpClient) -> None:
        self._settings = settings
        self._client = client
        self._projects: _Memo[NormalizedName, ProjectFiles] = _Memo()
        self._locations: _Memo[str, _Collected] = _Memo()
        self._warned: set[str] = set()
        self._warned_lock = threading.Lock()
        self._find_links = tuple(_expand_home(link) for link in settings.find_links)

    def project_files(self, project: str) -> ProjectFiles:
        """Every file offered for ``project`` (any spelling), in pip's order.

        A ``404``/``410`` project page, or a missing ``file:`` project directory, is
        listed in ``missing``. Raises :class:`IndexUnreachable` (or its subclass
        ``OfflineCacheMiss``) when an index or find-links page cannot be read.
        """
        name = canonicalize_name(project)
        return self._projects.get(name, lambda: self._collect(name))

    def prefetch(self, projects: Iterable[str]) -> None:
        """Collect ``projects`` concurrently (8 threads) so later calls are instant.

        Failures are not raised here; :meth:`project_files` raises them.
        """
        names = list(dict.fromkeys(canonicalize_name(p) for p in projects))
        if not names:
            return
        with ThreadPoolExecutor(max_workers=_PREFETCH_WORKERS) as pool:
            for future in [pool.submit(self.project_files, name) for name in names]:
                if future.exception() is not None:
                    logger.debug("prefetch failed: %s", future.exception())

    def describe(self) -> tuple[str, ...]:
        """The locations searched, redacted: index URLs in order, then find-links."""
        return tuple(redact_url(location) for location in self._settings.index_urls()) + tuple(
            redact_url(location) for location in self._find_links
        )

    # -- collection --

    def _collect(self, project: NormalizedName) -> ProjectFiles:
        find_links = _Collected.join(
            self._find_links_location(location) for location in dict.fromkeys(self._find_links)
        )
        page_urls = dict.fromkeys(
            _project_page_url(url, project) for url in self._settings.index_urls()
        )
        indexes = _Collected.join(self._index_source(url) for url in page_urls)
        file_links = sorted(
            (*find_links.file_links, *indexes.file_links), key=lambda f: f.url, reverse=True
        )
        return ProjectFiles(
            project=project,
            files=FileList.concat(
                [_dedupe_pages(file_links), find_links.page_files, indexes.page_files]
            ),
            pages=(*find_links.pages, *indexes.pages),
            missing=(*find_links.missing, *indexes.missing),
        )

    def _find_links_location(self, location: str) -> _Collected:
        # A find-links location lists the same files for every project: read it once.
        return self._locations.get(location, lambda: self._find_links_source(location))

    def _index_source(self, location: str) -> _Collected:
        """A project page of an index: a URL, a ``file:`` URL or a local path."""
        path = _local_path(location)
        if path is None:
            if not _is_remote(location):
                self._warn_ignored(location, "it is either a non-existing path or lacks a scheme")
                return _Collected(missing=(redact_url(location),))
            return self._remote_page(location)
        if os.path.isdir(path):
            # pip reads index.html from a directory given as an index.
            return self._page(_directory_page_url(_path_to_url(path)))
        if os.path.isfile(path):
            return self._local_file(path, origin=redact_url(location))
        return _Collected(missing=(redact_url(location),))

    def _find_links_source(self, location: str) -> _Collected:
        """A ``--find-links`` location: a directory, a file, or a remote page or file."""
        path = _local_path(location)
        if path is None:
            if not _is_remote(location):
                self._warn_ignored(location, "it is either a non-existing path or lacks a scheme")
                return _Collected()
            if _is_archive(_filename(location)):
                # An archive URL is a file link; pip's HEAD probe for an HTML page there
                # is skipped.
                return _Collected(file_links=(_make_file(location, redact_url(location)),))
            return self._remote_page(location)
        if os.path.isdir(path):
            return self._flat_directory(path)
        if os.path.isfile(path):
            return self._local_file(path, origin=path, from_local_dir=True)
        self._warn_ignored(location, "it is neither a file nor a directory")
        return _Collected()

    def _flat_directory(self, path: str) -> _Collected:
        """Files of a ``--find-links`` directory; its HTML files are read as pages."""
        directory = os.path.realpath(path)
        try:
            entries = sorted(Path(directory).iterdir())
        except OSError as error:
            self._warn_ignored(path, f"it cannot be listed ({error.strerror})")
            return _Collected()
        files: list[DistributionFile] = []
        pages: list[_Collected] = []
        for entry in entries:
            url = _path_to_url(str(entry))
            if _is_html_file(url):
                pages.append(self._page(url))
            elif entry.is_file():
                files.append(_make_file(url, directory, from_local_dir=True))
        listed = _Collected(file_links=tuple(files), pages=(directory,))
        return _Collected.join([listed, *pages])

    def _local_file(self, path: str, *, origin: str, from_local_dir: bool = False) -> _Collected:
        url = _path_to_url(path)
        if _is_html_file(url):
            return self._page(url)
        return _Collected(file_links=(_make_file(url, origin, from_local_dir=from_local_dir),))

    def _remote_page(self, url: str) -> _Collected:
        if not is_secure_origin(url, self._settings.trusted_hosts):
            host = urllib.parse.urlsplit(url).hostname or ""
            self._warn_once(
                url,
                f"The repository located at {host} is not a trusted or secure host and is "
                "being ignored. If this repository is available via HTTPS we recommend you "
                "use HTTPS instead, otherwise you may silence this warning and allow it "
                f"anyway with '--trusted-host {host}'.",
            )
            return _Collected()
        return self._page(url)

    def _page(self, url: str) -> _Collected:
        """Fetch and parse one page; ``404``/``410`` make it missing."""
        shown = redact_url(url)
        response = self._client.get(url.split("#", 1)[0], accept=SIMPLE_ACCEPT)
        if response.status in (404, 410):
            return _Collected(missing=(shown,))
        files = parse_page(response)
        if files is None:
            self._warn_once(
                url,
                f"Skipping page {shown} because it has Content-Type "
                f"{_header(response.headers, 'content-type') or 'Unknown'}; the only "
                "supported Content-Types are application/vnd.pypi.simple.v1+json, "
                "application/vnd.pypi.simple.v1+html, and text/html",
            )
            return _Collected()
        if not isinstance(files, FileList):  # JSON pages come de-duplicated already
            files = FileList.of(_dedupe_pages(files))
        return _Collected(page_files=files, pages=(shown,))

    def _warn_ignored(self, location: str, why: str) -> None:
        self._warn_once(location, f"Location '{redact_url(location)}' is ignored: {why}.")

    def _warn_once(self, key: str, message: str) -> None:
        with self._warned_lock:
            if key in self._warned:
                return
            self._warned.add(key)
        logger.warning("%s", message)


def _expand_home(link: str) -> str:
    """pip's ``SearchScope.create``: ``~`` paths are expanded when they exist."""
    if link.startswith("~"):
        expanded = os.path.realpath(os.path.expanduser(link))
        if os.path.exists(expanded):
            return expanded
    return link


def _local_path(location: str) -> str | None:
    """The local path ``location`` names (a path that exists, or a ``file:`` URL)."""
    if os.path.exists(location):
        return location
    if location.lower().startswith("file:"):
        return _url_to_path(location)
    return None


def _is_remote(location: str) -> bool:
    scheme = location.split(":", 1)[0].lower() if ":" in location else ""
    return scheme in ("http", "https")


def _directory_page_url(url: str) -> str:
    return urllib.parse.urljoin(url if url.endswith("/") else url + "/", "index.html")
