"""Record project pages and core metadata from the live index for the hermetic test index.

Run by hand (see ``tests/data/README.md``); never imported by the test suite. It writes:

* ``<out>/index/<canonical-name>.json.gz``: the PEP 691 JSON project page, gzip'd
  deterministically (mtime 0, no file name, sorted keys), with every file URL moved to
  the neutral host ``https://files.index.test`` (path kept);
* ``<out>/index/<canonical-name>.404``: a marker for a project the index does not have;
* ``<out>/metadata/<wheel-filename>.metadata``: the PEP 658 core metadata of a wheel,
  taken from ``<file-url>.metadata`` or, where the index does not serve it, read out of
  the wheel with HTTP range requests (end of file, central directory, then the member).

With ``--trim-to-pins FILE...`` the projects of those requirements files are recorded
too, and a project that every line of them pins exactly (``==1.2.3``, no wildcard) gets
a *trimmed* page: only the files (and ``versions``) of the pinned release(s), marked with
the private PEP 691 key ``meta["_trimmed-to-pins"]`` (the pins it was trimmed to). What
pip picks for an exact pin depends on that release's files only, so a trimmed page gives
the same ``--no-deps`` answer for those pins; it is useless for anything else (ranges,
resolution). A project asked for in full (names, ``--cases``, ``--requirements``), or
with any unpinned line, is recorded in full; and an existing full recording is never
replaced by a trimmed one (it is re-recorded in full), so the order of runs does not
matter.

The live index URL comes from the installed pip at run time and is never written to
disk; the host names of the live index and its file host are looked for in everything
written, and the run fails if one is found. Run it with ``PIP_CONFIG_FILE=/dev/null``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import struct
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

FILES_HOST = "https://files.index.test"
INDEX_HOST = "https://index.test"
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
DEFAULT_OUT = Path(__file__).resolve().parent / "data"
RETRIES = 4
TAIL_BYTES = 65536
TRIM_KEY = "_trimmed-to-pins"
DEFAULT_JOBS = 8

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CDIR = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_CDIR_STRUCT = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL_STRUCT = struct.Struct("<4sHHHHHIIIHH")
_EOCD_STRUCT = struct.Struct("<4sHHHHIIH")
_EOCD64_STRUCT = struct.Struct("<4sQHHIIQQQQ")


class RecordError(Exception):
    """A recording step failed in a way a person must look at."""


# --------------------------------------------------------------------------- hosts


def live_index_url() -> str:
    """Return the live simple index URL as the installed pip knows it (never stored)."""
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url).rstrip("/") + "/"


def host_tokens(url: str) -> set[str]:
    """Return the strings that betray ``url``'s host: the host and its second-level label."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return set()
    tokens = {host}
    labels = host.split(".")
    if len(labels) >= 2 and not host.replace(".", "").isdigit():
        tokens.add(labels[-2])
    return tokens


@dataclass
class Forbidden:
    """Host tokens that must never reach a recorded file (grows as live URLs are seen)."""

    tokens: set[str] = field(default_factory=set)

    def learn(self, url: str) -> None:
        """Add the tokens of ``url``'s host."""
        self.tokens |= host_tokens(url)

    def found_in(self, text: str) -> list[str]:
        """Return the tokens that occur in ``text`` (case-insensitive)."""
        low = text.lower()
        return sorted(t for t in self.tokens if t in low)

    def scrub(self, text: str, replacement: str = "index") -> str:
        """Replace every token in free text (a yank reason) with ``replacement``."""
        for token in sorted(self.tokens, key=len, reverse=True):
            text = re.sub(re.escape(token), replacement, text, flags=re.IGNORECASE)
        return text


# --------------------------------------------------------------------------- HTTP


def make_client() -> httpx.Client:
    """Return an HTTP client with connection retries and generous timeouts."""
    transport = httpx.HTTPTransport(retries=2)
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(60.0, connect=20.0),
        follow_redirects=True,
        headers={"User-Agent": "wheelshim-test-recorder"},
    )


def request(
    client: httpx.Client, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """GET ``url``, retrying transport errors and 5xx/429 answers with backoff."""
    last: Exception | None = None
    for attempt in range(RETRIES):
        try:
            response = client.get(url, headers=headers or {})
        except httpx.TransportError as exc:
            last = exc
        else:
            if response.status_code < 500 and response.status_code != 429:
                return response
            last = RecordError(f"HTTP {response.status_code}")
        time.sleep(1.5 * 2**attempt)
    raise RecordError(f"giving up on a request after {RETRIES} tries: {last}")


# --------------------------------------------------------------------------- names


def names_from_cases(path: Path) -> list[str]:
    """Return the project names of the ``req`` fields of a JSONL cases file."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        req = json.loads(line).get("req")
        if isinstance(req, str):
            names.extend(_requirement_name(req))
    return names


def names_from_requirements(path: Path) -> list[str]:
    """Return the project names of a plain requirements file (comments, options skipped)."""
    return [requirement.name for requirement in requirements_from_file(path)]


def requirements_from_file(path: Path) -> list[Requirement]:
    """Return the parsable requirements of a plain requirements file (comments, options
    and unparsable lines skipped, the latter with a warning)."""
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line and not line.startswith("-"):
            try:
                found.append(Requirement(line))
            except InvalidRequirement:
                print(f"skip unparsable requirement: {line!r}", file=sys.stderr)
    return found


def _requirement_name(text: str) -> list[str]:
    """Return ``[name]`` for a parsable requirement, else warn and return ``[]``."""
    try:
        return [Requirement(text).name]
    except InvalidRequirement:
        print(f"skip unparsable requirement: {text!r}", file=sys.stderr)
        return []


def chosen_wheels(path: Path) -> list[str]:
    """Return the wheel filenames that the cases of a JSONL file say pip chose."""
    wheels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        chosen = json.loads(line).get("chosen_file") if line.strip() else None
        if isinstance(chosen, str) and chosen.endswith(".whl"):
            wheels.append(chosen)
    return wheels


def unique_canonical(names: Iterable[str]) -> list[NormalizedName]:
    """Return the canonical forms of ``names``, de-duplicated and sorted."""
    return sorted({canonicalize_name(n) for n in names})


# --------------------------------------------------------------------------- pages


def neutral_url(url: str) -> str:
    """Move a live file URL to the neutral files host, keeping its path."""
    return FILES_HOST + urlsplit(url).path


def neutral_page(page: dict[str, Any], forbidden: Forbidden) -> dict[str, Any]:
    """Return the project page with file URLs on the neutral host and yank texts scrubbed."""
    files = []
    for entry in page.get("files", []):
        forbidden.learn(entry["url"])
        item = dict(entry)
        item["url"] = neutral_url(entry["url"])
        if isinstance(item.get("yanked"), str):
            item["yanked"] = forbidden.scrub(item["yanked"])
        files.append(item)
    return {**page, "files": files}


def gzip_json(data: Any) -> bytes:
    """Serialise ``data`` as sorted, compact JSON and gzip it deterministically."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(raw.encode("utf-8"))
    return buffer.getvalue()


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write ``content`` atomically unless the file already holds it; return whether written."""
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
    return True


# --------------------------------------------------------------------------- trimming


def is_exact_pin(specifier: SpecifierSet) -> bool:
    """Whether ``specifier`` holds an exact ``==`` pin (not ``==1.*``, not ``===``)."""
    return any(s.operator == "==" and not s.version.endswith(".*") for s in specifier)


def pin_plan(paths: Iterable[Path]) -> tuple[dict[str, list[SpecifierSet]], set[str]]:
    """Split the projects of requirements files into trimmable and full ones.

    Returns ``(trim, full)``: ``trim`` maps each project that every line pins exactly to
    the specifiers of its lines; ``full`` holds the projects with some other line.
    """
    specifiers: dict[str, list[SpecifierSet]] = {}
    for path in paths:
        for requirement in requirements_from_file(path):
            name = str(canonicalize_name(requirement.name))
            specifiers.setdefault(name, []).append(requirement.specifier)
    full = {n for n, specs in specifiers.items() if not all(is_exact_pin(s) for s in specs)}
    return {n: s for n, s in specifiers.items() if n not in full}, full


def file_version(filename: str, project: NormalizedName) -> Version | None:
    """The version a file name states, or ``None`` when it cannot be read (such a file
    is kept by :func:`trimmed_page`: it might match)."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        stem = re.sub(
            r"\.(tar\.gz|tar\.bz2|tar\.xz|tgz|tbz2?|txz|tar|zip|egg|exe|msi)$", "", filename
        )
        stem = re.sub(r"-py\d+(\.\d+)?$", "", stem)  # an egg's -py2.7 suffix
        for index, char in enumerate(stem):
            if char == "-" and canonicalize_name(stem[:index]) == project:
                return Version(stem[index + 1 :])
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return None


def _pinned(version: Version | None, specifiers: Sequence[SpecifierSet]) -> bool:
    """Whether a file of ``version`` is kept (unknown versions are kept)."""
    return version is None or any(s.contains(version, prereleases=True) for s in specifiers)


def trimmed_page(page: Mapping[str, Any], specifiers: Sequence[SpecifierSet]) -> dict[str, Any]:
    """Return ``page`` with only the files and versions that match one of ``specifiers``.

    ``meta["_trimmed-to-pins"]`` lists the specifiers (sorted), so a trimmed recording
    says what it is; PEP 691 reserves keys with a leading underscore for such private use.
    """
    name = canonicalize_name(str(page["name"]))
    files = [
        f for f in page.get("files", []) if _pinned(file_version(f["filename"], name), specifiers)
    ]
    versions = []
    for text in page.get("versions", []):
        try:
            version: Version | None = Version(text)
        except InvalidVersion:
            version = None
        if _pinned(version, specifiers):
            versions.append(text)
    meta = {**page.get("meta", {}), TRIM_KEY: sorted({str(s) for s in specifiers})}
    return {**page, "files": files, "versions": versions, "meta": meta}


def is_trimmed(page: Mapping[str, Any]) -> bool:
    """Whether a recorded page was trimmed to pins."""
    return TRIM_KEY in (page.get("meta") or {})


def recorded_page(path: Path) -> dict[str, Any] | None:
    """The recording at ``path`` (a ``.json.gz``), or ``None`` when there is none."""
    if not path.is_file():
        return None
    page: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return page


@dataclass
class Recorder:
    """Fetches live pages and writes their neutral recordings under ``out``."""

    client: httpx.Client
    index_url: str
    out: Path
    forbidden: Forbidden
    live_pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Projects whose live page stays in memory after recording (metadata is wanted).
    keep_pages: set[str] = field(default_factory=set)
    #: Projects to trim, with the specifiers of their pins (see :func:`trimmed_page`).
    trim: Mapping[str, Sequence[SpecifierSet]] = field(default_factory=dict)

    @property
    def index_dir(self) -> Path:
        """Directory of project recordings."""
        return self.out / "index"

    @property
    def metadata_dir(self) -> Path:
        """Directory of core-metadata recordings."""
        return self.out / "metadata"

    def live_page(self, name: NormalizedName) -> dict[str, Any] | None:
        """Return the live PEP 691 page of ``name`` (cached), or ``None`` on 404."""
        if name not in self.live_pages:
            response = request(self.client, f"{self.index_url}{name}/", {"Accept": JSON_ACCEPT})
            if response.status_code == 404:
                return None
            response.raise_for_status()
            self.live_pages[name] = response.json()
        return self.live_pages[name]

    def record_project(self, project: str) -> str:
        """Record one project page (or its 404 marker); return a one-line summary.

        A project in :attr:`trim` is trimmed to its pins, unless a full recording of it
        exists already: that one is refreshed in full instead.
        """
        name = canonicalize_name(project)
        page = self.live_page(name)
        if name not in self.keep_pages:
            self.live_pages.pop(name, None)
        json_path = self.index_dir / f"{name}.json.gz"
        marker = self.index_dir / f"{name}.404"
        if page is None:
            json_path.unlink(missing_ok=True)
            write_if_changed(marker, b"not on the index when recorded\n")
            return f"{name}: 404"
        marker.unlink(missing_ok=True)
        neutral = neutral_page(page, self.forbidden)
        how = ""
        specifiers = self.trim.get(name)
        if specifiers is not None:
            existing = recorded_page(json_path)
            if existing is not None and not is_trimmed(existing):
                how = " (kept in full: a full recording exists)"
            else:
                neutral = trimmed_page(neutral, specifiers)
                how = f" (trimmed to {', '.join(neutral['meta'][TRIM_KEY])})"
        content = gzip_json(neutral)
        write_if_changed(json_path, content)
        return f"{name}: {len(neutral.get('files', []))} files, {len(content)} bytes{how}"

    def record_metadata(self, filename: str) -> str:
        """Record the core metadata of one wheel; return a one-line summary."""
        try:
            name = parse_wheel_filename(filename)[0]
        except InvalidWheelFilename as exc:
            raise RecordError(f"not a wheel filename: {filename}") from exc
        entry = self._file_entry(name, filename)
        url = entry["url"]
        self.forbidden.learn(url)
        response = request(self.client, url + ".metadata")
        how = "pep658"
        if response.status_code == 200:
            raw = response.content
        else:
            raw = read_metadata_by_ranges(self.client, url, filename)
            how = "ranges"
        content = sanitize_metadata(raw, self.forbidden)
        write_if_changed(self.metadata_dir / f"{filename}.metadata", content)
        return f"{filename}: {len(content)} bytes via {how}"

    def _file_entry(self, name: NormalizedName, filename: str) -> dict[str, Any]:
        """Return the live page entry of ``filename`` in project ``name``."""
        page = self.live_page(name)
        for entry in (page or {}).get("files", []):
            if entry["filename"] == filename:
                return dict(entry)
        raise RecordError(f"{filename} is not listed on the page of {name}")


# --------------------------------------------------------------------------- metadata


def sanitize_metadata(raw: bytes, forbidden: Forbidden) -> bytes:
    """Keep the metadata headers only, dropping any header line that names a live host.

    The long description (message body and ``Description`` header) is dropped: it is
    large, irrelevant to resolution, and full of links to the live index.
    """
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    head = text.split("\n\n", 1)[0]
    kept: list[str] = []
    skipping = False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if not skipping:
                kept.append(line)
            continue
        key = line.split(":", 1)[0].strip().lower()
        skipping = key == "description" or (
            key != "requires-dist" and bool(forbidden.found_in(line))
        )
        if not skipping:
            kept.append(line)
    return ("\n".join(kept).rstrip("\n") + "\n\n").encode("utf-8")


@dataclass(frozen=True)
class RemoteFile:
    """A file read piecewise over HTTP; ``tail`` holds its last bytes."""

    client: httpx.Client
    url: str
    size: int
    tail: bytes

    @property
    def tail_start(self) -> int:
        """Offset of the first byte of ``tail``."""
        return self.size - len(self.tail)

    def read(self, start: int, length: int) -> bytes:
        """Return ``length`` bytes from ``start``, from the tail when it holds them."""
        if start >= self.tail_start:
            offset = start - self.tail_start
            return self.tail[offset : offset + length]
        end = min(start + length, self.size) - 1
        return fetch_range(self.client, self.url, f"bytes={start}-{end}")[0]


def fetch_range(client: httpx.Client, url: str, spec: str) -> tuple[bytes, int]:
    """Fetch a byte range; return ``(bytes, total size)``, slicing a 200 answer if needed."""
    response = request(client, url, {"Range": spec})
    response.raise_for_status()
    if response.status_code == 206:
        total = int(response.headers["Content-Range"].rsplit("/", 1)[1])
        return response.content, total
    whole = response.content
    start, end = _parse_spec(spec, len(whole))
    return whole[start : end + 1], len(whole)


def _parse_spec(spec: str, size: int) -> tuple[int, int]:
    """Return the inclusive byte interval of a single ``bytes=`` range for ``size``."""
    first, last = spec.removeprefix("bytes=").split("-")
    if not first:
        return max(size - int(last), 0), size - 1
    return int(first), min(int(last), size - 1) if last else size - 1


def read_metadata_by_ranges(client: httpx.Client, url: str, filename: str) -> bytes:
    """Read ``*.dist-info/METADATA`` out of a remote wheel with range requests."""
    tail, size = fetch_range(client, url, f"bytes=-{TAIL_BYTES}")
    if len(tail) == size:
        return _metadata_from_whole(tail, filename)
    remote = RemoteFile(client, url, size, tail)
    cd_offset, cd_size = _central_directory(remote)
    central = remote.read(cd_offset, cd_size)
    entry = _pick_metadata_entry(list(_central_entries(central)), filename)
    return _read_member(remote, entry)


def _metadata_from_whole(content: bytes, filename: str) -> bytes:
    """Return the METADATA member of a wheel held whole in memory."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = [
            _CentralEntry(i.filename, i.compress_type, i.compress_size, i.CRC, i.header_offset)
            for i in archive.infolist()
        ]
        return archive.read(_pick_metadata_entry(entries, filename).name)


@dataclass(frozen=True)
class _CentralEntry:
    """What the central directory says about one member."""

    name: str
    method: int
    compressed_size: int
    crc: int
    offset: int


def _central_directory(remote: RemoteFile) -> tuple[int, int]:
    """Return ``(offset, size)`` of the central directory, following ZIP64 when present."""
    at = remote.tail.rfind(_EOCD)
    if at < 0:
        raise RecordError(f"no end of central directory in the last {len(remote.tail)} bytes")
    fields = _EOCD_STRUCT.unpack_from(remote.tail, at)
    cd_size, cd_offset = fields[5], fields[6]
    if cd_offset != 0xFFFFFFFF and cd_size != 0xFFFFFFFF:
        return cd_offset, cd_size
    locator = remote.tail.rfind(_EOCD64_LOCATOR, 0, at)
    if locator < 0:
        raise RecordError("ZIP64 archive without an end of central directory locator")
    (eocd64_offset,) = struct.unpack_from("<Q", remote.tail, locator + 8)
    record = remote.read(eocd64_offset, _EOCD64_STRUCT.size)
    fields64 = _EOCD64_STRUCT.unpack(record)
    if fields64[0] != _EOCD64:
        raise RecordError("bad ZIP64 end of central directory record")
    return fields64[9], fields64[8]


def _central_entries(central: bytes) -> Iterator[_CentralEntry]:
    """Yield the members listed in a central directory."""
    pos = 0
    while central[pos : pos + 4] == _CDIR:
        fields = _CDIR_STRUCT.unpack_from(central, pos)
        name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
        name_start = pos + _CDIR_STRUCT.size
        name = central[name_start : name_start + name_len].decode("utf-8", errors="replace")
        extra = central[name_start + name_len : name_start + name_len + extra_len]
        csize, usize, offset = _zip64_fields(extra, fields[8], fields[9], fields[16])
        del usize
        yield _CentralEntry(name, fields[4], csize, fields[7], offset)
        pos = name_start + name_len + extra_len + comment_len


def _zip64_fields(extra: bytes, csize: int, usize: int, offset: int) -> tuple[int, int, int]:
    """Replace saturated sizes/offset with the values of a ZIP64 extra field."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 0x0001:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, pos + 4))
            usize = next(values) if usize == 0xFFFFFFFF else usize
            csize = next(values) if csize == 0xFFFFFFFF else csize
            offset = next(values) if offset == 0xFFFFFFFF else offset
            break
        pos += 4 + length
    return csize, usize, offset


def _pick_metadata_entry(entries: list[_CentralEntry], filename: str) -> _CentralEntry:
    """Return the top-level ``.dist-info/METADATA`` member, preferring the wheel's own."""
    candidates = [e for e in entries if re.fullmatch(r"[^/]+\.dist-info/METADATA", e.name)]
    name = parse_wheel_filename(filename)[0]
    for entry in candidates:
        dist = entry.name.split(".dist-info/", 1)[0].rpartition("-")[0]
        if canonicalize_name(dist) == name:
            return entry
    if len(candidates) == 1:
        return candidates[0]
    raise RecordError(f"cannot tell which METADATA belongs to {filename}: {candidates}")


def _read_member(remote: RemoteFile, entry: _CentralEntry) -> bytes:
    """Fetch and inflate one member given its central directory entry."""
    header = remote.read(entry.offset, _LOCAL_STRUCT.size)
    fields = _LOCAL_STRUCT.unpack(header)
    if fields[0] != _LOCAL:
        raise RecordError(f"bad local header for {entry.name}")
    data_start = entry.offset + _LOCAL_STRUCT.size + fields[9] + fields[10]
    data = remote.read(data_start, entry.compressed_size)
    if entry.method == zipfile.ZIP_STORED:
        content = data
    elif entry.method == zipfile.ZIP_DEFLATED:
        content = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data)
    else:
        raise RecordError(f"unsupported compression method {entry.method} for {entry.name}")
    if zlib.crc32(content) != entry.crc:
        raise RecordError(f"CRC mismatch for {entry.name}")
    return content


# --------------------------------------------------------------------------- checks


def leaks(out: Path, forbidden: Forbidden) -> list[str]:
    """Return ``path: token`` for every recorded file that contains a live host token."""
    found: list[str] = []
    recorded = [p for d in ("index", "metadata") for p in (out / d).rglob("*") if p.is_file()]
    for path in sorted(recorded):
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8", errors="replace")
        found.extend(f"{path}: {token}" for token in forbidden.found_in(text))
    return found


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("projects", nargs="*", help="project names to record")
    parser.add_argument(
        "--cases",
        type=Path,
        action="append",
        default=[],
        help="JSONL cases file; the project of each `req` is recorded",
    )
    parser.add_argument(
        "--requirements", type=Path, action="append", default=[], help="plain requirements file"
    )
    parser.add_argument(
        "--metadata-for",
        nargs="+",
        default=[],
        metavar="WHEEL",
        help="wheel filenames whose core metadata to record",
    )
    parser.add_argument(
        "--metadata-list",
        type=Path,
        action="append",
        default=[],
        help="file listing wheel filenames, one a line",
    )
    parser.add_argument(
        "--metadata-for-chosen",
        action="store_true",
        help="also record the metadata of every wheel chosen in --cases",
    )
    parser.add_argument(
        "--trim-to-pins",
        type=Path,
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="requirements files whose projects are recorded; those pinned exactly (==) on "
        "every line are trimmed to the pinned release(s) unless recorded in full",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: tests/data)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"parallel requests (default: {DEFAULT_JOBS})",
    )
    parser.add_argument(
        "--index-url", default=None, help="simple index to read (default: the installed pip's)"
    )
    return parser.parse_args(argv)


def wanted_projects(args: argparse.Namespace) -> list[NormalizedName]:
    """Return every project the command line asks for."""
    names = list(args.projects)
    for cases in args.cases:
        names += names_from_cases(cases)
    for requirements in args.requirements:
        names += names_from_requirements(requirements)
    return unique_canonical(names)


def wanted_metadata(args: argparse.Namespace) -> list[str]:
    """Return every wheel filename whose metadata the command line asks for."""
    wheels = list(args.metadata_for)
    for listing in args.metadata_list:
        wheels += [w.strip() for w in listing.read_text().splitlines() if w.strip()]
    if args.metadata_for_chosen:
        for cases in args.cases:
            wheels += chosen_wheels(cases)
    return sorted(set(wheels))


def _run(job: Callable[[str], str], item: str) -> tuple[str, bool]:
    """Run one recording job; return its summary line and whether it succeeded."""
    try:
        return job(item), True
    except (RecordError, httpx.HTTPError) as exc:
        return f"FAILED {item}: {exc}", False


def main(argv: list[str] | None = None) -> int:
    """Record what the command line asks for; return the process exit status."""
    args = parse_args(argv)
    index_url = (args.index_url or live_index_url()).rstrip("/") + "/"
    forbidden = Forbidden()
    forbidden.learn(index_url)
    full = wanted_projects(args)
    trim, loose = pin_plan(args.trim_to_pins)
    trim = {name: specs for name, specs in trim.items() if name not in full}
    projects = unique_canonical([*full, *loose, *trim])
    wheels = wanted_metadata(args)
    failures = 0
    with make_client() as client:
        recorder = Recorder(client, index_url, args.out, forbidden, trim=trim)
        recorder.keep_pages = {
            str(parse_wheel_filename(w)[0]) for w in wheels if w.endswith(".whl")
        }
        jobs: list[tuple[Callable[[str], str], str]] = []
        jobs += [(recorder.record_project, n) for n in projects]
        jobs += [(recorder.record_metadata, w) for w in wheels]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for line, ok in pool.map(lambda job: _run(*job), jobs):
                failures += not ok
                print(line, file=sys.stdout if ok else sys.stderr, flush=True)
    found = leaks(args.out, forbidden)
    for line in found:
        print(f"LEAK {line}", file=sys.stderr)
    return 1 if failures or found else 0


if __name__ == "__main__":
    sys.exit(main())
