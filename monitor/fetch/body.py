"""Bounded decoding of HTTP bodies: every Content-Encoding, every stage under the cap.

A response body is read raw from the socket and decoded here, never by the HTTP client,
so that the cap applies to what the decoders *produce*, for every coding:

- ``gzip``/``x-gzip`` (several members allowed, junk after a complete member ignored, as
  browsers do), ``deflate`` (zlib-wrapped or raw), ``br`` when the ``brotli`` module is
  installed, ``identity``;
- stacked codings (``gzip, gzip``) are decoded as a chain of streaming decoders; no stage
  is ever asked for more than the room left under the cap, and each stage's total output
  and the raw input are capped as well, so a bomb (3.5 kB of ``gzip, gzip`` that inflates
  to 2 GiB) costs at most about one cap of memory and CPU before it is stopped;
- more than ``MAX_CODINGS`` codings, or a coding we do not know, are refused with
  ``UnsupportedEncoding`` (nothing is decoded).
"""

from __future__ import annotations

import zlib

try:  # optional: "br" is only asked for (and decoded) when brotli is installed
    import brotli
except ImportError:  # pragma: no cover - depends on the installation
    brotli = None

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_CODINGS",
    "BodyDecoder",
    "BodyTooLarge",
    "DecodingFailed",
    "UnsupportedEncoding",
]

MAX_CODINGS = 2
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
_CHUNK = 64 * 1024  # what one stage hands the next at a time


class UnsupportedEncoding(Exception):
    pass


class DecodingFailed(Exception):
    pass


class BodyTooLarge(Exception):
    pass


class _Zlib:
    def __init__(self, wbits: int, name: str) -> None:
        self.wbits = wbits
        self.name = name
        self.obj = zlib.decompressobj(wbits)
        self.pending = b""
        self.started = False
        self.members = 0
        self.done = False  # junk after a complete gzip member: the rest is ignored

    def wants_input(self) -> bool:
        return not self.pending

    def push(self, data: bytes) -> None:
        if not self.done:
            self.pending += data

    def pull(self, limit: int) -> bytes:
        out = bytearray()
        while self.pending and len(out) < limit and not self.done:
            try:
                chunk = self.obj.decompress(self.pending, limit - len(out))
            except zlib.error as exc:
                if self.members:
                    self.done, self.pending = True, b""
                    break
                if self.wbits == zlib.MAX_WBITS and not self.started:
                    # "deflate" is often sent raw, without the zlib header
                    self.wbits = -zlib.MAX_WBITS
                    self.obj = zlib.decompressobj(self.wbits)
                    continue
                raise DecodingFailed(f"bad {self.name} data: {exc}") from None
            self.started = True
            out += chunk
            if self.obj.unconsumed_tail:
                self.pending = self.obj.unconsumed_tail
            elif self.obj.eof and self.obj.unused_data:
                self.pending = self.obj.unused_data  # a further gzip member
                self.members += 1
                self.obj = zlib.decompressobj(self.wbits)
            else:
                self.pending = b""
                if self.obj.eof:
                    self.members += 1
        return bytes(out)


class _Brotli:
    name = "br"

    def __init__(self) -> None:
        assert brotli is not None
        self.obj = brotli.Decompressor()
        self.pending = b""

    def wants_input(self) -> bool:
        return not self.pending and self.obj.can_accept_more_data()

    def push(self, data: bytes) -> None:
        self.pending += data

    def pull(self, limit: int) -> bytes:
        out = bytearray()
        try:
            while len(out) < limit:
                if self.pending and self.obj.can_accept_more_data():
                    data, self.pending = self.pending, b""
                elif not self.obj.can_accept_more_data():
                    data = b""
                else:
                    break
                chunk = self.obj.process(data, output_buffer_limit=limit - len(out))
                if not chunk and not data:
                    break
                out += chunk
        except brotli.error as exc:
            raise DecodingFailed(f"bad br data: {exc}") from None
        return bytes(out)


def _stage(coding: str) -> _Zlib | _Brotli:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, "gzip")
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, "deflate")
    if coding == "br" and brotli is not None:
        return _Brotli()
    raise UnsupportedEncoding(f"Content-Encoding {coding!r} is not supported")


def parse_codings(header: str | None) -> list[str]:
    """The codings of a Content-Encoding header in the order they were applied
    (``identity`` dropped, case folded)."""
    codings = [c.strip().lower() for c in (header or "").split(",")]
    return [c for c in codings if c and c != "identity"]


class BodyDecoder:
    """Feeds raw body chunks through the decoders of ``content_encoding`` into a buffer
    that never grows past ``max_bytes`` + 1 (``truncate``: stops at ``max_bytes``)."""

    def __init__(self, content_encoding: str | None, max_bytes: int, truncate: bool = False):
        codings = parse_codings(content_encoding)
        if len(codings) > MAX_CODINGS:
            raise UnsupportedEncoding(
                f"{len(codings)} stacked Content-Encodings ({', '.join(codings)}); at most "
                f"{MAX_CODINGS} are decoded"
            )
        # decoded last-applied first
        self.stages = [_stage(c) for c in reversed(codings)]
        self.max_bytes = max_bytes
        self.truncate = truncate
        self.buf = bytearray()
        self.raw = 0
        self.produced = [0] * len(self.stages)
        self.full = False  # truncate mode: the cap was reached

    def feed(self, data: bytes) -> None:
        """Decode one raw chunk. Raises BodyTooLarge (unless truncating) once the decoded
        body, any stage's output or the raw input goes over the cap."""
        if self.full or not data:
            return
        self.raw += len(data)
        if not self.stages:
            self.buf += data
            self._check()
            return
        if self.raw > self.max_bytes and not self.truncate:
            raise BodyTooLarge(f"compressed body is over the {self.max_bytes}-byte cap")
        self.stages[0].push(data)
        self._drain()

    def _drain(self) -> None:
        last = len(self.stages) - 1
        while not self.full:
            moved = False
            for i in range(last):
                nxt = self.stages[i + 1]
                if nxt.wants_input():
                    chunk = self.stages[i].pull(_CHUNK)
                    if chunk:
                        self.produced[i] += len(chunk)
                        if self.produced[i] > self.max_bytes:
                            raise BodyTooLarge(
                                f"an intermediate decoding stage is over the {self.max_bytes}"
                                "-byte cap"
                            )
                        nxt.push(chunk)
                        moved = True
            room = self.max_bytes - len(self.buf) + 1
            out = self.stages[last].pull(room)
            if out:
                self.buf += out
                moved = True
                self._check()
            if not moved:
                return

    def _check(self) -> None:
        if len(self.buf) > self.max_bytes:
            if self.truncate:
                del self.buf[self.max_bytes :]
                self.full = True
                return
            raise BodyTooLarge(f"body is over the {self.max_bytes}-byte cap (after decoding)")

    def body(self) -> bytes:
        return bytes(self.buf)
