"""Small text helpers shared by the extraction steps."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")
MD_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:#|[^()\s]{0,500})\)")


def norm(text: str) -> str:
    """Lower-case words only: the key under which two spellings of one line compare equal."""
    return " ".join(WORD.findall(text.lower()))


def weight(text: str) -> int:
    """Length of a text in Latin-letter equivalents: a CJK character carries about as much as
    three Latin letters, so thresholds in characters hold for both."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace")) * 2 // 3


def looks_like_prose(text: str) -> bool:
    """At least two sentences of some length."""
    sentences = re.findall(r"[^.!?。]{30,}[.!?。]", text)
    return len(sentences) >= 2
