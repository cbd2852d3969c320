"""The daemon: each source polled when it is due, each channel on its cron.

Sources are dispatched by one loop over a heap of due times (not one timer per source):
a source is due when the archive says so (after a success one interval later, after a
failure its backoff, see ``health``), computed with the *current* configuration, so a
shortened interval takes effect at the next start. A source never polled is first polled
within min(interval, 5 min) of the start (spread by ``health.first_poll_delay``). Every poll
is its own task on the asyncio loop (one shared Fetcher, per-host politeness inside it), so
a slow source never delays another's turn; ``Daemon.lags`` records how late each poll
started (the scheduler lag).

Channels are delivered in a worker thread with their own archive connection (APScheduler
cron jobs). A channel whose cron slot passed while the daemon was down runs once at start
(not once per missed slot). SIGTERM/SIGINT stop the scheduler after the jobs in flight
finish.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import signal
from collections import deque
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts import deliver
from monitor import cron, health, heartbeat
from monitor.config import ChannelConfig, Config, SourceConfig
from monitor.cron import cron_days
from monitor.fetch import Fetcher
from monitor.pipeline import Pipeline, due_at
from storage.archive import Archive
from storage.rows import SourceState

__all__ = ["Daemon", "channel_trigger", "cron_days", "heartbeat_path", "missed_schedule"]

log = logging.getLogger("monitor.scheduler")

PENDING_RETRY_SECONDS = 60
HEARTBEAT_SECONDS = 30
STOP_GRACE_SECONDS = 30.0  # how long SIGTERM waits for polls and deliveries in flight


def heartbeat_path(config: Config):
    return config.storage_path.with_name(config.storage_path.name + ".heartbeat")


def utcnow() -> datetime:
    return datetime.now(UTC)


def channel_trigger(channel: ChannelConfig):
    return cron.cron_trigger(channel.schedule, channel.timezone)


def missed_schedule(channel: ChannelConfig, last_run: datetime | None, now: datetime) -> bool:
    """True if a cron slot fell between the channel's last run and now."""
    return cron.missed_slot(channel_trigger(channel), last_run, now)


def deliver_channel(config: Config, name: str, only_pending: bool = False) -> deliver.ChannelRun:
    """Run one channel with a connection of its own (called in a worker thread)."""
    with Archive(config.storage_path, max_bytes=config.storage_max_bytes) as archive:
        return deliver.run_channel(
            config, archive, config.channel(name), now=utcnow(), only_pending=only_pending
        )


class Daemon:
    def __init__(self, config: Config, *, stop_after: float | None = None):
        self.config = config
        self.stop_after = stop_after
        self.archive = Archive(config.storage_path, max_bytes=config.storage_max_bytes)
        self.pipeline = Pipeline(config, self.archive)
        self.stopping = asyncio.Event()
        self.busy: set[str] = set()
        self.delivering = 0  # channel runs in flight
        self.channel_locks: dict[str, asyncio.Lock] = {}
        self.lags: deque[float] = deque(maxlen=100_000)  # seconds each poll started late
        self.polls = 0
        self._heap: list[tuple[float, int, SourceConfig]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    # ---------------------------------------------------------------- sources
    def _first_due(self, source: SourceConfig, now: datetime) -> datetime:
        state = self.archive.source_state(source.name)
        if state is None or state.last_poll_at is None:  # never polled: within minutes of the start
            return now + timedelta(seconds=health.first_poll_delay(source.url, source.interval))
        return self._due(state, source, now)

    def _due(self, state: SourceState | None, source: SourceConfig, now: datetime) -> datetime:
        if state is not None and state.disabled_reason:
            # disabled after failing for days: looked at again each interval, in case
            # `monitor sources --enable` was run meanwhile
            return now + timedelta(seconds=source.interval)
        at = due_at(state, source)
        return now if at is None or at < now else at

    def _push(self, when: datetime, source: SourceConfig) -> None:
        heapq.heappush(self._heap, (when.timestamp(), next(self._seq), source))
        self._wake.set()

    async def _dispatch(self, fetcher: Fetcher) -> None:
        """Start each source's poll when it is due; never waits for a poll to finish."""
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            if not self._heap:
                self._wake.clear()
                await self._wait(None)
                continue
            due, _seq, source = self._heap[0]
            wait = due - utcnow().timestamp()
            if wait > 0:
                self._wake.clear()
                await self._wait(wait)
                continue
            heapq.heappop(self._heap)
            task = loop.create_task(self._poll(source, fetcher, due))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _wait(self, timeout: float | None) -> None:
        stop = asyncio.ensure_future(self.stopping.wait())
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stop, wake}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            wake.cancel()

    async def _poll(self, source: SourceConfig, fetcher: Fetcher, due: float) -> None:
        if self.stopping.is_set():
            return
        self.lags.append(max(0.0, utcnow().timestamp() - due))
        self.polls += 1
        self.busy.add(source.name)
        try:
            await self.pipeline.poll(source, fetcher)
        except Exception:  # a bug must not kill the daemon; it is logged with the source
            log.exception("poll of source %r failed unexpectedly", source.name)
        finally:
            self.busy.discard(source.name)
        if self.stopping.is_set():
            return
        now = utcnow()
        try:
            state = self.archive.source_state(source.name)
        except Exception:
            log.exception("cannot read the state of source %r", source.name)
            state = None
        when = self._due(state, source, now)
        if when <= now:  # the poll stored no next time (a bug or a failing archive)
            when = now + timedelta(seconds=source.interval)
        self._push(when, source)

    # ---------------------------------------------------------------- channels
    async def _deliver(self, name: str, only_pending: bool = False) -> None:
        if self.stopping.is_set():
            return
        self.delivering += 1
        # one run of a channel at a time: its cron run and its retry run must not both send
        # the same pending digest
        lock = self.channel_locks.setdefault(name, asyncio.Lock())
        try:
            async with lock:
                run = await asyncio.to_thread(deliver_channel, self.config, name, only_pending)
            if run.sent or run.failed:
                log.info("channel=%r sent=%d failed=%d", name, len(run.sent), len(run.failed))
        except Exception:
            log.exception("delivery to channel %r failed unexpectedly", name)
        finally:
            self.delivering -= 1

    async def _heartbeat(self) -> None:
        """Touch the heartbeat file that `monitor health` (the container HEALTHCHECK) reads."""
        try:
            heartbeat.write(heartbeat_path(self.config))
        except OSError as e:
            log.error("cannot write heartbeat %s: %s", heartbeat_path(self.config), e)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stopping.set)
            except (NotImplementedError, RuntimeError):
                pass
        now = utcnow()
        sched = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        async with Fetcher(self.config.fetch) as fetcher:
            for s in self.config.sources:
                if s.enabled:
                    self._push(self._first_due(s, now), s)
            for c in self.config.channels:
                row = self.archive.ensure_channel(c.name, c.type, now)
                sched.add_job(
                    self._deliver, channel_trigger(c), args=[c.name], id=f"channel:{c.name}"
                )
                sched.add_job(
                    self._deliver,
                    IntervalTrigger(seconds=PENDING_RETRY_SECONDS),
                    args=[c.name, True],
                    id=f"retry:{c.name}",
                )
                if missed_schedule(c, row.last_run_at, now):
                    log.info(
                        "channel=%r missed its schedule while stopped; running once now", c.name
                    )
                    sched.add_job(
                        self._deliver,
                        args=[c.name],
                        id=f"catchup:{c.name}",
                        next_run_time=now + timedelta(seconds=5),
                    )
            sched.add_job(
                self._heartbeat,
                IntervalTrigger(seconds=HEARTBEAT_SECONDS),
                id="heartbeat",
                next_run_time=now,
            )
            sched.start()
            dispatcher = loop.create_task(self._dispatch(fetcher))
            log.info(
                "daemon started: %d sources, %d channels, archive %s",
                sum(s.enabled for s in self.config.sources),
                len(self.config.channels),
                self.config.storage_path,
            )
            try:
                if self.stop_after:
                    await asyncio.wait_for(self.stopping.wait(), self.stop_after)
                else:
                    await self.stopping.wait()
            except TimeoutError:
                pass
            self.stopping.set()
            log.info("stopping: waiting for jobs in flight")
            # APScheduler's asyncio executor cancels running jobs on shutdown, so new runs are
            # paused first and the jobs in flight are awaited (bounded: a kill is crash-safe)
            sched.pause()
            await dispatcher
            deadline = loop.time() + STOP_GRACE_SECONDS
            while (self.busy or self.delivering) and loop.time() < deadline:
                await asyncio.sleep(0.1)
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                # a cancelled poll still finishes its archive work (settling what it stored,
                # its source state) on the way out: the archive is closed after that, not
                # under it ("Cannot operate on a closed database" for each of them)
                await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            sched.shutdown(wait=False)
        self.pipeline.close()  # its CPU worker processes
        self.archive.close()
        heartbeat.remove(heartbeat_path(self.config))  # `monitor health` fails from now on
        log.info("daemon stopped")
