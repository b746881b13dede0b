"""Record stripped copies of real sdists for the hermetic build-needs tests.

Usage (needs the network; tests never run this)::

    PIP_CONFIG_FILE=/dev/null python tests/record_sdists.py            # download and record
    python tests/record_sdists.py --from-dir /tmp/sdists               # record local copies

Which sdists: every ``sdist_file`` of ``shared/cases/sdist_public.jsonl`` (13 builds that
were attempted with no compiler) plus ``murmurhash-1.0.6.tar.gz`` (the
``distutils.msvccompiler`` breakage) and the nine sdists of the old-pins corpus
(paperless-ng 2021), for the upgrade test. The index address comes from pip at run time
(``PyPI.simple_url``); files are fetched through the JSON simple API and checked
against the sha256 the index lists. Nothing from a downloaded archive is executed or
extracted: archives are read in memory through :mod:`wheelshim._archive`.

What is stored, in ``tests/data/sdists/``: a *stripped* copy of each sdist with the same
member names, types, modes and link targets, where only the members that
:func:`wheelshim._buildneeds.analyze_sdist` reads keep their content, truncated to the
analyzer's own read limit (:func:`~wheelshim._buildneeds.read_limit_for`: 512 KiB for
build configuration, 64 KiB for scanned C/C++/Cython sources); every other member is
empty. URLs naming the package index's hosts are rewritten to ``index.invalid`` (the
pattern is built from pip's settings at run time). The analyzer never uses member sizes,
so a stripped copy gives the same :class:`~wheelshim._buildneeds.BuildNeeds` as the
original: the script checks that before writing. Archives are written reproducibly
(fixed mtimes, owners and gzip header).

``SOURCES.json`` beside them records, per file, the requirement, the original size and
sha256, and the member count, so a re-recording can be compared.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from wheelshim._archive import open_archive  # noqa: E402
from wheelshim._buildneeds import BuildNeeds, analyze_sdist, read_limit_for  # noqa: E402

CASES = HERE.parent.parent / "shared" / "cases" / "sdist_public.jsonl"
OUT = HERE / "data" / "sdists"
EXTRA = (
    ("murmurhash==1.0.6", "murmurhash-1.0.6.tar.gz"),
    # The sdists of the old-pins corpus (paperless-ng, 2021) for the hermetic upgrade test.
    ("httptools==0.2.0", "httptools-0.2.0.tar.gz"),
    ("inotify-simple==1.3.5", "inotify_simple-1.3.5.tar.gz"),
    ("langdetect==1.0.9", "langdetect-1.0.9.tar.gz"),
    ("pikepdf==2.12.2", "pikepdf-2.12.2.tar.gz"),
    ("psycopg2-binary==2.8.6", "psycopg2-binary-2.8.6.tar.gz"),
    ("python-levenshtein==0.12.2", "python-Levenshtein-0.12.2.tar.gz"),
    ("reportlab==3.5.67", "reportlab-3.5.67.tar.gz"),
    ("tika==1.24", "tika-1.24.tar.gz"),
    ("uvloop==0.14.0", "uvloop-0.14.0.tar.gz"),
)
PYTHON = (3, 11)


def cases(path: Path) -> Iterator[tuple[str, str]]:
    """(requirement, sdist filename) pairs to record."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            yield row["req"], row["sdist_file"]
    yield from EXTRA


def download(requirement: str, filename: str) -> bytes:
    """The sdist's bytes from the default index, checked against the listed sha256."""
    import httpx
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from pip._internal.models.index import PyPI

    project = canonicalize_name(Requirement(requirement).name)
    page_url = PyPI.simple_url.rstrip("/") + f"/{project}/"
    accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
    with httpx.Client(timeout=120, follow_redirects=True) as client:
        page = client.get(page_url, headers=accept)
        page.raise_for_status()
        entry = next(f for f in page.json()["files"] if f["filename"] == filename)
        data = client.get(entry["url"]).content
    if hashlib.sha256(data).hexdigest() != entry["hashes"]["sha256"]:
        raise SystemExit(f"{filename}: sha256 mismatch")
    return data


def analyze(data: bytes, filename: str) -> BuildNeeds:
    with open_archive(data, filename) as reader:
        return analyze_sdist(reader, python_version=PYTHON)


def registry_hosts() -> re.Pattern[bytes]:
    """Host names of the package index and its file storage, as found in project files.

    Built from pip's own settings at run time, so that no registry host is written in
    this repository; URLs in kept files get :data:`REDACTED_HOST` instead.
    """
    from pip._internal.models.index import PyPI

    hosts = (urlsplit(PyPI.simple_url).hostname or "", PyPI.file_storage_domain)
    labels = sorted({host.split(".")[-2] for host in hosts if host.count(".") >= 1})
    alternatives = b"|".join(re.escape(label.encode()) for label in labels)
    return re.compile(rb"[\w.-]*(?:" + alternatives + rb")[\w-]*(?:\.[\w-]+)*\.[a-z]{2,}", re.I)


REDACTED_HOST = b"index.invalid"


def kept_contents(data: bytes, filename: str, needs: BuildNeeds) -> dict[str, bytes]:
    """Full member name -> the bytes the analyzer reads of it (registry hosts redacted)."""
    hosts = registry_hosts()
    with open_archive(data, filename) as reader:
        return {
            name: hosts.sub(REDACTED_HOST, reader.read(name, limit=read_limit_for(name)))
            for name in needs.files_read
        }


def stripped_tar(data: bytes, keep: dict[str, bytes]) -> bytes:
    """A reproducible .tar.gz with the original's members, contents only for ``keep``."""
    raw = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as source,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as target,
    ):
        for info in source:  # headers only: contents come from ``keep``
            copy = tarfile.TarInfo(info.name)
            copy.type, copy.mode, copy.linkname = info.type, info.mode, info.linkname
            copy.mtime, copy.uid, copy.gid, copy.uname, copy.gname = 0, 0, 0, "", ""
            content = keep.get(_normalized(info.name), b"") if info.isreg() else b""
            copy.size = len(content)
            target.addfile(copy, io.BytesIO(content) if info.isreg() else None)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _normalized(name: str) -> str:
    return "/".join(part for part in name.split("/") if part not in ("", "."))


def record(requirement: str, filename: str, data: bytes) -> dict[str, object]:
    needs = analyze(data, filename)
    stripped = stripped_tar(data, kept_contents(data, filename, needs))
    again = analyze(stripped, filename)
    if again != needs:
        raise SystemExit(f"{filename}: the stripped copy analyses differently; not written")
    (OUT / filename).write_bytes(stripped)
    with open_archive(data, filename) as reader:
        members = len(reader.members)
    print(f"{filename}: {len(data)} -> {len(stripped)} bytes, {len(needs.files_read)} kept")
    return {
        "req": requirement,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "members": members,
        "kept": len(needs.files_read),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--from-dir", type=Path, help="read the sdists from here instead")
    args = parser.parse_args(argv)
    if args.from_dir is None and os.environ.get("PIP_CONFIG_FILE") != "/dev/null":
        print("note: set PIP_CONFIG_FILE=/dev/null to ignore this machine's pip settings")
    OUT.mkdir(parents=True, exist_ok=True)
    sources: dict[str, object] = {}
    for requirement, filename in cases(args.cases):
        if args.from_dir is not None:
            data = (args.from_dir / filename).read_bytes()
        else:
            data = download(requirement, filename)
        sources[filename] = record(requirement, filename, data)
    text = json.dumps(sources, indent=2, sort_keys=True) + "\n"
    (OUT / "SOURCES.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
