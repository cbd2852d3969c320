"""Per-host queues: politeness per host, global limits only on what is really shared.

Every request waits in its host's queue: at most ``per_host_concurrency`` requests to one
host at a time, and request starts at least ``delay`` apart (the configured
``per_host_delay``, raised to the site's robots.txt ``Crawl-delay``/``Request-rate``). Only
when a request's turn has come does it take one of the global connection slots, and the
start time that the next request of the host is measured from is taken *after* that slot
was granted, so a busy global limit can never squeeze two requests to one host closer
together. A request waiting for its host holds nothing global: one slow or strict host
delays its own requests only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

__all__ = ["SWEEP_S", "Admission", "HostQueues"]


class Admission(Protocol):
    """A caller's own limit on what it has in hand (fetched bodies it has not yet dealt
    with), entered when a request's turn has come, like the global connection slot: so a
    request waiting for its host (politeness, a slow or strict host) holds none of it."""

    async def enter(self) -> None:
        """Wait for room (nothing if already in)."""

    def leave(self) -> None:
        """Give the room back (nothing if not in)."""


#: how often the hosts whose turn has passed are forgotten (see ``HostQueues._sweep``)
SWEEP_S = 10.0


class _Host:
    __slots__ = ("sem", "lock", "next_start", "delay", "waiting")

    def __init__(self, concurrency: int, delay: float) -> None:
        self.sem = asyncio.Semaphore(max(1, concurrency))
        self.lock = asyncio.Lock()
        self.next_start = 0.0
        self.delay = delay
        self.waiting = 0


class HostQueues:
    def __init__(
        self,
        concurrency: int,
        delay: float,
        max_connections: int,
        clock: Callable[[], float],
    ) -> None:
        self._concurrency = concurrency
        self._delay = delay
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._connections = asyncio.Semaphore(max(1, max_connections))
        self._next_sweep = clock() + SWEEP_S

    def __len__(self) -> int:
        """The hosts whose state is kept."""
        return len(self._hosts)

    def _idle(self, h: _Host, now: float) -> bool:
        """Nobody waits for the host, its delay has passed and it has none of its own: a new
        entry (next start 0, the configured delay) would behave exactly as this one."""
        return not h.waiting and h.delay == self._delay and h.next_start <= now

    def _sweep(self, now: float) -> None:
        """Forget the idle hosts: a request ends before its host's delay has passed, so most
        hosts are not idle when their last request ends, and 10,000 hosts polled once an
        interval kept 10,000 entries (a semaphore and a lock each)."""
        self._next_sweep = now + SWEEP_S
        for name in [name for name, h in self._hosts.items() if self._idle(h, now)]:
            del self._hosts[name]

    def _host(self, host: str) -> _Host:
        h = self._hosts.get(host)
        if h is None:
            h = self._hosts[host] = _Host(self._concurrency, self._delay)
        return h

    def delay(self, host: str) -> float:
        return self._host(host).delay

    def set_site_delay(self, host: str, site_delay: float | None, cap: float) -> None:
        """The site's own wish (robots.txt), honoured above the configured delay, up to
        ``cap``."""
        h = self._host(host)
        h.delay = max(self._delay, min(site_delay or 0.0, cap))

    @asynccontextmanager
    async def turn(self, host: str, admission: Admission | None = None) -> AsyncIterator[None]:
        """Wait for ``host``'s turn, then enter ``admission`` and hold one global connection
        slot (the next start of the host is measured from after both)."""
        h = self._host(host)
        h.waiting += 1
        try:
            async with h.sem:
                async with h.lock:
                    wait = h.next_start - self._clock()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if admission is not None:
                        await admission.enter()
                    await self._connections.acquire()
                    h.next_start = self._clock() + h.delay
                try:
                    yield
                finally:
                    self._connections.release()
        finally:
            h.waiting -= 1
            now = self._clock()
            if self._idle(h, now) and self._hosts.get(host) is h:
                del self._hosts[host]
            if now >= self._next_sweep:
                self._sweep(now)
