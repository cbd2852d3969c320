"""The one walk over the parsed tree: text blocks, and what each block's ancestors are.

Each block is a run of text between two block-level boundaries; it knows the block-level
elements above it (by index into the walker's element table), how much of it sits in links,
whether an ancestor is named like boilerplate, and a few other cues the later steps read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.extract.thresholds import MAX_WALK_DEPTH, MAX_WALK_ELEMENTS

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


class Walker:
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
