"""Turn a fetched page into bounded, parser-safe text.

Two jobs happen before Lexbor sees a page: decoding its bytes (``monitor.charset``, with the
HTTP ``Content-Type`` charset when there is one), and bounding the work: the input is capped in
size and markup that would make the HTML parser's work or memory explode is neutralised first.
"""

from __future__ import annotations

import re

from monitor import charset
from monitor.extract.thresholds import MAX_CHARS, MAX_DEPTH, MAX_PAGE_BYTES


def page_text(data: bytes | bytearray | memoryview | str | None, content_type: str | None) -> str:
    """The page as text (``None`` is an empty page)."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data[:MAX_PAGE_BYTES]
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"a page is bytes or str, not {type(data).__name__}")
    return charset.decode(bytes(data[:MAX_PAGE_BYTES]), content_type).text


# Opening and closing tags that can nest (void elements and auto-closed <p>/<li> excluded).
_TAG = re.compile(
    r"<(/?)(?!(?:br|img|meta|link|input|hr|wbr|source|area|base|col|embed|param|track|p|li"
    r"|option|dt|dd|tr|td|th)[\s/>])[a-zA-Z][^>]*>"
)
_CHUNK = 32_768
_FEW_TAGS = 12_000


def _may_be_deep(html: str, limit: int) -> bool:
    """Cheap upper bound on nesting depth, counted chunk by chunk with str.count."""
    prefix = 0
    for start in range(0, len(html), _CHUNK):
        end = start + _CHUNK
        lt = html.count("<", start, end)
        closes = html.count("</", start, end)
        if prefix + lt - closes > limit:
            return True
        prefix += lt - 2 * closes
    return False


def bound(html: str, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH) -> str:
    """Cap the size of ``html`` and flatten element nesting deeper than ``max_depth``."""
    if len(html) > max_chars:
        html = html[:max_chars]
    # Lexbor's cost grows with the square of the nesting depth (about 2 ns x depth^2): a page
    # with fewer than _FEW_TAGS tags cannot nest deep enough to take more than a few tenths of a
    # second, so only pages with more tags are scanned for depth.
    if html.count("<") < _FEW_TAGS or not _may_be_deep(html, max_depth):
        return html
    out: list[str] = []
    depth = 0
    dropped = 0  # opening tags removed while too deep, whose closing tags must go too
    last = 0
    for m in _TAG.finditer(html):
        closing = m.group(1) == "/"
        if closing:
            if dropped:
                dropped -= 1
                out.append(html[last : m.start()])
                last = m.end()
            elif depth:
                depth -= 1
        elif m.group(0).endswith("/>"):
            continue
        elif depth >= max_depth:
            dropped += 1
            out.append(html[last : m.start()])
            last = m.end()
        else:
            depth += 1
    if not out:
        return html
    out.append(html[last:])
    return "".join(out)
