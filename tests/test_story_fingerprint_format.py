"""The stored fingerprint (monitor.stories.fingerprint): the fast :func:`encode`, :func:`decode`
and :func:`stored` give exactly what the format as documented gives, written one value at a
time: the same bytes, and the same objects back (terms in the same order)."""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import fields

from monitor.stories.fingerprint import (
    _KINDS,
    BYTE_MAX,
    Fingerprint,
    Stored,
    decode,
    encode,
    stored,
)


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        n |= (b[i] & 0x7F) << shift
        i += 1
        if b[i - 1] < 0x80:
            return n, i
        shift += 7


def reference_encode(s: Stored) -> bytes:
    """Version 3 (2 when a posting is not a term), one value at a time."""
    ids = sorted(s.terms)
    from_end = {t: len(ids) - 1 - k for k, t in enumerate(ids)}
    version = 3 if all(p in from_end for p in s.postings) else 2
    flags = int(s.weak) | _KINDS.index(s.page_kind) << 1 | int(s.listing) << 3
    out = bytes((version, flags | int(s.factless) << 4)) + varint(s.length) + varint(len(ids))
    prev = 0
    for t in ids:
        out += varint(t - prev)
        prev = t
    many = [k for k, t in enumerate(ids) if s.terms[t] > 1]
    out += varint(len(many))
    prev = 0
    for k in many:
        out += varint(k - prev)
        prev = k
    out += bytes(min(BYTE_MAX, s.terms[ids[k]]) for k in many)
    for hashes in (s.ids, s.trials, s.people, s.institutions, s.numbers):
        kept = sorted(hashes)[:BYTE_MAX]
        out += bytes((len(kept),)) + b"".join(struct.pack("<I", h) for h in kept)
    postings = [from_end[p] for p in s.postings] if version == 3 else s.postings
    for seq in (postings, s.cohorts, s.trial_names, sorted(s.effects)):
        out += varint(len(seq)) + b"".join(varint(x) for x in seq)
    return out


def reference_decode(b: bytes) -> Stored:
    length, i = read_varint(b, 2)
    n, i = read_varint(b, i)
    ids = []
    for _ in range(n):
        gap, i = read_varint(b, i)
        ids.append(gap + (ids[-1] if ids else 0))
    m, i = read_varint(b, i)
    many = []
    for _ in range(m):
        gap, i = read_varint(b, i)
        many.append(gap + (many[-1] if many else 0))
    counts = dict.fromkeys(ids, 1)
    for k in many:
        counts[ids[k]] = b[i]
        i += 1
    hashes = []
    for _ in range(5):
        hashes.append(frozenset(struct.unpack_from("<I", b, i + 1 + 4 * k)[0] for k in range(b[i])))
        i += 1 + 4 * b[i]
    seqs: list[tuple[int, ...]] = []
    for _ in range(4):
        seq = []
        if i < len(b):
            k, i = read_varint(b, i)
            for _ in range(k):
                x, i = read_varint(b, i)
                seq.append(x)
        seqs.append(tuple(seq))
    postings = tuple(ids[-1 - k] for k in seqs[0]) if b[0] == 3 else seqs[0]
    return Stored(
        terms=counts,
        ids=hashes[0],
        trials=hashes[1],
        length=length,
        weak=bool(b[1] & 1),
        page_kind=_KINDS[b[1] >> 1 & 3],
        postings=postings,
        cohorts=seqs[1],
        people=hashes[2],
        institutions=hashes[3],
        numbers=hashes[4],
        trial_names=seqs[2],
        effects=frozenset(seqs[3]),
        listing=bool(b[1] & 8),
        factless=bool(b[1] & 16),
    )


def same(a: Stored, b: Stored) -> bool:
    """Equal field by field, with the same types, and the terms in the same order."""
    return list(a.terms.items()) == list(b.terms.items()) and all(
        getattr(a, f.name) == getattr(b, f.name)
        and type(getattr(a, f.name)) is type(getattr(b, f.name))
        for f in fields(Stored)
    )


def h(s: str) -> int:
    return zlib.crc32(s.encode())


def random_stored(rng: random.Random) -> Stored:
    big = rng.choice((100, 5_000, 200_000, 2**40))  # ids of one, two, three and six bytes
    terms = {
        rng.randrange(1, big): rng.choice((1, 1, 1, 2, 3, 127, 128, 255, 256, 4000))
        for _ in range(rng.choice((0, 1, 5, 230, 700)))
    }
    ids = sorted(terms)
    postings = tuple(rng.sample(ids, min(len(ids), rng.choice((0, 3, 16)))))
    other = rng.randrange(1, 2 * big)
    if postings and other not in terms and rng.random() < 0.3:
        postings = (*postings[:-1], other)  # not a term: version 2

    def hashes() -> frozenset[int]:
        k = rng.choice((0, 0, 1, 2, 40, 300))  # beyond 255 of a kind: clipped
        return frozenset(rng.randrange(2**32) for _ in range(k))

    def ints(top: int) -> tuple[int, ...]:
        return tuple(rng.randrange(top) for _ in range(rng.choice((0, 1, 12))))

    return Stored(
        terms=terms,
        ids=hashes(),
        trials=hashes(),
        length=rng.choice((0, 24, 300, 100_000)),
        weak=rng.random() < 0.5,
        page_kind=rng.choice(_KINDS),
        postings=postings,
        cohorts=tuple(sorted(set(ints(300_000)))),
        people=hashes(),
        institutions=hashes(),
        numbers=hashes(),
        trial_names=ints(2**32),
        effects=frozenset(ints(1000)),
        listing=rng.random() < 0.3,
        factless=rng.random() < 0.3,
    )


def test_encode_and_decode_are_the_documented_format_byte_for_byte() -> None:
    rng = random.Random(5)
    for _ in range(400):
        s = random_stored(rng)
        blob = encode(s)
        assert blob == reference_encode(s)
        assert same(decode(blob), reference_decode(blob))


def test_older_fingerprints_without_the_later_fields_still_decode() -> None:
    rng = random.Random(6)
    for _ in range(100):
        s = random_stored(rng)
        s.postings = s.cohorts = s.trial_names = ()
        s.effects = frozenset()
        blob = encode(s)
        older = blob[:-4]  # written before the four trailing sequences were appended
        assert same(decode(older), reference_decode(blob))


def test_stored_is_the_fingerprint_with_vocabulary_ids_and_hashes() -> None:
    rng = random.Random(7)
    for _ in range(200):
        keys = {f"w{rng.randrange(5000)}": rng.randrange(1, 9) for _ in range(rng.randrange(300))}
        names = tuple(f"n{rng.randrange(99)}" for _ in range(rng.randrange(5)))
        fp = Fingerprint(
            features=keys, doi=names, nct=names[:1], pmid=names[1:], people=names, length=80
        )
        vocab = {k: rng.randrange(2**40) for k in keys}
        got = stored(fp, lambda ks, vocab=vocab: [vocab[k] for k in ks])
        want = Stored(
            terms={vocab[k]: keys[k] for k in sorted(keys)},
            ids=frozenset(h("doi:" + d) for d in names[:5])
            | frozenset(h("pmid:" + p) for p in names[1:][:5]),
            trials=frozenset(h(n) for n in names[:1]),
            length=80,
            people=frozenset(map(h, names)),
        )
        assert same(got, want)
