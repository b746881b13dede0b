"""One shared HTTP client with retries, pip-like TLS rules and an on-disk HTTP cache.

:class:`HttpClient` is safe to share between threads. It answers ``http(s)://`` URLs
over the network (or from its cache) and ``file://`` URLs from the local disk.

Cache rules, for one response stored per request (method, URL without credentials,
byte range, ``Accept``):

* ``Cache-Control: no-store`` is never stored; ``no-cache`` is always revalidated;
  ``immutable`` is fresh forever; ``max-age`` (less ``Age``) or ``Expires`` give the
  lifetime otherwise.
* A response with neither ``Cache-Control``/``Expires`` nor validators (``ETag``,
  ``Last-Modified``) is fresh for :attr:`HttpSettings.freshness_seconds` after it was
  fetched; one with validators and no lifetime is revalidated on every use.
* A stale entry with validators is revalidated (``If-None-Match`` /
  ``If-Modified-Since``); ``304`` serves the stored body.
* ``immutable=True`` requests (files whose URL names their hash, ``.metadata`` files)
  and byte-range reads are cached forever once fetched.
* ``refresh`` treats every non-immutable entry as stale the first time this client
  uses it; ``offline`` answers only from the cache, stale or not.
* ``404`` and ``410`` are cached like pages, so ``--offline`` knows an index lacks a
  project.

Entries are written atomically (temporary file, then :func:`os.replace`); an entry that
cannot be read is ignored. File names are SHA-256 digests of the key, so no URL (and no
credential) is readable in the cache directory.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import ipaddress
import json
import logging
import math
import mimetypes
import netrc
import os
import random
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from types import TracebackType

import httpx
import platformdirs

from wheelshim._config import IndexSettings
from wheelshim._exceptions import ConfigurationError, IndexUnreachable, OfflineCacheMiss
from wheelshim._redact import redact_text, redact_url

__all__ = [
    "HttpClient",
    "HttpResponse",
    "HttpSettings",
    "HttpStats",
    "default_cache_dir",
    "is_secure_origin",
]

logger = logging.getLogger(__name__)

#: Backoff before retry ``n`` (1-based) is ``_BACKOFF_BASE * 2 ** (n - 1)`` seconds,
#: capped, then scaled by a random factor in [0.5, 1.5) so clients do not retry in step.
_BACKOFF_BASE = 0.25
_BACKOFF_CAP = 10.0
#: A server asking for a longer pause than this is still retried after this long.
_RETRY_AFTER_CAP = 60.0
_OK = frozenset({200, 203, 206})
_RETURNED_ERRORS = frozenset({404, 410})
_CACHEABLE = frozenset({200, 203, 206, 404, 410})
_CACHE_MAGIC = b"wheelshim-http-cache 1\n"
#: Headers kept in cache entries; the rest (cookies, connection headers) are dropped.
_STORED_HEADERS = frozenset(
    {
        "age",
        "cache-control",
        "content-length",
        "content-range",
        "content-type",
        "date",
        "etag",
        "expires",
        "last-modified",
        "accept-ranges",
    }
)
# pip's SECURE_ORIGINS (network/session.py): (scheme, host or network, port).
_SECURE_ORIGINS: tuple[tuple[str, str, str | None], ...] = (
    ("https", "*", "*"),
    ("*", "localhost", "*"),
    ("*", "127.0.0.0/8", "*"),
    ("*", "::1/128", "*"),
    ("file", "*", None),
    ("ssh", "*", "*"),
)


def _version() -> str:
    try:
        return metadata.version("wheelshim")
    except metadata.PackageNotFoundError:
        # Running from a source tree: the package itself is imported by now.
        version = getattr(sys.modules.get("wheelshim"), "__version__", None)
        return version if isinstance(version, str) else "0+unknown"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The HTTP cache directory: ``$WHEELSHIM_CACHE_DIR/http`` or the user cache's ``http``.

    ``WHEELSHIM_CACHE_DIR`` names wheelshim's whole cache; the HTTP cache is its
    ``http`` subdirectory.
    """
    env = os.environ if environ is None else environ
    root = env.get("WHEELSHIM_CACHE_DIR")
    base = Path(root).expanduser() if root else Path(platformdirs.user_cache_dir("wheelshim"))
    return base / "http"


DEFAULT_FRESHNESS_SECONDS = 600.0


def _freshness(environ: Mapping[str, str]) -> float:
    """``WHEELSHIM_FRESHNESS``: seconds an index page without validators stays fresh."""
    raw = environ.get("WHEELSHIM_FRESHNESS")
    if raw is None:
        return DEFAULT_FRESHNESS_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigurationError(
            f"WHEELSHIM_FRESHNESS={raw!r} is not a number of seconds: use e.g. 600, or 0"
        )
    return value


@dataclass(frozen=True)
class HttpSettings:
    """How :class:`HttpClient` talks to the network and uses its cache.

    ``cache_dir=None`` disables the cache. ``retries`` is pip's ``--retries``: the
    number of *extra* attempts after the first. ``verify`` is ``True`` (the default CA
    bundle), ``False``, or the path of a CA bundle (pip's ``--cert``); ``client_cert``
    is pip's ``--client-cert``. ``trusted_hosts`` are pip's ``--trusted-host`` values
    (``host`` or ``host:port``): TLS is not verified for them and their ``http://``
    pages are accepted. ``use_netrc`` lets ``~/.netrc`` (or ``$NETRC``) supply
    credentials, as pip's requests session does.
    """

    cache_dir: Path | None = field(default_factory=default_cache_dir)
    offline: bool = False
    refresh: bool = False
    freshness_seconds: float = DEFAULT_FRESHNESS_SECONDS
    timeout: float = 15.0
    retries: int = 5
    verify: bool | str = True
    client_cert: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    user_agent: str = field(default_factory=lambda: f"wheelshim/{_version()}")
    use_netrc: bool = True

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        refresh: bool = False,
        timeout: float = 15.0,
        retries: int = 5,
        cert: str | None = None,
        client_cert: str | None = None,
        trusted_hosts: Iterable[str] = (),
    ) -> HttpSettings:
        """Settings for this process: ``cache_dir`` defaults to :func:`default_cache_dir`
        of ``environ`` (the process environment when ``None``).

        Without ``cert``, a CA bundle named by ``REQUESTS_CA_BUNDLE`` or
        ``CURL_CA_BUNDLE`` is used, as pip's requests session does.
        """
        env = os.environ if environ is None else environ
        bundle = cert or env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE")
        return cls(
            cache_dir=default_cache_dir(env) if cache_dir is None else cache_dir,
            offline=offline,
            refresh=refresh,
            freshness_seconds=_freshness(env),
            timeout=timeout,
            retries=retries,
            verify=bundle or True,
            client_cert=client_cert,
            trusted_hosts=tuple(trusted_hosts),
        )

    @classmethod
    def from_index_settings(
        cls,
        settings: IndexSettings,
        environ: Mapping[str, str] | None = None,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        refresh: bool = False,
    ) -> HttpSettings:
        """:meth:`from_environ` with the timeout, retries, ``--cert``, ``--client-cert``
        and ``--trusted-host`` values of ``settings``."""
        return cls.from_environ(
            environ,
            cache_dir=cache_dir,
            offline=offline,
            refresh=refresh,
            timeout=settings.timeout,
            retries=settings.retries,
            cert=settings.cert,
            client_cert=settings.client_cert,
            trusted_hosts=settings.trusted_hosts,
        )


@dataclass(frozen=True)
class HttpResponse:
    """A complete response. ``headers`` is case-insensitive.

    ``url`` is the URL that answered: the requested URL (credentials included, fragment
    dropped) unless the server redirected, in which case it is the final URL.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    from_cache: bool = False

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header, or ``""``."""
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class HttpStats:
    """A snapshot of a client's counters."""

    requests: int = 0
    bytes_received: int = 0
    cache_hits: int = 0
    revalidations: int = 0
    retries: int = 0


# --- URL helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A request URL split into what is sent and the credentials sent with it."""

    given: str  # the caller's URL without its fragment, credentials kept
    url: str  # without credentials and fragment: sent, and hashed into cache keys
    hostport: str
    auth: tuple[str, str] | None


def _split_target(url: str) -> _Target:
    parts = urllib.parse.urlsplit(url)
    given = urllib.parse.urlunsplit(parts._replace(fragment=""))
    userinfo, at, hostport = parts.netloc.rpartition("@")
    auth = None
    if at:
        user, colon, password = userinfo.partition(":")
        auth = (urllib.parse.unquote(user), urllib.parse.unquote(password) if colon else "")
    plain = urllib.parse.urlunsplit(parts._replace(netloc=hostport, fragment=""))
    return _Target(given=given, url=plain, hostport=hostport.lower(), auth=auth)


def _host_and_port(hostport: str) -> tuple[str, int | None]:
    parsed = urllib.parse.urlsplit(f"//{hostport}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    return (parsed.hostname or ""), port


def _is_trusted(url: str, trusted_hosts: Iterable[str]) -> bool:
    """Whether pip mounts its insecure adapter for ``url`` (``--trusted-host``)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return False
    for trusted in trusted_hosts:
        trusted_host, trusted_port = _host_and_port(trusted.lower())
        if trusted_host == host and (trusted_port is None or trusted_port == port):
            return True
    return False


def is_secure_origin(url: str, trusted_hosts: Iterable[str] = ()) -> bool:
    """Whether pip would read pages from ``url`` (pip's ``PipSession.is_secure_origin``).

    ``https``, ``file``, loopback addresses, ``localhost`` and ``--trusted-host``
    entries are secure; pip ignores (with a warning) pages anywhere else.
    """
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.rsplit("+", 1)[-1]
    host = parts.hostname
    try:
        port = parts.port
    except ValueError:
        return False
    origins: list[tuple[str, str, str | int | None]] = list(_SECURE_ORIGINS)
    for trusted in trusted_hosts:
        trusted_host, trusted_port = _host_and_port(trusted)
        origins.append(("*", trusted_host, "*" if trusted_port is None else trusted_port))
    return any(_origin_matches(scheme, host, port, origin) for origin in origins)


def _origin_matches(
    scheme: str, host: str | None, port: int | None, origin: tuple[str, str, str | int | None]
) -> bool:
    secure_scheme, secure_host, secure_port = origin
    if scheme != secure_scheme and secure_scheme != "*":
        return False
    try:
        address = ipaddress.ip_address(host or "")
        network = ipaddress.ip_network(secure_host)
    except ValueError:
        if host and host.lower() != secure_host.lower() and secure_host != "*":
            return False
    else:
        if address not in network:
            return False
    return port == secure_port or secure_port in ("*", None)


def _file_url_to_path(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise IndexUnreachable(
            f"cannot read {redact_url(url)}: file: URLs must name a local path",
            url=redact_url(url),
        )
    return Path(urllib.request.url2pathname(parts.path))


# --- caching ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One stored response; ``stored_at`` is the wall-clock time it was (re)validated."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    stored_at: float

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def has_validators(self) -> bool:
        return self.header("etag") is not None or self.header("last-modified") is not None


def _stored_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((k.lower(), v) for k, v in headers.items() if k.lower() in _STORED_HEADERS)


def _cache_control(value: str | None) -> dict[str, str | None]:
    """Directives of a ``Cache-Control`` header, names lower-cased, quotes removed."""
    directives: dict[str, str | None] = {}
    for part in (value or "").split(","):
        name, eq, argument = part.strip().partition("=")
        if name:
            directives[name.lower()] = argument.strip().strip('"') if eq else None
    return directives


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(int(value or "")))
    except ValueError:
        return None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _lifetime(entry: _Entry, default_window: float) -> float:
    """How long after ``stored_at`` the entry is fresh, in seconds (0: revalidate)."""
    directives = _cache_control(entry.header("cache-control"))
    if "no-cache" in directives:
        return 0.0
    if "immutable" in directives:
        return math.inf
    age = _seconds(entry.header("age")) or 0.0
    if "max-age" in directives:
        max_age = _seconds(directives["max-age"])
        return 0.0 if max_age is None else max(0.0, max_age - age)
    expires = _http_date(entry.header("expires"))
    if entry.header("expires") is not None:
        date = _http_date(entry.header("date")) or entry.stored_at
        return 0.0 if expires is None else max(0.0, expires - date)
    if directives or entry.has_validators:
        return 0.0
    return default_window


class _DiskCache:
    """Entries in ``root/ab/cd/<sha256>``, written atomically, read defensively."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._root / digest[:2] / digest[2:4] / digest

    def load(self, key: str) -> _Entry | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        return _decode_entry(data)

    def store(self, key: str, entry: _Entry) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(_encode_entry(entry))
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            # A cache that cannot be written only costs speed.
            logger.debug("cannot write HTTP cache entry: %s", redact_text(str(error)))

    def discard(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()


def _encode_entry(entry: _Entry) -> bytes:
    header = {
        "url": entry.url,
        "status": entry.status,
        "headers": [list(pair) for pair in entry.headers],
        "stored_at": entry.stored_at,
        "length": len(entry.content),
    }
    return _CACHE_MAGIC + json.dumps(header).encode("utf-8") + b"\n" + entry.content


def _decode_entry(data: bytes) -> _Entry | None:
    if not data.startswith(_CACHE_MAGIC):
        return None
    header_line, newline, content = data[len(_CACHE_MAGIC) :].partition(b"\n")
    try:
        header = json.loads(header_line) if newline else None
        if not isinstance(header, dict) or header.get("length") != len(content):
            return None
        url, status, stored_at = header["url"], header["status"], header["stored_at"]
        pairs = tuple((str(k), str(v)) for k, v in header["headers"])
        if not isinstance(url, str) or not isinstance(status, int):
            return None
        return _Entry(url, status, pairs, content, float(stored_at))
    except (ValueError, KeyError, TypeError):
        return None


# --- the client ---------------------------------------------------------------------


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = HttpStats()

    def add(self, **deltas: int) -> None:
        with self._lock:
            current = self._stats
            self._stats = replace(
                current, **{name: getattr(current, name) + n for name, n in deltas.items()}
            )

    def snapshot(self) -> HttpStats:
        with self._lock:
            return self._stats


class _Failure(Exception):
    """One failed attempt: ``reason`` is shown to the user, ``delay`` is the pause."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class HttpClient:
    """A thread-safe HTTP client; see the module docstring for the cache rules.

    ``transport`` replaces the network (tests pass :class:`httpx.MockTransport`);
    ``sleep``, ``clock`` and ``jitter`` replace :func:`time.sleep`, :func:`time.time`
    and :func:`random.random`.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._cache = _DiskCache(settings.cache_dir) if settings.cache_dir else None
        self._counters = _Counters()
        self._lock = threading.Lock()
        self._clients: dict[bool, httpx.Client] = {}
        self._credentials: dict[str, tuple[str, str]] = {}
        self._netrc: netrc.netrc | bool | None = False  # False: not read yet
        self._refreshed: set[str] = set()

    # -- public API --

    @property
    def stats(self) -> HttpStats:
        """A snapshot of the counters (requests sent, bytes received, cache use)."""
        return self._counters.snapshot()

    def get(self, url: str, *, accept: str | None = None, immutable: bool = False) -> HttpResponse:
        """GET ``url``. ``404``/``410`` are returned; other failures raise.

        Raises :class:`IndexUnreachable` after the retries, or for any other error
        status, and :class:`OfflineCacheMiss` when offline and not cached.
        """
        return self._request("GET", url, accept=accept, immutable=immutable)

    def get_range(self, url: str, start: int, end: int | None = None) -> HttpResponse:
        """GET bytes ``start..end`` (inclusive) of ``url``; a negative ``start`` (with no
        ``end``) asks for the last ``-start`` bytes.

        The answer is ``206`` with the part, or ``200`` with the whole file when the
        server ignores ``Range``; ``404``/``410``/``416`` are returned. Range reads are
        cached forever.
        """
        if start < 0:
            if end is not None:
                raise ValueError("a suffix range (negative start) takes no end")
            byte_range = f"bytes={start}"
        elif end is None:
            byte_range = f"bytes={start}-"
        elif end < start:
            raise ValueError(f"range end {end} is before its start {start}")
        else:
            byte_range = f"bytes={start}-{end}"
        return self._request("GET", url, byte_range=byte_range, immutable=True)

    def head(self, url: str) -> HttpResponse:
        """HEAD ``url`` (cached like a page); ``404``/``410`` are returned."""
        return self._request("HEAD", url)

    def close(self) -> None:
        """Close the connections; the client must not be used afterwards."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- request flow --

    def _request(
        self,
        method: str,
        url: str,
        *,
        accept: str | None = None,
        byte_range: str | None = None,
        immutable: bool = False,
    ) -> HttpResponse:
        if url.lower().startswith("file:"):
            return _read_local(url, method, byte_range)
        target = _split_target(url)
        key = f"{method} {target.url} range={byte_range or ''} accept={accept or ''}"
        entry = self._lookup(key, target, byte_range, accept)
        if self.settings.offline:
            if entry is None:
                raise OfflineCacheMiss(
                    f"{redact_url(target.given)} is not in the local cache; "
                    "run once without --offline",
                    url=redact_url(target.given),
                )
            return self._hit(entry, target)
        if entry is not None and self._is_fresh(key, entry, immutable):
            return self._hit(entry, target)

        headers = {"Accept": accept} if accept else {}
        if byte_range:
            headers["Range"] = byte_range
        if entry is not None and entry.status in _OK and byte_range is None:
            headers.update(_conditional_headers(entry))
        if self.settings.refresh and not immutable:
            # Ask intermediate caches (CDNs) for a fresh answer too, as pip does.
            headers["Cache-Control"] = "max-age=0"
        with self._lock:
            self._refreshed.add(key)
        response = self._send(method, target, headers)
        return self._handle(method, key, target, entry, response, byte_range, accept)

    def _lookup(
        self, key: str, target: _Target, byte_range: str | None, accept: str | None
    ) -> _Entry | None:
        if self._cache is None:
            return None
        entry = self._cache.load(key)
        if entry is None and byte_range is not None:
            # A server that ignored Range earlier gave us the whole file; reuse it.
            entry = self._cache.load(f"GET {target.url} range= accept={accept or ''}")
            if entry is not None and entry.status not in _OK:
                entry = None
        return entry

    def _is_fresh(self, key: str, entry: _Entry, immutable: bool) -> bool:
        if immutable and entry.status in _OK:
            return True
        if self.settings.refresh:
            with self._lock:
                if key not in self._refreshed:
                    return False
        age = self._clock() - entry.stored_at
        return 0.0 <= age < _lifetime(entry, self.settings.freshness_seconds)

    def _hit(self, entry: _Entry, target: _Target) -> HttpResponse:
        self._counters.add(cache_hits=1)
        return _response_from_entry(entry, target)

    def _handle(
        self,
        method: str,
        key: str,
        target: _Target,
        entry: _Entry | None,
        response: httpx.Response,
        byte_range: str | None,
        accept: str | None,
    ) -> HttpResponse:
        status = response.status_code
        shown = redact_url(target.given)
        if status == 304 and entry is not None:
            merged = dict(entry.headers)
            merged.update(_stored_headers(response.headers))
            refreshed = replace(entry, headers=tuple(merged.items()), stored_at=self._clock())
            self._store(key, refreshed, response.headers)
            self._counters.add(revalidations=1)
            return _response_from_entry(refreshed, target)
        returned = _RETURNED_ERRORS | ({416} if byte_range else set())
        if status not in _OK and status not in returned:
            raise IndexUnreachable(_status_message(shown, response), url=shown)
        final_url = str(response.url)
        content = response.content if method != "HEAD" else b""
        if status in _CACHEABLE:
            stored = _Entry(
                final_url, status, _stored_headers(response.headers), content, self._clock()
            )
            if byte_range is not None and status != 206:
                # The server ignored Range: keep the whole file as a plain GET.
                key = f"GET {target.url} range= accept={accept or ''}"
            self._store(key, stored, response.headers)
        return HttpResponse(
            url=target.given if final_url == target.url else final_url,
            status=status,
            headers=response.headers,
            content=content,
        )

    def _store(self, key: str, entry: _Entry, headers: Mapping[str, str]) -> None:
        if self._cache is None:
            return
        if "no-store" in _cache_control(headers.get("cache-control")):
            self._cache.discard(key)
            return
        self._cache.store(key, entry)

    # -- network --

    def _send(self, method: str, target: _Target, headers: dict[str, str]) -> httpx.Response:
        attempts = max(0, self.settings.retries) + 1
        shown = redact_url(target.given)
        auth = self._auth_for(target)
        client = self._client(insecure=_is_trusted(target.url, self.settings.trusted_hosts))
        reason = "no answer"
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self._counters.add(retries=1)
            try:
                return self._attempt(client, method, target, headers, auth)
            except _Failure as failure:
                reason = failure.reason
                if attempt == attempts:
                    break
                delay = failure.delay if failure.delay is not None else self._backoff(attempt)
                logger.debug("retrying %s %s in %.2fs (%s)", method, shown, delay, failure.reason)
                self._sleep(delay)
        noun = "attempt" if attempts == 1 else "attempts"
        raise IndexUnreachable(
            f"could not reach {shown} after {attempts} {noun} ({reason}): "
            "check the network or --index-url, or use --offline",
            url=shown,
        )

    def _attempt(
        self,
        client: httpx.Client,
        method: str,
        target: _Target,
        headers: dict[str, str],
        auth: tuple[str, str] | None,
    ) -> httpx.Response:
        """One request; raises :class:`_Failure` when it is worth trying again."""
        shown = redact_url(target.given)
        self._counters.add(requests=1)
        try:
            response = client.request(
                method, target.url, headers=headers, auth=auth, follow_redirects=True
            )
        except httpx.TimeoutException:
            raise _Failure("timed out") from None
        except httpx.UnsupportedProtocol:
            raise IndexUnreachable(
                f"cannot fetch {shown}: unsupported URL scheme; use http(s):// or file://",
                url=shown,
            ) from None
        except (httpx.TransportError, httpx.DecodingError) as error:
            if _is_certificate_error(error):
                host = urllib.parse.urlsplit(target.url).hostname or target.hostport
                raise IndexUnreachable(
                    f"TLS certificate verification failed for {host}: pass --cert with "
                    f"your CA bundle, or --trusted-host {host} if you trust it",
                    url=shown,
                ) from None
            raise _Failure(f"{_error_name(error)}") from None
        self._counters.add(bytes_received=len(response.content))
        status = response.status_code
        if status == 429 or status >= 500:
            delay = _retry_after(response.headers.get("retry-after"), self._clock())
            raise _Failure(f"HTTP {status}", delay)
        return response

    def _backoff(self, attempt: int) -> float:
        delay = min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0 ** (attempt - 1))
        return delay * (0.5 + self._jitter())

    def _client(self, *, insecure: bool) -> httpx.Client:
        with self._lock:
            client = self._clients.get(insecure)
            if client is None:
                client = self._new_client(insecure)
                self._clients[insecure] = client
            return client

    def _new_client(self, insecure: bool) -> httpx.Client:
        settings = self.settings
        if self._transport is not None:
            # Injected transports stand for the network: no proxies from the environment.
            return httpx.Client(
                transport=self._transport,
                timeout=settings.timeout,
                headers={"User-Agent": settings.user_agent},
                trust_env=False,
            )
        return httpx.Client(
            verify=_ssl_context(False if insecure else settings.verify, settings.client_cert),
            timeout=settings.timeout,
            headers={"User-Agent": settings.user_agent},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    def _auth_for(self, target: _Target) -> tuple[str, str] | None:
        """Credentials as pip finds them: the URL's, this host's earlier ones, netrc."""
        with self._lock:
            if target.auth is not None:
                self._credentials.setdefault(target.hostport, target.auth)
                return target.auth
            known = self._credentials.get(target.hostport)
        if known is not None or not self.settings.use_netrc:
            return known
        return self._netrc_auth(target)

    def _netrc_auth(self, target: _Target) -> tuple[str, str] | None:
        with self._lock:
            if self._netrc is False:
                self._netrc = _load_netrc()
            info = self._netrc
        if not isinstance(info, netrc.netrc):
            return None
        host = urllib.parse.urlsplit(target.url).hostname or ""
        found = info.authenticators(host)
        if found is None or not found[2]:
            return None
        return (found[0], found[2])


def _load_netrc() -> netrc.netrc | None:
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    if not os.path.isfile(path):
        return None
    try:
        return netrc.netrc(path)
    except (OSError, netrc.NetrcParseError) as error:
        logger.warning("ignoring %s: %s", path, error)
        return None


def _ssl_context(verify: bool | str, client_cert: str | None) -> ssl.SSLContext:
    if verify is True:
        context = httpx.create_ssl_context()
    elif verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif os.path.isdir(verify):
        context = ssl.create_default_context(capath=verify)
    else:
        context = ssl.create_default_context(cafile=verify)
    if client_cert:
        context.load_cert_chain(client_cert)
    return context


def _is_certificate_error(error: Exception) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(error)


def _error_name(error: Exception) -> str:
    names = {
        httpx.ConnectError: "connection failed",
        httpx.ReadError: "connection broken",
        httpx.WriteError: "connection broken",
        httpx.RemoteProtocolError: "the server broke the HTTP protocol",
        httpx.ProxyError: "proxy error",
        httpx.DecodingError: "garbled response",
    }
    for kind, name in names.items():
        if isinstance(error, kind):
            return name
    return "network error"


def _retry_after(value: str | None, now: float) -> float | None:
    seconds = _seconds(value)
    if seconds is None:
        when = _http_date(value)
        if when is None:
            return None
        seconds = max(0.0, when - now)
    return min(seconds, _RETRY_AFTER_CAP)


def _status_message(shown: str, response: httpx.Response) -> str:
    status = response.status_code
    phrase = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status in (401, 403):
        advice = "check the credentials for this index (in its URL or ~/.netrc)"
    else:
        advice = "check the URL and the index"
    return f"{shown} answered {phrase}: {advice}"


def _conditional_headers(entry: _Entry) -> dict[str, str]:
    headers = {}
    etag = entry.header("etag")
    last_modified = entry.header("last-modified")
    if etag is not None:
        headers["If-None-Match"] = etag
    if last_modified is not None:
        headers["If-Modified-Since"] = last_modified
    return headers


def _response_from_entry(entry: _Entry, target: _Target) -> HttpResponse:
    return HttpResponse(
        url=target.given if entry.url == target.url else entry.url,
        status=entry.status,
        headers=httpx.Headers(list(entry.headers)),
        content=entry.content,
        from_cache=True,
    )


def _read_local(url: str, method: str, byte_range: str | None) -> HttpResponse:
    """Answer a ``file:`` URL as pip's ``LocalFSAdapter`` does (404 when unreadable)."""
    given = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(fragment=""))
    path = _file_url_to_path(given)
    try:
        content = path.read_bytes() if method != "HEAD" else b""
        size = path.stat().st_size
    except OSError as error:
        return HttpResponse(
            url=given,
            status=404,
            headers=httpx.Headers({"content-type": "text/plain"}),
            content=f"{type(error).__name__}".encode(),
        )
    headers = {
        "content-type": mimetypes.guess_type(str(path))[0] or "text/plain",
        "content-length": str(size),
    }
    status = 200
    if byte_range is not None and method != "HEAD":
        content, content_range = _slice(content, byte_range)
        if content_range is None:
            return HttpResponse(given, 416, httpx.Headers(headers), b"")
        status = 206
        headers["content-range"] = content_range
        headers["content-length"] = str(len(content))
    return HttpResponse(url=given, status=status, headers=httpx.Headers(headers), content=content)


def _slice(content: bytes, byte_range: str) -> tuple[bytes, str | None]:
    spec = byte_range.removeprefix("bytes=")
    first, _, last = spec.partition("-")
    size = len(content)
    if not first:
        start = max(0, size - int(last))
        end = size - 1
    else:
        start = int(first)
        end = min(size - 1, int(last)) if last else size - 1
    if start >= size or size == 0:
        return b"", None
    return content[start : end + 1], f"bytes {start}-{end}/{size}"
