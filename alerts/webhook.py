"""Generic webhook channel: the digest's JSON (the `digest --format json` shape) as a POST."""

from __future__ import annotations

import time
from collections.abc import Callable

from alerts import render
from alerts.slack import post
from monitor.config import ChannelConfig
from monitor.model import Digest


def send(
    channel: ChannelConfig, digest: Digest, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    post(
        channel.url or "",
        render.to_dict(digest),
        secrets=channel.secrets(),
        sleep=sleep,
        headers=channel.headers,
    )
