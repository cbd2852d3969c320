"""Settings types that cross from the configuration to the stages.

``FetchSettings`` is the one type for the ``[fetch]`` table: ``monitor.config`` reads the
table by the fields declared here (their type, default, bounds and unit come from the field
metadata), the fetcher reads its limits and manners from it, and the pipeline its polling
knobs. This module imports nothing but the standard library, so loading a configuration
does not load the HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_USER_AGENT", "FetchSettings", "setting"]

DEFAULT_USER_AGENT = "monitor/0.1 (medical news monitor; +https://github.com/monitor-news/monitor)"


def setting(
    default: Any,
    *,
    kind: str,
    minimum: float | None = None,
    maximum: float | None = None,
    doc: str = "",
) -> Any:
    """A ``[fetch]`` key: ``kind`` is how the config reads it ("duration", "int", "bytes",
    "float", "bool", "str", "path", "workers": "auto" or an int); ``minimum``/``maximum`` bound it (inclusive)."""
    meta = {"kind": kind, "minimum": minimum, "maximum": maximum, "doc": doc}
    return field(default=default, metadata=meta)


@dataclass
class FetchSettings:
    """Limits and manners of polling and fetching; each field is a ``[fetch]`` key."""

    # -- polling (the pipeline and the scheduler)
    interval: float = setting(
        1800.0, kind="duration", minimum=60, maximum=365 * 86400, doc="default polling interval"
    )
    max_entries_per_feed: int = setting(500, kind="int", minimum=1, maximum=100_000)
    disable_after_days: float = setting(7.0, kind="float", minimum=0.01, maximum=3650)
    fetch_pages: bool = setting(True, kind="bool")
    # feeds parsed at the same time (CPU and memory work; never held while a
    # request waits for its host's politeness delay)
    concurrent_sources: int = setting(16, kind="int", minimum=1, maximum=10_000)
    # article pages extracted at the same time (CPU work)
    concurrent_pages: int = setting(8, kind="int", minimum=1, maximum=10_000)
    # worker processes for the pure CPU work (page extraction, fingerprints and topic
    # matches, feed parsing): "auto" (the cores but one, at most 4), a number, or 0 for
    # none (all of it in the polling process, as on one core)
    cpu_workers: int | str = setting("auto", kind="workers", minimum=0, maximum=64)
    # the address space each worker may take: a page that needs more is not extracted
    cpu_worker_memory: int = setting(10**9, kind="bytes", minimum=250 * 10**6)
    # -- the fetcher
    user_agent: str = setting(DEFAULT_USER_AGENT, kind="str")
    contact_url: str | None = setting(None, kind="str")
    connect_timeout: float = setting(10.0, kind="duration", maximum=3600)
    read_timeout: float = setting(20.0, kind="duration", maximum=3600)
    total_timeout: float = setting(60.0, kind="duration", maximum=86400)
    max_feed_bytes: int = setting(10 * 2**20, kind="bytes", minimum=1024)
    max_page_bytes: int = setting(5 * 2**20, kind="bytes", minimum=1024)
    max_redirects: int = setting(5, kind="int", minimum=0, maximum=30)
    allow_private: bool = setting(False, kind="bool")
    per_host_concurrency: int = setting(2, kind="int", minimum=1, maximum=100)
    per_host_delay: float = setting(1.0, kind="float", minimum=0, maximum=3600)
    respect_robots: bool = setting(True, kind="bool")
    max_connections: int = setting(100, kind="int", minimum=1, maximum=10_000)
    # robots.txt: how long a host's rules are kept, the largest Crawl-delay honoured and
    # the size read (RFC 9309 asks crawlers to read at least 500 KiB)
    robots_ttl: float = setting(24 * 3600.0, kind="duration", maximum=30 * 86400)
    max_crawl_delay: float = setting(30.0, kind="duration", maximum=3600)
    max_robots_bytes: int = setting(512 * 1024, kind="bytes", minimum=1024)
    # extra CA bundle (PEM) to trust, e.g. a corporate proxy CA or a test CA; None: system
    ca_file: str | None = setting(None, kind="path")

    @property
    def agent(self) -> str:
        """The User-Agent header: ``user_agent`` with the contact URL appended."""
        if self.contact_url:
            return f"{self.user_agent} (+{self.contact_url})"
        return self.user_agent

    @property
    def product_token(self) -> str:
        """The User-Agent's product name, as robots.txt groups name it ("monitor")."""
        head = self.user_agent.strip().split("/", 1)[0].split(None, 1)
        return head[0] if head else "monitor"
