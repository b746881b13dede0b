"""Which platforms and Pythons a release publishes wheels for.

Used to say *why* a target gets no wheel ("linux x86_64 cp36–cp310, macOS x86_64:
none for linux aarch64") and by the ``coverage`` command.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from wheelshim._platforms import _interpreter_parts, describe_platform

__all__ = [
    "CoverageReport",
    "PlatformGroup",
    "PlatformHistory",
    "ReleaseCoverage",
    "coverage_report",
    "file_version",
    "release_coverage",
]

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


def _python_label(interpreter: str, abi: str) -> str:
    """``cp313`` or, for a free-threaded build, ``cp313t``."""
    threaded = abi.startswith("cp") and abi.endswith("t")
    return f"{interpreter}t" if threaded else interpreter


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
            groups.setdefault(key, set()).add(_python_label(tag.interpreter, tag.abi))
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


@dataclass(frozen=True)
class PlatformHistory:
    """When one platform (OS, architecture, libc) first got a wheel."""

    os: str
    arch: str
    libc: str
    first_version: str

    @property
    def label(self) -> str:
        """The platform in words, as :attr:`PlatformGroup.label`."""
        return PlatformGroup(self.os, self.arch, self.libc, ()).label


@dataclass(frozen=True)
class CoverageReport:
    """A release's wheels by platform and Python, with the platform history.

    ``trap`` is the situation of the article: a macOS arm64 wheel exists (so it works
    on the developer's Mac) but no Linux aarch64 wheel (so it fails in Docker there).
    ``missing_linux`` lists the common Linux platforms without a wheel, and
    ``cibuildwheel`` the settings that would add them.
    """

    release: ReleaseCoverage
    history: tuple[PlatformHistory, ...]
    pythons: tuple[str, ...]
    trap: bool
    missing_linux: tuple[str, ...]
    cibuildwheel: tuple[str, ...]


# The Linux platforms an image on Docker Desktop or a cloud machine most often needs.
_COMMON_LINUX = (("x86_64", "glibc"), ("aarch64", "glibc"), ("x86_64", "musl"), ("aarch64", "musl"))


def _history(project: NormalizedName, filenames: Sequence[str]) -> tuple[PlatformHistory, ...]:
    first: dict[tuple[str, str, str], Version] = {}
    for filename in filenames:
        if not filename.endswith(".whl"):
            continue
        version = file_version(filename, project)
        if version is None or version.is_prerelease:
            continue
        for tag in parse_wheel_filename(filename)[3]:
            info = describe_platform(tag.platform)
            key = (info.os, info.arch or tag.platform, info.libc or "")
            if key not in first or version < first[key]:
                first[key] = version
    return tuple(
        PlatformHistory(os, arch, libc, str(version))
        for (os, arch, libc), version in sorted(first.items(), key=lambda item: item[1])
    )


def _cibuildwheel_settings(missing: Sequence[str], free_threaded_missing: bool) -> tuple[str, ...]:
    settings: list[str] = []
    if any("aarch64" in item for item in missing):
        settings.append(
            'CIBW_ARCHS_LINUX="x86_64 aarch64"   (or [tool.cibuildwheel.linux] archs = '
            '["x86_64", "aarch64"]; build on an arm64 runner such as ubuntu-24.04-arm, or '
            "under QEMU with docker/setup-qemu-action)"
        )
    if any("musl" in item for item in missing):
        settings.append(
            'remove "*-musllinux_*" from CIBW_SKIP (cibuildwheel builds musllinux wheels by '
            "default)"
        )
    if free_threaded_missing:
        settings.append(
            'CIBW_ENABLE="cpython-freethreading"   (or [tool.cibuildwheel] enable = '
            '["cpython-freethreading"]) for cp313t wheels'
        )
    return tuple(settings)


def coverage_report(
    project: str, filenames: Sequence[str], version: Version | None = None
) -> CoverageReport | None:
    """The coverage of ``version`` (default: the newest final release with files).

    Returns None when the project has no release with files.
    """
    name = canonicalize_name(project)
    versions = {v for f in filenames if (v := file_version(f, name)) is not None}
    finals = [v for v in versions if not v.is_prerelease] or list(versions)
    chosen = version if version is not None else (max(finals) if finals else None)
    if chosen is None or chosen not in versions:
        return None
    release = release_coverage(name, filenames, chosen)
    pythons = sorted({p for g in release.groups for p in g.interpreters}, key=_interpreter_parts)
    has_pure = any(group.os == "any" for group in release.groups)
    missing = (
        ()
        if has_pure
        else tuple(
            f"linux {arch}" + (" musl" if libc == "musl" else "")
            for arch, libc in _COMMON_LINUX
            if not release.has_linux_wheel_for(arch, libc)
        )
    )
    compiled = [_interpreter_parts(p)[1] for p in pythons if p.startswith("cp")]
    free_threaded_missing = (
        not has_pure
        and any(version >= (3, 13) for version in compiled)
        and not any(p.endswith("t") for p in pythons)
    )
    trap = release.has_macos_arm64() and not release.has_linux_wheel_for("aarch64", None)
    return CoverageReport(
        release=release,
        history=_history(name, filenames),
        pythons=tuple(pythons),
        trap=trap,
        missing_linux=missing,
        cibuildwheel=_cibuildwheel_settings(missing, free_threaded_missing),
    )
