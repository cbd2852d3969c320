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


_SENTENCE = re.compile(r"[^.!?。]{30,}[.!?。]")


def looks_like_prose(text: str) -> bool:
    """At least two sentences of some length."""
    return len(_SENTENCE.findall(text)) >= 2


_MONTHS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janv|févr|mars|avr|mai|juin|juil|août|sept"
    r"|déc|januar|februar|märz|juni|juli|oktober|dezember|janeiro|fevereiro|março|abril|maio|junho"
    r"|julho|agosto|setembro|outubro|novembro|dezembro|gennaio|febbraio|marzo|aprile|maggio"
    r"|giugno|luglio|settembre|ottobre|dicembre"
)
_DATE_IN_LINE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:"
    + _MONTHS
    + r")[a-zé]*\.?\s+\d{1,2}\b|\b\d{1,2}\.?\s+(?:"
    + _MONTHS
    + r")|\b(?:19|20)\d{2}\b.*\b\d{1,2}:\d{2}\b|\d+\s+(?:hours?|minutes?|days?)\s+ago",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")


def is_dateline(text: str) -> bool:
    """A short line that is mostly a date or time: a dateline, "Published ...", "Updated ..."."""
    if len(text) > 120 or text[0] in "—–" or not _DIGIT.search(text):
        return False  # every form of a date has a digit; most lines have none (cheap test first)
    if not _DATE_IN_LINE.search(text):
        return False
    words = WORD.findall(text)
    return len(words) <= 16 and not (len(words) >= 5 and text.endswith("."))
