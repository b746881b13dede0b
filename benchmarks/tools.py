"""The three tools under test: their targets, commands, environment and answers.

Every command is built by one function per tool (``wheelshim_command``, ``pip_command``,
``uv_command``) and every answer is read by one parser per tool, so a change of a tool's
interface touches one place. The targets and flags follow ``shared/BASELINES.md``.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measure import Measurement

__all__ = [
    "TARGETS",
    "TOOLS",
    "Job",
    "Outcome",
    "Target",
    "Tooling",
    "build_command",
    "command_text",
    "isolated_env",
    "logged_requests",
    "parse_outcome",
    "proxied_env",
    "sanitize",
]

PYTHON_VERSION = "3.9"
GLIBC_MINOR = 36  # python:3.9-slim = Debian bookworm, glibc 2.36
TOOLS = ("wheelshim", "pip", "uv")


@dataclass(frozen=True)
class Target:
    """A Docker target: ``linux/<name>`` with CPython 3.9 on glibc 2.36."""

    name: str
    arch: str
    legacy_platforms: tuple[str, ...] = ()

    @property
    def docker_platform(self) -> str:
        return f"linux/{self.name}"

    @property
    def uv_platform(self) -> str:
        return f"{self.arch}-manylinux_2_{GLIBC_MINOR}"

    def pip_platforms(self) -> list[str]:
        """pip's ``--platform`` values, most preferred first (pip does not expand
        ``manylinux2014`` to the newer ``manylinux_2_X`` tags by itself)."""
        tags = [f"manylinux_2_{minor}_{self.arch}" for minor in range(GLIBC_MINOR, 16, -1)]
        tags.append(f"manylinux2014_{self.arch}")
        tags += [f"{legacy}_{self.arch}" for legacy in self.legacy_platforms]
        tags.append(f"linux_{self.arch}")
        return tags


TARGETS: dict[str, Target] = {
    "arm64": Target("arm64", "aarch64"),
    "amd64": Target("amd64", "x86_64", ("manylinux_2_12", "manylinux_2_5")),
}


@dataclass(frozen=True)
class Tooling:
    """Where the tools are and what every command shares."""

    index_url: str
    wheelshim_python: str
    pip_python: str
    uv_bin: str
    cert: str | None
    wheelshim_positional: bool = False


@dataclass(frozen=True)
class Job:
    """One tool on one requirements file for one or more targets (one process)."""

    tool: str
    corpus: Path
    targets: tuple[Target, ...]

    @property
    def target_label(self) -> str:
        return "+".join(target.name for target in self.targets)


@dataclass(frozen=True)
class Outcome:
    """A tool's answer, reduced to what the report shows."""

    ok: bool
    summary: str
    packages: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int | None] = field(default_factory=dict)


# -- environment ---------------------------------------------------------------------------
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")


def isolated_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without the machine's pip/uv configuration (``PIP_CERT`` is kept)."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith("UV_") and (key == "PIP_CERT" or not key.startswith("PIP_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def proxied_env(env: Mapping[str, str], port: int) -> dict[str, str]:
    """``env`` sending HTTPS through the counting proxy on 127.0.0.1:``port``."""
    proxied = {key: value for key, value in env.items() if key not in _PROXY_VARS}
    url = f"http://127.0.0.1:{port}"
    proxied.update(HTTPS_PROXY=url, https_proxy=url)
    return proxied


# -- commands ------------------------------------------------------------------------------
def _requirement_lines(corpus: Path) -> list[str]:
    """The requirement lines of a plain requirements file (no options, no comments)."""
    lines = []
    for raw in corpus.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def _cert_args(tooling: Tooling) -> list[str]:
    return ["--cert", tooling.cert] if tooling.cert else []


def wheelshim_command(tooling: Tooling, job: Job, cache: Path, verbose: bool) -> list[str]:
    """``wheelshim explain -r FILE`` for every target of ``job`` in one process."""
    if tooling.wheelshim_positional:
        requirements = _requirement_lines(job.corpus)
    else:
        requirements = ["-r", str(job.corpus)]
    argv = [tooling.wheelshim_python, "-m", "wheelshim", "explain", *requirements]
    for target in job.targets:
        argv += ["--platform", target.docker_platform]
    argv += ["--python", PYTHON_VERSION, "--libc", f"glibc-2.{GLIBC_MINOR}"]
    argv += ["--index-url", tooling.index_url, "--cache-dir", str(cache), "--format", "json"]
    # Like pip and uv here: wheels only (the same resolution), no sdist reading for fixes.
    argv += ["--only-binary=:all:", "--no-fixes"]
    return argv + _cert_args(tooling)


def pip_command(tooling: Tooling, job: Job, cache: Path, work: Path, verbose: bool) -> list[str]:
    """``pip install --dry-run --report`` for one target (pip cannot do two at once)."""
    (target,) = job.targets
    argv = [tooling.pip_python, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
    argv += ["--progress-bar=off", "--disable-pip-version-check", "--no-input"]
    argv += ["--report", str(work / "report.json"), "--target", str(work / "target")]
    argv += ["--index-url", tooling.index_url, "--cache-dir", str(cache)]
    argv += ["--python-version", PYTHON_VERSION, "--implementation", "cp", "--abi", "cp39"]
    for platform in target.pip_platforms():
        argv += ["--platform", platform]
    argv += ["--only-binary=:all:", "-r", str(job.corpus), *_cert_args(tooling)]
    return [*argv, "-vvv"] if verbose else argv


def uv_command(tooling: Tooling, job: Job, cache: Path, verbose: bool) -> list[str]:
    """``uv pip compile`` for one target."""
    (target,) = job.targets
    argv = [tooling.uv_bin, "pip", "compile", str(job.corpus)]
    argv += ["--python-platform", target.uv_platform, "--python-version", PYTHON_VERSION]
    argv += ["--only-binary", ":all:", "--index-url", tooling.index_url]
    argv += ["--cache-dir", str(cache), "--no-header"]
    return [*argv, "-v" if verbose else "--quiet"]


def build_command(
    tooling: Tooling, job: Job, cache: Path, work: Path, *, verbose: bool = False
) -> list[str]:
    """The command line of ``job``; ``verbose`` asks pip/uv for logs to count requests in."""
    if job.tool == "wheelshim":
        return wheelshim_command(tooling, job, cache, verbose)
    if job.tool == "pip":
        return pip_command(tooling, job, cache, work, verbose)
    if job.tool == "uv":
        return uv_command(tooling, job, cache, verbose)
    raise ValueError(f"unknown tool {job.tool!r}")


# -- answers -------------------------------------------------------------------------------
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>)\]]+")
_HOST = re.compile(r"\b(?:[A-Za-z0-9-]+\.)+(?:org|com|net|io|dev|app|cloud|host)\b(?::\d+)?")


def sanitize(text: str, replacements: Mapping[str, str] | None = None) -> str:
    """``text`` with the given literal replacements, then any URL and host name masked:
    nothing the harness writes names an index host."""
    pairs = sorted((replacements or {}).items(), key=lambda kv: -len(kv[0]))
    for literal, placeholder in pairs:
        if literal:
            text = text.replace(literal, placeholder)
    return _HOST.sub("<host>", _URL.sub(_mask_url, text))


def _mask_url(match: re.Match[str]) -> str:
    url = match.group(0)
    return url if url.split("://", 1)[1].startswith("127.0.0.1") else "<url>"


def _first_line(text: str, limit: int = 160) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:limit] if lines else "(no output)"


def _failed(m: Measurement, detail: str) -> Outcome:
    prefix = "TIMEOUT" if m.timed_out else f"FAIL (exit {m.exit_code})"
    return Outcome(False, sanitize(f"{prefix}: {detail}"))


def _target_names(document: Mapping[str, Any]) -> dict[str, str]:
    names = {}
    for target in document.get("targets", []):
        platform = str(target.get("docker_platform") or target.get("id", "?"))
        names[str(target.get("id"))] = platform.rsplit("/", 1)[-1]
    return names


def _wheelshim_counts(document: Mapping[str, Any]) -> tuple[dict[str, int], Counter[str]]:
    names = _target_names(document)
    projects: dict[str, set[str]] = {}
    outcomes: Counter[str] = Counter()
    for result in document.get("results", []):
        target = names.get(str(result.get("target")), str(result.get("target")))
        projects.setdefault(target, set()).add(str(result.get("project")))
        outcomes[str(result.get("outcome"))] += 1
    return {target: len(names) for target, names in projects.items()}, outcomes


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _wheelshim_stats(document: Mapping[str, Any]) -> dict[str, int | None]:
    stats = document.get("stats")
    stats = stats if isinstance(stats, dict) else {}
    keys = ("requests", "bytes_received", "cache_hits")
    return {key: _int_or_none(stats.get(key)) for key in keys}


def _wheelshim_summary(packages: Mapping[str, int], outcomes: Counter[str], errors: int) -> str:
    per_target = ", ".join(f"{target} {count}" for target, count in packages.items())
    others = ", ".join(f"{n} {kind}" for kind, n in sorted(outcomes.items()) if kind != "wheel")
    text = f"OK {per_target} pkgs" + (f" ({others})" if others else "")
    return text + (f"; {errors} index errors" if errors else "")


def parse_wheelshim(m: Measurement) -> Outcome:
    """Exit 0/1 = an answer (1: something needs a build or has no file); 2/3 = failure."""
    if m.timed_out or m.exit_code not in (0, 1):
        return _failed(m, _first_line(m.stderr))
    try:
        document = json.loads(m.stdout)
    except json.JSONDecodeError:
        return _failed(m, "output is not JSON: " + _first_line(m.stdout, 80))
    packages, outcomes = _wheelshim_counts(document)
    summary = _wheelshim_summary(packages, outcomes, len(document.get("errors") or []))
    return Outcome(True, sanitize(summary), packages, _wheelshim_stats(document))


def _pip_failure(stderr: str) -> str:
    found = re.search(r"No matching distribution found for (\S+)", stderr)
    if found:
        return found.group(1)
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR:")]
    return errors[0][7:].strip()[:160] if errors else _first_line(stderr)


def parse_pip(m: Measurement, work: Path, target: str) -> Outcome:
    report = work / "report.json"
    if m.timed_out or m.exit_code != 0 or not report.exists():
        return _failed(m, _pip_failure(m.stderr))
    installs = json.loads(report.read_text(encoding="utf-8")).get("install", [])
    return Outcome(True, f"OK {len(installs)} dists", {target: len(installs)})


def _uv_failure(stderr: str) -> str:
    found = re.search(
        r"(?:╰─▶|cause:)\s*(?:Because\s+)?(.*?)(?:, we can conclude.*)?$", stderr, re.M
    )
    if found:
        return found.group(1)[:160]
    errors = [line for line in stderr.splitlines() if line.lstrip().startswith(("error", "×"))]
    return errors[0].strip()[:160] if errors else _first_line(stderr)


def parse_uv(m: Measurement, target: str) -> Outcome:
    if m.timed_out or m.exit_code != 0:
        return _failed(m, _uv_failure(m.stderr))
    pins = [line for line in m.stdout.splitlines() if re.match(r"[A-Za-z0-9][^\s]*==", line)]
    return Outcome(True, f"OK {len(pins)} dists", {target: len(pins)})


def parse_outcome(job: Job, m: Measurement, work: Path) -> Outcome:
    if job.tool == "wheelshim":
        return parse_wheelshim(m)
    if job.tool == "pip":
        return parse_pip(m, work, job.target_label)
    return parse_uv(m, job.target_label)


_LOGGED = {
    "pip": re.compile(r'"(GET|HEAD|POST) \S+ HTTP/[\d.]+"'),
    "uv": re.compile(r"Sending (?:fresh (GET|HEAD)|(revalidation)) request"),
}


def logged_requests(tool: str, m: Measurement) -> dict[str, int] | None:
    """Requests counted in a verbose run's log (pip ``-vvv``: urllib3 lines; uv ``-v``:
    fresh and revalidation requests; uv does not log its Range GETs into wheels, so its
    count is a lower bound). None for tools that report their own statistics."""
    pattern = _LOGGED.get(tool)
    if pattern is None:
        return None
    counts: Counter[str] = Counter()
    for match in pattern.finditer(m.stdout + "\n" + m.stderr):
        counts[match.group(1) or match.group(2) or "?"] += 1
    return dict(counts)


def command_text(argv: Sequence[str], replacements: Mapping[str, str]) -> str:
    """A shell-like rendering of ``argv`` with placeholders for run-specific paths."""
    return sanitize(" ".join(_quote(arg) for arg in argv), replacements)


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./$<>-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"
