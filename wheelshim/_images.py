"""What a Docker base image has for building sdists, and how to add what it lacks.

:func:`image_facts` knows the official ``python`` images by tag:

* ``python:X`` and ``python:X-<codename>`` are built on ``buildpack-deps:<codename>``:
  they carry ``gcc``, ``g++``, ``make``, ``pkg-config`` and the common ``-dev`` packages
  (:data:`BUILDPACK_DEPS_PACKAGES`), but no ``gfortran``, no Rust and no Go;
* ``python:X-slim`` / ``python:X-slim-<codename>`` and ``python:X-alpine[3.N]`` carry no
  compiler and no ``-dev`` package.

Any other image gives facts with ``known=False``: the prediction then says "unknown"
wherever a compiler would be needed.

:data:`TOOLCHAIN_PACKAGES` and :data:`LIBRARY_PACKAGES` map needs to Debian and Alpine
package names; :func:`install_line`, :func:`build_constraint_lines` and
:func:`multi_stage_dockerfile` render Dockerfile text from them. Nothing here reads the
host or the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from wheelshim._exceptions import InvalidTarget

__all__ = [
    "BUILDPACK_DEPS_PACKAGES",
    "BUILD_CONSTRAINTS_PATH",
    "DEBIAN_CODENAMES",
    "LIBRARY_PACKAGES",
    "TOOLCHAIN_PACKAGES",
    "ImageFacts",
    "ImageFamily",
    "ImageVariant",
    "PackageNames",
    "SystemLibrary",
    "Toolchain",
    "build_constraint_lines",
    "image_facts",
    "install_line",
    "multi_stage_dockerfile",
    "packages_for",
]


class ImageFamily(Enum):
    """The package manager an image uses."""

    DEBIAN = "debian"
    ALPINE = "alpine"
    UNKNOWN = "unknown"


class ImageVariant(Enum):
    """Which flavour of the official ``python`` image."""

    FULL = "full"
    SLIM = "slim"
    ALPINE = "alpine"
    UNKNOWN = "unknown"


class Toolchain(Enum):
    """A compiler an sdist build may need."""

    C = "c"
    CXX = "c++"
    FORTRAN = "fortran"
    RUST = "rust"
    GO = "go"


class SystemLibrary(Enum):
    """A system library whose headers (a ``-dev`` package) a build may need."""

    POSTGRESQL = "libpq"
    LIBXML2 = "libxml2"
    LIBXSLT = "libxslt"
    FFI = "libffi"
    OPENSSL = "openssl"
    JPEG = "libjpeg"
    ZLIB = "zlib"
    PNG = "libpng"
    FREETYPE = "freetype"
    HDF5 = "hdf5"
    MYSQL = "mysqlclient"
    GDAL = "gdal"
    BLAS = "blas"
    LAPACK = "lapack"
    LDAP = "ldap"
    SASL = "sasl"
    GRAPHVIZ = "graphviz"
    CURL = "curl"
    YAML = "libyaml"
    KERBEROS = "kerberos"
    ODBC = "odbc"
    GEOS = "geos"


@dataclass(frozen=True)
class PackageNames:
    """The packages that provide one need, per family (install all of them)."""

    debian: tuple[str, ...]
    alpine: tuple[str, ...]

    def for_family(self, family: ImageFamily) -> tuple[str, ...]:
        """The names for ``family``; empty for an unknown family."""
        if family is ImageFamily.DEBIAN:
            return self.debian
        if family is ImageFamily.ALPINE:
            return self.alpine
        return ()


def _names(debian: str, alpine: str) -> PackageNames:
    return PackageNames(tuple(debian.split()), tuple(alpine.split()))


# With --no-install-recommends Debian's gcc does not pull libc6-dev (only a
# recommendation), so C builds would miss crt1.o and stdio.h; g++ pulls it through
# libstdc++-dev. Alpine's compilers need musl-dev for the same reason.
TOOLCHAIN_PACKAGES: Mapping[Toolchain, PackageNames] = MappingProxyType(
    {
        Toolchain.C: _names("gcc libc6-dev", "gcc musl-dev"),
        Toolchain.CXX: _names("g++", "g++ musl-dev"),
        Toolchain.FORTRAN: _names("gfortran libc6-dev", "gfortran musl-dev"),
        Toolchain.RUST: _names("rustc cargo", "rust cargo"),
        Toolchain.GO: _names("golang-go", "go"),
    }
)

LIBRARY_PACKAGES: Mapping[SystemLibrary, PackageNames] = MappingProxyType(
    {
        SystemLibrary.POSTGRESQL: _names("libpq-dev", "postgresql-dev"),
        SystemLibrary.LIBXML2: _names("libxml2-dev", "libxml2-dev"),
        SystemLibrary.LIBXSLT: _names("libxslt1-dev", "libxslt-dev"),
        SystemLibrary.FFI: _names("libffi-dev", "libffi-dev"),
        SystemLibrary.OPENSSL: _names("libssl-dev pkg-config", "openssl-dev pkgconf"),
        SystemLibrary.JPEG: _names("libjpeg-dev", "libjpeg-turbo-dev"),
        SystemLibrary.ZLIB: _names("zlib1g-dev", "zlib-dev"),
        SystemLibrary.PNG: _names("libpng-dev", "libpng-dev"),
        SystemLibrary.FREETYPE: _names("libfreetype-dev", "freetype-dev"),
        SystemLibrary.HDF5: _names("libhdf5-dev", "hdf5-dev"),
        SystemLibrary.MYSQL: _names("default-libmysqlclient-dev pkg-config", "mariadb-dev pkgconf"),
        SystemLibrary.GDAL: _names("libgdal-dev", "gdal-dev"),
        SystemLibrary.BLAS: _names("libopenblas-dev", "openblas-dev"),
        SystemLibrary.LAPACK: _names("liblapack-dev", "lapack-dev"),
        SystemLibrary.LDAP: _names("libldap2-dev", "openldap-dev"),
        SystemLibrary.SASL: _names("libsasl2-dev", "cyrus-sasl-dev"),
        SystemLibrary.GRAPHVIZ: _names("libgraphviz-dev", "graphviz-dev"),
        SystemLibrary.CURL: _names("libcurl4-openssl-dev", "curl-dev"),
        SystemLibrary.YAML: _names("libyaml-dev", "yaml-dev"),
        SystemLibrary.KERBEROS: _names("libkrb5-dev", "krb5-dev"),
        SystemLibrary.ODBC: _names("unixodbc-dev", "unixodbc-dev"),
        SystemLibrary.GEOS: _names("libgeos-dev", "geos-dev"),
    }
)

#: Packages of ``buildpack-deps:<codename>`` (the base of the full ``python:X`` images)
#: that matter for sdist builds, plus ``pkg-config``, which its ``-dev`` packages pull in.
BUILDPACK_DEPS_PACKAGES: frozenset[str] = frozenset(
    [
        "autoconf",
        "automake",
        "bzip2",
        "default-libmysqlclient-dev",
        "dpkg-dev",
        "file",
        "g++",
        "gcc",
        "imagemagick",
        "libbz2-dev",
        "libc6-dev",
        "libcurl4-openssl-dev",
        "libdb-dev",
        "libevent-dev",
        "libffi-dev",
        "libgdbm-dev",
        "libglib2.0-dev",
        "libgmp-dev",
        "libjpeg-dev",
        "libkrb5-dev",
        "liblzma-dev",
        "libmagickcore-dev",
        "libmagickwand-dev",
        "libmaxminddb-dev",
        "libncurses-dev",
        "libncursesw5-dev",
        "libpng-dev",
        "libpq-dev",
        "libreadline-dev",
        "libsqlite3-dev",
        "libssl-dev",
        "libtool",
        "libwebp-dev",
        "libxml2-dev",
        "libxslt1-dev",
        "libyaml-dev",
        "make",
        "patch",
        "pkg-config",
        "unzip",
        "xz-utils",
        "zlib1g-dev",
    ]
)

#: Debian releases the official images have been built on, oldest first.
DEBIAN_CODENAMES: tuple[str, ...] = (
    "jessie",
    "stretch",
    "buster",
    "bullseye",
    "bookworm",
    "trixie",
    "forky",
)


@dataclass(frozen=True)
class ImageFacts:
    """What one image offers a source build.

    ``known`` is False for images this module has no table for; their ``has_*`` fields
    are then False by default and must not be read as "absent".
    """

    name: str
    family: ImageFamily
    variant: ImageVariant
    known: bool
    has_compilers: bool = False
    has_rust: bool = False
    has_gfortran: bool = False
    has_go: bool = False
    dev_packages: frozenset[str] = frozenset()
    python_version: tuple[int, int] | None = None
    codename: str | None = None

    def has_toolchain(self, toolchain: Toolchain) -> bool:
        """Whether the image already has the compiler ``toolchain`` needs."""
        if toolchain in (Toolchain.C, Toolchain.CXX):
            return self.has_compilers
        if toolchain is Toolchain.FORTRAN:
            return self.has_gfortran
        if toolchain is Toolchain.RUST:
            return self.has_rust
        return self.has_go

    def has_library(self, library: SystemLibrary) -> bool:
        """Whether every package that provides ``library``'s headers is in the image."""
        wanted = LIBRARY_PACKAGES[library].for_family(self.family)
        return bool(wanted) and all(name in self.dev_packages for name in wanted)


# -- image names -----------------------------------------------------------------------

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.\d+)?(?:(?:a|b|rc)\d+)?$")
_ALPINE = re.compile(r"^alpine(\d+\.\d+)?$")


@dataclass(frozen=True)
class _Tag:
    python_version: tuple[int, int] | None
    variant: ImageVariant
    codename: str | None


def _split_reference(image: str) -> tuple[str, str]:
    """``[registry/][library/]repo[:tag][@digest]`` -> (repo, tag)."""
    reference = image.strip().split("@", 1)[0]
    repository, _, tag = reference.rpartition(":")
    if not repository or "/" in tag:
        repository, tag = reference, "latest"
    parts = repository.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) == 2 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts).lower(), tag.lower()


def _python_version(token: str) -> tuple[int, int] | None:
    match = _VERSION.match(token)
    if match is None or match.group(2) is None:
        return None
    return int(match.group(1)), int(match.group(2))


def _parse_tag(tag: str) -> _Tag | None:
    tokens = tag.split("-")
    version: tuple[int, int] | None = None
    if _VERSION.match(tokens[0]):
        version = _python_version(tokens[0])
        tokens = tokens[1:]
    elif tokens == ["latest"]:
        tokens = []
    return _variant_from_tokens(version, tokens)


def _variant_from_tokens(version: tuple[int, int] | None, tokens: list[str]) -> _Tag | None:
    if not tokens:
        return _Tag(version, ImageVariant.FULL, None)
    if len(tokens) == 1 and _ALPINE.match(tokens[0]):
        return _Tag(version, ImageVariant.ALPINE, None)
    variant = ImageVariant.FULL
    if tokens[0] == "slim":
        variant, tokens = ImageVariant.SLIM, tokens[1:]
    if not tokens:
        return _Tag(version, variant, None)
    if len(tokens) == 1 and tokens[0] in DEBIAN_CODENAMES:
        return _Tag(version, variant, tokens[0])
    return None


def _unknown(name: str, tag: str) -> ImageFacts:
    # The tag still tells the package manager in most cases, which keeps advice useful.
    family = ImageFamily.ALPINE if "alpine" in tag else ImageFamily.UNKNOWN
    if any(codename in tag for codename in DEBIAN_CODENAMES):
        family = ImageFamily.DEBIAN
    return ImageFacts(name=name, family=family, variant=ImageVariant.UNKNOWN, known=False)


def _facts_for_tag(name: str, parsed: _Tag) -> ImageFacts:
    if parsed.variant is ImageVariant.ALPINE:
        return ImageFacts(
            name,
            ImageFamily.ALPINE,
            ImageVariant.ALPINE,
            True,
            python_version=parsed.python_version,
        )
    full = parsed.variant is ImageVariant.FULL
    return ImageFacts(
        name,
        ImageFamily.DEBIAN,
        parsed.variant,
        True,
        has_compilers=full,
        dev_packages=BUILDPACK_DEPS_PACKAGES if full else frozenset(),
        python_version=parsed.python_version,
        codename=parsed.codename,
    )


def image_facts(image: str) -> ImageFacts:
    """Facts for an image reference such as ``python:3.9-slim`` or ``docker.io/library/python``.

    Pure: from the name only, never pulling anything. Unknown repositories or tags
    (``ubuntu:22.04``, ``python:3.12-windowsservercore``) give ``known=False``.

    >>> image_facts("python:3.9-slim").has_compilers
    False
    >>> image_facts("python:3.11-bookworm").python_version
    (3, 11)
    """
    repository, tag = _split_reference(image)
    parsed = _parse_tag(tag) if repository == "python" else None
    if parsed is None:
        return _unknown(image, tag)
    return _facts_for_tag(image, parsed)


# -- rendering -------------------------------------------------------------------------

#: Where the rendered Dockerfiles write the build-constraints file.
BUILD_CONSTRAINTS_PATH = "/tmp/build-constraints.txt"


def packages_for(
    family: ImageFamily,
    *,
    toolchains: Iterable[Toolchain] = (),
    libraries: Iterable[SystemLibrary] = (),
) -> tuple[str, ...]:
    """Package names that provide ``toolchains`` then ``libraries`` on ``family``.

    Order follows the arguments, without duplicates; empty for an unknown family.
    """
    names: dict[str, None] = {}
    for toolchain in toolchains:
        names.update(dict.fromkeys(TOOLCHAIN_PACKAGES[toolchain].for_family(family)))
    for library in libraries:
        names.update(dict.fromkeys(LIBRARY_PACKAGES[library].for_family(family)))
    return tuple(names)


def install_line(family: ImageFamily, packages: Sequence[str]) -> str:
    """The ``RUN`` line that installs ``packages`` on ``family``.

    >>> install_line(ImageFamily.ALPINE, ["g++", "musl-dev"])
    'RUN apk add --no-cache g++ musl-dev'

    Raises InvalidTarget for an unknown family or an empty package list.
    """
    if not packages:
        raise InvalidTarget("no packages to install")
    joined = " ".join(packages)
    if family is ImageFamily.DEBIAN:
        return (
            "RUN apt-get update && apt-get install -y --no-install-recommends "
            f"{joined} && rm -rf /var/lib/apt/lists/*"
        )
    if family is ImageFamily.ALPINE:
        return f"RUN apk add --no-cache {joined}"
    raise InvalidTarget("cannot tell which package manager the image uses")


def build_constraint_lines(
    constraints: Sequence[str], *, path: str = BUILD_CONSTRAINTS_PATH
) -> tuple[str, ...]:
    """Dockerfile lines that pin build dependencies (e.g. ``setuptools<74``) in build envs.

    pip 25.3 and newer read ``PIP_BUILD_CONSTRAINT``; pip before 26.2 also applied
    ``PIP_CONSTRAINT`` to build environments (and to the install itself). Both are set
    so the lines work whatever pip the image carries. Empty when nothing is pinned.
    """
    if not constraints:
        return ()
    quoted = " ".join(_shell_quote(line) for line in constraints)
    return (
        f"RUN printf '%s\\n' {quoted} > {path}",
        f"ENV PIP_BUILD_CONSTRAINT={path} PIP_CONSTRAINT={path}",
    )


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def multi_stage_dockerfile(
    image: str,
    requirement: str,
    packages: Sequence[str],
    *,
    family: ImageFamily,
    constraints: Sequence[str] = (),
) -> str:
    """A two-stage Dockerfile: build the wheel with compilers, install it without them.

    The final image stays as small as ``image``; only the wheel crosses over. Libraries
    linked at build time still need their runtime packages in the final stage.
    """
    build_stage = [f"FROM {image} AS build"]
    if packages:
        build_stage.append(install_line(family, packages))
    build_stage.extend(build_constraint_lines(constraints))
    build_stage.append(
        f"RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels {_shell_quote(requirement)}"
    )
    final_stage = [
        f"FROM {image}",
        "COPY --from=build /wheels /wheels",
        "RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels",
    ]
    return "\n".join([*build_stage, "", *final_stage]) + "\n"
