"""The Fetcher: feeds and article pages, fetched the way a polite and careful crawler does.

One ``Fetcher`` is opened per process (or poll run) and shared by all sources. For every
request it enforces:

- **politeness** (``hosts``): per-host queues with a concurrency limit and a minimum delay
  between request starts (raised to the site's robots.txt ``Crawl-delay``/``Request-rate``,
  up to a cap); the global connection limit is taken only once a request's turn has come;
  a User-Agent from the settings; robots.txt for article pages (``robots``);
- **conditional GET**: ETag / Last-Modified validators in, ``not_modified`` out (a 304
  has an empty body and nothing to parse), Cache-Control ``max-age`` and ``Retry-After``
  read for the scheduler;
- **limits**: connect, read and *total* timeouts (a server dripping bytes forever fails
  at ``total_timeout``), a cap on the *decoded* body for every content coding (``body``),
  a redirect limit, content-type checks;
- **the address guard** (``guard``) on every redirect hop.

Redirects are followed here, hop by hop, so each hop is checked. ``permanent_redirect``
is set only when every hop was a 301 or 308: then the caller should update the stored
source URL; a chain that has a 302/303/307 in it is temporary.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from monitor.fetch.body import (
    ACCEPT_ENCODING,
    BodyDecoder,
    BodyTooLarge,
    DecodingFailed,
    UnsupportedEncoding,
)
from monitor.fetch.errors import FetchError, FetchErrorKind
from monitor.fetch.guard import (
    AddressGuard,
    BlockedAddress,
    ConnectError,
    ConnectionRefused,
    ConnectTimeout,
    Resolver,
    check_url,
)
from monitor.fetch.headers import (
    feed_content_type_ok,
    media_type,
    page_content_type_ok,
    parse_cache_max_age,
    parse_retry_after,
)
from monitor.fetch.hosts import Admission, HostQueues
from monitor.fetch.http1 import Http1Client, ReadTimeout, TransportError
from monitor.fetch.robots import RobotsCache, RobotsRules
from monitor.settings import FetchSettings

__all__ = ["Fetcher", "Response", "Validators"]

K = FetchErrorKind


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
    body: bytes  # decoded; empty when not_modified
    not_modified: bool = False
    permanent_redirect: str | None = None  # new URL when the whole redirect chain was 301/308
    validators: Validators = field(default_factory=Validators)
    max_age: float | None = None  # Cache-Control max-age, seconds
    elapsed: float = 0.0  # seconds, request start (after the politeness wait) to last byte
    redirects: list[tuple[int, str]] = field(default_factory=list)  # (status, location) hops
    truncated: bool = False  # the body was cut at the cap (robots.txt only)


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
        self.settings = s = settings or FetchSettings()
        self._clock = clock or time.monotonic
        self._guard = AddressGuard(resolver, self._clock)
        self._clients: dict[bool, Http1Client] = {}
        self._ssl_context: Any = None
        self.hosts = HostQueues(
            s.per_host_concurrency, s.per_host_delay, s.max_connections, self._clock
        )
        self._robots = RobotsCache(self._load_robots, s.agent, s.robots_ttl, self._clock)
        self._robots_private: dict[str, bool] = {}
        self.stats = {"requests": 0, "bytes": 0, "not_modified": 0, "errors": 0}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
        self._guard.close()

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
        headers = {"Accept": _FEED_ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
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
            if media_type(ctype) in ("text/html", "application/xhtml+xml"):
                hint = (
                    "this is a web page, not a feed; run `monitor add "
                    f"{resp.url}` to find the site's feed by autodiscovery"
                )
            else:
                hint = "the server does not send a feed at this address; check the URL"
            raise FetchError(
                K.CONTENT_TYPE,
                url,
                f"content type {media_type(ctype)!r} is not a feed",
                status=resp.status,
                hint=hint,
            )
        return resp

    async def get_page(
        self,
        url: str,
        *,
        allow_private: bool | None = None,
        admission: Admission | None = None,
    ) -> Response:
        """GET an article page (HTML only), honouring robots.txt when configured.

        ``admission``: the caller's bound on pages in hand, entered when each hop's turn has
        come (never while waiting for the host) and left after a redirect hop; the last hop
        stays in it, success or failure, for the caller to leave."""
        private = self._private(allow_private)
        if self.settings.respect_robots:
            rules = await self.robots_for(url, private)
            if not rules.allows(url):
                self.stats["errors"] += 1
                if rules.disallow_all:
                    raise FetchError(
                        K.ROBOTS,
                        url,
                        "the site's robots.txt could not be read (server error or "
                        "unreachable), so its pages are not fetched for now",
                        hint="retried later, as RFC 9309 asks",
                        retryable=True,
                    )
                raise FetchError(K.ROBOTS, url, "disallowed by robots.txt")
        resp = await self._get(
            url,
            {"Accept": _PAGE_ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            private,
            self.settings.max_page_bytes,
            admission=admission,
        )
        ctype = resp.headers.get("content-type")
        if not resp.not_modified and not page_content_type_ok(ctype, resp.body):
            self.stats["errors"] += 1
            raise FetchError(
                K.CONTENT_TYPE,
                url,
                f"content type {media_type(ctype)!r} is not an HTML page",
                status=resp.status,
                hint="only HTML article pages are extracted",
            )
        return resp

    async def robots_for(self, url: str, allow_private: bool | None = None) -> RobotsRules:
        """The robots.txt rules for ``url``'s origin (cached); a site's Crawl-delay becomes
        its host's delay. An address the guard refuses raises FetchError naming ``url``."""
        private = self._private(allow_private)
        origin = RobotsCache.origin(url)
        self._robots_private[origin] = private
        try:
            rules, fresh = await self._robots.rules_for(url)
        except FetchError as exc:
            raise FetchError(exc.kind, url, exc.message, hint=exc.hint) from None
        if fresh:
            host = (urlsplit(url).hostname or "").lower()
            self.hosts.set_site_delay(host, rules.crawl_delay, self.settings.max_crawl_delay)
        return rules

    # ----------------------------------------------------------------- internals

    def _private(self, allow_private: bool | None) -> bool:
        return self.settings.allow_private if allow_private is None else allow_private

    async def _load_robots(self, robots_url: str) -> tuple[bytes, bool]:
        private = self._robots_private.get(RobotsCache.origin(robots_url), False)
        resp = await self._get(
            robots_url,
            {"Accept": "text/plain, */*;q=0.5", "Accept-Encoding": ACCEPT_ENCODING},
            private,
            self.settings.max_robots_bytes,
            truncate=True,
        )
        return resp.body, resp.truncated

    def _ssl(self) -> Any:
        if self._ssl_context is None:
            context = ssl.create_default_context()
            if self.settings.ca_file:
                context.load_verify_locations(cafile=self.settings.ca_file)
            self._ssl_context = context
        return self._ssl_context

    def _client(self, allow_private: bool) -> Http1Client:
        """One client (and connection pool) per rule: a connection opened under the relaxed
        rule (``allow_private``) is never reused by a guarded request."""
        client = self._clients.get(allow_private)
        if client is None:
            s = self.settings
            client = self._clients[allow_private] = Http1Client(
                self._guard,
                allow_private,
                self._ssl,
                agent=s.agent,
                connect_timeout=s.connect_timeout,
                read_timeout=s.read_timeout,
                keepalive_s=5.0,  # a feed's pages follow it within seconds; then it goes
                per_host_idle=max(1, s.per_host_concurrency),
                clock=self._clock,
            )
        return client

    async def _get(
        self,
        url: str,
        headers: dict[str, str],
        allow_private: bool,
        max_bytes: int,
        *,
        truncate: bool = False,
        admission: Admission | None = None,
    ) -> Response:
        try:
            return await self._get_inner(
                url, headers, allow_private, max_bytes, truncate, admission
            )
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
        admission: Admission | None = None,
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
                _scheme, host = check_url(current, allow_private)
            except FetchError as exc:
                if not hops:
                    raise
                raise FetchError(
                    exc.kind, url, f"redirected to {current}: {exc.message}", hint=exc.hint
                ) from None
            async with self.hosts.turn(host, admission):
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
                        K.TIMEOUT, url, f"no complete answer within {s.total_timeout:g} s"
                    ) from None
                except (ConnectTimeout, ReadTimeout) as exc:
                    raise FetchError(K.TIMEOUT, url, f"{type(exc).__name__} from {host}") from None
                except BlockedAddress as exc:
                    raise FetchError(K.BLOCKED, url, str(exc)) from None
                except ConnectionRefused as exc:
                    raise FetchError(
                        K.NETWORK,
                        url,
                        str(exc),
                        hint="check the address and port; the server may be down",
                    ) from None
                except (ConnectError, TransportError) as exc:
                    message = str(exc) or type(exc).__name__
                    raise FetchError(K.NETWORK, url, message) from None
                except FetchError:
                    raise
                except (UnicodeError, ValueError) as exc:
                    raise FetchError(K.BLOCKED, url, f"not a fetchable URL ({exc})") from None
                except OSError as exc:  # a socket error while reading or writing
                    raise FetchError(K.NETWORK, url, f"{type(exc).__name__}: {exc}") from None
            status, resp_headers, body, cut = result
            self.stats["requests"] += 1
            self.stats["bytes"] += len(body)
            if status in _REDIRECT_CODES and "location" in resp_headers:
                if len(hops) >= s.max_redirects:
                    raise FetchError(
                        K.REDIRECTS, url, f"more than {s.max_redirects} redirects", status=status
                    )
                if admission is not None:
                    # nothing in hand between hops: the next host's turn is waited for
                    # outside the bound (a turn never waits for room held by its waiters)
                    admission.leave()
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
            raise _status_error(url, status, resp_headers)
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
            cut,
        )

    async def _one_request(
        self,
        client: Http1Client,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        truncate: bool,
    ) -> tuple[int, dict[str, str], bytes, bool]:
        async with client.get(url, headers) as answer:
            resp_headers: dict[str, str] = {}
            for key, value in answer.headers:
                resp_headers[key] = (
                    f"{resp_headers[key]}, {value}" if key in resp_headers else value
                )
            status = answer.status
            if not 200 <= status < 300:
                if status == 304 or status in _REDIRECT_CODES:
                    # no body worth reading; read to its end (if short) to keep the connection
                    await _drain(answer, 64 * 1024)
                return status, resp_headers, b"", False
            coding = resp_headers.get("content-encoding")
            length = resp_headers.get("content-length", "")
            if not truncate and length.isdigit() and int(length) > max_bytes and not coding:
                raise FetchError(
                    K.TOO_LARGE,
                    url,
                    f"Content-Length {int(length)} is over the {max_bytes}-byte cap",
                )
            try:
                decoder = BodyDecoder(coding, max_bytes, truncate)
                async for raw in answer.chunks():
                    decoder.feed(raw)
                    if decoder.full:
                        break
            except UnsupportedEncoding as exc:
                raise FetchError(K.ENCODING, url, str(exc)) from None
            except DecodingFailed as exc:
                raise FetchError(K.NETWORK, url, f"undecodable body: {exc}") from None
            except BodyTooLarge as exc:
                raise FetchError(K.TOO_LARGE, url, str(exc)) from None
            return status, resp_headers, decoder.body(), decoder.full


async def _drain(answer: Any, limit: int) -> None:
    """Read a body we do not use to its end, up to ``limit`` bytes (beyond: the connection
    is closed instead of reused)."""
    seen = 0
    async for chunk in answer.chunks():
        seen += len(chunk)
        if seen > limit:
            return


def _status_error(url: str, status: int, resp_headers: dict[str, str]) -> FetchError:
    retry_after = parse_retry_after(resp_headers.get("retry-after"), resp_headers.get("date"))
    hint: str | None
    if status in _REDIRECT_CODES:
        message, hint = f"HTTP {status} redirect without a Location header", None
    elif status in (429, 503):
        message = f"HTTP {status}, the server asks us to slow down"
        hint = f"retry after {retry_after:g} s" if retry_after is not None else "retried later"
    elif status in (404, 410):
        message = f"HTTP {status} ({'gone' if status == 410 else 'not found'})"
        hint = "check the URL; the source may have moved or been removed"
    elif status in (401, 403):
        message = f"HTTP {status} (access refused)"
        hint = "the site refuses our requests; it may need a login or block pollers"
    else:
        message = f"HTTP {status}"
        hint = "server error, retried later" if status >= 500 else "check the URL"
    return FetchError(
        K.REDIRECTS if status in _REDIRECT_CODES else K.HTTP,
        url,
        message,
        status=status,
        retry_after=retry_after,
        hint=hint,
    )
