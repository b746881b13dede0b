"""Which platforms and Pythons a release publishes wheels for.

Used to say *why* a target gets no wheel ("linux x86_64 cp36–cp310, macOS x86_64:
none for linux aarch64") and by the ``coverage`` command.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from wheelshim._platforms import _interpreter_parts, describe_platform

__all__ = ["PlatformGroup", "ReleaseCoverage", "file_version", "release_coverage"]

_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


@dataclass(frozen=True, order=True)
class PlatformGroup:
    """Wheels of one release for one OS, architecture and libc, with their Python tags."""

    os: str
    arch: str
    libc: str
    interpreters: tuple[str, ...]
    #: The lowest libc level among the group's wheels, e.g. ``(2, 17)``; None if unversioned.
    min_libc: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """``linux aarch64``, ``linux x86_64 musl``, ``macOS arm64``, ``Windows x86_64``."""
        if self.os == "any":
            return "any platform (pure Python)"
        if self.os == "macos":
            return f"macOS {'arm64' if self.arch == 'aarch64' else self.arch}"
        if self.os == "windows":
            return f"Windows {self.arch}"
        if self.os == "linux":
            return f"linux {self.arch}" + (" musl" if self.libc == "musl" else "")
        return f"{self.os} {self.arch}"

    @property
    def python_range(self) -> str:
        """Interpreter tags compressed: ``cp36–cp310``, or a list when not contiguous."""
        return compress_interpreters(self.interpreters)


@dataclass(frozen=True)
class ReleaseCoverage:
    """Every wheel platform group of one release, and its sdist if any."""

    project: NormalizedName
    version: str
    groups: tuple[PlatformGroup, ...]
    sdist: str | None

    def has_linux_wheel_for(self, arch: str, libc: str | None) -> bool:
        """Whether any Linux (or pure-Python) wheel exists for ``arch`` and ``libc``."""
        return any(
            group.os == "any"
            or (group.os == "linux" and group.arch == arch and (libc is None or group.libc == libc))
            for group in self.groups
        )

    def has_macos_arm64(self) -> bool:
        """A macOS arm64 (or universal2) wheel exists: the trap of the Apple Silicon user."""
        return any(
            group.os == "macos" and group.arch in ("aarch64", "universal2") for group in self.groups
        )


def compress_interpreters(interpreters: Iterable[str]) -> str:
    """``cp36, cp37, cp38`` → ``cp36–cp38``; mixed implementations stay listed.

    >>> compress_interpreters(["cp36", "cp37", "cp38", "cp39", "cp310"])
    'cp36–cp310'
    >>> compress_interpreters(["cp39", "cp311", "pp310"])
    'cp39, cp311, pp310'
    """
    ordered = sorted(set(interpreters), key=_interpreter_parts)
    if len(ordered) < 3:
        return ", ".join(ordered)
    parts = [_interpreter_parts(name) for name in ordered]
    names = {name for name, _ in parts}
    minors = [version[1] for _, version in parts if len(version) == 2]
    contiguous = (
        len(names) == 1
        and len(minors) == len(parts)
        and {version[0] for _, version in parts} == {3}
        and minors == list(range(minors[0], minors[0] + len(minors)))
    )
    return f"{ordered[0]}–{ordered[-1]}" if contiguous else ", ".join(ordered)


def file_version(filename: str, project: NormalizedName) -> Version | None:
    """The version a wheel or sdist file name states, or None when it does not parse."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        for suffix in _SDIST_SUFFIXES:
            if filename.lower().endswith(suffix):
                stem = filename[: -len(suffix)]
                for index, char in enumerate(stem):
                    if char == "-" and canonicalize_name(stem[:index]) == project:
                        return Version(stem[index + 1 :])
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return None


def release_coverage(project: str, filenames: Iterable[str], version: Version) -> ReleaseCoverage:
    """Group the wheels of ``project`` at ``version`` (given their file names) by OS,
    architecture and libc."""
    name = canonicalize_name(project)
    groups: dict[tuple[str, str, str], set[str]] = {}
    min_libc: dict[tuple[str, str, str], tuple[int, int]] = {}
    sdist: str | None = None
    for filename in filenames:
        if file_version(filename, name) != version:
            continue
        if not filename.endswith(".whl"):
            sdist = sdist or filename
            continue
        for tag in parse_wheel_filename(filename)[3]:
            info = describe_platform(tag.platform)
            key = (info.os, info.arch or tag.platform, info.libc or "")
            groups.setdefault(key, set()).add(tag.interpreter)
            if info.libc_version is not None:
                current = min_libc.get(key)
                min_libc[key] = min(current, info.libc_version) if current else info.libc_version
    return ReleaseCoverage(
        project=name,
        version=str(version),
        groups=tuple(
            sorted(
                PlatformGroup(
                    os, arch, libc, tuple(sorted(pythons)), min_libc.get((os, arch, libc))
                )
                for (os, arch, libc), pythons in groups.items()
            )
        ),
        sdist=sdist,
    )
