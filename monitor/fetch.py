"""The only HTTP client that talks to sources (minimal version; the Polling issue deepens it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx


@dataclass
class FetchSettings:
    user_agent: str = "monitor/0.1"
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


@dataclass
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    not_modified: bool = False
    permanent_redirect: str | None = None
    validators: Validators = field(default_factory=Validators)
    max_age: float | None = None
    elapsed: float = 0.0


class FetchError(Exception):
    def __init__(
        self,
        kind: str,
        url: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        self.kind, self.url, self.status, self.retry_after = kind, url, status, retry_after
        super().__init__(f"{url}: {message}")


class Fetcher:
    def __init__(self, settings: FetchSettings, *, resolver=None, clock=None):
        self.settings = settings

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self.client = httpx.AsyncClient(
            headers={"User-Agent": s.user_agent},
            follow_redirects=True,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()

    async def _get(self, url: str, headers: dict, cap: int) -> Response:
        t0 = time.monotonic()
        try:
            r = await self.client.get(url, headers=headers)
        except httpx.HTTPError as e:
            raise FetchError("network", url, f"{type(e).__name__}: {e}") from None
        if r.status_code == 304:
            return Response(str(r.url), 304, dict(r.headers), b"", True)
        if r.status_code >= 400:
            raise FetchError("http", url, f"HTTP {r.status_code}", r.status_code)
        if len(r.content) > cap:
            raise FetchError("too_large", url, "body too large")
        v = Validators(r.headers.get("etag"), r.headers.get("last-modified"))
        return Response(
            str(r.url),
            r.status_code,
            dict(r.headers),
            r.content,
            False,
            None,
            v,
            None,
            time.monotonic() - t0,
        )

    async def get_feed(
        self, url: str, validators: Validators | None = None, *, allow_private: bool | None = None
    ) -> Response:
        h = {}
        if validators and validators.etag:
            h["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            h["If-Modified-Since"] = validators.last_modified
        return await self._get(url, h, self.settings.max_feed_bytes)

    async def get_page(self, url: str, *, allow_private: bool | None = None) -> Response:
        return await self._get(url, {}, self.settings.max_page_bytes)
