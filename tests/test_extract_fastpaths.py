"""The extractor's cheap tests before its costly ones decide exactly as the costly ones alone.

Speed work on the extractor (see docs/extraction.md, "Accuracy and speed") put a cheap test in
front of several regular expressions and caches in front of others. Each must give the answer
the expression alone gives, on every input: these property tests compare the two on random
text built from the characters that matter (the words and symbols the expressions look for,
their capitals, the characters a case-blind match also takes: dotless i, long s, the Kelvin
sign) and on every line of the development set's pages.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract import clean, text, walk
from monitor.extract.decode import bound, parse

DEV = Path(__file__).resolve().parents[2] / "shared" / "extraction"

_PIECES = [
    "copyright", "Copyright", "COPYRIGHT", "copyrıght", "all rights reserved",
    "All Rights Reserved", "all riGhts reſerved", "(c) 2024", "(C)  1999", "(c)", "©",
    "ıı", "ſ", "\u212a", "İ", " ", "\n", "\xa0", "12", "3", "2024", "May 3", "3 mai",
    "10:45", "2 hours ago", "12.03.2024", "Published", "Jan", "März", "cit", "ref", "fn",
    "footnote", "CITATION", "[", "](", "](#)", "[word](#)", ")", "é", "a", "word", "-", "_",
    "9", "May 9", "99", "\u0663", "Mai \u0669",
]  # fmt: skip
texts = st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=12).map("".join)


def _dev_lines() -> list[str]:
    if not DEV.is_dir():
        return []
    lines: list[str] = []
    for row in (DEV / "truth.jsonl").open(encoding="utf-8"):
        page_id = json.loads(row)["id"]
        html = gzip.open(DEV / "pages" / f"{page_id}.html.gz").read().decode("utf-8")
        lines.extend(b.text for b in walk.walk(parse(bound(html)).body).blocks)
    return lines


@given(texts)
@settings(max_examples=3000, deadline=None)
def test_copyright_prefilter_agrees_with_the_regex(line: str) -> None:
    assert clean._copyright(line) == bool(clean._COPYRIGHT.search(line))


def _dateline_by_regex(line: str) -> bool:
    """``text.is_dateline`` as it was before its digit test."""
    if len(line) > 120 or line[0] in "—–" or not text._DATE_IN_LINE.search(line):
        return False
    words = text.WORD.findall(line)
    return len(words) <= 16 and not (len(words) >= 5 and line.endswith("."))


@given(texts)
@settings(max_examples=3000, deadline=None)
def test_dateline_digit_test_agrees_with_the_regex(line: str) -> None:
    if line:
        assert text.is_dateline(line) == _dateline_by_regex(line)


@given(texts)
@settings(max_examples=2000, deadline=None)
def test_cite_class_cache_agrees_with_the_regex(cls: str) -> None:
    walk._CITE_CACHE.clear()
    first = walk._cite_named(cls)
    assert first == walk._cite_named(cls) == bool(cls and walk._CITE_NAME.search(cls))


@given(texts)
@settings(max_examples=2000, deadline=None)
def test_markdown_link_test_agrees_with_the_regex(line: str) -> None:
    # format_blocks substitutes only when "](" is there: the pattern cannot match without it
    assert ("](" in line) or not text.MD_LINK.search(line)


@pytest.mark.skipif(not DEV.is_dir(), reason="../shared/extraction not present")
def test_fast_paths_agree_on_every_line_of_the_development_set() -> None:
    lines = _dev_lines()
    assert len(lines) > 5000
    for line in lines:
        assert clean._copyright(line) == bool(clean._COPYRIGHT.search(line)), line
        assert text.is_dateline(line) == _dateline_by_regex(line), line
        assert ("](" in line) or not text.MD_LINK.search(line), line
