"""Records of what an index or a find-links location offers for a project.

These are plain immutable data shared by the sources (which produce them), the finder
(which judges them for a target) and the renderers.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, overload

from packaging.utils import NormalizedName

__all__ = ["DistributionFile", "FileList", "FileSource", "ProjectFiles", "filenames_of"]


def _no_hashes() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class DistributionFile:
    """One file (wheel, sdist or other archive) offered for a project.

    ``url`` is absolute and may carry credentials: render it only through
    :func:`wheelshim._redact.redact_url`. ``origin`` is the page or directory that
    listed the file. ``from_local_dir`` marks files found by listing a local
    ``--find-links`` directory, which pip considers before every page (PIP_RULES D3).
    """

    filename: str
    url: str
    origin: str
    hashes: Mapping[str, str] = field(default_factory=_no_hashes, compare=False, hash=False)
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    #: PEP 658/714: whether ``<url>.metadata`` is advertised; its hashes when given.
    metadata_advertised: bool = False
    metadata_hashes: Mapping[str, str] = field(
        default_factory=_no_hashes, compare=False, hash=False
    )
    size: int | None = None
    upload_time: str | None = None
    from_local_dir: bool = False


class FileList(Sequence[DistributionFile]):
    """Files in pip's order, each record built on first access.

    A project page can list thousands of files while an answer looks at a few; the
    file names are at hand without building anything (:attr:`filenames`). ``build``
    makes the record at an index.
    """

    __slots__ = ("_build_at", "_made", "filenames")

    def __init__(self, filenames: Sequence[str], build: Callable[[int], DistributionFile]) -> None:
        self.filenames: tuple[str, ...] = tuple(filenames)
        self._build_at = build
        self._made: list[DistributionFile | None] = [None] * len(self.filenames)

    @classmethod
    def of(cls, files: Iterable[DistributionFile]) -> FileList:
        """A list of records that exist already."""
        made = tuple(files)
        return cls([f.filename for f in made], made.__getitem__)

    @classmethod
    def concat(cls, parts: Iterable[Sequence[DistributionFile]]) -> FileList:
        """The parts one after the other, still built lazily."""
        lists = [part if isinstance(part, FileList) else cls.of(part) for part in parts]
        starts = list(itertools.accumulate((len(part) for part in lists), initial=0))

        def build(index: int) -> DistributionFile:
            which = bisect.bisect_right(starts, index) - 1
            return lists[which][index - starts[which]]

        return cls([name for part in lists for name in part.filenames], build)

    def _build(self, index: int) -> DistributionFile:
        made = self._made[index]
        if made is None:
            # Two threads may build the same record; both results are equal.
            made = self._made[index] = self._build_at(index)
        return made

    def __len__(self) -> int:
        return len(self.filenames)

    @overload
    def __getitem__(self, index: int) -> DistributionFile: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DistributionFile]: ...

    def __getitem__(self, index: int | slice) -> DistributionFile | Sequence[DistributionFile]:
        if isinstance(index, slice):
            return tuple(self._build(i) for i in range(len(self))[index])
        return self._build(range(len(self))[index])

    def __iter__(self) -> Iterator[DistributionFile]:
        return (self._build(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.filenames)

    def __repr__(self) -> str:
        return f"FileList({len(self)} files)"


def filenames_of(files: Sequence[DistributionFile]) -> Sequence[str]:
    """The file names of ``files``, without building lazily made records."""
    return files.filenames if isinstance(files, FileList) else [f.filename for f in files]


@dataclass(frozen=True)
class ProjectFiles:
    """Every file found for one project, in pip's collection order.

    ``files`` holds local find-links files first, then the files of each page in pip's
    order (find-links pages, then the index URL and extra index URLs), each page's files
    in page order. ``pages`` lists the
    (redacted) pages that were read; ``missing`` those that answered 404.
    """

    project: NormalizedName
    files: Sequence[DistributionFile]
    pages: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


class FileSource(Protocol):
    """Anything that lists a project's files in pip's order (``PackageSources`` does)."""

    def project_files(self, project: str) -> ProjectFiles:
        """All files of ``project``; raises ``IndexUnreachable`` on network failure."""
        ...
