"""Turn raw page bytes into bounded, parser-safe text.

Two jobs happen before Lexbor sees a page: decoding bytes in whatever charset the page uses
(BOM, then a declared ``<meta charset>``, then a guess by charset-normalizer, never raising), and
bounding the work: the input is capped in size and element nesting deeper than a fixed limit is
flattened, because Lexbor's tree builder slows down quadratically with depth.
"""

from __future__ import annotations

import codecs
import re

MAX_CHARS = 3_000_000  # characters of HTML kept; real articles are far below this
MAX_DEPTH = 1000  # element nesting kept; deeper opening tags are dropped before parsing

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")


def _codec(name: str) -> str | None:
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except (LookupError, ValueError):
        return None
    # A page declaring latin-1 almost always means windows-1252 (the WHATWG rule).
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return "utf-8"  # an ASCII-compatible page cannot really be UTF-16; the BOM decides that
    return codec


def decode(data: bytes | bytearray | memoryview | str | None) -> str:
    """Return the page as text; never raises."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    try:
        raw = bytes(data[: MAX_CHARS * 2])
    except Exception:  # noqa: BLE001 - anything odd passed as bytes
        return ""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(name, errors="replace")
    head = raw[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if match:
        codec = _codec(match.group(1).decode("ascii", "replace"))
        if codec and codec != "utf-8" and not raw.isascii():
            # Pages re-saved as UTF-8 often keep their old declaration; valid multi-byte UTF-8
            # is all but impossible in genuine single-byte text, so it wins.
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        if codec:
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                if codec != "utf-8":
                    return raw.decode(codec, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(raw[:200_000]).best()
        if best is not None and best.encoding:
            return raw.decode(best.encoding, errors="replace")
    except Exception:  # noqa: BLE001 - the guesser must never take the page down
        pass
    return raw.decode("cp1252", errors="replace")


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
