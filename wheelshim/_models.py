"""Records of what an index or a find-links location offers for a project.

These are plain immutable data shared by the sources (which produce them), the finder
(which judges them for a target) and the renderers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from packaging.utils import NormalizedName

__all__ = ["DistributionFile", "ProjectFiles"]


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


@dataclass(frozen=True)
class ProjectFiles:
    """Every file found for one project, in pip's collection order.

    ``files`` holds local find-links files first (reverse-sorted, as pip does), then the
    files of each page in the order the pages were configured (index URL, extra index
    URLs, find-links pages), each page's files in page order. ``pages`` lists the
    (redacted) pages that were read; ``missing`` those that answered 404.
    """

    project: NormalizedName
    files: tuple[DistributionFile, ...]
    pages: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
