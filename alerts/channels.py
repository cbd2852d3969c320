"""What every channel shares: the error a send raises, classified for the delivery ledger."""

from __future__ import annotations

import re


class DeliveryError(Exception):
    """A send failed. `permanent` failures are not retried; others are, with backoff."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Remove credentials from a message: configured secrets and user:pass@ in URLs."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return re.sub(r"(\w+://)[^/@\s:]+:[^/@\s]+@", r"\1***@", text)
