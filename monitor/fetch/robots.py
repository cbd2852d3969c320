"""robots.txt: Protego's parser (RFC 9309) behind the product's own cache and failure rules.

Protego (the parser Scrapy uses) selects the group for our product token, applies the
longest-match precedence with ``Allow`` winning ties, and understands ``*``, ``$``,
``Crawl-delay`` and ``Request-rate``. Around it, this module keeps what the product decides:

- the body is read up to ``max_robots_bytes`` (RFC 9309 asks for at least 500 KiB); a
  truncated file loses its partial last line, a UTF-8 BOM is dropped, invalid bytes are
  replaced;
- rules are cached per origin for ``robots_ttl``;
- failures follow the RFC: a 4xx (no robots.txt, or access refused to it) allows everything;
  a 5xx, a 429, a timeout or a broken connection disallows everything *for a while*
  (``ERROR_TTL_S``, the rules cached before the failure are kept instead when there are
  any); too many redirects count as "unavailable", i.e. like a 4xx;
- ``Crawl-delay`` and ``Request-rate`` become the host's delay between requests (the
  larger of the two and the configured ``per_host_delay``, capped at ``max_crawl_delay``).
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from monitor.fetch.errors import FetchError, FetchErrorKind

__all__ = ["ERROR_TTL_S", "RobotsCache", "RobotsRules", "parse_robots"]

ERROR_TTL_S = 600.0  # a robots.txt that failed with 5xx/timeout is asked for again this soon


# a parsed robots.txt costs ~9 kB even when it says nothing: the text is kept per origin and
# parsed rules only for the origins used most recently
_PARSED_KEEP = 1024
_parsed: OrderedDict[str, Protego] = OrderedDict()
# a file without a single non-empty Disallow and without a delay allows everything to everyone
_RESTRICTS = re.compile(r"^\s*(?:disallow\s*:\s*[^\s#]|crawl-delay|request-rate)", re.I | re.M)


def _parser(text: str) -> Protego:
    parser = _parsed.get(text)
    if parser is None:
        parser = Protego.parse(text)
        _parsed[text] = parser
        if len(_parsed) > _PARSED_KEEP:
            _parsed.popitem(last=False)
    else:
        _parsed.move_to_end(text)
    return parser


@dataclass(slots=True)  # one per origin: no __dict__ for each of 10,000 sites
class RobotsRules:
    """The rules of one origin for one product token (``text`` empty: allow all)."""

    text: str = ""
    token: str = "monitor"
    disallow_all: bool = False
    truncated: bool = False
    _delay: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.text and not _RESTRICTS.search(self.text):
            self.text = ""  # nothing restricts anyone: no parser needed
        if self.text:
            self._delay = self._site_delay()

    def allows(self, url: str) -> bool:
        if self.disallow_all:
            return False
        if not self.text:
            return True
        return bool(_parser(self.text).can_fetch(url, self.token))

    @property
    def crawl_delay(self) -> float | None:
        """Seconds between two requests the site asks for: ``Crawl-delay`` or
        ``Request-rate`` (n requests per m seconds -> m/n), whichever is larger."""
        return self._delay

    def _site_delay(self) -> float | None:
        parser = _parser(self.text)
        delays = []
        delay = parser.crawl_delay(self.token)
        if delay is not None:
            delays.append(float(delay))
        rate = parser.request_rate(self.token)
        if rate is not None and rate.requests:
            delays.append(float(rate.seconds) / float(rate.requests))
        positive = [d for d in delays if d > 0]
        return max(positive) if positive else None


@functools.lru_cache(maxsize=8)  # one string shared by the rules of every origin
def product_token(user_agent: str) -> str:
    head = user_agent.strip().split("/", 1)[0].split(None, 1)
    return head[0].lower() if head else "monitor"


def parse_robots(body: bytes | str, user_agent: str, *, truncated: bool = False) -> RobotsRules:
    """Rules of a robots.txt body for ``user_agent`` (its product token is what groups name).

    ``truncated``: the body was cut at the size cap, so its last line may be partial and
    is dropped (a cut ``Allow: /a`` must not allow more than the site wrote)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = text.lstrip("\ufeff")
    if truncated:
        text = text[: max(text.rfind("\n"), 0)]
    return RobotsRules(text, product_token(user_agent), truncated=truncated)


@dataclass(slots=True)
class _Entry:
    rules: RobotsRules
    expires: float


Loader = Callable[[str], Awaitable[tuple[bytes, bool]]]  # robots URL -> (body, truncated)


class RobotsCache:
    """Rules per origin, loaded once per ``ttl`` by ``load`` (concurrent askers share one
    request), with the failure rules of RFC 9309."""

    def __init__(
        self,
        load: Loader,
        user_agent: str,
        ttl: float,
        clock: Callable[[], float],
        error_ttl: float = ERROR_TTL_S,
    ) -> None:
        self._load = load
        self._user_agent = user_agent
        self._ttl = ttl
        self._error_ttl = min(error_ttl, ttl)
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @staticmethod
    def origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    def cached(self, origin: str) -> RobotsRules | None:
        entry = self._entries.get(origin)
        if entry is not None and entry.expires > self._clock():
            return entry.rules
        return None

    async def rules_for(self, url: str) -> tuple[RobotsRules, bool]:
        """(rules, fresh): ``fresh`` is True when they were loaded by this call."""
        origin = self.origin(url)
        rules = self.cached(origin)
        if rules is not None:
            return rules, False
        lock = self._locks.get(origin)
        if lock is None:
            lock = self._locks[origin] = asyncio.Lock()
        try:
            async with lock:
                rules = self.cached(origin)
                if rules is not None:
                    return rules, False
                rules, ttl = await self._fetch(origin)
                self._entries[origin] = _Entry(rules, self._clock() + ttl)
                return rules, True
        finally:
            if not lock.locked() and self._locks.get(origin) is lock:
                del self._locks[origin]  # only origins being loaded keep a lock

    async def _fetch(self, origin: str) -> tuple[RobotsRules, float]:
        try:
            body, truncated = await self._load(origin + "/robots.txt")
        except FetchError as exc:
            if exc.kind is FetchErrorKind.BLOCKED:
                raise
            if exc.kind is FetchErrorKind.REDIRECTS or (
                exc.kind is FetchErrorKind.HTTP
                and exc.status is not None
                and 400 <= exc.status < 500
                and exc.status != 429
            ):
                return RobotsRules(), self._ttl  # unavailable: everything allowed (RFC 9309)
            # unreachable, 5xx or 429: RFC 9309 says assume full disallow; ask again soon,
            # and meanwhile keep the rules we had if there are any
            previous = self._entries.get(origin)
            if previous is not None and not previous.rules.disallow_all:
                return previous.rules, self._error_ttl
            return RobotsRules(disallow_all=True), self._error_ttl
        return parse_robots(body, self._user_agent, truncated=truncated), self._ttl
