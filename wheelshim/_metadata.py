"""Core metadata of a wheel or sdist, found without building anything.

:class:`MetadataFetcher` answers :meth:`~MetadataFetcher.metadata_for` with a
:class:`CoreMetadata`, trying the cheapest way first. For a **wheel**:

1. ``pep658``: the index advertises ``<url>.metadata`` (PEP 658/714): one GET of that
   small file, checked against the advertised hashes;
2. ``metadata-file``: not advertised, but ``<url>.metadata`` is probed once anyway
   (many mirrors serve it without saying so); 404 moves on;
3. ``range``: HTTP range reads into the wheel's zip: the last 64 KiB (End of Central
   Directory, ZIP64 aware, and usually the whole central directory and ``METADATA``
   too), then only the missing central directory and the ``METADATA`` member;
4. ``download``: the whole wheel (size-capped), read in memory.

For an **sdist** (only when asked for one) the archive is downloaded and read in memory:
``PKG-INFO`` of Metadata-Version 2.2+ whose ``Requires-Dist`` is not ``Dynamic``
(``sdist-pkg-info``), else a static ``[project]`` table in ``pyproject.toml`` whose
``dependencies`` are not ``dynamic`` (``sdist-pyproject``), else ``unknown`` with
``dependencies_known=False``. No build backend is ever run and no downloaded code is
executed; nothing is extracted to disk.

Metadata is parsed as pip and packaging do: :class:`email.parser.BytesHeaderParser`
with the ``compat32`` policy. Problems that make pip (24.1 and later) discard the
candidate (an unparsable ``Requires-Dist``, a name or version that disagrees with the
file name, several ``.dist-info`` directories) are listed in
:attr:`CoreMetadata.invalid`; the rest (fallbacks taken, ignored fields) in
:attr:`CoreMetadata.warnings`. Every message is one line.
"""

from __future__ import annotations

import email.header
import email.parser
import email.policy
import hashlib
import re
import struct
import threading
import tomllib
import urllib.parse
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from wheelshim._archive import ArchiveLimits, ArchiveReader, open_archive
from wheelshim._exceptions import ArchiveError, IndexUnreachable
from wheelshim._http import HttpClient, HttpResponse
from wheelshim._models import DistributionFile
from wheelshim._redact import redact_url

__all__ = [
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_METADATA_BYTES",
    "DEFAULT_TAIL_BYTES",
    "CoreMetadata",
    "MetadataFetcher",
    "MetadataSource",
    "MetadataStats",
    "parse_core_metadata",
]

_KIB = 1024
_MIB = 1024 * _KIB

#: How much of a wheel's end the first range read asks for.
DEFAULT_TAIL_BYTES = 64 * _KIB
#: Largest ``METADATA``/``PKG-INFO``/``pyproject.toml`` accepted, after inflating.
DEFAULT_MAX_METADATA_BYTES = 8 * _MIB
#: Largest wheel or sdist downloaded whole.
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * _MIB
# A central directory larger than this (about half a million members) is not read.
_MAX_CENTRAL_DIRECTORY_BYTES = 64 * _MIB
_MAX_MEMBERS = 500_000

_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
_UNFOLD = re.compile(r"\r?\n[ \t]+")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+)")


class MetadataSource(Enum):
    """Where a :class:`CoreMetadata` came from (cheapest first)."""

    PEP658 = "pep658"
    METADATA_FILE = "metadata-file"
    RANGE = "range"
    DOWNLOAD = "download"
    SDIST_PKG_INFO = "sdist-pkg-info"
    SDIST_PYPROJECT = "sdist-pyproject"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CoreMetadata:
    """What a resolver needs from one distribution's core metadata.

    ``provides_extras`` are normalised names. ``dynamic`` lists the core metadata
    field names the build may still change (Metadata 2.2 ``Dynamic``; for
    ``sdist-pyproject``, the ``[project]`` ``dynamic`` keys mapped to field names).
    ``dependencies_known`` is ``False`` only for ``unknown``: ``requires_dist`` is then
    empty because it could not be found, not because there are no dependencies.
    ``invalid`` lists the problems for which pip would discard this candidate.
    """

    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: str | None
    provides_extras: frozenset[NormalizedName]
    dynamic: tuple[str, ...]
    metadata_version: str | None
    source: MetadataSource
    dependencies_known: bool = True
    invalid: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def canonical_name(self) -> NormalizedName:
        """The normalised project name."""
        return canonicalize_name(self.name)

    def is_dynamic(self, field_name: str) -> bool:
        """Whether the core metadata field ``field_name`` (any case) is dynamic."""
        wanted = field_name.lower()
        return any(item.lower() == wanted for item in self.dynamic)


@dataclass(frozen=True)
class MetadataStats:
    """A snapshot of one fetcher's work, for benchmarks.

    ``by_source`` counts results per source (memo hits excluded). ``requests`` and
    ``bytes_downloaded`` count what went over the network (HTTP cache hits excluded);
    ``fallbacks`` counts abandoned methods (a hash mismatch, a failed range read ...).
    """

    by_source: Mapping[MetadataSource, int] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    requests: int = 0
    bytes_downloaded: int = 0
    cache_hits: int = 0
    memo_hits: int = 0
    fallbacks: int = 0


class _Skip(Exception):
    """One method could not give the metadata; the next one is tried."""


class _WholeBody(Exception):
    """The server ignored ``Range`` and sent the whole file."""

    def __init__(self, content: bytes) -> None:
        super().__init__("the server ignored Range and sent the whole file")
        self.content = content


# --------------------------------------------------------------------------- parsing


def _one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line, shortened to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _header_text(value: object) -> str:
    """A header value as text: UTF-8 where it decodes, else Latin-1 (as packaging does)."""
    if isinstance(value, email.header.Header):
        parts = []
        for chunk, _charset in email.header.decode_header(value):
            raw = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8", "surrogateescape")
            try:
                parts.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                parts.append(raw.decode("latin-1"))
        text = "".join(parts)
    else:
        text = str(value)
    return _UNFOLD.sub(" ", text).strip()


def _read_headers(data: bytes) -> dict[str, list[str]]:
    """The header fields of METADATA/PKG-INFO, by lower-case name, in file order.

    Only the header block is parsed (the long description after it is skipped).
    """
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    message = parser.parsebytes(data)
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key.lower(), []).append(_header_text(value))
    return fields


def _expected_identity(filename: str | None) -> tuple[NormalizedName, Version] | None:
    """The project and version a distribution file name states, if it parses."""
    if not filename:
        return None
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, version
        return parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _single(fields: Mapping[str, list[str]], key: str, warnings: list[str]) -> str | None:
    """The first value of a single-use field, warning when it is repeated."""
    values = fields.get(key.lower(), [])
    if len(values) > 1:
        warnings.append(f"{key} is given {len(values)} times; the first one is used")
    return values[0] if values else None


def _parse_version(text: str | None, expected: Version | None, invalid: list[str]) -> Version:
    """The metadata's version (the file name's, or 0, when missing or invalid)."""
    if text is None:
        invalid.append("no Version field")
    else:
        try:
            return Version(text)
        except InvalidVersion:
            invalid.append(f"Version {text!r} is not a valid version")
    return expected if expected is not None else Version("0")


def _parse_requirements(lines: Iterable[str], invalid: list[str]) -> tuple[Requirement, ...]:
    """Parsed ``Requires-Dist`` values; unparsable ones are skipped and reported."""
    found: list[Requirement] = []
    for line in lines:
        try:
            found.append(Requirement(line))
        except InvalidRequirement as error:
            invalid.append(f"Requires-Dist {line!r} is invalid: {_first_line(error)}")
    return tuple(found)


def _first_line(error: Exception) -> str:
    """The first line of an error message (packaging adds a caret diagram below it)."""
    lines = str(error).strip().splitlines()
    return _one_line(lines[0] if lines else type(error).__name__)


def _parse_requires_python(text: str | None, warnings: list[str]) -> str | None:
    """``Requires-Python`` if it parses; pip warns about and ignores one that does not."""
    if text is None:
        return None
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        warnings.append(f"Requires-Python {text!r} is invalid; pip ignores it")
        return None
    return text


def _check_identity(
    name: str, version: Version, expected: tuple[NormalizedName, Version] | None
) -> list[str]:
    """pip's consistency check: metadata name and version must match the file name's."""
    if expected is None:
        return []
    problems = []
    if canonicalize_name(name) != expected[0]:
        problems.append(f"Name {name!r} does not match the file name's {expected[0]!r}")
    if version != expected[1]:
        problems.append(f"Version {version} does not match the file name's {expected[1]}")
    return problems


def parse_core_metadata(
    data: bytes, source: MetadataSource, filename: str | None = None
) -> CoreMetadata:
    """Parse METADATA or PKG-INFO bytes (pure; no I/O).

    ``filename`` (a wheel or sdist name) supplies the name and version when the fields
    are missing, and is what pip checks them against. Never raises for bad content:
    problems land in ``invalid`` (pip would discard the candidate) or ``warnings``.
    """
    fields = _read_headers(data)
    invalid: list[str] = []
    warnings: list[str] = []
    expected = _expected_identity(filename)
    metadata_version = _single(fields, "Metadata-Version", warnings)
    if metadata_version is None:
        warnings.append("no Metadata-Version field")
    name = _single(fields, "Name", warnings)
    if name is None:
        invalid.append("no Name field")
        name = str(expected[0]) if expected else "UNKNOWN"
    version = _parse_version(
        _single(fields, "Version", warnings), expected[1] if expected else None, invalid
    )
    invalid.extend(_check_identity(name, version, expected))
    requires_python = _parse_requires_python(_single(fields, "Requires-Python", warnings), warnings)
    return CoreMetadata(
        name=name,
        version=version,
        requires_dist=_parse_requirements(fields.get("requires-dist", []), invalid),
        requires_python=requires_python,
        provides_extras=frozenset(canonicalize_name(e) for e in fields.get("provides-extra", [])),
        dynamic=tuple(fields.get("dynamic", [])),
        metadata_version=metadata_version,
        source=source,
        invalid=tuple(invalid),
        warnings=tuple(warnings),
    )


def _looks_like_metadata(data: bytes) -> bool:
    """Whether ``data`` is plausibly core metadata (not an HTML error page, say)."""
    fields = _read_headers(data)
    return "metadata-version" in fields and "name" in fields and "version" in fields


def _metadata_version_tuple(text: str | None) -> tuple[int, ...]:
    """``"2.2"`` as ``(2, 2)``; ``(0,)`` when missing or malformed."""
    try:
        return tuple(int(part) for part in (text or "").strip().split("."))
    except ValueError:
        return (0,)


# --------------------------------------------------------------------------- hashes


def _hash_problem(content: bytes, expected: Mapping[str, str], what: str) -> str | None:
    """A one-line mismatch report, or ``None`` when every checkable hash matches."""
    for algorithm, digest in sorted(expected.items()):
        if algorithm not in hashlib.algorithms_guaranteed:
            continue
        actual = hashlib.new(algorithm, content).hexdigest()
        if actual != digest.lower():
            return f"{what} {algorithm} is {actual}, the index says {digest}"
    return None


# --------------------------------------------------------------------------- zip reading

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_EOCD_FORMAT = struct.Struct("<4s4H2LH")  # 22 bytes
_LOCATOR_FORMAT = struct.Struct("<4sLQL")  # 20 bytes
_ZIP64_FORMAT = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
_CENTRAL_FORMAT = struct.Struct("<4s6H3L5HLL")  # 46 bytes
_LOCAL_FORMAT = struct.Struct("<4s5H3L2H")  # 30 bytes
_U16 = 0xFFFF
_U32 = 0xFFFFFFFF


@dataclass(frozen=True)
class _Directory:
    """Where a zip's central directory is, as absolute offsets in the file."""

    start: int
    size: int
    entries: int
    prefix: int  # bytes before the zip proper (self-extracting stubs); offsets shift by it


@dataclass(frozen=True)
class _ZipEntry:
    """One central directory record, offsets absolute."""

    name: str
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int


def _find_directory(tail: bytes, tail_start: int) -> _Directory:
    """Locate the central directory from the bytes at the end of a zip (ZIP64 aware)."""
    # The record is 22 bytes (plus a comment): its signature ends 18 bytes from the end at most.
    position = tail.rfind(_EOCD, 0, max(len(tail) - _EOCD_FORMAT.size + 4, 0))
    if position < 0:
        raise _Skip("no zip End of Central Directory in the last bytes")
    record = _EOCD_FORMAT.unpack_from(tail, position)
    entries, size, offset = record[4], record[5], record[6]
    end_record = tail_start + position
    locator = position - _LOCATOR_FORMAT.size
    if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
        entries, size, offset, end_record = _zip64_directory(tail, tail_start, locator)
    start = end_record - size
    prefix = start - offset
    if start < 0 or prefix < 0:
        raise _Skip("zip central directory offsets point outside the file")
    if size > _MAX_CENTRAL_DIRECTORY_BYTES or entries > _MAX_MEMBERS:
        # Far more likely a damaged record than a real archive: let the download decide.
        raise _Skip(f"zip central directory claims {size} bytes and {entries} entries")
    return _Directory(start, size, entries, prefix)


def _zip64_directory(tail: bytes, tail_start: int, locator: int) -> tuple[int, int, int, int]:
    """``(entries, size, offset, record position)`` from the ZIP64 end record."""
    # The ZIP64 record sits right before its locator (zipfile looks there too); the
    # locator's own offset is the fallback when an extensible data sector intervenes.
    candidates = [locator - _ZIP64_FORMAT.size]
    declared = _LOCATOR_FORMAT.unpack_from(tail, locator)[2] - tail_start
    candidates.append(declared)
    for where in candidates:
        if 0 <= where <= len(tail) - _ZIP64_FORMAT.size and tail[where : where + 4] == _ZIP64_EOCD:
            record = _ZIP64_FORMAT.unpack_from(tail, where)
            return record[7], record[8], record[9], tail_start + where
    raise _Skip("ZIP64 end of central directory record not found near its locator")


def _zip64_values(extra: bytes, wanted: list[str]) -> dict[str, int]:
    """Values of the ZIP64 extra field (id 1) for the fields that overflowed, in order."""
    values: dict[str, int] = {}
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4 : position + 4 + length]
        if kind == 1:
            for index, name in enumerate(wanted[: len(body) // 8]):
                values[name] = struct.unpack_from("<Q", body, index * 8)[0]
            return values
        position += 4 + length
    return values


def _parse_central_directory(data: bytes, directory: _Directory) -> list[_ZipEntry]:
    """Every record of a central directory (``data`` holds exactly that directory)."""
    entries = []
    position = 0
    for _ in range(directory.entries):
        if data[position : position + 4] != _CENTRAL:
            raise _Skip("zip central directory record has a bad signature")
        record = _CENTRAL_FORMAT.unpack_from(data, position)
        name_length, extra_length, comment_length = record[10], record[11], record[12]
        name_end = position + _CENTRAL_FORMAT.size + name_length
        raw_name = data[position + _CENTRAL_FORMAT.size : name_end]
        extra = data[name_end : name_end + extra_length]
        entries.append(_central_entry(record, raw_name, extra, directory.prefix))
        position = name_end + extra_length + comment_length
    return entries


def _central_entry(
    record: tuple[Any, ...], raw_name: bytes, extra: bytes, prefix: int
) -> _ZipEntry:
    """One :class:`_ZipEntry` from an unpacked central record and its variable fields."""
    flags, method, crc = record[3], record[4], record[7]
    sizes = {"size": record[9], "compressed_size": record[8], "header_offset": record[16]}
    overflowed = [key for key, value in sizes.items() if value == _U32]
    sizes.update(_zip64_values(extra, overflowed))
    # Bit 11 says UTF-8; otherwise the zip spec's code page 437 (as zipfile decodes).
    name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
    return _ZipEntry(
        name=name,
        flags=flags,
        method=method,
        crc=crc,
        compressed_size=sizes["compressed_size"],
        size=sizes["size"],
        header_offset=sizes["header_offset"] + prefix,
    )


def _member_data(region: bytes, entry: _ZipEntry, cap: int) -> bytes:
    """Inflate one member from bytes starting at its local header, checking its CRC."""
    if region[:4] != _LOCAL or len(region) < _LOCAL_FORMAT.size:
        raise _Skip(f"no local header for {entry.name}")
    if entry.flags & 0x1:
        raise _Skip(f"{entry.name} is encrypted")
    if entry.size > cap:
        raise ArchiveError(f"{entry.name} is {entry.size} bytes, over the {cap} byte cap")
    header = _LOCAL_FORMAT.unpack_from(region, 0)
    start = _LOCAL_FORMAT.size + header[9] + header[10]
    payload = region[start : start + entry.compressed_size]
    if len(payload) < entry.compressed_size:
        raise _Skip(f"{entry.name} is cut short")
    data = _decompress(payload, entry, cap)
    if zlib.crc32(data) != entry.crc:
        raise _Skip(f"{entry.name} fails its CRC check")
    return data


def _decompress(payload: bytes, entry: _ZipEntry, cap: int) -> bytes:
    """Stored or deflated member bytes, never more than ``cap`` (zip bomb guard)."""
    if entry.method == 0:
        data = payload
    elif entry.method == 8:
        try:
            data = zlib.decompressobj(-15).decompress(payload, cap + 1)
        except zlib.error as error:
            raise _Skip(f"{entry.name} does not inflate ({_one_line(error)})") from None
    else:
        raise _Skip(f"{entry.name} uses zip compression method {entry.method}")
    if len(data) > cap:
        raise ArchiveError(f"{entry.name} inflates past the {cap} byte cap")
    return data


# --------------------------------------------------------------------------- choosing


def _dist_info_dirs(names: Iterable[str]) -> list[str]:
    """Top-level ``*.dist-info`` directories named by archive members, sorted."""
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    return sorted(top for top in tops if top.lower().endswith(".dist-info"))


def _dist_info_matches(directory: str, expected: tuple[NormalizedName, Version]) -> bool:
    """Whether ``<name>-<version>.dist-info`` names the expected project and version."""
    stem = directory[: -len(".dist-info")]
    name, _, version = stem.rpartition("-")
    try:
        return canonicalize_name(name) == expected[0] and Version(version) == expected[1]
    except InvalidVersion:
        return False


def _choose_metadata_member(names: Iterable[str], filename: str) -> tuple[str, list[str]]:
    """The ``METADATA`` member to read, and the problems pip would reject the wheel for.

    Prefers ``{name}-{version}.dist-info`` (wheel spec); tolerates one other
    ``.dist-info``. Raises :class:`_Skip` when there is no ``METADATA`` at all.
    """
    listed = list(names)
    directories = _dist_info_dirs(listed)
    with_metadata = [d for d in directories if f"{d}/METADATA" in listed]
    if not with_metadata:
        raise _Skip("no .dist-info/METADATA in the wheel")
    problems = []
    if len(directories) > 1:
        problems.append(f"several .dist-info directories ({', '.join(directories)})")
    expected = _expected_identity(filename)
    exact = [d for d in with_metadata if expected and _dist_info_matches(d, expected)]
    chosen = exact[0] if exact else with_metadata[0]
    if expected and not exact and not canonicalize_name(chosen).startswith(expected[0]):
        problems.append(f"{chosen} does not belong to {expected[0]}")
    return f"{chosen}/METADATA", problems


def _sdist_stem(filename: str) -> str:
    """The file name without its archive suffix (the sdist's top directory)."""
    lowered = filename.lower()
    for suffix in _SDIST_SUFFIXES:
        if lowered.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def _sdist_member(names: set[str], stem: str, leaf: str) -> str | None:
    """``<stem>/<leaf>``, or the only ``<top>/<leaf>`` when the top is named otherwise."""
    if f"{stem}/{leaf}" in names:
        return f"{stem}/{leaf}"
    found = sorted(n for n in names if n.count("/") == 1 and n.endswith("/" + leaf))
    return found[0] if len(found) == 1 else None


def _sdist_identity(filename: str) -> tuple[str, Version]:
    """Name and version from an sdist file name (tolerant of suffixes packaging rejects)."""
    expected = _expected_identity(filename)
    if expected is not None:
        return str(expected[0]), expected[1]
    name, _, version = _sdist_stem(filename).rpartition("-")
    try:
        return name or filename, Version(version)
    except InvalidVersion:
        raise ArchiveError(f"{filename}: cannot tell its name and version") from None


# --------------------------------------------------------------------------- pyproject

#: ``[project]`` keys and the core metadata fields they fill (pyproject spec).
_PROJECT_FIELDS = {
    "version": "Version",
    "description": "Summary",
    "readme": "Description",
    "requires-python": "Requires-Python",
    "license": "License",
    "license-files": "License-File",
    "authors": "Author",
    "maintainers": "Maintainer",
    "keywords": "Keywords",
    "classifiers": "Classifier",
    "urls": "Project-URL",
    "dependencies": "Requires-Dist",
    "optional-dependencies": "Provides-Extra",
}


def _string_list(value: object) -> list[str] | None:
    """``value`` if it is a list of strings."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _with_extra(requirement: Requirement, extra: NormalizedName) -> Requirement:
    """``requirement`` guarded by ``extra == "<extra>"``, as a build backend writes it."""
    guard = f'extra == "{extra}"'
    marker = f"({requirement.marker}) and {guard}" if requirement.marker else guard
    plain = Requirement(str(requirement))
    plain.marker = Marker(marker)
    return plain


def _optional_requirements(
    table: object, invalid: list[str]
) -> tuple[list[Requirement], set[NormalizedName]]:
    """Requirements and extras from ``[project.optional-dependencies]``."""
    requirements: list[Requirement] = []
    extras: set[NormalizedName] = set()
    if not isinstance(table, dict):
        if table is not None:
            invalid.append("[project.optional-dependencies] is not a table")
        return requirements, extras
    for extra_name, lines in table.items():
        extra = canonicalize_name(str(extra_name))
        extras.add(extra)
        parsed = _parse_requirements(_string_list(lines) or [], invalid)
        try:
            requirements.extend(_with_extra(r, extra) for r in parsed)
        except InvalidMarker as error:
            invalid.append(f"extra {extra_name!r}: {_first_line(error)}")
    return requirements, extras


def _static_project(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """The ``[project]`` table if its dependencies are static, else ``None`` and why."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return None, f"pyproject.toml does not parse ({_one_line(error)})"
    project = document.get("project")
    if not isinstance(project, dict):
        return None, "pyproject.toml has no [project] table"
    dynamic = _string_list(project.get("dynamic", [])) or []
    if "dependencies" in dynamic:
        return None, "pyproject.toml lists dependencies in dynamic"
    if "dependencies" in project and _string_list(project["dependencies"]) is None:
        return None, "pyproject.toml dependencies is not a list of strings"
    return project, ""


def _pyproject_metadata(
    project: Mapping[str, Any], fallback: CoreMetadata | None, filename: str
) -> CoreMetadata:
    """:class:`CoreMetadata` from a static ``[project]`` table (``sdist-pyproject``)."""
    invalid: list[str] = []
    warnings: list[str] = []
    dynamic = _string_list(project.get("dynamic", [])) or []
    name, version = _sdist_identity(filename)
    if fallback is not None:
        name, version = fallback.name, fallback.version
    if isinstance(project.get("name"), str):
        name = project["name"]
    if "version" not in dynamic and isinstance(project.get("version"), str):
        version = _parse_version(project["version"], version, invalid)
    invalid.extend(_check_identity(name, version, _expected_identity(filename)))
    if "dependencies" not in project:
        warnings.append("pyproject.toml has no dependencies and does not list them in dynamic")
    requires = list(_parse_requirements(project.get("dependencies", []), invalid))
    optional, extras = _optional_requirements(project.get("optional-dependencies"), invalid)
    if "optional-dependencies" in dynamic:
        warnings.append("pyproject.toml lists optional-dependencies in dynamic: extras unknown")
    requires_python = project.get("requires-python")
    if "requires-python" in dynamic or not isinstance(requires_python, str):
        requires_python = None
    return CoreMetadata(
        name=name,
        version=version,
        requires_dist=tuple(requires + optional),
        requires_python=_parse_requires_python(requires_python, warnings),
        provides_extras=frozenset(extras),
        dynamic=tuple(_PROJECT_FIELDS.get(key, key) for key in dynamic),
        metadata_version=fallback.metadata_version if fallback else None,
        source=MetadataSource.SDIST_PYPROJECT,
        invalid=tuple(invalid),
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- fetching


def _without_fragment(url: str) -> str:
    """``url`` without its ``#fragment`` (where file hashes travel)."""
    return urllib.parse.urlsplit(url)._replace(fragment="").geturl()


def _is_sdist(filename: str) -> bool:
    """Whether ``filename`` has a source archive suffix pip accepts."""
    return filename.lower().endswith(_SDIST_SUFFIXES)


class _Trail:
    """The warnings and invalid-metadata problems gathered while fetching one file."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.invalid: list[str] = []
        self.fallbacks = 0

    def fell_back(self, method: str, reason: object) -> None:
        """Record that ``method`` was abandoned because of ``reason``."""
        self.fallbacks += 1
        self.warnings.append(f"{method}: {_one_line(reason)}")

    def applied_to(self, metadata: CoreMetadata) -> CoreMetadata:
        """``metadata`` with this trail's notes before its own."""
        return replace(
            metadata,
            invalid=(*self.invalid, *metadata.invalid),
            warnings=(*self.warnings, *metadata.warnings),
        )


@dataclass
class _Window:
    """Bytes of a remote file of ``total`` bytes, known from ``start`` on."""

    start: int
    data: bytes
    total: int

    @property
    def end(self) -> int:
        return self.start + len(self.data)

    def covers(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def slice(self, start: int, end: int) -> bytes:
        return self.data[start - self.start : end - self.start]


class MetadataFetcher:
    """Finds core metadata for distribution files through one :class:`HttpClient`.

    Thread-safe. Results are memoised per file URL (fragment ignored) for the
    fetcher's lifetime, so concurrent callers for one file share one fetch; an
    :class:`ArchiveError` is memoised too (files do not change), a network failure is
    not. Downloads go through the client's cache, marked immutable.

    ``max_download_bytes`` caps whole-file downloads, ``max_metadata_bytes`` the
    inflated size of METADATA/PKG-INFO/pyproject.toml, ``tail_bytes`` the first range
    read; ``probe_metadata_files=False`` skips probing unadvertised ``.metadata``.
    """

    def __init__(
        self,
        client: HttpClient,
        *,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES,
        tail_bytes: int = DEFAULT_TAIL_BYTES,
        probe_metadata_files: bool = True,
    ) -> None:
        self._client = client
        self.max_download_bytes = max_download_bytes
        self.max_metadata_bytes = max_metadata_bytes
        self.tail_bytes = tail_bytes
        self.probe_metadata_files = probe_metadata_files
        self._lock = threading.Lock()
        self._memo: dict[str, Future[CoreMetadata]] = {}
        self._by_source: Counter[MetadataSource] = Counter()
        self._counts: Counter[str] = Counter()

    # ----------------------------------------------------------------- public

    @property
    def stats(self) -> MetadataStats:
        """A snapshot of the counters (see :class:`MetadataStats`)."""
        with self._lock:
            return MetadataStats(
                by_source=MappingProxyType(dict(self._by_source)),
                requests=self._counts["requests"],
                bytes_downloaded=self._counts["bytes"],
                cache_hits=self._counts["cache_hits"],
                memo_hits=self._counts["memo_hits"],
                fallbacks=self._counts["fallbacks"],
            )

    def metadata_for(self, file: DistributionFile) -> CoreMetadata:
        """The core metadata of ``file`` (a :class:`~wheelshim._models.DistributionFile`).

        Cost for a wheel: one small GET when PEP 658 metadata is advertised; else one
        ``.metadata`` probe, then usually one 64 KiB range read (up to two more for a
        large central directory or an early ``METADATA``); the whole wheel only when
        range reads fail. For an sdist: the whole archive. Raises
        :class:`IndexUnreachable` when the file cannot be fetched and
        :class:`ArchiveError` when it cannot be read safely (corrupt, over a cap,
        not matching its advertised hash, not a wheel or sdist).
        """
        key = _without_fragment(file.url)
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if future is None:
                future = self._memo[key] = Future()
            else:
                self._counts["memo_hits"] += 1
        if not owner:
            return future.result()
        try:
            result = self._fetch(file)
        except ArchiveError as error:
            future.set_exception(error)
            raise
        except BaseException as error:
            with self._lock:
                self._memo.pop(key, None)  # transient: a later call may succeed
            future.set_exception(error)
            raise
        with self._lock:
            self._by_source[result.source] += 1
        future.set_result(result)
        return result

    # ----------------------------------------------------------------- dispatch

    def _fetch(self, file: DistributionFile) -> CoreMetadata:
        filename: str = file.filename
        trail = _Trail()
        try:
            if filename.lower().endswith(".whl"):
                return self._wheel(file, trail)
            if _is_sdist(filename):
                return self._sdist(file, trail)
            raise ArchiveError(f"{filename}: not a wheel or sdist; no metadata to read")
        finally:
            with self._lock:
                self._counts["fallbacks"] += trail.fallbacks

    # ----------------------------------------------------------------- HTTP

    def _account(self, response: HttpResponse) -> HttpResponse:
        with self._lock:
            if response.from_cache:
                self._counts["cache_hits"] += 1
            else:
                self._counts["requests"] += 1
                self._counts["bytes"] += len(response.content)
        return response

    def _get(self, url: str) -> HttpResponse:
        return self._account(self._client.get(url, immutable=True))

    def _range(self, url: str, start: int, end: int | None = None) -> HttpResponse:
        return self._account(self._client.get_range(url, start, end))

    # ----------------------------------------------------------------- wheels

    def _wheel(self, file: DistributionFile, trail: _Trail) -> CoreMetadata:
        url = _without_fragment(file.url)
        if file.metadata_advertised:
            found = self._metadata_file(file, url, trail, MetadataSource.PEP658)
            if found is not None:
                return found
        elif self.probe_metadata_files:
            found = self._metadata_file(file, url, trail, MetadataSource.METADATA_FILE)
            if found is not None:
                return found
        try:
            data, source = self._ranged_metadata(file, url, trail)
        except (_Skip, IndexUnreachable) as skip:
            # A server that refuses ranges (400, 501 ...) may still serve the file; offline,
            # the whole file may be cached where its ranges are not.
            trail.fell_back("range reads", skip)
            data, source = self._downloaded_metadata(file, url, trail), MetadataSource.DOWNLOAD
        return trail.applied_to(parse_core_metadata(data, source, file.filename))

    def _metadata_file(
        self, file: DistributionFile, url: str, trail: _Trail, source: MetadataSource
    ) -> CoreMetadata | None:
        """``<url>.metadata`` parsed, or ``None`` (with the reason noted) to move on."""
        what = "PEP 658 metadata" if source is MetadataSource.PEP658 else ".metadata probe"
        try:
            response = self._get(url + ".metadata")
        except IndexUnreachable as error:
            trail.fell_back(what, error)
            return None
        if response.status != 200:
            if source is MetadataSource.PEP658:
                trail.fell_back(what, f"advertised but answered HTTP {response.status}")
            return None
        content = response.content
        problem = _hash_problem(content, file.metadata_hashes, ".metadata")
        if problem is None and len(content) > self.max_metadata_bytes:
            problem = f"{len(content)} bytes is over the {self.max_metadata_bytes} byte cap"
        if problem is None and not _looks_like_metadata(content):
            problem = "the answer is not core metadata"
        if problem is not None:
            trail.fell_back(what, problem)
            return None
        parsed = parse_core_metadata(content, source, file.filename)
        if source is MetadataSource.METADATA_FILE and parsed.invalid:
            # pip never reads an unadvertised file: trust it only when it agrees.
            trail.fell_back(what, parsed.invalid[0])
            return None
        return trail.applied_to(parsed)

    def _ranged_metadata(
        self, file: DistributionFile, url: str, trail: _Trail
    ) -> tuple[bytes, MetadataSource]:
        """METADATA bytes by range reads (``range``), or from a whole body (``download``)."""
        try:
            data = self._read_by_ranges(file.filename, url, trail)
        except _WholeBody as whole:
            trail.warnings.append("range reads: the server ignored Range and sent the whole file")
            return self._metadata_from_wheel(whole.content, file, trail), MetadataSource.DOWNLOAD
        except (struct.error, IndexError, ValueError) as error:
            raise _Skip(f"malformed zip structure ({_one_line(error)})") from None
        return data, MetadataSource.RANGE

    def _range_part(self, url: str, start: int, end: int | None, total: int | None) -> _Window:
        """Bytes ``start..end`` (inclusive; a negative ``start`` asks for a suffix).

        Raises :class:`_WholeBody` when the server sends the whole file instead, and
        :class:`_Skip` when the answer is not the part asked for of a ``total``-byte file.
        """
        response = self._range(url, start, end)
        if response.status == 200:
            raise _WholeBody(response.content)
        if response.status != 206:
            raise _Skip(f"range read answered HTTP {response.status}")
        match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
        if match is None:
            raise _Skip("range read answered without a usable Content-Range")
        first, last, size = (int(group) for group in match.groups())
        if len(response.content) != last - first + 1:
            raise _Skip("range read body does not match its Content-Range")
        asked_tail = start < 0
        if (first != start) if not asked_tail else (last != size - 1):
            raise _Skip("range read answered another range than asked")
        if total is not None and size != total:
            raise _Skip("the file changed size between range reads")
        return _Window(first, response.content, size)

    def _cover(self, url: str, window: _Window, start: int, end: int) -> _Window:
        """A window holding bytes ``start..end`` (exclusive), reading only what is missing."""
        if window.covers(start, end):
            return window
        if start < window.start <= end <= window.end:
            head = self._range_part(url, start, window.start - 1, window.total)
            return _Window(head.start, head.data + window.data, window.total)
        return self._range_part(url, start, end - 1, window.total)

    def _read_by_ranges(self, filename: str, url: str, trail: _Trail) -> bytes:
        """Read METADATA out of a remote wheel with one to three range reads.

        The first read is the last :attr:`tail_bytes`; the central directory and the
        member are read only for the parts the tail does not hold.
        """
        tail = self._range_part(url, -self.tail_bytes, None, None)
        directory = _find_directory(tail.data, tail.start)
        if directory.start + directory.size > tail.total:
            raise _Skip("zip central directory runs past the end of the file")
        tail = self._cover(url, tail, directory.start, directory.start + directory.size)
        listing = tail.slice(directory.start, directory.start + directory.size)
        entries = _parse_central_directory(listing, directory)
        try:
            member, problems = _choose_metadata_member((e.name for e in entries), filename)
        except _Skip as skip:
            # The directory parsed: downloading the whole wheel would find nothing more.
            raise ArchiveError(f"{filename}: {skip}") from None
        trail.invalid.extend(problems)
        entry = next(e for e in entries if e.name == member)
        # The member (local header, data, descriptor) ends where the next one starts.
        end = min(
            (e.header_offset for e in entries if e.header_offset > entry.header_offset),
            default=directory.start,
        )
        if end - entry.header_offset > self.max_metadata_bytes + 64 * _KIB:
            raise ArchiveError(
                f"{filename}: {member} takes {end - entry.header_offset} bytes, over the cap"
            )
        tail = self._cover(url, tail, entry.header_offset, end)
        return _member_data(tail.slice(entry.header_offset, end), entry, self.max_metadata_bytes)

    def _download(self, file: DistributionFile, url: str) -> bytes:
        """The whole file, size-capped and checked against the index's hashes."""
        size = file.size
        if isinstance(size, int) and size > self.max_download_bytes:
            raise ArchiveError(
                f"{file.filename}: {size} bytes is over the {self.max_download_bytes} byte "
                "download cap"
            )
        response = self._get(url)
        if response.status != 200:
            shown = redact_url(url)
            raise IndexUnreachable(f"{shown} answered HTTP {response.status}", url=shown)
        return self._checked(response.content, file)

    def _checked(self, content: bytes, file: DistributionFile) -> bytes:
        """``content`` if it is within the cap and matches the file's advertised hashes."""
        if len(content) > self.max_download_bytes:
            raise ArchiveError(
                f"{file.filename}: {len(content)} bytes is over the "
                f"{self.max_download_bytes} byte download cap"
            )
        problem = _hash_problem(content, file.hashes, f"{file.filename}:")
        if problem is not None:
            raise ArchiveError(f"{problem}; the file was not read")
        return content

    def _downloaded_metadata(self, file: DistributionFile, url: str, trail: _Trail) -> bytes:
        """METADATA from the whole wheel; an ArchiveError names every method's failure."""
        content = self._download(file, url)
        try:
            return self._metadata_from_wheel(content, file, trail)
        except ArchiveError as error:
            earlier = "; ".join(trail.warnings)
            message = f"{file.filename}: cannot read its metadata: {_one_line(error, 300)}"
            raise ArchiveError(f"{message} (earlier: {earlier})" if earlier else message) from None

    def _limits(self) -> ArchiveLimits:
        cap = self.max_metadata_bytes + 1
        return ArchiveLimits(
            archive_bytes=self.max_download_bytes,
            members=_MAX_MEMBERS,
            member_read=cap,
            total_read=3 * cap,
        )

    def _metadata_from_wheel(self, content: bytes, file: DistributionFile, trail: _Trail) -> bytes:
        """METADATA read from a whole wheel in memory."""
        content = self._checked(content, file)
        with open_archive(content, file.filename, limits=self._limits()) as reader:
            names = [member.name for member in reader.files()]
            try:
                member, problems = _choose_metadata_member(names, file.filename)
            except _Skip as skip:
                raise ArchiveError(f"{file.filename}: {skip}") from None
            trail.invalid.extend(problems)
            return self._read_capped(reader, member)

    def _read_capped(self, reader: ArchiveReader, member: str) -> bytes:
        data = reader.read(member)
        if len(data) > self.max_metadata_bytes:
            raise ArchiveError(
                f"{reader.filename}: {member} is over the {self.max_metadata_bytes} byte cap"
            )
        return data

    # ----------------------------------------------------------------- sdists

    def _sdist(self, file: DistributionFile, trail: _Trail) -> CoreMetadata:
        """Static metadata of an sdist (downloaded whole), or ``unknown``."""
        content = self._download(file, _without_fragment(file.url))
        pkg_info, pyproject = self._sdist_files(content, file.filename)
        found: CoreMetadata | None = None
        reasons = []
        if pkg_info is None:
            reasons.append("no PKG-INFO")
        else:
            found = parse_core_metadata(pkg_info, MetadataSource.SDIST_PKG_INFO, file.filename)
            static = _metadata_version_tuple(found.metadata_version) >= (2, 2)
            if static and not found.is_dynamic("Requires-Dist"):
                return trail.applied_to(found)
            reasons.append(
                "PKG-INFO lists Requires-Dist as dynamic"
                if static
                else f"PKG-INFO is Metadata-Version {found.metadata_version} (before 2.2)"
            )
        if pyproject is None:
            reasons.append("no pyproject.toml")
        else:
            project, why = _static_project(pyproject)
            if project is not None:
                return trail.applied_to(_pyproject_metadata(project, found, file.filename))
            reasons.append(why)
        return self._unknown(file.filename, found, "; ".join(reasons), trail)

    def _sdist_files(self, content: bytes, filename: str) -> tuple[bytes | None, bytes | None]:
        """``(PKG-INFO, pyproject.toml)`` of an sdist's top directory, when present."""
        with open_archive(content, filename, limits=self._limits()) as reader:
            names = {member.name for member in reader.files()}
            stem = _sdist_stem(filename)
            pkg_info = _sdist_member(names, stem, "PKG-INFO")
            top = pkg_info.split("/", 1)[0] if pkg_info else stem
            pyproject = _sdist_member(names, top, "pyproject.toml")
            return (
                self._read_capped(reader, pkg_info) if pkg_info else None,
                self._read_capped(reader, pyproject) if pyproject else None,
            )

    def _unknown(
        self, filename: str, pkg_info: CoreMetadata | None, reason: str, trail: _Trail
    ) -> CoreMetadata:
        """``unknown``: only a build would tell the dependencies."""
        name, version = _sdist_identity(filename)
        trail.warnings.append(f"dependencies unknown without a build: {reason}")
        return trail.applied_to(
            CoreMetadata(
                name=name,
                version=version,
                requires_dist=(),
                requires_python=None,
                provides_extras=frozenset(),
                dynamic=pkg_info.dynamic if pkg_info else (),
                metadata_version=pkg_info.metadata_version if pkg_info else None,
                source=MetadataSource.UNKNOWN,
                dependencies_known=False,
            )
        )
