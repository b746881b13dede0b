"""What a wheel's platform and interpreter tags mean, and why a wheel does not fit a target.

pip only says "none of the wheel's tags are compatible"; wheelshim says which part of the
tag is wrong (operating system, architecture, libc kind, glibc/musl level, Python version,
implementation, ABI) so a user knows what kind of fix can work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from packaging.tags import Tag

__all__ = ["MismatchKind", "PlatformInfo", "TagMismatch", "classify_mismatch", "describe_platform"]

_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(.+)$")
_MUSLLINUX = re.compile(r"^musllinux_(\d+)_(\d+)_(.+)$")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MACOS = re.compile(r"^macosx_(\d+)_(\d+)_(.+)$")
_WINDOWS_ARCH = {"win32": "x86", "win_amd64": "x86_64", "win_arm64": "aarch64", "win_ia64": "ia64"}
_MAC_ARCH = {"arm64": "aarch64", "x86_64": "x86_64", "universal2": "universal2", "intel": "x86_64"}
_INTERPRETER = re.compile(r"^([a-z]+?)(\d)(\d*)$")


class MismatchKind(StrEnum):
    """The part of a wheel's tags that keeps it off a target, most basic first."""

    OPERATING_SYSTEM = "operating-system"
    ARCHITECTURE = "architecture"
    LIBC_KIND = "libc-kind"
    LIBC_TOO_OLD = "libc-too-old"
    PLATFORM_NOT_LISTED = "platform-not-listed"
    IMPLEMENTATION = "implementation"
    PYTHON_VERSION = "python-version"
    ABI = "abi"


@dataclass(frozen=True)
class PlatformInfo:
    """A platform tag taken apart: ``os`` is linux, macos, windows, any or other."""

    tag: str
    os: str
    arch: str | None = None
    libc: str | None = None
    libc_version: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """Human words: ``linux aarch64 (glibc 2.17+)``, ``macOS arm64``, ``any platform``."""
        if self.os == "any":
            return "any platform"
        if self.os == "macos":
            arch = "arm64" if self.arch == "aarch64" else self.arch
            return f"macOS {arch}"
        if self.os == "windows":
            return f"Windows {self.arch}"
        if self.os == "linux" and self.libc:
            level = ".".join(map(str, self.libc_version)) if self.libc_version else "?"
            return f"linux {self.arch} ({self.libc} {level}+)"
        return f"{self.os} {self.arch or self.tag}"


def describe_platform(tag: str) -> PlatformInfo:
    """Take a platform tag apart.

    >>> describe_platform("manylinux2014_aarch64").label
    'linux aarch64 (glibc 2.17+)'
    >>> describe_platform("macosx_11_0_arm64").label
    'macOS arm64'
    """
    if tag == "any":
        return PlatformInfo(tag, "any")
    if match := _MANYLINUX.match(tag):
        return PlatformInfo(tag, "linux", match[3], "glibc", (int(match[1]), int(match[2])))
    if match := _MUSLLINUX.match(tag):
        return PlatformInfo(tag, "linux", match[3], "musl", (int(match[1]), int(match[2])))
    prefix, _, arch = tag.partition("_")
    if prefix in _LEGACY:
        return PlatformInfo(tag, "linux", arch, "glibc", _LEGACY[prefix])
    if prefix == "linux":
        return PlatformInfo(tag, "linux", arch)
    if match := _MACOS.match(tag):
        return PlatformInfo(tag, "macos", _MAC_ARCH.get(match[3], match[3]))
    if tag in _WINDOWS_ARCH:
        return PlatformInfo(tag, "windows", _WINDOWS_ARCH[tag])
    return PlatformInfo(tag, "other", arch or None)


@dataclass(frozen=True)
class TagMismatch:
    """Why a wheel's tags do not fit: the kind, and the file's side of the story.

    ``wheel`` describes the closest of the wheel's platforms; ``needed`` is what the target
    has on that point (for example ``glibc 2.31``); ``interpreters`` lists the wheel's
    Python tags when the mismatch is about Python.
    """

    kind: MismatchKind
    wheel: str
    needed: str
    interpreters: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetFacts:
    """The few facts about a target that mismatch classification compares against."""

    os: str
    arch: str
    libc: str | None
    libc_version: tuple[int, int] | None
    implementation: str
    python: tuple[int, int]
    abis: tuple[str, ...]
    platforms: frozenset[str]
    pip_flag_mode: bool


def _platform_mismatch(infos: list[PlatformInfo], facts: TargetFacts) -> TagMismatch:
    target_words = f"{facts.os} {facts.arch}"
    same_os = [info for info in infos if info.os == facts.os]
    if not same_os:
        return TagMismatch(MismatchKind.OPERATING_SYSTEM, infos[0].label, target_words)
    same_arch = [info for info in same_os if info.arch == facts.arch]
    if not same_arch:
        return TagMismatch(MismatchKind.ARCHITECTURE, same_os[0].label, target_words)
    same_libc = [info for info in same_arch if info.libc == facts.libc or info.libc is None]
    if not same_libc:
        return TagMismatch(MismatchKind.LIBC_KIND, same_arch[0].label, facts.libc or "?")
    versioned = [info for info in same_libc if info.libc_version is not None]
    if (
        facts.libc_version
        and versioned
        and all(
            info.libc_version is not None and info.libc_version > facts.libc_version
            for info in versioned
        )
    ):
        lowest = min(versioned, key=lambda info: info.libc_version or (0, 0))
        level = ".".join(map(str, facts.libc_version))
        return TagMismatch(MismatchKind.LIBC_TOO_OLD, lowest.label, f"{facts.libc} {level}")
    listed = ", ".join(sorted(facts.platforms)[:3])
    return TagMismatch(MismatchKind.PLATFORM_NOT_LISTED, same_libc[0].tag, listed)


def _interpreter_parts(interpreter: str) -> tuple[str, tuple[int, ...]]:
    match = _INTERPRETER.match(interpreter)
    if not match:
        return interpreter, ()
    digits = match[3]
    version = (int(match[2]), int(digits)) if digits else (int(match[2]),)
    return match[1], version


def _interpreter_mismatch(tags: list[Tag], facts: TargetFacts) -> TagMismatch:
    interpreters = tuple(sorted({tag.interpreter for tag in tags}, key=_interpreter_sort_key))
    implementations = {_interpreter_parts(tag.interpreter)[0] for tag in tags}
    wanted = f"{facts.implementation}{facts.python[0]}{facts.python[1]}"
    shown = ", ".join(interpreters)
    if facts.implementation not in implementations and "py" not in implementations:
        return TagMismatch(MismatchKind.IMPLEMENTATION, shown, wanted, interpreters)
    if any(tag.abi == "abi3" for tag in tags) and facts.implementation != "cp":
        return TagMismatch(MismatchKind.IMPLEMENTATION, shown, wanted, interpreters)
    same_version = [tag for tag in tags if _interpreter_parts(tag.interpreter)[1] == facts.python]
    if not same_version and not any(tag.abi == "abi3" for tag in tags):
        return TagMismatch(MismatchKind.PYTHON_VERSION, shown, wanted, interpreters)
    abis = ", ".join(sorted({tag.abi for tag in tags}))
    return TagMismatch(MismatchKind.ABI, abis, "/".join(facts.abis) or wanted, interpreters)


def _interpreter_sort_key(interpreter: str) -> tuple[str, tuple[int, ...]]:
    name, version = _interpreter_parts(interpreter)
    return name, version


def classify_mismatch(wheel_tags: Iterable[Tag], facts: TargetFacts) -> TagMismatch:
    """Name the reason none of ``wheel_tags`` is among the target's tags.

    Platform problems are reported before interpreter problems: a wheel for the wrong
    architecture is "wrong architecture" even if its Python version is also wrong.
    """
    tags = list(wheel_tags)
    fitting = [tag for tag in tags if tag.platform == "any" or tag.platform in facts.platforms]
    if not fitting:
        infos = [describe_platform(platform) for platform in sorted({t.platform for t in tags})]
        return _platform_mismatch(infos, facts)
    return _interpreter_mismatch(fitting, facts)
