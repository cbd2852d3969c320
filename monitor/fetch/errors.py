"""``FetchError``: a fetch that gave no usable body, with its kind and a hint for the user."""

from __future__ import annotations

from enum import StrEnum

from monitor.errors import MonitorError
from monitor.urls import hide_credentials

__all__ = ["FetchError", "FetchErrorKind"]


class FetchErrorKind(StrEnum):
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    BLOCKED = "blocked"  # the address guard refused the address
    HTTP = "http"  # a non-2xx status
    NETWORK = "network"  # DNS, connection refused or reset, broken encoding
    CONTENT_TYPE = "content_type"
    ROBOTS = "robots"
    REDIRECTS = "redirects"
    ENCODING = "encoding"  # a Content-Encoding we cannot decode within bounds


_HINTS = {
    FetchErrorKind.TIMEOUT: "the server is slow or unreachable; it is retried later with backoff "
    "(raise [fetch] total_timeout/read_timeout if this source is always slow)",
    FetchErrorKind.TOO_LARGE: "the body is larger than the configured cap; raise [fetch] "
    "max_feed_bytes or max_page_bytes if this source is legitimate",
    FetchErrorKind.BLOCKED: "the address is not a public http(s) address; set allow_private = "
    "true for this source (or in [fetch]) only if you really mean to fetch a local or private "
    "host",
    FetchErrorKind.NETWORK: "the connection failed; check the URL and that the host exists",
    FetchErrorKind.REDIRECTS: "the redirect chain is too long or broken; check the URL in a "
    "browser and store the final address",
    FetchErrorKind.ROBOTS: "the site's robots.txt disallows this page for our User-Agent; set "
    "[fetch] respect_robots = false only if you have the site's permission",
    FetchErrorKind.ENCODING: "the server compresses the body in a way that cannot be decoded "
    "safely; ask the site to serve gzip, deflate or br",
}


class FetchError(MonitorError):
    """A fetch that did not give a usable body. ``kind`` is a ``FetchErrorKind`` (a str enum,
    so ``kind == "http"`` still reads naturally); ``retryable`` says whether trying the same
    address later may succeed."""

    def __init__(
        self,
        kind: FetchErrorKind | str,
        url: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        hint: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.kind = FetchErrorKind(kind)
        self.url = url
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.hint = hint if hint is not None else _HINTS.get(self.kind, "")
        self._retryable = retryable
        super().__init__(str(self))

    @property
    def retryable(self) -> bool:
        """Timeouts, network failures, 408/425/429/5xx, and 404/410 (a page announced by a
        feed before it is published) may succeed later; the rest will not."""
        if self._retryable is not None:
            return self._retryable
        if self.kind in (FetchErrorKind.TIMEOUT, FetchErrorKind.NETWORK):
            return True
        if self.kind is FetchErrorKind.HTTP and self.status is not None:
            return self.status >= 500 or self.status in (404, 408, 410, 425, 429)
        return False

    def __str__(self) -> str:
        text = f"{self.url}: {self.message}"
        return hide_credentials(f"{text} ({self.hint})" if self.hint else text)
