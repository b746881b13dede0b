"""wheelshim._buildneeds and wheelshim._images: static build needs and build predictions.

The real-sdist tests use the stripped copies in ``tests/data/sdists`` (see
``tests/record_sdists.py``) and the cases of ``shared/cases/sdist_public.jsonl``, whose
builds were attempted with no compiler. Detector tests build small sdists in memory.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wheelshim._archive import ArchiveReader, open_archive
from wheelshim._buildneeds import (
    BUILD_CONSTRAINT_VARIABLES,
    CONFIG_READ_LIMIT,
    SOURCE_SCAN_LIMIT,
    BackendKind,
    BreakageKind,
    BuildNeeds,
    BuildResult,
    FixKind,
    Language,
    ReasonKind,
    Why,
    analyze_sdist,
    build_json,
    dockerfile_lines,
    predict_build,
    read_limit_for,
)
from wheelshim._images import (
    ImageFamily,
    ImageVariant,
    SystemLibrary,
    Toolchain,
    build_constraint_lines,
    image_facts,
    install_line,
    multi_stage_dockerfile,
    packages_for,
)

HERE = Path(__file__).resolve().parent
SDISTS = HERE / "data" / "sdists"
CASES = HERE.parent.parent / "shared" / "cases" / "sdist_public.jsonl"


def load_cases() -> list[dict[str, Any]]:
    if not CASES.exists():
        pytest.skip(f"{CASES} is not beside this checkout")
    return [
        json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def analyze_file(filename: str, python: tuple[int, int] = (3, 11)) -> BuildNeeds:
    with open_archive(SDISTS / filename) as reader:
        return analyze_sdist(reader, python_version=python)


def target_python(target: str) -> tuple[int, int]:
    """``armv7-bookworm-cp311`` -> (3, 11); ``amd64-bookworm-cp313t`` -> (3, 13)."""
    match = re.search(r"cp3(\d+)", target)
    assert match is not None, target
    return 3, int(match.group(1))


_NEEDS_LANGUAGE = {
    "c": Language.C,
    "cxx": Language.CXX,
    "rust": Language.RUST,
    "fortran": Language.FORTRAN,
}


def expected_language(row: Mapping[str, Any]) -> Language | None:
    """The language a case needs; for ``system-lib`` cases, the one ``needs_detail`` opens with."""
    if row["needs"] == "none":
        return None
    if row["needs"] == "system-lib":
        first = row["needs_detail"].split()[0]
        return {"C": Language.C, "C++": Language.CXX}[first]
    return _NEEDS_LANGUAGE[row["needs"]]


APT_GXX = (
    "RUN apt-get update && apt-get install -y --no-install-recommends g++ "
    "&& rm -rf /var/lib/apt/lists/*"
)
ENV_LINE = (
    "ENV PIP_BUILD_CONSTRAINT=/tmp/build-constraints.txt PIP_CONSTRAINT=/tmp/build-constraints.txt"
)
CYTHON_SETUP = (
    "from setuptools import setup\nfrom Cython.Build import cythonize\n"
    "setup(ext_modules=cythonize('m.pyx'))\n"
)


def ext_setup(arguments: str) -> str:
    """A setup.py declaring one ``Extension(arguments)``."""
    return f"from setuptools import setup, Extension\nsetup(ext_modules=[Extension({arguments})])\n"


def needed_language(needs: BuildNeeds) -> Language | None:
    return needs.primary_language if needs.compiler_needed else None


# -- acceptance: the 13 real sdists ------------------------------------------------------


def test_sdist_public_agreement() -> None:
    rows = load_cases()
    assert len(rows) == 13
    compiler_agree = language_agree = 0
    disagreements = []
    for row in rows:
        needs = analyze_file(row["sdist_file"], target_python(row["target"]))
        compiler_ok = needs.compiler_needed == (row["needs"] != "none")
        language_ok = needed_language(needs) == expected_language(row)
        compiler_agree += compiler_ok
        language_agree += language_ok
        if not (compiler_ok and language_ok):
            disagreements.append((row["req"], needs.compiler_needed, needed_language(needs)))
    compiler_rate = compiler_agree / len(rows)
    language_rate = language_agree / len(rows)
    print(f"compiler agreement {compiler_rate:.3f}, language agreement {language_rate:.3f}")
    assert compiler_rate >= 0.95, disagreements
    assert language_rate >= 0.90, disagreements


def test_sdist_public_builds_without_compilers_as_observed() -> None:
    """``built_ok`` came from a build with no compiler: a slim image must predict the same."""
    rows = load_cases()
    slim = image_facts("python:3.11-slim")
    agree = sum(
        (predict_build(analyze_file(r["sdist_file"]), slim).result is BuildResult.BUILDS)
        == r["built_ok"]
        for r in rows
    )
    assert agree / len(rows) >= 0.95


def test_sdist_public_c_builds_that_worked_with_compilers_build_in_the_full_image() -> None:
    full = image_facts("python:3.11")
    for row in load_cases():
        if row["with_compilers"]["built_ok"]:
            needs = analyze_file(row["sdist_file"])
            assert predict_build(needs, full).result is BuildResult.BUILDS, row["req"]


def test_system_library_cases_name_their_libraries() -> None:
    assert {n.library for n in analyze_file("pygraphviz-1.12.tar.gz").system_libraries} == {
        SystemLibrary.GRAPHVIZ
    }
    ldap = {n.library for n in analyze_file("python-ldap-3.4.4.tar.gz").system_libraries}
    assert ldap == {SystemLibrary.LDAP, SystemLibrary.SASL}
    slycot = analyze_file("slycot-0.5.4.tar.gz")
    assert {n.library for n in slycot.system_libraries} == {
        SystemLibrary.BLAS,
        SystemLibrary.LAPACK,
    }
    assert predict_build(slycot, image_facts("python:3.11")).result is BuildResult.FAILS


def test_pyyaml_optional_extension_builds_without_a_compiler() -> None:
    needs = analyze_file("PyYAML-6.0.1.tar.gz")
    assert needs.optional_extension
    assert not needs.compiler_needed
    assert Language.CYTHON in needs.languages
    assert any(e.why is Why.OPTIONAL_EXTENSION and e.file == "setup.py" for e in needs.evidence)
    prediction = predict_build(needs, image_facts("python:3.11-alpine"))
    assert prediction.result is BuildResult.BUILDS
    assert [r.kind for r in prediction.reasons] == [ReasonKind.OPTIONAL_EXTENSION]


def test_aiohttp_cython_generated_c_is_c() -> None:
    needs = analyze_file("aiohttp-3.9.5.tar.gz")
    assert needs.languages == (Language.C,)
    assert needs.compiler_needed
    assert any(e.detail == "aiohttp/_websocket.c" for e in needs.evidence)


def test_rust_backends_need_cargo_and_fetch_crates() -> None:
    crypto = analyze_file("cryptography-42.0.8.tar.gz")
    assert crypto.primary_language is Language.RUST
    assert set(crypto.languages) == {Language.RUST, Language.C}
    assert {n.library for n in crypto.system_libraries} == {SystemLibrary.OPENSSL}
    assert crypto.network_fetch
    assert crypto.rust_version == "1.63.0"
    rpds = analyze_file("rpds_py-0.18.0.tar.gz")
    assert rpds.backend.kind is BackendKind.MATURIN
    assert rpds.languages == (Language.RUST,)
    offline = predict_build(rpds, image_facts("python:3.13"), network=False)
    kinds = {(r.kind, r.blocking) for r in offline.reasons}
    assert (ReasonKind.BREAKAGE, True) in kinds
    online = predict_build(rpds, image_facts("python:3.13"))
    assert [r.toolchain for r in online.reasons if r.blocking] == [Toolchain.RUST]


def test_numpy_meson_build_reads_only_the_build_graph() -> None:
    needs = analyze_file("numpy-1.26.4.tar.gz", (3, 12))
    assert needs.backend.kind is BackendKind.MESON_PYTHON
    assert needs.primary_language is Language.C
    assert set(needs.languages) == {Language.C, Language.CXX, Language.CYTHON}
    assert needs.system_libraries == ()
    # numpy's setup.py imports numpy.distutils but meson-python never runs it.
    assert needs.breakages == ()
    assert not any("vendored-meson" in name for name in needs.files_read)


# -- murmurhash 1.0.6: the msvccompiler breakage --------------------------------------


@pytest.fixture(scope="module")
def murmurhash() -> BuildNeeds:
    return analyze_file("murmurhash-1.0.6.tar.gz", (3, 9))


def test_murmurhash_is_cxx_with_evidence(murmurhash: BuildNeeds) -> None:
    assert murmurhash.primary_language is Language.CXX
    assert set(murmurhash.languages) == {Language.CXX, Language.CYTHON}
    assert murmurhash.compiler_needed
    sources = [e for e in murmurhash.evidence if e.why is Why.COMPILED_SOURCE]
    assert ("setup.py", "murmurhash/MurmurHash2.cpp") in {(e.file, e.detail) for e in sources}
    assert all(e.line is not None for e in sources)


def test_murmurhash_msvccompiler_breakage_and_fix(murmurhash: BuildNeeds) -> None:
    (breakage,) = murmurhash.breakages
    assert breakage.kind is BreakageKind.SETUPTOOLS_REMOVED_MODULE
    assert breakage.evidence.file == "setup.py"
    assert breakage.evidence.line == 11
    assert breakage.evidence.detail == "distutils.msvccompiler"
    assert breakage.fix.kind is FixKind.PIN_BUILD_DEPENDENCY
    assert breakage.fix.constraint == "setuptools<74"
    variables = {v.variable: v.pip_versions for v in breakage.fix.variables}
    assert variables == {"PIP_BUILD_CONSTRAINT": ">=25.3", "PIP_CONSTRAINT": "<26.2"}
    assert murmurhash.build_constraints == ("setuptools<74",)


def test_murmurhash_fails_in_slim_on_breakage_and_missing_gxx(murmurhash: BuildNeeds) -> None:
    prediction = predict_build(murmurhash, image_facts("python:3.9-slim"))
    assert prediction.result is BuildResult.FAILS
    blocking = {(r.kind, r.toolchain) for r in prediction.reasons if r.blocking}
    assert blocking == {(ReasonKind.BREAKAGE, None), (ReasonKind.MISSING_TOOLCHAIN, Toolchain.CXX)}
    assert prediction.packages_to_install == ("g++",)
    assert dockerfile_lines(murmurhash, prediction) == (
        "RUN apt-get update && apt-get install -y --no-install-recommends g++ "
        "&& rm -rf /var/lib/apt/lists/*",
        "RUN printf '%s\\n' 'setuptools<74' > /tmp/build-constraints.txt",
        ENV_LINE,
    )


def test_murmurhash_in_full_image_fails_only_on_the_breakage(murmurhash: BuildNeeds) -> None:
    full = image_facts("python:3.9")
    prediction = predict_build(murmurhash, full)
    assert prediction.result is BuildResult.FAILS
    assert [r.kind for r in prediction.reasons if r.blocking] == [ReasonKind.BREAKAGE]
    pinned = dataclasses.replace(murmurhash, breakages=())
    assert predict_build(pinned, full).result is BuildResult.BUILDS
    slim = predict_build(pinned, image_facts("python:3.9-slim"))
    assert slim.result is BuildResult.FAILS
    assert [r.toolchain for r in slim.reasons if r.blocking] == [Toolchain.CXX]


def test_murmurhash_1_0_13_has_no_breakage() -> None:
    assert analyze_file("murmurhash-1.0.13.tar.gz").breakages == ()


def test_build_json_shape(murmurhash: BuildNeeds) -> None:
    document = build_json(murmurhash, predict_build(murmurhash, image_facts("python:3.9-slim")))
    assert set(document) == {
        "compiler_needed",
        "languages",
        "system_libraries",
        "evidence",
        "result",
    }
    assert document["compiler_needed"] is True
    assert document["languages"] == ["c++", "cython"]
    assert document["system_libraries"] == []
    assert document["result"] == "fails"
    evidence = document["evidence"]
    assert isinstance(evidence, list)
    assert {
        "file": "setup.py",
        "line": 11,
        "why": f"{Why.REMOVED_SETUPTOOLS_MODULE.value}: distutils.msvccompiler",
    } in evidence
    json.dumps(document)


def test_stripped_fixtures_are_small() -> None:
    total = sum(path.stat().st_size for path in SDISTS.iterdir())
    assert total < 3 * 1024 * 1024


# -- detectors, on sdists built in memory ------------------------------------------------


def sdist(files: Mapping[str, str | bytes], root: str = "pkg-1.0") -> ArchiveReader:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{root}/{name}" if root else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return open_archive(gzip.compress(raw.getvalue()), f"{root or 'pkg'}.tar.gz")


def needs_of(files: Mapping[str, str | bytes], python: tuple[int, int] = (3, 11)) -> BuildNeeds:
    with sdist(files) as reader:
        return analyze_sdist(reader, python_version=python)


SETUPTOOLS = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'


def libraries(needs: BuildNeeds) -> set[SystemLibrary]:
    return {need.library for need in needs.system_libraries}


def test_pure_python_builds_anywhere() -> None:
    needs = needs_of({"setup.py": "from setuptools import setup\nsetup(name='p')\n", "p.py": ""})
    assert needs.languages == ()
    assert not needs.compiler_needed
    assert needs.backend.kind is BackendKind.SETUPTOOLS_LEGACY
    assert needs.backend.requires == ("setuptools>=40.8.0",)
    for image in ("python:3.12-alpine", "python:3.9-slim", "example.org/custom:1"):
        assert predict_build(needs, image_facts(image)).result is BuildResult.BUILDS


def test_plain_c_extension() -> None:
    setup = ext_setup("'m', ['src/m.c']")
    needs = needs_of({"setup.py": setup, "pyproject.toml": SETUPTOOLS, "src/m.c": "int x;"})
    assert needs.languages == (Language.C,)
    assert needs.compiler_needed
    assert any(
        e.file == "setup.py" and e.line == 2 and e.detail == "src/m.c" for e in needs.evidence
    )


def test_cython_with_cxx_language_is_cxx() -> None:
    setup = (
        "from setuptools import setup, Extension\nfrom Cython.Build import cythonize\n"
        "setup(ext_modules=cythonize([Extension('m', ['m.pyx'], language='c++')]))\n"
    )
    needs = needs_of({"setup.py": setup, "m.pyx": "", "m.cpp": ""})
    assert needs.languages == (Language.CXX, Language.CYTHON)
    assert needs.primary_language is Language.CXX


def test_cython_alone_compiles_as_c() -> None:
    needs = needs_of({"setup.py": CYTHON_SETUP, "m.pyx": ""})
    assert needs.languages == (Language.C, Language.CYTHON)
    assert needs.toolchains == (Toolchain.C,)


def test_extension_sources_computed_at_run_time_fall_back_to_file_suffixes() -> None:
    setup = "import glob\n" + ext_setup("'m', glob.glob(SRC)")
    needs = needs_of({"setup.py": setup, "src/a.cpp": "", "src/b.cpp": "", "tests/t.c": ""})
    assert needs.languages == (Language.CXX,)
    assert any(e.why is Why.SOURCE_FILES for e in needs.evidence)


def test_optional_true_on_every_extension_is_optional() -> None:
    setup = ext_setup("'m', ['m.c'], optional=True")
    needs = needs_of({"setup.py": setup})
    assert needs.optional_extension
    assert not needs.compiler_needed


def test_optional_on_some_extensions_only_still_needs_a_compiler() -> None:
    setup = (
        "from setuptools import setup, Extension\n"
        "setup(ext_modules=[Extension('a', ['a.c'], optional=True), Extension('b', ['b.c'])])\n"
    )
    assert needs_of({"setup.py": setup}).compiler_needed


FALLBACK = """
from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext
from distutils.errors import CCompilerError, DistutilsExecError, DistutilsPlatformError

class BuildFailed(Exception):
    pass

class ve_build_ext(build_ext):
    def run(self):
        try:
            build_ext.run(self)
        except DistutilsPlatformError:
            raise BuildFailed()

def run_setup(with_binary):
    setup(ext_modules=[Extension('s._speedups', ['s/_speedups.c'])] if with_binary else [])

try:
    run_setup(True)
except BuildFailed:
    print("WARNING: the C extension could not be compiled, speedups are not enabled.")
    run_setup(False)
"""


def test_build_failed_fallback_is_optional() -> None:
    needs = needs_of({"setup.py": FALLBACK})
    assert needs.optional_extension
    assert not needs.compiler_needed
    (optional,) = [e for e in needs.evidence if e.why is Why.OPTIONAL_EXTENSION]
    assert optional.detail == "except BuildFailed"


@pytest.mark.parametrize(
    "handler",
    ["raise", "raise SystemExit('needs a compiler')", "print('no compiler'); sys.exit(1)"],
)
def test_handlers_that_give_up_are_not_optional(handler: str) -> None:
    setup = (
        "import sys\nfrom setuptools import setup, Extension\n"
        "from distutils.errors import CompileError\n"
        "try:\n    setup(ext_modules=[Extension('m', ['m.c'])])\n"
        f"except CompileError:\n    {handler}\n"
    )
    assert needs_of({"setup.py": setup}).compiler_needed


@pytest.mark.parametrize(
    ("snippet", "library"),
    [
        ("Extension('m', ['m.c'], libraries=['pq'])", SystemLibrary.POSTGRESQL),
        ("Extension('m', ['m.c'], libraries=['xml2', 'xslt'])", SystemLibrary.LIBXML2),
        (
            "Extension('m', ['m.c']); subprocess.check_output(['pg_config', '--includedir'])",
            SystemLibrary.POSTGRESQL,
        ),
        ("Extension('m', ['m.c']); os.popen('mysql_config --cflags')", SystemLibrary.MYSQL),
        ("Extension('m', ['m.c']); os.popen('curl-config --libs')", SystemLibrary.CURL),
        (
            "Extension('m', ['m.c']); run(['pkg-config', '--cflags', 'libxml-2.0'])",
            SystemLibrary.LIBXML2,
        ),
        ("Extension('m', ['m.c']); LIBS = ['ldap', 'lber']", SystemLibrary.LDAP),
    ],
)
def test_setup_script_library_hints(snippet: str, library: SystemLibrary) -> None:
    setup = f"import os, subprocess\nfrom setuptools import setup, Extension\n{snippet}\n"
    assert library in libraries(needs_of({"setup.py": setup}))


def test_pkg_config_names_count_only_where_pkg_config_is_used() -> None:
    setup = ext_setup("'m', ['m.c']") + "setup(keywords=['zlib'])\n"
    assert libraries(needs_of({"setup.py": setup})) == set()


def test_included_headers_hint_libraries_unless_bundled() -> None:
    setup = (
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    source = '#include <Python.h>\n#include <libxml/parser.h>\n#include "zlib.h"\n'
    needs = needs_of({"setup.py": setup, "m.c": source, "zlib/zlib.h": "/* bundled */"})
    assert libraries(needs) == {SystemLibrary.LIBXML2}
    (evidence,) = needs.system_libraries[0].evidence
    assert (evidence.file, evidence.line, evidence.why) == ("m.c", 2, Why.HEADER_INCLUDED)


def test_cython_extern_headers_are_scanned() -> None:
    pyx = 'cdef extern from "yaml.h":\n    pass\n'
    assert libraries(needs_of({"setup.py": CYTHON_SETUP, "m.pyx": pyx})) == {SystemLibrary.YAML}


MATURIN = '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n'
CARGO = """[package]
name = "p"
rust-version = "1.70"

[dependencies]
pyo3 = "0.20"
openssl-sys = "0.9"
local = { path = "crates/local" }
"""


def test_maturin_cargo_system_crates_and_network() -> None:
    needs = needs_of({"pyproject.toml": MATURIN, "Cargo.toml": CARGO, "src/lib.rs": ""})
    assert needs.languages == (Language.RUST,)
    assert needs.toolchains == (Toolchain.RUST,)
    assert libraries(needs) == {SystemLibrary.OPENSSL}
    assert needs.network_fetch
    assert needs.rust_version == "1.70"
    (breakage,) = needs.breakages
    assert breakage.kind is BreakageKind.NETWORK_FETCH
    assert not breakage.blocking
    assert breakage.fix.kind is FixKind.ALLOW_NETWORK


def test_vendored_crates_do_not_fetch() -> None:
    config = (
        '[source.crates-io]\nreplace-with = "vendored-sources"\n'
        '[source.vendored-sources]\ndirectory = "vendor"\n'
    )
    files = {"pyproject.toml": MATURIN, "Cargo.toml": CARGO, ".cargo/config.toml": config}
    assert not needs_of(files).network_fetch


def test_vendored_openssl_feature_needs_no_system_openssl() -> None:
    cargo = (
        '[package]\nname = "p"\n'
        '[dependencies]\nopenssl = { version = "0.10", features = ["vendored"] }\n'
    )
    assert libraries(needs_of({"pyproject.toml": MATURIN, "Cargo.toml": cargo})) == set()


def test_path_only_crates_do_not_fetch() -> None:
    cargo = (
        '[package]\nname = "p"\n[dependencies]\nlocal = { path = "local" }\n'
        '[build-dependencies]\ncc = { path = "cc" }\n'
    )
    needs = needs_of({"pyproject.toml": MATURIN, "Cargo.toml": cargo})
    assert not needs.network_fetch
    assert needs.languages == (Language.C, Language.RUST)


def test_cargo_outside_a_rust_build_is_ignored() -> None:
    needs = needs_of({"pyproject.toml": SETUPTOOLS, "tools/helper/Cargo.toml": CARGO})
    assert needs.languages == ()


SKBUILD_CORE = (
    '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
)


def test_cmake_languages_packages_subdirectories_and_fetches() -> None:
    root = (
        "cmake_minimum_required(VERSION 3.15)\nproject(p LANGUAGES CXX)  # C++ only\n"
        "find_package(HDF5 REQUIRED COMPONENTS C)\nfind_package(ZLIB)\n"
        "FetchContent_Declare(fmt GIT_REPOSITORY https://example.invalid/fmt.git)\n"
        "add_subdirectory(src)\n"
    )
    sub = "enable_language(Fortran)\npkg_check_modules(XML REQUIRED libxml-2.0)\n"
    needs = needs_of(
        {"pyproject.toml": SKBUILD_CORE, "CMakeLists.txt": root, "src/CMakeLists.txt": sub}
    )
    assert needs.languages == (Language.CXX, Language.FORTRAN)
    assert libraries(needs) == {SystemLibrary.HDF5, SystemLibrary.LIBXML2}
    assert needs.network_fetch
    assert "pkg-1.0/src/CMakeLists.txt" in needs.files_read


def test_cmake_project_without_languages_defaults_to_c_and_cxx() -> None:
    needs = needs_of({"pyproject.toml": SKBUILD_CORE, "CMakeLists.txt": "project(p VERSION 1.0)\n"})
    assert needs.languages == (Language.C, Language.CXX)


MESONPY = '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'


def test_meson_languages_required_dependencies_and_subdirs() -> None:
    root = (
        "project('p', 'c',\n  version: '1.0')\n"
        "pq = dependency('libpq')\nz = dependency('zlib', required: false)\n"
        "blas = dependency(blas_name)\nsubdir('sub')\n"
    )
    sub = "add_languages('fortran')\nadd_languages('cpp', required: false)\n"
    needs = needs_of({"pyproject.toml": MESONPY, "meson.build": root, "sub/meson.build": sub})
    assert needs.languages == (Language.C, Language.FORTRAN)
    assert libraries(needs) == {SystemLibrary.POSTGRESQL}
    assert needs.primary_language is Language.FORTRAN


def test_meson_wrap_without_sources_fetches() -> None:
    wrap = "[wrap-file]\ndirectory = zlib-1.3\nsource_url = https://example.invalid/zlib.tar.gz\n"
    files = {
        "pyproject.toml": MESONPY,
        "meson.build": "project('p', 'c')\n",
        "subprojects/zlib.wrap": wrap,
    }
    assert needs_of(files).network_fetch
    files["subprojects/zlib-1.3/meson.build"] = ""
    assert not needs_of(files).network_fetch


def test_pyproject_setuptools_rust_table() -> None:
    pyproject = (
        SETUPTOOLS.replace('"setuptools"', '"setuptools", "setuptools-rust"')
        + '[[tool.setuptools-rust.ext-modules]]\ntarget = "p._rust"\nrust-version = ">=1.65"\n'
    )
    needs = needs_of({"pyproject.toml": pyproject, "Cargo.toml": '[package]\nname = "p"\n'})
    assert needs.primary_language is Language.RUST
    assert needs.rust_version == "1.65"


def test_pyproject_setuptools_ext_modules() -> None:
    pyproject = (
        SETUPTOOLS + '[tool.setuptools]\next-modules = [{name = "m", sources = ["m.cpp"]}]\n'
    )
    needs = needs_of({"pyproject.toml": pyproject})
    assert needs.languages == (Language.CXX,)


@pytest.mark.parametrize(
    ("backend", "kind"),
    [
        ("setuptools.build_meta", BackendKind.SETUPTOOLS),
        ("setuptools.build_meta:__legacy__", BackendKind.SETUPTOOLS),
        ("maturin", BackendKind.MATURIN),
        ("scikit_build_core.build", BackendKind.SCIKIT_BUILD_CORE),
        ("mesonpy", BackendKind.MESON_PYTHON),
        ("flit_core.buildapi", BackendKind.FLIT),
        ("hatchling.build", BackendKind.HATCHLING),
        ("poetry.core.masonry.api", BackendKind.POETRY),
        ("pdm.backend", BackendKind.PDM),
        ("whatever.backend", BackendKind.OTHER),
    ],
)
def test_backend_kinds(backend: str, kind: BackendKind) -> None:
    pyproject = f'[build-system]\nrequires = ["x"]\nbuild-backend = "{backend}"\n'
    needs = needs_of({"pyproject.toml": pyproject})
    assert needs.backend.kind is kind
    assert needs.backend.name == backend
    assert needs.backend.requires == ("x",)


def test_pure_backends_ignore_shipped_c_files() -> None:
    pyproject = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    assert needs_of({"pyproject.toml": pyproject, "src/p/data.c": "int x;"}).languages == ()


def test_hatch_mypyc_hook_counts_unless_disabled_by_default() -> None:
    pyproject = (
        '[build-system]\nrequires = ["hatchling", "hatch-mypyc"]\n'
        'build-backend = "hatchling.build"\n'
    )
    enabled = pyproject + "[tool.hatch.build.targets.wheel.hooks.mypyc]\ndependencies = []\n"
    assert needs_of({"pyproject.toml": enabled}).languages == (Language.C,)
    disabled = enabled + "enable-by-default = false\n"
    assert needs_of({"pyproject.toml": disabled}).languages == ()


def test_unknown_backend_with_sources_is_incomplete() -> None:
    pyproject = '[build-system]\nrequires = ["sip"]\nbuild-backend = "sipbuild.api"\n'
    needs = needs_of({"pyproject.toml": pyproject, "src/p.cpp": ""})
    assert needs.languages == (Language.CXX,)
    assert not needs.complete
    assert predict_build(needs, image_facts("python:3.12")).result is BuildResult.UNKNOWN
    assert predict_build(needs, image_facts("python:3.12-slim")).result is BuildResult.FAILS


def test_unparsable_pyproject_is_incomplete() -> None:
    needs = needs_of(
        {"pyproject.toml": "[build-system\n", "setup.py": "from setuptools import setup\nsetup()\n"}
    )
    assert not needs.complete
    assert any(e.why is Why.UNPARSABLE for e in needs.evidence)
    assert predict_build(needs, image_facts("python:3.12")).result is BuildResult.UNKNOWN


# -- breakages ----------------------------------------------------------------------------


def breakage_kinds(needs: BuildNeeds) -> list[BreakageKind]:
    return [b.kind for b in needs.breakages]


def test_pkg_resources_in_setup_py() -> None:
    needs = needs_of({"setup.py": "import pkg_resources\nfrom setuptools import setup\nsetup()\n"})
    (breakage,) = needs.breakages
    assert breakage.kind is BreakageKind.PKG_RESOURCES
    assert breakage.fix.constraint == "setuptools<82"
    assert breakage.fix.variables == BUILD_CONSTRAINT_VARIABLES
    assert predict_build(needs, image_facts("python:3.12")).result is BuildResult.FAILS


def test_guarded_imports_are_not_breakages() -> None:
    setup = (
        "import sys\ntry:\n    import pkg_resources\n"
        "except ImportError:\n    pkg_resources = None\n"
        "if sys.platform == 'win32':\n    from distutils import msvccompiler\n"
        "if sys.platform != 'win32':\n    pass\nelse:\n    import distutils.msvc9compiler\n"
    )
    assert needs_of({"setup.py": setup}).breakages == ()


def test_build_requires_that_pin_setuptools_low_enough_avoid_the_breakage() -> None:
    setup = "from distutils import msvccompiler\nfrom setuptools import setup\nsetup()\n"
    pinned = (
        '[build-system]\nrequires = ["setuptools<74"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    assert needs_of({"setup.py": setup, "pyproject.toml": pinned}).breakages == ()
    loose = (
        '[build-system]\nrequires = ["setuptools>=60,!=74.0.0"]\n'
        'build-backend = "setuptools.build_meta"\n'
    )
    assert breakage_kinds(needs_of({"setup.py": setup, "pyproject.toml": loose})) == [
        BreakageKind.SETUPTOOLS_REMOVED_MODULE
    ]


def test_tightest_pin_wins() -> None:
    setup = "import pkg_resources\nimport setuptools.dep_util\nfrom distutils import msvccompiler\n"
    needs = needs_of({"setup.py": setup})
    assert len(needs.breakages) == 3
    assert needs.build_constraints == ("setuptools<70",)


def test_numpy_distutils_breaks_on_python_3_12_only() -> None:
    setup = "from numpy.distutils.core import setup\nsetup()\n"
    (breakage,) = needs_of({"setup.py": setup}, python=(3, 12)).breakages
    assert breakage.kind is BreakageKind.NUMPY_DISTUTILS
    assert breakage.fix.kind is FixKind.USE_OLDER_PYTHON
    assert breakage.fix.python_below == (3, 12)
    assert needs_of({"setup.py": setup}, python=(3, 11)).breakages == ()


def test_removed_stdlib_module_depends_on_target_python() -> None:
    setup = "import imp\nfrom setuptools import setup\nsetup()\n"
    assert breakage_kinds(needs_of({"setup.py": setup}, python=(3, 12))) == [
        BreakageKind.STDLIB_REMOVED_MODULE
    ]
    assert needs_of({"setup.py": setup}, python=(3, 11)).breakages == ()


def test_python2_only_setup_py() -> None:
    setup = "from distutils.core import setup\nprint 'building'\nsetup(name='old')\n"
    (breakage,) = needs_of({"setup.py": setup}).breakages
    assert breakage.kind is BreakageKind.PYTHON2_ONLY
    assert breakage.evidence.line == 2
    assert breakage.fix.kind is FixKind.NONE


def test_setup_py_that_does_not_parse_is_incomplete() -> None:
    needs = needs_of({"setup.py": "def broken(:\n"})
    assert not needs.complete
    assert needs.breakages == ()


def test_setup_py_ignored_by_other_backends() -> None:
    setup = "import pkg_resources\nfrom numpy.distutils.core import setup\n"
    assert (
        needs_of(
            {"setup.py": setup, "pyproject.toml": MESONPY, "meson.build": "project('p')\n"}, (3, 12)
        ).breakages
        == ()
    )


def test_download_in_setup_py_is_a_network_fetch() -> None:
    setup = "from urllib.request import urlretrieve\nurlretrieve(URL, 'lib.tar.gz')\n"
    needs = needs_of({"setup.py": setup})
    assert needs.network_fetch
    (evidence,) = [e for e in needs.evidence if e.why is Why.NETWORK_FETCH]
    assert (evidence.file, evidence.line) == ("setup.py", 2)


def test_unsafe_members_are_reported_and_skipped() -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name in ("pkg-1.0/setup.py", "pkg-1.0/../../evil.py"):
            data = b"from setuptools import setup\nsetup()\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("pkg-1.0/pyproject.toml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with open_archive(gzip.compress(raw.getvalue()), "pkg-1.0.tar.gz") as reader:
        needs = analyze_sdist(reader, python_version=(3, 11))
    unsafe = {e.file for e in needs.evidence if e.why is Why.UNSAFE_MEMBER}
    assert unsafe == {"pkg-1.0/../../evil.py", "pkg-1.0/pyproject.toml"}
    assert needs.files_read == ("pkg-1.0/setup.py",)


def test_read_limits() -> None:
    assert read_limit_for("pkg/src/a.c") == SOURCE_SCAN_LIMIT
    assert read_limit_for("pkg/setup.py") == CONFIG_READ_LIMIT


# -- prediction ---------------------------------------------------------------------------


def test_unknown_image_with_compiled_needs_is_unknown() -> None:
    setup = (
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    needs = needs_of({"setup.py": setup})
    prediction = predict_build(needs, image_facts("ubuntu:22.04"))
    assert prediction.result is BuildResult.UNKNOWN
    assert [r.kind for r in prediction.reasons] == [ReasonKind.IMAGE_UNKNOWN]


def test_missing_dev_packages_are_named_per_family() -> None:
    setup = ext_setup("'m', ['m.c'], libraries=['pq']")
    needs = needs_of({"setup.py": setup})
    assert predict_build(needs, image_facts("python:3.12")).result is BuildResult.BUILDS
    alpine = predict_build(needs, image_facts("python:3.12-alpine"))
    assert alpine.result is BuildResult.FAILS
    assert alpine.packages_to_install == ("gcc", "musl-dev", "postgresql-dev")
    assert dockerfile_lines(needs, alpine) == (
        "RUN apk add --no-cache gcc musl-dev postgresql-dev",
    )
    slim = predict_build(needs, image_facts("python:3.12-slim-bookworm"))
    assert slim.packages_to_install == ("gcc", "libc6-dev", "libpq-dev")


# -- images -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "family", "variant", "compilers", "python", "codename"),
    [
        ("python:3.9", ImageFamily.DEBIAN, ImageVariant.FULL, True, (3, 9), None),
        ("python:3.9-slim", ImageFamily.DEBIAN, ImageVariant.SLIM, False, (3, 9), None),
        ("python:3.12-alpine", ImageFamily.ALPINE, ImageVariant.ALPINE, False, (3, 12), None),
        ("python:3.12-alpine3.20", ImageFamily.ALPINE, ImageVariant.ALPINE, False, (3, 12), None),
        ("python:3.11-bookworm", ImageFamily.DEBIAN, ImageVariant.FULL, True, (3, 11), "bookworm"),
        (
            "python:3.9-slim-bullseye",
            ImageFamily.DEBIAN,
            ImageVariant.SLIM,
            False,
            (3, 9),
            "bullseye",
        ),
        (
            "python:3.13.1-slim-trixie",
            ImageFamily.DEBIAN,
            ImageVariant.SLIM,
            False,
            (3, 13),
            "trixie",
        ),
        (
            "docker.io/library/python:3.10",
            ImageFamily.DEBIAN,
            ImageVariant.FULL,
            True,
            (3, 10),
            None,
        ),
        ("python@sha256:" + "0" * 64, ImageFamily.DEBIAN, ImageVariant.FULL, True, None, None),
        ("python:slim", ImageFamily.DEBIAN, ImageVariant.SLIM, False, None, None),
    ],
)
def test_image_facts(
    image: str,
    family: ImageFamily,
    variant: ImageVariant,
    compilers: bool,
    python: tuple[int, int] | None,
    codename: str | None,
) -> None:
    facts = image_facts(image)
    assert facts.known
    assert (facts.family, facts.variant, facts.has_compilers) == (family, variant, compilers)
    assert (facts.python_version, facts.codename) == (python, codename)
    assert (facts.has_rust, facts.has_gfortran, facts.has_go) == (False, False, False)


@pytest.mark.parametrize(
    ("image", "family"),
    [
        ("python:3.12-windowsservercore-ltsc2022", ImageFamily.UNKNOWN),
        ("ubuntu:22.04", ImageFamily.UNKNOWN),
        ("example.org/team/builder:1-alpine", ImageFamily.ALPINE),
        ("example.org/team/app:bookworm", ImageFamily.DEBIAN),
    ],
)
def test_unknown_images(image: str, family: ImageFamily) -> None:
    facts = image_facts(image)
    assert not facts.known
    assert facts.family is family


def test_full_image_dev_packages() -> None:
    full = image_facts("python:3.11")
    for library in (
        SystemLibrary.POSTGRESQL,
        SystemLibrary.LIBXSLT,
        SystemLibrary.OPENSSL,
        SystemLibrary.MYSQL,
    ):
        assert full.has_library(library), library
    for library in (
        SystemLibrary.LDAP,
        SystemLibrary.GRAPHVIZ,
        SystemLibrary.HDF5,
        SystemLibrary.BLAS,
    ):
        assert not full.has_library(library), library
    assert not image_facts("python:3.11-slim").has_library(SystemLibrary.ZLIB)


def test_package_mapping() -> None:
    assert packages_for(ImageFamily.DEBIAN, toolchains=[Toolchain.CXX]) == ("g++",)
    assert packages_for(ImageFamily.ALPINE, toolchains=[Toolchain.CXX]) == ("g++", "musl-dev")
    assert packages_for(
        ImageFamily.DEBIAN,
        toolchains=[Toolchain.C, Toolchain.FORTRAN],
        libraries=[SystemLibrary.LIBXML2, SystemLibrary.LIBXSLT],
    ) == ("gcc", "libc6-dev", "gfortran", "libxml2-dev", "libxslt1-dev")
    assert packages_for(
        ImageFamily.ALPINE, libraries=[SystemLibrary.LIBXSLT, SystemLibrary.MYSQL]
    ) == (
        "libxslt-dev",
        "mariadb-dev",
        "pkgconf",
    )
    assert packages_for(ImageFamily.DEBIAN, toolchains=[Toolchain.RUST]) == ("rustc", "cargo")
    assert packages_for(ImageFamily.UNKNOWN, toolchains=[Toolchain.C]) == ()


def test_install_lines() -> None:
    assert install_line(ImageFamily.DEBIAN, ["g++"]) == (APT_GXX)
    assert (
        install_line(ImageFamily.ALPINE, ["g++", "musl-dev"])
        == "RUN apk add --no-cache g++ musl-dev"
    )
    with pytest.raises(ValueError, match="package manager"):
        install_line(ImageFamily.UNKNOWN, ["gcc"])
    assert build_constraint_lines([]) == ()


def test_multi_stage_dockerfile() -> None:
    text = multi_stage_dockerfile(
        "python:3.9-slim",
        "murmurhash==1.0.6",
        ["g++"],
        family=ImageFamily.DEBIAN,
        constraints=["setuptools<74"],
    )
    assert text == (
        "FROM python:3.9-slim AS build\n"
        f"{APT_GXX}\n"
        "RUN printf '%s\\n' 'setuptools<74' > /tmp/build-constraints.txt\n"
        f"{ENV_LINE}\n"
        "RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels 'murmurhash==1.0.6'\n"
        "\n"
        "FROM python:3.9-slim\n"
        "COPY --from=build /wheels /wheels\n"
        "RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels\n"
    )


# -- hostile or absurd build files ---------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {"setup.py": "x = " + "(" * 5000 + "1" + ")" * 5000},
        {"setup.py": "import x\ny = x" + ".a" * 20000 + "\n"},
        {"setup.py": "if " + "not " * 3000 + "sys.platform == 'win32':\n    import imp\n"},
        {"setup.py": "\x00\xff" * 1000},
        {"pyproject.toml": "a = " + "[" * 100000 + "]" * 100000 + "\n"},
        {"pyproject.toml": MATURIN, "Cargo.toml": "a = " + "{b=" * 50000 + "1" + "}" * 50000},
    ],
    ids=["parens", "attributes", "not-chain", "binary", "toml-arrays", "toml-tables"],
)
def test_absurd_nesting_gives_an_incomplete_answer_not_a_crash(files: dict[str, str]) -> None:
    needs = needs_of(files)
    assert not needs.complete
    assert any(e.why is Why.UNPARSABLE for e in needs.evidence)


def test_evidence_is_capped_per_file_and_kind() -> None:
    sources = ", ".join(f"'s{i}.c'" for i in range(2000))
    needs = needs_of({"setup.py": ext_setup(f"'m', [{sources}]")})
    assert needs.languages == (Language.C,)
    compiled = [e for e in needs.evidence if e.why is Why.COMPILED_SOURCE]
    assert len(compiled) == 25


def test_unbalanced_meson_and_cmake_files_are_scanned_linearly() -> None:
    meson = "project('p', 'c')\n" + "dependency(\n" * 100000
    assert needs_of({"pyproject.toml": MESONPY, "meson.build": meson}).languages == (Language.C,)
    cmake = 'project(p "C)\n' + "'" * 10000 + "(" * 10000
    assert needs_of({"pyproject.toml": SKBUILD_CORE, "CMakeLists.txt": cmake}).complete


_BUILD_FILES = st.sampled_from(
    ["setup.py", "pyproject.toml", "Cargo.toml", "meson.build", "CMakeLists.txt"]
)
_PYPROJECTS = st.sampled_from([SETUPTOOLS, MATURIN, MESONPY, SKBUILD_CORE, ""])
_SNIPPETS = st.sampled_from(
    [
        "Extension(",
        "ext_modules=",
        "libraries=['pq']",
        "optional=True",
        "except CompileError:",
        "import pkg_resources",
        "from distutils import msvccompiler",
        "[dependencies]",
        "openssl-sys = ",
        "project(",
        "subdir('",
        "dependency('",
        "add_subdirectory(",
        "'",
        '"',
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "#",
        "\n",
        " = ",
        ".c",
        ".pyx",
        "#include <ffi.h>",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pyproject=_PYPROJECTS,
    name=_BUILD_FILES,
    content=st.lists(st.one_of(_SNIPPETS, st.text(max_size=12)), max_size=40).map("".join),
)
def test_any_build_file_content_is_analysed_without_raising(
    pyproject: str, name: str, content: str
) -> None:
    files = {"pyproject.toml": pyproject, name: content, "src/m.c": content}
    needs = needs_of(files)
    predict_build(needs, image_facts("python:3.12-slim"))
    json.dumps(build_json(needs, predict_build(needs, image_facts("python:3.12"))))
