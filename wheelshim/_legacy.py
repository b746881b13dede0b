"""Ordering of non-PEP 440 version strings as pip 23 (vendored packaging 21.3) sorts them.

pip 23.x, the pip inside the official ``python:3.x`` images, still lists such versions
("0.2.python3", "1-1.0") in "(from versions: ...)", before every PEP 440 version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from packaging.version import InvalidVersion, Version

__all__ = ["pip23_version_order"]

_COMPONENT = re.compile(r"(\d+ | [a-z]+ | \.| -)", re.VERBOSE)
_REPLACEMENTS = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}


def _parts(text: str) -> Iterator[str]:
    for part in _COMPONENT.split(text):
        part = _REPLACEMENTS.get(part, part)
        if not part or part == ".":
            continue
        yield part.zfill(8) if part[:1] in "0123456789" else "*" + part
    yield "*final"


def _legacy_key(text: str) -> tuple[str, ...]:
    """packaging 21.3's ``_legacy_cmpkey`` without the constant epoch."""
    parts: list[str] = []
    for part in _parts(text.lower()):
        if part.startswith("*"):
            if part < "*final":
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":
                parts.pop()
        parts.append(part)
    return tuple(parts)


def pip23_version_order(versions: Iterable[str]) -> list[str]:
    """Unique version strings sorted as pip 23 sorts them: legacy first, then PEP 440.

    >>> pip23_version_order(["1.2.post1", "1-1.5", "1!1.0", "1-1.0"])
    ['1-1.0', '1-1.5', '1.2.post1', '1!1.0']
    """
    valid: dict[Version, str] = {}
    legacy: dict[tuple[str, ...], str] = {}
    for text in versions:
        try:
            valid.setdefault(Version(text), str(Version(text)))
        except InvalidVersion:
            legacy.setdefault(_legacy_key(text), text)
    return [legacy[key] for key in sorted(legacy)] + [valid[key] for key in sorted(valid)]
