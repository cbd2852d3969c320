"""Text to content terms: normalisation, the article body without page tails, stemmed words.

Pure functions, no state but a stem cache. Terms are Snowball (Porter 2) English stems of words
of three letters or more that are not stop words; capitalisation, accents and markdown residue do
not change them ("Tumours", "tumour's" and "[tumours](#)" are all ``tumour``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import snowballstemmer

__all__ = ["STOPWORDS", "body", "clean", "fold", "stem", "terms", "words"]

_MD_LINK = re.compile(r"\[([^\]\n]{0,200})\]\([^)\s]*\)")
_MD_MARK = re.compile(r"[*_#`>]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

#: English function words and reporting verbs: they say nothing about which study is reported
STOPWORDS = frozenset(
    """a about above after again against all almost also although always am among an and another
    any are around as at away back be became because become becomes been before being below
    between both but by can cannot could did do does doing done down during each either else
    enough even ever every few for from further get gets getting given gives go going got had has
    have having he her here hers herself him himself his how however if in into is it its itself
    just least less let like likely made make makes many may me might more most much must my
    myself near need never no nor not now of off often on once one only or other others otherwise
    our ours ourselves out over own per perhaps put rather really same see seen several shall she
    should since so some still such than that the their theirs them themselves then there these
    they this those though through thus to too toward towards under until up upon us use used
    using very via was we well were what whatever when where whether which while who whom whose
    why will with within without would yet you your yours yourself yourselves said says say saying
    told tell according added adds explained noted mr mrs ms dr prof professor cent percent two
    three four five six seven eight nine ten""".split()
) | frozenset(
    # the commonest function words of other languages an archive meets (Spanish, Portuguese,
    # French, German, Italian, Dutch, Indonesian), where no English word is spelled alike: in an
    # English archive they are rare, so they would weigh like a study's own words and bring
    # together any two pages in one language
    """que los las del una por para como pero sus fue esta este entre sobre cuando tambien
    muy desde todo nos uma das nao com pelo pela mais ele ela isso voce seus suas
    aqui sao les des une est pas sont dans qui avec pour mais sur nous vous aux cette leur ont
    elle ils der und ist nicht sich auf des eine einen auch oder wenn werden wird sind
    bei nach vom zur zum noch nur ich wir sie uber durch che della delle degli sono alla anche
    questo essere nel gli come piu het een zijn voor niet wordt maar ook naar yang dengan
    untuk dari ini itu dalam tidak akan pada oleh juga karena mereka kita bisa sudah atau
    saat lebih""".split()
)

_STEMMER = snowballstemmer.stemmer("english")


def clean(text: str) -> str:
    """Flatten markdown residue ``[word](#)`` and emphasis marks; normalise unicode (NFKC)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _MD_LINK.sub(r"\1", text)
    return _MD_MARK.sub(" ", text)


def fold(s: str) -> str:
    """Lower-case and strip accents ("Marañón" -> "maranon"); curly apostrophes become '."""
    if s.isascii():
        return s.lower()
    s = unicodedata.normalize("NFKD", s.lower()).replace("’", "'")
    return "".join(c for c in s if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded words (letters only; "covid-19" gives "covid")."""
    return _WORD.findall(fold(text))


@functools.lru_cache(maxsize=262144)
def stem(word: str) -> str:
    """The Snowball English stem of a folded word (cached: vocabularies are Zipfian)."""
    return _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """Content terms of a text in order: stems of non-stop words of three letters or more."""
    out = []
    for w in words(text):
        if w.endswith("'s"):
            w = w[:-2]
        if len(w) < 3 or w in STOPWORDS:
            continue
        out.append(stem(w))
    return out


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
_BARE = re.compile(r"[^\w ]+")


# "About Norvane Therapeutics", "About Velgotamab": the heading of a press release's boilerplate
# section on an organisation or a product ("About the study" describes the study and is kept)
_ABOUT = re.compile(r"^\s*about\s+(?!the\b|this\b|these\b|our\b)[^.!?]{2,60}$", re.I)


def body(text: str) -> str:
    """The text without a tail of teasers or comments, without service lines (citations,
    credits, copyright) and without the "About <organisation or product>" sections of a press
    release: the same boilerplate ends every release of one company, whatever the study. Tail
    markers and "About" headings count only in the second half, where page tails are."""
    half = len(text) // 2
    pos = 0
    kept: list[str] = []
    about = 0  # 1: after an "About" heading, 2: in its paragraph
    for line in text.splitlines():
        if pos > half and len(line) < 70:
            if _BARE.sub("", line).strip().lower() in _TAIL_MARKERS:
                break
            if _ABOUT.match(line) and len(line.split()) <= 6:
                about = 1  # skip the heading and its paragraph, up to the next blank line
        if about and line.strip() and not _ABOUT.match(line):
            about = 2
        elif about == 2 and not line.strip():
            about = 0
        pos += len(line) + 1
        if not about and not _SERVICE_LINE.match(line):
            kept.append(line)
    return "\n".join(kept)


def paragraphs(text: str, min_words: int = 60) -> Iterable[str]:
    """Consecutive paragraphs joined into passages of at least ``min_words`` words."""
    buf: list[str] = []
    n = 0
    for para in re.split(r"\n\s*\n|\n", text):
        if not para.strip():
            continue
        buf.append(para)
        n += para.count(" ") + 1
        if n >= min_words:
            yield "\n".join(buf)
            buf, n = [], 0
    if buf:
        yield "\n".join(buf)
