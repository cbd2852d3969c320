"""Generic webhook channel: the digest's JSON (the `digest --format json` shape) as a POST.

Every POST carries an `Idempotency-Key` header, "<digest id>:<part>", the same on every retry
of that delivery, so a receiver that got a request whose answer timed out can recognise the
copy; the JSON keeps its `digest_id` too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from alerts import http, render
from alerts.channels import Outcome
from monitor.config import ChannelConfig
from monitor.model import Digest
from storage.ledger import Part

TARGET = "webhook"


def idempotency_key(digest_id: str | None, part: int = 1) -> str:
    return f"{digest_id}:{part}"


def plan(channel: ChannelConfig, digest: Digest) -> list[Part]:
    return [Part(TARGET)]


def send(
    channel: ChannelConfig,
    digest: Digest,
    parts: list[Part],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[Part, Outcome]]:
    payload = render.to_dict(digest)
    for part in parts:
        headers = {k: v for k, v in channel.headers.items() if k.lower() != "idempotency-key"}
        headers["Idempotency-Key"] = idempotency_key(digest.digest_id, part.index)
        yield (
            part,
            http.post(
                channel.url or "",
                payload,
                secrets=channel.secrets(),
                sleep=sleep,
                headers=headers,
                retry_after_max=channel.retry_after_max,
            ),
        )
