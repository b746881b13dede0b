"""A real PEP 503/691 simple index on 127.0.0.1, serving recorded pages for hermetic tests.

:class:`IndexServer` runs ``http.server.ThreadingHTTPServer`` on an ephemeral port in a
background thread. It serves:

* ``/simple/`` and ``/simple/<name>/`` from ``tests/data/index`` (``<name>.json.gz``
  recordings, ``<name>.404`` markers) and from projects added in memory, as PEP 691
  JSON or PEP 503 HTML by content negotiation; a non-canonical name or a missing
  trailing slash answers 301 to the canonical URL;
* ``/files/<path>`` from bytes that a test registered with :meth:`IndexServer.add_file`
  (by path or by bare filename), with single byte ranges, and ``<file>.metadata`` from
  registered content or ``tests/data/metadata``.

Recorded file URLs live on the neutral host ``https://files.index.test``; pages rewrite
them to this server's ``/files``. Switches live in :class:`ServerConfig`; faults
(:meth:`~IndexServer.fail`, :meth:`~IndexServer.delay`, :meth:`~IndexServer.garbage`),
the request log and in-memory state are cleared by :meth:`~IndexServer.reset`.
"""

from __future__ import annotations

import base64
import fnmatch
import gzip
import hashlib
import html
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

__all__ = [
    "HTML_TYPE",
    "JSON_TYPE",
    "IndexFile",
    "IndexServer",
    "RequestRecord",
    "Response",
    "ServerConfig",
    "make_sdist",
    "make_wheel",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
NEUTRAL_FILES = "https://files.index.test"
API_VERSION = "1.1"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
_LATEST = {
    "application/vnd.pypi.simple.latest+json": JSON_TYPE,
    "application/vnd.pypi.simple.latest+html": HTML_TYPE,
}
#: Offers in server preference order (JSON first, as the index does).
_OFFERS = (JSON_TYPE, *_LATEST, HTML_TYPE, TEXT_HTML)
GARBAGE = b"\xff\xfe\x00\x9c<html garbage \x80\x81{not: json"
_SHA256 = "sha256"


@dataclass
class ServerConfig:
    """Behaviour switches; the defaults match the mirror reachable from this workplace.

    ``advertise_metadata`` adds PEP 658/714 ``core-metadata`` (JSON) and
    ``data-core-metadata`` (HTML) for files whose ``.metadata`` exists. ``validators``
    sends ``ETag`` and ``Cache-Control: max-age=<max_age>`` and answers a matching
    ``If-None-Match`` with 304. ``gzip`` compresses pages for clients that accept it.
    ``html_only`` answers every page as PEP 503 HTML, like an index without PEP 691.
    """

    advertise_metadata: bool = False
    validators: bool = False
    gzip: bool = False
    max_age: int = 600
    html_only: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """One answered request: ``headers`` are the request's, with lower-case names."""

    method: str
    path: str
    status: int
    bytes_sent: int
    headers: Mapping[str, str]


@dataclass(frozen=True)
class IndexFile:
    """A file of a project added in memory.

    With ``content`` the file is also served (and its sha256 and size advertised);
    ``metadata`` registers its ``.metadata``. ``yanked`` is ``True`` or a reason.
    ``hashes`` overrides the advertised hashes (to simulate a mismatch).
    """

    filename: str
    content: bytes | None = None
    requires_python: str | None = None
    yanked: bool | str = False
    upload_time: str | None = None
    metadata: bytes | None = None
    hashes: Mapping[str, str] | None = None

    def entry(self) -> dict[str, Any]:
        """Return the PEP 691 file entry (URL on the neutral host)."""
        hashes = dict(self.hashes) if self.hashes is not None else {}
        if self.hashes is None and self.content is not None:
            hashes = {_SHA256: _sha256(self.content)}
        entry: dict[str, Any] = {
            "filename": self.filename,
            "url": f"{NEUTRAL_FILES}/{self.filename}",
            "hashes": hashes,
            "requires-python": self.requires_python,
            "yanked": self.yanked,
            "size": len(self.content) if self.content is not None else 0,
        }
        if self.upload_time is not None:
            entry["upload-time"] = self.upload_time
        return entry


@dataclass
class _Fault:
    """An injected fault on a path pattern; ``remaining`` ``None`` means forever."""

    kind: str
    pattern: str
    remaining: int | None
    status: int = 500
    seconds: float = 0.0


@dataclass
class Response:
    """What the handler writes back."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Unsatisfiable(Exception):
    """A byte range outside the file."""


def _sha256(content: bytes) -> str:
    """Return the hex sha256 of ``content``."""
    return hashlib.sha256(content).hexdigest()


def _normalise_pattern(path_or_url: str) -> str:
    """Return the path part of a URL or path pattern."""
    if "://" in path_or_url:
        path_or_url = urlsplit(path_or_url).path
    return path_or_url if path_or_url.startswith("/") else "/" + path_or_url


# --------------------------------------------------------------------------- negotiation


def negotiate(accept: str | None) -> str:
    """Return the media type to answer for an ``Accept`` header.

    Exact matches beat wildcards; at equal quality JSON is preferred among explicit
    types and ``text/html`` among wildcard matches. With nothing acceptable (or no
    header) the answer is ``text/html``, as the index does.
    """
    best: tuple[float, int, int, str] | None = None
    for rank, offer in enumerate(_OFFERS):
        quality, exact = _quality(accept or "", offer)
        if quality <= 0:
            continue
        preference = -rank if exact else int(offer == TEXT_HTML)
        score = (quality, int(exact), preference, offer)
        best = score if best is None or score[:3] > best[:3] else best
    chosen = best[3] if best else TEXT_HTML
    return _LATEST.get(chosen, chosen)


def _quality(accept: str, offer: str) -> tuple[float, bool]:
    """Return ``(q, exact)`` that ``accept`` gives ``offer`` (0 when not acceptable)."""
    found: tuple[int, float] | None = None
    major = offer.split("/", 1)[0]
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        specificity = {offer: 2, f"{major}/*": 1, "*/*": 0}.get(media.lower())
        if specificity is None or (found and found[0] >= specificity):
            continue
        found = (specificity, _q_param(params))
    if found is None:
        return 0.0, False
    return found[1], found[0] == 2


def _q_param(params: list[str]) -> float:
    """Return the ``q`` of a media range's parameters (1.0 by default)."""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


# --------------------------------------------------------------------------- rendering


def render_project_html(page: Mapping[str, Any]) -> str:
    """Render a PEP 691 project page as PEP 503 HTML (with PEP 592/658/714 attributes)."""
    name = html.escape(page["name"])
    anchors = "\n".join(_anchor(entry) for entry in page["files"])
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>Links for {name}</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for {name}</h1>\n{anchors}\n  </body>\n</html>\n"
    )


def _anchor(entry: Mapping[str, Any]) -> str:
    """Return the ``<a>`` element of one file entry."""
    attrs = [("href", entry["url"] + _hash_fragment(entry.get("hashes") or {}))]
    if entry.get("requires-python"):
        attrs.append(("data-requires-python", entry["requires-python"]))
    yanked = entry.get("yanked")
    if yanked:
        attrs.append(("data-yanked", yanked if isinstance(yanked, str) else ""))
    metadata = entry.get("core-metadata")
    if metadata:
        value = _metadata_attr(metadata)
        attrs += [("data-dist-info-metadata", value), ("data-core-metadata", value)]
    rendered = " ".join(f'{key}="{html.escape(value, quote=True)}"' for key, value in attrs)
    return f"    <a {rendered}>{html.escape(entry['filename'])}</a><br />"


def _hash_fragment(hashes: Mapping[str, str]) -> str:
    """Return ``#sha256=...`` (or the first other hash), or ``""`` without hashes."""
    if _SHA256 in hashes:
        return f"#{_SHA256}={hashes[_SHA256]}"
    for name in sorted(hashes):
        return f"#{name}={hashes[name]}"
    return ""


def _metadata_attr(value: Any) -> str:
    """Return the HTML form of a JSON ``core-metadata`` value."""
    if isinstance(value, Mapping) and value:
        name = _SHA256 if _SHA256 in value else sorted(value)[0]
        return f"{name}={value[name]}"
    return "true"


def render_root_html(names: Iterable[str]) -> str:
    """Render the PEP 503 root page listing ``names``."""
    anchors = "\n".join(
        f'    <a href="/simple/{html.escape(n)}/">{html.escape(n)}</a><br />' for n in names
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        "    <title>Simple index</title>\n  </head>\n  <body>\n"
        f"{anchors}\n  </body>\n</html>\n"
    )


def _versions(filenames: Iterable[str]) -> list[str]:
    """Return the sorted versions named by distribution filenames (PEP 700)."""
    found: set[Version] = set()
    for filename in filenames:
        try:
            if filename.endswith(".whl"):
                found.add(parse_wheel_filename(filename)[1])
            else:
                found.add(parse_sdist_filename(filename)[1])
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
    return [str(v) for v in sorted(found)]


# --------------------------------------------------------------------------- ranges


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive interval of a single ``bytes=`` range, or ``None`` to ignore it.

    Multiple ranges and malformed headers are ignored (the whole file is sent, as RFC 9110
    allows). Raises :class:`_Unsatisfiable` for a range that selects nothing.
    """
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header.removeprefix("bytes=").strip().partition("-")
    if not sep or not (first or last) or not (first + last).isdigit():
        return None
    if not first:
        if int(last) == 0 or size == 0:
            raise _Unsatisfiable
        return max(size - int(last), 0), size - 1
    start, end = int(first), int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise _Unsatisfiable
    return start, min(end, size - 1)


# --------------------------------------------------------------------------- archives

_EPOCH = (1980, 1, 1, 0, 0, 0)


def make_wheel(
    filename: str,
    metadata: str | None = None,
    files: Mapping[str, bytes] | None = None,
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Build a small, deterministic wheel in memory.

    It holds ``files`` first, then ``<dist>.dist-info/METADATA`` (``metadata``, or a
    minimal one naming the wheel's project and version), ``WHEEL`` with the filename's
    tags, and ``RECORD``.
    """
    name, version, _, tags = parse_wheel_filename(filename)
    dist_info = "{}-{}.dist-info".format(*filename.split("-")[:2])
    metadata = metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
    wheel_tags = "".join(f"Tag: {tag}\n" for tag in sorted(str(t) for t in tags))
    members = dict(files or {})
    members[f"{dist_info}/METADATA"] = metadata.encode()
    members[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: wheelshim-tests\nRoot-Is-Purelib: true\n" + wheel_tags
    ).encode()
    members[f"{dist_info}/RECORD"] = _record(members, f"{dist_info}/RECORD").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(zipfile.ZipInfo(member, _EPOCH), content, compress_type=compression)
    return buffer.getvalue()


def _record(members: Mapping[str, bytes], record_name: str) -> str:
    """Return the RECORD text for ``members`` (plus RECORD's own unhashed line)."""
    lines = []
    for member, content in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
        lines.append(f"{member},sha256={digest.decode()},{len(content)}")
    return "\n".join([*lines, f"{record_name},,"]) + "\n"


def make_sdist(
    filename: str, pkg_info: str | None = None, files: Mapping[str, bytes] | None = None
) -> bytes:
    """Build a small, deterministic sdist (``.tar.gz`` or ``.zip``) in memory.

    It holds ``<name>-<version>/PKG-INFO`` (``pkg_info``, or a minimal one) and ``files``
    (paths relative to that top directory).
    """
    name, version = parse_sdist_filename(filename)
    top = filename.removesuffix(".tar.gz").removesuffix(".zip")
    pkg_info = pkg_info or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
    members = {f"{top}/PKG-INFO": pkg_info.encode()}
    members.update({f"{top}/{path}": content for path, content in (files or {}).items()})
    buffer = io.BytesIO()
    if filename.endswith(".zip"):
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, content in members.items():
                archive.writestr(zipfile.ZipInfo(member, _EPOCH), content)
        return buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size, info.mode = len(content), 0o644
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), mtime=0)


# --------------------------------------------------------------------------- server


class IndexServer:
    """A simple index on 127.0.0.1 serving recorded and in-memory projects."""

    def __init__(self, data_dir: Path = DATA_DIR, config: ServerConfig | None = None) -> None:
        """Prepare a server over ``data_dir`` (``index/`` and ``metadata/``); call start()."""
        self.data_dir = data_dir
        self.config = config or ServerConfig()
        self._lock = threading.Lock()
        self._recorded: dict[str, dict[str, Any]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._clear_state()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> IndexServer:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"index": self})
        self._httpd = _HTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._wake.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> IndexServer:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    def reset(self) -> None:
        """Forget faults, the log, in-memory projects, files and yanks; restore the config."""
        self._wake.set()
        with self._lock:
            self._clear_state()
            self.config = ServerConfig()

    def _clear_state(self) -> None:
        """Initialise every per-test attribute (call with the lock held)."""
        self._wake = threading.Event()
        self._faults: list[_Fault] = []
        self._log: list[RequestRecord] = []
        self._projects: dict[str, list[dict[str, Any]]] = {}
        self._files_by_path: dict[str, bytes] = {}
        self._files_by_name: dict[str, bytes] = {}
        self._no_rehash: set[str] = set()
        self._yanks: dict[tuple[str, str], bool | str] = {}

    # ----------------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        """The bound port (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("index server is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The simple index URL, ``<base_url>/simple/``."""
        return f"{self.base_url}/simple/"

    @property
    def files_url(self) -> str:
        """Where files are served, ``<base_url>/files``."""
        return f"{self.base_url}/files"

    def project_url(self, name: str) -> str:
        """The canonical page URL of project ``name``."""
        return f"{self.url}{canonicalize_name(name)}/"

    def file_url(self, filename: str, project: str | None = None) -> str:
        """The served URL of ``filename`` as listed on its project's page."""
        name = project or _project_of(filename)
        page = self.project_page(name)
        for entry in (page or {}).get("files", []):
            if entry["filename"] == filename:
                return str(entry["url"])
        raise KeyError(f"{filename} is not listed for {name}")

    # ----------------------------------------------------------------- content

    def add_file(self, filename_or_path: str, content: bytes, *, rehash: bool = True) -> None:
        """Serve ``content`` at ``/files/<path>``, or at any URL ending in the filename.

        With ``rehash`` the pages advertise the content's sha256 and size for that
        filename instead of the recorded ones.
        """
        key = filename_or_path.removeprefix(NEUTRAL_FILES)
        with self._lock:
            if "/" in key.strip("/"):
                self._files_by_path["/" + key.lstrip("/")] = content
            else:
                self._files_by_name[key.strip("/")] = content
            name = key.rsplit("/", 1)[-1]
            if rehash:
                self._no_rehash.discard(name)
            else:
                self._no_rehash.add(name)

    def add_metadata(self, filename: str, content: bytes) -> None:
        """Serve ``content`` as ``<filename>.metadata`` (and advertise it when enabled)."""
        self.add_file(filename + ".metadata", content)

    def add_project(
        self, name: str, files: Iterable[IndexFile | str] = (), *, replace: bool = True
    ) -> None:
        """Add (or, with ``replace=False``, extend a recorded) project in memory."""
        items = [IndexFile(f) if isinstance(f, str) else f for f in files]
        for item in items:
            if item.content is not None:
                self.add_file(item.filename, item.content, rehash=item.hashes is None)
            if item.metadata is not None:
                self.add_metadata(item.filename, item.metadata)
        canonical = canonicalize_name(name)
        base: list[dict[str, Any]] = []
        if not replace:
            recorded = self._recorded_page(canonical)
            base = list(recorded["files"]) if recorded else []
        with self._lock:
            self._projects[canonical] = base + [item.entry() for item in items]

    def mark_yanked(
        self, project: str, filename: str, reason: str | None = None, *, yanked: bool = True
    ) -> None:
        """Yank (``reason`` or ``True``) or, with ``yanked=False``, un-yank a listed file."""
        with self._lock:
            key = (canonicalize_name(project), filename)
            self._yanks[key] = (reason or True) if yanked else False

    def project_names(self) -> list[str]:
        """Every project listed by ``/simple/``: recorded pages plus in-memory projects."""
        recorded = {p.name.removesuffix(".json.gz") for p in self._index_dir.glob("*.json.gz")}
        with self._lock:
            return sorted(recorded | set(self._projects))

    def project_page(self, name: str) -> dict[str, Any] | None:
        """Return the PEP 691 page of project ``name`` as served, or ``None`` (404)."""
        name = canonicalize_name(name)
        with self._lock:
            files = self._projects.get(name)
        if files is None:
            recorded = self._recorded_page(name)
            if recorded is None:
                return None
            page = dict(recorded)
        else:
            page = {"meta": {"api-version": API_VERSION}, "name": name, "files": files}
            page["versions"] = _versions(f["filename"] for f in files)
        page["files"] = [self._served_entry(name, entry) for entry in page["files"]]
        return page

    def metadata_for(self, filename: str) -> bytes | None:
        """Return the ``.metadata`` content of ``filename`` (registered, then recorded)."""
        with self._lock:
            registered = self._files_by_name.get(filename + ".metadata")
        if registered is not None:
            return registered
        path = self.data_dir / "metadata" / f"{filename}.metadata"
        return path.read_bytes() if path.is_file() else None

    @property
    def _index_dir(self) -> Path:
        """Directory of recorded project pages."""
        return self.data_dir / "index"

    def _recorded_page(self, name: str) -> dict[str, Any] | None:
        """Load (once) the recorded page of canonical ``name``."""
        with self._lock:
            if name in self._recorded:
                return self._recorded[name]
        path = self._index_dir / f"{name}.json.gz"
        if name != canonicalize_name(name) or not path.is_file():
            return None
        page: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
        with self._lock:
            self._recorded[name] = page
        return page

    def _served_entry(self, project: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Apply yanks, registered content, metadata advertising and the served URL."""
        served = dict(entry)
        filename = served["filename"]
        url = str(served["url"])
        if url.startswith(NEUTRAL_FILES):
            served["url"] = self.files_url + url.removeprefix(NEUTRAL_FILES)
        with self._lock:
            yank = self._yanks.get((project, filename))
            rehash = filename not in self._no_rehash
        if yank is not None:
            served["yanked"] = yank
        content = self._content_for(urlsplit(served["url"]).path.removeprefix("/files"))
        if content is not None and rehash:
            served["hashes"] = {_SHA256: _sha256(content)}
            served["size"] = len(content)
        metadata = self.metadata_for(filename) if self.config.advertise_metadata else None
        if metadata is not None:
            value = {_SHA256: _sha256(metadata)}
            served["core-metadata"] = served["dist-info-metadata"] = value
        return served

    def _content_for(self, path: str) -> bytes | None:
        """Return registered bytes for a ``/files`` sub-path (by path, then by filename)."""
        with self._lock:
            found = self._files_by_path.get(path)
            if found is None:
                found = self._files_by_name.get(path.rsplit("/", 1)[-1])
        return found

    # ----------------------------------------------------------------- faults and log

    def fail(self, path: str, times: int = 1, status: int = 500) -> None:
        """Answer ``status`` to the next ``times`` requests matching ``path`` (a glob)."""
        self._add_fault(_Fault("fail", _normalise_pattern(path), times, status=status))

    def delay(self, path: str, seconds: float, times: int | None = None) -> None:
        """Wait ``seconds`` before answering requests matching ``path`` (``times`` or always)."""
        self._add_fault(_Fault("delay", _normalise_pattern(path), times, seconds=seconds))

    def garbage(self, path: str, times: int | None = None) -> None:
        """Answer 200 with an undecodable body to requests matching ``path``."""
        self._add_fault(_Fault("garbage", _normalise_pattern(path), times))

    def _add_fault(self, fault: _Fault) -> None:
        """Register a fault."""
        with self._lock:
            self._faults.append(fault)

    def _take_faults(self, path: str) -> list[_Fault]:
        """Return (and count down) the faults that apply to this request, one per kind."""
        taken: dict[str, _Fault] = {}
        with self._lock:
            for fault in self._faults:
                live = fault.remaining is None or fault.remaining > 0
                if live and fault.kind not in taken and fnmatch.fnmatchcase(path, fault.pattern):
                    taken[fault.kind] = replace(fault)
                    fault.remaining = None if fault.remaining is None else fault.remaining - 1
        return list(taken.values())

    @property
    def log(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def requests(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """Logged requests whose path matches the glob ``path`` and whose method matches."""
        pattern = _normalise_pattern(path) if path else None
        return [
            r
            for r in self.log
            if (pattern is None or fnmatch.fnmatchcase(r.path, pattern))
            and (method is None or r.method == method.upper())
        ]

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """Number of logged requests matching ``path`` and ``method``."""
        return len(self.requests(path, method))

    def bytes_sent(self, path: str | None = None) -> int:
        """Body bytes sent to requests matching ``path``."""
        return sum(r.bytes_sent for r in self.requests(path))

    def _record(self, record: RequestRecord) -> None:
        """Append to the request log."""
        with self._lock:
            self._log.append(record)

    # ----------------------------------------------------------------- answering

    def answer(self, method: str, path: str, headers: Mapping[str, str]) -> Response:
        """Answer one request (``headers`` with lower-case names), injected faults included."""
        path = urlsplit(path).path
        return self._faulty(path, headers) or self._route(method, path, headers)

    def _faulty(self, path: str, headers: Mapping[str, str]) -> Response | None:
        """Wait for a delay fault; return a failure or garbage answer if one applies."""
        wake = self._wake
        response = None
        for fault in self._take_faults(path):
            if fault.kind == "delay":
                wake.wait(fault.seconds)
            elif fault.kind == "fail":
                response = Response(fault.status, b"injected failure\n")
            elif fault.kind == "garbage" and response is None:
                media = negotiate(headers.get("accept")) if path.startswith("/simple") else None
                response = Response(200, GARBAGE, {"Content-Type": media or "application/zip"})
        return response

    def _route(self, method: str, path: str, headers: Mapping[str, str]) -> Response:
        """Dispatch a request path to the page, file or error answer."""
        if method not in ("GET", "HEAD"):
            return Response(405, b"method not allowed\n", {"Allow": "GET, HEAD"})
        if path == "/simple":
            return self._redirect("/simple/")
        if path == "/simple/":
            return self._root(headers)
        if path.startswith("/simple/"):
            return self._project(unquote(path.removeprefix("/simple/")), headers)
        if path.startswith("/files/"):
            return self._file(unquote(path.removeprefix("/files")), headers)
        return Response(404, b"not found\n")

    def _redirect(self, path: str) -> Response:
        """A 301 to ``path`` on this server."""
        return Response(301, b"", {"Location": self.base_url + path})

    def _root(self, headers: Mapping[str, str]) -> Response:
        """The project list."""
        names = self.project_names()
        media = negotiate(headers.get("accept"))
        if media == JSON_TYPE:
            data = {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]}
            return self._page(json.dumps(data).encode(), media, headers)
        return self._page(render_root_html(names).encode(), media, headers)

    def _project(self, rest: str, headers: Mapping[str, str]) -> Response:
        """A project page, a redirect to its canonical URL, or 404."""
        name = rest.rstrip("/")
        canonical = canonicalize_name(name)
        page = self.project_page(canonical)
        if page is None or "/" in name:
            return Response(404, b"not found\n")
        if name != canonical or not rest.endswith("/"):
            return self._redirect(f"/simple/{canonical}/")
        media = TEXT_HTML if self.config.html_only else negotiate(headers.get("accept"))
        if media == JSON_TYPE:
            return self._page(json.dumps(page).encode(), media, headers)
        return self._page(render_project_html(page).encode(), media, headers)

    def _page(self, body: bytes, media: str, headers: Mapping[str, str]) -> Response:
        """A 200 page answer, gzip'd and validated as configured."""
        extra = {"Content-Type": media, "Vary": "Accept, Accept-Encoding"}
        if self.config.gzip and "gzip" in headers.get("accept-encoding", ""):
            body = gzip.compress(body, mtime=0)
            extra["Content-Encoding"] = "gzip"
        return self._validated(Response(200, body, extra), headers)

    def _validated(self, response: Response, headers: Mapping[str, str]) -> Response:
        """Add ETag/Cache-Control and turn a matching If-None-Match into 304."""
        if not self.config.validators:
            return response
        etag = f'"{_sha256(response.body)[:32]}"'
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = f"max-age={self.config.max_age}"
        candidates = {
            t.strip().removeprefix("W/") for t in headers.get("if-none-match", "").split(",")
        }
        if etag in candidates or "*" in candidates:
            keep = ("ETag", "Cache-Control", "Vary")
            return Response(304, b"", {k: v for k, v in response.headers.items() if k in keep})
        return response

    def _file(self, path: str, headers: Mapping[str, str]) -> Response:
        """A file (whole or a byte range), its ``.metadata``, or 404."""
        content = self._content_for(path)
        if content is None and path.endswith(".metadata"):
            content = self.metadata_for(path.rsplit("/", 1)[-1].removesuffix(".metadata"))
        if content is None:
            return Response(404, b"not found\n")
        base = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        try:
            interval = parse_range(headers.get("range"), len(content))
        except _Unsatisfiable:
            base["Content-Range"] = f"bytes */{len(content)}"
            return Response(416, b"", base)
        if interval is None:
            return self._validated(Response(200, content, base), headers)
        start, end = interval
        base["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
        return Response(206, content[start : end + 1], base)


def _project_of(filename: str) -> str:
    """Return the canonical project name a distribution filename belongs to."""
    if filename.endswith(".whl"):
        return str(parse_wheel_filename(filename)[0])
    return str(parse_sdist_filename(filename)[0])


class _HTTPServer(ThreadingHTTPServer):
    """Threaded server that stays quiet about clients that hang up."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore errors from clients that went away (timeouts, aborted downloads)."""


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into :meth:`IndexServer.answer` calls."""

    index: IndexServer
    protocol_version = "HTTP/1.1"
    # Without it, small responses on a kept-alive connection wait ~40 ms for Nagle.
    disable_nagle_algorithm = True
    server_version = "wheelshim-test-index/1"

    def do_GET(self) -> None:
        """Answer GET."""
        self._serve()

    def do_HEAD(self) -> None:
        """Answer HEAD (headers only)."""
        self._serve()

    def do_POST(self) -> None:
        """Answer POST with 405."""
        self._serve()

    def _serve(self) -> None:
        """Answer, log and write the response."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urlsplit(self.path).path
        response = self.index.answer(self.command, path, headers)
        body = b"" if self.command == "HEAD" else response.body
        record = RequestRecord(self.command, path, response.status, len(body), headers)
        self.index._record(record)
        self._write(response, body)

    def _write(self, response: Response, body: bytes) -> None:
        """Send status, headers and body, ignoring a client that hung up."""
        try:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if body:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean (the request log is in :attr:`IndexServer.log`)."""
