"""Pages that gather several unrelated pieces: roundups, newsletters, "news in brief",
conference highlights, journal watches. Words from different pieces of such a page say
nothing about each other, so such a page is matched piece by piece.

A page is read as a roundup when its title (or a short opening paragraph) calls it one and
at least two pieces are found. Pieces are found by the page's own structure:

- headings: short paragraphs without final punctuation, each followed by text
  ("Liver surgery", "Session 2: Liver metastases"); a piece runs to the next heading;
- otherwise every paragraph or list line is a piece ("• Atezolizumab fails ...",
  "Repeat hepatectomy. Patients whose ...", "1. Radioembolisation ...").

Each piece is matched as an article of its own: its headline is its heading (if any) with
its first sentence, its text the rest. A short lead-in label ("Study 2.", "Morning:") is
read together with the sentence after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a roundup calls itself: nouns for a collection of news, not a verb ("study highlights").
_CUE = re.compile(
    r"""\b(?:
        round-?\s?ups?|in\ brief|news\ briefs?|briefs|briefing|bulletin|newsletter|
        (?:news|weekly|daily|monthly|research|oncology|literature)\ digest|^digest\b|
        headlines|(?:^|:\s)highlights\b|highlights\ (?:from|of)\b|\bhighlights$|
        top\ (?:stories|abstracts|papers|news|studies)|the\ week\ in|week\ in\ review|
        (?:this|last)\ (?:week|month)\ in|what\ we(?:'re|\ are)?\ read(?:ing)?|
        journal\ (?:watch|scan|club)|\w+\ watch$|notebook|what'?s\ new|in\ case\ you\ missed|
        things\ (?:we\ )?(?:learned|to\ know)|(?:you\ )?(?:may|might)\ have\ missed|
        short\ takes|quick\ (?:takes|hits)|news\ (?:bites|wrap|round)|at\ a\ glance|recap|
        preview|(?:research|news|trials?|pipeline)\ updates?|news\ in\ numbers|
        (?:\d+|two|three|four|five|six|seven|eight|nine|ten)\ (?:new\ )?
            (?:studies|papers|abstracts|things|stories|takeaways|highlights)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# How the opening paragraph of a roundup introduces it.
_INTRO_CUE = re.compile(
    r"\b(?:here (?:is|are) (?:what|the|this)|this (?:week|month|issue)['’]s\b|in this issue|"
    r"welcome to|our (?:editors|picks)|we (?:picked|selected|rounded up)|caught our|"
    r"round-?\s?ups?|newsletter|bulletin|digest|in brief|briefing)",
    re.IGNORECASE,
)
# Numbered pieces: "1. ...", "(2) ...", "Case 3: ...", "Study B. ..."
_ENUMERATED = re.compile(
    r"^\s*(?:\(?\d{1,2}[.)]|(?:case|study|item|story|paper|trial|abstract|company|part|no\.?)"
    r"\s+(?:\d{1,2}|[A-Z])\b[.:)]?)\s",
    re.IGNORECASE,
)
# A piece led by a short label: "Melanoma: ...", "Lancet Oncology: ...".
_LABELLED = re.compile(r"^([A-Z][^.:!?\n]{1,40}?):\s+\S")
# Labels that divide one piece rather than lead several: a structured abstract, a Q&A.
_SECTION_LABELS = {
    "background",
    "methods",
    "method",
    "results",
    "result",
    "conclusion",
    "conclusions",
    "objective",
    "objectives",
    "purpose",
    "aim",
    "aims",
    "design",
    "setting",
    "participants",
    "interventions",
    "findings",
    "interpretation",
    "funding",
    "introduction",
    "discussion",
    "limitations",
    "q",
    "a",
    "question",
    "answer",
    "context",
    "importance",
    "exposure",
    "main outcomes and measures",
    "conclusions and relevance",
    "bottom line",
    "why it matters",
    "what this means",
    "what's next",
    "next steps",
    "editor's note",
    "note",
    "update",
    "correction",
    "disclosure",
    "disclosures",
    "source",
    "sources",
    "reference",
    "references",
}
_BULLET = re.compile(r"^\s*(?:[•·▪◦*\-–—]|\(?\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"“'‘(\[]?[A-Z0-9])")
_LABEL_WORDS = 8  # a first sentence this short is a lead-in label, read with the next one
_HEADING_WORDS = 14
_INTRO_WORDS = 50


@dataclass(frozen=True)
class Piece:
    """One item of a roundup, as an article of its own."""

    title: str  # its heading and first sentence
    text: str  # the rest
    number: int  # 1-based, in page order
    of: int  # how many pieces the page has

    @property
    def label(self) -> str:
        head = " ".join(self.title.split())
        return head if len(head) <= 90 else head[:87] + "..."


def is_roundup(title: str, text: str) -> bool:
    """Whether the page calls itself a collection (title, or a short opening paragraph), or
    is laid out as one: numbered pieces ("1.", "Case 2:"), or pieces each led by a label of
    its own ("Melanoma: ...", "Surgery: ...")."""
    if _CUE.search(title.strip()):
        return True
    first = text.lstrip().split("\n\n", 1)[0]
    if len(first.split()) <= _INTRO_WORDS and _INTRO_CUE.search(first):
        return True
    blocks = _blocks(text, strip=False)
    if sum(1 for b in blocks if _ENUMERATED.match(b)) >= 3:
        return True
    labels = [m.group(1).casefold() for b in blocks if (m := _LABELLED.match(b))]
    labels = [lab for lab in labels if lab not in _SECTION_LABELS]
    return (
        len(labels) >= 3 and len(set(labels)) == len(labels) and len(labels) * 3 >= len(blocks) * 2
    )


def split(title: str, text: str) -> list[Piece] | None:
    """The pieces of a roundup page, or None for an ordinary article."""
    if not is_roundup(title, text):
        return None
    blocks = _blocks(text)
    headed = [i for i, b in enumerate(blocks) if _is_heading(b, blocks, i)]
    groups: list[tuple[str, list[str]]] = []
    if len(headed) >= 2:
        for k, i in enumerate(headed):
            stop = headed[k + 1] if k + 1 < len(headed) else len(blocks)
            groups.append((blocks[i].rstrip(":"), blocks[i + 1 : stop]))
    else:
        groups = [("", [b]) for b in blocks if not b.endswith(":")]
    if len(groups) < 2:
        return None
    pieces = []
    for n, (heading, body) in enumerate(groups, 1):
        first, rest = _headline("\n\n".join(body), labelled=not heading)
        head = f"{heading}: {first}" if heading and first else heading or first
        pieces.append(Piece(head, rest, n, len(groups)))
    return pieces


def _blocks(text: str, strip: bool = True) -> list[str]:
    """Paragraphs, with each line of a list (lines without a blank line between) on its own;
    bullets and numbers removed unless `strip` is false."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        out.extend(ln.strip() for ln in para.split("\n") if ln.strip())
    if strip:
        out = [_BULLET.sub("", b) for b in out]
    return [b for b in out if b]


def _is_heading(block: str, blocks: list[str], i: int) -> bool:
    if i + 1 >= len(blocks) or block[-1] in ".!?;":
        return False
    if len(block.split()) > _HEADING_WORDS:
        return False
    nxt = blocks[i + 1]
    return nxt[-1] in '.!?;"”)' or len(nxt.split()) > _HEADING_WORDS


def _headline(body: str, labelled: bool = True) -> tuple[str, str]:
    """(first sentence, with a short lead-in label before it if `labelled`; the rest)."""
    body = body.strip()
    ends = []
    for m in _SENTENCE_END.finditer(body):
        ends.append(m)
        if len(ends) == 2:
            break
    if not ends:
        return body, ""
    cut = ends[0]
    if labelled and len(body[: cut.start()].split()) <= _LABEL_WORDS:  # "Study 2." / "Surgery."
        if len(ends) == 1:
            return body, ""
        cut = ends[1]
    return body[: cut.start()].strip(), body[cut.end() :].strip()
