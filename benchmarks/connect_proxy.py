"""A loopback HTTP CONNECT proxy that counts TLS tunnels and the bytes through them.

Point a tool at it with ``HTTPS_PROXY=http://127.0.0.1:PORT`` to see how many connections
it opens and how many bytes it sends and receives; TLS stays end to end (the proxy only
copies bytes), so the tool verifies certificates exactly as without it.

Bounds: listens on 127.0.0.1 only; CONNECT only, to host names (no IP literals, no
``localhost``) on allowed ports (443); at most ``max_open`` tunnels at once and
``max_tunnels`` in all; a tunnel idle for ``idle_timeout`` seconds is closed; the proxy
stops by itself after ``max_seconds``.

Library use (what ``run.py --observe`` does)::

    proxy = ConnectProxy()
    port = proxy.start()
    ...  # run the tool with HTTPS_PROXY=http://127.0.0.1:{port}
    counts = proxy.stop()

Command line: ``python benchmarks/connect_proxy.py [--port N] [--max-seconds S]`` prints
the address, serves until the deadline or Ctrl-C, then prints the counts as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import threading
from dataclasses import asdict, dataclass

__all__ = ["ConnectProxy", "ProxyCounts"]

LOOPBACK = "127.0.0.1"
_HEADER_LIMIT = 16 * 1024
_HEADER_TIMEOUT = 10.0
_CONNECT_TIMEOUT = 30.0
_CHUNK = 64 * 1024


@dataclass
class ProxyCounts:
    """What went through the proxy. Mutated only on the proxy's event loop."""

    tunnels: int = 0
    refused: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    peak_open: int = 0
    stopped_by_deadline: bool = False


@dataclass(frozen=True)
class _Limits:
    allowed_ports: tuple[int, ...]
    max_open: int
    max_tunnels: int
    max_seconds: float
    idle_timeout: float


def _parse_connect(head: bytes) -> tuple[str, int] | None:
    """``CONNECT host:port HTTP/1.x`` -> (host, port), else None."""
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or parts[0] != "CONNECT" or not parts[2].startswith("HTTP/1."):
        return None
    host, sep, port = parts[1].rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]").lower(), int(port)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _refusal(host: str, port: int, limits: _Limits, open_now: int, total: int) -> bytes | None:
    """The status line to refuse a CONNECT with, or None to allow it."""
    if port not in limits.allowed_ports:
        return b"403 Port Not Allowed"
    if _is_ip_literal(host) or host == "localhost" or host.endswith(".localhost"):
        return b"403 Host Not Allowed"
    if open_now >= limits.max_open or total >= limits.max_tunnels:
        return b"503 Too Many Tunnels"
    return None


def _peer_is_loopback(writer: asyncio.StreamWriter) -> bool:
    peer = writer.get_extra_info("peername")
    if not peer:
        return False
    address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    return address.is_loopback or address.is_unspecified


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


class ConnectProxy:
    """A counting CONNECT proxy on 127.0.0.1, run on its own thread and event loop."""

    def __init__(
        self,
        *,
        port: int = 0,
        allowed_ports: tuple[int, ...] = (443,),
        max_open: int = 256,
        max_tunnels: int = 20_000,
        max_seconds: float = 1800.0,
        idle_timeout: float = 120.0,
    ) -> None:
        self.counts = ProxyCounts()
        self._requested_port = port
        self._limits = _Limits(allowed_ports, max_open, max_tunnels, max_seconds, idle_timeout)
        self._open = 0
        self._port = 0
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- thread side ---------------------------------------------------------------
    def start(self) -> int:
        """Start serving; returns the port on 127.0.0.1."""
        self._thread = threading.Thread(target=self._run, name="connect-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0) or not self._port:
            raise RuntimeError("the CONNECT proxy did not start")
        return self._port

    def stop(self) -> ProxyCounts:
        """Close the listener and every tunnel; returns the counts."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already gone (deadline)
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(30.0)
        return self.counts

    def wait(self, timeout: float) -> None:
        """Block until the proxy stops by itself (deadline) or ``timeout`` passes."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        finally:
            self._ready.set()

    # -- event loop side -------------------------------------------------------------
    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(
            self._handle, host=LOOPBACK, port=self._requested_port, limit=_HEADER_LIMIT
        )
        self._port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            await asyncio.wait_for(self._stop.wait(), self._limits.max_seconds)
        except TimeoutError:
            self.counts.stopped_by_deadline = True
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._tunnel(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels: end quietly (asyncio logs a cancelled handler task).
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            await _close(writer)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEADER_TIMEOUT)
        target = _parse_connect(head)
        if target is None:
            await self._refuse(writer, b"405 Only CONNECT")
            return
        host, port = target
        refusal = _refusal(host, port, self._limits, self._open, self.counts.tunnels)
        if refusal is not None:
            await self._refuse(writer, refusal)
            return
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), _CONNECT_TIMEOUT
        )
        if _peer_is_loopback(up_writer):
            await _close(up_writer)
            await self._refuse(writer, b"403 Host Not Allowed")
            return
        await self._relay(reader, writer, up_reader, up_writer)

    async def _refuse(self, writer: asyncio.StreamWriter, status: bytes) -> None:
        self.counts.refused += 1
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        self.counts.tunnels += 1
        self._open += 1
        self.counts.peak_open = max(self.counts.peak_open, self._open)
        try:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(
                self._pipe(reader, up_writer, upstream=True),
                self._pipe(up_reader, writer, upstream=False),
                return_exceptions=True,
            )
        finally:
            self._open -= 1
            await _close(up_writer)

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        try:
            while data := await asyncio.wait_for(src.read(_CHUNK), self._limits.idle_timeout):
                if upstream:
                    self.counts.bytes_up += len(data)
                else:
                    self.counts.bytes_down += len(data)
                dst.write(data)
                await dst.drain()
        finally:
            if dst.can_write_eof():
                with contextlib.suppress(OSError, RuntimeError):
                    dst.write_eof()


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="stop by itself after this long"
    )
    return parser.parse_args()


def main() -> int:
    args = _parse_args()
    proxy = ConnectProxy(port=args.port, max_seconds=args.max_seconds)
    port = proxy.start()
    print(f"listening on http://{LOOPBACK}:{port} for at most {args.max_seconds:.0f} s", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        proxy.wait(args.max_seconds + 30.0)
    print(json.dumps(asdict(proxy.stop())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
