"""Slack channel: Block Kit messages to an incoming webhook, one ledger part per message.

A digest too long for one message is split into parts ("part i of n" in each message's
context block). Each part is recorded as soon as Slack accepts it, so when part 2 keeps
failing only part 2 is sent again later, with the same digest id and the same content.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from alerts import http, render
from alerts.channels import Outcome
from monitor.config import ChannelConfig
from monitor.model import Digest
from storage.ledger import Part

TARGET = "slack"


def plan(channel: ChannelConfig, digest: Digest) -> list[Part]:
    messages = render.slack_parts(digest)
    return [
        Part(TARGET, i, len(messages), story_ids=ids, payload=json.dumps(message))
        for i, (ids, message) in enumerate(messages, 1)
    ]


def send(
    channel: ChannelConfig,
    digest: Digest,
    parts: list[Part],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[Part, Outcome]]:
    fresh = None  # rendered now only for a part planned without its payload
    for part in parts:
        if part.payload:
            message = json.loads(part.payload)
        else:
            fresh = fresh or render.slack_messages(digest)
            message = fresh[min(part.index, len(fresh)) - 1]
        outcome = http.post(
            channel.webhook_url or "",
            message,
            secrets=channel.secrets(),
            sleep=sleep,
            retry_after_max=channel.retry_after_max,
        )
        yield part, outcome
        if outcome.retry_after is not None and outcome.retry_after > http.IN_RUN_WAIT_MAX:
            return  # rate limited: the other parts wait with this one
