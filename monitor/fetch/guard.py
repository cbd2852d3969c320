"""The address guard: only public http(s) addresses are fetched, checked on every hop.

The host is resolved by us (in a thread, through an injectable resolver) and every address
is checked with ``monitor.urls.is_public_ip``; the connection is then opened to the checked
address itself while the request keeps its original Host header and TLS SNI, so DNS
rebinding between the check and the connect is not possible. ``allow_private`` lifts the
check (tests, the demo, intranet sources); such requests use a separate connection pool so
a connection opened under the relaxed rule is never reused by a guarded request.

``connect`` opens the connection to a checked address (``http1`` keeps the pools).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from monitor.fetch.errors import FetchError, FetchErrorKind
from monitor.urls import is_public_ip, parse_ip_host

__all__ = [
    "DNS_CACHE_S",
    "AddressGuard",
    "BlockedAddress",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionRefused",
    "Resolver",
    "check_url",
    "connect",
]

Resolver = Callable[[str, int], list[str]]
DNS_CACHE_S = 60.0  # resolved addresses are reused this long (and checked on each use)


class BlockedAddress(Exception):
    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} resolves to non-public address {address}")


class ConnectError(Exception):
    """No connection to the host (cannot resolve, refused, reset, TLS handshake failed)."""


class ConnectTimeout(ConnectError):
    pass


class ConnectionRefused(ConnectError):
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
            raise ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[str] = []
        for item in found or ():
            text = item[4][0] if isinstance(item, tuple) else str(item)
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise ConnectError(f"cannot resolve {host}: no address")
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


async def connect(
    guard: AddressGuard,
    host: str,
    port: int,
    allow_private: bool,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Resolve and check ``host``, then open a connection to a checked address itself (TLS
    still names ``host``: SNI and the certificate check). Tries each address in turn."""
    addresses = await guard.resolve_checked(host, port, allow_private)
    errors: list[Exception] = []
    for address in addresses:
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.open_connection(
                    address,
                    port,
                    ssl=ssl_context,
                    server_hostname=host if ssl_context is not None else None,
                    limit=2**20,
                )
        except TimeoutError:
            errors.append(ConnectTimeout(f"no connection to {host} within {timeout:g} s"))
        except ssl.SSLError as exc:  # a certificate that does not name the host, ...
            errors.append(ConnectError(f"TLS with {host} failed: {exc}"))
        except OSError as exc:
            errors.append(ConnectError(f"cannot connect to {host} ({address}): {exc}"))
            errors[-1].__cause__ = exc
    assert errors
    if all(_refused(e) for e in errors):
        where = ", ".join(addresses[:3])
        raise ConnectionRefused(
            f"connection refused by {host} port {port} ({where}): nothing accepts connections there"
        )
    raise errors[-1]
