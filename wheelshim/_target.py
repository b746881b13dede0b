"""Targets: where pip would run, described completely enough to predict its choices.

A :class:`Target` carries the ordered wheel tags, the full Python version used for
``Requires-Python``, and a complete PEP 508 marker environment. It is built from one of:

* a Docker platform (``linux/arm64``) plus Python, implementation and libc: the tags of a
  native pip inside that container (:meth:`Target.from_docker`);
* an official image name (``python:3.9-slim``) plus a Docker platform
  (:meth:`Target.from_image`);
* pip's own target flags (:meth:`Target.from_pip_flags`), reproducing ``pip debug --verbose``;
* the running interpreter (:meth:`Target.host`).
"""

from __future__ import annotations

import platform as _platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from packaging import tags as ptags
from packaging.markers import default_environment

from wheelshim._exceptions import InvalidTarget
from wheelshim._platforms import TargetFacts, describe_platform
from wheelshim._tags import Libc, native_platforms, native_tags, pip_flag_tags

__all__ = [
    "DEFAULT_GLIBC",
    "DOCKER_PLATFORMS",
    "PythonSpec",
    "Target",
    "parse_libc",
    "parse_pip_python_version",
    "parse_python",
]


@dataclass(frozen=True)
class _DockerArch:
    machine: str  # platform.machine() / uname -m inside the container
    wheel_arch: str  # the architecture part of wheel platform tags


#: Docker platform names and what the interpreter inside such a container reports.
DOCKER_PLATFORMS: Mapping[str, _DockerArch] = MappingProxyType(
    {
        "linux/amd64": _DockerArch("x86_64", "x86_64"),
        "linux/arm64": _DockerArch("aarch64", "aarch64"),
        "linux/arm64/v8": _DockerArch("aarch64", "aarch64"),
        "linux/arm/v7": _DockerArch("armv7l", "armv7l"),
        "linux/arm/v6": _DockerArch("armv6l", "armv6l"),
        "linux/386": _DockerArch("i686", "i686"),
        "linux/ppc64le": _DockerArch("ppc64le", "ppc64le"),
        "linux/s390x": _DockerArch("s390x", "s390x"),
        "linux/riscv64": _DockerArch("riscv64", "riscv64"),
    }
)
_DOCKER_ALIASES = {
    "linux/x86_64": "linux/amd64",
    "linux/aarch64": "linux/arm64",
    "linux/arm": "linux/arm/v7",
}

#: The glibc of Debian 13 (trixie), the base of the official ``python:3.X-slim`` images.
DEFAULT_GLIBC = Libc("glibc", (2, 41))
DEFAULT_LIBC_NOTE = "glibc 2.41, as in the Debian 13 (trixie) based python:X-slim images"
#: Alpine 3.13 and newer ship musl 1.2; older ones musl 1.1.
DEFAULT_MUSL = Libc("musl", (1, 2))

_DEBIAN_GLIBC = {
    "buster": (2, 28),
    "bullseye": (2, 31),
    "bookworm": (2, 36),
    "trixie": (2, 41),
}
_PYTHON_RE = re.compile(r"^(?:(?:cp|py|python)?)(\d+)(?:\.(\d+))?(?:\.(\d+))?(t)?$")
_LIBC_RE = re.compile(r"^(glibc|musl)[-_ ]?(\d+)\.(\d+)$")
_IMAGE_RE = re.compile(
    r"^(?:(?:docker\.io/)?(?:library/)?)(python|pypy):(\d+(?:\.\d+){0,2})(t)?"
    r"(?:-(slim|alpine)?-?([a-z]+|\d+\.\d+)?)?$"
)


@dataclass(frozen=True)
class PythonSpec:
    """A Python version as the user gave it: ``3.9``, ``3.9.18`` or free-threaded ``3.13t``."""

    version: tuple[int, ...]
    free_threaded: bool = False

    @property
    def minor(self) -> tuple[int, int]:
        """The ``(major, minor)`` pair used for tags."""
        return (self.version[0], self.version[1] if len(self.version) > 1 else 0)

    @property
    def full(self) -> tuple[int, int, int]:
        """The version padded with zeros to three parts, as pip pads it (PIP_RULES D1)."""
        padded = (*self.version, 0, 0)[:3]
        return (padded[0], padded[1], padded[2])

    def __str__(self) -> str:
        return ".".join(map(str, self.version)) + ("t" if self.free_threaded else "")


def parse_python(text: str) -> PythonSpec:
    """Parse ``--python``: ``3.9``, ``3.9.18``, ``3.13t``, ``39`` or ``cp39``.

    >>> parse_python("3.13t")
    PythonSpec(version=(3, 13), free_threaded=True)
    >>> parse_python("3.9.21").full
    (3, 9, 21)
    """
    match = _PYTHON_RE.match(text.strip())
    if not match:
        raise InvalidTarget(
            f"invalid Python version {text!r}: use a version such as 3.9, 3.9.18 or 3.13t"
        )
    major, minor, patch, threaded = match.groups()
    if minor is None and len(major) > 1:  # "39", "310" as pip spells them
        major, minor = major[0], major[1:]
    if minor is None:
        raise InvalidTarget(f"invalid Python version {text!r}: give at least major.minor, e.g. 3.9")
    parts = tuple(int(p) for p in (major, minor, patch) if p is not None)
    if threaded and parts[:2] < (3, 13):
        raise InvalidTarget(f"invalid Python version {text!r}: free-threading starts at 3.13t")
    return PythonSpec(parts, free_threaded=bool(threaded))


def parse_pip_python_version(text: str) -> tuple[int, ...]:
    """pip's ``--python-version`` parsing (``cmdoptions._convert_python_version``).

    >>> parse_pip_python_version("310")
    (3, 10)
    >>> parse_pip_python_version("3.9.1")
    (3, 9, 1)
    """
    parts = text.split(".") if "." in text else ([text[0], text[1:]] if len(text) > 1 else [text])
    if len(parts) > 3:
        raise InvalidTarget(
            f"invalid --python-version value: {text!r}: at most three version parts are allowed"
        )
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise InvalidTarget(
            f"invalid --python-version value: {text!r}: each version part must be an integer"
        ) from None


def parse_libc(text: str) -> Libc:
    """Parse ``--libc``: ``glibc-2.36``, ``musl-1.2``, or a Debian codename such as ``bookworm``.

    >>> parse_libc("glibc-2.36")
    Libc('glibc', (2, 36))
    >>> parse_libc("bullseye")
    Libc('glibc', (2, 31))
    """
    lowered = text.strip().lower()
    if lowered in _DEBIAN_GLIBC:
        return Libc("glibc", _DEBIAN_GLIBC[lowered])
    match = _LIBC_RE.match(lowered)
    if not match:
        raise InvalidTarget(
            f"invalid libc {text!r}: use glibc-X.Y (e.g. glibc-2.36), musl-1.Y, or a Debian "
            "codename (bullseye, bookworm, trixie)"
        )
    kind, major, minor = match.groups()
    return Libc(kind, (int(major), int(minor)))


def normalize_docker_platform(text: str) -> str:
    """Canonical Docker platform name, or :class:`InvalidTarget` naming the known ones."""
    lowered = text.strip().lower()
    lowered = _DOCKER_ALIASES.get(lowered, lowered)
    if lowered not in DOCKER_PLATFORMS:
        known = ", ".join(DOCKER_PLATFORMS)
        raise InvalidTarget(f"unknown Docker platform {text!r}: use one of {known}")
    return lowered


def _target_environment(
    machine: str, python: tuple[int, int, int], implementation: str, system: str = "Linux"
) -> dict[str, str]:
    """A complete PEP 508 environment; nothing is taken from the host."""
    full = ".".join(map(str, python))
    impl_name = {"cp": "cpython", "pp": "pypy"}.get(implementation, implementation)
    impl_display = {"cp": "CPython", "pp": "PyPy"}.get(implementation, implementation)
    # PyPy 7.3 is the PyPy behind every pp73 ABI; CPython reports its own version.
    impl_version = "7.3.0" if implementation == "pp" else full
    return {
        "implementation_name": impl_name,
        "implementation_version": impl_version,
        "os_name": "posix" if system != "Windows" else "nt",
        "platform_machine": machine,
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": full,
        "platform_python_implementation": impl_display,
        "python_version": f"{python[0]}.{python[1]}",
        "sys_platform": {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}[system],
    }


def _machine_from_platform_tags(platforms: Sequence[str]) -> tuple[str, str]:
    """Best guess of (system, machine) for pip-flag targets, from their first platform tag."""
    first = platforms[0] if platforms else ""
    if first.startswith("win"):
        return "Windows", {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64"}.get(
            first, "AMD64"
        )
    if first.startswith("macosx"):
        return "Darwin", first.rsplit("_", 1)[-1].replace("universal2", "arm64")
    for prefix in (
        "manylinux_",
        "musllinux_",
        "manylinux2014_",
        "manylinux2010_",
        "manylinux1_",
        "linux_",
    ):
        if first.startswith(prefix):
            rest = first[len(prefix) :]
            if prefix in ("manylinux_", "musllinux_"):
                rest = rest.split("_", 2)[-1]
            return "Linux", rest
    return "Linux", first


@dataclass(frozen=True)
class Target:
    """Everything pip's choice depends on, with host state kept out.

    ``tags`` is ordered most preferred first. ``python`` keeps the version as given;
    ``python.full`` (padded to three parts as pip pads it) is what ``Requires-Python`` is
    checked against. ``environment`` is a complete PEP 508 marker environment for the
    target. ``pip_flag_mode`` is true for targets made from pip's own flags: pip in that
    mode evaluates environment markers against the host, which explanations point out.
    """

    id: str
    python: PythonSpec
    implementation: str
    abis: tuple[str, ...]
    platforms: tuple[str, ...]
    tags: tuple[ptags.Tag, ...] = field(repr=False)
    environment: Mapping[str, str] = field(repr=False, compare=False)
    docker_platform: str | None = None
    libc: Libc | None = None
    libc_note: str | None = None
    image: str | None = None
    pip_flag_mode: bool = False

    @cached_property
    def tag_priority(self) -> Mapping[ptags.Tag, int]:
        """Index of each tag in :attr:`tags` (0 is best), for constant-time lookups."""
        priority: dict[ptags.Tag, int] = {}
        for index, tag in enumerate(self.tags):
            priority.setdefault(tag, index)
        return MappingProxyType(priority)

    @cached_property
    def mismatch_facts(self) -> TargetFacts:
        """What :func:`classify_mismatch` compares a wheel against."""
        platform = describe_platform(self.platforms[0]) if self.platforms else None
        libc = self.libc
        return TargetFacts(
            os=platform.os if platform and platform.os != "other" else "linux",
            arch=(platform.arch if platform and platform.arch else self.machine),
            libc=libc.kind if libc else (platform.libc if platform else None),
            libc_version=libc.version if libc else (platform.libc_version if platform else None),
            implementation=self.implementation,
            python=self.python.minor,
            abis=self.abis,
            platforms=frozenset(self.platforms),
            pip_flag_mode=self.pip_flag_mode,
        )

    @property
    def machine(self) -> str:
        """``platform_machine`` of the target."""
        return self.environment["platform_machine"]

    @classmethod
    def from_docker(
        cls,
        docker_platform: str,
        *,
        python: PythonSpec | str,
        implementation: str = "cp",
        libc: Libc | str | None = None,
        image: str | None = None,
        libc_note: str | None = None,
    ) -> Target:
        """The target of a native pip inside a Linux container of ``docker_platform``."""
        name = normalize_docker_platform(docker_platform)
        spec = parse_python(python) if isinstance(python, str) else python
        impl = _check_implementation(implementation, spec)
        chosen_libc, note = _choose_libc(libc, libc_note)
        arch = DOCKER_PLATFORMS[name]
        platforms = native_platforms(arch.wheel_arch, chosen_libc)
        tags = native_tags(impl, spec.minor, platforms, free_threaded=spec.free_threaded)
        abis = tuple(dict.fromkeys(tag.abi for tag in tags if tag.abi not in ("none", "abi3")))
        return cls(
            id=_docker_target_id(name, impl, spec, chosen_libc),
            python=spec,
            implementation=impl,
            abis=abis,
            platforms=platforms,
            tags=tuple(tags),
            environment=MappingProxyType(_target_environment(arch.machine, spec.full, impl)),
            docker_platform=name,
            libc=chosen_libc,
            libc_note=note,
            image=image,
        )

    @classmethod
    def from_image(cls, image: str, *, docker_platform: str = "linux/amd64") -> Target:
        """The target of an official ``python:`` or ``pypy:`` image, e.g. ``python:3.9-slim``."""
        match = _IMAGE_RE.match(image.strip())
        if not match:
            raise InvalidTarget(
                f"unsupported image {image!r}: use an official python:X[-slim|-alpine][-<debian>] "
                "or pypy:X image, or give --platform, --python and --libc instead"
            )
        kind, version, threaded, variant, suffix = match.groups()
        spec = parse_python(version + (threaded or ""))
        libc, note = _image_libc(variant, suffix)
        return cls.from_docker(
            docker_platform,
            python=spec,
            implementation="pp" if kind == "pypy" else "cp",
            libc=libc,
            image=image.strip(),
            libc_note=note,
        )

    @classmethod
    def from_pip_flags(
        cls,
        *,
        platforms: Sequence[str] | None = None,
        python_version: tuple[int, ...] | str | None = None,
        implementation: str | None = None,
        abis: Sequence[str] | None = None,
        docker_platform: str | None = None,
    ) -> Target:
        """The target pip builds from ``--platform/--python-version/--implementation/--abi``.

        Tags are exactly pip's (``pip debug --verbose`` for the same flags). Like pip,
        omitted flags default to the running interpreter's values.
        """
        version = (
            parse_pip_python_version(python_version)
            if isinstance(python_version, str)
            else python_version
        )
        tags = pip_flag_tags(
            platforms=platforms, python_version=version, implementation=implementation, abis=abis
        )
        spec = _pip_flag_python(version)
        impl = implementation or ptags.interpreter_name()
        system, machine = _machine_from_platform_tags(
            list(platforms) if platforms else [next(iter(ptags.platform_tags()), "")]
        )
        abi_list = (
            tuple(abis)
            if abis
            else tuple(dict.fromkeys(tag.abi for tag in tags if tag.abi not in ("none", "abi3")))
        )
        return cls(
            id=_pip_flag_target_id(platforms, spec, impl, abi_list),
            python=spec,
            implementation=impl,
            abis=abi_list,
            platforms=tuple(dict.fromkeys(tag.platform for tag in tags)),
            tags=tuple(tags),
            environment=MappingProxyType(_target_environment(machine, spec.full, impl, system)),
            docker_platform=docker_platform,
            pip_flag_mode=True,
        )

    @classmethod
    def host(cls) -> Target:
        """The running interpreter: ``tags`` equals ``list(packaging.tags.sys_tags())``."""
        tags = tuple(ptags.sys_tags())
        environment = {key: str(value) for key, value in default_environment().items()}
        spec = PythonSpec(tuple(sys.version_info[:3]), free_threaded=_host_free_threaded())
        return cls(
            id=f"host ({_platform.machine()}, {ptags.interpreter_name()}{spec.minor[0]}"
            f"{spec.minor[1]})",
            python=spec,
            implementation=ptags.interpreter_name(),
            abis=tuple(dict.fromkeys(tag.abi for tag in tags if tag.abi not in ("none", "abi3"))),
            platforms=tuple(dict.fromkeys(tag.platform for tag in tags)),
            tags=tags,
            environment=MappingProxyType(environment),
        )


def _host_free_threaded() -> bool:
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _check_implementation(implementation: str, spec: PythonSpec) -> str:
    impl = {"cpython": "cp", "pypy": "pp"}.get(implementation.lower(), implementation.lower())
    if impl not in ("cp", "pp"):
        raise InvalidTarget(
            f"unsupported implementation {implementation!r} for a Docker platform: use cp or pp"
        )
    if impl == "pp" and spec.free_threaded:
        raise InvalidTarget("PyPy has no free-threaded build: drop the 't' from --python")
    return impl


def _choose_libc(libc: Libc | str | None, note: str | None) -> tuple[Libc, str | None]:
    if libc is None:
        return DEFAULT_GLIBC, note or DEFAULT_LIBC_NOTE
    return (parse_libc(libc) if isinstance(libc, str) else libc), note


def _image_libc(variant: str | None, suffix: str | None) -> tuple[Libc, str]:
    if variant == "alpine" or (suffix or "").startswith("alpine"):
        version = suffix if suffix and re.fullmatch(r"\d+\.\d+", suffix) else None
        if version and tuple(map(int, version.split("."))) < (3, 13):
            return Libc("musl", (1, 1)), f"musl 1.1, as in Alpine {version}"
        return DEFAULT_MUSL, f"musl 1.2, as in Alpine {version or '3.13 and newer'}"
    if suffix in _DEBIAN_GLIBC:
        glibc = _DEBIAN_GLIBC[suffix]
        return Libc("glibc", glibc), f"glibc {glibc[0]}.{glibc[1]}, as in Debian {suffix}"
    return DEFAULT_GLIBC, DEFAULT_LIBC_NOTE


def _pip_flag_python(version: tuple[int, ...] | None) -> PythonSpec:
    if version is None:
        return PythonSpec(tuple(sys.version_info[:3]))
    if len(version) == 1:
        return PythonSpec((version[0], 0))
    return PythonSpec(version)


def _docker_target_id(name: str, impl: str, spec: PythonSpec, libc: Libc) -> str:
    return f"{name} {impl}{spec} {libc.kind}-{libc.version[0]}.{libc.version[1]}"


def _pip_flag_target_id(
    platforms: Sequence[str] | None, spec: PythonSpec, impl: str, abis: Sequence[str]
) -> str:
    shown = ",".join(platforms) if platforms else "host-platforms"
    if platforms and len(platforms) > 3:
        shown = f"{platforms[0]}..{platforms[-1]} ({len(platforms)} platforms)"
    return f"{shown} {impl}{spec} {'+'.join(abis) or 'default-abi'}"


@dataclass(frozen=True)
class TargetOptions:
    """Target options as the command line gives them; :func:`targets_from_options` combines.

    ``platforms`` mixes Docker platforms (they contain ``/``) and pip platform tags. Each
    Docker platform is one target per Python version; all pip platform tags together form
    one pip-flag target, as repeated ``--platform`` does for pip.
    """

    platforms: tuple[str, ...] = ()
    pythons: tuple[str, ...] = ()
    pip_python_version: str | None = None
    implementation: str | None = None
    abis: tuple[str, ...] = ()
    libc: str | None = None
    images: tuple[str, ...] = ()


def host_docker_platform() -> str:
    """The Docker platform ``docker build`` uses by default on this machine."""
    machine = _platform.machine().lower()
    return {
        "arm64": "linux/arm64",
        "aarch64": "linux/arm64",
        "armv7l": "linux/arm/v7",
        "i686": "linux/386",
        "i386": "linux/386",
    }.get(machine, "linux/amd64")


def _default_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def targets_from_options(options: TargetOptions) -> list[Target]:
    """Build the targets the options describe, in the order given.

    With no platform and no image, the target is the Docker platform of this machine
    (``linux/arm64`` on Apple Silicon). With no Python version, the running interpreter's
    minor version is used. ``--python-version`` is pip's spelling and sets the Python of
    every target when ``--python`` is absent.
    """
    docker = [p for p in options.platforms if "/" in p]
    pip_platforms = [p for p in options.platforms if "/" not in p]
    pythons = list(options.pythons) or (
        [".".join(map(str, parse_pip_python_version(options.pip_python_version)))]
        if options.pip_python_version
        else [_default_python()]
    )
    targets: list[Target] = []
    for image in options.images:
        for docker_platform in docker or [host_docker_platform()]:
            targets.append(Target.from_image(image, docker_platform=docker_platform))
    if not options.images:
        if not docker and not pip_platforms:
            docker = [host_docker_platform()]
        targets.extend(
            Target.from_docker(
                name,
                python=python,
                implementation=options.implementation or "cp",
                libc=options.libc,
            )
            for name in docker
            for python in pythons
        )
    if pip_platforms or (options.abis and not docker and not options.images):
        targets.append(_pip_flag_target(options, pip_platforms, pythons))
    return list(dict.fromkeys(targets))


def _pip_flag_target(
    options: TargetOptions, pip_platforms: Sequence[str], pythons: Sequence[str]
) -> Target:
    version: tuple[int, ...] | None = None
    if options.pip_python_version:
        version = parse_pip_python_version(options.pip_python_version)
    elif options.pythons:
        version = parse_python(pythons[0]).version
    return Target.from_pip_flags(
        platforms=pip_platforms or None,
        python_version=version,
        implementation=options.implementation,
        abis=options.abis or None,
    )
