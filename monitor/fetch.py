"""HTTP fetching of feeds and article pages, the way a polite and careful crawler does it.

One ``Fetcher`` is opened per process (or poll run) and shared by all sources. It owns the
httpx client(s) and enforces, for every request:

- **politeness**: a per-host concurrency limit and a minimum delay between request starts
  to one host (raised to the site's robots.txt ``Crawl-delay`` when that is larger, up to
  a cap), a User-Agent from the settings, robots.txt for article pages (cached per host);
- **conditional GET**: ETag / Last-Modified validators in, ``not_modified`` out (a 304
  has an empty body and nothing to parse), Cache-Control ``max-age`` and ``Retry-After``
  read for the scheduler;
- **limits**: connect, read and *total* timeouts (a server dripping bytes forever fails
  at ``total_timeout``), a body cap checked while streaming on the decompressed bytes (a
  gzip bomb stops at the cap), a redirect limit, content-type checks;
- **SSRF guard**: only http/https; the host is resolved by us (in a thread, through an
  injectable resolver) and every address is checked with ``monitor.urls.is_public_ip``
  on every redirect hop. The connection is then opened to the checked address itself
  while the request keeps its original Host header and TLS SNI, so DNS rebinding between
  the check and the connect is not possible. ``allow_private`` lifts the check (tests,
  the demo, intranet sources); such requests use a separate connection pool so a
  connection opened under the relaxed rule is never reused by a guarded request.

Redirects are followed here, hop by hop, so each hop is checked. ``permanent_redirect``
is set only when every hop was a 301 or 308: then the caller should update the stored
source URL; a chain that has a 302/303/307 in it is temporary.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import socket
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from monitor.urls import hide_credentials, is_public_ip, parse_ip_host

__all__ = [
    "FetchError",
    "FetchSettings",
    "Fetcher",
    "Response",
    "RobotsRules",
    "Validators",
    "parse_cache_max_age",
    "parse_retry_after",
    "parse_robots",
]

Resolver = Callable[[str, int], list[str]]
DNS_CACHE_S = 60.0  # resolved addresses are reused this long (and checked on each use)


@dataclass
class FetchSettings:
    """Limits and manners of the fetcher; each is a ``[fetch]`` key in the config."""

    user_agent: str = "monitor/0.1"  # the config adds the contact URL: "monitor/0.1 (+URL)"
    connect_timeout: float = 10
    read_timeout: float = 20
    total_timeout: float = 60
    max_feed_bytes: int = 10 * 2**20
    max_page_bytes: int = 5 * 2**20
    max_redirects: int = 5
    allow_private: bool = False
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    respect_robots: bool = True
    max_connections: int = 100
    # robots.txt: how long a host's rules are kept, the largest Crawl-delay honoured and
    # the size read (RFC 9309 asks crawlers to read at least 500 KiB)
    robots_ttl: float = 24 * 3600
    max_crawl_delay: float = 30.0
    max_robots_bytes: int = 512 * 1024
    # extra CA bundle (PEM) to trust, e.g. a corporate proxy CA or a test CA; None: system
    ca_file: str | None = None


@dataclass
class Validators:
    """HTTP cache validators stored per feed and sent back on the next poll."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Response:
    url: str  # final URL, after redirects
    status: int
    headers: dict[str, str]  # lower-case keys; repeated headers joined with ", "
    body: bytes  # decompressed; empty when not_modified
    not_modified: bool = False
    permanent_redirect: str | None = None  # new URL when the whole redirect chain was 301/308
    validators: Validators = field(default_factory=Validators)
    max_age: float | None = None  # Cache-Control max-age, seconds
    elapsed: float = 0.0  # seconds, request start (after the politeness wait) to last byte
    redirects: list[tuple[int, str]] = field(default_factory=list)  # (status, location) hops


_HINTS = {
    "timeout": "the server is slow or unreachable; it is retried later with backoff "
    "(raise [fetch] total_timeout/read_timeout if this source is always slow)",
    "too_large": "the body is larger than the configured cap; raise [fetch] max_feed_bytes "
    "or max_page_bytes if this source is legitimate",
    "blocked": "the address is not a public http(s) address; set allow_private = true for "
    "this source (or in [fetch]) only if you really mean to fetch a local or private host",
    "network": "the connection failed; check the URL and that the host exists",
    "redirects": "the redirect chain is too long or broken; check the URL in a browser "
    "and store the final address",
    "robots": "the site's robots.txt disallows this page for our User-Agent; set [fetch] "
    "respect_robots = false only if you have the site's permission",
}


class FetchError(Exception):
    """A fetch that did not give a usable body. ``kind`` is one of "timeout",
    "too_large", "blocked", "http", "network", "content_type", "robots", "redirects"."""

    def __init__(
        self,
        kind: str,
        url: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        hint: str | None = None,
    ) -> None:
        self.kind = kind
        self.url = url
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.hint = hint if hint is not None else _HINTS.get(kind, "")
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.url}: {self.message}"
        return hide_credentials(f"{text} ({self.hint})" if self.hint else text)


class _BlockedAddress(Exception):
    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} resolves to non-public address {address}")


# --------------------------------------------------------------------------- headers


def parse_retry_after(
    value: str | None, date_header: str | None = None, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    An HTTP date is measured from the response's own ``Date`` header when there is one
    (so a skewed server clock does not matter), else from ``now``. Never negative.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    ref = None
    if date_header:
        try:
            ref = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            ref = None
        if ref is not None and ref.tzinfo is None:
            ref = ref.replace(tzinfo=UTC)
    if ref is None:
        ref = now or datetime.now(UTC)
    return max(0.0, (when - ref).total_seconds())


def parse_cache_max_age(value: str | None) -> float | None:
    """``max-age`` of a Cache-Control header in seconds (None if absent or ``no-store``)."""
    if not value:
        return None
    max_age = None
    for part in value.lower().split(","):
        part = part.strip()
        if part == "no-store":
            return None
        if part.startswith("max-age="):
            try:
                max_age = max(0.0, float(part[8:].strip().strip('"')))
            except ValueError:
                return None
    return max_age


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf|rdf)[\s>/]")
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]")


def _looks_like_feed(body: bytes) -> bool:
    head = body[:4096].lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: strip the zero bytes
        head = head.replace(b"\x00", b"")
    feed = _FEED_ROOT.search(head)
    if feed is None:
        return head.lstrip().startswith(b"{") and b'"items"' in body[:65536]
    html = _HTML_ROOT.search(head)
    return html is None or html.start() > feed.start()


def _looks_like_html(body: bytes) -> bool:
    return _HTML_ROOT.search(body[:4096].lower()) is not None


def feed_content_type_ok(content_type: str | None, body: bytes) -> bool:
    """Whether a feed response may be handed to the parser: XML, RSS, Atom, JSON, text
    and octet-stream types pass; an HTML page passes only when its body is in fact a feed
    (servers do mislabel feeds)."""
    mt = _media_type(content_type)
    if not mt:
        return True
    if mt in ("text/html", "application/xhtml+xml"):
        return _looks_like_feed(body)
    if any(word in mt for word in ("xml", "rss", "atom", "json")):
        return True
    if mt.startswith("text/") or mt in ("application/octet-stream", "binary/octet-stream"):
        return True
    return False


def page_content_type_ok(content_type: str | None, body: bytes) -> bool:
    """Whether an article response is an HTML page (missing or generic types are sniffed)."""
    mt = _media_type(content_type)
    if mt in ("text/html", "application/xhtml+xml"):
        return True
    if not mt or mt in ("application/octet-stream", "binary/octet-stream", "text/plain"):
        return _looks_like_html(body)
    return False


# --------------------------------------------------------------------------- robots.txt


@dataclass
class RobotsRules:
    """The robots.txt group that applies to us: (pattern, allow) rules and Crawl-delay."""

    rules: list[tuple[str, bool]] = field(default_factory=list)
    crawl_delay: float | None = None
    disallow_all: bool = False

    def allows(self, url: str) -> bool:
        if self.disallow_all:
            return False
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        best_len, best_allow = -1, True
        for pattern, allow in self.rules:
            if _robots_match(pattern, target):
                length = len(pattern)
                if length > best_len or (length == best_len and allow):
                    best_len, best_allow = length, allow
        return best_allow


_pattern_cache: dict[str, re.Pattern[str]] = {}


def _robots_match(pattern: str, target: str) -> bool:
    if "*" not in pattern and not pattern.endswith("$"):
        return target.startswith(pattern)
    rx = _pattern_cache.get(pattern)
    if rx is None:
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        rx = re.compile(
            ".*".join(re.escape(p) for p in body.split("*")) + ("$" if anchored else "")
        )
        if len(_pattern_cache) < 10_000:
            _pattern_cache[pattern] = rx
    return rx.match(target) is not None


def parse_robots(text: str, user_agent: str) -> RobotsRules:
    """Select and parse the group of a robots.txt that applies to ``user_agent``.

    RFC 9309: groups start with one or more ``User-agent`` lines; the group naming our
    product token (the User-Agent up to its first "/" or space, compared without case)
    wins over ``*``; the longest matching path pattern decides, ``Allow`` winning a tie;
    ``*`` and ``$`` are understood. ``Crawl-delay`` (not in the RFC, widely used) is kept.
    """
    token = re.split(r"[/\s]", user_agent.strip(), maxsplit=1)[0].lower()
    groups: list[tuple[list[str], list[tuple[str, bool]], list[float]]] = []
    agents: list[str] = []
    rules: list[tuple[str, bool]] = []
    delays: list[float] = []
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (s.strip() for s in line.split(":", 1))
        key = key.lower()
        if key in ("user-agent", "useragent"):
            if in_rules:
                groups.append((agents, rules, delays))
                agents, rules, delays = [], [], []
                in_rules = False
            agents.append(value.lower())
        elif key in ("allow", "disallow"):
            in_rules = True
            if not agents:
                continue
            if key == "disallow" and not value:
                continue  # "Disallow:" with nothing means allow everything
            if value and not value.startswith(("/", "*")):
                value = "/" + value
            rules.append((value, key == "allow"))
        elif key == "crawl-delay":
            in_rules = True
            try:
                delays.append(float(value))
            except ValueError:
                pass
    if agents:
        groups.append((agents, rules, delays))
    mine = [g for g in groups if any(a != "*" and a == token for a in g[0])]
    if not mine:
        mine = [g for g in groups if "*" in g[0]]
    result = RobotsRules()
    for _agents, group_rules, group_delays in mine:
        result.rules.extend(r for r in group_rules if r[0])
        if group_delays:
            result.crawl_delay = max(group_delays)
    return result


# --------------------------------------------------------------------------- transport


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Network backend that resolves and checks the host itself and then connects to the
    checked address. httpcore keeps the URL's host for the Host header and TLS SNI, so
    certificate checks still name the real host."""

    def __init__(self, fetcher: Fetcher, allow_private: bool) -> None:
        self._fetcher = fetcher
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
        addresses = await self._fetcher._resolve_checked(host, port, self._allow_private)
        error: Exception | None = None
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
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise _BlockedAddress("unix socket", "unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: _GuardedBackend, limits: httpx.Limits, ssl_context: Any) -> None:
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


class _Inflater:
    """Bounded gzip/deflate decoding: never produces more than the room left under a cap."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self.obj = zlib.decompressobj(wbits)
        self.started = False
        self.members = 0

    @classmethod
    def for_coding(cls, coding: str) -> _Inflater | None:
        if coding in ("gzip", "x-gzip"):
            return cls(16 + zlib.MAX_WBITS)
        if coding == "deflate":
            return cls(zlib.MAX_WBITS)
        if coding in ("", "identity"):
            return cls(0)
        return None  # anything else: httpx decodes it (only gzip/deflate are asked for)

    def feed(self, data: bytes, buf: bytearray, max_bytes: int) -> bool:
        """Decode ``data`` into ``buf``; False once ``buf`` went over ``max_bytes``."""
        if self.wbits == 0:
            buf += data
            return len(buf) <= max_bytes
        while data:
            room = max_bytes - len(buf) + 1
            try:
                out = self.obj.decompress(data, room)
            except zlib.error as exc:
                if self.members:
                    return True  # junk after a complete gzip member: ignored, as browsers do
                if self.wbits == zlib.MAX_WBITS and not self.started:
                    # "deflate" is often sent raw, without the zlib header
                    self.wbits = -zlib.MAX_WBITS
                    self.obj = zlib.decompressobj(self.wbits)
                    continue
                raise httpx.DecodingError(
                    f"bad {self.wbits > 16 and 'gzip' or 'deflate'} data: {exc}"
                ) from None
            self.started = True
            buf += out
            if len(buf) > max_bytes:
                return False
            if self.obj.unconsumed_tail:
                data = self.obj.unconsumed_tail
            elif self.obj.eof and self.obj.unused_data:
                data = self.obj.unused_data  # a further gzip member
                self.members += 1
                self.obj = zlib.decompressobj(self.wbits)
            else:
                data = b""
        return True


class _PerHostTransport(httpx.AsyncBaseTransport):
    """One small httpcore pool per (scheme, host, port).

    httpcore's pool scans all of its connections for every queued request, which grows
    quadratically when one pool serves thousands of hosts; per-host pools stay tiny.
    Pools unused for ``idle_s`` are closed by a periodic sweep so a long-running process
    does not accumulate idle sockets to hosts it polled once.
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
            entry = self._pools[key] = [self._make(), now]
        entry[1] = now
        return await entry[0].handle_async_request(request)

    async def _sweep(self, now: float) -> None:
        stale = [k for k, (_t, used) in self._pools.items() if now - used > self._idle_s]
        for key in stale:
            transport = self._pools.pop(key)[0]
            await transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for transport, _used in pools:
            await transport.aclose()


class _HostGate:
    __slots__ = ("sem", "lock", "next_start", "delay")

    def __init__(self, concurrency: int, delay: float) -> None:
        self.sem = asyncio.Semaphore(max(1, concurrency))
        self.lock = asyncio.Lock()
        self.next_start = 0.0
        self.delay = delay


@dataclass
class _Robots:
    rules: RobotsRules
    expires: float


_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_REDIRECT_CODES = (301, 302, 303, 307, 308)


class Fetcher:
    """Fetches feeds and pages with the limits of ``FetchSettings``.

    Use as ``async with Fetcher(settings) as f: resp = await f.get_feed(url, validators)``.
    ``resolver(host, port) -> list of IP strings`` replaces DNS (it runs in a thread);
    ``clock()`` is the monotonic clock used for politeness delays, robots.txt expiry and
    ``elapsed``.
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        resolver: Resolver | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._resolver = resolver or _system_resolver
        self._clock = clock or time.monotonic
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._ssl_context: Any = None
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._connections = asyncio.Semaphore(max(1, self.settings.max_connections))
        self.stats = {"requests": 0, "bytes": 0, "not_modified": 0, "errors": 0}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # ----------------------------------------------------------------- public API

    async def get_feed(
        self,
        url: str,
        validators: Validators | None = None,
        *,
        allow_private: bool | None = None,
    ) -> Response:
        """GET a feed, conditionally when ``validators`` are given.

        Returns a Response with ``not_modified=True`` and an empty body on 304. Raises
        FetchError for anything that gives no usable feed body.
        """
        headers = {"Accept": _FEED_ACCEPT, "Accept-Encoding": "gzip, deflate"}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        resp = await self._get(
            url, headers, self._private(allow_private), self.settings.max_feed_bytes
        )
        if resp.not_modified:
            resp.validators = Validators(
                etag=resp.validators.etag or (validators.etag if validators else None),
                last_modified=resp.validators.last_modified
                or (validators.last_modified if validators else None),
            )
            return resp
        ctype = resp.headers.get("content-type")
        if not feed_content_type_ok(ctype, resp.body):
            self.stats["errors"] += 1
            if _media_type(ctype) in ("text/html", "application/xhtml+xml"):
                hint = (
                    "this is a web page, not a feed; run `monitor add "
                    f"{resp.url}` to find the site's feed by autodiscovery"
                )
            else:
                hint = "the server does not send a feed at this address; check the URL"
            raise FetchError(
                "content_type",
                url,
                f"content type {_media_type(ctype)!r} is not a feed",
                status=resp.status,
                hint=hint,
            )
        return resp

    async def get_page(self, url: str, *, allow_private: bool | None = None) -> Response:
        """GET an article page (HTML only), honouring robots.txt when configured."""
        private = self._private(allow_private)
        if self.settings.respect_robots:
            rules = await self._robots_for(url, private)
            if not rules.allows(url):
                self.stats["errors"] += 1
                raise FetchError("robots", url, "disallowed by robots.txt")
        resp = await self._get(
            url,
            {"Accept": _PAGE_ACCEPT, "Accept-Encoding": "gzip, deflate"},
            private,
            self.settings.max_page_bytes,
        )
        ctype = resp.headers.get("content-type")
        if not resp.not_modified and not page_content_type_ok(ctype, resp.body):
            self.stats["errors"] += 1
            raise FetchError(
                "content_type",
                url,
                f"content type {_media_type(ctype)!r} is not an HTML page",
                status=resp.status,
                hint="only HTML article pages are extracted",
            )
        return resp

    # ----------------------------------------------------------------- internals

    def _private(self, allow_private: bool | None) -> bool:
        return self.settings.allow_private if allow_private is None else allow_private

    def _client(self, allow_private: bool) -> httpx.AsyncClient:
        client = self._clients.get(allow_private)
        if client is None:
            s = self.settings
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
                if s.ca_file:
                    self._ssl_context.load_verify_locations(cafile=s.ca_file)
            per_host = max(1, s.per_host_concurrency)
            limits = httpx.Limits(
                max_connections=per_host + 1,  # +1: a robots.txt request may overlap
                max_keepalive_connections=per_host,
                keepalive_expiry=5.0,
            )
            backend = _GuardedBackend(self, allow_private)
            transport = _PerHostTransport(
                lambda: _GuardedTransport(backend, limits, self._ssl_context),
                idle_s=s.total_timeout + 30.0,
                clock=self._clock,
            )
            client = httpx.AsyncClient(
                transport=transport,
                headers={"User-Agent": s.user_agent},
                timeout=httpx.Timeout(
                    connect=s.connect_timeout,
                    read=s.read_timeout,
                    write=s.read_timeout,
                    pool=s.total_timeout,
                ),
                follow_redirects=False,
                trust_env=False,
            )
            self._clients[allow_private] = client
        return client

    async def _resolve_checked(self, host: str, port: int, allow_private: bool) -> list[str]:
        literal = parse_ip_host(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            cached = self._dns.get((host, port))
            if cached is not None and cached[0] > self._clock():
                addresses = cached[1]
            else:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(16, thread_name_prefix="monitor-dns")
                loop = asyncio.get_running_loop()
                try:
                    found = await loop.run_in_executor(self._executor, self._resolver, host, port)
                except (OSError, UnicodeError, ValueError) as exc:
                    raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
                addresses = []
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
        if not allow_private:
            for address in addresses:
                if not is_public_ip(address):
                    raise _BlockedAddress(host, address)
        return addresses

    def _check_url(self, url: str, allow_private: bool) -> tuple[str, str]:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise FetchError("blocked", url, f"not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(
                "blocked",
                url,
                f"scheme {scheme or '(none)'!r} is not fetched",
                hint="only http and https addresses are fetched",
            )
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise FetchError("blocked", url, "the URL has no host")
        if not allow_private:
            literal = parse_ip_host(host)
            if literal is not None and not is_public_ip(str(literal)):
                raise FetchError("blocked", url, f"address {literal} is not public")
        return scheme, host.lower()

    def _gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = _HostGate(self.settings.per_host_concurrency, self.settings.per_host_delay)
            self._gates[host] = gate
        return gate

    @asynccontextmanager
    async def _polite(self, host: str):  # type: ignore[no-untyped-def]
        gate = self._gate(host)
        async with gate.sem:
            if gate.delay > 0:
                async with gate.lock:
                    now = self._clock()
                    wait = gate.next_start - now
                    if wait > 0:
                        await asyncio.sleep(wait)
                        now = self._clock()
                    gate.next_start = max(now, gate.next_start) + gate.delay
            async with self._connections:  # the global limit, taken after the host's wait
                yield

    async def _get(
        self,
        url: str,
        headers: dict[str, str],
        allow_private: bool,
        max_bytes: int,
        *,
        truncate: bool = False,
    ) -> Response:
        try:
            return await self._get_inner(url, headers, allow_private, max_bytes, truncate)
        except FetchError:
            self.stats["errors"] += 1
            raise

    async def _get_inner(
        self,
        url: str,
        headers: dict[str, str],
        allow_private: bool,
        max_bytes: int,
        truncate: bool,
    ) -> Response:
        s = self.settings
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        current = url
        hops: list[tuple[int, str]] = []
        all_permanent = True
        client = self._client(allow_private)
        while True:
            try:
                _scheme, host = self._check_url(current, allow_private)
            except FetchError as exc:
                if not hops:
                    raise
                raise FetchError(
                    exc.kind, url, f"redirected to {current}: {exc.message}", hint=exc.hint
                ) from None
            async with self._polite(host):
                if deadline is None:
                    # the total deadline starts when the request is allowed to start:
                    # waiting for our own politeness slot is not the server's fault
                    deadline = loop.time() + s.total_timeout
                started = self._clock()
                try:
                    async with asyncio.timeout_at(deadline):
                        result = await self._one_request(
                            client, current, headers, max_bytes, truncate
                        )
                except TimeoutError:
                    raise FetchError(
                        "timeout", url, f"no complete answer within {s.total_timeout:g} s"
                    ) from None
                except httpx.TimeoutException as exc:
                    raise FetchError("timeout", url, f"{type(exc).__name__} from {host}") from None
                except _BlockedAddress as exc:
                    raise FetchError("blocked", url, str(exc)) from None
                except httpx.DecodingError as exc:
                    raise FetchError("network", url, f"undecodable body: {exc}") from None
                except httpx.HTTPError as exc:
                    message = str(exc) or type(exc).__name__
                    raise FetchError("network", url, message) from None
                except FetchError:
                    raise
                except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
                    raise FetchError("blocked", url, f"not a fetchable URL ({exc})") from None
                except Exception as exc:  # nothing the network sends may escape as a crash
                    raise FetchError("network", url, f"{type(exc).__name__}: {exc}") from None
            status, resp_headers, body = result
            self.stats["requests"] += 1
            self.stats["bytes"] += len(body)
            if status in _REDIRECT_CODES and "location" in resp_headers:
                if len(hops) >= s.max_redirects:
                    raise FetchError(
                        "redirects", url, f"more than {s.max_redirects} redirects", status=status
                    )
                target = urljoin(current, resp_headers["location"].strip())
                hops.append((status, target))
                all_permanent = all_permanent and status in (301, 308)
                current = target
                continue
            elapsed = self._clock() - started
            break
        validators = Validators(
            etag=resp_headers.get("etag"), last_modified=resp_headers.get("last-modified")
        )
        max_age = parse_cache_max_age(resp_headers.get("cache-control"))
        permanent = current if hops and all_permanent else None
        if status == 304:
            self.stats["not_modified"] += 1
            return Response(
                current, 304, resp_headers, b"", True, permanent, validators, max_age, elapsed, hops
            )
        if not 200 <= status < 300:
            retry_after = parse_retry_after(
                resp_headers.get("retry-after"), resp_headers.get("date")
            )
            if status in _REDIRECT_CODES:
                message, hint = f"HTTP {status} redirect without a Location header", None
            elif status in (429, 503):
                message = f"HTTP {status}, the server asks us to slow down"
                hint = (
                    f"retry after {retry_after:g} s" if retry_after is not None else "retried later"
                )
            elif status in (404, 410):
                message = f"HTTP {status} ({'gone' if status == 410 else 'not found'})"
                hint = "check the URL; the source may have moved or been removed"
            elif status in (401, 403):
                message = f"HTTP {status} (access refused)"
                hint = "the site refuses our requests; it may need a login or block pollers"
            else:
                message = f"HTTP {status}"
                hint = "server error, retried later" if status >= 500 else "check the URL"
            raise FetchError(
                "redirects" if status in _REDIRECT_CODES else "http",
                url,
                message,
                status=status,
                retry_after=retry_after,
                hint=hint,
            )
        return Response(
            current,
            status,
            resp_headers,
            body,
            False,
            permanent,
            validators,
            max_age,
            elapsed,
            hops,
        )

    async def _one_request(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        truncate: bool,
    ) -> tuple[int, dict[str, str], bytes]:
        request = client.build_request("GET", url, headers=headers)
        response = await client.send(request, stream=True)
        try:
            resp_headers: dict[str, str] = {}
            for key, value in response.headers.multi_items():
                key = key.lower()
                resp_headers[key] = (
                    f"{resp_headers[key]}, {value}" if key in resp_headers else value
                )
            status = response.status_code
            if not 200 <= status < 300:
                return status, resp_headers, b""
            length = resp_headers.get("content-length", "")
            if (
                not truncate
                and length.isdigit()
                and int(length) > max_bytes
                and "content-encoding" not in resp_headers
            ):
                raise FetchError(
                    "too_large",
                    url,
                    f"Content-Length {int(length)} is over the {max_bytes}-byte cap",
                )
            buf = bytearray()
            coding = resp_headers.get("content-encoding", "").strip().lower()
            inflater = _Inflater.for_coding(coding)
            # the cap applies to the decompressed bytes, and the decompressor is never asked
            # for more than the room left under the cap, so a gzip bomb costs at most
            # max_bytes of memory before it is stopped
            chunks = response.aiter_raw() if inflater is not None else response.aiter_bytes()
            async for raw in chunks:
                if inflater is None:
                    buf += raw
                else:
                    inflater.feed(raw, buf, max_bytes)
                if len(buf) > max_bytes:
                    if truncate:
                        del buf[max_bytes:]
                        break
                    raise FetchError(
                        "too_large", url, f"body is over the {max_bytes}-byte cap (after decoding)"
                    )
            return status, resp_headers, bytes(buf)
        finally:
            await response.aclose()

    # ----------------------------------------------------------------- robots.txt

    async def _robots_for(self, url: str, allow_private: bool) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        cached = self._robots.get(origin)
        now = self._clock()
        if cached is not None and cached.expires > now:
            return cached.rules
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._robots.get(origin)
            now = self._clock()
            if cached is not None and cached.expires > now:
                return cached.rules
            rules, ttl = await self._load_robots(origin, allow_private)
            self._robots[origin] = _Robots(rules, self._clock() + ttl)
            if rules.crawl_delay:
                gate = self._gate((parts.hostname or "").lower())
                gate.delay = max(
                    self.settings.per_host_delay,
                    min(rules.crawl_delay, self.settings.max_crawl_delay),
                )
            return rules

    async def _load_robots(self, origin: str, allow_private: bool) -> tuple[RobotsRules, float]:
        ttl = self.settings.robots_ttl
        try:
            resp = await self._get(
                origin + "/robots.txt",
                {"Accept": "text/plain, */*;q=0.5", "Accept-Encoding": "gzip, deflate"},
                allow_private,
                self.settings.max_robots_bytes,
                truncate=True,
            )
        except FetchError as exc:
            if exc.kind == "http" and exc.status is not None and 400 <= exc.status < 500:
                return RobotsRules(), ttl  # no robots.txt: everything allowed (RFC 9309)
            if exc.kind in ("blocked",):
                raise
            # unreachable or 5xx: RFC 9309 says assume full disallow; ask again soon
            return RobotsRules(disallow_all=True), min(ttl, 600.0)
        text = resp.body.decode("utf-8", errors="replace")
        return parse_robots(text, self.settings.user_agent), ttl
