"""The address guard: only public http(s) addresses are fetched, checked on every hop.

The host is resolved by us (in a thread, through an injectable resolver) and every address
is checked with ``monitor.urls.is_public_ip``; the connection is then opened to the checked
address itself while the request keeps its original Host header and TLS SNI, so DNS
rebinding between the check and the connect is not possible. ``allow_private`` lifts the
check (tests, the demo, intranet sources); such requests use a separate connection pool so
a connection opened under the relaxed rule is never reused by a guarded request.

Also here: one small httpcore pool per (scheme, host, port), because httpcore's pool scans
all of its connections for every queued request, which grows quadratically when one pool
serves thousands of hosts.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from monitor.fetch.errors import FetchError, FetchErrorKind
from monitor.urls import is_public_ip, parse_ip_host

__all__ = ["DNS_CACHE_S", "AddressGuard", "BlockedAddress", "Resolver", "check_url"]

Resolver = Callable[[str, int], list[str]]
DNS_CACHE_S = 60.0  # resolved addresses are reused this long (and checked on each use)


class BlockedAddress(Exception):
    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} resolves to non-public address {address}")


class ConnectionRefused(httpcore.ConnectError):
    """Every address of the host refused the connection (nothing listens on the port)."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def check_url(url: str, allow_private: bool) -> tuple[str, str]:
    """(scheme, host) of a URL we may fetch; FetchError(BLOCKED) naming ``url`` otherwise."""
    blocked = FetchErrorKind.BLOCKED
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise FetchError(blocked, url, f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            blocked,
            url,
            f"scheme {scheme or '(none)'!r} is not fetched",
            hint="only http and https addresses are fetched",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError(blocked, url, "the URL has no host")
    if not allow_private:
        literal = parse_ip_host(host)
        if literal is not None and not is_public_ip(str(literal)):
            raise FetchError(blocked, url, f"address {literal} is not public")
    return scheme, host.lower()


class AddressGuard:
    """Resolves hosts (cached ``DNS_CACHE_S``) and checks every address on every use."""

    def __init__(self, resolver: Resolver | None, clock: Callable[[], float]) -> None:
        self._resolver = resolver or system_resolver
        self._clock = clock
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._executor: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def resolve_checked(self, host: str, port: int, allow_private: bool) -> list[str]:
        literal = parse_ip_host(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            cached = self._dns.get((host, port))
            if cached is not None and cached[0] > self._clock():
                addresses = cached[1]
            else:
                addresses = await self._resolve(host, port)
        if not allow_private:
            for address in addresses:
                if not is_public_ip(address):
                    raise BlockedAddress(host, address)
        return addresses

    async def _resolve(self, host: str, port: int) -> list[str]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(16, thread_name_prefix="monitor-dns")
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._executor, self._resolver, host, port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[str] = []
        for item in found or ():
            text = item[4][0] if isinstance(item, tuple) else str(item)
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        if len(self._dns) > 10_000:
            self._dns.clear()
        # the answer is re-checked on every use; caching it only saves a thread hop
        self._dns[(host, port)] = (self._clock() + DNS_CACHE_S, addresses)
        return addresses


def _refused(exc: BaseException) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == (
            errno.ECONNREFUSED
        ):
            return True
        if "refused" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Network backend that resolves and checks the host itself and then connects to the
    checked address. httpcore keeps the URL's host for the Host header and TLS SNI, so
    certificate checks still name the real host."""

    def __init__(self, guard: AddressGuard, allow_private: bool) -> None:
        self._guard = guard
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve_checked(host, port, self._allow_private)
        errors: list[Exception] = []
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                errors.append(exc)
        assert errors
        if all(_refused(e) for e in errors):
            where = ", ".join(addresses[:3])
            raise ConnectionRefused(
                f"connection refused by {host} port {port} ({where}): nothing accepts "
                "connections there"
            )
        raise errors[-1]

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix socket", "unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: GuardedBackend, limits: httpx.Limits, ssl_context: Any) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx does not expose httpcore's network_backend; swap in a pool that uses ours
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


class PerHostTransport(httpx.AsyncBaseTransport):
    """One small httpcore pool per (scheme, host, port).

    A pool with no request in flight and unused for ``idle_s`` is closed by a sweep (run at
    most every ``idle_s``), so that a process polling 10,000 hosts once an interval does not
    keep a socket and a pool per host between polls.
    """

    def __init__(
        self,
        make: Callable[[], httpx.AsyncBaseTransport],
        idle_s: float,
        clock: Callable[[], float],
    ) -> None:
        self._make = make
        self._idle_s = idle_s
        self._clock = clock
        # key -> [transport, last used, requests in flight]
        self._pools: dict[tuple[bytes, bytes, int | None], list[Any]] = {}
        self._next_sweep = clock() + idle_s

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + self._idle_s
            await self._sweep(now)
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        entry = self._pools.get(key)
        if entry is None:
            entry = self._pools[key] = [self._make(), now, 0]
        entry[1] = now
        entry[2] += 1
        try:
            response = await entry[0].handle_async_request(request)
        except BaseException:
            entry[2] -= 1
            entry[1] = self._clock()
            raise
        stream = response.stream

        class _Done(httpx.AsyncByteStream):
            async def __aiter__(self):  # type: ignore[no-untyped-def]
                async for chunk in stream:  # type: ignore[union-attr]
                    yield chunk

            async def aclose(self) -> None:
                try:
                    await stream.aclose()  # type: ignore[union-attr]
                finally:
                    entry[2] -= 1
                    entry[1] = self_clock()

        self_clock = self._clock
        response.stream = _Done()
        return response

    async def _sweep(self, now: float) -> None:
        # taken out of the map before the first await: a request arriving meanwhile makes a
        # new pool instead of finding one being closed (and a second sweep finds nothing)
        stale = [
            self._pools.pop(k)[0]
            for k, (_t, used, busy) in list(self._pools.items())
            if not busy and now - used > self._idle_s
        ]
        for transport in stale:
            await transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for transport, _used, _busy in pools:
            await transport.aclose()
