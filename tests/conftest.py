"""Shared test fixtures: isolation from the machine, the hermetic index, the ``live`` marker.

* Every test runs with ``PIP_CONFIG_FILE`` pointing at the null device, no other ``PIP_*``
  variable, no ``WHEELSHIM_*`` variable but a per-test ``WHEELSHIM_CACHE_DIR``, and
  loopback addresses exempt from any proxy.
* ``index_server`` (session) is the :class:`~indexserver.IndexServer` on 127.0.0.1;
  tests use ``index`` (function), which yields the same server and resets its faults,
  log, in-memory projects and switches afterwards.
* Tests marked ``@pytest.mark.live`` are skipped unless ``--live`` is given or
  ``WHEELSHIM_LIVE=1`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from indexserver import IndexServer

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--live`` to run the tests that talk to the real package index."""
    parser.addoption(
        "--live",
        action="store_true",
        default=False,
        help="run tests marked 'live' (they talk to the real package index)",
    )
    parser.addoption(
        "--oracle",
        default=None,
        metavar="DIR",
        help="a set-up copy of shared/oracle: run the tests marked 'oracle' against it",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the opt-in markers."""
    config.addinivalue_line(
        "markers", "oracle: runs the real pip under emulated linux/arm64 (opt-in: --oracle DIR)"
    )


def _live_enabled(config: pytest.Config) -> bool:
    """Whether live tests were asked for on the command line or in the environment."""
    return bool(config.getoption("--live")) or os.environ.get("WHEELSHIM_LIVE") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``live`` and ``oracle`` tests unless they were asked for."""
    skip_live = pytest.mark.skip(reason="live test: pass --live or set WHEELSHIM_LIVE=1")
    skip_oracle = pytest.mark.skip(reason="oracle test: pass --oracle DIR (a set-up oracle)")
    for item in items:
        if "live" in item.keywords and not _live_enabled(config):
            item.add_marker(skip_live)
        if "oracle" in item.keywords and not config.getoption("--oracle"):
            item.add_marker(skip_oracle)


def _with_loopback(value: str | None) -> str:
    """Return a ``NO_PROXY`` value that also exempts the loopback addresses."""
    entries = [e.strip() for e in (value or "").split(",") if e.strip()]
    return ",".join(entries + [h for h in _LOOPBACK if h not in entries])


@pytest.fixture(autouse=True)
def _isolate_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the machine's pip configuration and wheelshim settings out of every test."""
    for name in list(os.environ):
        if name.startswith(("PIP_", "WHEELSHIM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("WHEELSHIM_CACHE_DIR", str(tmp_path_factory.mktemp("wheelshim-cache")))
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, _with_loopback(os.environ.get(name)))


@pytest.fixture(scope="session")
def index_server() -> Iterator[IndexServer]:
    """The hermetic index on 127.0.0.1, started once per session (prefer ``index``)."""
    with IndexServer() as server:
        yield server


@pytest.fixture
def index(index_server: IndexServer) -> Iterator[IndexServer]:
    """The hermetic index, reset (faults, log, in-memory content, switches) after the test."""
    index_server.reset()
    yield index_server
    index_server.reset()
