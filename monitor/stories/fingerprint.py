"""An article's fingerprint: what the story stage reads of it.

:func:`fingerprint` turns an :class:`~monitor.model.ArticleRecord` into a :class:`Fingerprint`:
one bag of word features (stems of the body's content words, and ``^`` + stem for title words),
the people, institutions and journals it names, its numbers with units, the sizes of the groups
of people it reports on, the study identifiers, and flags that keep weak texts from bridging
stories:

* ``short``: fewer than :data:`MIN_WORDS` words (failed extractions, teasers): own story, never
  compared;
* ``weak``: extraction failed and the text came from the feed, the text is brief (under
  :data:`BRIEF_WORDS` words), or it reads as several unrelated pieces (a broadcast transcript with
  neighbouring segments: its passages share less than :data:`MIN_COHERENCE` of their words with
  the rest). A weak article may join a story but never joins two stories together;
* ``listing``: the page reports several studies side by side (a congress roundup, a digest): it
  names at least two trials and at least :data:`LISTING_STUDIES` distinct studies (trials and
  groups studied whose sizes disagree). It is its own story: it joins none and bridges none.

:func:`encode` / :func:`decode` give the compact binary form the story index stores; features
are stored as vocabulary ids (small integers handed out by the archive), names and numbers as
32-bit hashes, so the stage works with integer keys after the first step.
"""

from __future__ import annotations

import math
import struct
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from operator import sub

from monitor.model import ArticleRecord
from monitor.stories import entities, text

__all__ = [
    "MIN_COHERENCE",
    "MIN_WORDS",
    "Fingerprint",
    "Stored",
    "coherence",
    "decode",
    "encode",
    "fingerprint",
    "round_trips",
]

#: texts with fewer words than this get their own story and are never compared
MIN_WORDS = 25
#: texts with fewer words than this are weak: they may join one story, never two
BRIEF_WORDS = 60
#: trials and distinct groups studied a page must name to be a listing of several studies
LISTING_STUDIES = 4
#: below this passage coherence a long text reads as several pieces (roundup, transcript)
MIN_COHERENCE = 0.2
#: cohort sizes kept per article
MAX_COHORTS = 12
#: people, institutions and numbers kept per article (each)
MAX_FACTS = 40
#: features kept per article (the most frequent first); a bound on hostile input, not a cut
MAX_FEATURES = 600

# feature namespace of title words (first character of a key); body words have none
TITLE = "^"


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@dataclass
class Fingerprint:
    """One article as the story stage sees it (before its features get vocabulary ids)."""

    features: dict[str, int] = field(default_factory=dict)  # key -> count
    doi: tuple[str, ...] = ()
    nct: tuple[str, ...] = ()
    pmid: tuple[str, ...] = ()
    published: datetime | None = None  # UTC; None when the page and feed gave no date
    placed: datetime | None = None  # published, or when it was fetched: places it in the window
    title: str = ""
    source: str = ""
    url: str = ""
    length: int = 0  # words in the body
    page_kind: str = ""  # what the page says it is: "press-release", "journal" or ""
    weak: bool = False  # may join a story, never joins two
    cohorts: tuple[int, ...] = ()  # sizes of groups of people stated ("212 patients")
    people: tuple[str, ...] = ()  # "henrik moller"
    institutions: tuple[str, ...] = ()  # "king's college london", journals
    numbers: tuple[str, ...] = ()  # "215284 patient", "27%"
    trial_names: tuple[str, ...] = ()  # "keynote177": the one the page leads with first
    effects: tuple[int, ...] = ()  # hazard / odds / risk ratios in hundredths
    listing: bool = False  # reports several studies side by side: its own story
    factless: bool = False  # states no figure, institution, identifier or trial: no study report

    @property
    def short(self) -> bool:
        return self.length < MIN_WORDS


def coherence(body: str) -> float:
    """How much each passage of a text shares with the rest (mean cosine of term counts).

    1.0 for texts of fewer than three passages. One article about one study scores 0.3-0.5; a
    roundup of unrelated items or a broadcast transcript of several segments scores lower.
    """
    parts = [Counter(text.terms(p)) for p in text.paragraphs(body, 80)]
    if len(parts) < 3:
        return 1.0
    total: Counter = Counter()
    for p in parts:
        total.update(p)
    # the cosine of each passage with the rest (total - p), from sums over the passage's own
    # terms: the counts are integers, so this is exactly what building total - p would give
    total_sq = sum(v * v for v in total.values())
    score = 0.0
    for p in parts:
        p_total = sum(v * total[k] for k, v in p.items())
        p_sq = sum(v * v for v in p.values())
        dot = p_total - p_sq
        rest_sq = total_sq - 2 * p_total + p_sq
        score += dot / (math.sqrt(p_sq) * math.sqrt(rest_sq)) if p_sq and rest_sq else 0.0
    return score / len(parts)


_PRESS_CUES = (
    "press release",
    "news release",
    "media contact",
    "for immediate release",
    "embargoed",
    "notes to editors",
    "notes for editors",
)


def page_kind(record: ArticleRecord, full: str) -> str:
    """What the page itself says it is: a journal article page (it names its journal and one DOI
    in its metadata), a press release (a release line or press contacts near its top or end), or
    nothing ("")."""
    head, tail = full[:1500].lower(), full[-2500:].lower()
    if any(c in head or c in tail for c in _PRESS_CUES):
        return "press-release"
    if (
        record.journal
        and len(record.doi) == 1
        and "doi.org/" + record.doi[0].lower() in ((record.canonical_url or "").lower())
    ):
        return "journal"
    return ""


def distinct_sizes(sizes: Iterable[int]) -> int:
    """How many of the sizes differ from every smaller one by more than 10 %."""
    out: list[int] = []
    for x in sorted(sizes):
        if not out or x > 1.1 * out[-1]:
            out.append(x)
    return len(out)


def fingerprint(record: ArticleRecord) -> Fingerprint:
    """Fingerprint one article from its text and metadata."""
    full = text.clean(record.text or "")
    body = text.body(full)
    prose = entities.strip_links(body)
    words = text.terms(prose)
    doi, nct, pmid = entities.identifiers(full, record.doi, record.nct, record.pmid)
    fp = Fingerprint(
        doi=tuple(sorted(doi)),
        nct=tuple(sorted(nct)),
        pmid=tuple(sorted(pmid)),
        published=_utc(record.published),
        placed=_utc(record.published or record.fetched_at),
        title=(record.title or "").strip(),
        source=record.source or "",
        url=record.canonical_url or record.url or "",
        length=len(text.words(prose)),
        page_kind=page_kind(record, full),
    )
    if fp.short:
        return fp
    feats: Counter[str] = Counter(words)
    persons, orgs = entities.names(prose)
    if record.journal:
        orgs.add(text.fold(record.journal))
    numbers = entities.numbers(prose)
    fp.people = tuple(sorted(persons))[:MAX_FACTS]
    fp.institutions = tuple(sorted(orgs))[:MAX_FACTS]
    fp.numbers = tuple(sorted(numbers))[:MAX_FACTS]
    cohorts = set()
    for number in numbers:
        value, _, unit = number.partition(" ")
        if unit in entities.COHORT_UNITS and "." not in value:
            cohorts.add(int(value))
    fp.cohorts = tuple(sorted(cohorts))[:MAX_COHORTS]
    fp.trial_names = tuple(entities.trial_names(record.title or "", prose))[:MAX_COHORTS]
    fp.effects = tuple(sorted(entities.effects(prose)))[:MAX_COHORTS]
    figures = [n for n in numbers if not n.isdigit()]  # with a unit, a percentage or a decimal
    # a study report names an institution or journal, an identifier or the group studied, or
    # states figures together with whose they are (an investigator or a named trial)
    fp.factless = not (orgs or doi or nct or pmid or cohorts) and not (
        figures and (persons or fp.trial_names)
    )
    fp.listing = (
        len(fp.trial_names) >= 2
        and len(fp.trial_names) + distinct_sizes(cohorts) >= LISTING_STUDIES
    )
    for w in set(text.terms(record.title or "")):
        feats[TITLE + w] = 1
    if len(feats) > MAX_FEATURES:
        feats = Counter(dict(sorted(feats.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FEATURES]))
    fp.features = dict(feats)
    fp.weak = (
        bool(record.extract_note)
        or fp.length < BRIEF_WORDS
        or fp.listing
        or coherence(prose) < MIN_COHERENCE
    )
    return fp


# -- the stored form -------------------------------------------------------------------------


@dataclass(slots=True)  # thousands are kept in memory (the story step's cache)
class Stored:
    """A fingerprint with vocabulary ids: what the story index keeps and the decision reads."""

    terms: dict[int, int]  # vocabulary id -> count
    ids: frozenset[int] = frozenset()  # 32-bit hashes of "doi:...", "pmid:..." identifiers
    trials: frozenset[int] = frozenset()  # 32-bit hashes of NCT numbers
    length: int = 0
    weak: bool = False
    page_kind: str = ""
    postings: tuple[int, ...] = ()  # the ids it is filed under in the story index
    cohorts: tuple[int, ...] = ()
    people: frozenset[int] = frozenset()  # 32-bit hashes
    institutions: frozenset[int] = frozenset()
    numbers: frozenset[int] = frozenset()
    trial_names: tuple[int, ...] = ()  # 32-bit hashes, the lead trial first
    effects: frozenset[int] = frozenset()
    listing: bool = False
    factless: bool = False

    @property
    def short(self) -> bool:
        return self.length < MIN_WORDS


def _h32(s: str) -> int:
    return zlib.crc32(s.encode("utf-8"))


def stored(fp: Fingerprint, vocabulary_ids: Callable[[Sequence[str]], Sequence[int]]) -> Stored:
    """The stored form of a fingerprint; ``vocabulary_ids`` maps feature keys to integer ids."""
    keys = sorted(fp.features)
    ids = vocabulary_ids(keys) if keys else []
    return Stored(
        terms=dict(zip(ids, map(fp.features.__getitem__, keys), strict=True)),
        ids=frozenset(_h32("doi:" + d) for d in fp.doi[:5])
        | frozenset(_h32("pmid:" + p) for p in fp.pmid[:5]),
        trials=frozenset(_h32(n) for n in fp.nct[:5]),
        length=fp.length,
        weak=fp.weak,
        page_kind=fp.page_kind,
        cohorts=fp.cohorts,
        people=frozenset(map(_h32, fp.people)),
        institutions=frozenset(map(_h32, fp.institutions)),
        numbers=frozenset(map(_h32, fp.numbers)),
        trial_names=tuple(_h32("trial:" + t) for t in fp.trial_names),
        effects=frozenset(fp.effects),
        listing=fp.listing,
        factless=fp.factless,
    )


_KINDS = ("", "press-release", "journal")
#: version 3 stores the postings as positions in the sorted term ids counted from the end (a
#: byte each, where an id takes up to three: distinctive terms are rare, so mostly recent ids);
#: version 2 stored the ids (still read, and written when a posting is not a term)
_VERSION = 3
_VERSIONS = (2, 3)


def _varint(n: int, out: bytearray) -> None:
    _varints((n,), out)


def _varints(values: Iterable[int], out: bytearray) -> None:
    """:func:`_varint` of each value (one call for a sequence: encoding is on the hot path)."""
    append = out.append
    for n in values:
        while n >= 0x80:
            append((n & 0x7F) | 0x80)
            n >>= 7
        append(n)


def _gaps(values: list[int]) -> Iterator[int]:
    """The differences of increasing values, the first from 0."""
    return map(sub, values, [0, *values])


def _read_varint(b: bytes, i: int) -> tuple[int, int]:
    """One varint from ``b[i:]`` and the index after it (:func:`_read_varints` of one)."""
    values, i = _read_varints(b, i, 1)
    return values[0], i


#: a term's count and the number of hashes of a kind are stored in one byte (larger: clipped)
BYTE_MAX = 255


def encode(s: Stored) -> bytes:
    """Compact bytes: version, flags, length, sorted term ids as varint gaps, counts, hashes."""
    flags = (1 if s.weak else 0) | (_KINDS.index(s.page_kind) << 1) | (8 if s.listing else 0)
    flags |= 16 if s.factless else 0
    ids = sorted(s.terms)
    n = len(ids)
    positions = []  # of each posting among the term ids, counted from the end (-1: not a term)
    for p in s.postings:
        k = bisect_left(ids, p)
        positions.append(n - 1 - k if k < n and ids[k] == p else -1)
    version = _VERSION if -1 not in positions else 2
    out = bytearray((version, flags))
    _varint(s.length, out)
    _varint(n, out)
    _varints(_gaps(ids), out)
    # counts: the positions of terms seen more than once, then those counts (most are 1)
    terms = s.terms
    pos = [k for k, i in enumerate(ids) if terms[i] > 1]
    _varint(len(pos), out)
    _varints(_gaps(pos), out)
    out += bytes([min(BYTE_MAX, terms[ids[k]]) for k in pos])
    for hashes in (s.ids, s.trials, s.people, s.institutions, s.numbers):
        if not hashes:  # most kinds, most often
            out.append(0)
            continue
        k = min(BYTE_MAX, len(hashes))
        out.append(k)
        out += struct.pack(f"<{k}I", *sorted(hashes)[:BYTE_MAX])
    # appended in later revisions; a reader of older bytes finds them empty
    postings = positions if version == 3 else s.postings
    for seq in (postings, s.cohorts, s.trial_names, sorted(s.effects)):
        _varint(len(seq), out)
        _varints(seq, out)
    return bytes(out)


def round_trips(s: Stored) -> bool:
    """:func:`decode` gives ``s`` back from :func:`encode` (no count above 255, no more than
    255 hashes of a kind): what is kept in memory is then what the index holds."""
    return max(s.terms.values(), default=0) <= BYTE_MAX and all(
        len(h) <= BYTE_MAX for h in (s.ids, s.trials, s.people, s.institutions, s.numbers)
    )


def _read_varints(b: bytes, i: int, n: int) -> tuple[list[int], int]:
    """``n`` varints from ``b[i:]``, and the index after them (IndexError: ``b`` ends first)."""
    end = i + n
    head = b[i:end]
    if len(head) == n and (n == 0 or max(head) < 0x80):  # one byte each: most sequences
        return list(head), end
    out: list[int] = []
    append = out.append
    for _ in range(n):
        c = b[i]
        i += 1
        if c >= 0x80:
            v = c & 0x7F
            shift = 7
            c = b[i]
            i += 1
            while c >= 0x80:
                v |= (c & 0x7F) << shift
                shift += 7
                c = b[i]
                i += 1
            c = v | c << shift
        append(c)
    return out, i


def decode(b: bytes) -> Stored:
    """Read :func:`encode` output."""
    if not b or b[0] not in _VERSIONS:
        raise ValueError(f"unknown story fingerprint version {b[:1]!r}")
    flags = b[1]
    length, i = _read_varint(b, 2)
    n, i = _read_varint(b, i)
    gaps, i = _read_varints(b, i, n)
    ids = list(accumulate(gaps))
    counts = [1] * n
    m, i = _read_varint(b, i)
    gaps, i = _read_varints(b, i, m)
    for k, c in zip(accumulate(gaps), b[i : i + m], strict=True):
        counts[k] = c
    i += m
    hashes: list[frozenset[int]] = []
    for _ in range(5):
        k = b[i]
        i += 1
        hashes.append(frozenset(struct.unpack_from(f"<{k}I", b, i)) if k else frozenset())
        i += 4 * k
    seqs: list[list[int]] = [[], [], [], []]
    for at in range(4):
        if i >= len(b):
            break
        n, i = _read_varint(b, i)
        seqs[at], i = _read_varints(b, i, n)
    postings, cohorts, trial_names, effects = seqs
    if b[0] == 3:
        postings = [ids[-1 - k] for k in postings]
    return Stored(
        terms=dict(zip(ids, counts, strict=True)),
        ids=hashes[0],
        trials=hashes[1],
        length=length,
        weak=bool(flags & 1),
        page_kind=_KINDS[(flags >> 1) & 3],
        postings=tuple(postings),
        cohorts=tuple(cohorts),
        people=hashes[2],
        institutions=hashes[3],
        numbers=hashes[4],
        trial_names=tuple(trial_names),
        effects=frozenset(effects),
        listing=bool(flags & 8),
        factless=bool(flags & 16),
    )


def feature_kind(key: str) -> int:
    """0 for a body word, 1 for a title word."""
    return 1 if key[:1] == TITLE else 0


def distinct(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))
