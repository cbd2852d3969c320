"""Syntax trees -> clauses over one vocabulary of term ids shared by every topic."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.topics.errors import QueryError
from monitor.topics.index import MIN_PREFIX
from monitor.topics.nodes import And, Count, Field, Near, Node, Not, NotNear, Or, Syn, Words
from monitor.topics.parser import Ast, can_mark, parse
from monitor.topics.text import QUERY_WORD_RE, normalise_word, prepare, stem

# Bump when a change to the matcher can change what an unchanged topic matches: every
# topic's definition hash changes with it, so archives re-match once (see storage/matches.py).
MATCHER_VERSION = 2

# A synonym entry with an operator in capitals is a clause, not plain words.
_CLAUSE_ENTRY = re.compile(r"\b(?:AND|OR|NOT|NEAR/\d+|COUNT/\d+)\b|\b(?:title|lead):")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    query: str
    min_score: float = 0.0


@dataclass
class Topic:
    name: str
    query: str
    min_score: float
    root: Node
    definition: str  # hash of everything that decides what the topic matches


class Compiler:
    def __init__(self, synonyms: Mapping[str, Sequence[str]]) -> None:
        self.vocab: dict[str, int] = {}  # "=stem" / "^prefix" -> term id
        self.prefixes: set[str] = set()
        self.leaves: dict[tuple[int, ...], Words] = {}
        self.synonyms = {k.casefold(): (k, list(v)) for k, v in synonyms.items()}
        self.syn_nodes: dict[str, Syn] = {}
        self.syn_busy: list[str] = []
        self.used: set[str] = set()  # synonym sets named by the topic being compiled

    def topic(self, spec: TopicSpec) -> Topic:
        self.used = set()
        try:
            root = self.build(parse(spec.query), spec.query)
        except QueryError as err:
            raise err.for_topic(spec.name, spec.query) from None
        sets = {k: self.synonyms[k][1] for k in sorted(self.used)}
        blob = repr((MATCHER_VERSION, spec.query.split(), float(spec.min_score), sets))
        definition = hashlib.sha256(blob.encode()).hexdigest()[:16]
        return Topic(spec.name, spec.query, float(spec.min_score), root, definition)

    def term_id(self, key: str) -> int:
        tid = self.vocab.get(key)
        if tid is None:
            tid = self.vocab[key] = len(self.vocab)
            if key[0] == "^":
                self.prefixes.add(key[1:])
        return tid

    def words(self, text: str, label: str, col: int) -> Words:
        """A term or phrase as written ("checkpoint-inhibitor*", "spread to the liver")."""
        ids: list[int] = []
        offset = 0
        for piece in text.split():
            pcol = col + text.index(piece, offset)
            offset = text.index(piece, offset) + len(piece)
            star = piece.find("*")
            if star >= 0 and star != len(piece) - 1:
                raise QueryError(pcol + star, "'*' only at the end of a word", repr(piece))
            body = piece[:-1] if star >= 0 else piece
            ws = [normalise_word(w) for w in QUERY_WORD_RE.findall(prepare(body))]
            ws = [w for w in ws if w]
            if not ws:
                if star >= 0:
                    raise QueryError(pcol, "letters or digits before '*'", repr(piece))
                continue  # punctuation only: nothing to match
            for w in ws[:-1]:
                ids.append(self.term_id("=" + stem(w)))
            if star >= 0:
                if len(ws[-1]) < MIN_PREFIX:
                    raise QueryError(pcol, f"at least {MIN_PREFIX} letters before '*'", repr(piece))
                ids.append(self.term_id("^" + ws[-1]))
            else:
                ids.append(self.term_id("=" + stem(ws[-1])))
        if not ids:
            raise QueryError(col, "letters or digits to search for", repr(label))
        key = tuple(ids)
        leaf = self.leaves.get(key)
        if leaf is None:
            leaf = self.leaves[key] = Words(label, key)
        return leaf

    def entry(self, entry: str) -> Node:
        """One synonym entry: words, `@another_set`, or a clause such as `x NOT NEAR/3 y`."""
        e = entry.strip()
        if _CLAUSE_ENTRY.search(e):
            ast = parse(e)
            if not can_mark(ast):
                raise QueryError(1, "an entry that points at words (not only NOT)", repr(e))
            return self.build(ast, e)
        e = e.strip('"').strip()
        if e.startswith("@"):
            return self.synonym_set(e[1:], 1)
        return self.words(e, e, 1)

    def synonym_set(self, name: str, col: int) -> Syn:
        key = name.casefold()
        node = self.syn_nodes.get(key)
        if node is not None:
            self.used |= node.uses
            return node
        if key not in self.synonyms:
            known = ", ".join("@" + k for k, _ in self.synonyms.values()) or "none defined"
            raise QueryError(col, f"a synonym set defined in [synonyms] ({known})", "@" + name)
        if key in self.syn_busy:
            raise QueryError(col, "synonym sets that do not include themselves", "@" + name)
        self.syn_busy.append(key)
        outer_used, self.used = self.used, {key}
        real, entries = self.synonyms[key]
        children: list[Node] = []
        try:
            for k, entry in enumerate(entries, 1):
                try:
                    children.append(self.entry(entry))
                except QueryError as err:
                    raise QueryError(
                        col,
                        f"valid entries in synonym set @{real} (entry {k}, {entry!r}, "
                        f"column {err.column}: expected {err.expected})",
                        err.found,
                    ) from None
        finally:
            self.syn_busy.pop()
        uses = frozenset(self.used)
        self.used = outer_used | uses
        unique = list({id(c): c for c in children}.values())
        node = self.syn_nodes[key] = Syn("@" + real, unique, uses)
        return node

    def build(self, a: Ast, q: str) -> Node:
        label = q[a.start - 1 : a.end - 1]
        if a.kind == "words":
            return self.words(a.text, label, a.start + (1 if a.phrase else 0))
        if a.kind == "syn":
            return self.synonym_set(a.text, a.start)
        kids = [self.build(c, q) for c in a.children]
        if a.kind == "or":
            return Or(label, kids)
        if a.kind == "and":
            return And(label, kids)
        if a.kind == "not":
            return Not(label, kids[0])
        if a.kind == "field":
            return Field(label, a.text, kids[0])
        if a.kind == "count":
            return Count(label, a.dist, kids[0])
        if a.kind == "notnear":
            return NotNear(label, a.dist, kids[0], kids[1])
        return Near(label, a.dist, kids[0], kids[1])
