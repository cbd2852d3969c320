"""Study identifiers (DOI, NCT number, PMID) and the journal named in a page."""

from __future__ import annotations

import re
from urllib.parse import unquote

# All patterns run on the lower-cased page and start with a literal, so the scan stays fast.
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"'<>&\\]+")
_DOI_ESCAPED = re.compile(r"10\.\d{4,9}%2f[^\s\"'<>&\\]+")
_NCT = re.compile(r"nct ?(\d{8})(?!\d)")
_PMIDS = (
    re.compile(r"pmid:?\s*(\d{5,9})(?!\d)"),
    re.compile(r"pubmed\.ncbi\.nlm\.nih\.gov/(\d{5,9})(?!\d)"),
    re.compile(r"/pubmed/(\d{5,9})(?!\d)"),
)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


_DOI_SHAPE = re.compile(r"10\.\d{4,9}/\S{2,}")


def clean_doi(doi: str) -> str | None:
    doi = doi.lower()
    query = doi.find("?")
    if query > 0 and "=" in doi[query:]:
        doi = doi[:query]  # a link's query string (?utm_source=...), not part of the DOI
    doi = doi.rstrip(".,;:)]}>'\"")
    if doi.count("(") < doi.count(")"):
        doi = doi.rstrip(")")
    for suffix in ("/full", "/abstract", "/pdf", "/epdf", "/fulltext"):
        if doi.endswith(suffix):
            doi = doi[: -len(suffix)]
    return doi if _DOI_SHAPE.fullmatch(doi) else None


def find_identifiers(raw_html: str, extra: list[str]) -> tuple[list[str], list[str], list[str]]:
    """DOIs, NCT numbers and PMIDs found in the page source and the given metadata strings."""
    dois: list[str] = []
    ncts: list[str] = []
    pmids: list[str] = []
    for hay in (raw_html[:4_000_000], *extra):
        low = hay.lower()
        if "10." in low:
            for match in _DOI.finditer(low):
                if match.start() and (
                    low[match.start() - 1].isalnum() or low[match.start() - 1] == "."
                ):
                    continue
                doi = clean_doi(match.group(0))
                if doi:
                    dois.append(doi)
            if "%2f" in low:
                for match in _DOI_ESCAPED.finditer(low):
                    doi = clean_doi(unquote(match.group(0)))
                    if doi:
                        dois.append(doi)
        if "nct" in low:
            for match in _NCT.finditer(low):
                if match.start() and low[match.start() - 1].isalnum():
                    continue
                ncts.append("NCT" + match.group(1))
        if "pmid" in low or "pubmed" in low:
            for pattern in _PMIDS:
                pmids.extend(match.group(1) for match in pattern.finditer(low))
    return _unique(dois), _unique(ncts), _unique(pmids)


_NAME = r"[*_\"“]?((?:[A-Z][\w’'&.-]*)(?: (?:of|and|for|in|the|&|[A-Z][\w’'&.-]*))*)"
# "published (online) in (the) (medical) journal X" and "... the journal X": the name follows.
_JOURNAL_NAMED = re.compile(r"\b[Jj]ournals?,? +" + _NAME)
_PUBLISHED_IN = re.compile(
    r"\bpublished(?: online| today| this week| recently| earlier this \w+)?(?: in| by)(?: the)?\s+"
    + _NAME
)
# Words that journal titles are made of; a name after "published in" without the word
# "journal" must contain one (or be one), so that "published in China" is not a journal.
_JOURNAL_WORDS = frozenset(
    """journal journals medicine medical reports research letters review reviews science sciences
    nature cell lancet bmj jama nejm proceedings annals archives clinical oncology cancer
    cardiology neurology pediatrics radiology hepatology gastroenterology immunology gut blood
    circulation brain plos elife bulletin transactions communications advances frontiers
    physiology psychiatry surgery epidemiology diabetes diabetologia endocrinology""".split()
)
_NOT_JOURNAL = re.compile(
    r"^(?:The|This|A|An|In|On|It|January|February|March|April|May|June|July|"
    r"August|September|October|November|December|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)$"
)


def _journal_name(raw: str) -> str | None:
    words = raw.strip(' .,;:*_"”').split()
    while words and words[-1] in ("of", "and", "for", "in", "the", "&"):
        words.pop()
    if not words or (_NOT_JOURNAL.match(words[0]) and (len(words) == 1 or words[0] != "The")):
        return None
    name = " ".join(words)
    return name if len(name) >= 3 else None


def journal_from_text(text: str) -> str | None:
    """The journal named by "the journal <Name>" or "published in <Journal Name>" phrasing."""
    if "ournal" in text:
        for match in _JOURNAL_NAMED.finditer(text):
            name = _journal_name(match.group(1))
            if name:
                return name
    if "published" in text:
        for match in _PUBLISHED_IN.finditer(text):
            name = _journal_name(match.group(1))
            if name and not {w.lower().strip(".") for w in name.split()}.isdisjoint(_JOURNAL_WORDS):
                return name
    return None
