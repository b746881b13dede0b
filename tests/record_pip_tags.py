"""Record the ordered "Compatible tags" list of real pip versions as golden test data.

For each pip version asked for, this script makes (or reuses) a virtual environment with
exactly that pip, runs ``python -m pip debug --verbose <flags>`` for every target in the
built-in list :data:`TARGETS`, parses the ``Compatible tags: N`` section into an ordered list
of tag strings (checking that exactly N were printed) and writes one JSON file per pip
version::

    tests/data/pip_tags/pip-<version>.json

Usage (run with the interpreter whose tags you want as the *host*; the committed data was
recorded with CPython 3.11.7, glibc 2.36, x86_64)::

    python tests/record_pip_tags.py                      # pip 26.3 and 23.2.1
    python tests/record_pip_tags.py --pip 26.3           # one version
    python tests/record_pip_tags.py --venv-dir /tmp/v    # where the venvs are kept
    python tests/record_pip_tags.py --check-cases ../shared/cases/public.jsonl
    python tests/record_pip_tags.py --compare tests/data/pip_tags/pip-23.2.1.json \\
        tests/data/pip_tags/pip-26.3.json                # print how two recordings differ

Every pip runs with ``PIP_CONFIG_FILE=/dev/null`` (no configuration file is read) and with
every other ``PIP_*`` variable (and ``PYTHONPATH``/``PYTHONHOME``) removed from its
environment, so a machine's global pip configuration cannot change the result. A venv is
made with ``python -m venv``; pip is then set with ``python -m pip install pip==X`` unless
the venv already has that version (the pip that ``ensurepip`` bundles may be too old to
verify TLS through a proxy with a private CA; pass ``--cert PATH`` for that install step).

JSON schema of one file (keys of each target record are sorted)::

    {
     "pip_version": "26.3",            # pip.__version__ inside the venv
     "host_python": "3.11.7",          # platform.python_version() of the venv's python
     "host_platform": "linux-x86_64",  # sysconfig.get_platform()
     "host_libc": "glibc 2.36",        # platform.libc_ver(), "" if unknown
     "recorded": "2026-11-28",         # --recorded, default: today (UTC)
     "command": ["python", "-m", "pip", "debug", "--verbose"],  # argv is appended
     "targets": [
      {
       "argv": ["--platform", "...", "--python-version", "3.9", ...],  # flags given to pip
       "case": "arm64-bookworm-cp39" | null,   # target name in cases/public.jsonl, if any
       "flags": {"abis": [...] | null, "implementation": "cp" | null,
                 "platforms": [...] | null, "python_version": "39" | "3.9" | ... | null},
       "host_dependent": bool,   # the list depends on the recording host (see host_inputs)
       "host_inputs": [...],     # which of platforms/python_version/implementation/abis
                                 # pip took from the host because the flag was not given
       "id": "...",              # unique, stable
       "note": "...",            # what the target exercises
       "tags": ["cp39-cp39-manylinux2014_aarch64", ...]   # pip's order, most preferred
                                 # first, duplicates kept (``--implementation py`` has some)
      }, ...
     ],
     "refused": [                # flags that pip rejects: exit status and its error line
      {"argv": [...], "error": "...", "id": "...", "returncode": 2}, ...
     ]
    }

``host_inputs`` lists a flag when pip fell back on the host for it: no ``--platform`` means
the host's ``packaging.tags.platform_tags()``; no ``--python-version`` the host's version; no
``--implementation`` the host's interpreter name; no ``--abi`` with a non-``cp``
implementation the ABI derived from the host's ``EXT_SUFFIX``. (With ``cp`` and no ``--abi``
the default ABI comes from the target version, plus a ``d``/``t`` suffix only if the *host*
is a debug or free-threaded build; the recording host is neither, so that is not listed.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PIP_VERSIONS = ("26.3", "23.2.1")
OUT_DIR = Path(__file__).resolve().parent / "data" / "pip_tags"
PIP_COMMAND = ("python", "-m", "pip", "debug", "--verbose")

_HEADER_RE = re.compile(r"^Compatible tags: (\d+)\b")


# --------------------------------------------------------------------------- targets


def glibc_platforms(arch: str, minor: int) -> list[str]:
    """The platform list of a glibc 2.<minor> image, newest first, as the cases file has it.

    ``manylinux_2_<minor>`` down to ``manylinux_2_17`` (``manylinux_2_5`` on x86_64/i686),
    each legacy alias right after its PEP 600 twin, then ``linux_<arch>``.

    >>> glibc_platforms("aarch64", 18)
    ['manylinux_2_18_aarch64', 'manylinux_2_17_aarch64', 'manylinux2014_aarch64', 'linux_aarch64']
    """
    aliases = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    lowest = 5 if arch in {"x86_64", "i686"} else 17
    result: list[str] = []
    for m in range(minor, lowest - 1, -1):
        result.append(f"manylinux_2_{m}_{arch}")
        if m in aliases:
            result.append(f"{aliases[m]}_{arch}")
    result.append(f"linux_{arch}")
    return result


def musl_platforms(arch: str, minor: int) -> list[str]:
    """The platform list of a musl 1.<minor> image: ``musllinux_1_<minor>`` … ``_1_0``, linux.

    >>> musl_platforms("x86_64", 1)
    ['musllinux_1_1_x86_64', 'musllinux_1_0_x86_64', 'linux_x86_64']
    """
    return [f"musllinux_1_{m}_{arch}" for m in range(minor, -1, -1)] + [f"linux_{arch}"]


@dataclass(frozen=True)
class Target:
    """One set of pip target flags. ``None`` means the flag is not given at all."""

    id: str
    note: str
    platforms: tuple[str, ...] | None = None
    python_version: str | None = None
    implementation: str | None = None
    abis: tuple[str, ...] | None = None
    case: str | None = None

    def argv(self) -> list[str]:
        """The flags in the order pip receives them: platforms, version, implementation, abis."""
        out: list[str] = []
        for p in self.platforms or ():
            out += ["--platform", p]
        if self.python_version is not None:
            out += ["--python-version", self.python_version]
        if self.implementation is not None:
            out += ["--implementation", self.implementation]
        for a in self.abis or ():
            out += ["--abi", a]
        return out

    def host_inputs(self) -> list[str]:
        """Which inputs pip takes from the running interpreter for this target."""
        out: list[str] = []
        if self.platforms is None:
            out.append("platforms")
        if self.python_version is None:
            out.append("python_version")
        if self.implementation is None:
            out.append("implementation")
        if self.abis is None and self.implementation not in (None, "cp"):
            out.append("abis")
        return out

    def flags(self) -> dict[str, Any]:
        return {
            "abis": list(self.abis) if self.abis is not None else None,
            "implementation": self.implementation,
            "platforms": list(self.platforms) if self.platforms is not None else None,
            "python_version": self.python_version,
        }


def _case(name: str, platforms: Sequence[str], version: str, impl: str, abi: str) -> Target:
    return Target(
        id=f"case-{name}",
        note=f"cases/public.jsonl target {name}",
        platforms=tuple(platforms),
        python_version=version,
        implementation=impl,
        abis=(abi,),
        case=name,
    )


# One target per distinct (platforms, python_version, implementation, abi) in
# shared/cases/public.jsonl (28 of them); ``--check-cases`` verifies this list against the file.
CASE_TARGETS: tuple[Target, ...] = (
    _case("amd64-bookworm-cp38", glibc_platforms("x86_64", 36), "3.8", "cp", "cp38"),
    _case("amd64-bookworm-cp39", glibc_platforms("x86_64", 36), "3.9", "cp", "cp39"),
    _case("amd64-bookworm-cp311", glibc_platforms("x86_64", 36), "3.11", "cp", "cp311"),
    _case("amd64-bookworm-cp312", glibc_platforms("x86_64", 36), "3.12", "cp", "cp312"),
    _case("amd64-bookworm-cp313", glibc_platforms("x86_64", 36), "3.13", "cp", "cp313"),
    _case("amd64-bookworm-cp313t", glibc_platforms("x86_64", 36), "3.13", "cp", "cp313t"),
    _case("amd64-bookworm-pp310", glibc_platforms("x86_64", 36), "3.10", "pp", "pypy310_pp73"),
    _case("arm64-bookworm-cp38", glibc_platforms("aarch64", 36), "3.8", "cp", "cp38"),
    _case("arm64-bookworm-cp39", glibc_platforms("aarch64", 36), "3.9", "cp", "cp39"),
    _case("arm64-bookworm-cp3.9.21", glibc_platforms("aarch64", 36), "3.9.21", "cp", "cp39"),
    _case("arm64-bookworm-cp311", glibc_platforms("aarch64", 36), "3.11", "cp", "cp311"),
    _case("arm64-bookworm-cp313", glibc_platforms("aarch64", 36), "3.13", "cp", "cp313"),
    _case("arm64-bookworm-pp310", glibc_platforms("aarch64", 36), "3.10", "pp", "pypy310_pp73"),
    _case("i386-bookworm-cp39", glibc_platforms("i686", 36), "3.9", "cp", "cp39"),
    _case("i386-bookworm-cp311", glibc_platforms("i686", 36), "3.11", "cp", "cp311"),
    _case("armv7-bookworm-cp311", glibc_platforms("armv7l", 36), "3.11", "cp", "cp311"),
    _case("s390x-bookworm-cp311", glibc_platforms("s390x", 36), "3.11", "cp", "cp311"),
    _case("ppc64le-bookworm-cp311", glibc_platforms("ppc64le", 36), "3.11", "cp", "cp311"),
    _case("arm64-glibc2.17-cp311", glibc_platforms("aarch64", 17), "3.11", "cp", "cp311"),
    _case("amd64-glibc2.17-cp311", glibc_platforms("x86_64", 17), "3.11", "cp", "cp311"),
    _case("arm64-glibc2.31-cp311", glibc_platforms("aarch64", 31), "3.11", "cp", "cp311"),
    _case("amd64-alpine3.12-cp39", musl_platforms("x86_64", 1), "3.9", "cp", "cp39"),
    _case("arm64-alpine-cp311", musl_platforms("aarch64", 2), "3.11", "cp", "cp311"),
    _case("raw-manylinux2014_aarch64-cp39", ["manylinux2014_aarch64"], "3.9", "cp", "cp39"),
    _case("raw-manylinux_2_28_aarch64-cp311", ["manylinux_2_28_aarch64"], "3.11", "cp", "cp311"),
    _case("raw-musllinux_1_2_x86_64-cp311", ["musllinux_1_2_x86_64"], "3.11", "cp", "cp311"),
    _case("raw-manylinux2014_x86_64-cp39", ["manylinux2014_x86_64"], "3.9", "cp", "cp39"),
    _case("raw-manylinux_2_17_x86_64-cp39", ["manylinux_2_17_x86_64"], "3.9", "cp", "cp39"),
)

# fmt: off
FEATURE_TARGETS: tuple[Target, ...] = (
    # --- host fallbacks
    Target("host-default", "no flags at all: host platforms, version, implementation, ABI"),
    Target(
        "host-platforms-cp39",
        "no --platform: the host's platform_tags() with a foreign cp39 target",
        None, "3.9", "cp", ("cp39",),
    ),
    Target(
        "host-version-cp-linux_x86_64",
        "no --python-version: host version (3.11) with an explicit platform and ABI",
        ("linux_x86_64",), None, "cp", ("cp311",),
    ),
    Target(
        "host-impl-manylinux2014_x86_64-39",
        "no --implementation: host interpreter name (cp)",
        ("manylinux2014_x86_64",), "3.9", None, ("cp39",),
    ),
    # --- python version spellings
    Target(
        "version-3-major-only",
        "--python-version 3: a one-part version (no abi3, no py3x loop)",
        ("linux_x86_64",), "3", "cp", None,
    ),
    Target(
        "version-39-nodot-manylinux2014_x86_64",
        "--python-version 39 without --abi: default cp39; manylinux2014 -> 2010, 1 expansion",
        ("manylinux2014_x86_64",), "39", "cp", None,
    ),
    Target(
        "version-310-manylinux2010_i686",
        "--python-version 310 (3, 10); manylinux2010_i686 -> manylinux1_i686 expansion",
        ("manylinux2010_i686",), "310", "cp", ("cp310",),
    ),
    Target(
        "version-3.9.21-linux_x86_64",
        "--python-version 3.9.21: the patch part does not reach the tags",
        ("linux_x86_64",), "3.9.21", "cp", ("cp39",),
    ),
    Target(
        "version-27-manylinux1_x86_64",
        "--python-version 27 without --abi: Python 2 defaults (no abi3)",
        ("manylinux1_x86_64",), "27", "cp", None,
    ),
    # --- single platforms
    Target(
        "plat-manylinux_2_17_aarch64-literal",
        "PEP 600 name taken literally: no manylinux2014 alias, no lower glibc, no linux_*",
        ("manylinux_2_17_aarch64",), "3.12", "cp", ("cp312",),
    ),
    Target(
        "plat-musllinux_1_2_aarch64-literal",
        "musllinux taken literally: no musllinux_1_1/1_0, no linux_*",
        ("musllinux_1_2_aarch64",), "3.12", "cp", ("cp312",),
    ),
    Target(
        "plat-linux_armv7l",
        "plain linux_armv7l",
        ("linux_armv7l",), "3.11", "cp", ("cp311",),
    ),
    Target(
        "plat-macosx_11_0_arm64",
        "macOS 11 arm64 expansion (universal2, 10.x universal2 variants)",
        ("macosx_11_0_arm64",), "3.12", "cp", ("cp312",),
    ),
    Target(
        "plat-macosx_10_9_x86_64",
        "macOS 10.9 x86_64 expansion (intel, fat64, fat32, universal2, universal, down to 10.4)",
        ("macosx_10_9_x86_64",), "3.9", "cp", ("cp39",),
    ),
    Target(
        "plat-win_amd64",
        "win_amd64",
        ("win_amd64",), "3.12", "cp", ("cp312",),
    ),
    Target(
        "plat-ios_13_0_arm64_iphoneos",
        "iOS platform: expanded by pip >= 24.3 (ios_platforms), literal before",
        ("ios_13_0_arm64_iphoneos",), "3.13", "cp", ("cp313",),
    ),
    Target(
        "plat-android_24_arm64_v8a",
        "Android platform: expanded by newer pip (android_platforms), literal before",
        ("android_24_arm64_v8a",), "3.13", "cp", ("cp313",),
    ),
    # --- several platforms: order matters, first preferred
    Target(
        "multi-manylinux2014-then-2_17-aarch64",
        "two --platform values: manylinux2014_aarch64 first",
        ("manylinux2014_aarch64", "manylinux_2_17_aarch64"), "3.9", "cp", ("cp39",),
    ),
    Target(
        "multi-2_17-then-manylinux2014-aarch64",
        "the same two --platform values in the other order",
        ("manylinux_2_17_aarch64", "manylinux2014_aarch64"), "3.9", "cp", ("cp39",),
    ),
    Target(
        "multi-macosx-arm64-then-x86_64",
        "two mac platforms: expansions concatenated and de-duplicated in order",
        ("macosx_11_0_arm64", "macosx_10_9_x86_64"), "3.12", "cp", None,
    ),
    Target(
        "multi-win_amd64-then-manylinux2014_x86_64",
        "windows then linux, default ABI",
        ("win_amd64", "manylinux2014_x86_64"), "310", "cp", None,
    ),
    Target(
        "multi-duplicates-manylinux2014-2010-x86_64",
        "repeated and overlapping platforms: de-duplicated, first occurrence wins",
        ("manylinux2010_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64"),
        "3.9", "cp", ("cp39",),
    ),
    # --- ABIs
    Target(
        "abi-cp313t-manylinux_2_17_x86_64",
        "free-threaded ABI: abi3t tier (packaging >= 26) or abi3 (older)",
        ("manylinux_2_17_x86_64",), "3.13", "cp", ("cp313t",),
    ),
    Target(
        "abi-cp313-cp313t",
        "GIL and free-threaded ABIs together",
        ("manylinux_2_17_x86_64",), "3.13", "cp", ("cp313", "cp313t"),
    ),
    Target(
        "abi-cp314t-3.14",
        "free-threaded 3.14",
        ("manylinux_2_17_x86_64",), "3.14", "cp", ("cp314t",),
    ),
    Target(
        "abi-abi3-only",
        "--abi abi3 alone",
        ("manylinux_2_17_x86_64",), "3.9", "cp", ("abi3",),
    ),
    Target(
        "abi-none-only",
        "--abi none alone",
        ("linux_x86_64",), "3.9", "cp", ("none",),
    ),
    Target(
        "abi-several-cp39-abi3-none",
        "several --abi values at once",
        ("manylinux2014_x86_64",), "3.9", "cp", ("cp39", "abi3", "none"),
    ),
    Target(
        "abi-several-none-cp39",
        "several --abi values, none first",
        ("linux_x86_64",), "3.9", "cp", ("none", "cp39"),
    ),
    # --- implementations
    Target(
        "impl-pp-pypy310_pp73",
        "PyPy: generic_tags with an explicit ABI",
        ("manylinux2014_x86_64",), "3.10", "pp", ("pypy310_pp73",),
    ),
    Target(
        "impl-pp-no-abi",
        "PyPy without --abi: the ABI comes from the host's EXT_SUFFIX",
        ("manylinux_2_17_aarch64",), "3.10", "pp", None,
    ),
    Target(
        "impl-py-abi-none",
        "--implementation py with --abi none",
        ("linux_x86_64",), "3.9", "py", ("none",),
    ),
    Target(
        "impl-py-no-abi",
        "--implementation py without --abi: host ABI from EXT_SUFFIX",
        ("linux_x86_64",), "3", "py", None,
    ),
)
# fmt: on

TARGETS: tuple[Target, ...] = CASE_TARGETS + FEATURE_TARGETS


@dataclass(frozen=True)
class Refusal:
    id: str
    argv: tuple[str, ...]


REFUSALS: tuple[Refusal, ...] = (
    Refusal("version-four-parts", ("--python-version", "3.9.21.1")),
    Refusal("version-not-int", ("--python-version", "3.x")),
    Refusal("version-trailing-dot", ("--python-version", "3.")),
)


# --------------------------------------------------------------------------- running pip


def pip_env() -> dict[str, str]:
    """The environment for every pip run: no PIP_* but PIP_CONFIG_FILE=/dev/null."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in drop}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(argv: Sequence[str | os.PathLike[str]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [os.fspath(a) for a in argv], env=pip_env(), capture_output=True, text=True, check=False
    )


def _query(python: Path, code: str) -> str:
    proc = _run([python, "-c", code])
    if proc.returncode != 0:
        raise RuntimeError(f"{python} -c {code!r} failed:\n{proc.stderr}")
    return proc.stdout.strip()


def pip_version_in(python: Path) -> str | None:
    if not python.exists():
        return None
    proc = _run([python, "-c", "import pip; print(pip.__version__)"])
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_venv(base_python: str, root: Path, version: str, cert: str | None) -> Path:
    """Make (or reuse) ``root/pip-<version>`` holding exactly that pip; return its python."""
    venv = root / f"pip-{version}"
    python = venv_python(venv)
    if pip_version_in(python) == version:
        return python
    if not python.exists():
        proc = _run([base_python, "-m", "venv", venv])
        if proc.returncode != 0:
            raise RuntimeError(f"venv creation failed:\n{proc.stderr}")
    if pip_version_in(python) != version:
        cmd: list[str | os.PathLike[str]] = [python, "-m", "pip", "install"]
        cmd += ["--disable-pip-version-check", "--no-input"]
        if cert:
            cmd += ["--cert", cert]
        proc = _run([*cmd, f"pip=={version}"])
        if proc.returncode != 0:
            raise RuntimeError(f"installing pip=={version} failed:\n{proc.stdout}{proc.stderr}")
    got = pip_version_in(python)
    if got != version:
        raise RuntimeError(f"{venv} has pip {got}, wanted {version}")
    return python


def parse_compatible_tags(output: str) -> list[str]:
    """The ordered tags of the ``Compatible tags: N`` section of ``pip debug --verbose``.

    Duplicates are kept as pip prints them (``--implementation py`` yields ``py39-none-*``
    from both ``generic_tags`` and ``compatible_tags``). Raises ``ValueError`` when the
    section is missing, truncated (``...``) or holds a number of tags other than N.

    >>> parse_compatible_tags("x\\nCompatible tags: 2 (target: ...)\\n  a-b-c\\n  d-e-f\\n")
    ['a-b-c', 'd-e-f']
    """
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADER_RE.match(line)), None)
    if start is None:
        raise ValueError("no 'Compatible tags: N' line in pip's output")
    header = _HEADER_RE.match(lines[start])
    assert header is not None
    expected = int(header.group(1))
    tags: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        tags.append(line.strip())
    if any(t.startswith("...") for t in tags):
        raise ValueError("tag list truncated: was --verbose given?")
    if len(tags) != expected:
        raise ValueError(f"pip announced {expected} tags but printed {len(tags)}")
    return tags


def pip_debug(python: Path, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return _run([python, "-m", "pip", "debug", "--verbose", "--disable-pip-version-check", *argv])


def record_target(python: Path, target: Target) -> dict[str, Any]:
    argv = target.argv()
    proc = pip_debug(python, argv)
    if proc.returncode != 0:
        raise RuntimeError(f"{target.id}: pip exited {proc.returncode}:\n{proc.stderr}")
    host_inputs = target.host_inputs()
    return {
        "argv": argv,
        "case": target.case,
        "flags": target.flags(),
        "host_dependent": bool(host_inputs),
        "host_inputs": host_inputs,
        "id": target.id,
        "note": target.note,
        "tags": parse_compatible_tags(proc.stdout),
    }


def _error_text(stderr: str) -> str:
    """pip's option error: the paragraph after the usage text, joined onto one line."""
    paragraphs = [p for p in stderr.strip().split("\n\n") if p.strip()]
    return " ".join(paragraphs[-1].split()) if paragraphs else ""


def record_refusal(python: Path, refusal: Refusal) -> dict[str, Any]:
    proc = pip_debug(python, refusal.argv)
    if proc.returncode == 0:
        raise RuntimeError(f"{refusal.id}: pip accepted {refusal.argv}")
    return {
        "argv": list(refusal.argv),
        "error": _error_text(proc.stderr),
        "id": refusal.id,
        "returncode": proc.returncode,
    }


def record(python: Path, recorded: str) -> dict[str, Any]:
    host = json.loads(
        _query(
            python,
            "import json, platform, sysconfig, pip; print(json.dumps([pip.__version__, "
            "platform.python_version(), sysconfig.get_platform(), "
            "' '.join(platform.libc_ver()).strip()]))",
        )
    )
    pip_version, host_python, host_platform, host_libc = host
    return {
        "pip_version": pip_version,
        "host_python": host_python,
        "host_platform": host_platform,
        "host_libc": host_libc,
        "recorded": recorded,
        "command": list(PIP_COMMAND),
        "targets": [record_target(python, t) for t in TARGETS],
        "refused": [record_refusal(python, r) for r in REFUSALS],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- checks


def check_target_list(targets: Iterable[Target]) -> None:
    """Ids (refusals' included) and argv are unique."""
    ids: set[str] = {r.id for r in REFUSALS}
    argvs: set[tuple[str, ...]] = set()
    for t in targets:
        argv = tuple(t.argv())
        if t.id in ids or argv in argvs:
            raise ValueError(f"duplicate target {t.id}: {argv}")
        ids.add(t.id)
        argvs.add(argv)


def check_cases(path: Path) -> list[str]:
    """Problems: combinations in a cases JSONL file that no built-in target has."""
    have = {(t.platforms, t.python_version, t.implementation, t.abis) for t in CASE_TARGETS}
    problems: list[str] = []
    seen: set[tuple[object, ...]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        target = json.loads(line).get("target")
        if not isinstance(target, dict):
            continue
        platforms = target.get("platforms")
        abi = target.get("abi")
        key = (
            tuple(platforms) if platforms is not None else None,
            target.get("python_version"),
            target.get("implementation"),
            (abi,) if abi is not None else None,
        )
        if key in seen:
            continue
        seen.add(key)
        if key not in have:
            problems.append(f"missing target for {target.get('name')}: {key}")
    extra = len(have - seen)
    if extra:
        problems.append(f"{extra} case target(s) not in {path}")
    return problems


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable differences between two recordings, target by target."""
    out: list[str] = []
    old_by_id = {t["id"]: t for t in old["targets"]}
    for t in new["targets"]:
        o = old_by_id.get(t["id"])
        if o is None:
            out.append(f"{t['id']}: only in {new['pip_version']}")
            continue
        a, b = o["tags"], t["tags"]
        if a == b:
            continue
        only_a = [x for x in a if x not in set(b)]
        only_b = [x for x in b if x not in set(a)]
        line = f"{t['id']}: {len(a)} -> {len(b)} tags"
        if only_a:
            line += f"; only {old['pip_version']}: {only_a[:6]}{' …' if len(only_a) > 6 else ''}"
        if only_b:
            line += f"; only {new['pip_version']}: {only_b[:6]}{' …' if len(only_b) > 6 else ''}"
        if not only_a and not only_b:
            first = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            line += f"; same set, order differs from #{first}: {a[first]} vs {b[first]}"
        out.append(line)
    return out


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip", action="append", help="pip version (repeatable)")
    parser.add_argument("--python", default=sys.executable, help="base interpreter for venvs")
    parser.add_argument(
        "--venv-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "wheelshim-pip-tag-venvs",
        help="where the venvs are made and reused",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    parser.add_argument("--recorded", default=dt.datetime.now(dt.UTC).date().isoformat())
    parser.add_argument("--cert", help="CA bundle for the 'pip install pip==X' step only")
    parser.add_argument("--check-cases", type=Path, help="verify targets against a cases file")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = parser.parse_args(argv)

    if args.compare:
        old, new = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        for line in compare(old, new):
            print(line)
        return 0
    check_target_list(TARGETS)
    if args.check_cases:
        problems = check_cases(args.check_cases)
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            return 1
    for version in args.pip or DEFAULT_PIP_VERSIONS:
        python = ensure_venv(args.python, args.venv_dir, version, args.cert)
        data = record(python, args.recorded)
        path = args.out / f"pip-{version}.json"
        write_json(path, data)
        print(f"{path}: {len(data['targets'])} targets, {len(data['refused'])} refusals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
