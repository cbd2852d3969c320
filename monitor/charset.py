"""One charset decoder for every document the product reads: article pages and feeds.

``decode(body, content_type)`` turns bytes into text and says which charset it used and what
was odd about it. The first rule that applies wins:

1. a byte-order mark, which cannot lie (UTF-8, then UTF-32 LE/BE before UTF-16 LE/BE, since
   the UTF-32 LE mark begins with the UTF-16 LE one);
2. UTF-16/32 without a mark, recognised by the NUL bytes around a leading ``<``;
3. the ``charset`` of the HTTP ``Content-Type`` header;
4. the document's own declaration: the XML declaration's ``encoding``, else an HTML
   ``<meta charset>`` / ``http-equiv`` in the first 4 KiB;
5. UTF-8 when the bytes are valid UTF-8;
6. charset-normalizer's guess, else windows-1252.

A declared charset that the bytes do not fit is passed over for the next one; when none fits,
the first is used with replacement characters and a warning. Bytes with non-ASCII characters
that are valid UTF-8 are read as UTF-8 even when a header or declaration names a legacy
charset: pages and feeds re-saved as UTF-8 keep their old declaration, and valid multi-byte
UTF-8 is all but impossible in genuine legacy text. Labels follow the WHATWG Encoding Standard
where Python differs: ``iso-8859-1``, ``latin-1`` and ``ascii`` mean windows-1252 (whose five
unassigned bytes decode to the C1 controls, as browsers do), and a UTF-16/32 declaration inside
a document mean nothing (the declaration was readable as ASCII, so the document is not UTF-16).

Nothing here raises on any ``bytes``.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

__all__ = ["Decoded", "codec_name", "decode", "header_charset"]

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: bytes looked at for an in-document declaration
DECLARATION_WINDOW = 4096
#: bytes handed to charset-normalizer when nothing is declared and the bytes are not UTF-8
GUESS_WINDOW = 200_000

_XML_DECL = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:\-]{1,40})["']"""
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]{1,40})""", re.I
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';,\s]+)", re.I)
_WINDOWS_1252 = ("latin-1", "iso8859-1", "ascii", "cp1252")
_WIDE = ("utf-16", "utf-32")


class Decoded(NamedTuple):
    text: str
    encoding: str  # Python's codec name: "utf-8", "cp1252", "shift_jis", ...
    warning: str | None  # what was odd ("bytes invalid in declared charset ...; replaced")


def _c1(error: UnicodeDecodeError) -> tuple[str, int]:
    """windows-1252's unassigned bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) as the C1 controls."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("monitor.c1", _c1)


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header value, as written."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def codec_name(label: str | None, *, in_document: bool = False) -> str | None:
    """Python's codec for a charset label, with the WHATWG mappings; None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("'\"").lower()).name
    except (LookupError, ValueError):
        return None
    if name in _WINDOWS_1252:
        return "cp1252"
    if name in ("utf-7", "rot-13") or not codecs.lookup(name)._is_text_encoding:
        return None
    if in_document and name.startswith(_WIDE):
        return "utf-8"
    return name


def _sniff_wide(body: bytes) -> str | None:
    head = body[:4]
    if head == b"<\x00\x00\x00":
        return "utf-32-le"
    if head == b"\x00\x00\x00<":
        return "utf-32-be"
    if head[:2] == b"<\x00" and head[3:4] == b"\x00":
        return "utf-16-le"
    if head[:2] == b"\x00<" and head[2:3] == b"\x00":
        return "utf-16-be"
    return None


def _decode(body: bytes, name: str, errors: str = "strict") -> str:
    if name == "cp1252":
        return body.decode(name, errors="monitor.c1")
    return body.decode(name, errors=errors)


class _Attempts:
    """Strict decodings of one body, each codec tried at most once (a page is decoded once,
    not once to see that it fits and again to keep the text)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.texts: dict[str, str | None] = {}

    def text(self, name: str) -> str | None:
        """The body decoded with ``name``, None when the bytes do not fit it."""
        if name not in self.texts:
            try:
                self.texts[name] = _decode(self.body, name)
            except (UnicodeDecodeError, LookupError):
                self.texts[name] = None
        return self.texts[name]


def _declaration(body: bytes) -> tuple[str | None, str | None]:
    """(label, codec) of the document's own declaration (XML, else HTML ``<meta>``)."""
    head = body[:DECLARATION_WINDOW]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    if not match:
        return None, None
    label = match.group(1).decode("ascii", "replace")
    return label, codec_name(label, in_document=True)


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a page or feed body; ``content_type`` is the HTTP header value, if any."""
    for bom, name in BOMS:
        if body.startswith(bom):
            text = body[len(bom) :].decode(name, errors="replace")
            return Decoded(text, name, "invalid bytes replaced" if "\ufffd" in text else None)
    notes: list[str] = []
    candidates: list[str] = []
    attempts = _Attempts(body)
    wide = _sniff_wide(body)
    if wide:
        candidates.append(wide)
    label = header_charset(content_type)
    header = codec_name(label)
    if label and not header:
        notes.append(f"unknown charset {label!r} in Content-Type")
    declared_label, declared = (None, None) if wide else _declaration(body)
    if declared_label and not declared:
        notes.append(f"unknown charset {declared_label!r} declared in the document")
    for name in (header, declared):
        if name and name not in candidates:
            if not name.startswith(_WIDE) and name != "utf-8" and not body.isascii():
                if "utf-8" not in candidates and attempts.text("utf-8") is not None:
                    candidates.append("utf-8")  # re-saved as UTF-8, old label kept
            candidates.append(name)
    for name in candidates:
        text = attempts.text(name)
        if text is not None:
            return Decoded(text, name, "; ".join(notes) or None)
    if candidates:
        name = candidates[0]
        notes.append(f"bytes invalid in declared charset {name}, replaced")
        return Decoded(_decode(body, name, "replace"), name, "; ".join(notes))
    text = attempts.text("utf-8")
    if text is not None:
        return Decoded(text, "utf-8", "; ".join(notes) or None)
    name = _guess(body) or "cp1252"
    notes.append(f"no charset declared and not UTF-8; decoded as {name}")
    return Decoded(_decode(body, name, "replace"), name, "; ".join(notes))


def _guess(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:GUESS_WINDOW]).best()
    except Exception:  # noqa: BLE001 - a third-party guesser: best effort, never fatal
        return None
    return codec_name(best.encoding) if best is not None and best.encoding else None
