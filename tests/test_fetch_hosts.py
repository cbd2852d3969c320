"""The per-host queues keep state only for the hosts that need it (``monitor.fetch.hosts``)."""

from __future__ import annotations

import asyncio

from monitor.fetch.hosts import SWEEP_S, HostQueues


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hosts_whose_turn_has_passed_are_forgotten_and_site_delays_kept() -> None:
    """A request ends before its host's delay has passed, so its host cannot be forgotten
    then: 10,000 hosts polled once an interval kept 10,000 entries. The sweep forgets them
    once their delay has passed; a host with a delay of its own (robots.txt) is kept, and a
    host whose delay has not passed yet keeps it (politeness stays exact)."""
    clock = Clock()
    q = HostQueues(concurrency=2, delay=1.0, max_connections=10, clock=clock)

    async def one(host: str) -> None:
        async with q.turn(host):
            pass

    async def main() -> None:
        for i in range(500):
            await one(f"host{i}.example")
        q.set_site_delay("strict.example", 30.0, cap=60.0)
        await one("strict.example")
        assert len(q) == 501  # every delay is still running
        clock.now += SWEEP_S
        await one("late.example")  # the first request after SWEEP_S sweeps
        assert len(q) == 2  # the strict host, and the one whose delay just began
        assert q.delay("strict.example") == 30.0
        assert q.delay("late.example") == 1.0
        # the host still in its delay waits for it: its next turn starts 1 s after the last
        started = []

        async def timed() -> None:
            async with q.turn("late.example"):
                started.append(clock.now)

        waiter = asyncio.ensure_future(timed())
        await asyncio.sleep(0)
        assert started == []  # asleep until the delay has passed
        clock.now += 1.0
        await asyncio.wait_for(waiter, 5)
        assert started == [clock.now]

    asyncio.run(main())


def test_a_host_with_requests_waiting_is_never_forgotten() -> None:
    clock = Clock()
    q = HostQueues(concurrency=1, delay=0.0, max_connections=10, clock=clock)

    async def main() -> None:
        inside = asyncio.Event()
        leave = asyncio.Event()

        async def hold() -> None:
            async with q.turn("busy.example"):
                inside.set()
                await leave.wait()

        first = asyncio.ensure_future(hold())
        await inside.wait()
        second = asyncio.ensure_future(hold())  # waits for the host's only slot
        await asyncio.sleep(0)
        clock.now += SWEEP_S
        async with q.turn("other.example"):  # sweeps on the way out
            pass
        assert len(q) == 1  # busy.example: one request in, one waiting
        leave.set()
        await asyncio.gather(first, second)
        assert len(q) == 0

    asyncio.run(main())
