"""Read sdists and wheels as archives, in memory, without extracting anything.

:func:`open_archive` lists an archive's members and reads their bytes on request.
Nothing is written to disk, no link is followed and no member is ever executed.

Every cost is capped by :class:`ArchiveLimits` (defaults are the module constants):

* the archive itself: :data:`MAX_ARCHIVE_BYTES`;
* the member count: :data:`MAX_MEMBERS` (checked for zip files *before* the central
  directory is parsed, so a forged count cannot make :mod:`zipfile` allocate it);
* the decompressed length of a tar stream: :data:`MAX_UNPACKED_BYTES` (a gzip, bzip2 or xz
  bomb raises :class:`~wheelshim._exceptions.ArchiveError` once it passes the cap, with
  memory bounded by the decompressor's buffer, never by the bomb; a tar header that
  claims a huge pax or long-name payload is refused before anything is allocated);
* one read: :data:`MAX_MEMBER_READ` bytes (longer members are returned truncated:
  compare ``len(data)`` with :attr:`ArchiveMember.size`);
* all reads of one reader together: :data:`MAX_TOTAL_READ` bytes.

Member names are normalised (``./a//b`` -> ``a/b``, backslashes -> ``/``). Names that
are absolute or climb out with ``..``, links and special files are listed with their
:class:`Hazard` so callers can report them, but :meth:`ArchiveReader.read` refuses them.

Every failure is an :class:`~wheelshim._exceptions.ArchiveError` whose message is one
line naming the file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

from wheelshim._exceptions import ArchiveError

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_ARCHIVE_BYTES",
    "MAX_MEMBERS",
    "MAX_MEMBER_READ",
    "MAX_TOTAL_READ",
    "MAX_UNPACKED_BYTES",
    "ArchiveFormat",
    "ArchiveLimits",
    "ArchiveMember",
    "ArchiveReader",
    "Hazard",
    "MemberKind",
    "normalize_member_name",
    "open_archive",
]

_MIB = 1024 * 1024

#: Largest archive (compressed bytes) that is read at all.
MAX_ARCHIVE_BYTES = 200 * _MIB
#: Most members an archive may list.
MAX_MEMBERS = 50_000
#: Most bytes one read returns; longer members come back truncated.
MAX_MEMBER_READ = 2 * _MIB
#: Most bytes all reads of one reader may return together.
MAX_TOTAL_READ = 64 * _MIB
#: Longest decompressed tar stream that is walked (decompression-bomb guard).
MAX_UNPACKED_BYTES = 1024 * _MIB
# Largest single read tarfile may ask for (pax/long-name headers are far smaller).
_MAX_SINGLE_READ = 16 * _MIB


@dataclass(frozen=True)
class ArchiveLimits:
    """The caps one reader enforces; tests pass small ones to exercise them cheaply."""

    archive_bytes: int = MAX_ARCHIVE_BYTES
    members: int = MAX_MEMBERS
    member_read: int = MAX_MEMBER_READ
    total_read: int = MAX_TOTAL_READ
    unpacked_bytes: int = MAX_UNPACKED_BYTES


DEFAULT_LIMITS = ArchiveLimits()


class ArchiveFormat(Enum):
    """The container and compression actually found (by magic bytes, not by name)."""

    TAR_GZ = "tar.gz"
    TAR_BZ2 = "tar.bz2"
    TAR_XZ = "tar.xz"
    TAR = "tar"
    ZIP = "zip"


class MemberKind(Enum):
    """What a member is; only :attr:`FILE` members can be read."""

    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device"
    FIFO = "fifo"
    OTHER = "other"


class Hazard(Enum):
    """Why a member would be unsafe to extract; such members are never read."""

    ABSOLUTE_PATH = "absolute_path"
    PARENT_REFERENCE = "parent_reference"
    NUL_IN_NAME = "nul_in_name"
    LINK = "link"
    SPECIAL_FILE = "special_file"


@dataclass(frozen=True)
class ArchiveMember:
    """One listed member.

    ``name`` is normalised (see :func:`normalize_member_name`); ``raw_name`` is the name
    as stored. ``size`` is the size the archive declares, which a hostile archive may
    misstate: reads never trust it.
    """

    name: str
    raw_name: str
    kind: MemberKind
    size: int
    hazards: frozenset[Hazard] = frozenset()

    @property
    def safe(self) -> bool:
        """True when the member has no :class:`Hazard`."""
        return not self.hazards

    @property
    def readable(self) -> bool:
        """True for safe regular files, the only members :meth:`ArchiveReader.read` reads."""
        return self.safe and self.kind is MemberKind.FILE


_DRIVE = re.compile(r"^[A-Za-z]:")


def normalize_member_name(raw: str) -> tuple[str, frozenset[Hazard]]:
    """Return ``raw`` as a relative POSIX path and the name hazards it carries.

    Pure; no file system access.

    >>> normalize_member_name("./pkg-1.0//setup.py")
    ('pkg-1.0/setup.py', frozenset())
    >>> sorted(h.value for h in normalize_member_name("../../etc/passwd")[1])
    ['parent_reference']
    >>> normalize_member_name("/etc/passwd")[0]
    'etc/passwd'
    """
    hazards: set[Hazard] = set()
    if "\x00" in raw:
        hazards.add(Hazard.NUL_IN_NAME)
    # Windows-made zips use backslashes; treat them as separators so "..\\x" is caught.
    name = raw.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        hazards.add(Hazard.ABSOLUTE_PATH)
        name = _DRIVE.sub("", name)
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        hazards.add(Hazard.PARENT_REFERENCE)
    return "/".join(parts), frozenset(hazards)


def _kind_hazards(kind: MemberKind) -> frozenset[Hazard]:
    if kind in (MemberKind.SYMLINK, MemberKind.HARDLINK):
        return frozenset({Hazard.LINK})
    if kind in (MemberKind.DEVICE, MemberKind.FIFO, MemberKind.OTHER):
        return frozenset({Hazard.SPECIAL_FILE})
    return frozenset()


def _member(raw_name: str, kind: MemberKind, size: int) -> ArchiveMember:
    name, hazards = normalize_member_name(raw_name)
    return ArchiveMember(name, raw_name, kind, max(size, 0), hazards | _kind_hazards(kind))


class ArchiveReader:
    """Members of one archive, listed at open time, readable in memory with caps.

    Use as a context manager or call :meth:`close`. Not thread-safe.
    """

    def __init__(
        self,
        filename: str,
        archive_format: ArchiveFormat,
        members: tuple[ArchiveMember, ...],
        limits: ArchiveLimits,
    ) -> None:
        self.filename = filename
        self.format = archive_format
        self.members = members
        self.limits = limits
        # A tar may hold a name twice; the later copy is the one tar would leave behind.
        self._by_name: dict[str, int] = {m.name: i for i, m in enumerate(members)}
        self._returned = 0

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the underlying archive object; later reads raise ArchiveError."""

    def member(self, name: str) -> ArchiveMember | None:
        """The member listed under the normalised ``name`` (the last one if repeated)."""
        index = self._by_name.get(name)
        return None if index is None else self.members[index]

    def files(self) -> tuple[ArchiveMember, ...]:
        """Readable members (safe regular files) in archive order."""
        return tuple(m for m in self.members if m.readable)

    def read(self, name: str, *, limit: int | None = None) -> bytes:
        """Return up to ``limit`` (capped by the reader's limits) bytes of member ``name``.

        Raises ``KeyError`` for a name that is not listed and ArchiveError for an
        unsafe member, an exhausted read budget or a corrupt stream.
        """
        return self.read_many([name], limit=limit)[name]

    def read_many(self, names: Iterable[str], *, limit: int | None = None) -> dict[str, bytes]:
        """Read several members in one pass over the archive (cheaper than one by one).

        Same contract as :meth:`read`; the result is keyed by the names given.
        """
        cap = self.limits.member_read if limit is None else min(limit, self.limits.member_read)
        indexes = sorted({self._checked_index(name) for name in names})
        result: dict[str, bytes] = {}
        for index, data in self._read_indexes(indexes, cap):
            self._charge(len(data))
            result[self.members[index].name] = data
        return result

    def _checked_index(self, name: str) -> int:
        index = self._by_name[name]
        member = self.members[index]
        if not member.readable:
            reasons = ", ".join(sorted(h.value for h in member.hazards)) or member.kind.value
            raise ArchiveError(f"{self.filename}: refusing to read member {name!r} ({reasons})")
        return index

    def _charge(self, count: int) -> None:
        self._returned += count
        if self._returned > self.limits.total_read:
            raise ArchiveError(
                f"{self.filename}: reads passed the budget of {self.limits.total_read} bytes"
            )

    def _read_indexes(self, indexes: list[int], cap: int) -> Iterator[tuple[int, bytes]]:
        raise NotImplementedError


# -- tar -------------------------------------------------------------------------------


class _Decompressor(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def close(self) -> None: ...


class _BoundedStream:
    """A decompressed stream that refuses to go past ``cap`` bytes.

    :mod:`tarfile` reads headers and seeks over contents; both go through here, so a
    bomb is stopped at ``cap`` decompressed bytes and a forged header size can never
    make one ``read`` allocate more than ``cap``.
    """

    def __init__(self, raw: _Decompressor, cap: int, filename: str, max_read: int) -> None:
        self._raw = raw
        self._cap = cap
        self._filename = filename
        self._max_read = max_read

    def _bomb(self) -> ArchiveError:
        return ArchiveError(
            f"{self._filename}: decompresses to more than {self._cap} bytes "
            "(decompression bomb?); not read"
        )

    def read(self, size: int = -1, /) -> bytes:
        if size > self._max_read:
            # Only a forged header size asks for this much at once; refuse before allocating.
            raise ArchiveError(f"{self._filename}: a tar header claims {size} bytes; not read")
        position = self._raw.tell()
        room = self._cap - position
        if size < 0 or size > room:
            # Ask for one byte past the cap: getting it proves the stream is too long.
            data = self._raw.read(room + 1)
            if len(data) > room:
                raise self._bomb()
            return data
        return self._raw.read(size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        if whence != io.SEEK_SET:
            raise ArchiveError(f"{self._filename}: unsupported seek in tar stream")
        if offset > self._cap:
            raise self._bomb()
        return self._raw.seek(offset)

    def tell(self) -> int:
        return self._raw.tell()

    def write(self, data: bytes, /) -> int:
        raise ArchiveError(f"{self._filename}: archive opened read-only")

    def close(self) -> None:
        self._raw.close()


_TAR_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    ValueError,
    struct.error,
    UnicodeError,
)


def _tar_kind(info: tarfile.TarInfo) -> MemberKind:
    if info.isreg():
        return MemberKind.FILE
    if info.isdir():
        return MemberKind.DIRECTORY
    if info.issym():
        return MemberKind.SYMLINK
    if info.islnk():
        return MemberKind.HARDLINK
    if info.ischr() or info.isblk():
        return MemberKind.DEVICE
    if info.isfifo():
        return MemberKind.FIFO
    return MemberKind.OTHER


def _decompressor(data: bytes, archive_format: ArchiveFormat) -> _Decompressor:
    raw = io.BytesIO(data)
    if archive_format is ArchiveFormat.TAR_GZ:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if archive_format is ArchiveFormat.TAR_BZ2:
        return bz2.BZ2File(raw, mode="rb")
    if archive_format is ArchiveFormat.TAR_XZ:
        return lzma.LZMAFile(raw, mode="rb")
    return raw


class _TarReader(ArchiveReader):
    def __init__(
        self, filename: str, data: bytes, archive_format: ArchiveFormat, limits: ArchiveLimits
    ) -> None:
        stream = _BoundedStream(
            _decompressor(data, archive_format),
            limits.unpacked_bytes,
            filename,
            max(_MAX_SINGLE_READ, 2 * limits.member_read),
        )
        try:
            self._tar = tarfile.TarFile(fileobj=stream, mode="r")
            infos = _list_tar(self._tar, filename, limits.members)
        except ArchiveError:
            raise
        except _TAR_ERRORS as exc:
            raise ArchiveError(
                f"{filename}: not a readable tar archive ({_one_line(exc)})"
            ) from exc
        members = tuple(_member(i.name, _tar_kind(i), i.size) for i in infos)
        self._infos = infos
        super().__init__(filename, archive_format, members, limits)

    def close(self) -> None:
        self._tar.close()

    def _read_indexes(self, indexes: list[int], cap: int) -> Iterator[tuple[int, bytes]]:
        # Ascending data offsets keep a compressed stream moving forward: one pass.
        for index in sorted(indexes, key=lambda i: self._infos[i].offset_data):
            yield index, self._read_info(self._infos[index], cap)

    def _read_info(self, info: tarfile.TarInfo, cap: int) -> bytes:
        try:
            handle = self._tar.extractfile(info)
            if handle is None:
                raise ArchiveError(f"{self.filename}: member {info.name!r} has no data")
            with handle:
                return handle.read(cap)
        except ArchiveError:
            raise
        except _TAR_ERRORS as exc:
            raise ArchiveError(
                f"{self.filename}: cannot read member {info.name!r} ({_one_line(exc)})"
            ) from exc


def _list_tar(tar: tarfile.TarFile, filename: str, max_members: int) -> list[tarfile.TarInfo]:
    infos: list[tarfile.TarInfo] = []
    while (info := tar.next()) is not None:
        infos.append(info)
        if len(infos) > max_members:
            raise ArchiveError(f"{filename}: more than {max_members} members; not read")
    return infos


# -- zip -------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_EOCD_SEARCH = 22 + 65535

_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    ValueError,
    struct.error,
    RuntimeError,
    NotImplementedError,
    UnicodeError,
    IndexError,
)


def _zip_declared_entries(data: bytes) -> int | None:
    """The entry count the end-of-central-directory record claims, or None if absent."""
    index = data.rfind(_EOCD, max(0, len(data) - _EOCD_SEARCH))
    if index < 0 or index + 22 > len(data):
        return None
    total: int = struct.unpack_from("<H", data, index + 10)[0]
    if total != 0xFFFF:
        return total
    locator = index - 20
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return total
    offset: int = struct.unpack_from("<Q", data, locator + 8)[0]
    if offset + 56 > len(data) or data[offset : offset + 4] != _ZIP64_EOCD:
        return total
    zip64_total: int = struct.unpack_from("<Q", data, offset + 32)[0]
    return zip64_total


def _zip_kind(info: zipfile.ZipInfo) -> MemberKind:
    mode = info.external_attr >> 16
    # Not ZipInfo.is_dir(): it fails on the empty names a hostile archive can carry.
    if info.filename.endswith("/") or stat.S_ISDIR(mode):
        return MemberKind.DIRECTORY
    if stat.S_IFMT(mode) == 0 or stat.S_ISREG(mode):
        return MemberKind.FILE
    if stat.S_ISLNK(mode):
        return MemberKind.SYMLINK
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return MemberKind.DEVICE
    if stat.S_ISFIFO(mode):
        return MemberKind.FIFO
    return MemberKind.OTHER


class _ZipReader(ArchiveReader):
    def __init__(self, filename: str, data: bytes, limits: ArchiveLimits) -> None:
        declared = _zip_declared_entries(data)
        if declared is not None and declared > limits.members:
            raise ArchiveError(
                f"{filename}: declares {declared} members (over {limits.members}); not read"
            )
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except _ZIP_ERRORS as exc:
            raise ArchiveError(
                f"{filename}: not a readable zip archive ({_one_line(exc)})"
            ) from exc
        if len(infos) > limits.members:
            raise ArchiveError(f"{filename}: more than {limits.members} members; not read")
        members = tuple(_member(i.orig_filename, _zip_kind(i), i.file_size) for i in infos)
        self._infos = infos
        super().__init__(filename, ArchiveFormat.ZIP, members, limits)

    def close(self) -> None:
        self._zip.close()

    def _read_indexes(self, indexes: list[int], cap: int) -> Iterator[tuple[int, bytes]]:
        for index in indexes:
            yield index, self._read_info(self._infos[index], cap)

    def _read_info(self, info: zipfile.ZipInfo, cap: int) -> bytes:
        try:
            # Streaming decompression: a bomb yields at most ``cap`` bytes, whatever it declares.
            with self._zip.open(info) as handle:
                return handle.read(cap)
        except _ZIP_ERRORS as exc:
            raise ArchiveError(
                f"{self.filename}: cannot read member {info.orig_filename!r} ({_one_line(exc)})"
            ) from exc


# -- opening ---------------------------------------------------------------------------

_SUFFIXES: tuple[tuple[str, ArchiveFormat], ...] = (
    (".tar.gz", ArchiveFormat.TAR_GZ),
    (".tgz", ArchiveFormat.TAR_GZ),
    (".tar.bz2", ArchiveFormat.TAR_BZ2),
    (".tbz2", ArchiveFormat.TAR_BZ2),
    (".tar.xz", ArchiveFormat.TAR_XZ),
    (".txz", ArchiveFormat.TAR_XZ),
    (".tar", ArchiveFormat.TAR),
    (".zip", ArchiveFormat.ZIP),
    (".whl", ArchiveFormat.ZIP),
)

_MAGIC: tuple[tuple[bytes, ArchiveFormat], ...] = (
    (b"\x1f\x8b", ArchiveFormat.TAR_GZ),
    (b"BZh", ArchiveFormat.TAR_BZ2),
    (b"\xfd7zXZ\x00", ArchiveFormat.TAR_XZ),
    (b"PK\x03\x04", ArchiveFormat.ZIP),
    (b"PK\x05\x06", ArchiveFormat.ZIP),
)


def _format_by_name(filename: str) -> ArchiveFormat:
    lowered = filename.lower()
    for suffix, archive_format in _SUFFIXES:
        if lowered.endswith(suffix):
            return archive_format
    raise ArchiveError(f"{filename}: unsupported archive type (expected .tar.gz, .zip, .whl ...)")


def _format_by_magic(data: bytes) -> ArchiveFormat | None:
    for magic, archive_format in _MAGIC:
        if data.startswith(magic):
            return archive_format
    if data[257:262] == b"ustar":
        return ArchiveFormat.TAR
    return None


def _detect_format(data: bytes, filename: str) -> ArchiveFormat:
    named = _format_by_name(filename)
    sniffed = _format_by_magic(data)
    # Content wins over the name: some indexes serve plain tars named .tar.gz.
    if sniffed is not None:
        return sniffed
    if named is ArchiveFormat.TAR:
        return named
    raise ArchiveError(f"{filename}: content is not a {named.value} archive")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _load(source: bytes | str | os.PathLike[str], limits: ArchiveLimits) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), "<bytes>"
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > limits.archive_bytes:
            raise ArchiveError(
                f"{path.name}: {size} bytes is over the {limits.archive_bytes} byte cap"
            )
        with path.open("rb") as handle:
            return _read_capped(handle, limits.archive_bytes, path.name), path.name
    except OSError as exc:
        raise ArchiveError(f"{path.name}: cannot read archive ({_one_line(exc)})") from exc


def _read_capped(handle: BinaryIO, cap: int, name: str) -> bytes:
    # The file may grow between stat() and read(); never trust the first answer.
    data = handle.read(cap + 1)
    if len(data) > cap:
        raise ArchiveError(f"{name}: over the {cap} byte cap")
    return data


def open_archive(
    source: bytes | str | os.PathLike[str],
    filename: str | None = None,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> ArchiveReader:
    """Open an sdist or wheel (``.tar.gz .tgz .tar.bz2 .tar.xz .tar .zip .whl``) for reading.

    ``source`` is the archive's bytes or a path; ``filename`` names it in messages and
    must carry a supported suffix (defaults to the path's name). The format is then
    taken from the content's magic bytes. All members are listed now (one pass over a
    tar stream); contents are read later through :meth:`ArchiveReader.read`.

    Raises ArchiveError for an unsupported name, garbage content, an archive over the
    size or member caps, or a decompression bomb.
    """
    data, default_name = _load(source, limits)
    name = filename or default_name
    if len(data) > limits.archive_bytes:
        raise ArchiveError(f"{name}: {len(data)} bytes is over the {limits.archive_bytes} byte cap")
    archive_format = _detect_format(data, name)
    if archive_format is ArchiveFormat.ZIP:
        return _ZipReader(name, data, limits)
    return _TarReader(name, data, archive_format, limits)
