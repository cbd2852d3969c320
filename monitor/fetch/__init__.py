"""HTTP fetching of feeds and article pages (see ``client`` for the whole picture).

client   the Fetcher: requests, redirects hop by hop, conditional GET
hosts    per-host queues: politeness, and global limits only on connections
robots   robots.txt through Protego, with the product's cache and failure rules
body     bounded decoding of every Content-Encoding
guard    the address guard (SSRF): resolve, check, connect to the checked address
http1    a small HTTP/1.1 client (h11 on asyncio streams) with per-host keep-alive pools
headers  Retry-After, Cache-Control, content-type checks
errors   FetchError and its kinds
"""

from monitor.fetch.client import Fetcher, Response, Validators
from monitor.fetch.errors import FetchError, FetchErrorKind
from monitor.fetch.guard import DNS_CACHE_S
from monitor.fetch.headers import (
    feed_content_type_ok,
    page_content_type_ok,
    parse_cache_max_age,
    parse_retry_after,
)
from monitor.fetch.robots import RobotsRules, parse_robots
from monitor.settings import FetchSettings

__all__ = [
    "DNS_CACHE_S",
    "FetchError",
    "FetchErrorKind",
    "FetchSettings",
    "Fetcher",
    "Response",
    "RobotsRules",
    "Validators",
    "feed_content_type_ok",
    "page_content_type_ok",
    "parse_cache_max_age",
    "parse_retry_after",
    "parse_robots",
]
