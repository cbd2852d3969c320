"""The extractor's cheap tests before its costly ones decide exactly as the costly ones alone.

Speed work on the extractor (see docs/extraction.md, "Accuracy and speed") put a cheap test in
front of several regular expressions and caches in front of others. Each must give the answer
the expression alone gives, on every input: these property tests compare the two on random
text built from the characters that matter (the words and symbols the expressions look for,
their capitals, the characters a case-blind match also takes: dotless i, long s, the Kelvin
sign) and on every line of the development set's pages.
"""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract import article_as_dict, choose, clean, extract, text, walk
from monitor.extract.decode import bound, page_input, parse

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


def _name_kind_by_every_window(names: str) -> int:
    """``walk._name_kind`` as it was first written: every run of one, two or three tokens."""
    low = names.lower()
    tokens = low.replace("_", " ").replace("-", " ").split()
    words = set(tokens)
    words.update(a + b for a, b in zip(tokens, tokens[1:]))  # noqa: B905
    words.update(a + b + c for a, b, c in zip(tokens, tokens[1:], tokens[2:]))  # noqa: B905
    if not walk._KEEP_WORDS.isdisjoint(words):
        return 2
    if not walk._EMBED_WORDS.isdisjoint(words):
        return 0
    if not walk._BOILER_WORDS.isdisjoint(words) or walk._BOILER_PREFIX.search(low):
        return 1
    return 0


# pieces of the listed words (their beginnings and ends, so that two or three tokens can spell
# one: "au-thor-bio"), capitals, separators and digits
_WORDS = sorted(walk._KEEP_WORDS | walk._EMBED_WORDS | walk._BOILER_WORDS)
_NAME_PIECES = sorted(
    {w[:i] for w in _WORDS for i in range(1, len(w))}
    | {w[i:] for w in _WORDS for i in range(1, len(w))}
    | set(_WORDS)
    | {"Author", "BIO", "x", "12", "post", "advert", "Sponsored"}
)
_SEPARATORS = ["-", "_", " ", "--", "__"]


@st.composite
def _split_word(draw: st.DrawFn) -> str:
    """A listed word spelt over one, two or three tokens ("author-bio", "about_the-author"),
    in either case, or a piece of one."""
    word = draw(st.sampled_from(_WORDS + _NAME_PIECES))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(word) - 1)), max_size=2)))
    parts = [word[i:j] for i, j in zip([0, *cuts], [*cuts, len(word)])]  # noqa: B905
    spelt = draw(st.sampled_from(_SEPARATORS)).join(p for p in parts if p)
    return spelt.upper() if draw(st.booleans()) and len(spelt) < 4 else spelt


names = st.lists(_split_word(), max_size=5).flatmap(
    lambda words: st.lists(
        st.sampled_from(_SEPARATORS), min_size=len(words), max_size=len(words)
    ).map(lambda seps: "".join(w + s for w, s in zip(words, seps)))  # noqa: B905
)


@given(names)
@settings(max_examples=2000, deadline=None)
def test_name_kind_agrees_with_every_window(name: str) -> None:
    walk._NAME_CACHE.clear()
    assert walk._name_kind(name) == _name_kind_by_every_window(name)


def _add_up_everywhere(
    values: list[int], parents: list[int], below: int = -1, top: int = -1
) -> None:
    """``choose.add_up`` without its ``top`` shortcut: every element, from the last one."""
    for idx in range(len(values) - 1, below, -1):
        if values[idx] and parents[idx] > below:
            values[parents[idx]] += values[idx]


@st.composite
def _tree_counts(draw: st.DrawFn) -> tuple[list[int], list[int], int, int]:
    """A tree in document order (each parent numbered before its children), counts on the
    elements up to ``top``, and a ``below``."""
    n = draw(st.integers(1, 40))
    parents = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n)]
    top = draw(st.integers(0, n - 1))
    values = [draw(st.integers(0, 9)) if i <= top else 0 for i in range(n)]
    return values, parents, draw(st.integers(-1, n - 1)), top


@given(_tree_counts())
@settings(max_examples=500, deadline=None)
def test_add_up_from_top_agrees_with_every_element(case) -> None:  # noqa: ANN001
    values, parents, below, top = case
    expected = list(values)
    _add_up_everywhere(expected, parents, below)
    choose.add_up(values, parents, below, top)
    assert values == expected


def test_subtree_sums_from_the_last_counted_element_agree_on_the_development_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """body_blocks and teaser_blocks start their subtree sums at the last element under the
    body that holds a block; on every page they decide as when summing over every element."""
    if not DEV.is_dir():
        pytest.skip("no development set")
    pages = sorted((DEV / "pages").glob("*.html.gz"))
    assert len(pages) > 100
    for path in pages:
        found = walk.walk(parse(bound(gzip.open(path).read().decode("utf-8"))).body)
        if not found.blocks:
            continue
        best, _scores, flags = choose.choose(found.blocks, found)
        if best < 0:
            continue
        fast = (
            choose.teaser_blocks(found.blocks, best, found.parents),
            clean.body_blocks(found.blocks, best, flags, found.parents, found.media),
        )
        with monkeypatch.context() as patched:
            patched.setattr(choose, "add_up", _add_up_everywhere)
            patched.setattr(clean, "add_up", _add_up_everywhere)
            slow = (
                choose.teaser_blocks(found.blocks, best, found.parents),
                clean.body_blocks(found.blocks, best, flags, found.parents, found.media),
            )
        assert fast == slow, path.name


_PAGE = (
    "<html><head><title>Über Käse</title></head><body><p>Der Käse reift – “gut”.</p></body></html>"
)


@pytest.mark.parametrize(
    "body, content_type, handed_on",
    [
        (_PAGE.encode(), None, True),
        (_PAGE.encode(), "text/html; charset=utf-8", True),
        (_PAGE.encode(), "text/html; charset=iso-8859-1", True),  # re-saved: read as UTF-8
        (codecs.BOM_UTF8 + _PAGE.encode(), None, False),  # the mark is not in the text
        (_PAGE.encode() + b"\xff\xfe", "text/html; charset=utf-8", False),  # replaced
        (_PAGE.encode("cp1252", "replace"), "text/html; charset=windows-1252", False),
        (_PAGE.encode("utf-16"), None, False),
        (_PAGE, None, False),
    ],
)
def test_page_bytes_go_to_the_parser_only_as_the_utf8_of_the_text(
    body: bytes | str, content_type: str | None, handed_on: bool
) -> None:
    text, raw = page_input(body, content_type)
    assert (raw is not None) == handed_on
    if raw is not None:
        assert raw == text.encode("utf-8")  # what Lexbor would have been given from the text


def test_pages_as_bytes_and_as_text_give_the_same_article() -> None:
    """The parser gets a page's own bytes when they are the UTF-8 of its text: every field of
    the Article is what the decoded text gives, on every development page."""
    if not DEV.is_dir():
        pytest.skip("no development set")
    pages = sorted((DEV / "pages").glob("*.html.gz"))
    assert len(pages) > 100
    handed_on = 0
    for path in pages:
        body = gzip.open(path).read()
        handed_on += page_input(body, None)[1] is not None
        from_bytes = article_as_dict(extract(body, "https://example.org/a"))
        from_text = article_as_dict(extract(body.decode("utf-8"), "https://example.org/a"))
        assert from_bytes == from_text, path.name
    assert handed_on == len(pages)


def test_the_parser_gets_what_bound_left_when_bound_changed_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page's bytes stand in for its text only while ``bound`` left the text alone."""
    from monitor.extract import extractor

    paragraphs = "".join(
        f"<p>Der Käse reift in der Höhle {i} Wochen lang, sagt die Forscherin aus Bern.</p>"
        for i in range(8)
    )
    page = f"<html><body><article>{paragraphs}</article></body></html>".encode()
    assert "Der Käse reift" in extract(page).text
    monkeypatch.setattr(extractor, "bound", lambda html: html.replace("Käse", "Brot"))
    assert "Der Brot reift" in extract(page).text
