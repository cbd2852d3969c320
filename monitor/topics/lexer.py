"""Query text -> tokens, with 1-based columns for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.topics.errors import QueryError

MAX_NEAR = 1000  # the largest NEAR distance and COUNT
FIELDS = ("title", "lead")
_OPERATOR_WORDS = {"AND", "OR", "NOT"}
_SYN_RE = re.compile(r"@([A-Za-z0-9_][A-Za-z0-9_.-]*)")
_NEAR_RE = re.compile(r"NEAR(?:/(\d*))?")
_COUNT_RE = re.compile(r"COUNT(?:/(\d*))?")


@dataclass
class Token:
    kind: str  # ( ) AND OR NOT NEAR COUNT FIELD PHRASE TERM SYN EOF
    text: str
    col: int  # 1-based
    value: int = 0  # NEAR distance, COUNT times


def lex(q: str) -> list[Token]:
    toks: list[Token] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        col = i + 1
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(Token(c, c, col))
            i += 1
        elif c == '"':
            j = q.find('"', i + 1)
            if j < 0:
                raise QueryError(col, "a closing '\"' for the phrase opened here", "end of query")
            toks.append(Token("PHRASE", q[i + 1 : j], col))
            i = j + 1
        elif c == "@":
            m = _SYN_RE.match(q, i)
            if not m:
                raise QueryError(col, "a synonym set name after '@'", describe(q[i + 1 : i + 2]))
            toks.append(Token("SYN", m.group(1), col))
            i = m.end()
        else:
            i = _word(q, i, col, toks)
    toks.append(Token("EOF", "", n + 1))
    return toks


def _word(q: str, i: int, col: int, toks: list[Token]) -> int:
    """A bare word: a term, an operator, a field scope, NEAR/n or COUNT/n. Returns the next index."""
    n = len(q)
    j = i
    while j < n and not q[j].isspace() and q[j] not in '()":':
        j += 1
    word = q[i:j]
    if j < n and q[j] == ":":
        if word.lower() in FIELDS:
            toks.append(Token("FIELD", word.lower(), col))
            return j + 1
        raise QueryError(col, "a field name 'title:' or 'lead:'", repr(word + ":"))
    m = _COUNT_RE.fullmatch(word)
    if m:
        if not m.group(1):
            raise QueryError(col + 5, "'/n' after COUNT (a number of places, e.g. COUNT/2)")
        times = int(m.group(1))
        if not 1 <= times <= MAX_NEAR:
            raise QueryError(col + 6, f"a COUNT from 1 to {MAX_NEAR}", str(times))
        toks.append(Token("COUNT", word, col, times))
        return j
    m = _NEAR_RE.fullmatch(word)
    if m:
        if not m.group(1):
            raise QueryError(col + 4, "'/n' after NEAR (a number of words, e.g. NEAR/10)")
        dist = int(m.group(1))
        if dist > MAX_NEAR:
            raise QueryError(col + 5, f"a NEAR distance from 0 to {MAX_NEAR}", str(dist))
        toks.append(Token("NEAR", word, col, dist))
    elif word in _OPERATOR_WORDS:
        toks.append(Token(word, word, col))
    elif word.upper() in _OPERATOR_WORDS or word.upper().startswith(("NEAR/", "COUNT/")):
        raise QueryError(
            col,
            f"'{word.upper()}' in capitals for the operator "
            f'(or "{word}" in quotes to search for the word)',
            repr(word),
        )
    else:
        toks.append(Token("TERM", word, col))
    return j


def describe(s: str) -> str:
    return repr(s) if s else "end of query"


def found(t: Token) -> str:
    """A token as an error message names it."""
    if t.kind == "EOF":
        return "end of query"
    if t.kind == "PHRASE":
        return f'"{t.text}"'
    if t.kind == "SYN":
        return "@" + t.text
    if t.kind == "FIELD":
        return t.text + ":"
    return repr(t.text)
