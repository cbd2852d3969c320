"""Stories: recognise one study told by several outlets, and keep different studies apart.

Pure logic, no I/O. An article becomes a :class:`Fingerprint` (a MinHash signature of its word
shingles plus the study facts found in its text and metadata); :func:`candidate_keys` turns the
fingerprint into lookup keys for the story index (``storage.story_index``); :func:`compare` weighs
the evidence between two fingerprints into one score with a readable reason; :func:`decide` puts
a new article into an existing story, a new story, or merges stories it proves are one.

Evidence and its weights (the decision threshold is 1.0):

* near-duplicate text: estimated Jaccard of word 3-shingles (one-permutation MinHash, 64 bins);
* identifiers: a shared DOI or PMID is strong, a shared NCT number is medium (the same trial has
  several reports); different DOIs or different NCT numbers on both sides count against;
* study facts: investigator names, institutions and journals, distinctive numbers (cohort sizes,
  percentages, hazard ratios), trial codes, directly quoted sentences;
* a topic shared by two articles is no evidence: topic words are never counted.

Texts shorter than :data:`MIN_WORDS` words get their own story: they have no keys, and compare as
different to everything, so they can never bridge two stories.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from monitor.model import ArticleRecord, StoryDecision

__all__ = [
    "MIN_WORDS",
    "THRESHOLD",
    "Candidate",
    "Evidence",
    "Fingerprint",
    "candidate_keys",
    "canonical_order",
    "compare",
    "decide",
    "explain",
    "fingerprint",
    "shingles",
]

#: texts with fewer words than this get their own story and are never compared
MIN_WORDS = 40
#: score at or above which two articles are one story
THRESHOLD = 1.0
#: score a second existing story needs before a new article merges it into the first
MERGE_THRESHOLD = 1.3
#: and the two stories' closest copies must score at least this against each other
BRIDGE_FLOOR = 0.5
#: candidates compared per existing story
PER_STORY = 4

BINS = 64  # MinHash signature length (one-permutation hashing, densified)
BANDS, BAND_ROWS = 10, 3  # LSH on the first 30 bins: P(candidate) = 0.74 at J=0.5, 0.24 at 0.3
SHINGLE = 3  # words per shingle
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_EMPTY = 0xFFFFFFFF

# -- text normalisation ----------------------------------------------------------------------

_MD_LINK = re.compile(r"\[([^\]\n]{0,200})\]\([^)\s]*\)")
_MD_MARK = re.compile(r"[*_#`>]+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def _clean(text: str) -> str:
    """Flatten markdown residue ``[word](#)`` and emphasis marks; normalise unicode."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _MD_LINK.sub(r"\1", text)
    return _MD_MARK.sub(" ", text)


def _fold(s: str) -> str:
    """Lower-case and strip accents ("Marañón" -> "maranon")."""
    if s.isascii():
        return s.lower()
    s = unicodedata.normalize("NFKD", s.lower()).replace("’", "'")
    return "".join(c for c in s if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def shingles(words: Sequence[str], k: int = SHINGLE) -> set[str]:
    """The set of ``k``-word shingles of a word list (the whole list if it is shorter)."""
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def _h32(s: str) -> int:
    """A stable 32-bit hash (the built-in ``hash`` is salted per process)."""
    return zlib.crc32(s.encode("utf-8"))


def _shingle_hashes(words: Sequence[str]) -> set[int]:
    """CRC-32 of each word 3-shingle (iterated in C: encode once, split, join, hash)."""
    parts = " ".join(words).encode("utf-8").split(b" ")
    if len(parts) < SHINGLE:
        return {zlib.crc32(b" ".join(parts))}
    return set(map(zlib.crc32, map(b" ".join, zip(parts, parts[1:], parts[2:], strict=False))))


def _minhash(hashes: set[int]) -> list[int]:
    """One-permutation MinHash: each shingle hash is mixed (odd multiplier, a bijection), its top
    6 bits choose one of 64 bins, each bin keeps its minimum; empty bins borrow from the next
    filled bin (rotation densification)."""
    sig = [_EMPTY] * BINS
    for h in hashes:
        m = (h * 0x9E3779B1) & 0xFFFFFFFF
        b = m >> 26
        v = (m * 0x85EBCA6B) & 0xFFFFFFFF  # a second bijection, so the value is not the bin
        if v < sig[b]:
            sig[b] = v
    if _EMPTY in sig and any(v != _EMPTY for v in sig):
        filled = [v != _EMPTY for v in sig]
        out = list(sig)
        for i in range(BINS):
            if not filled[i]:
                step = 1
                while not filled[(i + step) % BINS]:
                    step += 1
                # a borrowed value is tagged with the distance so it only matches the same borrow
                out[i] = (sig[(i + step) % BINS] + step * 0x9E3779B1) & 0xFFFFFFFF
        sig = out
    return sig


def _jaccard_estimate(a: Sequence[int], b: Sequence[int]) -> float:
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


# -- study facts -----------------------------------------------------------------------------

_ORG_WORDS = frozenset(
    """university universitario universitat universite college school institute institut
    hospital hospitals clinic clinica clinique center centre centers foundation society
    association academy department medicine medical journal lancet nature science cell
    health sciences oncology council agency administration ministry group company inc corp
    laboratories laboratory pharmaceuticals pharma therapeutics biosciences bio network
    consortium meeting congress symposium conference program trust service services national
    federal annual world european american international board""".split()
)
_CONNECTORS = frozenset({"of", "de", "del", "der", "van", "von", "for", "and", "the", "la", "du"})
_TITLES = frozenset(
    """about dr dr. prof prof. professor mr mr. mrs ms mrs. ms. the a an in on at for from this that
    these those according however but and or when while after before with by to as it its
    if our their his her we they researchers study""".split()
)
_CAP = r"[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’\-]+"
_NAME = re.compile(
    rf"(?<![\w.]){_CAP}(?:(?:\s+(?:[A-Z]\.|[A-Z]\.[A-Z]\.|of|de|del|der|van|von|for|and|the|la|du))*"
    rf"\s+{_CAP}){{1,5}}"
)
_PLACES = frozenset(
    """new york san los angeles francisco diego antonio united states kingdom america north south
    east west central city county republic union europe asia africa china japan korea india
    germany france spain italy switzerland canada australia brazil texas california london paris
    boston chicago houston seattle philadelphia madrid barcelona beijing shanghai tokyo""".split()
)
_NOT_NAME = frozenset(
    """professor chair director chief officer president head editor image bank credit photo
    getty research study trial phase cancer tumor tumour patients health news today home""".split()
)
_ROLES = frozenset(
    """author co-author coauthor researcher investigator oncologist surgeon physician doctor nurse
    hepatologist radiologist pathologist immunologist epidemiologist scientist biologist
    professor chair director chief head editor senior lead first corresponding""".split()
)
_MONTHS = frozenset(
    """jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december""".split()
)
_NUMBER = re.compile(
    r"(?<![\w.,/-])(\d{1,3}(?:,\d{3})+(?![\d])|\d+)(?:\.(\d+)|,(\d{1,2})(?!\d))?"
    r"(?:\s?(%|percent|per cent|prozent|por ciento|pour cent))?(?![\w/])"
)
_COMMON_NUMBERS = frozenset({"0.05", "0.01", "0.001", "0.0001", "95%", "100%", "50%"})
_CODE = re.compile(r"[A-Za-z]*[A-Z][A-Za-z]*-?\d{3,}[A-Za-z]?|[A-Z]{4,}-\d{1,2}[A-Za-z]?")
_COMMON_CODES = frozenset({"covid19", "ctla4", "sarscov2", "brca1", "brca2", "ptch1", "abcb1"})
_QUOTE = re.compile(r"[\"“”„«»]([^\"“”„«»]{20,1200})[\"“”„«»]")
_NCT = re.compile(r"\bNCT\s?(\d{8})\b", re.I)
_DOI = re.compile(r"\b(10\.\d{4,9}/(?:[^\s\"<>,;()\[\]]|\([^\s()]*\))+)", re.I)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_PMID = re.compile(r"\bPMID:?\s*(\d{6,9})\b", re.I)


def _is_title_case_line(line: str) -> bool:
    words = [w for w in line.split() if w[:1].isalpha()]
    if len(words) < 3:
        return False
    caps = sum(1 for w in words if w[0].isupper())
    return caps / len(words) > 0.6


_TITLE_SET = frozenset(t.rstrip(".") for t in _TITLES)


def _has_org_word(toks: Sequence[str]) -> bool:
    return any(_fold(t).rstrip(".") in _ORG_WORDS for t in toks)


def _classify(toks: list[str], persons: set[str], orgs: set[str]) -> None:
    """File one capitalised phrase as a person, an organisation, or nothing."""
    while toks and (_fold(toks[0]).rstrip(".") in _TITLE_SET or _fold(toks[0]) in _ROLES):
        toks = toks[1:]
    while toks and (toks[-1].lower() in _CONNECTORS or _fold(toks[-1]).rstrip(".") in _TITLE_SET):
        toks = toks[:-1]
    folded = [_fold(t).strip("'’-") for t in toks]
    content = [t for t in folded if t not in _CONNECTORS and not re.fullmatch(r"\w\.", t)]
    if len(content) < 2:
        return
    if any(t.rstrip(".") in _ORG_WORDS for t in content):
        orgs.add(" ".join(folded))
    elif (
        len(content) <= 3
        and not any(t.rstrip(".").isupper() and len(t.rstrip(".")) > 1 for t in toks)
        and not any(t in _CONNECTORS for t in folded)
        and not any(t in _PLACES or t in _NOT_NAME for t in content)
    ):
        # a person: first and last name, middle initials dropped; with three words the first
        # may be a role ("Hepatologist Elena Ruiz"), so both readings are kept
        persons.add(f"{content[0]} {content[-1]}")
        if len(content) == 3:
            persons.add(f"{content[1]} {content[-1]}")


def _names(text: str) -> tuple[set[str], set[str]]:
    """Proper-name phrases in body text: (persons, organisations), folded to lower case.

    Title-case lines (headlines, bylines, breadcrumbs) are skipped: their capitals mean nothing.
    """
    persons: set[str] = set()
    orgs: set[str] = set()
    for line in text.splitlines():
        found = list(_NAME.finditer(line))
        if not found or _is_title_case_line(line) or line.count(" ") < 4:
            # headings, bylines and captions of a few words are not where studies are named
            continue
        for m in found:
            toks = m.group(0).split()
            for i, t in enumerate(toks):  # "Michigan's Rogel Center": the possessor is the name
                if t.endswith(("'s", "’s")):
                    toks = toks[: i + 1]
                    toks[-1] = toks[-1][:-2]
                    break
            # "Helena Marsh and Rafael Quintero of the Adriatic Institute": split at "and", and
            # at "of" when what precedes it is not an organisation ("University of Michigan")
            chunks: list[list[str]] = [[]]
            for t in toks:
                if t == "and":
                    chunks.append([])
                elif t == "of" and chunks[-1] and not _has_org_word(chunks[-1]):
                    chunks.append([])
                else:
                    chunks[-1].append(t)
            for chunk in chunks:
                _classify(chunk, persons, orgs)
    return persons, orgs


def _numbers(text: str) -> tuple[set[str], set[str]]:
    """Distinctive numbers: (strong, weak). Years, day-of-month, small counts and the usual
    statistical thresholds are left out; strong = decimals, 3+ digit counts, exact percents."""
    strong: set[str] = set()
    weak: set[str] = set()
    for m in _NUMBER.finditer(text):
        # "31,4 %" (decimal comma) reads as 31.4%, "1,204" (thousands) as 1204
        whole, frac, pct = m.group(1).replace(",", ""), m.group(2) or m.group(3), m.group(4)
        line_start = text.rfind("\n", 0, m.start()) + 1
        if not text[line_start : m.start()].strip() and text[m.end() : m.end() + 1] in ".)":
            continue  # list numbering: "3. Drink water"
        before = text[max(0, m.start() - 12) : m.start()].lower().split()
        after = text[m.end() : m.end() + 12].lower().split()
        if (before and before[-1].strip(".,") in _MONTHS) or (
            after and after[0].strip(".,") in _MONTHS
        ):
            continue  # a date
        value = whole.lstrip("0") or "0"
        if frac:
            value += "." + frac
        if pct:
            value += "%"
        if value in _COMMON_NUMBERS:
            continue
        if not frac and not pct:
            n = int(whole)
            if 1900 <= n <= 2100 or n < 10:
                continue
            (strong if n >= 100 else weak).add(value)
        elif frac:
            strong.add(value)
        else:  # whole percent
            (weak if int(whole) % 5 == 0 else strong).add(value)
    return strong, weak


# drug names by their nonproprietary-name stems (-mab antibodies, -nib kinase inhibitors, ...)
_DRUG_STEMS = tuple(
    """mab nib parib ciclib lisib degib zomib platin taxel rubicin tecan citabine fenib stat sartan
    gliflozin glutide siran rsen vec cel cept""".split()
)


def _drugs(words: Sequence[str]) -> set[str]:
    return {w for w in set(words) if len(w) > 6 and w.endswith(_DRUG_STEMS) and w.isalpha()}


_DIGITS = re.compile(r"\d+")


def _codes(text: str) -> set[str]:
    """Trial and compound codes such as KEYNOTE-177, IMpassion131, MK-3475 (not NCT numbers)."""
    out = set()
    end = -1
    for m in _DIGITS.finditer(text):  # digits are rare: widen each run to its whole token
        if m.start() < end:
            continue
        start = text.rfind(" ", 0, m.start()) + 1
        nl = text.rfind("\n", 0, m.start()) + 1
        start = max(start, nl)
        end = len(text)
        for sep in (" ", "\n"):
            i = text.find(sep, m.end())
            if i != -1:
                end = min(end, i)
        token = text[start:end].strip(".,;:!?()[]{}\"'“”‘’")
        if not token[:1].isalpha() or not _CODE.fullmatch(token):
            continue
        code = token.replace("-", "").lower()
        if not code.startswith("nct") and code not in _COMMON_CODES:
            out.add(code)
    return out


def _quote_grams(text: str, keep: int = 48) -> list[int]:
    """Bottom-``keep`` hashes of the word 4-grams inside direct quotes."""
    grams: set[int] = set()
    for m in _QUOTE.finditer(text):
        words = _words(m.group(1))
        if len(words) < 6:
            continue
        for i in range(len(words) - 3):
            grams.add(_h32(" ".join(words[i : i + 4])))
    return sorted(grams)[:keep]


_PRESS = (
    "press release",
    "news release",
    "media contact",
    "for immediate release",
    "prnewswire",
    "business wire",
    "globe newswire",
    "embargoed",
)
_SYNDICATED = ("provided by", "this document is subject to copyright", " retrieved ")


def _kind(record: ArticleRecord, text: str) -> str:
    """A hint of what the copy is, for choosing the canonical copy."""
    src = f"{record.source} {record.canonical_url}".lower()
    if record.journal and _fold(record.journal) in _fold(record.source or ""):
        return "journal"
    if "doi.org/" in src or "/doi/" in src:
        return "journal"
    head, tail = text[:3000].lower(), text[-3000:].lower()
    if any(p in head or p in tail for p in _PRESS) or "newswire" in src:
        return "press-release"
    if "eurekalert" in src or "press" in src or "newsroom" in src:
        return "press-release"
    if any(p in tail for p in _SYNDICATED):
        return "syndication"
    return "article"


# -- the fingerprint -------------------------------------------------------------------------


@dataclass
class Fingerprint:
    """What the story stage remembers of an article: small, JSON-serialisable, enough to compare."""

    signature: list[int] = field(default_factory=list)  # MinHash of word 3-shingles
    doi: list[str] = field(default_factory=list)
    nct: list[str] = field(default_factory=list)
    pmid: list[str] = field(default_factory=list)
    journal: str | None = None
    persons: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # strong numbers
    weak_numbers: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)  # international nonproprietary names
    quotes: list[int] = field(default_factory=list)  # hashes of quoted word 4-grams
    published: str | None = None  # ISO 8601, UTC
    source: str = ""
    url: str = ""
    title: str = ""
    length: int = 0  # words
    kind: str = "article"  # journal | press-release | syndication | article | short

    @property
    def short(self) -> bool:
        return self.kind == "short" or self.length < MIN_WORDS

    def published_at(self) -> datetime | None:
        return datetime.fromisoformat(self.published) if self.published else None

    def to_json(self) -> str:
        d = {k: v for k, v in vars(self).items() if v not in (None, "", [], 0)}
        return json.dumps(d, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> Fingerprint:
        """Read :meth:`to_json` output; fields this version does not know are ignored."""
        data = json.loads(s)
        return cls(**{k: v for k, v in data.items() if k in _FIELDS})


_FIELDS = frozenset(f.name for f in fields(Fingerprint))


def _utc_iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat()


_TAIL_MARKERS = frozenset(
    """around the web|related|related articles|related stories|related news|related content|
    read more|read next|more from|more stories|recommended|recommended for you|you may also like|
    you might also like|trending|most popular|most read|latest news|leave a comment|comments|
    share this|share this article|sign up for our newsletter|subscribe""".replace("\n", "")
    .replace("    ", "")
    .split("|")
)
_SERVICE_LINE = re.compile(
    r"^\s*(citation:|this document is subject to copyright|provided by |credit:|©|more information:|"
    r"image:|photo:|source:)",
    re.I,
)


def _article_body(text: str) -> str:
    """The text without the tail of teasers/comments and without service lines (citations,
    credits, copyright). Markers count only in the second half, where page tails are."""
    lines = text.splitlines()
    half = len(text) // 2
    pos = 0
    kept: list[str] = []
    for line in lines:
        if pos > half and len(line) < 40:
            bare = re.sub(r"[^\w ]+", "", line).strip().lower()
            if bare in _TAIL_MARKERS:
                break
        pos += len(line) + 1
        if not _SERVICE_LINE.match(line):
            kept.append(line)
    return "\n".join(kept)


def fingerprint(record: ArticleRecord) -> Fingerprint:
    """Fingerprint one article from its text and metadata."""
    full = _clean(record.text)
    text = _article_body(full)
    words = _words(text)
    doi = {d.lower().rstrip(".") for d in record.doi}
    lower = full.lower()
    if "10." in full:  # identifiers count wherever they are, reference blocks included
        doi.update(d.lower().rstrip(".") for d in _DOI.findall(full))
    nct = {n.upper().replace(" ", "") for n in record.nct}
    if "nct" in lower:
        nct.update("NCT" + n for n in _NCT.findall(full))
    pmid = set(record.pmid)
    if "pmid" in lower:
        pmid.update(_PMID.findall(full))
    prose = text
    if "10." in text:
        prose = _DOI.sub(" ", prose)
    if "http" in lower or "www." in lower:
        prose = _URL.sub(" ", prose)  # identifiers and links are not names or figures
    persons, orgs = _names(prose)
    if record.journal:
        orgs.add(_fold(record.journal))
    strong, weak = _numbers(prose)
    fp = Fingerprint(
        doi=sorted(doi),
        nct=sorted(nct),
        pmid=sorted(pmid),
        journal=_fold(record.journal) if record.journal else None,
        persons=sorted(persons),
        orgs=sorted(orgs),
        numbers=sorted(strong),
        weak_numbers=sorted(weak - strong),
        codes=sorted(_codes(prose)),
        drugs=sorted(_drugs(words)),
        quotes=_quote_grams(text),
        published=_utc_iso(record.published),
        source=record.source or "",
        url=record.canonical_url or record.url or "",
        title=(record.title or "").strip(),
        length=len(words),
    )
    if len(words) < MIN_WORDS:
        fp.kind = "short"
        return fp  # no signature: a short text must not look like anything
    fp.signature = _minhash(_shingle_hashes(words))
    fp.kind = _kind(record, full)
    return fp


def _key_hash(parts: Sequence[int]) -> str:
    return format(_h32(",".join(map(str, parts))), "08x")


def candidate_keys(fp: Fingerprint) -> list[str]:
    """Keys under which the story index files this article and looks up its candidates.

    LSH band keys ("b3:9f0c12aa") find near-duplicate text; identifier keys ("doi:...",
    "nct:...", "pmid:...") and fact keys ("person:...", "code:...", "facts:718|31.4%" for pairs of
    figures and drug names) find rewrites that share the study but few sentences. Short texts have
    no keys.
    """
    if fp.short:
        return []
    keys: list[str] = []
    if len(fp.signature) == BINS:
        for band in range(BANDS):
            rows = fp.signature[band * BAND_ROWS : (band + 1) * BAND_ROWS]
            keys.append(f"b{band}:{_key_hash(rows)}")
    if len(fp.doi) <= 5:  # a long reference list is not this article's identity
        keys += [f"doi:{d}" for d in fp.doi]
    if len(fp.pmid) <= 5:
        keys += [f"pmid:{p}" for p in fp.pmid]
    keys += [f"nct:{n}" for n in fp.nct[:5]]
    keys += [f"person:{p}" for p in sorted(fp.persons, key=_h32)[:6]]
    keys += [f"code:{c}" for c in sorted(fp.codes, key=_h32)[:3]]
    # a single figure or drug is too common to look up by; pairs of them are not. The pool
    # prefers distinctive figures and is chosen by hash order, so copies pick alike
    pool = sorted(fp.numbers, key=_h32)[:4]
    pool += sorted(fp.weak_numbers, key=_h32)[: 4 - len(pool)]
    pool += sorted(fp.drugs, key=_h32)[: 4 - len(pool)]
    keys += [f"facts:{a}|{b}" for a, b in itertools.combinations(sorted(pool), 2)]
    return list(dict.fromkeys(keys))


# -- comparing two fingerprints --------------------------------------------------------------


@dataclass
class Evidence:
    """The verdict on two articles: one story or not, the score behind it, and why."""

    same: bool
    score: float
    reason: str


def _few(items: Sequence[str], n: int = 4) -> str:
    items = sorted(items)
    more = f" (+{len(items) - n})" if len(items) > n else ""
    return ", ".join(items[:n]) + more


_STOP = frozenset(
    """a an the of in on at to for from by with and or but as is are was were be been it its this
    that these those after before over under into about than new study studies says say may can
    could will would how why what when who vs via""".split()
)


@functools.lru_cache(maxsize=8192)
def _title_terms(title: str) -> frozenset[str]:
    """Content words of a title, crude plural folding ("tumours" = "tumour")."""
    out = set()
    for w in _words(title):
        if w in _STOP or len(w) < 3 or w.isdigit():
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w)
    return frozenset(out)


def _days_apart(a: Fingerprint, b: Fingerprint) -> float | None:
    pa, pb = a.published_at(), b.published_at()
    if pa is None or pb is None:
        return None
    return abs((pa - pb).total_seconds()) / 86400


def compare(a: Fingerprint, b: Fingerprint) -> Evidence:
    """Weigh the evidence that two articles report the same study."""
    if a.short or b.short:
        which = "first" if a.short else "second"
        return Evidence(False, 0.0, f"not compared: the {which} text is too short (own story)")
    parts, days = _evidence(a, b)
    score = round(sum(w for w, _ in parts), 3)
    same = score >= THRESHOLD
    verdict = "same story" if same else "different stories"
    if not parts:
        detail = "nothing shared but (at most) the topic"
    else:
        detail = "; ".join(f"{why} ({w:+.2f})" for w, why in sorted(parts, key=lambda p: -p[0]))
    if days is not None and days > 21:
        detail += f"; published {days:.0f} days apart"
    return Evidence(same, score, f"{verdict}, score {score:.2f} (threshold {THRESHOLD}): {detail}")


def explain(a: Fingerprint, b: Fingerprint) -> str:
    """A multi-line account of :func:`compare` for people (``monitor stories explain A B``)."""
    ev = compare(a, b)
    lines = [
        f"{'SAME STORY' if ev.same else 'DIFFERENT STORIES'}: score {ev.score:.2f}"
        f" (threshold {THRESHOLD})",
        f"  A: {a.title or '(no title)'} [{a.source or '?'}, {a.published or 'undated'},"
        f" {a.length} words, {a.kind}]",
        f"  B: {b.title or '(no title)'} [{b.source or '?'}, {b.published or 'undated'},"
        f" {b.length} words, {b.kind}]",
    ]
    if a.short or b.short:
        return "\n".join(lines + ["  " + ev.reason])
    parts, days = _evidence(a, b)
    for w, why in sorted(parts, key=lambda p: -p[0]):
        lines.append(f"  {w:+.2f}  {why}")
    if not parts:
        lines.append("  +0.00  nothing shared but (at most) the topic")
    if days is not None:
        lines.append(f"         published {days:.1f} days apart")
    return "\n".join(lines)


def _evidence(a: Fingerprint, b: Fingerprint) -> tuple[list[tuple[float, str]], float | None]:
    """The weighted pieces of evidence between two (long enough) fingerprints."""
    parts: list[tuple[float, str]] = []

    # near-duplicate text
    j = _jaccard_estimate(a.signature, b.signature)
    if j >= 0.5:
        parts.append((min(1.6, 1.0 + (j - 0.5) * 2), f"near-duplicate text (J~{j:.2f})"))
    elif j >= 0.2:
        parts.append(((j - 0.2) / 0.3 * 0.8, f"overlapping text (J~{j:.2f})"))

    # identifiers
    doi_a, doi_b = set(a.doi), set(b.doi)
    if doi_a & doi_b:
        w = (
            1.5
            if max(len(doi_a), len(doi_b)) <= 2
            else 1.0
            if max(len(doi_a), len(doi_b)) <= 4
            else 0.4
        )
        parts.append((w, f"same DOI {_few(doi_a & doi_b, 2)}"))
    elif doi_a and doi_b and len(doi_a) <= 3 and len(doi_b) <= 3:
        parts.append((-0.8, f"different DOIs ({_few(doi_a, 1)} vs {_few(doi_b, 1)})"))
    pm_a, pm_b = set(a.pmid), set(b.pmid)
    if pm_a & pm_b and not doi_a & doi_b:
        parts.append((1.2 if len(pm_a) <= 3 and len(pm_b) <= 3 else 0.4, "same PMID"))
    nct_a, nct_b = set(a.nct), set(b.nct)
    if nct_a & nct_b:
        parts.append((0.35, f"same trial {_few(nct_a & nct_b, 2)}"))
    elif nct_a and nct_b:
        parts.append((-0.8, f"different trials ({_few(nct_a, 1)} vs {_few(nct_b, 1)})"))

    # people, institutions, journal
    persons = set(a.persons) & set(b.persons)
    people = len({p.rsplit(" ", 1)[-1] for p in persons})  # count surnames once
    orgs = set(a.orgs) & set(b.orgs)
    name_w = min(0.9, 0.3 * people + 0.1 * len(orgs))
    if persons:
        parts.append((min(name_w, 0.3 * people), f"same people: {_few(persons)}"))
    if orgs:
        parts.append(
            (name_w - min(name_w, 0.3 * people), f"same institutions/journal: {_few(orgs, 3)}")
        )
    days = _days_apart(a, b)
    close = days is not None and days <= 2  # independent coverage of one event is simultaneous
    names = people + len(orgs)
    if names >= 2 and close:
        parts.append((0.2, f"same names within {max(days, 1):.0f} days"))
    if a.journal and a.journal == b.journal and days is not None and days <= 3:
        parts.append((0.15, f"same journal ({a.journal}) within {days:.0f} days"))

    # figures, trial codes, quotes
    all_a, all_b = set(a.numbers) | set(a.weak_numbers), set(b.numbers) | set(b.weak_numbers)
    strong = set(a.numbers) & set(b.numbers)
    weak = (all_a & all_b) - strong
    num_w = min(0.9, 0.3 * len(strong) + min(0.45, 0.15 * len(weak)))
    if num_w:
        parts.append((num_w, f"same figures: {_few(strong | weak, 5)}"))
    shared_all, fewer_all = len(all_a & all_b), min(len(all_a), len(all_b))
    # (small counts alone agree by chance on pages full of them: dates, lists, tables)
    if (
        shared_all >= 3
        and shared_all / fewer_all >= 0.75
        and (strong or max(len(all_a), len(all_b)) <= 8)
    ):
        parts.append((0.25, f"figures agree ({shared_all} of {fewer_all})"))
    # facts each side brings of its own: a rewrite keeps most facts of the shorter copy; a
    # follow-up, a review, a roundup or another trial of the same drug brings its own
    fa = set(a.numbers) | {p.rsplit(" ", 1)[-1] for p in a.persons} | set(a.codes)
    fb = set(b.numbers) | {p.rsplit(" ", 1)[-1] for p in b.persons} | set(b.codes)
    if len(fa) >= 3 and len(fb) >= 3:
        own = min(len(fa - fb) / len(fa), len(fb - fa) / len(fb))
        if own >= 0.35:
            # outlets covering one event the same day each add facts of their own; a follow-up,
            # a review or a roundup comes later
            w = -min(1.0, 0.4 + (own - 0.35) * 2)
            parts.append((w, f"each brings facts of its own ({own:.0%} of the closer one)"))
    # a shared drug name is the topic, not the study: it only helps to find candidates
    ta, tb = _title_terms(a.title), _title_terms(b.title)
    if ta and tb:
        shared_t = ta & tb
        if len(shared_t) >= 3 and len(shared_t) / min(len(ta), len(tb)) >= 0.6:
            parts.append((0.3, f"similar titles ({_few(shared_t, 5)})"))
    codes_a, codes_b = set(a.codes), set(b.codes)
    codes = codes_a & codes_b
    if codes:
        parts.append((min(0.6, 0.35 * len(codes)), f"same trial/compound code: {_few(codes, 3)}"))
    if codes_a - codes_b and codes_b - codes_a:
        parts.append(
            (
                -0.3,
                f"different trial codes ({_few(codes_a - codes_b, 2)} vs "
                f"{_few(codes_b - codes_a, 2)})",
            )
        )
    qa, qb = set(a.quotes), set(b.quotes)
    shared_q = len(qa & qb)
    if shared_q >= 3:
        w = 0.9 if shared_q >= 10 else 0.5
        parts.append((w, f"same quotes ({shared_q} quoted 4-word phrases)"))

    return parts, days


# -- deciding where an article goes ----------------------------------------------------------


@dataclass
class Candidate:
    """An archived article that might be the same story, as the story index returns it."""

    article_id: int
    story_id: int
    fingerprint: Fingerprint


def decide(fp: Fingerprint, candidates: Sequence[Candidate]) -> StoryDecision:
    """Choose the story of a new article among its candidates.

    The best-matching story wins; when another existing story also matches strongly (score at
    least :data:`MERGE_THRESHOLD`), the new article proves they are one: the decision names the
    oldest (lowest id) story and lists the others in ``merge_story_ids``.
    """
    if fp.short:
        return StoryDecision(None, 0.0, "new story: text too short to compare")
    best: dict[int, tuple[Evidence, int]] = {}
    fps: dict[int, Fingerprint] = {}
    seen: dict[int, int] = {}
    for c in candidates:
        if c.fingerprint.short:
            continue
        # copies of one story say the same thing: the first few (the index ranks candidates by
        # shared keys) are enough, which keeps big stories cheap
        seen[c.story_id] = seen.get(c.story_id, 0) + 1
        if seen[c.story_id] > PER_STORY:
            continue
        ev = compare(fp, c.fingerprint)
        prev = best.get(c.story_id)
        if prev is None or ev.score > prev[0].score:
            best[c.story_id] = (ev, c.article_id)
            fps[c.story_id] = c.fingerprint
    if not best:
        return StoryDecision(None, 0.0, "new story: no candidates share a key")
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0].score, kv[0]))
    top_story, (top_ev, top_article) = ranked[0]
    if not top_ev.same:
        return StoryDecision(
            None,
            top_ev.score,
            f"new story: nearest is article {top_article} (story {top_story}): {top_ev.reason}",
            matched_article_id=None,
        )
    # a merge needs the new article to match both stories strongly, and the two stories' closest
    # copies must not contradict each other: a roundup citing two studies bridges nothing
    joined = {top_story} | {
        s
        for s, (ev, _) in ranked[1:]
        if ev.score >= MERGE_THRESHOLD and compare(fps[top_story], fps[s]).score >= BRIDGE_FLOOR
    }
    story = min(joined)
    merge = tuple(sorted(joined - {story}))
    reason = f"matches article {top_article} (story {top_story}): {top_ev.reason}"
    if merge:
        reason += f"; also proves stories {', '.join(map(str, merge))} are the same story"
    return StoryDecision(
        story, top_ev.score, reason, matched_article_id=top_article, merge_story_ids=merge
    )


_KIND_RANK = {"journal": 0, "press-release": 0, "syndication": 1, "article": 2, "short": 3}


def canonical_order(fp: Fingerprint) -> tuple:
    """Sort key for a story's copies: lower is the better canonical copy.

    Journals and press-release originators first, then the earliest, then the longest.
    """
    published = fp.published_at()
    ts = published.timestamp() if published else float("inf")
    return (_KIND_RANK.get(fp.kind, 2), ts, -fp.length, fp.source, fp.url)
