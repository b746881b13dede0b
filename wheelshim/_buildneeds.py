"""Build needs of an sdist, found statically, and whether a build would succeed in an image.

:func:`analyze_sdist` reads an sdist through an :class:`~wheelshim._archive.ArchiveReader`
(in memory, nothing extracted, nothing executed: ``setup.py`` is parsed with :mod:`ast`,
TOML with :mod:`tomllib`, CMake and meson files with a small call scanner) and returns
:class:`BuildNeeds`: the build backend and its requirements, the compiled languages,
the system libraries hinted at, each with :class:`Evidence` (file, line, why), the
breakages today's build tools cause regardless of compilers (with their fixes), and
whether the build fetches sources from the network.

:func:`predict_build` combines the needs with :class:`~wheelshim._images.ImageFacts`
into a :class:`BuildPrediction`: ``builds``, ``fails`` or ``unknown``, with the reasons
as data (missing compiler, missing ``-dev`` package, breakage ...).

What is read, and how much (the recorder of test fixtures relies on this):
configuration files (``pyproject.toml``, ``setup.py``, ``setup.cfg``, ``Cargo.toml``,
``CMakeLists.txt``, ``meson.build``, wrap files, in-tree backends) up to
:data:`CONFIG_READ_LIMIT` bytes each, and at most :data:`MAX_SCANNED_SOURCES` C/C++/Cython
sources or headers up to :data:`SOURCE_SCAN_LIMIT` bytes each, for their ``#include``
lines. :func:`read_limit_for` tells which limit applies to a member. Member sizes are
never used, so a copy of an sdist holding only those bytes gives the same answer.

How the answer is reached:

* the backend comes from ``[build-system]`` (pip's legacy setuptools backend when there
  is none); ``setup.py`` counts only for backends that run it, so numpy's old
  ``setup.py`` is ignored under meson-python;
* languages come from what the build declares (``Extension`` sources and
  ``language="c++"``, ``cythonize``, ``cffi_modules``, setuptools-rust/maturin and their
  ``Cargo.toml``, CMake ``project``/``enable_language``, meson ``project``/``add_languages``),
  and from file suffixes only when the build declares compiled parts without naming them;
  the *primary* language is Rust, Fortran or Go if present, else C or C++ by bulk;
* an extension is optional when every ``Extension`` says ``optional=True`` or the script
  catches build errors (``CompileError``, ``BuildFailed`` ...) without giving up: such
  sdists (PyYAML) build without a compiler;
* breakages: imports of modules current setuptools removed (fix: pin ``setuptools<N``
  for the build, unless ``build-system.requires`` already excludes N), ``numpy.distutils``
  and removed standard modules on the target Python (fix: an older Python), Python 2
  only scripts, and network fetches (non-blocking unless the build runs offline).
  Imports inside ``try/except ImportError`` or Windows/macOS-only branches do not count.

Host state never leaks in: the target Python version is an argument.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from wheelshim._archive import ArchiveReader
from wheelshim._images import (
    TOOLCHAIN_PACKAGES,
    ImageFacts,
    ImageFamily,
    SystemLibrary,
    Toolchain,
    build_constraint_lines,
    install_line,
    packages_for,
)

__all__ = [
    "BUILD_CONSTRAINT_VARIABLES",
    "CONFIG_READ_LIMIT",
    "MAX_EVIDENCE_PER_KIND",
    "MAX_SCANNED_SOURCES",
    "SOURCE_SCAN_LIMIT",
    "BackendKind",
    "Breakage",
    "BreakageKind",
    "BuildBackend",
    "BuildNeeds",
    "BuildPrediction",
    "BuildReason",
    "BuildResult",
    "ConstraintVariable",
    "Evidence",
    "Fix",
    "FixKind",
    "Language",
    "LibraryNeed",
    "ReasonKind",
    "Why",
    "analyze_sdist",
    "build_json",
    "dockerfile_lines",
    "predict_build",
    "read_limit_for",
]

_KIB = 1024
#: Most bytes read from one configuration file or build script.
CONFIG_READ_LIMIT = 512 * _KIB
#: Most bytes read from one C/C++/Cython source or header scanned for ``#include``.
SOURCE_SCAN_LIMIT = 64 * _KIB
#: Most sources and headers scanned for ``#include`` lines.
MAX_SCANNED_SOURCES = 64
#: Most CMake or meson files followed through ``add_subdirectory``/``subdir``.
MAX_BUILD_FILES = 200
#: Most ``Cargo.toml`` manifests read.
MAX_CARGO_MANIFESTS = 32
#: Most pieces of evidence kept per file and :class:`Why` (and per language or library).
MAX_EVIDENCE_PER_KIND = 25


# -- vocabulary ------------------------------------------------------------------------


class Language(Enum):
    """A compiled language; the order is the order of the JSON ``languages`` list."""

    C = "c"
    CXX = "c++"
    CYTHON = "cython"
    RUST = "rust"
    FORTRAN = "fortran"
    GO = "go"


class BackendKind(Enum):
    """The family of a PEP 517 build backend."""

    SETUPTOOLS = "setuptools"
    SETUPTOOLS_LEGACY = "setuptools-legacy"
    MATURIN = "maturin"
    SCIKIT_BUILD_CORE = "scikit-build-core"
    MESON_PYTHON = "meson-python"
    FLIT = "flit"
    HATCHLING = "hatchling"
    POETRY = "poetry"
    PDM = "pdm"
    IN_TREE = "in-tree"
    OTHER = "other"


class Why(Enum):
    """Why a file is evidence; :attr:`Evidence.detail` names the token that was found."""

    BUILD_BACKEND = "build backend"
    BUILD_REQUIREMENT = "build requirement"
    EXTENSION_MODULE = "extension module declared"
    COMPILED_SOURCE = "compiled source named by the build"
    SOURCE_FILES = "compiled source files in the archive"
    LANGUAGE_DECLARED = "language declared by the build configuration"
    CARGO_MANIFEST = "Rust crate built by the backend"
    CARGO_C_BUILD = "crate compiles C code (cc build dependency)"
    OPTIONAL_EXTENSION = "compiled extension is optional (build falls back)"
    LIBRARY_LINKED = "links a system library"
    LIBRARY_TOOL = "runs a system library's config tool"
    PKG_CONFIG_MODULE = "asks pkg-config for a system library"
    HEADER_INCLUDED = "includes a system library header"
    CMAKE_PACKAGE = "CMake requires a package"
    MESON_DEPENDENCY = "meson requires a dependency"
    SYS_CRATE = "crate binds a system library"
    REMOVED_SETUPTOOLS_MODULE = "imports a module that current setuptools removed"
    NUMPY_DISTUTILS = "imports numpy.distutils"
    REMOVED_STDLIB_MODULE = "imports a module the target Python removed"
    PYTHON2_SYNTAX = "build script is Python 2 only"
    NETWORK_FETCH = "fetches sources during the build"
    UNPARSABLE = "file could not be parsed"
    UNSAFE_MEMBER = "unsafe archive member ignored"


@dataclass(frozen=True)
class Evidence:
    """One finding: ``file`` (relative to the sdist's top directory), ``line`` if known."""

    file: str
    line: int | None
    why: Why
    detail: str = ""

    def describe(self) -> str:
        """``why`` and ``detail`` as one human-readable phrase."""
        return f"{self.why.value}: {self.detail}" if self.detail else self.why.value


@dataclass(frozen=True)
class LibraryNeed:
    """A system library the build needs headers of, and the evidence for it."""

    library: SystemLibrary
    evidence: tuple[Evidence, ...]


class BreakageKind(Enum):
    """How current build tools break a build before any compiler runs."""

    SETUPTOOLS_REMOVED_MODULE = "setuptools_removed_module"
    PKG_RESOURCES = "pkg_resources"
    NUMPY_DISTUTILS = "numpy_distutils"
    STDLIB_REMOVED_MODULE = "stdlib_removed_module"
    PYTHON2_ONLY = "python2_only"
    NETWORK_FETCH = "network_fetch"


class FixKind(Enum):
    """What kind of change avoids a breakage."""

    PIN_BUILD_DEPENDENCY = "pin_build_dependency"
    USE_OLDER_PYTHON = "use_older_python"
    ALLOW_NETWORK = "allow_network"
    NONE = "none"


@dataclass(frozen=True)
class ConstraintVariable:
    """An environment variable that points pip at a constraints file for build envs.

    ``pip_versions`` is the specifier of pip versions that apply it to build
    environments.
    """

    variable: str
    pip_versions: str


#: pip 25.3 added ``PIP_BUILD_CONSTRAINT``; pip 26.2 stopped applying ``PIP_CONSTRAINT``
#: to build environments.
BUILD_CONSTRAINT_VARIABLES: tuple[ConstraintVariable, ...] = (
    ConstraintVariable("PIP_BUILD_CONSTRAINT", ">=25.3"),
    ConstraintVariable("PIP_CONSTRAINT", "<26.2"),
)


@dataclass(frozen=True)
class Fix:
    """How to avoid a breakage.

    For :attr:`FixKind.PIN_BUILD_DEPENDENCY`, ``constraint`` is the line for a
    constraints file (``setuptools<74``) and ``variables`` the ways to hand it to pip.
    For :attr:`FixKind.USE_OLDER_PYTHON`, ``python_below`` is the first Python that breaks.
    """

    kind: FixKind
    constraint: str | None = None
    python_below: tuple[int, int] | None = None
    variables: tuple[ConstraintVariable, ...] = ()


@dataclass(frozen=True)
class Breakage:
    """A build failure found statically, with its fix.

    ``blocking`` is False for breakages that only bite in some environments (a build
    that downloads crates fails only where the build has no network).
    """

    kind: BreakageKind
    evidence: Evidence
    fix: Fix
    blocking: bool = True


@dataclass(frozen=True)
class BuildBackend:
    """The PEP 517 backend pip would run.

    ``declared`` is False when ``pyproject.toml`` names none and pip falls back to
    ``setuptools.build_meta:__legacy__`` with ``requires`` of ``setuptools>=40.8.0``.
    """

    name: str
    kind: BackendKind
    requires: tuple[str, ...]
    declared: bool
    backend_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildNeeds:
    """What building one sdist needs, found without running anything.

    ``languages`` follow :class:`Language` order. ``compiler_needed`` is False for
    pure-Python sdists and for sdists whose compiled part is optional (the build falls
    back to pure Python when compiling fails: ``optional_extension``). ``complete`` is
    False when something could not be read or parsed, so the prediction may be unknown.
    ``files_read`` lists the archive members read (full member names).
    """

    backend: BuildBackend
    languages: tuple[Language, ...]
    primary_language: Language | None
    compiler_needed: bool
    optional_extension: bool
    system_libraries: tuple[LibraryNeed, ...]
    evidence: tuple[Evidence, ...]
    breakages: tuple[Breakage, ...]
    network_fetch: bool
    rust_version: str | None = None
    complete: bool = True
    files_read: tuple[str, ...] = ()

    @property
    def toolchains(self) -> tuple[Toolchain, ...]:
        """The compilers the compiled languages need, without duplicates."""
        wanted = {
            _LANGUAGE_TOOLCHAIN[lang] for lang in self.languages if lang in _LANGUAGE_TOOLCHAIN
        }
        return tuple(t for t in Toolchain if t in wanted)

    @property
    def build_constraints(self) -> tuple[str, ...]:
        """Constraint lines that fix the pin-able breakages, tightest pin per package."""
        bounds: dict[str, Version] = {}
        for breakage in self.breakages:
            parsed = _parse_upper_bound(breakage.fix.constraint)
            if parsed is not None:
                name, bound = parsed
                bounds[name] = min(bound, bounds.get(name, bound))
        return tuple(f"{name}<{bound}" for name, bound in bounds.items())


class BuildResult(Enum):
    """The predicted outcome of building the sdist in an image."""

    BUILDS = "builds"
    FAILS = "fails"
    UNKNOWN = "unknown"


class ReasonKind(Enum):
    """Why the prediction came out as it did."""

    NOTHING_TO_COMPILE = "nothing_to_compile"
    OPTIONAL_EXTENSION = "optional_extension"
    MISSING_TOOLCHAIN = "missing_toolchain"
    MISSING_LIBRARY = "missing_library"
    BREAKAGE = "breakage"
    IMAGE_UNKNOWN = "image_unknown"
    ANALYSIS_INCOMPLETE = "analysis_incomplete"


@dataclass(frozen=True)
class BuildReason:
    """One reason; ``blocking`` reasons make the build fail.

    ``packages`` are the image family's packages that would remove the reason.
    """

    kind: ReasonKind
    blocking: bool
    toolchain: Toolchain | None = None
    library: SystemLibrary | None = None
    breakage: Breakage | None = None
    packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildPrediction:
    """Whether the sdist builds in ``image``, and why."""

    image: ImageFacts
    result: BuildResult
    reasons: tuple[BuildReason, ...]

    @property
    def packages_to_install(self) -> tuple[str, ...]:
        """Every package the blocking reasons name, in reason order, without duplicates."""
        names: dict[str, None] = {}
        for reason in self.reasons:
            if reason.blocking:
                names.update(dict.fromkeys(reason.packages))
        return tuple(names)


_LANGUAGE_TOOLCHAIN: Mapping[Language, Toolchain] = MappingProxyType(
    {
        Language.C: Toolchain.C,
        Language.CXX: Toolchain.CXX,
        Language.FORTRAN: Toolchain.FORTRAN,
        Language.RUST: Toolchain.RUST,
        Language.GO: Toolchain.GO,
    }
)

_COMPILED = frozenset(Language)


def _parse_upper_bound(constraint: str | None) -> tuple[str, Version] | None:
    if constraint is None:
        return None
    name, _, bound = constraint.partition("<")
    try:
        return name, Version(bound)
    except InvalidVersion:
        return None


# -- reading the archive ---------------------------------------------------------------

_SOURCE_SUFFIXES: Mapping[str, Language] = MappingProxyType(
    {
        ".c": Language.C,
        ".cc": Language.CXX,
        ".cpp": Language.CXX,
        ".cxx": Language.CXX,
        ".c++": Language.CXX,
        ".pyx": Language.CYTHON,
        ".f": Language.FORTRAN,
        ".for": Language.FORTRAN,
        ".f77": Language.FORTRAN,
        ".f90": Language.FORTRAN,
        ".f95": Language.FORTRAN,
        ".f03": Language.FORTRAN,
        ".f08": Language.FORTRAN,
        ".rs": Language.RUST,
        ".go": Language.GO,
    }
)

_SCANNED_SUFFIXES = frozenset(
    {".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".pyx", ".pxd", ".pxi", ".i"}
)

_EXCLUDED_DIRS = frozenset({"doc", "docs", "documentation", "ci", ".ci", ".github", "site"})
_EXCLUDED_PREFIXES = ("test", "example", "bench", "demo", "sample")


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def read_limit_for(name: str) -> int:
    """How many bytes :func:`analyze_sdist` reads of a member with this name, at most."""
    return SOURCE_SCAN_LIMIT if _suffix(name) in _SCANNED_SUFFIXES else CONFIG_READ_LIMIT


def _excluded(rel: str) -> bool:
    """Whether ``rel`` lies in a tests/docs/examples/benchmarks directory (not built)."""
    for part in rel.split("/")[:-1]:
        lowered = part.lower()
        if lowered in _EXCLUDED_DIRS or lowered.startswith(_EXCLUDED_PREFIXES):
            return True
    return False


@dataclass(frozen=True)
class _Tree:
    """The sdist's readable files, keyed by path relative to its top directory."""

    reader: ArchiveReader
    root: str
    files: Mapping[str, str]
    unsafe: tuple[str, ...]

    def basenames(self) -> frozenset[str]:
        return frozenset(rel.rsplit("/", 1)[-1] for rel in self.files)


def _root(names: Sequence[str]) -> str:
    firsts = {name.split("/", 1)[0] for name in names}
    if len(firsts) == 1 and any("/" in name for name in names):
        return firsts.pop()
    return ""


def _tree(reader: ArchiveReader) -> _Tree:
    safe = [m.name for m in reader.members if m.safe and m.name]
    root = _root(safe)
    prefix = root + "/" if root else ""
    files = {
        m.name[len(prefix) :]: m.name
        for m in reader.members
        if m.readable and m.name.startswith(prefix) and len(m.name) > len(prefix)
    }
    unsafe = tuple(m.raw_name for m in reader.members if not m.safe)
    return _Tree(reader, root, MappingProxyType(files), unsafe)


@dataclass
class _Collector:
    """Findings gathered while analysing one sdist (private, mutable; frozen at the end)."""

    tree: _Tree
    python_version: tuple[int, int]
    texts: dict[str, str] = field(default_factory=dict)
    files_read: list[str] = field(default_factory=list)
    languages: dict[Language, list[Evidence]] = field(default_factory=dict)
    libraries: dict[SystemLibrary, dict[Evidence, None]] = field(default_factory=dict)
    # Ordered sets: a generated setup.py can name thousands of sources.
    evidence: dict[Evidence, None] = field(default_factory=dict)
    noted: Counter[tuple[str, Why]] = field(default_factory=Counter)
    breakages: list[Breakage] = field(default_factory=list)
    network: list[Evidence] = field(default_factory=list)
    rust_versions: list[str] = field(default_factory=list)
    optional_fallback: bool = False
    script_extensions: int = 0
    optional_extensions: int = 0
    mandatory_build: bool = False
    uses_rust: bool = False
    uses_cmake: bool = False
    script_sources: list[str] = field(default_factory=list)
    incomplete: bool = False

    def read(self, rels: Iterable[str]) -> dict[str, str]:
        """Texts of the ``rels`` present in the archive (read at most once each)."""
        wanted = [r for r in dict.fromkeys(rels) if r in self.tree.files]
        missing = [r for r in wanted if r not in self.texts]
        by_limit: dict[int, list[str]] = {}
        for rel in missing:
            by_limit.setdefault(read_limit_for(rel), []).append(rel)
        for limit, rels_at_limit in by_limit.items():
            fulls = {self.tree.files[r]: r for r in rels_at_limit}
            data = self.tree.reader.read_many(fulls, limit=limit)
            for full, payload in data.items():
                self.files_read.append(full)
                self.texts[fulls[full]] = payload.decode("utf-8", errors="replace")
        return {r: self.texts[r] for r in wanted}

    def note(self, evidence: Evidence) -> None:
        """Keep ``evidence`` once, and at most :data:`MAX_EVIDENCE_PER_KIND` per file and why."""
        if (
            evidence in self.evidence
            or self.noted[evidence.file, evidence.why] >= MAX_EVIDENCE_PER_KIND
        ):
            return
        self.noted[evidence.file, evidence.why] += 1
        self.evidence[evidence] = None

    def add_language(self, language: Language, evidence: Evidence) -> None:
        found = self.languages.setdefault(language, [])
        if len(found) < MAX_EVIDENCE_PER_KIND:
            found.append(evidence)
        self.note(evidence)

    def add_library(self, library: SystemLibrary, evidence: Evidence) -> None:
        found = self.libraries.setdefault(library, {})
        if len(found) < MAX_EVIDENCE_PER_KIND:
            found[evidence] = None
        self.note(evidence)

    def add_network(self, evidence: Evidence) -> None:
        self.network.append(evidence)
        self.note(evidence)


# -- build backend -----------------------------------------------------------------------

_LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
_LEGACY_REQUIRES = ("setuptools>=40.8.0",)

_BACKEND_PREFIXES: tuple[tuple[str, BackendKind], ...] = (
    ("setuptools.build_meta", BackendKind.SETUPTOOLS),
    ("pbr.build", BackendKind.SETUPTOOLS),
    ("maturin", BackendKind.MATURIN),
    ("scikit_build_core", BackendKind.SCIKIT_BUILD_CORE),
    ("mesonpy", BackendKind.MESON_PYTHON),
    ("flit_core", BackendKind.FLIT),
    ("flit", BackendKind.FLIT),
    ("hatchling", BackendKind.HATCHLING),
    ("poetry.core", BackendKind.POETRY),
    ("poetry.masonry", BackendKind.POETRY),
    ("pdm.backend", BackendKind.PDM),
    ("pdm.pep517", BackendKind.PDM),
)

#: Backends that run ``setup.py`` (an in-tree backend usually wraps setuptools).
_SETUP_PY_BACKENDS = frozenset(
    {BackendKind.SETUPTOOLS, BackendKind.SETUPTOOLS_LEGACY, BackendKind.IN_TREE}
)
#: Backends that never compile anything by themselves.
_PURE_BACKENDS = frozenset(
    {BackendKind.FLIT, BackendKind.HATCHLING, BackendKind.POETRY, BackendKind.PDM}
)


def _backend_kind(name: str, in_tree: bool) -> BackendKind:
    module = name.split(":", 1)[0].strip()
    for prefix, kind in _BACKEND_PREFIXES:
        if module == prefix or module.startswith(prefix + "."):
            return kind
    return BackendKind.IN_TREE if in_tree else BackendKind.OTHER


def _table(value: object, *keys: str) -> dict[str, object]:
    current = value
    for key in keys:
        if not isinstance(current, dict):
            return {}
        current = current.get(key)
    return current if isinstance(current, dict) else {}


def _str_list(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _key_line(text: str, key: str) -> int | None:
    """Line of the TOML key ``key = ...`` (bare or quoted), else of its first mention."""
    pattern = rf"^\s*[\"']?{re.escape(key)}[\"']?\s*="
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        return _line_of(text, key)
    return text.count("\n", 0, match.start()) + 1


def _load_pyproject(c: _Collector) -> dict[str, object]:
    text = c.texts.get("pyproject.toml")
    if text is None:
        return {}
    return _load_toml(c, "pyproject.toml", text)


def _load_toml(c: _Collector, rel: str, text: str) -> dict[str, object]:
    """Parsed TOML, or ``{}`` with an UNPARSABLE finding (the analysis is then incomplete)."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        c.incomplete = True
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        c.note(Evidence(rel, None, Why.UNPARSABLE, message))
        return {}


def _backend(pyproject: Mapping[str, object]) -> BuildBackend:
    system = _table(pyproject, "build-system")
    requires = _str_list(system.get("requires")) if "requires" in system else _LEGACY_REQUIRES
    name = system.get("build-backend")
    if not isinstance(name, str) or not name.strip():
        return BuildBackend(_LEGACY_BACKEND, BackendKind.SETUPTOOLS_LEGACY, requires, False)
    path = _str_list(system.get("backend-path"))
    return BuildBackend(name.strip(), _backend_kind(name, bool(path)), requires, True, path)


def _requirement(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _requirement_names(backend: BuildBackend) -> frozenset[str]:
    parsed = (_requirement(text) for text in backend.requires)
    return frozenset(canonicalize_name(req.name) for req in parsed if req is not None)


def _admits_at_or_above(backend: BuildBackend, project: str, version: Version) -> bool:
    """Whether pip's choice for ``project`` in the build env can be ``version`` or newer.

    pip installs the newest version the build requirements allow, so one allowed
    version at or above ``version`` is enough. Without a requirement on ``project``
    the newest release is assumed.
    """
    probes = (version, Version(f"{version.major}.9999"), Version("9999"))
    for text in backend.requires:
        req = _requirement(text)
        if req is not None and canonicalize_name(req.name) == project:
            return any(req.specifier.contains(v, prereleases=True) for v in probes)
    return True


_COMPILE_REQUIREMENTS = frozenset(
    {
        "cython",
        "setuptools-rust",
        "maturin",
        "cffi",
        "numpy",
        "pybind11",
        "nanobind",
        "scikit-build",
        "scikit-build-core",
        "cmake",
        "meson-python",
        "setuptools-golang",
    }
)


def _note_backend(c: _Collector, backend: BuildBackend) -> None:
    text = c.texts.get("pyproject.toml", "")
    if backend.kind in (
        BackendKind.MATURIN,
        BackendKind.SCIKIT_BUILD_CORE,
        BackendKind.MESON_PYTHON,
    ):
        c.note(
            Evidence(
                "pyproject.toml", _line_of(text, backend.name), Why.BUILD_BACKEND, backend.name
            )
        )
    for requirement in backend.requires:
        req = _requirement(requirement)
        if req is not None and canonicalize_name(req.name) in _COMPILE_REQUIREMENTS:
            line = _line_of(text, requirement) or _line_of(text, req.name)
            c.note(Evidence("pyproject.toml", line, Why.BUILD_REQUIREMENT, requirement))
    names = _requirement_names(backend)
    if backend.kind is BackendKind.MATURIN or {"setuptools-rust", "maturin"} & names:
        c.uses_rust = True
    if backend.kind is BackendKind.SCIKIT_BUILD_CORE:
        c.uses_cmake = True


# -- Python build scripts (setup.py and friends) -------------------------------------------


@dataclass(frozen=True)
class _Hit:
    """A token found in a script, at a line."""

    line: int
    text: str


@dataclass(frozen=True)
class _Import:
    module: str
    line: int
    guarded: bool


def _const_str(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def _calls(module: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(module) if isinstance(node, ast.Call))


#: Calls that declare compiled extensions, with the language they imply.
_EXTENSION_CALLS: Mapping[str, Language | None] = MappingProxyType(
    {
        "Extension": None,
        "Library": None,
        "Pybind11Extension": Language.CXX,
        "CppExtension": Language.CXX,
        "cythonize": Language.CYTHON,
        "mypycify": Language.C,
        "RustExtension": Language.RUST,
    }
)
#: ``setup()`` keywords (or dict keys) that declare compiled parts.
_EXTENSION_KEYWORDS: Mapping[str, Language | None] = MappingProxyType(
    {
        "ext_modules": None,
        "cffi_modules": Language.C,
        "rust_extensions": Language.RUST,
        "build_golang": Language.GO,
    }
)


def _empty_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.List | ast.Tuple) and not node.elts


_Marker = tuple[_Hit, Language | None]


def _call_marker(node: ast.AST) -> _Marker | None:
    """``Extension(``, ``cythonize(``, ``RustExtension(`` ... calls."""
    if isinstance(node, ast.Call) and _call_name(node) in _EXTENSION_CALLS:
        name = _call_name(node)
        return _Hit(node.lineno, f"{name}("), _EXTENSION_CALLS[name]
    return None


def _keyword_marker(node: ast.AST) -> _Marker | None:
    """``ext_modules=``, ``cffi_modules=`` ... keywords with a value that is not empty."""
    if not isinstance(node, ast.keyword) or node.arg is None or _empty_literal(node.value):
        return None
    if node.arg not in _EXTENSION_KEYWORDS:
        return None
    return _Hit(node.value.lineno, f"{node.arg}="), _EXTENSION_KEYWORDS[node.arg]


def _dict_markers(node: ast.AST) -> tuple[_Marker, ...]:
    """``{"ext_modules": ...}`` dicts later passed as ``setup(**kwargs)``."""
    if not isinstance(node, ast.Dict):
        return ()
    hits = []
    for key, value in zip(node.keys, node.values, strict=True):
        word = _const_str(key) if key is not None else None
        if word is not None and word in _EXTENSION_KEYWORDS and not _empty_literal(value):
            hits.append((_Hit(value.lineno, f"{word!r}:"), _EXTENSION_KEYWORDS[word]))
    return tuple(hits)


def _extension_markers(module: ast.AST) -> tuple[_Marker, ...]:
    """Calls, keywords and dict keys that declare compiled extensions."""
    hits: list[_Marker] = []
    for node in ast.walk(module):
        for marker in (_call_marker(node), _keyword_marker(node)):
            if marker is not None:
                hits.append(marker)
        hits.extend(_dict_markers(node))
    return tuple(hits)


_SOURCE_STRING = re.compile(
    r"^[^\s'\"]*[^\s/.'\"]\.(?:c|cc|cpp|cxx|c\+\+|pyx|f|for|f77|f90|f95|f03|f08|rs|go)$",
    re.IGNORECASE,
)


def _source_strings(module: ast.AST) -> tuple[_Hit, ...]:
    """String constants that name compiled sources (``"src/_speedups.c"``, ``"*.pyx"``)."""
    hits = []
    for node in ast.walk(module):
        text = _const_str(node)
        if text is not None and _SOURCE_STRING.match(text):
            hits.append(_Hit(getattr(node, "lineno", 0), text))
    return tuple(hits)


def _cxx_declarations(module: ast.AST) -> tuple[_Hit, ...]:
    """``language="c++"`` keywords: Cython and C sources are then compiled as C++."""
    hits = []
    for node in ast.walk(module):
        if isinstance(node, ast.keyword) and node.arg == "language":
            value = _const_str(node.value)
            if value is not None and value.lower() in ("c++", "cpp", "cxx"):
                hits.append(_Hit(node.value.lineno, f"language={value!r}"))
    return tuple(hits)


def _optional_keyword_count(module: ast.AST) -> tuple[int, tuple[_Hit, ...]]:
    """How many ``*Extension(`` calls there are, and those passing ``optional=True``."""
    total = 0
    hits = []
    for call in _calls(module):
        if not _call_name(call).endswith("Extension"):
            continue
        total += 1
        for keyword in call.keywords:
            value = keyword.value
            if (
                keyword.arg == "optional"
                and isinstance(value, ast.Constant)
                and value.value is True
            ):
                hits.append(_Hit(call.lineno, "optional=True"))
    return total, tuple(hits)


_BUILD_ERRORS = frozenset(
    {
        "CompileError",
        "CCompilerError",
        "LinkError",
        "DistutilsExecError",
        "DistutilsPlatformError",
        "BuildFailed",
        "BuildExtFailed",
        "ext_errors",
    }
)


def _handler_names(handler: ast.ExceptHandler) -> frozenset[str]:
    if handler.type is None:
        return frozenset()
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return frozenset(_dotted(node).rsplit(".", 1)[-1] for node in nodes)


_EXITS = frozenset({"sys.exit", "exit", "os._exit", "quit"})


def _gives_up(body: Sequence[ast.stmt]) -> bool:
    """Whether a handler body re-raises or exits unconditionally (no fallback)."""
    for statement in body:
        if isinstance(statement, ast.Raise):
            return True
        call = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(call, ast.Call) and _dotted(call.func) in _EXITS:
            return True
    return False


def _fallback_handlers(module: ast.AST) -> tuple[_Hit, ...]:
    """``except CompileError:``-style handlers that carry on: the extension is optional."""
    hits = []
    for node in ast.walk(module):
        if isinstance(node, ast.ExceptHandler):
            caught = _handler_names(node) & _BUILD_ERRORS
            if caught and not _gives_up(node.body):
                hits.append(_Hit(node.lineno, "except " + ", ".join(sorted(caught))))
    return tuple(hits)


def _str_elements(node: ast.AST) -> tuple[str, ...]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return tuple(text for elt in node.elts if (text := _const_str(elt)) is not None)
    return ()


def _assigned_names(node: ast.Assign | ast.AnnAssign) -> tuple[str, ...]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return tuple(_dotted(target).rsplit(".", 1)[-1] for target in targets)


def _library_names(module: ast.AST) -> tuple[_Hit, ...]:
    """Names in ``libraries=[...]`` or in list literals assigned to ``*lib*`` variables."""
    hits: list[_Hit] = []
    for node in ast.walk(module):
        if isinstance(node, ast.keyword) and node.arg == "libraries":
            hits.extend(_Hit(node.value.lineno, name) for name in _str_elements(node.value))
        value = _library_list_value(node)
        if value is not None:
            hits.extend(_Hit(value.lineno, name) for name in _str_elements(value))
    return tuple(hits)


def _library_list_value(node: ast.AST) -> ast.expr | None:
    """The value of a ``libs = [...]``-style assignment (python-ldap keeps link names so)."""
    if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
        return None
    if any("lib" in name.lower() for name in _assigned_names(node)):
        return node.value
    return None


def _string_constants(module: ast.AST) -> Iterator[_Hit]:
    for node in ast.walk(module):
        text = _const_str(node)
        if text is not None:
            yield _Hit(getattr(node, "lineno", 0), text)


_LINK_NAMES: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "pq": SystemLibrary.POSTGRESQL,
        "xml2": SystemLibrary.LIBXML2,
        "xslt": SystemLibrary.LIBXSLT,
        "exslt": SystemLibrary.LIBXSLT,
        "ffi": SystemLibrary.FFI,
        "ssl": SystemLibrary.OPENSSL,
        "crypto": SystemLibrary.OPENSSL,
        "jpeg": SystemLibrary.JPEG,
        "turbojpeg": SystemLibrary.JPEG,
        "z": SystemLibrary.ZLIB,
        "png": SystemLibrary.PNG,
        "png16": SystemLibrary.PNG,
        "freetype": SystemLibrary.FREETYPE,
        "hdf5": SystemLibrary.HDF5,
        "hdf5_hl": SystemLibrary.HDF5,
        "mysqlclient": SystemLibrary.MYSQL,
        "mysqlclient_r": SystemLibrary.MYSQL,
        "mariadb": SystemLibrary.MYSQL,
        "gdal": SystemLibrary.GDAL,
        "blas": SystemLibrary.BLAS,
        "cblas": SystemLibrary.BLAS,
        "openblas": SystemLibrary.BLAS,
        "lapack": SystemLibrary.LAPACK,
        "lapacke": SystemLibrary.LAPACK,
        "ldap": SystemLibrary.LDAP,
        "ldap_r": SystemLibrary.LDAP,
        "lber": SystemLibrary.LDAP,
        "sasl2": SystemLibrary.SASL,
        "cgraph": SystemLibrary.GRAPHVIZ,
        "gvc": SystemLibrary.GRAPHVIZ,
        "cdt": SystemLibrary.GRAPHVIZ,
        "curl": SystemLibrary.CURL,
        "yaml": SystemLibrary.YAML,
        "krb5": SystemLibrary.KERBEROS,
        "gssapi_krb5": SystemLibrary.KERBEROS,
        "odbc": SystemLibrary.ODBC,
        "geos_c": SystemLibrary.GEOS,
    }
)

_CONFIG_TOOLS: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "pg_config": SystemLibrary.POSTGRESQL,
        "mysql_config": SystemLibrary.MYSQL,
        "mariadb_config": SystemLibrary.MYSQL,
        "xml2-config": SystemLibrary.LIBXML2,
        "xslt-config": SystemLibrary.LIBXSLT,
        "curl-config": SystemLibrary.CURL,
        "gdal-config": SystemLibrary.GDAL,
        "geos-config": SystemLibrary.GEOS,
        "krb5-config": SystemLibrary.KERBEROS,
        "freetype-config": SystemLibrary.FREETYPE,
        "libpng-config": SystemLibrary.PNG,
        "h5cc": SystemLibrary.HDF5,
    }
)
_CONFIG_TOOL = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(tool) for tool in _CONFIG_TOOLS) + r")(?![\w-])"
)

_PKG_CONFIG_MODULES: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "libpq": SystemLibrary.POSTGRESQL,
        "libxml-2.0": SystemLibrary.LIBXML2,
        "libxslt": SystemLibrary.LIBXSLT,
        "libexslt": SystemLibrary.LIBXSLT,
        "libffi": SystemLibrary.FFI,
        "openssl": SystemLibrary.OPENSSL,
        "libssl": SystemLibrary.OPENSSL,
        "libcrypto": SystemLibrary.OPENSSL,
        "libjpeg": SystemLibrary.JPEG,
        "zlib": SystemLibrary.ZLIB,
        "libpng": SystemLibrary.PNG,
        "freetype2": SystemLibrary.FREETYPE,
        "hdf5": SystemLibrary.HDF5,
        "mysqlclient": SystemLibrary.MYSQL,
        "libmariadb": SystemLibrary.MYSQL,
        "gdal": SystemLibrary.GDAL,
        "openblas": SystemLibrary.BLAS,
        "blas": SystemLibrary.BLAS,
        "cblas": SystemLibrary.BLAS,
        "lapack": SystemLibrary.LAPACK,
        "lapacke": SystemLibrary.LAPACK,
        "ldap": SystemLibrary.LDAP,
        "libcgraph": SystemLibrary.GRAPHVIZ,
        "libgvc": SystemLibrary.GRAPHVIZ,
        "libcurl": SystemLibrary.CURL,
        "yaml-0.1": SystemLibrary.YAML,
        "krb5": SystemLibrary.KERBEROS,
        "krb5-gssapi": SystemLibrary.KERBEROS,
        "odbc": SystemLibrary.ODBC,
        "geos": SystemLibrary.GEOS,
    }
)


def _config_tools(module: ast.AST) -> tuple[tuple[_Hit, SystemLibrary], ...]:
    """Strings that run a library's config tool (``pg_config``, ``mysql_config`` ...)."""
    hits = []
    for hit in _string_constants(module):
        for match in _CONFIG_TOOL.finditer(hit.text):
            hits.append((_Hit(hit.line, match.group(1)), _CONFIG_TOOLS[match.group(1)]))
    return tuple(hits)


def _pkg_config_modules(module: ast.AST) -> tuple[tuple[_Hit, SystemLibrary], ...]:
    """Known pkg-config module names, counted only in scripts that mention pkg-config."""
    strings = tuple(_string_constants(module))
    mentions = any("pkg-config" in s.text or "pkgconfig" in s.text for s in strings)
    calls = any("pkgconfig" in _call_name(call).lower() for call in _calls(module))
    if not (mentions or calls):
        return ()
    return tuple((s, _PKG_CONFIG_MODULES[s.text]) for s in strings if s.text in _PKG_CONFIG_MODULES)


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_OTHER_PLATFORMS = frozenset({"win32", "nt", "windows", "cygwin", "darwin", "msvc", "java"})


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    return handler.type is None or bool(_handler_names(handler) & _IMPORT_ERRORS)


def _platform_compare(test: ast.expr) -> bool | None:
    """True if ``test`` holds only on a non-Linux platform, False if only off it, else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _platform_compare(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        found = [r for value in test.values if (r := _platform_compare(value)) is not None]
        return True if any(found) else None
    if isinstance(test, ast.Call) and _call_name(test) == "startswith" and test.args:
        text = _const_str(test.args[0])
        return (
            True
            if text is not None and text.lower().startswith(("win", "darwin", "cygwin"))
            else None
        )
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        operands = [test.left, *test.comparators]
        if any((_const_str(o) or "").lower() in _OTHER_PLATFORMS for o in operands):
            return isinstance(test.ops[0], ast.Eq | ast.In | ast.Is)
    return None


def _guarded_children(node: ast.AST, guarded: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Children of ``node``, each with whether a failing import there is harmless on Linux.

    Harmless: inside a ``try:`` body whose handlers catch ImportError (or broader), or in
    the branch of an ``if`` that only runs on Windows/macOS.
    """
    if isinstance(node, ast.Try | ast.TryStar):
        caught = any(_catches_import_error(h) for h in node.handlers)
        yield from ((child, guarded or caught) for child in node.body)
        for child in (*node.handlers, *node.orelse, *node.finalbody):
            yield child, guarded
    elif isinstance(node, ast.If):
        other_platform = _platform_compare(node.test)
        yield node.test, guarded
        yield from ((child, guarded or other_platform is True) for child in node.body)
        yield from ((child, guarded or other_platform is False) for child in node.orelse)
    else:
        yield from ((child, guarded) for child in ast.iter_child_nodes(node))


def _import_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return []


def _imports(module: ast.AST) -> tuple[_Import, ...]:
    """Absolute imports in line order, as dotted names: ``from a import b`` gives ``a``, ``a.b``."""
    found: list[_Import] = []
    stack: list[tuple[ast.AST, bool]] = [(module, False)]
    while stack:
        node, guarded = stack.pop()
        line = getattr(node, "lineno", 0)
        found.extend(_Import(name, line, guarded) for name in _import_names(node))
        stack.extend(_guarded_children(node, guarded))
    return tuple(sorted(found, key=lambda item: item.line))


def _module_matches(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def _stdlib_distutils_forced(module: ast.AST) -> bool:
    """Whether the script sets ``SETUPTOOLS_USE_DISTUTILS=stdlib`` itself."""
    for node in ast.walk(module):
        if isinstance(node, ast.Assign | ast.Expr):
            texts = {hit.text for hit in _string_constants(node)}
            if {"SETUPTOOLS_USE_DISTUTILS", "stdlib"} <= texts:
                return True
    return False


_NETWORK_CALLS = frozenset({"urlretrieve", "urlopen", "download_url", "fetch_url"})
_NETWORK_COMMAND = re.compile(r"^\s*(?:git\s+clone|wget\s|curl\s+-)")


def _network_markers(module: ast.AST) -> tuple[_Hit, ...]:
    """Calls that download (``urlretrieve``, ``requests.get``) or ``git clone`` commands."""
    hits = []
    for call in _calls(module):
        dotted = _dotted(call.func)
        if _call_name(call) in _NETWORK_CALLS or dotted in ("requests.get", "httpx.get"):
            hits.append(_Hit(call.lineno, dotted or _call_name(call)))
    for hit in _string_constants(module):
        if _NETWORK_COMMAND.match(hit.text):
            hits.append(_Hit(hit.line, hit.text.split()[0] + " " + hit.text.split()[1]))
    return tuple(hits)


def _cmake_languages(module: ast.AST) -> tuple[_Hit, ...]:
    """``cmake_languages=("C", "Fortran")`` passed to scikit-build's ``setup()``."""
    hits: list[_Hit] = []
    for node in ast.walk(module):
        if isinstance(node, ast.keyword) and node.arg == "cmake_languages":
            hits.extend(_Hit(node.value.lineno, name) for name in _str_elements(node.value))
    return tuple(hits)


_PY2_SYNTAX = re.compile(
    r"^\s*print\s+[\"'\w]|^\s*except\s+[\w.]+\s*,\s*\w+\s*:|^\s*exec\s+[\"']|\bur[\"']",
    re.MULTILINE,
)


def _python2_line(text: str) -> int | None:
    match = _PY2_SYNTAX.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _script_paths(
    c: _Collector, backend: BuildBackend, pyproject: Mapping[str, object]
) -> tuple[str, ...]:
    """Python files the backend executes: setup.py, poetry/pdm build scripts, in-tree backends."""
    paths = []
    if backend.kind in _SETUP_PY_BACKENDS:
        paths.append("setup.py")
    poetry_build = _table(pyproject, "tool", "poetry").get("build")
    if isinstance(poetry_build, str):
        paths.append(poetry_build)
    poetry_script = _table(pyproject, "tool", "poetry", "build").get("script")
    if isinstance(poetry_script, str):
        paths.append(poetry_script)
    pdm_script = _table(pyproject, "tool", "pdm", "build").get("setup-script")
    if isinstance(pdm_script, str):
        paths.append(pdm_script)
    module = backend.name.split(":", 1)[0].replace(".", "/")
    paths.extend(f"{base.strip('/')}/{module}.py".lstrip("/") for base in backend.backend_path)
    return tuple(p for p in dict.fromkeys(paths) if p in c.tree.files)


def _analyze_scripts(c: _Collector, backend: BuildBackend, pyproject: Mapping[str, object]) -> None:
    paths = _script_paths(c, backend, pyproject)
    for rel, text in c.read(paths).items():
        try:
            module = ast.parse(text, filename=rel)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            _unparsable_script(c, backend, rel, text, exc)
            continue
        try:
            _analyze_script(c, backend, rel, module)
        except RecursionError:
            # Absurdly nested code: keep what was found, say the answer is partial.
            c.incomplete = True
            c.note(Evidence(rel, None, Why.UNPARSABLE, "nested too deeply"))


def _analyze_script(c: _Collector, backend: BuildBackend, rel: str, module: ast.AST) -> None:
    _script_compiled_parts(c, rel, module)
    _script_libraries(c, rel, module)
    _script_breakages(c, backend, rel, module)
    for hit in _network_markers(module):
        c.add_network(Evidence(rel, hit.line, Why.NETWORK_FETCH, hit.text))


def _unparsable_script(
    c: _Collector, backend: BuildBackend, rel: str, text: str, exc: Exception
) -> None:
    line = _python2_line(text)
    if line is None:
        c.incomplete = True
        c.note(Evidence(rel, getattr(exc, "lineno", None), Why.UNPARSABLE, type(exc).__name__))
        return
    evidence = Evidence(rel, line, Why.PYTHON2_SYNTAX, text.splitlines()[line - 1].strip()[:80])
    c.note(evidence)
    c.breakages.append(Breakage(BreakageKind.PYTHON2_ONLY, evidence, Fix(FixKind.NONE)))


def _script_compiled_parts(c: _Collector, rel: str, module: ast.AST) -> None:
    markers = _extension_markers(module)
    if any(m[0].text == "RustExtension(" or m[0].text == "rust_extensions=" for m in markers):
        c.uses_rust = True
    if any(_module_matches(i.module, "skbuild") for i in _imports(module)):
        c.uses_cmake = True
        for hit in _cmake_languages(module):
            _add_cmake_language(
                c,
                Evidence(rel, hit.line, Why.LANGUAGE_DECLARED, f"cmake_languages {hit.text}"),
                hit.text,
            )
    if not markers:
        return
    for hit, language in markers:
        evidence = Evidence(rel, hit.line, Why.EXTENSION_MODULE, hit.text)
        c.note(evidence)
        if language is not None and language is not Language.RUST:
            c.add_language(language, evidence)
    _script_sources(c, rel, module)
    _script_optional(c, rel, module)


def _script_sources(c: _Collector, rel: str, module: ast.AST) -> None:
    cxx = _cxx_declarations(module)
    for hit in _source_strings(module):
        language = _SOURCE_SUFFIXES.get(_suffix(hit.text))
        if language is None or language is Language.RUST:
            continue
        c.script_sources.append(hit.text)
        c.add_language(language, Evidence(rel, hit.line, Why.COMPILED_SOURCE, hit.text))
    for hit in cxx:
        c.add_language(Language.CXX, Evidence(rel, hit.line, Why.LANGUAGE_DECLARED, hit.text))


def _script_optional(c: _Collector, rel: str, module: ast.AST) -> None:
    total, optional = _optional_keyword_count(module)
    handlers = _fallback_handlers(module)
    c.script_extensions += total
    c.optional_extensions += len(optional)
    c.optional_fallback = c.optional_fallback or bool(handlers)
    for hit in (*optional, *handlers):
        c.note(Evidence(rel, hit.line, Why.OPTIONAL_EXTENSION, hit.text))


def _script_libraries(c: _Collector, rel: str, module: ast.AST) -> None:
    for hit in _library_names(module):
        library = _LINK_NAMES.get(hit.text.removeprefix("lib"))
        if library is not None:
            c.add_library(library, Evidence(rel, hit.line, Why.LIBRARY_LINKED, hit.text))
    for hit, library in _config_tools(module):
        c.add_library(library, Evidence(rel, hit.line, Why.LIBRARY_TOOL, hit.text))
    for hit, library in _pkg_config_modules(module):
        c.add_library(library, Evidence(rel, hit.line, Why.PKG_CONFIG_MODULE, hit.text))


# -- breakages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Removal:
    """A module current setuptools no longer provides, and the release that removed it."""

    module: str
    removed_in: str
    kind: BreakageKind = BreakageKind.SETUPTOOLS_REMOVED_MODULE


_SETUPTOOLS_REMOVALS: tuple[_Removal, ...] = (
    _Removal("distutils.msvccompiler", "74"),
    _Removal("distutils.msvc9compiler", "74"),
    _Removal("distutils.bcppcompiler", "75"),
    _Removal("distutils.command.register", "75"),
    _Removal("distutils.command.upload", "75"),
    _Removal("distutils.config", "75"),
    _Removal("setuptools.command.upload_docs", "75"),
    _Removal("setuptools.dep_util", "70"),
    _Removal("setuptools.convert_path", "70"),
    _Removal("setuptools.command.easy_install", "80"),
    _Removal("setuptools.package_index", "80"),
    _Removal("setuptools.sandbox", "80"),
    _Removal("pkg_resources", "82", BreakageKind.PKG_RESOURCES),
)

_STDLIB_REMOVALS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "imp": (3, 12),
        "asynchat": (3, 12),
        "asyncore": (3, 12),
        "smtpd": (3, 12),
        **dict.fromkeys(
            [
                "aifc",
                "audioop",
                "cgi",
                "cgitb",
                "chunk",
                "crypt",
                "imghdr",
                "mailcap",
                "msilib",
                "nis",
                "nntplib",
                "ossaudiodev",
                "pipes",
                "sndhdr",
                "spwd",
                "sunau",
                "telnetlib",
                "uu",
                "xdrlib",
                "lib2to3",
            ],
            (3, 13),
        ),
    }
)

_NUMPY_DISTUTILS_GONE = (3, 12)


def _pin_fix(constraint: str) -> Fix:
    return Fix(
        FixKind.PIN_BUILD_DEPENDENCY, constraint=constraint, variables=BUILD_CONSTRAINT_VARIABLES
    )


def _script_breakages(c: _Collector, backend: BuildBackend, rel: str, module: ast.AST) -> None:
    imports = tuple(i for i in _imports(module) if not i.guarded)
    stdlib_distutils = c.python_version < (3, 12) and _stdlib_distutils_forced(module)
    for item in imports:
        _setuptools_removal(c, backend, rel, item, stdlib_distutils)
        _numpy_distutils(c, rel, item)
        _stdlib_removal(c, rel, item)


def _setuptools_removal(
    c: _Collector, backend: BuildBackend, rel: str, item: _Import, stdlib_distutils: bool
) -> None:
    for removal in _SETUPTOOLS_REMOVALS:
        if not _module_matches(item.module, removal.module):
            continue
        if stdlib_distutils and removal.module.startswith("distutils."):
            continue
        if not _admits_at_or_above(backend, "setuptools", Version(removal.removed_in)):
            continue
        # The table's name, not the imported one: "from pkg_resources import a, b" is one finding.
        evidence = Evidence(rel, item.line, Why.REMOVED_SETUPTOOLS_MODULE, removal.module)
        c.note(evidence)
        c.breakages.append(
            Breakage(removal.kind, evidence, _pin_fix(f"setuptools<{removal.removed_in}"))
        )


def _numpy_distutils(c: _Collector, rel: str, item: _Import) -> None:
    if (
        not _module_matches(item.module, "numpy.distutils")
        or c.python_version < _NUMPY_DISTUTILS_GONE
    ):
        return
    evidence = Evidence(rel, item.line, Why.NUMPY_DISTUTILS, "numpy.distutils")
    c.note(evidence)
    fix = Fix(FixKind.USE_OLDER_PYTHON, python_below=_NUMPY_DISTUTILS_GONE)
    c.breakages.append(Breakage(BreakageKind.NUMPY_DISTUTILS, evidence, fix))


def _stdlib_removal(c: _Collector, rel: str, item: _Import) -> None:
    top = item.module.split(".", 1)[0]
    removed = _STDLIB_REMOVALS.get(top)
    if removed is None or c.python_version < removed or item.module != top:
        return
    evidence = Evidence(rel, item.line, Why.REMOVED_STDLIB_MODULE, top)
    c.note(evidence)
    fix = Fix(FixKind.USE_OLDER_PYTHON, python_below=removed)
    c.breakages.append(Breakage(BreakageKind.STDLIB_REMOVED_MODULE, evidence, fix))


# -- pyproject tool tables ------------------------------------------------------------------


def _analyze_pyproject_tools(c: _Collector, pyproject: Mapping[str, object]) -> None:
    text = c.texts.get("pyproject.toml", "")
    _setuptools_rust_table(c, pyproject, text)
    _setuptools_ext_modules(c, pyproject, text)
    _hatch_hooks(c, pyproject, text)


def _setuptools_rust_table(c: _Collector, pyproject: Mapping[str, object], text: str) -> None:
    table = _table(pyproject, "tool", "setuptools-rust")
    modules = [m for key in ("ext-modules", "bins") for m in _list_of_tables(table.get(key))]
    if not modules:
        return
    c.uses_rust = True
    line = _line_of(text, "[tool.setuptools-rust") or _line_of(text, "setuptools-rust")
    c.add_language(
        Language.RUST,
        Evidence("pyproject.toml", line, Why.EXTENSION_MODULE, "tool.setuptools-rust"),
    )
    c.mandatory_build = True
    for module in modules:
        version = module.get("rust-version")
        if isinstance(version, str):
            c.rust_versions.append(version)


def _list_of_tables(value: object) -> list[dict[str, object]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _setuptools_ext_modules(c: _Collector, pyproject: Mapping[str, object], text: str) -> None:
    modules = _list_of_tables(_table(pyproject, "tool", "setuptools").get("ext-modules"))
    for module in modules:
        line = _line_of(text, "ext-modules")
        c.note(
            Evidence("pyproject.toml", line, Why.EXTENSION_MODULE, "tool.setuptools.ext-modules")
        )
        c.mandatory_build = True
        for source in _str_list(module.get("sources")):
            language = _SOURCE_SUFFIXES.get(_suffix(source))
            if language is not None:
                c.script_sources.append(source)
                c.add_language(
                    language,
                    Evidence("pyproject.toml", _line_of(text, source), Why.COMPILED_SOURCE, source),
                )
        if str(module.get("language", "")).lower() in ("c++", "cpp"):
            c.add_language(
                Language.CXX,
                Evidence("pyproject.toml", line, Why.LANGUAGE_DECLARED, "language = c++"),
            )


_HATCH_HOOKS: Mapping[str, tuple[Language, ...]] = MappingProxyType(
    {"mypyc": (Language.C,), "cython": (Language.CYTHON, Language.C)}
)


def _hatch_hooks(c: _Collector, pyproject: Mapping[str, object], text: str) -> None:
    for hooks in (
        _table(pyproject, "tool", "hatch", "build", "hooks"),
        _table(pyproject, "tool", "hatch", "build", "targets", "wheel", "hooks"),
    ):
        for name, languages in _HATCH_HOOKS.items():
            hook = hooks.get(name)
            if not isinstance(hook, dict) or hook.get("enable-by-default") is False:
                continue
            c.mandatory_build = True
            evidence = Evidence(
                "pyproject.toml",
                _line_of(text, f"hooks.{name}"),
                Why.EXTENSION_MODULE,
                f"hatch {name} hook",
            )
            for language in languages:
                c.add_language(language, evidence)


# -- Cargo ---------------------------------------------------------------------------------

_SYS_CRATES: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "openssl-sys": SystemLibrary.OPENSSL,
        "openssl": SystemLibrary.OPENSSL,
        "pq-sys": SystemLibrary.POSTGRESQL,
        "mysqlclient-sys": SystemLibrary.MYSQL,
        "hdf5-sys": SystemLibrary.HDF5,
        "gdal-sys": SystemLibrary.GDAL,
        "odbc-sys": SystemLibrary.ODBC,
        "geos-sys": SystemLibrary.GEOS,
        "libxml": SystemLibrary.LIBXML2,
    }
)


@dataclass(frozen=True)
class _Crate:
    """One dependency of a crate manifest."""

    key: str
    name: str
    section: str
    local: bool
    features: tuple[str, ...]


def _cargo_manifests(c: _Collector) -> tuple[str, ...]:
    manifests = sorted(
        (
            rel
            for rel in c.tree.files
            if rel.rsplit("/", 1)[-1] == "Cargo.toml" and not _excluded(rel)
        ),
        key=lambda rel: (rel.count("/"), rel),
    )
    return tuple(manifests[:MAX_CARGO_MANIFESTS])


def _cargo_configs(c: _Collector) -> tuple[str, ...]:
    return tuple(
        rel for rel in c.tree.files if rel.endswith((".cargo/config.toml", ".cargo/config"))
    )


def _dependency_tables(manifest: Mapping[str, object]) -> Iterator[tuple[str, dict[str, object]]]:
    for section in ("dependencies", "build-dependencies"):
        yield section, _table(manifest, section)
    for target in _table(manifest, "target").values():
        for section in ("dependencies", "build-dependencies"):
            yield section, _table(target, section)


def _crates(manifest: Mapping[str, object]) -> Iterator[_Crate]:
    for section, table in _dependency_tables(manifest):
        for key, spec in table.items():
            if isinstance(spec, dict):
                package = spec.get("package")
                name = package if isinstance(package, str) else key
                local = "path" in spec and "git" not in spec
                yield _Crate(key, name, section, local, _str_list(spec.get("features")))
            else:
                yield _Crate(key, key, section, False, ())


def _cargo_vendored(c: _Collector) -> bool:
    """Whether crates ship inside the sdist (``cargo vendor`` output), so nothing is fetched."""
    if any(rel.endswith(".cargo-checksum.json") for rel in c.tree.files):
        return True
    configs = c.read(_cargo_configs(c))
    return any("vendored-sources" in text or "directory =" in text for text in configs.values())


def _analyze_cargo(c: _Collector) -> None:
    if not c.uses_rust:
        return
    manifests = c.read(_cargo_manifests(c))
    c.mandatory_build = True
    first = next(iter(manifests), None)
    if first is None:
        c.add_language(
            Language.RUST, Evidence("pyproject.toml", None, Why.BUILD_BACKEND, "Rust build backend")
        )
        return
    c.add_language(Language.RUST, Evidence(first, 1, Why.CARGO_MANIFEST, first))
    fetched: list[Evidence] = []
    for rel, text in manifests.items():
        fetched.extend(_analyze_manifest(c, rel, text))
    if fetched and not _cargo_vendored(c):
        c.add_network(fetched[0])


def _analyze_manifest(c: _Collector, rel: str, text: str) -> list[Evidence]:
    """Record one manifest's C builds, system crates and rust-version; return fetch evidence."""
    manifest = _load_toml(c, rel, text)
    version = _table(manifest, "package").get("rust-version")
    if isinstance(version, str):
        c.rust_versions.append(version)
    fetched: list[Evidence] = []
    for crate in _crates(manifest):
        if crate.section == "build-dependencies" and crate.name == "cc":
            line = _key_line(text, crate.key)
            c.add_language(Language.C, Evidence(rel, line, Why.CARGO_C_BUILD, "cc"))
        library = _SYS_CRATES.get(crate.name)
        if library is not None and "vendored" not in crate.features:
            c.add_library(
                library, Evidence(rel, _key_line(text, crate.key), Why.SYS_CRATE, crate.name)
            )
        if not crate.local and not fetched:
            line = _key_line(text, crate.key)
            fetched.append(Evidence(rel, line, Why.NETWORK_FETCH, f"crate {crate.name}"))
    return fetched


# -- CMake and meson -----------------------------------------------------------------------


#: Reads one CMake/meson file, records findings, returns the subdirectories it adds.
_Visitor = Callable[["_Collector", str, str], tuple[str, ...]]


@dataclass(frozen=True)
class _BuildCall:
    """One ``name(args)`` call in a CMake or meson file."""

    name: str
    args: str
    line: int


_CALL_START = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _strip_comments(text: str) -> str:
    """Drop ``#`` comments outside quotes (both CMake and meson use ``#``), keeping lines."""
    out = []
    for line in text.splitlines():
        quote = ""
        for index, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "#":
                line = line[:index]
                break
        out.append(line)
    return "\n".join(out)


def _paren_pairs(text: str) -> dict[int, int]:
    """Index of each ``(`` -> index of its ``)``, quotes respected, in one pass."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    quote = ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            opened.append(index)
        elif char == ")" and opened:
            pairs[opened.pop()] = index
    return pairs


def _build_calls(text: str, names: frozenset[str]) -> Iterator[_BuildCall]:
    """Calls of ``names`` in a CMake or meson file (names compared case-insensitively)."""
    clean = _strip_comments(text)
    pairs = _paren_pairs(clean)
    line, counted = 1, 0
    for match in _CALL_START.finditer(clean):
        end = pairs.get(match.end() - 1)
        if match.group(1).lower() not in names or end is None:
            continue
        line += clean.count("\n", counted, match.start())
        counted = match.start()
        yield _BuildCall(match.group(1).lower(), clean[match.end() : end], line)


_CMAKE_LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {"c": Language.C, "cxx": Language.CXX, "fortran": Language.FORTRAN}
)
_CMAKE_PACKAGES: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "blas": SystemLibrary.BLAS,
        "lapack": SystemLibrary.LAPACK,
        "hdf5": SystemLibrary.HDF5,
        "postgresql": SystemLibrary.POSTGRESQL,
        "libxml2": SystemLibrary.LIBXML2,
        "libxslt": SystemLibrary.LIBXSLT,
        "openssl": SystemLibrary.OPENSSL,
        "zlib": SystemLibrary.ZLIB,
        "jpeg": SystemLibrary.JPEG,
        "png": SystemLibrary.PNG,
        "freetype": SystemLibrary.FREETYPE,
        "curl": SystemLibrary.CURL,
        "gdal": SystemLibrary.GDAL,
        "geos": SystemLibrary.GEOS,
        "odbc": SystemLibrary.ODBC,
    }
)
_CMAKE_CALLS = frozenset(
    {
        "project",
        "enable_language",
        "find_package",
        "pkg_check_modules",
        "pkg_search_module",
        "add_subdirectory",
        "fetchcontent_declare",
        "externalproject_add",
        "file",
    }
)


def _add_cmake_language(c: _Collector, evidence: Evidence, token: str) -> None:
    language = _CMAKE_LANGUAGES.get(token.strip("\"'").lower())
    if language is not None:
        c.add_language(language, evidence)


def _cmake_project_languages(args: Sequence[str]) -> tuple[str, ...]:
    """Languages of ``project(name [LANGUAGES] ...)``; CMake's default is C and CXX."""
    if "LANGUAGES" in args:
        return tuple(args[args.index("LANGUAGES") + 1 :])
    listed = tuple(a for a in args[1:] if a.lower() in _CMAKE_LANGUAGES or a == "NONE")
    return listed or ("C", "CXX")


def _cmake_call(c: _Collector, rel: str, call: _BuildCall) -> tuple[str, ...]:
    """Record one CMake call; return the subdirectories it adds."""
    args = call.args.split()
    evidence = Evidence(
        rel, call.line, Why.LANGUAGE_DECLARED, f"{call.name}({' '.join(args)[:60]})"
    )
    if call.name == "project" and args:
        for token in _cmake_project_languages(args):
            _add_cmake_language(c, evidence, token)
    elif call.name == "enable_language" and args:
        _add_cmake_language(c, evidence, args[0])
    elif call.name == "find_package" and args and "REQUIRED" in args:
        library = _CMAKE_PACKAGES.get(args[0].lower())
        if library is not None:
            c.add_library(library, Evidence(rel, call.line, Why.CMAKE_PACKAGE, args[0]))
    elif call.name in ("pkg_check_modules", "pkg_search_module") and "REQUIRED" in args:
        for module in args[1:]:
            library = _PKG_CONFIG_MODULES.get(module.split(">")[0].split("=")[0])
            if library is not None:
                c.add_library(library, Evidence(rel, call.line, Why.PKG_CONFIG_MODULE, module))
    elif call.name in ("fetchcontent_declare", "externalproject_add") or args[:1] == ["DOWNLOAD"]:
        c.add_network(Evidence(rel, call.line, Why.NETWORK_FETCH, call.name))
    elif call.name == "add_subdirectory" and args and "$" not in args[0]:
        return (args[0].strip("\"'"),)
    return ()


def _follow(c: _Collector, start: str, filename: str, visit: _Visitor) -> None:
    """Breadth-first over ``start`` and the subdirectories ``visit`` returns, up to a cap."""
    queue = [start]
    seen: set[str] = set()
    while queue and len(seen) < MAX_BUILD_FILES:
        batch = [rel for rel in dict.fromkeys(queue) if rel not in seen][
            : MAX_BUILD_FILES - len(seen)
        ]
        seen.update(batch)
        queue = []
        for rel, text in c.read(batch).items():
            base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
            for sub in visit(c, rel, text):
                queue.append(_join(base, sub, filename))


def _join(base: str, sub: str, filename: str) -> str:
    parts: list[str] = []
    for part in (base + sub).split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join([*parts, filename])


def _visit_cmake(c: _Collector, rel: str, text: str) -> tuple[str, ...]:
    subdirs: list[str] = []
    for call in _build_calls(text, _CMAKE_CALLS):
        subdirs.extend(_cmake_call(c, rel, call))
    return tuple(subdirs)


def _analyze_cmake(c: _Collector, pyproject: Mapping[str, object]) -> None:
    if not c.uses_cmake:
        return
    c.mandatory_build = True
    source_dir = _table(pyproject, "tool", "scikit-build", "cmake").get("source-dir")
    base = (
        source_dir.strip("/") + "/"
        if isinstance(source_dir, str) and source_dir.strip("./")
        else ""
    )
    _follow(c, base + "CMakeLists.txt", "CMakeLists.txt", _visit_cmake)


_MESON_LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {
        "c": Language.C,
        "cpp": Language.CXX,
        "cython": Language.CYTHON,
        "fortran": Language.FORTRAN,
        "rust": Language.RUST,
    }
)
_MESON_CALLS = frozenset({"project", "add_languages", "dependency", "subdir"})
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_KEYWORD = re.compile(r"^\s*(\w+)\s*:(.*)$", re.DOTALL)


def _split_args(args: str) -> list[str]:
    """Top-level comma-separated arguments (brackets and quotes respected)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in args:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _meson_args(args: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    keywords: dict[str, str] = {}
    for part in _split_args(args):
        match = _KEYWORD.match(part)
        if match and not part.lstrip().startswith(("'", '"')):
            keywords[match.group(1)] = match.group(2).strip()
        else:
            positional.append(part.strip())
    return positional, keywords


def _quoted(text: str) -> list[str]:
    return [a or b for a, b in _QUOTED.findall(text)]


def _meson_required(keywords: Mapping[str, str]) -> bool:
    """Only an absent or literal ``true`` ``required:`` makes a dependency mandatory."""
    return keywords.get("required", "true").strip() == "true"


def _visit_meson(c: _Collector, rel: str, text: str) -> tuple[str, ...]:
    subdirs: list[str] = []
    for call in _build_calls(text, _MESON_CALLS):
        positional, keywords = _meson_args(call.args)
        if call.name == "subdir" and positional:
            subdirs.extend(_quoted(positional[0])[:1])
        elif call.name == "project":
            _meson_languages(c, rel, call, [q for p in positional[1:] for q in _quoted(p)])
        elif call.name == "add_languages" and _meson_required(keywords):
            _meson_languages(c, rel, call, [q for p in positional for q in _quoted(p)])
        elif call.name == "dependency" and positional and _meson_required(keywords):
            _meson_dependency(c, rel, call, positional[0])
    return tuple(subdirs)


def _meson_languages(c: _Collector, rel: str, call: _BuildCall, names: Sequence[str]) -> None:
    for name in names:
        language = _MESON_LANGUAGES.get(name.lower())
        if language is not None:
            c.add_language(
                language, Evidence(rel, call.line, Why.LANGUAGE_DECLARED, f"{call.name}: {name}")
            )


def _meson_dependency(c: _Collector, rel: str, call: _BuildCall, first: str) -> None:
    names = _quoted(first)
    # Only a literal name is trusted; variables (numpy's blas_name) are configurable.
    if len(names) != 1 or first.strip()[0] not in "'\"":
        return
    library = _PKG_CONFIG_MODULES.get(names[0])
    if library is not None:
        c.add_library(library, Evidence(rel, call.line, Why.MESON_DEPENDENCY, names[0]))


def _analyze_meson(c: _Collector, backend: BuildBackend) -> None:
    if backend.kind is not BackendKind.MESON_PYTHON:
        return
    c.mandatory_build = True
    _follow(c, "meson.build", "meson.build", _visit_meson)
    _meson_wraps(c)


def _meson_wraps(c: _Collector) -> None:
    """Wrap files whose sources are not in the sdist make meson download them."""
    wraps = [
        rel for rel in c.tree.files if rel.startswith("subprojects/") and rel.endswith(".wrap")
    ]
    for rel, text in c.read(sorted(wraps)).items():
        directory = re.search(r"^\s*directory\s*=\s*(\S+)", text, re.MULTILINE)
        name = directory.group(1) if directory else rel.rsplit("/", 1)[-1].removesuffix(".wrap")
        if any(other.startswith(f"subprojects/{name}/") for other in c.tree.files):
            continue
        if "[wrap-git]" in text or re.search(r"^\s*source_url\s*=", text, re.MULTILINE):
            c.add_network(Evidence(rel, 1, Why.NETWORK_FETCH, f"meson wrap {name}"))


# -- archive-wide fallbacks ----------------------------------------------------------------


def _archive_counts(c: _Collector) -> Counter[Language]:
    """Compiled source files per language, outside tests/docs/examples."""
    counts: Counter[Language] = Counter()
    for rel in c.tree.files:
        language = _SOURCE_SUFFIXES.get(_suffix(rel))
        if language is not None and not _excluded(rel):
            counts[language] += 1
    return counts


def _compiled(c: _Collector) -> bool:
    return any(language in _COMPILED for language in c.languages)


def _fallback_languages(c: _Collector, backend: BuildBackend) -> None:
    """Languages from file suffixes when the build declares compiled parts but names no sources.

    Also for unknown backends, which may compile anything: their answer is marked
    incomplete.
    """
    declared = c.script_extensions > 0 or any(e.why is Why.EXTENSION_MODULE for e in c.evidence)
    unknown_backend = backend.kind in (BackendKind.OTHER, BackendKind.IN_TREE) and not declared
    if _compiled(c) or not (declared or unknown_backend):
        return
    counts = _archive_counts(c)
    for language, count in counts.most_common():
        c.add_language(
            language,
            Evidence("", None, Why.SOURCE_FILES, f"{count} {_suffix_names(language)} files"),
        )
    if unknown_backend and counts:
        c.incomplete = True
    if declared and not counts:
        c.incomplete = True
        c.languages.setdefault(Language.C, [])


def _suffix_names(language: Language) -> str:
    return "/".join(s for s, lang in _SOURCE_SUFFIXES.items() if lang is language)


def _cython_target(c: _Collector) -> None:
    """Cython compiles to C, or to C++ when the build says ``language="c++"``."""
    if Language.CYTHON in c.languages and not ({Language.C, Language.CXX} & set(c.languages)):
        c.languages[Language.C] = list(c.languages[Language.CYTHON])


# -- #include scanning ---------------------------------------------------------------------

_INCLUDE = re.compile(r"^\s*#\s*include\s*[<\"]([^>\"]+)[>\"]", re.MULTILINE)
_CYTHON_EXTERN = re.compile(r"cdef\s+extern\s+from\s+[\"<]([^\">]+)[\">]")

_HEADERS: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "libpq-fe.h": SystemLibrary.POSTGRESQL,
        "ffi.h": SystemLibrary.FFI,
        "jpeglib.h": SystemLibrary.JPEG,
        "turbojpeg.h": SystemLibrary.JPEG,
        "zlib.h": SystemLibrary.ZLIB,
        "png.h": SystemLibrary.PNG,
        "ft2build.h": SystemLibrary.FREETYPE,
        "hdf5.h": SystemLibrary.HDF5,
        "mysql.h": SystemLibrary.MYSQL,
        "gdal.h": SystemLibrary.GDAL,
        "gdal_priv.h": SystemLibrary.GDAL,
        "ogr_api.h": SystemLibrary.GDAL,
        "cpl_conv.h": SystemLibrary.GDAL,
        "cblas.h": SystemLibrary.BLAS,
        "f77blas.h": SystemLibrary.BLAS,
        "lapacke.h": SystemLibrary.LAPACK,
        "ldap.h": SystemLibrary.LDAP,
        "lber.h": SystemLibrary.LDAP,
        "sasl.h": SystemLibrary.SASL,
        "cgraph.h": SystemLibrary.GRAPHVIZ,
        "gvc.h": SystemLibrary.GRAPHVIZ,
        "yaml.h": SystemLibrary.YAML,
        "krb5.h": SystemLibrary.KERBEROS,
        "gssapi.h": SystemLibrary.KERBEROS,
        "sql.h": SystemLibrary.ODBC,
        "sqlext.h": SystemLibrary.ODBC,
        "geos_c.h": SystemLibrary.GEOS,
    }
)
_HEADER_DIRS: Mapping[str, SystemLibrary] = MappingProxyType(
    {
        "libxml": SystemLibrary.LIBXML2,
        "libxslt": SystemLibrary.LIBXSLT,
        "libexslt": SystemLibrary.LIBXSLT,
        "openssl": SystemLibrary.OPENSSL,
        "curl": SystemLibrary.CURL,
        "graphviz": SystemLibrary.GRAPHVIZ,
        "sasl": SystemLibrary.SASL,
        "mysql": SystemLibrary.MYSQL,
        "mariadb": SystemLibrary.MYSQL,
        "postgresql": SystemLibrary.POSTGRESQL,
        "hdf5": SystemLibrary.HDF5,
        "gssapi": SystemLibrary.KERBEROS,
    }
)


def _header_library(header: str, bundled: frozenset[str]) -> SystemLibrary | None:
    """The library an ``#include`` names, unless the sdist ships that header itself."""
    parts = header.strip().split("/")
    if parts[-1] in bundled:
        return None
    if len(parts) > 1 and parts[0] in _HEADER_DIRS:
        return _HEADER_DIRS[parts[0]]
    return _HEADERS.get(parts[-1])


def _cython_generated(rel: str, files: Mapping[str, str]) -> bool:
    """``x.c``/``x.cpp`` beside ``x.pyx``: the ``.pyx`` declares the same externs, briefly."""
    stem, _, suffix = rel.rpartition(".")
    return suffix.lower() in ("c", "cpp") and f"{stem}.pyx" in files


def _scan_candidates(c: _Collector) -> tuple[str, ...]:
    named = {source.lstrip("./").rsplit("/", 1)[-1] for source in c.script_sources}
    candidates = [
        rel
        for rel in c.tree.files
        if _suffix(rel) in _SCANNED_SUFFIXES
        and not _excluded(rel)
        and not _cython_generated(rel, c.tree.files)
    ]
    candidates.sort(key=lambda rel: (rel.rsplit("/", 1)[-1] not in named, rel.count("/"), rel))
    return tuple(candidates[:MAX_SCANNED_SOURCES])


def _scan_includes(c: _Collector) -> None:
    if not ({Language.C, Language.CXX, Language.CYTHON} & set(c.languages)):
        return
    bundled = c.tree.basenames()
    for rel, text in c.read(_scan_candidates(c)).items():
        seen: set[SystemLibrary] = set()
        for match in (*_INCLUDE.finditer(text), *_CYTHON_EXTERN.finditer(text)):
            library = _header_library(match.group(1), bundled)
            if library is not None and library not in seen:
                seen.add(library)
                line = text.count("\n", 0, match.start()) + 1
                c.add_library(library, Evidence(rel, line, Why.HEADER_INCLUDED, match.group(1)))


# -- assembling ----------------------------------------------------------------------------


def _note_unsafe(c: _Collector) -> None:
    for raw in c.tree.unsafe[:5]:
        c.note(Evidence(raw, None, Why.UNSAFE_MEMBER))


def _optional_only(c: _Collector) -> bool:
    """Compiled parts come only from the setup script and all of them may fail."""
    if c.mandatory_build or not _compiled(c):
        return False
    all_flagged = c.script_extensions > 0 and c.optional_extensions >= c.script_extensions
    return c.optional_fallback or all_flagged


def _primary_language(c: _Collector, languages: Sequence[Language]) -> Language | None:
    """The language that decides the toolchain: Rust, Fortran, Go, then C or C++ by bulk."""
    for language in (Language.RUST, Language.FORTRAN, Language.GO):
        if language in languages:
            return language
    if Language.C in languages and Language.CXX in languages:
        counts = _archive_counts(c)
        return Language.CXX if counts[Language.CXX] > counts[Language.C] else Language.C
    for language in (Language.CXX, Language.C):
        if language in languages:
            return language
    return None


def _rust_version(versions: Sequence[str]) -> str | None:
    parsed: list[Version] = []
    for text in versions:
        try:
            parsed.append(Version(text.lstrip(">=~^ ")))
        except InvalidVersion:
            continue
    return str(max(parsed)) if parsed else None


def _network_breakages(c: _Collector) -> tuple[Breakage, ...]:
    if not c.network:
        return ()
    fix = Fix(FixKind.ALLOW_NETWORK)
    return (Breakage(BreakageKind.NETWORK_FETCH, c.network[0], fix, blocking=False),)


def _assemble(c: _Collector, backend: BuildBackend) -> BuildNeeds:
    languages = tuple(lang for lang in Language if lang in c.languages)
    optional = _optional_only(c)
    libraries = tuple(
        LibraryNeed(lib, tuple(c.libraries[lib])) for lib in SystemLibrary if lib in c.libraries
    )
    return BuildNeeds(
        backend=backend,
        languages=languages,
        primary_language=_primary_language(c, languages),
        compiler_needed=bool(languages) and not optional,
        optional_extension=optional,
        system_libraries=libraries,
        evidence=tuple(c.evidence),
        breakages=tuple(dict.fromkeys(c.breakages)) + _network_breakages(c),
        network_fetch=bool(c.network),
        rust_version=_rust_version(c.rust_versions),
        complete=not c.incomplete,
        files_read=tuple(c.files_read),
    )


_ROOT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def analyze_sdist(reader: ArchiveReader, *, python_version: tuple[int, int]) -> BuildNeeds:
    """What building the sdist in ``reader`` needs, for the target ``python_version``.

    Reads only the members described in the module docstring, a few passes over the
    archive at most; executes nothing. ``python_version`` decides the breakages that
    depend on the target (``numpy.distutils`` and ``imp`` on 3.12+ ...).
    Raises ArchiveError if the archive turns out corrupt or over its read budget.
    """
    c = _Collector(_tree(reader), python_version)
    _note_unsafe(c)
    c.read((*_ROOT_FILES, *_cargo_manifests(c)))
    pyproject = _load_pyproject(c)
    backend = _backend(pyproject)
    _note_backend(c, backend)
    _analyze_scripts(c, backend, pyproject)
    _analyze_pyproject_tools(c, pyproject)
    _analyze_cargo(c)
    _analyze_cmake(c, pyproject)
    _analyze_meson(c, backend)
    if backend.kind not in _PURE_BACKENDS or c.script_extensions or c.mandatory_build:
        _fallback_languages(c, backend)
    _cython_target(c)
    _scan_includes(c)
    return _assemble(c, backend)


# -- prediction ----------------------------------------------------------------------------


def _breakage_reasons(needs: BuildNeeds, network: bool) -> tuple[BuildReason, ...]:
    reasons = []
    for breakage in needs.breakages:
        blocking = breakage.blocking or (
            breakage.kind is BreakageKind.NETWORK_FETCH and not network
        )
        reasons.append(BuildReason(ReasonKind.BREAKAGE, blocking, breakage=breakage))
    return tuple(reasons)


def _toolchain_reasons(needs: BuildNeeds, image: ImageFacts) -> tuple[BuildReason, ...]:
    return tuple(
        BuildReason(
            ReasonKind.MISSING_TOOLCHAIN,
            True,
            toolchain=toolchain,
            packages=TOOLCHAIN_PACKAGES[toolchain].for_family(image.family),
        )
        for toolchain in needs.toolchains
        if not image.has_toolchain(toolchain)
    )


def _library_reasons(needs: BuildNeeds, image: ImageFacts) -> tuple[BuildReason, ...]:
    return tuple(
        BuildReason(
            ReasonKind.MISSING_LIBRARY,
            True,
            library=need.library,
            packages=packages_for(image.family, libraries=[need.library]),
        )
        for need in needs.system_libraries
        if not image.has_library(need.library)
    )


def _compile_reasons(needs: BuildNeeds, image: ImageFacts) -> tuple[BuildReason, ...]:
    if not needs.compiler_needed:
        kind = (
            ReasonKind.OPTIONAL_EXTENSION
            if needs.optional_extension
            else ReasonKind.NOTHING_TO_COMPILE
        )
        return (BuildReason(kind, False),)
    if not image.known:
        return (BuildReason(ReasonKind.IMAGE_UNKNOWN, False),)
    return _toolchain_reasons(needs, image) + _library_reasons(needs, image)


def _result(reasons: Sequence[BuildReason]) -> BuildResult:
    if any(reason.blocking for reason in reasons):
        return BuildResult.FAILS
    uncertain = (ReasonKind.IMAGE_UNKNOWN, ReasonKind.ANALYSIS_INCOMPLETE)
    if any(reason.kind in uncertain for reason in reasons):
        return BuildResult.UNKNOWN
    return BuildResult.BUILDS


def predict_build(needs: BuildNeeds, image: ImageFacts, *, network: bool = True) -> BuildPrediction:
    """Whether building the sdist with ``needs`` succeeds in ``image``.

    Blocking reasons (a breakage, a missing compiler, a missing ``-dev`` package) make
    it ``fails``; otherwise an unknown image (when compiling is needed) or an
    incomplete analysis makes it ``unknown``. ``network=False`` models builds without
    network access, where fetching crates or sources fails. Pure.
    """
    reasons = _breakage_reasons(needs, network) + _compile_reasons(needs, image)
    if not needs.complete:
        reasons += (BuildReason(ReasonKind.ANALYSIS_INCOMPLETE, False),)
    return BuildPrediction(image, _result(reasons), reasons)


def dockerfile_lines(needs: BuildNeeds, prediction: BuildPrediction) -> tuple[str, ...]:
    """Dockerfile lines that remove the prediction's fixable blocking reasons.

    The package install line (when the image family is known) and the build-constraint
    lines for pin-able breakages. Breakages without a pin are not fixable here.
    """
    lines: list[str] = []
    packages = prediction.packages_to_install
    if packages and prediction.image.family is not ImageFamily.UNKNOWN:
        lines.append(install_line(prediction.image.family, packages))
    lines.extend(build_constraint_lines(needs.build_constraints))
    return tuple(lines)


def build_json(needs: BuildNeeds, prediction: BuildPrediction) -> dict[str, object]:
    """The ``"build"`` object of an sdist result (stable keys; evidence in finding order)."""
    return {
        "compiler_needed": needs.compiler_needed,
        "languages": [language.value for language in needs.languages],
        "system_libraries": [need.library.value for need in needs.system_libraries],
        "evidence": [{"file": e.file, "line": e.line, "why": e.describe()} for e in needs.evidence],
        "result": prediction.result.value,
    }
