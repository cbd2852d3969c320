"""Adding sources: find a site's feed (autodiscovery), import and export OPML.

The network part of `monitor add`: given a page or feed address, fetch it with the product's
own fetcher (limits, SSRF guard), and return the feed to subscribe to with its title.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from monitor import discover, feeds
from monitor.errors import MonitorError
from monitor.fetch import Fetcher, FetchError, FetchErrorKind

#: feeds announced by one page that are tried at most (a page announcing 2,000 feeds
#: must not cause 2,000 requests)
MAX_CANDIDATES = 20


@dataclass
class FoundFeed:
    url: str
    title: str
    how: str  # "the address is a feed", "<link rel=alternate> on the page", "common path /feed"
    entries: int


class NoFeedFound(MonitorError):
    pass


# the address cannot be reached at all: no point in trying other paths of it
_FATAL = (FetchErrorKind.BLOCKED, FetchErrorKind.NETWORK, FetchErrorKind.TIMEOUT)


async def _try_feed(
    fetcher: Fetcher, url: str, allow_private: bool | None, *, first: bool = False
) -> FoundFeed | None:
    try:
        resp = await fetcher.get_feed(url, allow_private=allow_private)
        parsed = feeds.parse(
            resp.body,
            resp.url,
            content_type=resp.headers.get("content-type"),
            now=datetime.now(UTC),
        )
    except FetchError as e:
        if first and e.kind in _FATAL:
            raise NoFeedFound(str(e)) from None  # names the address the user typed
        return None
    except feeds.FeedError:
        return None
    return FoundFeed(resp.permanent_redirect or resp.url, parsed.title, "", len(parsed.entries))


async def find_feed(fetcher: Fetcher, url: str, *, allow_private: bool | None = None) -> FoundFeed:
    """The feed behind `url`: the address itself, a feed the page announces (the first
    ``MAX_CANDIDATES``), or a common path. An address that cannot be reached (refused,
    blocked by the address guard, timing out) raises NoFeedFound naming it."""
    found = await _try_feed(fetcher, url, allow_private, first=True)
    if found:
        found.how = "the address is a feed"
        return found
    tried = [url]
    try:
        page = await fetcher.get_page(url, allow_private=allow_private)
        candidates = discover.find_feeds(page.body.decode("utf-8", "replace"), page.url)
        how = "announced by the page"
    except FetchError as e:
        if e.kind in _FATAL:
            raise NoFeedFound(str(e)) from None
        candidates, how = [], ""
    if len(candidates) > MAX_CANDIDATES:
        candidates = candidates[:MAX_CANDIDATES]
    for cand in candidates:
        tried.append(cand)
        found = await _try_feed(fetcher, cand, allow_private)
        if found:
            found.how = how
            return found
    for path in discover.COMMON_FEED_PATHS:
        cand = urljoin(url, path)
        if cand in tried:
            continue
        tried.append(cand)
        found = await _try_feed(fetcher, cand, allow_private)
        if found:
            found.how = f"common feed path {path}"
            return found
    raise NoFeedFound(
        f"no feed found at {url}: the page announces none and none of the usual paths "
        f"({', '.join(discover.COMMON_FEED_PATHS[:4])}, ...) answered with a feed; "
        "find the feed link on the site and run `monitor add FEED_URL`"
    )
