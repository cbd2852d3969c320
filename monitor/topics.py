"""Topic queries: parse, compile, match, explain (minimal version; the Topics issue deepens it)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.model import Match

_TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"|[^\s()"]+)')


class QueryError(ValueError):
    def __init__(self, message: str, column: int, expected: str = ""):
        self.column, self.expected = column, expected
        super().__init__(f"column {column}: {message}")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    query: str
    min_score: float = 0.0


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


class _Parser:
    def __init__(self, query: str, synonyms: Mapping[str, Sequence[str]]):
        self.toks = [(m.group(1), m.start(1) + 1) for m in _TOKEN.finditer(query) if m.group(1)]
        self.i = 0
        self.syn = synonyms

    def peek(self):
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def parse(self):
        node = self.or_()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()!r}", self.toks[self.i][1], "AND, OR or end")
        return node

    def or_(self):
        parts = [self.and_()]
        while self.peek() == "OR":
            self.i += 1
            parts.append(self.and_())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def and_(self):
        parts = [self.not_()]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.i += 1
            parts.append(self.not_())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def not_(self):
        if self.peek() == "NOT":
            self.i += 1
            return ("not", self.atom())
        return self.atom()

    def atom(self):
        tok = self.peek()
        col = self.toks[self.i][1] if tok else 0
        if tok is None:
            raise QueryError("query ends too early", col, "a term")
        self.i += 1
        if tok == "(":
            node = self.or_()
            if self.peek() != ")":
                raise QueryError("missing ')'", col, "')'")
            self.i += 1
            return node
        if tok.startswith("@"):
            terms = self.syn.get(tok[1:])
            if terms is None:
                raise QueryError(f"unknown synonym set {tok}", col, "a name from [synonyms]")
            return ("or", [("term", _norm(t.rstrip("*")), t.endswith("*")) for t in terms])
        return ("term", _norm(tok.strip('"').rstrip("*")), tok.endswith("*"))


def _eval(node, text: str, hits: list[str]) -> bool:
    kind = node[0]
    if kind == "term":
        pat = r"\b" + re.escape(node[1]) + (r"\w*" if node[2] else r"s?\b")
        m = re.search(pat, text)
        if m:
            hits.append(m.group(0))
        return bool(m)
    if kind == "not":
        return not _eval(node[1], text, [])
    results = [_eval(n, text, hits) for n in node[1]]
    return all(results) if kind == "and" else any(results)


class Matcher:
    def __init__(self, compiled: list[tuple[TopicSpec, tuple]]):
        self._compiled = compiled
        self.topics = [s.name for s, _ in compiled]

    def match(self, title: str, text: str) -> list[Match]:
        doc = _norm(f"{title} {text}")
        out = []
        for spec, tree in self._compiled:
            hits: list[str] = []
            if _eval(tree, doc, hits):
                score = float(len(set(hits)))
                if score >= spec.min_score:
                    out.append(Match(spec.name, score, ", ".join(sorted(set(hits))), ""))
        return out

    def explain(self, topic: str, title: str, text: str) -> str:
        ms = [m for m in self.match(title, text) if m.topic == topic]
        return f"{topic}: " + (f"matched ({ms[0].snippet})" if ms else "no match")


def compile_topics(
    specs: Sequence[TopicSpec], synonyms: Mapping[str, Sequence[str]] | None = None
) -> Matcher:
    compiled = []
    for s in specs:
        try:
            compiled.append((s, _Parser(s.query, synonyms or {}).parse()))
        except QueryError as e:
            raise QueryError(f'topic "{s.name}": {e}', e.column, e.expected) from None
    return Matcher(compiled)
