"""Extraction stage: one HTML page in, its article text and metadata out (pure, no I/O).

``extract(html, url)`` decodes and bounds the page (``monitor.extraction.decode``), parses it once
with Lexbor, reads its metadata (``monitor.extraction.meta``) and walks the tree once into text
blocks.  Each block knows its block-level ancestors, so every element gets a score from the text
under it: prose counts for it, weighted by purity; link lists, teaser headlines, very short lines
and subtrees named like boilerplate (comment, share, related, ... in class or id) or acting like
it (forms with controls) count against it.  The best element is the article body; inside it,
lists of other stories, captions, trailing boxes (bio, comment prompt), the repeated headline,
datelines and the syndication footer are dropped.  No rule names a site.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser

from monitor.extraction import meta as m
from monitor.extraction.decode import bound, decode
from monitor.model import Article

__all__ = ["article_as_dict", "extract", "extract_text"]

# Elements whose whole subtree is never article text.
DROP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "canvas",
    "iframe",
    "object",
    "embed",
    "video",
    "audio",
    "map",
    "button",
    "select",
    "option",
    "input",
    "textarea",
    "label",
    "nav",
    "aside",
    "footer",
    "figure",
    "figcaption",
    "picture",
    "img",
    "head",
    "title",
    "meta",
    "link",
    "dialog",
    "menu",
}
# Elements that start a new block of text.
BLOCK_TAGS = {
    "html",
    "body",
    "div",
    "section",
    "article",
    "main",
    "header",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "address",
    "center",
    "hr",
    "form",
    "fieldset",
    "details",
    "summary",
    "hgroup",
}
MEDIA_TAGS = {"img", "picture", "figure", "video", "svg", "iframe", "canvas", "embed", "object"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
MAX_WALK_DEPTH = 250
MAX_WALK_ELEMENTS = 30_000

# Generic names sites give to non-article blocks, matched against the class/id tokens (split on
# spaces, "_" and "-", also joined in twos and threes: "author-bio" -> "authorbio").  These are
# words of the web's vocabulary, never one site's names.
_BOILER_WORDS = frozenset(
    """comment comments commentlist respond reply share sharing sharedaddy social socials related
    relatedposts newsletter subscribe subscription signup promo promotion ad ads adslot sidebar
    breadcrumb breadcrumbs crumbs cookie cookies consent gdpr popup modal overlay outbrain taboola
    authorbio abouttheauthor authorbox bio tag tags tagcloud taglist topics footer nav navbar
    navigation menu widget banner masthead disqus skip print toolbar rating morestories readmore
    mostpopular mostread trending teaser teasers byline dateline caption credit credits meta
    postmeta entrymeta articlemeta visuallyhidden sronly screenreadertext disclaimer
    pagination pager jumplink inlinerelated seealso alsoread furtherreading""".split()
)
_BOILER_PREFIX = re.compile(r"(?:^|[\s_-])(?:advert|sponsor|recommend|recirc)", re.IGNORECASE)
_KEEP_WORDS = frozenset(
    """articlebody postbody entrycontent postcontent articlecontent storybody maincontent
    bodytext articletext""".split()
)
_CONTROLS = {"input", "textarea", "select", "button"}
_FORMATTING = {"em", "strong", "b", "i", "u", "s", "mark", "q", "abbr", "code", "sub", "bdi", "bdo"}
_EMBED_WORDS = frozenset(("embed", "embedded", "tweet", "twittertweet", "instagrammedia"))
_CITE_NAME = re.compile(r"cit|ref|footnote|fn\b", re.IGNORECASE)
_CITE_MARK = re.compile(r"^\W*\d{1,3}(?:\W+\d{1,3})*\W*$")
_MD_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:#|[^()\s]{0,500})\)")
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class Block:
    """A run of text between two block-level boundaries, and what the walk knew about it."""

    text: str
    tag: str
    links: int  # characters of the text that sit inside <a>
    path: tuple[int, ...]  # indices of the block-level ancestors, outermost first
    flag: int  # index in ``path`` of the deepest boilerplate-named ancestor, -1 if none
    lead: bool = False  # the text opens with a link (a headline in a teaser)
    nlinks: int = 0  # number of links in the block


_CHROME_ROLES = {"navigation", "complementary", "contentinfo", "banner", "menu", "dialog", "alert"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_NAME_CACHE: dict[str, int] = {}  # class+id string -> 0 plain, 1 boilerplate-named, 2 body-named


def _name_kind(names: str) -> int:
    """0 for a plain class/id, 1 for a boilerplate name, 2 for an article-body name."""
    kind = _NAME_CACHE.get(names)
    if kind is None:
        tokens = names.lower().replace("_", " ").replace("-", " ").split()
        words = set(tokens)
        if len(tokens) > 1:
            words.update(map(str.__add__, tokens, tokens[1:]))
            if len(tokens) > 2:
                words.update(a + b + c for a, b, c in zip(tokens, tokens[1:], tokens[2:]))  # noqa: B905
        if not words.isdisjoint(_KEEP_WORDS):
            kind = 2
        elif not words.isdisjoint(_EMBED_WORDS):
            kind = 0  # content embedded in the article (a quoted post), even if "social"
        elif not words.isdisjoint(_BOILER_WORDS) or _BOILER_PREFIX.search(names):
            kind = 1
        else:
            kind = 0
        if len(_NAME_CACHE) > 50_000:
            _NAME_CACHE.clear()
        _NAME_CACHE[names] = kind
    return kind


class _Walker:
    """One pass over the parsed tree collecting text blocks and the block-element table."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tags: list[str] = []  # tag of each block element, by index
        self.keep: list[bool] = []  # element named like an article body
        self.flagged: list[bool] = []  # element named like boilerplate
        self.path: list[int] = []
        self.flag = -1  # path position of the deepest boilerplate-named element, -1 if none
        self.buf: list[str] = []
        self.links = 0
        self.in_link = 0
        self.lead: bool | None = None  # whether the block's first words are a link
        self.nlinks = 0
        self.h1: list[str] = []
        self.hrefs: list[str] = []  # links that may name a DOI, PubMed or registry record
        self.media: set[int] = set()  # elements with an image, video or figure as a child
        self.forms: list[int] = []  # open <form> elements still without a visible control
        self.budget = MAX_WALK_ELEMENTS  # elements entered; a real page enters a few thousand

    def flush(self) -> None:
        raw = "".join(self.buf)
        self.buf = []
        links, self.links = self.links, 0
        lead, self.lead = bool(self.lead), None
        nlinks, self.nlinks = self.nlinks, 0
        if "\x00" in raw:  # <br> line breaks
            lines = (" ".join(line.split()) for line in raw.split("\x00"))
            text = "\n".join(line for line in lines if line)
        else:
            text = " ".join(raw.split())
        if not text:
            return
        path = self.path
        tag = self.tags[path[-1]] if path else "body"
        self.blocks.append(
            Block(text, tag, min(links, len(text)), tuple(path), self.flag, lead, nlinks)
        )

    def walk(self, node, depth: int) -> None:
        self.budget -= 1
        if depth > MAX_WALK_DEPTH or self.budget < 0:
            return
        buf = self.buf
        in_link = self.in_link  # constant for the children of this node
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                text = child.text_content
                if text:
                    buf.append(text)
                    if in_link:
                        size = len(text.strip())
                        self.links += size
                        if self.lead is None and size:
                            self.lead = True
                    elif self.lead is None and not text.isspace():
                        self.lead = False
                continue
            if tag[0] == "-":
                continue
            if tag in DROP_TAGS:
                if tag in MEDIA_TAGS and self.path:
                    self.media.add(self.path[-1])
                elif tag in _CONTROLS and self.forms and self.forms[-1] >= 0:
                    if tag != "input" or child.attributes.get("type") != "hidden":
                        self.flagged[self.forms[-1]] = True
                        self.forms[-1] = -1  # found one; the form is a widget
                continue
            if tag == "br":
                # <br><br> ends a paragraph, a single <br> a line
                last = len(buf) - 1
                while last >= 0 and buf[last].isspace():
                    last -= 1
                if last >= 0 and buf[last] == "\x00":
                    del buf[last:]
                    self.flush()
                    buf = self.buf
                else:
                    buf.append("\x00")
                continue
            if tag in _FORMATTING:
                self.walk(child, depth + 1)  # <em>, <strong>...: nothing to learn from attributes
                buf = self.buf
                continue
            attrs = child.attributes
            kind = 0
            if attrs:
                if (
                    "hidden" in attrs
                    or attrs.get("aria-hidden") == "true"
                    or attrs.get("role") in _CHROME_ROLES
                ):
                    continue
                style = attrs.get("style")
                if style and _HIDDEN_STYLE.search(style):
                    continue
                cls = attrs.get("class")
                ident = attrs.get("id")
                if cls or ident:
                    kind = _name_kind(f"{cls or ''} {ident or ''}")
            if tag in BLOCK_TAGS:
                if buf:
                    self.flush()
                    buf = self.buf
                index = len(self.tags)
                self.tags.append(tag)
                if attrs and attrs.get("itemprop") == "articleBody":
                    kind = 2
                self.keep.append(kind == 2)
                self.flagged.append(kind == 1)
                self.path.append(index)
                saved_flag = self.flag
                if kind == 1:
                    self.flag = len(self.path) - 1
                if tag == "h1":
                    self.h1.append(child.text())
                if tag == "form":
                    # A form with visible controls (search, newsletter sign-up, comment box) is
                    # a widget; its text counts as boilerplate unless it holds most of the page.
                    self.forms.append(index)
                    form_start = len(self.blocks)
                    if kind != 2 and saved_flag < 0 and self.flag < 0:
                        self.flag = len(self.path) - 1
                self.walk(child, depth + 1)
                if tag == "form":
                    if self.forms.pop() < 0 and form_start:
                        # the widget's title just before it ("Leave a Comment")
                        before = self.blocks[form_start - 1]
                        if (
                            before.tag in HEADINGS
                            and len(before.text) < 80
                            and before.path[:-1] == tuple(self.path[:-1])
                        ):
                            del self.blocks[form_start - 1]
                if self.buf:
                    self.flush()
                buf = self.buf
                self.path.pop()
                self.flag = saved_flag
                continue
            if kind == 1 and len(child.text()) < 300:
                continue  # an inline caption, credit, share link...
            if tag == "a":
                if attrs:
                    href = attrs.get("href")
                    if href and ("10." in href or "pubmed" in href or "nct" in href.lower()):
                        self.hrefs.append(href)
                start, links, lead = len(buf), self.links, self.lead
                emitted = len(self.blocks)
                self.in_link += 1
                self.nlinks += 1
                self.walk(child, depth + 1)
                self.in_link -= 1
                buf = self.buf
                if len(self.blocks) == emitted and len(buf) > start and self.links - links <= 8:
                    inner = "".join(buf[start:])
                    if _CITE_MARK.match(inner) and inner.strip():
                        del buf[start:]  # a numbered reference: [12], 3, 4-6
                        self.links, self.lead = links, lead
                        self.nlinks -= 1
            elif tag == "sup" or (attrs and _CITE_NAME.search(attrs.get("class") or "")):
                start, emitted = len(buf), len(self.blocks)
                self.walk(child, depth + 1)
                buf = self.buf
                if (
                    len(self.blocks) == emitted
                    and len(buf) > start
                    and _CITE_MARK.match("".join(buf[start:]))
                ):
                    # a citation marker: <sup>12</sup>, <span class="citation">3,4</span>
                    del buf[start:]
            else:
                self.walk(child, depth + 1)
                buf = self.buf


def _clean_title(title: str) -> str:
    return " ".join(title.split())


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _choose(
    blocks: list[Block], walker: _Walker, demote: set[int] | frozenset[int] = frozenset()
) -> tuple[int, list[float], list[int]]:
    """Pick the element whose subtree holds the most prose and the least boilerplate.

    Returns the element index, every element's score and, per block, the path position of its
    deepest boilerplate-named ancestor that counts (-1 if none).  A boilerplate name on an
    element holding most of the page's text (a ``<body class="... tag-x">``) does not count.
    """
    n_elems = len(walker.tags)
    total = [0] * n_elems
    for b in blocks:
        size = len(b.text)
        for idx in b.path:
            total[idx] += size
    page_total = max(total, default=0)
    flagged = [f and total[i] < 0.5 * page_total for i, f in enumerate(walker.flagged)]
    good = [0.0] * n_elems
    bad = [0.0] * n_elems
    tainted = [False] * n_elems
    deepest_flags: list[int] = []
    for i, b in enumerate(blocks):
        n = len(b.text)
        link_density = b.links / n
        if i in demote:
            value, is_good = n, False
        elif link_density > 0.5:
            # a link: teaser headlines in particular mark a list of other stories
            value, is_good = n + (250 if b.tag in HEADINGS else 30), False
        else:
            size = n if n >= 80 else _weight(b.text)  # CJK lines are short but full
            if size < 25 and b.tag not in HEADINGS:
                value, is_good = n * 0.5, False
            else:
                value, is_good = n * (1.0 - link_density), True
                if size < 80:
                    value *= 0.5
        path = b.path
        deepest = -1
        if b.flag >= 0:
            shallowest = -1
            for pos, idx in enumerate(path):
                if flagged[idx]:
                    deepest = pos
                    if shallowest < 0:
                        shallowest = pos
            if shallowest >= 0:
                for idx in path[shallowest:]:
                    tainted[idx] = True
        deepest_flags.append(deepest)
        if not is_good:
            for idx in path:
                bad[idx] += value
        elif deepest < 0:
            for idx in path:
                good[idx] += value
        else:
            for pos, idx in enumerate(path):
                if deepest <= pos:
                    good[idx] += value
                else:
                    bad[idx] += n
    best, best_score = -1, 0.0
    scores = [0.0] * n_elems
    keep = walker.keep
    for idx in range(n_elems):
        g = good[idx]
        score = g * g / (g + bad[idx]) if g > 0 else 0.0  # prose, weighted by its purity
        if keep[idx]:
            score *= 1.1
        if tainted[idx]:
            score *= 0.1
        scores[idx] = score
        if score > best_score:
            best, best_score = idx, score
    return best, scores, deepest_flags


def _weight(text: str) -> int:
    """Length of a text in Latin-letter equivalents: a CJK character carries about as much as
    three Latin letters, so thresholds in characters hold for both."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace")) * 2 // 3


def _teaser_blocks(blocks: list[Block], best: int) -> tuple[set[int], float]:
    """Blocks under ``best`` that belong to teasers for other stories (a linked headline and
    the short summary after it), and the share of ``best``'s text they hold."""
    found: set[int] = set()
    total = teaser = 0
    after_head: tuple[int, ...] | None = None
    followers = heads = 0
    sizes: dict[int, int] = {}
    for b in blocks:
        if best in b.path:
            size = len(b.text)
            for idx in b.path:
                sizes[idx] = sizes.get(idx, 0) + size
    for i, b in enumerate(blocks):
        if best not in b.path:
            continue
        size = _weight(b.text)
        total += size
        if _is_headline_link(b):
            found.add(i)
            teaser += size
            heads += 1
            # its summary counts too when the two sit in a card of their own
            parent = b.path[-2] if len(b.path) > 1 else best
            small = parent != best and sizes.get(parent, 0) < 0.3 * sizes.get(best, 1)
            after_head = b.path[:-1] if small else None
            followers = 0
        elif (
            after_head is not None
            and followers < 2
            and size < 400
            and b.path[: len(after_head)] == after_head
        ):
            found.add(i)  # a byline, date or summary under the headline
            teaser += size
            followers += 1
        else:
            after_head = None
    if heads < 3:  # one or two linked lines do not make a list of stories
        return found, 0.0
    return found, (teaser / total if total else 0.0)


def _is_headline_link(b: Block) -> bool:
    """A block that is, or opens with, a linked line of headline size: a teaser's title."""
    n = len(b.text)
    if b.nlinks > 2 or b.links < 15:
        return False  # a row of share buttons or a link list, not one headline
    return (n <= 200 and b.links > 0.5 * n) or (b.lead and b.links <= 200)


def _teaser_lists(inside: list[tuple[Block, int]], best: int) -> set[int]:
    """Elements under ``best`` that hold lists of other stories: three or more linked
    headlines with little prose per headline (cards of related stories, "more" boxes)."""
    heads: dict[int, int] = {}
    prose: dict[int, int] = {}
    for b, _ in inside:
        pos = b.path.index(best)
        if _is_headline_link(b):
            for idx in b.path[pos + 1 :]:
                heads[idx] = heads.get(idx, 0) + 1
        else:
            plain = _weight(b.text) - b.links
            for idx in b.path[pos + 1 :]:
                prose[idx] = prose.get(idx, 0) + plain
    # Never the bulk of the body: a list of stories is an appendix to an article.
    body_prose = sum(len(b.text) - b.links for b, _ in inside)
    return {
        idx
        for idx, count in heads.items()
        if count >= 3 and prose.get(idx, 0) < min(400 * count, 0.5 * body_prose)
    }


def _body_blocks(
    blocks: list[Block],
    best: int,
    deepest_flags: list[int],
    media: set[int] | frozenset[int] = frozenset(),
    keep_teasers: bool = False,
) -> list[Block]:
    """The blocks under ``best`` minus boilerplate subtrees inside it."""
    inside = [(b, f) for b, f in zip(blocks, deepest_flags, strict=True) if best in b.path]
    if not inside:
        return []
    # Per descendant element: total characters and link characters below it.
    total: dict[int, int] = {}
    links: dict[int, int] = {}
    for b, _ in inside:
        pos = b.path.index(best)
        for idx in b.path[pos + 1 :]:
            total[idx] = total.get(idx, 0) + len(b.text)
            links[idx] = links.get(idx, 0) + b.links
    body_total = sum(len(b.text) for b, _ in inside) or 1
    teasers = set() if keep_teasers else _teaser_lists(inside, best)
    if keep_teasers:
        media = frozenset()  # a digest's items are boxes with an image too
    kept = [
        _keep_in_body(b, flag, best, total, links, body_total, teasers, media) for b, flag in inside
    ]
    out = [b for (b, _), keep in zip(inside, kept, strict=True) if keep]
    return _drop_trailing_boxes(out, best)


def _drop_trailing_boxes(body: list[Block], best: int) -> list[Block]:
    """When one child of the body element holds most of its text (the article's own
    container), small boxes after it (an author bio, a comment prompt, a sign-up box) are
    appendices of the page, not of the article.  Looked at down to a few levels."""
    level = best
    for _ in range(4):
        sizes: dict[int, int] = {}
        counts: dict[int, int] = {}
        boxes: set[int] = set()  # children with elements of their own inside
        order: list[int] = []
        for b in body:
            if level not in b.path:
                continue
            pos = b.path.index(level)
            child = b.path[pos + 1] if len(b.path) > pos + 1 else level
            if child not in sizes:
                order.append(child)
                sizes[child] = counts[child] = 0
            sizes[child] += len(b.text) - b.links
            counts[child] += 1
            if len(b.path) > pos + 2:
                boxes.add(child)
        total = sum(sizes.values())
        if not total:
            break
        main = max(order, key=sizes.__getitem__)
        if main == level or counts[main] < 3 or sizes[main] < 0.7 * total:
            break
        after = order[order.index(main) + 1 :]
        small = {c for c in after if c in boxes and sizes[c] < 0.4 * sizes[main]}
        if small:
            body = [b for b in body if small.isdisjoint(b.path)]
        level = main
    return body


def _keep_in_body(
    b: Block,
    flag: int,
    best: int,
    total: dict[int, int],
    links: dict[int, int],
    body_total: int,
    teasers: set[int],
    media: set[int] | frozenset[int],
) -> bool:
    pos = b.path.index(best)
    if flag > pos:
        return False  # under a boilerplate-named element
    n = len(b.text)
    if b.links / n > 0.5 and not (n > 200 and b.links / n < 0.8):
        return False
    own = b.path[-1]
    for idx in b.path[pos + 1 :]:
        if idx in teasers:
            return False
        t = total[idx]
        if idx != own and t < 0.5 * body_total and links[idx] > 0.45 * t and t > 0:
            return False  # inside a link list (the block itself was judged above)
    if media and n < 300 and b.tag not in HEADINGS:
        # a caption or credit: short text in a small box that also holds an image
        for idx in b.path[-1:-3:-1]:
            if idx in media and idx != best and total.get(idx, 0) < 400:
                return False
    return True


def _format(blocks: list[Block]) -> str:
    parts: list[str] = []
    prev_li = False
    for b in blocks:
        text = _MD_LINK.sub(r"\1", b.text)
        is_li = b.tag in ("li", "dd", "dt")
        if parts:
            parts.append("\n" if (is_li and prev_li) else "\n\n")
        parts.append(text)
        prev_li = is_li
    return "".join(parts)


def _title(meta: m.Meta, h1: list[str]) -> str:
    candidates = [
        meta.first("og:title", "twitter:title", "citation_title", "dc.title"),
        m.ld_text(meta.ld("headline")),
    ]
    h1_texts = [_clean_title(t) for t in h1 if t and t.strip()]
    tag = meta.title_tag
    for text in h1_texts:
        key = _norm(text)
        if key and any(c and key in _norm(c) for c in (*candidates, tag)):
            return text
    for cand in candidates:
        if cand:
            return _clean_title(cand)
    if h1_texts:
        return h1_texts[0]
    return _title_from_tag(tag)


def _title_from_tag(tag: str) -> str:
    """The longest piece of a ``<title>`` split at its separators ("Story | Site")."""
    if not tag:
        return ""
    pieces = re.split(r"\s+[|–—·•:-]\s+|:\s+", tag)
    return max(pieces, key=len).strip()


def _language(meta: m.Meta) -> str | None:
    for value in (
        meta.lang,
        meta.first("og:locale", "content-language", "dc.language", "language"),
        m.ld_text(meta.ld("inLanguage")),
    ):
        if value:
            code = re.split(r"[-_,;\s]", value.strip())[0].lower()
            if re.fullmatch(r"[a-z]{2,3}", code):
                return code
    return None


_DATE_NAMES = (
    "article:published_time",
    "og:published_time",
    "citation_publication_date",
    "citation_online_date",
    "citation_date",
    "dc.date.issued",
    "dc.date",
    "date",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
    "datepublished",
)


def _published(meta: m.Meta, tree: LexborHTMLParser) -> datetime | None:
    """The first publication date that parses, from JSON-LD, meta tags, then ``<time>``."""
    values = [m.ld_text(meta.ld("datePublished")), *meta.all(*_DATE_NAMES)]
    values.append(m.ld_text(meta.ld("dateCreated")))
    for value in values:
        parsed = m.parse_date(value)
        if parsed:
            return parsed
    node = tree.css_first("time[datetime]")
    if node is not None:
        return m.parse_date(node.attributes.get("datetime"))
    return None


def _authors(meta: m.Meta) -> list[str]:
    names = m.ld_names(meta.ld("author"))
    if not names:
        names = meta.all(
            "citation_author", "dc.creator", "author", "article:author", "parsely-author"
        )
        names = [n for n in names if not n.startswith("http")]
    out: list[str] = []
    for name in names:
        name = " ".join(name.split())
        if name and len(name) < 120 and name not in out:
            out.append(name)
    return out


def _ld_body(meta: m.Meta) -> str:
    body = meta.ld("articleBody")
    if isinstance(body, list):
        body = " ".join(x for x in body if isinstance(x, str))
    if not isinstance(body, str):
        return ""
    if "<" in body and ">" in body:
        try:
            body = LexborHTMLParser(body).text(separator="\n")
        except Exception:  # noqa: BLE001
            return ""
    return body.strip()


def article_as_dict(article: Article) -> dict:
    """The Article as JSON-ready values (datetimes in ISO 8601), for ``monitor extract --json``."""
    out = dataclasses.asdict(article)
    if article.published is not None:
        out["published"] = article.published.isoformat()
    return out


def extract(html: str | bytes, url: str | None = None) -> Article:
    """Extract the article text and metadata of one page; never raises."""
    try:
        return _extract(html, url)
    except Exception as exc:  # noqa: BLE001 - the worker must never die on one page
        return Article(reason=f"extraction failed: {type(exc).__name__}")


def extract_text(html: str | bytes, url: str | None = None) -> str:
    """Just the article text of one page ("" when there is none)."""
    return extract(html, url).text


def _extract(html: str | bytes, url: str | None) -> Article:
    text_html = decode(html)
    if not text_html or not text_html.strip():
        return Article(reason="page is empty")
    text_html = bound(text_html)
    tree = LexborHTMLParser(text_html)
    meta = m.read_meta(tree)

    walker = _Walker()
    root = tree.body if tree.body is not None else tree.root
    if root is not None:
        walker.walk(root, 0)
        walker.flush()
    title = _title(meta, walker.h1)
    article = _metadata(meta, tree, url)
    article.title = title

    blocks = walker.blocks
    text = ""
    listing = digest = False
    if blocks:
        best, _scores, flags = _choose(blocks, walker)
        if best >= 0:
            teasers, share = _teaser_blocks(blocks, best)
            if share > 0.6:
                # The best element is a list of other stories; look again without them.
                first, first_flags = best, flags
                best, _scores, flags = _choose(blocks, walker, teasers)
                if best >= 0 and _teaser_blocks(blocks, best)[1] > 0.6:
                    best = -1
                if best < 0 or sum(len(b.text) for b in blocks if best in b.path) < 500:
                    if _declares_article(meta):
                        # nothing else on a page that says it is an article: the list is the
                        # article (a digest of linked items)
                        best, flags, digest = first, first_flags, True
                    else:
                        listing = True
        if best >= 0:
            body = _body_blocks(blocks, best, flags, walker.media, keep_teasers=digest)
            if title and not walker.h1 and title == _title_from_tag(meta.title_tag):
                # Only the <title> named the page: its headline is the first short line of the
                # body that the <title> contains (without the site name around it).
                tag_key = _norm(meta.title_tag)
                for b in body[:3]:
                    key = _norm(b.text)
                    if 15 <= len(b.text) <= 200 and key and key in tag_key:
                        title = article.title = b.text
                        break
            body = _trim(body, title)
            ld_body = _ld_body(meta)
            if ld_body:
                body = _agree_with_ld(body, ld_body)
            text = _format(body)
    if len(text) < 150 and not _looks_like_prose(text):
        ld_body = _ld_body(meta)
        if len(ld_body) > len(text):
            text = ld_body
    if listing and len(text) < 500:
        article.reason = "not an article page: a listing of links to other stories"
        text = ""
    elif not text:
        article.reason = "not an article page: no main text found"
    elif len(text) < 200 and not _looks_like_prose(text):
        article.reason = "not an article page: too little text"
        text = ""
    article.text = text

    # Identifiers: the page's visible text, links to DOIs/PubMed/registries, and metadata.
    page_text = "\n".join(b.text for b in blocks)
    meta_text = "\n".join(v for vs in meta.props.values() for v in vs)
    article.doi, article.nct, article.pmid = m.find_identifiers(
        "\n".join((page_text, meta_text, *walker.hrefs)), []
    )
    doi_meta = meta.first("citation_doi", "dc.identifier", "prism.doi")
    if doi_meta:
        cleaned = m._clean_doi(doi_meta.lower().removeprefix("doi:").strip())
        if cleaned and cleaned not in article.doi:
            article.doi.insert(0, cleaned)
    article.journal = _journal(meta, article) or m.journal_from_text(text)
    return article


def _metadata(meta: m.Meta, tree: LexborHTMLParser, url: str | None) -> Article:
    """An Article holding the page's metadata (everything but title, text and identifiers)."""
    article = Article()
    canonical = meta.canonical or meta.first("og:url")
    article.canonical_url = m.absolute(canonical, url) or m.absolute(url, None)
    article.language = _language(meta)
    image = meta.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
    article.lead_image = m.absolute(image or m.ld_text(meta.ld("image")), url or meta.canonical)
    article.site_name = meta.first(
        "og:site_name", "application-name", "citation_publisher"
    ) or m.ld_text(meta.ld("publisher"))
    article.description = meta.first(
        "description", "og:description", "twitter:description"
    ) or m.ld_text(meta.ld("description"))
    article.published = _published(meta, tree)
    article.authors = _authors(meta)
    return article


def _agree_with_ld(body: list[Block], ld_body: str) -> list[Block]:
    """When the page's JSON-LD ``articleBody`` is a complete copy of the article (about as
    long as the text found in the page), drop the blocks it does not contain: the publisher
    itself says they are not part of the article."""
    found = sum(len(b.text) for b in body)
    if not found or not 0.7 <= len(ld_body) / found <= 1.5:
        return body
    vocabulary = set(_WORD.findall(ld_body.lower()))
    kept: list[Block] = []
    for b in body:
        words = _WORD.findall(b.text.lower())
        if words and sum(w in vocabulary for w in words) >= 0.8 * len(words):
            kept.append(b)
    # a copy that shares little with the page is a different text, not a better one
    return kept if sum(len(b.text) for b in kept) >= 0.7 * found else body


_PERIODICAL_KINDS = ("periodical", "publicationissue", "publicationvolume")


def _journal(meta: m.Meta, article: Article) -> str | None:
    """The journal named by the page's metadata (scholarly meta tags, JSON-LD isPartOf)."""
    name = meta.first("citation_journal_title", "citation_conference_title")
    if name:
        return name
    # prism.publicationName names the site itself on magazines; trust it beside a DOI only
    prism = meta.first("prism.publicationname")
    if prism and meta.first("citation_doi", "prism.doi") and prism != article.site_name:
        return prism
    part = meta.ld("isPartOf")
    for item in part if isinstance(part, list) else [part]:
        if isinstance(item, dict):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.lower() in _PERIODICAL_KINDS for k in kinds):
                return m.ld_text(item.get("name"))
    return None


_ARTICLE_KINDS = ("article", "posting")


def _declares_article(meta: m.Meta) -> bool:
    """The page's metadata calls it an article (og:type, JSON-LD *Article / *Posting)."""
    if (meta.first("og:type") or "").lower() == "article":
        return True
    for obj in meta.jsonld:
        kind = obj.get("@type")
        for k in kind if isinstance(kind, list) else [kind]:
            if isinstance(k, str) and k.lower().endswith(_ARTICLE_KINDS):
                return True
    return False


def _looks_like_prose(text: str) -> bool:
    sentences = re.findall(r"[^.!?。]{30,}[.!?。]", text)
    return len(sentences) >= 2


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
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:[.!?:;…。！？]|[^\W\d][\"”’»)\]])[\"”’»)\]]*$")
_REFERENCE = re.compile(r"https?://|\bwww\.\w|\bdoi\b|\b10\.\d{4,9}/", re.IGNORECASE)
_LABEL = re.compile(r"^\W{0,3}\w+(?: \w+){0,2}\W{0,3}:\W")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


_KEEP_SHORT = HEADINGS | {"li", "td", "th", "dd", "dt", "pre"}


def _is_dateline(text: str) -> bool:
    """A short line that is mostly a date or time: a dateline, "Published ...", "Updated ..."."""
    if len(text) > 120 or text[0] in "—–" or not _DATE_IN_LINE.search(text):
        return False
    words = _WORD.findall(text)
    return len(words) <= 16 and not (len(words) >= 5 and text.endswith("."))


def _trim(blocks: list[Block], title: str) -> list[Block]:
    """Drop page furniture left inside the body: the repeated headline, date and byline lines,
    copyright notices, one-word labels, and short unpunctuated lines at the body's edges."""
    key = _norm(title)
    out: list[Block] = []
    last = len(blocks) - 1
    for i, b in enumerate(blocks):
        text = b.text
        if key and b.tag != "li" and len(text) < len(title) + 80:
            norm = _norm(text)
            if norm == key or (i < 3 and key in norm):
                continue  # the headline again, alone or in a breadcrumb trail
        if len(text) < 200 and _COPYRIGHT.search(text):
            continue
        if (i < 3 or i > last - 3) and _is_dateline(text):
            continue
        if i < 3 and "\n" in text:
            first, rest = text.split("\n", 1)
            if _is_dateline(first):
                b = Block(rest, b.tag, b.links, b.path, b.flag, b.lead, b.nlinks)
        if len(text) < 30 and b.tag not in _KEEP_SHORT and len(_WORD.findall(text)) <= 1:
            continue
        out.append(b)

    def edge_junk(b: Block) -> bool:
        return len(b.text) < 50 and not _SENTENCE_END.search(b.text) and b.tag not in _KEEP_SHORT

    def footer_like(b: Block) -> bool:
        """Syndication footers: copyright notices, reference and citation lines."""
        text = b.text
        if len(text) > 1500:
            return False
        if len(text) < 600 and _COPYRIGHT.search(text):
            return True
        return bool(_LABEL.match(text) and (_REFERENCE.search(text) or _YEAR.search(text)))

    end = len(out)
    dropped = 0
    while end > 0 and dropped < 6:
        b = out[end - 1]
        if footer_like(b) or (dropped < 4 and edge_junk(b)):
            end -= 1
            dropped += 1
        else:
            break
    start = 0
    while start < min(end, 2) and edge_junk(out[start]):
        start += 1
    return out[start:end]
