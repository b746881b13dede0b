"""wheelshim._archive: listing and reading archives in memory, safely, with caps.

Every hostile archive is built in memory by the test itself.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import struct
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wheelshim._archive import (
    DEFAULT_LIMITS,
    MAX_ARCHIVE_BYTES,
    MAX_MEMBER_READ,
    MAX_MEMBERS,
    ArchiveFormat,
    ArchiveLimits,
    ArchiveReader,
    Hazard,
    MemberKind,
    normalize_member_name,
    open_archive,
)
from wheelshim._exceptions import ArchiveError

TarEntry = tuple[str, bytes] | tarfile.TarInfo


def tar_bytes(entries: Iterable[TarEntry], compression: str = "gz") -> bytes:
    """A tar archive; ``(name, data)`` pairs are regular files, TarInfo objects go as given."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    data = raw.getvalue()
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    return data


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def zip_bytes(entries: Iterable[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return raw.getvalue()


SMALL = ArchiveLimits(
    archive_bytes=1 << 20, members=10, member_read=1024, total_read=4096, unpacked_bytes=1 << 20
)


# -- ordinary archives ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "compression", "expected"),
    [
        ("pkg-1.0.tar.gz", "gz", ArchiveFormat.TAR_GZ),
        ("pkg-1.0.tgz", "gz", ArchiveFormat.TAR_GZ),
        ("pkg-1.0.tar.bz2", "bz2", ArchiveFormat.TAR_BZ2),
        ("pkg-1.0.tar.xz", "xz", ArchiveFormat.TAR_XZ),
        ("pkg-1.0.tar", "", ArchiveFormat.TAR),
    ],
)
def test_tar_formats_list_and_read(
    filename: str, compression: str, expected: ArchiveFormat
) -> None:
    data = tar_bytes(
        [("pkg-1.0/setup.py", b"print('x')\n"), ("pkg-1.0/a/b.c", b"int x;")], compression
    )
    with open_archive(data, filename) as reader:
        assert reader.format is expected
        assert [m.name for m in reader.members] == ["pkg-1.0/setup.py", "pkg-1.0/a/b.c"]
        assert all(m.readable for m in reader.members)
        assert reader.read("pkg-1.0/a/b.c") == b"int x;"
        assert reader.read_many(["pkg-1.0/setup.py", "pkg-1.0/a/b.c"]) == {
            "pkg-1.0/setup.py": b"print('x')\n",
            "pkg-1.0/a/b.c": b"int x;",
        }


@pytest.mark.parametrize("filename", ["pkg-1.0.zip", "pkg-1.0-py3-none-any.whl"])
def test_zip_and_wheel_list_and_read(filename: str) -> None:
    data = zip_bytes([("pkg/__init__.py", b"x = 1\n"), ("pkg/", b"")])
    with open_archive(data, filename) as reader:
        assert reader.format is ArchiveFormat.ZIP
        kinds = {m.name: m.kind for m in reader.members}
        assert kinds == {"pkg/__init__.py": MemberKind.FILE, "pkg": MemberKind.DIRECTORY}
        assert reader.read("pkg/__init__.py") == b"x = 1\n"


def test_opens_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(tar_bytes([("pkg-1.0/PKG-INFO", b"Name: pkg\n")]))
    with open_archive(path) as reader:
        assert reader.filename == "pkg-1.0.tar.gz"
        assert reader.read("pkg-1.0/PKG-INFO") == b"Name: pkg\n"


def test_reads_are_truncated_at_the_limit() -> None:
    data = tar_bytes([("big.txt", b"x" * 5000)])
    with open_archive(data, "p.tar.gz", limits=SMALL) as reader:
        member = reader.member("big.txt")
        assert member is not None
        assert member.size == 5000
        assert reader.read("big.txt") == b"x" * 1024
        assert reader.read("big.txt", limit=10) == b"x" * 10


def test_repeated_name_reads_the_last_copy() -> None:
    data = tar_bytes([("a.txt", b"first"), ("a.txt", b"second")])
    with open_archive(data, "p.tar.gz") as reader:
        assert len(reader.members) == 2
        assert reader.read("a.txt") == b"second"


def test_content_decides_the_format_not_the_name() -> None:
    plain_tar = tar_bytes([("a.txt", b"a")], compression="")
    with open_archive(plain_tar, "mislabelled-1.0.tar.gz") as reader:
        assert reader.format is ArchiveFormat.TAR


def test_unknown_member_is_a_key_error() -> None:
    with open_archive(tar_bytes([("a.txt", b"a")]), "p.tar.gz") as reader, pytest.raises(KeyError):
        reader.read("missing.txt")


def test_default_limits_are_the_module_constants() -> None:
    assert DEFAULT_LIMITS.archive_bytes == MAX_ARCHIVE_BYTES == 200 * 1024 * 1024
    assert DEFAULT_LIMITS.members == MAX_MEMBERS == 50_000
    assert DEFAULT_LIMITS.member_read == MAX_MEMBER_READ == 2 * 1024 * 1024


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name", "hazards"),
    [
        ("pkg-1.0/setup.py", "pkg-1.0/setup.py", set()),
        ("./pkg-1.0//src/./a.c", "pkg-1.0/src/a.c", set()),
        ("../evil.sh", "../evil.sh", {Hazard.PARENT_REFERENCE}),
        ("pkg/../../evil", "pkg/../../evil", {Hazard.PARENT_REFERENCE}),
        ("/etc/passwd", "etc/passwd", {Hazard.ABSOLUTE_PATH}),
        ("C:\\Windows\\x.dll", "Windows/x.dll", {Hazard.ABSOLUTE_PATH}),
        ("..\\..\\evil.bat", "../../evil.bat", {Hazard.PARENT_REFERENCE}),
        ("a\x00b", "a\x00b", {Hazard.NUL_IN_NAME}),
    ],
)
def test_normalize_member_name(raw: str, name: str, hazards: set[Hazard]) -> None:
    assert normalize_member_name(raw) == (name, frozenset(hazards))


@given(st.text())
def test_normalized_names_are_relative_and_flag_traversal(raw: str) -> None:
    name, hazards = normalize_member_name(raw)
    parts = name.split("/")
    assert not name.startswith("/")
    assert name == "" or all(part not in ("", ".") for part in parts)
    assert (".." in parts) == (Hazard.PARENT_REFERENCE in hazards)


# -- hostile archives ---------------------------------------------------------------------


def test_traversal_and_absolute_names_are_listed_but_never_read() -> None:
    data = tar_bytes(
        [("../evil.sh", b"rm -rf /"), ("/etc/cron.d/x", b"* * * * *"), ("ok.txt", b"ok")]
    )
    with open_archive(data, "p.tar.gz") as reader:
        by_raw = {m.raw_name: m for m in reader.members}
        assert by_raw["../evil.sh"].hazards == {Hazard.PARENT_REFERENCE}
        assert by_raw["/etc/cron.d/x"].hazards == {Hazard.ABSOLUTE_PATH}
        assert [m.name for m in reader.files()] == ["ok.txt"]
        with pytest.raises(ArchiveError, match="refusing to read"):
            reader.read("../evil.sh")
        with pytest.raises(ArchiveError, match="refusing to read"):
            reader.read("etc/cron.d/x")


@pytest.mark.parametrize(
    ("kind", "member_kind", "hazard"),
    [
        (tarfile.SYMTYPE, MemberKind.SYMLINK, Hazard.LINK),
        (tarfile.LNKTYPE, MemberKind.HARDLINK, Hazard.LINK),
        (tarfile.CHRTYPE, MemberKind.DEVICE, Hazard.SPECIAL_FILE),
        (tarfile.BLKTYPE, MemberKind.DEVICE, Hazard.SPECIAL_FILE),
        (tarfile.FIFOTYPE, MemberKind.FIFO, Hazard.SPECIAL_FILE),
    ],
)
def test_links_and_special_files_are_never_followed(
    kind: bytes, member_kind: MemberKind, hazard: Hazard
) -> None:
    data = tar_bytes([("target.txt", b"secret"), special("pkg/setup.py", kind, "../../etc/passwd")])
    with open_archive(data, "p.tar.gz") as reader:
        member = reader.member("pkg/setup.py")
        assert member is not None
        assert member.kind is member_kind
        assert hazard in member.hazards
        assert not member.readable
        with pytest.raises(ArchiveError, match=r"pkg/setup\.py"):
            reader.read("pkg/setup.py")


def test_hardlink_to_a_readable_member_is_still_refused() -> None:
    data = tar_bytes(
        [("target.txt", b"secret"), special("alias.txt", tarfile.LNKTYPE, "target.txt")]
    )
    with open_archive(data, "p.tar.gz") as reader:
        assert reader.read("target.txt") == b"secret"
        with pytest.raises(ArchiveError):
            reader.read("alias.txt")


def test_zip_symlink_and_traversal_are_flagged() -> None:
    link = zipfile.ZipInfo("pkg/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = zip_bytes([(link, b"/etc/passwd"), ("..\\evil.bat", b"x"), ("/abs.txt", b"y")])
    with open_archive(data, "p.zip") as reader:
        hazards = {m.raw_name: m.hazards for m in reader.members}
        assert hazards["pkg/link"] == {Hazard.LINK}
        assert hazards["..\\evil.bat"] == {Hazard.PARENT_REFERENCE}
        assert hazards["/abs.txt"] == {Hazard.ABSOLUTE_PATH}
        assert reader.files() == ()
        with pytest.raises(ArchiveError):
            reader.read("pkg/link")


def test_tar_decompression_bomb_is_stopped_at_the_cap() -> None:
    bomb = tar_bytes([("zeros.bin", bytes(5 << 20))])
    assert len(bomb) < 64 * 1024
    with pytest.raises(ArchiveError, match="decompression bomb"):
        open_archive(bomb, "bomb.tar.gz", limits=SMALL)


@pytest.mark.parametrize("compression", ["bz2", "xz"])
def test_other_compressions_are_capped_too(compression: str) -> None:
    bomb = tar_bytes([("zeros.bin", bytes(3 << 20))], compression)
    with pytest.raises(ArchiveError, match="decompression bomb"):
        open_archive(bomb, f"bomb.tar.{compression}", limits=SMALL)


def test_forged_header_size_cannot_allocate_past_the_cap() -> None:
    # A pax header claiming a huge payload: tarfile would try to read it in one call.
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 1 << 40
    raw = header.tobuf(format=tarfile.GNU_FORMAT) + bytes(10240)
    with pytest.raises(ArchiveError, match="claims"):
        open_archive(gzip.compress(raw), "forged.tar.gz")


def test_zip_bomb_member_yields_at_most_the_read_cap() -> None:
    bomb = zip_bytes([("zeros.bin", bytes(20 << 20))])
    assert len(bomb) < 100 * 1024
    with open_archive(bomb, "bomb.zip") as reader:
        assert len(reader.read("zeros.bin")) == MAX_MEMBER_READ


def test_total_read_budget_is_enforced() -> None:
    data = zip_bytes([(f"f{i}.txt", b"y" * 1024) for i in range(5)])
    with open_archive(data, "p.zip", limits=SMALL) as reader:
        for i in range(4):
            reader.read(f"f{i}.txt")
        with pytest.raises(ArchiveError, match="budget"):
            reader.read("f4.txt")


def test_too_many_tar_members() -> None:
    data = tar_bytes([(f"f{i}", b"") for i in range(11)])
    with pytest.raises(ArchiveError, match="more than 10 members"):
        open_archive(data, "many.tar.gz", limits=SMALL)


def test_too_many_zip_members_with_default_limits() -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as archive:
        for i in range(MAX_MEMBERS + 1):
            archive.writestr(zipfile.ZipInfo(f"{i}"), b"")
    with pytest.raises(ArchiveError, match="members"):
        open_archive(raw.getvalue(), "many.zip")


def test_forged_zip_entry_count_is_refused_before_parsing() -> None:
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 60000, 60000, 0, 0, 0)
    with pytest.raises(ArchiveError, match="declares 60000 members"):
        open_archive(eocd, "forged.zip")


def test_archive_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.tar.gz"
    path.write_bytes(bytes(SMALL.archive_bytes + 1))
    with pytest.raises(ArchiveError, match="cap"):
        open_archive(path, limits=SMALL)
    with pytest.raises(ArchiveError, match="cap"):
        open_archive(bytes(SMALL.archive_bytes + 1), "big.tar.gz", limits=SMALL)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.tar.gz", "not a tar.gz archive"),
        (b"this is not an archive at all" * 20, "junk.tar.gz", "not a tar.gz archive"),
        (b"\x1f\x8b" + b"\x00" * 50, "badgzip.tar.gz", "not a readable tar"),
        (gzip.compress(b"plain text, not a tar stream " * 40), "text.tar.gz", "not a readable tar"),
        (b"PK\x03\x04" + b"\x00" * 100, "junk.zip", "not a readable zip"),
        (b"Rar!\x1a\x07\x00", "pkg-1.0.rar", "unsupported archive type"),
    ],
)
def test_garbage_raises_one_line_archive_error(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ArchiveError, match=message) as caught:
        open_archive(data, filename)
    assert "\n" not in str(caught.value)
    assert filename in str(caught.value)


def test_truncated_tar_gz_raises_archive_error() -> None:
    data = tar_bytes([("a.bin", bytes(range(256)) * 400)])
    with pytest.raises(ArchiveError):
        _read_everything(open_archive(data[: len(data) // 2], "cut.tar.gz"))


def test_closed_reader_refuses_reads() -> None:
    reader = open_archive(zip_bytes([("a.txt", b"a")]), "p.zip")
    reader.close()
    with pytest.raises(ArchiveError):
        reader.read("a.txt")


def _read_everything(reader: ArchiveReader) -> None:
    for member in reader.files():
        reader.read(member.name)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_corrupted_archives_only_ever_raise_archive_error(data: st.DataObject) -> None:
    filename, original = data.draw(
        st.sampled_from(
            [
                ("p.tar.gz", tar_bytes([("p/setup.py", b"x" * 300), ("p/a.c", b"int a;" * 50)])),
                ("p.tar", tar_bytes([("p/setup.py", b"x" * 300)], compression="")),
                ("p.zip", zip_bytes([("p/setup.py", b"x" * 300), ("p/a.c", b"int a;" * 50)])),
            ]
        )
    )
    position = data.draw(st.integers(0, len(original) - 1))
    replacement = data.draw(st.binary(min_size=1, max_size=8))
    corrupted = original[:position] + replacement + original[position + len(replacement) :]
    try:
        with open_archive(corrupted, filename, limits=SMALL) as reader:
            _read_everything(reader)
    except ArchiveError:
        pass
