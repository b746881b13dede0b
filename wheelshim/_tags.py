"""Ordered wheel tags, computed the two ways pip computes them.

* :func:`pip_flag_tags` is pip's ``compatibility_tags.get_supported`` for its target flags
  (``--platform``, ``--python-version``, ``--implementation``, ``--abi``): the list
  ``pip debug --verbose`` prints, with pip's literal platform handling (PIP_RULES D2).
* :func:`native_platforms` and :func:`native_tags` give what a *native* pip running inside
  a Linux container computes with ``packaging.tags.sys_tags()``: every ``manylinux_2_N``
  from the container's glibc down to the architecture's floor with the legacy aliases,
  ``musllinux_1_N`` for musl, then ``linux_<arch>``.

Nothing here reads the running interpreter except where pip itself does (the defaults of
:func:`pip_flag_tags` when a flag is omitted), so a target's tags never depend on the host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from packaging import tags as ptags

__all__ = [
    "Libc",
    "expand_pip_platforms",
    "native_abis",
    "native_platforms",
    "native_tags",
    "pip_flag_tags",
]

# Architectures whose oldest manylinux glibc is 2.5 (PEP 513); every other one starts at 2.17.
_X86_ARCHS = frozenset({"x86_64", "i686"})
# packaging._manylinux._LEGACY_MANYLINUX_MAP: the PEP 513/571/599 names of glibc levels.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
# packaging._manylinux._LAST_GLIBC_MINOR: assumed last minor of an older glibc major.
_LAST_GLIBC_MINOR_DEFAULT = 50
# Architectures a manylinux tag can name. packaging refuses manylinux for 32-bit ARM
# unless the interpreter is armhf (armv7l); armv6l therefore only gets linux_armv6l.
_MANYLINUX_ARCHS = frozenset(
    {"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64"}
)
# pip's _apple_arch_pat and the android pattern of compatibility_tags (pip 26.3).
_OSX_ARCH = re.compile(r"(.+)_(\d+)_(\d+)_(.+)")
_ANDROID = re.compile(r"android_(\d+)_(.+)")


class Libc:
    """A C library kind and version, such as glibc 2.36 or musl 1.2."""

    __slots__ = ("kind", "version")

    def __init__(self, kind: str, version: tuple[int, int]) -> None:
        if kind not in ("glibc", "musl"):
            raise ValueError(f"unknown libc {kind!r}")
        self.kind = kind
        self.version = version

    def __repr__(self) -> str:
        return f"Libc({self.kind!r}, {self.version!r})"

    def __str__(self) -> str:
        return f"{self.kind} {self.version[0]}.{self.version[1]}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Libc) and (self.kind, self.version) == (other.kind, other.version)

    def __hash__(self) -> int:
        return hash((self.kind, self.version))


def _manylinux_platforms(arch: str, glibc: tuple[int, int]) -> Iterator[str]:
    """packaging._manylinux.platform_tags for one architecture and a given glibc."""
    if arch not in _MANYLINUX_ARCHS:
        return
    too_old = (2, 4) if arch in _X86_ARCHS else (2, 16)
    maxima = [glibc] + [(major, _LAST_GLIBC_MINOR_DEFAULT) for major in range(glibc[0] - 1, 1, -1)]
    for major, top_minor in maxima:
        floor = too_old[1] if major == too_old[0] else -1
        for minor in range(top_minor, floor, -1):
            yield f"manylinux_{major}_{minor}_{arch}"
            legacy = _LEGACY_MANYLINUX.get((major, minor))
            if legacy:
                yield f"{legacy}_{arch}"


def _musllinux_platforms(arch: str, musl: tuple[int, int]) -> Iterator[str]:
    major, top_minor = musl
    for minor in range(top_minor, -1, -1):
        yield f"musllinux_{major}_{minor}_{arch}"


def native_platforms(arch: str, libc: Libc) -> tuple[str, ...]:
    """Platform tags a native pip in a Linux container with ``arch`` and ``libc`` accepts.

    Most preferred first, in ``packaging.tags._linux_platforms`` order.

    >>> native_platforms("aarch64", Libc("glibc", (2, 18)))
    ('manylinux_2_18_aarch64', 'manylinux_2_17_aarch64', 'manylinux2014_aarch64', 'linux_aarch64')
    >>> native_platforms("x86_64", Libc("musl", (1, 1)))
    ('musllinux_1_1_x86_64', 'musllinux_1_0_x86_64', 'linux_x86_64')
    """
    if libc.kind == "glibc":
        libc_platforms = list(_manylinux_platforms(arch, libc.version))
    else:
        libc_platforms = list(_musllinux_platforms(arch, libc.version))
    return (*libc_platforms, f"linux_{arch}")


def native_abis(implementation: str, python: tuple[int, int], *, free_threaded: bool) -> list[str]:
    """The ABI tags of a release build of the interpreter (``_cpython_abis`` / ``_generic_abi``).

    >>> native_abis("cp", (3, 7), free_threaded=False)
    ['cp37m']
    >>> native_abis("cp", (3, 13), free_threaded=True)
    ['cp313t']
    >>> native_abis("pp", (3, 10), free_threaded=False)
    ['pypy310_pp73']
    """
    nodot = f"{python[0]}{python[1]}"
    if implementation == "pp":
        return [f"pypy{nodot}_pp73"]
    if implementation != "cp":
        return []
    pymalloc = "m" if python < (3, 8) else ""
    threading = "t" if free_threaded else ""
    return [f"cp{nodot}{threading}{pymalloc}"]


def native_tags(
    implementation: str,
    python: tuple[int, int],
    platforms: Sequence[str],
    *,
    free_threaded: bool,
) -> list[ptags.Tag]:
    """``packaging.tags.sys_tags()`` as the interpreter inside the container computes it."""
    abis = native_abis(implementation, python, free_threaded=free_threaded)
    interpreter = f"{implementation}{python[0]}{python[1]}"
    if implementation == "cp":
        tags = list(ptags.cpython_tags(python, abis, platforms))
    else:
        tags = list(ptags.generic_tags(interpreter, abis, platforms))
    tags.extend(ptags.compatible_tags(python, interpreter, platforms))
    return tags


def _mac_platforms(platform: str) -> list[str]:
    match = _OSX_ARCH.match(platform)
    if not match:
        return [platform]
    name, major, minor, arch = match.groups()
    # pip keeps a custom prefix such as "macosxcustom_" (compatibility_tags._mac_platforms).
    return [
        f"{name}_{candidate[len('macosx_') :]}"
        for candidate in ptags.mac_platforms((int(major), int(minor)), arch)
    ]


def _ios_platforms(platform: str) -> list[str]:
    match = _OSX_ARCH.match(platform)
    if not match:
        return [platform]
    name, major, minor, multiarch = match.groups()
    return [
        f"{name}_{candidate[len('ios_') :]}"
        for candidate in ptags.ios_platforms((int(major), int(minor)), multiarch)
    ]


def _android_platforms(platform: str) -> list[str]:
    match = _ANDROID.fullmatch(platform)
    if not match:
        return [platform]
    return list(ptags.android_platforms(int(match[1]), match[2]))


def _legacy_manylinux_platforms(platform: str) -> list[str]:
    prefix, sep, arch = platform.partition("_")
    expanded = [platform]
    if prefix == "manylinux2014" and arch in _X86_ARCHS:
        expanded += [f"manylinux2010{sep}{arch}", f"manylinux1{sep}{arch}"]
    elif prefix == "manylinux2010":
        expanded.append(f"manylinux1{sep}{arch}")
    return expanded


def _expand_one_platform(platform: str) -> list[str]:
    prefix = platform.partition("_")[0]
    if platform.startswith("macosx"):
        return _mac_platforms(platform)
    if platform.startswith("ios"):
        return _ios_platforms(platform)
    if prefix == "android":
        return _android_platforms(platform)
    if prefix in ("manylinux2014", "manylinux2010"):
        return _legacy_manylinux_platforms(platform)
    return [platform]


def expand_pip_platforms(platforms: Sequence[str]) -> list[str]:
    """pip's ``_expand_allowed_platforms``: de-duplicated, order kept, aliases added.

    Everything that is not a macOS, iOS, Android or legacy manylinux tag is taken literally:
    pip adds no lower glibc levels, no ``linux_*`` and no musllinux levels (PIP_RULES D2).

    >>> expand_pip_platforms(["manylinux2014_x86_64"])
    ['manylinux2014_x86_64', 'manylinux2010_x86_64', 'manylinux1_x86_64']
    >>> expand_pip_platforms(["manylinux_2_17_aarch64"])
    ['manylinux_2_17_aarch64']
    """
    seen: set[str] = set()
    result: list[str] = []
    for platform in platforms:
        if platform in seen:
            continue
        additions = [p for p in _expand_one_platform(platform) if p not in seen]
        seen.update(additions)
        result.extend(additions)
    return result


def _pip_python_version(nodot: str) -> tuple[int, ...]:
    # compatibility_tags._get_python_version: "39" -> (3, 9), "310" -> (3, 10), "3" -> (3,)
    if len(nodot) > 1:
        return int(nodot[0]), int(nodot[1:])
    return (int(nodot[0]),)


def pip_flag_tags(
    *,
    platforms: Sequence[str] | None,
    python_version: tuple[int, ...] | None,
    implementation: str | None,
    abis: Sequence[str] | None,
) -> list[ptags.Tag]:
    """pip's ``get_supported()`` for its target flags, in pip's order (``pip debug --verbose``).

    Omitted flags take pip's defaults, which come from the running interpreter: the
    interpreter name and version, its ABI flavour, and its platforms.
    """
    version = None if python_version is None else "".join(map(str, python_version[:2]))
    parsed_version = None if version is None else _pip_python_version(version)
    impl = implementation or ptags.interpreter_name()
    interpreter = f"{impl}{version if version is not None else ptags.interpreter_version()}"
    expanded = expand_pip_platforms(platforms) if platforms else None
    abi_list = list(abis) if abis else None
    if impl == "cp":
        tags = list(ptags.cpython_tags(parsed_version, abi_list, expanded))
    else:
        tags = list(ptags.generic_tags(interpreter, abi_list, expanded))
    tags.extend(ptags.compatible_tags(parsed_version, interpreter, expanded))
    return tags
