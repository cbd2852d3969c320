"""The daemon: APScheduler 3 jobs — each source on its interval, each channel on its cron.

Sources are polled on the asyncio loop (one shared Fetcher, politeness per host inside it);
channels are delivered in a worker thread with their own archive connection. A channel whose
cron slot passed while the daemon was down runs once at start (not once per missed slot).
SIGTERM/SIGINT stop the scheduler after the jobs in flight finish.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts import deliver
from monitor import health, heartbeat
from monitor.config import ChannelConfig, Config, SourceConfig
from monitor.fetch import Fetcher
from monitor.pipeline import Pipeline, fetch_settings, next_due
from storage.archive import Archive, parse_time

log = logging.getLogger("monitor.scheduler")

PENDING_RETRY_SECONDS = 60
HEARTBEAT_SECONDS = 30
STOP_GRACE_SECONDS = 30.0  # how long SIGTERM waits for polls and deliveries in flight


def heartbeat_path(config: Config):
    return config.storage_path.with_name(config.storage_path.name + ".heartbeat")


def utcnow() -> datetime:
    return datetime.now(UTC)


_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def cron_days(field: str) -> str:
    """Crontab day-of-week (0 or 7 = Sunday) as APScheduler day names (where 0 = Monday).

    APScheduler 3's `from_crontab` passes the numbers through unchanged, so "1-5" would mean
    Tuesday to Saturday; expanding to names keeps the crontab meaning users expect.
    """
    if not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _day(a), _day(b)
        else:
            lo = hi = _day(rng)
            if step:
                hi = 6
        if hi < lo:  # "5-0": Friday to Sunday
            hi += 7
        days.update(d % 7 for d in range(lo, hi + 1, int(step or 1)))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit():
        return int(token) % 7
    return _DAYS.index(token[:3])


def channel_trigger(channel: ChannelConfig) -> CronTrigger:
    minute, hour, day, month, dow = channel.schedule.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=cron_days(dow),
        timezone=channel.timezone,
    )


def missed_schedule(channel: ChannelConfig, last_run: datetime | None, now: datetime) -> bool:
    """True if a cron slot fell between the channel's last run and now."""
    if last_run is None:
        return False
    nxt = channel_trigger(channel).get_next_fire_time(None, last_run + timedelta(seconds=1))
    return nxt is not None and nxt <= now


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

    async def _poll(self, source: SourceConfig, fetcher: Fetcher) -> None:
        if source.name in self.busy or self.stopping.is_set():
            return
        # the interval trigger's jitter may fire a little early; anything beyond that means
        # the source is backing off after errors, or its server asked us to wait
        if next_due(self.archive, source, utcnow()) > min(60.0, source.interval / 10) + 1:
            return
        self.busy.add(source.name)
        try:
            await self.pipeline.poll(source, fetcher)
        except Exception:  # a bug must not kill the daemon; it is logged with the source
            log.exception("poll of source %r failed unexpectedly", source.name)
        finally:
            self.busy.discard(source.name)

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
        async with Fetcher(fetch_settings(self.config)) as fetcher:
            for s in self.config.sources:
                if not s.enabled:
                    continue
                delay = health.first_poll_delay(s.url, s.interval)
                sched.add_job(
                    self._poll,
                    IntervalTrigger(seconds=s.interval, jitter=min(60, s.interval / 10)),
                    args=[s, fetcher],
                    id=f"source:{s.name}",
                    next_run_time=now + timedelta(seconds=delay),
                )
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
                if missed_schedule(c, parse_time(row.get("last_run_at")), now):
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
            log.info("stopping: waiting for jobs in flight")
            # APScheduler's asyncio executor cancels running jobs on shutdown, so new runs are
            # paused first and the jobs in flight are awaited (bounded: a kill is crash-safe)
            sched.pause()
            deadline = loop.time() + STOP_GRACE_SECONDS
            while (self.busy or self.delivering) and loop.time() < deadline:
                await asyncio.sleep(0.1)
            sched.shutdown(wait=False)
        self.archive.close()
        heartbeat.remove(heartbeat_path(self.config))  # `monitor health` fails from now on
        log.info("daemon stopped")
