"""The daemon's heartbeat file, which `monitor health` (the container's HEALTHCHECK) reads.

The daemon writes it every HEARTBEAT_SECONDS with its process id and host, and removes it on a
clean stop. `check` fails when the file is missing (never started, or stopped cleanly), older
than the allowed age (stuck, or killed without a clean stop), or names a process that no longer
runs on this host (killed a moment ago).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class Unhealthy(Exception):
    """Why the daemon is not healthy, worded for the person reading `monitor health`."""


@dataclass(frozen=True)
class Beat:
    age: float  # seconds since the file was written
    pid: int | None
    host: str | None


def write(path: Path) -> None:
    payload = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "at": datetime.now(UTC).isoformat(),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a file


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def read(path: Path) -> Beat:
    try:
        age = time.time() - path.stat().st_mtime
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Unhealthy(
            f"no heartbeat at {path}: the daemon is not running (`monitor run` removes it when "
            "it stops)"
        ) from None
    try:
        data = json.loads(text)
        pid, host = int(data["pid"]), str(data["host"])
    except (ValueError, KeyError, TypeError):
        pid, host = None, None  # written by an older version: only its age counts
    return Beat(age=age, pid=pid, host=host)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True


def check(path: Path, max_age: float) -> Beat:
    """The heartbeat if the daemon looks alive; raises Unhealthy with the reason if not."""
    beat = read(path)
    if beat.age > max_age:
        raise Unhealthy(
            f"heartbeat {path} is {beat.age:.0f}s old (limit {max_age:.0f}s): the daemon is "
            "stuck or was stopped without a clean shutdown; see its log"
        )
    if beat.pid is not None and beat.host == socket.gethostname() and not _running(beat.pid):
        raise Unhealthy(
            f"the daemon that wrote {path} (pid {beat.pid}) is no longer running; see its log"
        )
    return beat
