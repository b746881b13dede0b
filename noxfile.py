"""Developer tasks. ``nox -s tests`` is the command the README and CI run."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True

# Every session runs isolated from the machine's pip configuration, as the tests are.
ISOLATED = {"PIP_CONFIG_FILE": "/dev/null"}


@nox.session
def tests(session: nox.Session) -> None:
    """The hermetic suite: a local HTTP index on 127.0.0.1, no network."""
    session.install("-e", ".[test]")
    # Parity tests run pip's own option and requirements-file parsers as the reference;
    # pin the pip generation of the official python:3.x images so they stay comparable.
    session.install("pip==23.2.1")
    session.run(
        "pytest", "-q", "--doctest-modules", "wheelshim", "tests", *session.posargs, env=ISOLATED
    )


@nox.session
def live(session: nox.Session) -> None:
    """The tests marked ``live``: the shared cases and the article's examples against the
    real index (taken from pip's default, or PIP_INDEX_URL)."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-q",
        "--live",
        "-m",
        "live or not live",
        "tests/test_cases.py",
        "tests/test_live.py",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, the tests, the benchmarks and this file."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "wheelshim", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package (configuration in pyproject.toml)."""
    session.install("-e", ".[typecheck]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site, failing on any warning."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(session.create_tmp()))


@nox.session
def benchmarks(session: nox.Session) -> None:
    """wheelshim beside pip and uv on the shared corpora (see docs/benchmarks.md)."""
    session.install("-e", ".", "uv")
    session.run("python", "benchmarks/run.py", *session.posargs)
