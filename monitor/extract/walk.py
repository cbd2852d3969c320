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
_BOILER_PREFIX = re.compile(r"(?:^|[\s_-])(?:advert|sponsor|recommend|recirc)")  # lower-case
_KEEP_WORDS = frozenset(
    """articlebody postbody entrycontent postcontent articlecontent storybody maincontent
    bodytext articletext""".split()
)
_CONTROLS = {"input", "textarea", "select", "button"}
_FORMATTING = {"em", "strong", "b", "i", "u", "s", "mark", "q", "abbr", "code", "sub", "bdi", "bdo"}
_EMBED_WORDS = frozenset(("embed", "embedded", "tweet", "twittertweet", "instagrammedia"))
_CITE_NAME = re.compile(r"cit|ref|footnote|fn\b", re.IGNORECASE)
_CITE_CACHE: dict[str, bool] = {}


def _cite_named(cls: str | None) -> bool:
    """The class names a citation marker ("citation", "ref", "footnote"); cached per class."""
    if not cls:
        return False
    found = _CITE_CACHE.get(cls)
    if found is None:
        if len(_CITE_CACHE) > 50_000:
            _CITE_CACHE.clear()
        found = _CITE_CACHE[cls] = bool(_CITE_NAME.search(cls))
    return found


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
    emph: bool = False  # all of the text is in <em>, <i>, <small> or <cite> (a note, a credit)
    prose: bool | None = None  # whether it reads as a paragraph (appendix.is_prose), once known


_CHROME_ROLES = frozenset(
    ("navigation", "complementary", "contentinfo", "banner", "menu", "dialog", "alert")
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_NAME_CACHE: dict[str, int] = {}  # class+id string -> 0 plain, 1 boilerplate-named, 2 body-named


def _name_kind(names: str) -> int:
    """0 for a plain class/id, 1 for a boilerplate name, 2 for an article-body name."""
    low = names.lower()
    tokens = low.replace("_", " ").replace("-", " ").split()
    words: set[str] | list[str] = tokens
    if len(tokens) > 1 and not _HEADS.isdisjoint(tokens):
        # a word of the lists spread over two or three tokens: "author-bio" -> "authorbio"
        words = set(tokens)
        pairs = list(map(str.__add__, tokens, tokens[1:]))
        words.update(pairs)
        if len(tokens) > 2:
            # a three-token word starts with a two-token beginning of a word
            words.update([ab + c for ab, c in zip(pairs, tokens[2:]) if ab in _HEADS])  # noqa: B905
    if _LISTED.isdisjoint(words):
        kind = 1 if _BOILER_PREFIX.search(low) else 0
    elif not _KEEP_WORDS.isdisjoint(words):
        kind = 2
    elif not _EMBED_WORDS.isdisjoint(words):
        kind = 0  # content embedded in the article (a quoted post), even if "social"
    else:
        kind = 1  # a boilerplate word
    if len(_NAME_CACHE) > 50_000:
        _NAME_CACHE.clear()
    _NAME_CACHE[names] = kind
    return kind


_LISTED = _KEEP_WORDS | _EMBED_WORDS | _BOILER_WORDS
# the proper beginnings of every word of the lists: a token that is none of them cannot start
# a word spread over several tokens
_HEADS = frozenset(
    word[:i] for word in _KEEP_WORDS | _EMBED_WORDS | _BOILER_WORDS for i in range(1, len(word))
)


_HIDING = frozenset(("hidden", "aria-hidden", "role", "style"))


def _hidden(attrs: dict) -> bool:
    """The element is hidden from readers, or is a navigation/banner/... landmark."""
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    if attrs.get("role") in _CHROME_ROLES:
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


# What the walk does with each tag (anything else is an inline element that is looked into).
# Numbered so that one comparison (``kind < _BLOCK``) sets apart the kinds that need no
# attributes; _SKIP: comments, the doctype and text nodes without data.
_SKIP, _FORMAT, _DROP, _BR, _BLOCK, _LINK, _SUP, _INLINE = range(8)
_KIND = {tag: _DROP for tag in DROP_TAGS}
_KIND.update({tag: _BLOCK for tag in BLOCK_TAGS})
_KIND.update({tag: _FORMAT for tag in _FORMATTING})
_KIND.update({"br": _BR, "a": _LINK, "sup": _SUP})


_TABLE_PARTS = {"caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"}
# inline elements of the standard that pages use, known by id so the walk need not ask their name
_MORE_INLINE = {
    "span", "font", "time", "small", "cite", "label", "ins", "del", "var", "kbd", "samp", "dfn",
    "data", "wbr", "big", "tt", "strike", "nobr", "ruby", "rt", "rp", "source", "area",
}  # fmt: skip


def _ids() -> dict[int, tuple[int, str]]:
    """Lexbor's fixed id of every tag the walk knows (custom elements get ids of their own and
    are looked up by name)."""
    from selectolax.lexbor import LexborHTMLParser

    names = sorted(set(_KIND) | _MORE_INLINE)
    body = "".join(
        f"<{n}></{n}>" for n in names if n not in _TABLE_PARTS | {"html", "head", "body"}
    )
    # table parts exist only inside a table
    table = (
        "<table><caption></caption><colgroup><col></colgroup><thead><tr><th></th></tr></thead>"
        "<tbody><tr><td></td></tr></tbody><tfoot></tfoot></table>"
    )
    tree = LexborHTMLParser(f"<html><head></head><body>x<!--c-->{body}{table}</body></html>")
    table: dict[int, tuple[int, str]] = {}
    for node in tree.root.traverse(include_text=True):
        tag = node.tag
        table[node.tag_id] = (_SKIP if not tag or tag[0] == "-" else _KIND.get(tag, _INLINE), tag)
    return table


_BY_ID = _ids()


@dataclass(slots=True)
class Walk:
    """What one walk over a page found: its text blocks and the table of block elements."""

    blocks: list[Block]
    tags: list[str]  # tag of each block element, by index
    names: list[str]  # class attribute of each block element, by index ("" when none)
    keep: list[bool]  # element named like an article body
    flagged: list[bool]  # element named like boilerplate
    h1: list[str]  # texts of the <h1> elements
    hrefs: list[str]  # links that may name a DOI, PubMed or registry record
    media: set[int]  # elements with an image, video or figure as a child
    ld_json: list[str]  # JSON-LD scripts met in the body
    parents: list[int]  # index of each block element's block-level parent, -1 for none


# Frames of the walk's explicit stack: what to do when an element's children are done.
_EXIT_INLINE, _EXIT_BLOCK, _EXIT_LINK, _EXIT_MARKER, _EXIT_EMPH = range(5)
_EMPHASIS = frozenset(("em", "i", "small", "cite"))


def _flush(
    blocks: list[Block],
    buf: list[str],
    tags: list[str],
    path: list[int],
    flag: int,
    links: int,
    lead: bool | None,
    nlinks: int,
    plain: bool,
) -> None:
    """The text gathered in ``buf`` as a block, if it holds any (the caller resets its state:
    a module function rather than a closure, so the walk's variables stay fast locals)."""
    raw = "".join(buf)
    if "\x00" in raw:  # <br> line breaks
        lines = (" ".join(line.split()) for line in raw.split("\x00"))
        text = "\n".join(line for line in lines if line)
    else:
        text = " ".join(raw.split())
    if text:
        blocks.append(
            Block(
                text,
                tags[path[-1]] if path else "body",
                min(links, len(text)),
                tuple(path),
                flag,
                bool(lead),
                nlinks,
                not plain,
            )
        )


def walk(root) -> Walk:  # noqa: C901, PLR0912, PLR0915 - one loop on purpose: it is the hot path
    """Walk the tree under ``root`` once, in document order, into text blocks.

    Iterative, with an explicit stack, because this loop is most of the extractor's time: every
    text node and element of the page body passes through it once.
    """
    blocks: list[Block] = []
    tags: list[str] = []
    names: list[str] = []
    keep: list[bool] = []
    flagged: list[bool] = []
    h1: list[str] = []
    hrefs: list[str] = []
    media: set[int] = set()
    ld_json: list[str] = []
    forms: list[int] = []  # open <form> elements still without a visible control (-1: found)
    path: list[int] = []
    parents: list[int] = []
    flag = -1  # path position of the deepest boilerplate-named element, -1 if none
    buf: list[str] = []
    full = False  # whether buf holds more than whitespace
    plain = False  # whether some of that text is outside emphasis
    emph = 0  # open <em>, <i>, <small>, <cite> elements
    links = 0  # characters of the current block inside <a>
    nlinks = 0
    lead: bool | None = None  # whether the current block's first words are a link
    in_link = 0
    budget = MAX_WALK_ELEMENTS
    stack: list[tuple] = []
    depth = 0  # len(stack)
    kinds = _KIND
    by_id = _BY_ID
    name_cache = _NAME_CACHE

    node = root.first_child if root is not None else None
    while True:
        while node is None:
            if not stack:
                if full:
                    _flush(blocks, buf, tags, path, flag, links, lead, nlinks, plain)
                    buf.clear()
                    full = plain = False
                    links, lead, nlinks = 0, None, 0
                return Walk(blocks, tags, names, keep, flagged, h1, hrefs, media, ld_json, parents)
            frame = stack.pop()
            depth -= 1
            node = frame[1]
            action = frame[0]
            if action == _EXIT_INLINE:
                continue
            if action == _EXIT_EMPH:
                emph -= 1
                continue
            if action == _EXIT_BLOCK:
                _, _, tag, saved_flag, form_start = frame
                if form_start >= 0:
                    if forms.pop() < 0 and form_start:
                        # the widget's title just before it ("Leave a Comment")
                        before = blocks[form_start - 1]
                        if (
                            before.tag in HEADINGS
                            and len(before.text) < 80
                            and before.path[:-1] == tuple(path[:-1])
                        ):
                            del blocks[form_start - 1]
                if full:
                    _flush(blocks, buf, tags, path, flag, links, lead, nlinks, plain)
                    buf.clear()
                    full = plain = False
                    links, lead, nlinks = 0, None, 0
                elif buf or nlinks:
                    buf.clear()
                    nlinks = 0
                path.pop()
                flag = saved_flag
            elif action == _EXIT_LINK:
                _, _, start, saved_links, saved_lead, emitted = frame
                in_link -= 1
                if len(blocks) == emitted and len(buf) > start and links - saved_links <= 8:
                    inner = "".join(buf[start:])
                    if _CITE_MARK.match(inner) and inner.strip():
                        del buf[start:]  # a numbered reference: [12], 3, 4-6
                        links, lead = saved_links, saved_lead
                        nlinks -= 1
            else:  # _EXIT_MARKER
                _, _, start, emitted = frame
                if len(blocks) == emitted and len(buf) > start:
                    if _CITE_MARK.match("".join(buf[start:])):
                        # a citation marker: <sup>12</sup>, <span class="citation">3,4</span>
                        del buf[start:]
        current = node
        node = current.next
        # text nodes first (most nodes are): None for any other node
        text = current.text_content
        if text is not None:
            if text.isspace():
                if full:  # whitespace before a block's first words never counts
                    buf.append(text)
            elif text:
                buf.append(text)
                full = True
                if not emph:
                    plain = True
                if in_link:
                    links += len(text.strip())
                    if lead is None:
                        lead = True
                elif lead is None:
                    lead = False
            continue
        known = by_id.get(current.tag_id)  # an int is cheaper to get than the tag's name
        if known is None:
            tag = current.tag
            # "-comment", "-doctype"...; None for a processing instruction (``<?x y?>``)
            kind = _SKIP if not tag or tag[0] == "-" else kinds.get(tag, _INLINE)
        else:
            kind, tag = known
        if kind < _BLOCK:
            if kind == _SKIP:
                continue  # comments, doctype, a text node without data
            if kind == _FORMAT:
                # <em>, <strong>...: nothing to learn from their attributes
                budget -= 1
                if depth < MAX_WALK_DEPTH and budget > 0:
                    depth += 1
                    if tag in _EMPHASIS:
                        emph += 1
                        stack.append((_EXIT_EMPH, node))
                    else:
                        stack.append((_EXIT_INLINE, node))
                    node = current.first_child
                continue
            if kind == _DROP:
                if tag == "script":
                    kind_attr = current.attributes.get("type")
                    if kind_attr and kind_attr.strip().lower() == "application/ld+json":
                        ld_json.append(current.text())
                elif tag in MEDIA_TAGS:
                    if path:
                        media.add(path[-1])
                elif tag in _CONTROLS and forms and forms[-1] >= 0:
                    if tag != "input" or current.attributes.get("type") != "hidden":
                        flagged[forms[-1]] = True
                        forms[-1] = -1  # found one; the form is a widget
                continue
            if kind == _BR:
                # <br><br> ends a paragraph, a single <br> a line
                last = len(buf) - 1
                while last >= 0 and buf[last].isspace():
                    last -= 1
                if last >= 0 and buf[last] == "\x00":
                    del buf[last:]
                    _flush(blocks, buf, tags, path, flag, links, lead, nlinks, plain)
                    buf.clear()
                    full = plain = False
                    links, lead, nlinks = 0, None, 0
                else:
                    buf.append("\x00")
                continue
        attrs = current.attributes
        named = 0
        cls = None
        if attrs:
            if not _HIDING.isdisjoint(attrs) and _hidden(attrs):
                continue
            cls = attrs.get("class")
            ident = attrs.get("id")
            if cls or ident:
                key = f"{cls or ''} {ident or ''}"
                named = name_cache.get(key)
                if named is None:
                    named = _name_kind(key)
        budget -= 1
        descend = depth < MAX_WALK_DEPTH and budget > 0
        if kind == _BLOCK:
            if full:
                _flush(blocks, buf, tags, path, flag, links, lead, nlinks, plain)
                buf.clear()
                full = plain = False
                links, lead, nlinks = 0, None, 0
            elif buf or nlinks:
                buf.clear()
                nlinks = 0
            index = len(tags)
            tags.append(tag)
            parents.append(path[-1] if path else -1)
            names.append(cls or "")
            if attrs and attrs.get("itemprop") == "articleBody":
                named = 2
            keep.append(named == 2)
            flagged.append(named == 1)
            path.append(index)
            saved_flag = flag
            if named == 1:
                flag = len(path) - 1
            if tag == "h1":
                h1.append(current.text())
            form_start = -1
            if tag == "form":
                # A form with visible controls (search, newsletter sign-up, comment box) is a
                # widget; its text counts as boilerplate unless it holds most of the page.
                forms.append(index)
                form_start = len(blocks)
                if named != 2 and saved_flag < 0 and flag < 0:
                    flag = len(path) - 1
            stack.append((_EXIT_BLOCK, node, tag, saved_flag, form_start))
            depth += 1
            node = current.first_child if descend else None  # None: the frame is popped at once
            continue
        if named == 1 and len(current.text()) < 300:
            continue  # an inline caption, credit, share link...
        if not descend:
            continue
        if kind == _LINK:
            if attrs:
                href = attrs.get("href")
                if href and ("10." in href or "pubmed" in href or "nct" in href.lower()):
                    hrefs.append(href)
            stack.append((_EXIT_LINK, node, len(buf), links, lead, len(blocks)))
            in_link += 1
            nlinks += 1
        elif kind == _SUP or (cls and _cite_named(cls)):
            stack.append((_EXIT_MARKER, node, len(buf), len(blocks)))
        elif tag in _EMPHASIS:
            emph += 1
            stack.append((_EXIT_EMPH, node))
        else:
            stack.append((_EXIT_INLINE, node))
        depth += 1
        node = current.first_child
