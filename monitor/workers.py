"""Worker processes for the pure CPU stages (``[fetch] cpu_workers``).

The event loop's process fetches, and writes the archive (its single writer); the CPU work
that needs nothing but its input (a page's bytes to an Article, a record to its fingerprint
and topic matches, a feed's bytes to its entries) can run in other processes, so that a
machine with more than one core uses them. ``CpuPool.run`` is the one way in:

    result = await pool.run(remote, args, local)

``remote(*args)`` runs in a worker process (both picklable, ``remote`` a module-level
function); ``local()`` is the same work in this process, run in the caller's thread pool
when the pool has no workers (``cpu_workers = 0``), or once when a worker died under the task
(``BrokenProcessPool``: the pool is replaced, and every task that was in it is done here
instead, so none is lost and, as nothing is written in a worker, none is done twice).

Workers are fresh interpreters (``START_METHOD``; never ``fork`` of this process, which runs
threads and an event loop), started on the first task. Each caps its address space
(``RLIMIT_AS``): a page that needs more raises ``WorkerMemoryError`` here instead of growing
the daemon; workers ignore SIGINT (the daemon's stop is its own) and end when this process
ends, however it ends, so a killed daemon leaves no workers behind. ``close()`` stops them.

A library user's own script that builds a ``Pipeline`` (or ``Daemon``) with workers must keep
its work under ``if __name__ == "__main__":``, as any program using ``multiprocessing`` with
``spawn``: each worker imports the main script again, and unguarded code runs again there
(seen: a script without the guard started its whole daemon a second time in the worker).
``monitor``'s own commands are guarded; ``cpu_workers = 0`` starts no process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from monitor.errors import MonitorError

__all__ = [
    "AUTO_MAX",
    "CpuPool",
    "WorkerError",
    "WorkerMemoryError",
    "resolve_workers",
]

log = logging.getLogger("monitor.workers")

T = TypeVar("T")

#: ``cpu_workers = "auto"`` uses the cores but one (the event loop's), at most this many
AUTO_MAX = 4
#: how workers start: "spawn" (a fresh interpreter each, no process kept to start them) or
#: "forkserver" (forked from a server that imported PRELOAD once: quicker to start, but the
#: server stays, 45 MB); never "fork" of this process, which runs threads and an event loop
START_METHOD = "spawn"
#: modules the fork server imports once, so that each worker starts with them loaded
PRELOAD = ["monitor.pipeline"]
#: pools that broke in a row (no task done in between) before the work stays in-process
MAX_BROKEN_IN_ROW = 3


class WorkerMemoryError(MonitorError):
    """A task needed more memory than a worker may take (``[fetch] cpu_worker_memory``)."""


class WorkerError(MonitorError):
    """A task failed in a worker with an exception that could not be sent back as it was."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_workers(setting: int | str, cores: int | None = None) -> int:
    """Worker processes for a ``cpu_workers`` value: "auto" is the cores but one, at most
    ``AUTO_MAX`` (so 0 on one core: in-process); a number is itself."""
    if setting == "auto":
        return max(0, min(AUTO_MAX, (cores or available_cores()) - 1))
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 0:
        raise ValueError(f'cpu_workers must be "auto" or a whole number >= 0, not {setting!r}')
    return setting


@dataclass(frozen=True)
class _Failed:
    """An exception of a task, as the worker sends it back (see ``_call``)."""

    error: BaseException | None
    kind: str  # "memory" | "exception" | "unpicklable"
    message: str


def _init_worker(
    owner: int,
    memory_cap: int | None,
    setup: Callable[..., None] | None,
    setup_args: Sequence[Any],
) -> None:
    """Each worker, before its first task: the memory cap, signals, the caller's setup."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with(owner)
    if memory_cap:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_cap if hard == resource.RLIM_INFINITY else min(memory_cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    if setup is not None:
        setup(*setup_args)


def _exit_with(owner: int) -> None:
    """End this worker when the process that owns the pool ends, however it ends (a SIGKILL
    leaves no time to stop the workers, and a worker holds its own end of the task queue, so
    it would wait forever): a thread waits on the owner's pidfd (Linux), or looks every second
    whether it is still there. The owner, not the parent: with "forkserver" the parent is the
    fork server, which lives as long as any of its workers."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(owner)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:
            while True:
                time.sleep(1.0)
                try:
                    os.kill(owner, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    continue
        os._exit(0)

    threading.Thread(target=watch, name="monitor-worker-owner", daemon=True).start()


def _call(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """Run a task in a worker. Its exception comes back as a value: an exception that cannot
    be unpickled on the other side would break the whole pool, and a MemoryError is the cap."""
    try:
        return fn(*args)
    except MemoryError:
        return _Failed(None, "memory", "")
    except Exception as e:  # noqa: BLE001 - sent back and raised there
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:  # noqa: BLE001 - the exception itself does not survive the trip
            return _Failed(None, "unpicklable", f"{type(e).__name__}: {e}")
        return _Failed(e, "exception", "")


class CpuPool:
    """A few worker processes for CPU work; see the module docstring.

    ``workers`` 0 runs everything in-process (``local``). ``memory_cap`` bytes of address
    space per worker (None: no cap). ``setup(*setup_args)`` runs once in each worker (state
    its tasks read, e.g. a compiled topic matcher); the arguments are pickled per worker.
    """

    def __init__(
        self,
        workers: int,
        *,
        memory_cap: int | None = None,
        setup: Callable[..., None] | None = None,
        setup_args: Sequence[Any] = (),
    ) -> None:
        self.workers = workers
        self.memory_cap = memory_cap
        self._setup = setup
        self._setup_args = tuple(setup_args)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._in_row = 0  # pools broken in a row without a task done in between
        #: pools replaced after a worker died, and tasks done in-process because of it
        self.restarts = 0
        self.retried_locally = 0

    @property
    def in_process(self) -> bool:
        return self.workers == 0

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context(START_METHOD)
                if START_METHOD == "forkserver":
                    ctx.set_forkserver_preload(["__main__", *PRELOAD])
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=ctx,
                    initializer=_init_worker,
                    initargs=(os.getpid(), self.memory_cap, self._setup, self._setup_args),
                )
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken pool (once, however many of its tasks notice); the next task
        starts a new one."""
        with self._lock:
            if self._pool is not broken:
                return
            self._pool = None
            self.restarts += 1
            self._in_row += 1
            if self._in_row >= MAX_BROKEN_IN_ROW:
                # workers that cannot even start (a memory cap below what an idle worker
                # takes, no /dev/shm...): everything in-process from now on
                self.workers = 0
        broken.shutdown(wait=False, cancel_futures=True)
        if self.workers == 0:
            log.error(
                "CPU worker processes died %d times in a row; the CPU work runs in-process "
                "from now on (raise [fetch] cpu_worker_memory, or set cpu_workers = 0)",
                MAX_BROKEN_IN_ROW,
            )
        else:
            log.warning("a CPU worker process died; its tasks are done in-process, restarted")

    async def run(
        self,
        remote: Callable[..., T],
        args: Sequence[Any],
        local: Callable[[], T],
        executor: Executor | None = None,
    ) -> T:
        """``remote(*args)`` in a worker, or ``local()`` in ``executor`` (threads of this
        process; None: the loop's default) when there are no workers or the worker died.
        Raises what the task raised, or ``WorkerMemoryError`` when it hit the memory cap."""
        loop = asyncio.get_running_loop()
        if self.in_process:
            return await loop.run_in_executor(executor, local)
        pool = self._executor()
        try:
            out = await asyncio.wrap_future(pool.submit(_call, remote, tuple(args)))
        except BrokenProcessPool:
            self._replace(pool)
            self.retried_locally += 1
            return await loop.run_in_executor(executor, local)
        self._in_row = 0
        if isinstance(out, _Failed):
            if out.kind == "memory":
                raise WorkerMemoryError(
                    f"the task needed more than {_mib(self.memory_cap)} of memory in a worker"
                )
            if out.kind == "unpicklable" or out.error is None:
                raise WorkerError(out.message)
            raise out.error
        return out

    def worker_pids(self) -> list[int]:
        """The worker processes running now (for tests and measurements)."""
        pool = self._pool
        procs = getattr(pool, "_processes", None) or {}
        return [p.pid for p in list(procs.values()) if p.pid is not None]

    def close(self) -> None:
        """Stop the workers (tasks not started are cancelled) and wait for them to exit. A
        later task starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _mib(n: int | None) -> str:
    return "the cap" if not n else f"{n / 2**20:.0f} MiB"
