"""Words: the one tokeniser used for queries and articles alike.

A word is a run of word characters (letters, digits; an underscore is dropped). Words are
case-folded, accents stripped, hyphens split, plurals lightly stemmed, so a query word
matches the article word whatever its form.
"""

from __future__ import annotations

import re
import unicodedata

# Two newlines with only white space between them are a paragraph break and come out of the
# same scan as the words, so an article is read once.
WORD_RE = re.compile(r"\w+|\n\s*\n")
QUERY_WORD_RE = re.compile(r"\w+")
_MARKS_RE = re.compile(r"[\u0300-\u036f]")

# British spellings folded onto the American ones so one query word covers both.
_SPELLING = {"tumour": "tumor", "tumoural": "tumoral", "oesophageal": "esophageal"}
# Plurals the suffix rules below would get wrong.
_IRREGULAR = {"viruses": "virus", "sinuses": "sinus", "foci": "focus", "mice": "mouse"}


def normalise_word(word: str) -> str:
    """Case-fold, strip accents and keep only letters and digits ("Métastases" -> "metastases")."""
    w = word.casefold()
    if not w.isascii():
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if c.isalnum() and not unicodedata.combining(c))
    elif "_" in w:
        w = w.replace("_", "")
    return w


def prepare(s: str) -> str:
    """Compose decomposed accents (NFC) so that the word pattern keeps each word whole."""
    if s.isascii() or not _MARKS_RE.search(s):
        return s
    return unicodedata.normalize("NFC", s)


def stem(w: str) -> str:
    """Light plural stemming; both the query and the article go through it."""
    w = _SPELLING.get(w, w)
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    n = len(w)
    if n <= 3 or not w.isalpha():
        return w
    if w.endswith("sis") and n > 6:  # metastasis / metastases -> metastase
        return w[:-2] + "e"
    if not w.endswith("s") or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies") and n > 4:  # therapies -> therapy
        return w[:-3] + "y"
    return _SPELLING.get(w[:-1], w[:-1])  # inhibitors -> inhibitor, tumours -> tumor


def words(text: str) -> list[str]:
    """The normalised, stemmed words of a piece of text, as the matcher sees them."""
    out = (normalise_word(t) for t in QUERY_WORD_RE.findall(prepare(text)))
    return [stem(w) for w in out if w]
