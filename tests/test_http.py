"""The shared HTTP client: retries, credentials, the disk cache (wheelshim._http)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from indexserver import IndexServer, ServerConfig

from wheelshim._config import IndexSettings
from wheelshim._exceptions import IndexUnreachable, OfflineCacheMiss
from wheelshim._http import (
    HttpClient,
    HttpSettings,
    default_cache_dir,
    is_secure_origin,
)

PAGE = "https://index.test/simple/demo/"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Clock:
    """A settable wall clock."""

    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Net:
    """A scripted network: answers from ``handler`` and records every request."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return self.handler(request)


@dataclass
class Harness:
    """Builds clients over one cache directory, fake network, clock and sleep."""

    cache_dir: Path
    clock: Clock = field(default_factory=Clock)
    sleeps: list[float] = field(default_factory=list)

    def client(self, net: Net, **overrides: object) -> HttpClient:
        values: dict[str, object] = {"cache_dir": self.cache_dir, "retries": 2, "use_netrc": False}
        values.update(overrides)
        settings = HttpSettings(**values)  # type: ignore[arg-type]
        return HttpClient(
            settings,
            transport=httpx.MockTransport(net),
            sleep=self.sleeps.append,
            clock=self.clock,
            jitter=lambda: 0.5,  # a jitter factor of exactly 1.0
        )


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(cache_dir=tmp_path / "http")


def ok(body: bytes = b"<html></html>", **headers: str) -> httpx.Response:
    merged = {"Content-Type": "text/html", **{k.replace("_", "-"): v for k, v in headers.items()}}
    return httpx.Response(200, content=body, headers=merged)


def script(*answers: httpx.Response | Exception) -> Handler:
    """Answer (or raise) the given responses in turn, repeating the last."""
    pending = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = pending.pop(0) if len(pending) > 1 else pending[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


# --- retries ------------------------------------------------------------------------


def test_server_error_then_success_is_retried_after_backoff(harness: Harness) -> None:
    net = Net(script(httpx.Response(500), ok(b"page")))
    with harness.client(net) as client:
        response = client.get(PAGE)
    assert (response.status, response.content, response.from_cache) == (200, b"page", False)
    assert len(net.requests) == 2
    assert harness.sleeps == [0.25]
    assert client.stats.retries == 1


def test_timeouts_exhaust_retries_with_a_redacted_one_line_error(harness: Harness) -> None:
    net = Net(script(httpx.ReadTimeout("slow")))
    client = harness.client(net, retries=3)
    with pytest.raises(IndexUnreachable) as raised:
        client.get("https://user:secret@index.test/simple/demo/")
    message = str(raised.value)
    assert message == (
        "could not reach https://user:****@index.test/simple/demo/ after 4 attempts "
        "(timed out): check the network or --index-url, or use --offline"
    )
    assert raised.value.url == "https://user:****@index.test/simple/demo/"
    assert len(net.requests) == 4
    # Exponential backoff between the attempts.
    assert harness.sleeps == [0.25, 0.5, 1.0]


def test_connection_errors_are_retried(harness: Harness) -> None:
    net = Net(script(httpx.ConnectError("refused"), ok(b"fine")))
    assert harness.client(net).get(PAGE).content == b"fine"
    assert len(net.requests) == 2


@pytest.mark.parametrize(("retry_after", "slept"), [("7", 7.0), ("100000", 60.0)])
def test_429_honours_retry_after_capped(harness: Harness, retry_after: str, slept: float) -> None:
    net = Net(script(httpx.Response(429, headers={"Retry-After": retry_after}), ok()))
    assert harness.client(net).get(PAGE).status == 200
    assert harness.sleeps == [slept]


def test_retry_after_as_http_date(harness: Harness) -> None:
    when = "Mon, 12 Jan 1970 13:46:50 GMT"  # 1_000_010 seconds after the epoch
    net = Net(script(httpx.Response(503, headers={"Retry-After": when}), ok()))
    harness.client(net).get(PAGE)
    assert harness.sleeps == [10.0]


def test_not_found_is_returned_and_other_client_errors_raise(harness: Harness) -> None:
    client = harness.client(Net(script(httpx.Response(404))), cache_dir=None)
    assert client.get(PAGE).status == 404
    forbidden = harness.client(Net(script(httpx.Response(403))), cache_dir=None)
    with pytest.raises(
        IndexUnreachable, match="answered HTTP 403 Forbidden: check the credentials"
    ):
        forbidden.get("https://u:pw@index.test/simple/demo/")


# --- credentials --------------------------------------------------------------------


def test_credentials_are_sent_as_basic_auth_and_reused_for_the_host(harness: Harness) -> None:
    net = Net(script(ok()))
    client = harness.client(net, cache_dir=None)
    response = client.get("https://user:p%40ss@index.test/simple/demo/")
    client.get("https://index.test/files/demo-1.0.tar.gz")
    first, second = net.requests
    assert str(first.url) == PAGE  # credentials travel in the header, not the URL
    expected = httpx.BasicAuth("user", "p@ss").auth_flow(first)
    assert first.headers["authorization"] == next(expected).headers["authorization"]
    assert second.headers["authorization"] == first.headers["authorization"]
    # The caller's URL (with its credentials) names the response when not redirected.
    assert response.url == "https://user:p%40ss@index.test/simple/demo/"


def test_cache_files_hold_no_credentials_or_readable_urls(harness: Harness) -> None:
    client = harness.client(Net(script(ok(b"body"))))
    client.get("https://user:secret@index.test/simple/demo/")
    stored = [p for p in harness.cache_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert "index.test" not in str(stored[0])
    assert b"secret" not in stored[0].read_bytes()


# --- the cache ----------------------------------------------------------------------


def test_etag_revalidation_serves_the_cached_body_on_304(harness: Harness) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return ok(b"v1 body", ETag='"v1"')

    net = Net(handler)
    client = harness.client(net)
    assert client.get(PAGE).from_cache is False
    again = client.get(PAGE)
    assert (again.status, again.content, again.from_cache) == (200, b"v1 body", True)
    assert net.requests[1].headers["if-none-match"] == '"v1"'
    assert client.stats.revalidations == 1


def test_last_modified_revalidation(harness: Harness) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    net = Net(script(ok(b"old", Last_Modified=stamp), httpx.Response(304)))
    client = harness.client(net)
    client.get(PAGE)
    assert client.get(PAGE).content == b"old"
    assert net.requests[1].headers["if-modified-since"] == stamp


def test_max_age_is_honoured(harness: Harness) -> None:
    net = Net(script(ok(b"a", Cache_Control="max-age=60"), ok(b"b")))
    client = harness.client(net)
    client.get(PAGE)
    harness.clock.now += 59
    assert client.get(PAGE).content == b"a"
    harness.clock.now += 2
    assert client.get(PAGE).content == b"b"
    assert len(net.requests) == 2


def test_freshness_window_without_validators(harness: Harness) -> None:
    net = Net(script(ok(b"first"), ok(b"second")))
    client = harness.client(net, freshness_seconds=600)
    client.get(PAGE)
    harness.clock.now += 599
    assert client.get(PAGE).from_cache is True
    harness.clock.now += 2
    refetched = client.get(PAGE)
    assert (refetched.content, refetched.from_cache) == (b"second", False)
    assert "if-none-match" not in net.requests[1].headers


def test_no_store_and_no_cache(harness: Harness) -> None:
    net = Net(script(ok(b"x", Cache_Control="no-store")))
    client = harness.client(net)
    client.get(PAGE)
    client.get(PAGE)
    assert len(net.requests) == 2
    assert not [p for p in harness.cache_dir.rglob("*") if p.is_file()]

    revalidated = Net(script(ok(b"y", Cache_Control="no-cache", ETag='"e"'), httpx.Response(304)))
    other = harness.client(revalidated)
    other.get("https://index.test/simple/other/")
    assert other.get("https://index.test/simple/other/").content == b"y"
    assert revalidated.requests[1].headers["if-none-match"] == '"e"'


def test_refresh_refetches_once_per_client(harness: Harness) -> None:
    harness.client(Net(script(ok(b"old")))).get(PAGE)
    net = Net(script(ok(b"new")))
    refreshing = harness.client(net, refresh=True)
    assert refreshing.get(PAGE).content == b"new"
    assert net.requests[0].headers["cache-control"] == "max-age=0"
    assert refreshing.get(PAGE).from_cache is True
    assert len(net.requests) == 1


def test_offline_answers_stale_entries_and_misses_clearly(harness: Harness) -> None:
    harness.client(Net(script(ok(b"cached")))).get(PAGE)
    harness.clock.now += 10**9
    net = Net(script(httpx.Response(500)))
    offline = harness.client(net, offline=True)
    assert offline.get(PAGE).content == b"cached"
    with pytest.raises(OfflineCacheMiss) as raised:
        offline.get("https://u:secret@index.test/simple/absent/")
    assert str(raised.value) == (
        "https://u:****@index.test/simple/absent/ is not in the local cache; "
        "run once without --offline"
    )
    assert net.requests == []


def test_not_found_pages_are_cached_for_offline_use(harness: Harness) -> None:
    harness.client(Net(script(httpx.Response(404)))).get(PAGE)
    assert harness.client(Net(script(ok())), offline=True).get(PAGE).status == 404


def test_immutable_entries_never_expire_even_with_refresh(harness: Harness) -> None:
    url = "https://index.test/files/demo-1.0-py3-none-any.whl.metadata"
    harness.client(Net(script(ok(b"Metadata-Version: 2.1")))).get(url, immutable=True)
    harness.clock.now += 10**9
    net = Net(script(ok(b"changed")))
    client = harness.client(net, refresh=True)
    assert client.get(url, immutable=True).content == b"Metadata-Version: 2.1"
    assert net.requests == []


def test_corrupt_entries_are_ignored(harness: Harness) -> None:
    harness.client(Net(script(ok(b"good")))).get(PAGE)
    for path in harness.cache_dir.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes()[:-2])  # truncated by a crash
    net = Net(script(ok(b"again")))
    assert harness.client(net).get(PAGE).content == b"again"
    assert len(net.requests) == 1


def test_accept_is_part_of_the_cache_key(harness: Harness) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ok(request.headers.get("accept", "").encode())

    net = Net(handler)
    client = harness.client(net)
    assert client.get(PAGE, accept="application/json").content == b"application/json"
    assert client.get(PAGE, accept="text/html").content == b"text/html"
    assert client.get(PAGE, accept="application/json").from_cache is True
    assert len(net.requests) == 2


# --- ranges -------------------------------------------------------------------------


def _ranged(body: bytes) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        spec = request.headers["range"].removeprefix("bytes=")
        first, _, last = spec.partition("-")
        if not first:
            start, end = len(body) - int(last), len(body) - 1
        else:
            start, end = int(first), int(last) if last else len(body) - 1
        part = body[start : end + 1]
        headers = {"Content-Range": f"bytes {start}-{end}/{len(body)}"}
        return httpx.Response(206, content=part, headers=headers)

    return handler


def test_range_reads_are_cached_per_range(harness: Harness) -> None:
    url = "https://index.test/files/demo-1.0-py3-none-any.whl"
    net = Net(_ranged(b"0123456789"))
    client = harness.client(net)
    tail = client.get_range(url, -4)
    head = client.get_range(url, 0, 2)
    assert (tail.status, tail.content, head.content) == (206, b"6789", b"012")
    assert [r.headers["range"] for r in net.requests] == ["bytes=-4", "bytes=0-2"]
    harness.clock.now += 10**9
    assert client.get_range(url, -4).from_cache is True
    assert len(net.requests) == 2


def test_server_ignoring_range_gives_the_whole_file_once(harness: Harness) -> None:
    url = "https://index.test/files/demo-1.0.tar.gz"
    net = Net(script(ok(b"whole file")))
    client = harness.client(net)
    assert client.get_range(url, -3).status == 200
    other = client.get_range(url, 0, 1)
    assert (other.status, other.content, other.from_cache) == (200, b"whole file", True)
    assert len(net.requests) == 1


def test_range_arguments_are_checked(harness: Harness) -> None:
    client = harness.client(Net(script(ok())))
    with pytest.raises(ValueError, match="suffix"):
        client.get_range(PAGE, -5, 10)
    with pytest.raises(ValueError, match="before its start"):
        client.get_range(PAGE, 5, 1)


# --- file: URLs, head, stats ------------------------------------------------------------


def test_file_urls_read_the_disk(harness: Harness, tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_bytes(b"<a href='x'>x</a>")
    client = harness.client(Net(script(httpx.Response(500))))
    response = client.get(page.as_uri())
    assert (response.status, response.content) == (200, b"<a href='x'>x</a>")
    assert response.headers["content-type"] == "text/html"
    assert client.get((tmp_path / "absent.html").as_uri()).status == 404
    part = client.get_range(page.as_uri(), -3)
    assert (part.status, part.content) == (206, b"/a>")


def test_head_is_retried_and_returns_headers(harness: Harness) -> None:
    net = Net(script(httpx.Response(502), ok(b"", Content_Length="1234")))
    response = harness.client(net).head("https://index.test/files/demo-1.0.tar.gz")
    assert response.headers["content-length"] == "1234"
    assert [r.method for r in net.requests] == ["HEAD", "HEAD"]


def test_stats_count_requests_from_many_threads(harness: Harness) -> None:
    net = Net(script(ok(b"12345")))
    client = harness.client(net, cache_dir=None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: client.get(f"{PAGE}{n}"), range(40)))
    stats = client.stats
    assert (stats.requests, stats.bytes_received, stats.cache_hits) == (40, 200, 0)


# --- settings and origins -------------------------------------------------------------


def test_settings_from_environment_and_index_settings(tmp_path: Path) -> None:
    env = {"WHEELSHIM_CACHE_DIR": str(tmp_path), "REQUESTS_CA_BUNDLE": "/ca/bundle.pem"}
    assert default_cache_dir(env) == tmp_path / "http"
    settings = HttpSettings.from_environ(env, offline=True)
    assert (settings.cache_dir, settings.verify, settings.offline) == (
        tmp_path / "http",
        "/ca/bundle.pem",
        True,
    )
    index = IndexSettings(
        index_url="https://index.test/simple/",
        cert="/my/ca.pem",
        timeout=3.0,
        retries=1,
        trusted_hosts=("mirror.test",),
    )
    from_index = HttpSettings.from_index_settings(index, env)
    assert (from_index.verify, from_index.timeout, from_index.retries) == ("/my/ca.pem", 3.0, 1)
    assert from_index.trusted_hosts == ("mirror.test",)
    assert from_index.user_agent.startswith("wheelshim/")


@pytest.mark.parametrize(
    ("url", "trusted", "secure"),
    [
        ("https://index.test/simple/", (), True),
        ("http://index.test/simple/", (), False),
        ("http://index.test/simple/", ("index.test",), True),
        ("http://index.test:8080/simple/", ("index.test:8080",), True),
        ("http://index.test:9090/simple/", ("index.test:8080",), False),
        ("http://127.0.0.5:8000/simple/", (), True),
        ("http://localhost/simple/", (), True),
        ("http://[::1]:8000/simple/", (), True),
        ("file:///srv/simple/", (), True),
    ],
)
def test_secure_origins_match_pip(url: str, trusted: tuple[str, ...], secure: bool) -> None:
    assert is_secure_origin(url, trusted) is secure


# --- against a real server on 127.0.0.1 -------------------------------------------------


@pytest.fixture
def live_client(tmp_path: Path) -> Iterator[HttpClient]:
    settings = HttpSettings(cache_dir=tmp_path / "http", retries=2, timeout=5, use_netrc=False)
    with HttpClient(settings, sleep=lambda _: None) as client:
        yield client


def test_real_server_retry_redirect_and_revalidation(
    index: IndexServer, live_client: HttpClient
) -> None:
    index.config = ServerConfig(validators=True, max_age=0)
    index.add_project("Demo", ["demo-1.0.tar.gz"])
    index.fail("/simple/demo/", times=1, status=503)
    # A non-canonical name redirects to the canonical page.
    response = live_client.get(index.url + "Demo/")
    assert response.status == 200
    assert response.url == index.project_url("demo")
    assert index.count("/simple/demo/") == 2  # one injected 503, then the page
    again = live_client.get(index.url + "Demo/")
    assert (again.from_cache, again.content) == (True, response.content)
    assert live_client.stats.revalidations == 1


def test_freshness_window_comes_from_the_environment() -> None:
    from wheelshim._exceptions import ConfigurationError
    from wheelshim._http import DEFAULT_FRESHNESS_SECONDS

    assert HttpSettings.from_environ({}).freshness_seconds == DEFAULT_FRESHNESS_SECONDS
    assert HttpSettings.from_environ({"WHEELSHIM_FRESHNESS": "0"}).freshness_seconds == 0.0
    with pytest.raises(ConfigurationError, match="WHEELSHIM_FRESHNESS='soon'"):
        HttpSettings.from_environ({"WHEELSHIM_FRESHNESS": "soon"})
