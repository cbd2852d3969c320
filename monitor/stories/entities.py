"""Study facts in a text: people, institutions and journals, numbers with their units, trial and
compound codes, and the identifiers DOI, PMID and NCT.

Names are capitalised phrases in body lines (headlines and bylines are skipped), classified as a
person ("Henrik Moller") or an organisation when they hold an institution word ("King's College
London", "The BMJ"). Numbers keep their unit ("215284 patients", "27%", "45 g") so that the same
figure said of different things does not agree; years, dates, list numbering and small counts
are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.stories.text import fold as _fold
from monitor.stories.text import stem

__all__ = ["codes", "effects", "identifiers", "names", "numbers", "strip_links", "trial_names"]


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


def names(text: str) -> tuple[set[str], set[str]]:
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


_UNITS = frozenset(
    """patient people participant adult child children women woman men man babi baby infant
    girl boy student user smoker drinker volunteer case death year month week day hour minute
    mile kilometr km metr cm mm kg g mg mcg ml litr unit calori time dose pound gram""".split()
)
#: units that make a number the size of a group of people (a cohort, a sample)
COHORT_UNITS = frozenset(
    """patient people participant adult child children women woman men man babi baby infant
    girl boy student user smoker drinker volunteer case death""".split()
)
_UNIT_WORD = re.compile(r"\s?([A-Za-z]+)")


def numbers(text: str) -> set[str]:
    """Distinctive numbers with their unit: "215284 patient", "27%", "19.4 month", "0.61".

    Years, dates, list numbering, the usual statistical thresholds and counts under ten are left
    out. A number followed by a unit word ("patients", "g", "years") carries the unit's stem.
    """
    out: set[str] = set()
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
            out.add(value + "%")
            continue
        if value in _COMMON_NUMBERS:
            continue
        if not frac:
            n = int(whole)
            if 1900 <= n <= 2100 or n < 10:
                continue
        unit = _UNIT_WORD.match(text, m.end())
        if unit:
            u = stem(_fold(unit.group(1)))
            if u in _UNITS:
                value += " " + u
        out.add(value)
    return out


_DIGITS = re.compile(r"\d+")


def codes(text: str) -> set[str]:
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


# a trial's own name: a word of four or more letters, two of them capitals, with a number
# ("KEYNOTE-177", "CheckMate-067", "IMpassion131", "CALYPSO-2") or with a capitalised second part
# ("HORIZON-HCC"); compound codes have two or three letters ("MK-3475", "AZD9291"), genes no
# hyphen ("BRCA1")
_TRIAL_NUMBERED = re.compile(r"(?=[A-Za-z]*[A-Z][A-Za-z]*[A-Z])[A-Za-z]{4,}-?\d{1,4}[a-z]?")
_TRIAL_WORDS = re.compile(r"[A-Z]{4,}(?:-[A-Z0-9]{2,})+")
_COMMON_TRIAL_NAMES = frozenset({"covid19", "sarscov2", "mersc", "hiv1", "hpv16", "hpv18"})


def trial_names(title: str, text: str) -> list[str]:
    """Named trials ("KEYNOTE-177", "HORIZON-HCC"), folded without hyphens: the title's first,
    then the text's in order of first mention; the first is the trial the page leads with."""
    out: list[str] = []
    for part in (title, text):
        if "-" not in part and not any(map(str.isdigit, part)):  # per character, in C
            continue
        for token in part.split():
            token = token.strip(".,;:!?()[]{}\"'“”‘’")
            if token.endswith(("'s", "’s")):
                token = token[:-2]
            if len(token) < 5 or not token[:1].isupper():
                continue
            numbered = _TRIAL_NUMBERED.fullmatch(token) and ("-" in token or not token.isupper())
            if not (numbered or _TRIAL_WORDS.fullmatch(token)):
                continue  # "BRCA1", "PCSK9": a gene or a target, not a trial
            name = token.replace("-", "").lower()
            digits = "".join(c for c in name if c.isdigit())
            if digits and len(digits) == 4 and 1900 <= int(digits) <= 2100:
                continue  # "ESMO-2025": a meeting and its year
            if name not in _COMMON_TRIAL_NAMES and name not in out:
                out.append(name)
    return out


_EFFECT = re.compile(
    r"(?:hazard ratio|odds ratio|relative risk|risk ratio|rate ratio|\b[a]?HR\b|\bOR\b|\bRR\b)"
    r"[\s:=,(]*(?:of|was|is|were|=)?\s*(\d?\.\d{1,3})(?!\d)",
    re.I,
)


def effects(text: str) -> set[int]:
    """Effect estimates a text states (hazard, odds and risk ratios), in hundredths: "hazard
    ratio 0.76" and "(HR 0.76)" are both 76."""
    if "ratio" not in text.lower() and "R" not in text:
        return set()
    out = set()
    for m in _EFFECT.finditer(text):
        token = m.group(0)
        if token[:2] in ("or", "Or") and not token.startswith("OR"):
            continue  # the word "or", not an odds ratio
        v = float(m.group(1))
        if 0 < v < 20:
            out.add(round(v * 100))
    return out


def identifiers(
    text: str, doi: Sequence[str] = (), nct: Sequence[str] = (), pmid: Sequence[str] = ()
) -> tuple[set[str], set[str], set[str]]:
    """(DOIs, NCT numbers, PMIDs) from the page metadata and anywhere in the text."""
    dois = {d.lower().rstrip(".") for d in doi}
    if "10." in text:  # identifiers count wherever they are, reference blocks included
        dois.update(d.lower().rstrip(".") for d in _DOI.findall(text))
    ncts = {n.upper().replace(" ", "") for n in nct}
    lower = text.lower()
    if "nct" in lower:
        ncts.update("NCT" + n for n in _NCT.findall(text))
    pmids = set(pmid)
    if "pmid" in lower:
        pmids.update(_PMID.findall(text))
    return dois, ncts, pmids


def strip_links(text: str) -> str:
    """The text without DOIs and web addresses (they are not names or figures)."""
    if "10." in text:
        text = _DOI.sub(" ", text)
    lower = text.lower()
    if "http" in lower or "www." in lower:
        text = _URL.sub(" ", text)
    return text
