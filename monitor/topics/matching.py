"""Matching: compiled topics against articles, one tokenising pass shared by all topics.

`Matcher.match` and `Matcher.explain` both go through `Matcher.outcome`: one evaluation of
the topic's clauses (monitor.topics.nodes.Evaluation), from which the verdict, the score, the
snippet and the explanation are all read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from monitor.model import Match
from monitor.topics import explanation, segments
from monitor.topics.compiler import Compiler, Topic, TopicSpec
from monitor.topics.errors import QueryError
from monitor.topics.index import ALL, ArticleIndex, Indexer, Offsets, Spans
from monitor.topics.nodes import Evaluation, needs
from monitor.topics.scoring import Evidence, best_span, evidence, score, summary
from monitor.topics.text import prepare


@dataclass
class Part:
    """What a topic is evaluated on: the article, or one piece of a roundup page."""

    title: str
    text: str
    ix: ArticleIndex
    piece: segments.Piece | None = None
    _ev: Evaluation | None = field(default=None, repr=False)
    _offsets: Offsets | None = field(default=None, repr=False)

    @property
    def ev(self) -> Evaluation:
        """One evaluation per part, shared by every topic (synonym sets are evaluated once)."""
        if self._ev is None:
            self._ev = Evaluation(self.ix)
        return self._ev

    @property
    def offsets(self) -> Offsets:
        if self._offsets is None:
            self._offsets = Offsets(self.title, self.text)
        return self._offsets


@dataclass
class Outcome:
    """One topic on one part: whether its query is true, and the evidence that made it."""

    topic: Topic
    part: Part
    spans: Spans | None  # None: the query is false
    evidence: Evidence
    score: float

    @property
    def matched(self) -> bool:
        return self.spans is not None and self.score >= self.topic.min_score

    def snippet(self) -> str:
        return self.part.offsets.snippet(best_span(self.spans or [], self.evidence, self.part.ix))

    def summary(self) -> str:
        line = summary(self.evidence, self.part.ix)
        p = self.part.piece
        return f"item {p.number} of {p.of} of a roundup; {line}" if p else line


class Matcher:
    """Compiled topics. Build with `compile_topics`; `match` is safe to call from one thread."""

    def __init__(self, topics: list[Topic], compiler: Compiler) -> None:
        self._topics = topics
        self._by_name = {t.name: t for t in topics}
        self.topics: list[str] = [t.name for t in topics]
        self._indexer = Indexer(compiler.vocab, compiler.prefixes)
        self._always: list[int] = []
        self._trigger: dict[int, list[int]] = {}
        # per topic, sets of term ids of which at least one must be present (all must hold)
        self._needs = [sorted(needs(t.root), key=len) for t in topics]
        for i, t in enumerate(topics):
            need = t.root.need()
            if need is None:
                self._always.append(i)
            else:
                for tid in need:
                    self._trigger.setdefault(tid, []).append(i)

    # --- definitions

    def definition(self, topic: str) -> str:
        """A hash of everything that decides what `topic` matches: its query, min_score, the
        synonym sets it names and the matcher's version. Changes when any of them changes."""
        return self._topic(topic).definition

    def definitions(self) -> dict[str, str]:
        return {t.name: t.definition for t in self._topics}

    # --- reading articles

    def _index(self, title: str, text: str) -> ArticleIndex:
        return self._indexer.index(title, text)

    def _candidates(self, ix: ArticleIndex) -> list[int]:
        trig = self._trigger
        cand = set(self._always)
        pos = ix.pos
        for tid in pos:
            ts = trig.get(tid)
            if ts:
                cand.update(ts)
        keys = pos.keys()
        nd = self._needs
        return [i for i in sorted(cand) if not any(keys.isdisjoint(n) for n in nd[i])]

    def parts(self, title: str, text: str, whole: ArticleIndex | None = None) -> list[Part]:
        """The article as one part, or a roundup page as one part per piece."""
        pieces = segments.split(title, text)
        if pieces is None:
            return [Part(title, text, whole or self._index(title, text))]
        return [Part(p.title, p.text, self._index(p.title, p.text), p) for p in pieces]

    def outcome(self, topic: Topic, part: Part) -> Outcome:
        """The one evaluation of a topic on a part, with its evidence and score."""
        ev = part.ev
        spans = ev.spans(topic.root, ALL)
        if spans is None:
            return Outcome(topic, part, None, {}, 0.0)
        found = evidence(topic.root, ev, ALL)
        return Outcome(topic, part, spans, found, score(found, part.ix))

    def best(self, topic: Topic, parts: list[Part]) -> Outcome:
        """The best-scoring matching part, else the part that came closest."""
        outs = [self.outcome(topic, p) for p in parts]
        matched = [o for o in outs if o.matched]
        if matched:
            return max(matched, key=lambda o: o.score)
        return max(outs, key=lambda o: (o.spans is not None, o.score))

    # --- public

    def match(self, title: str, text: str) -> list[Match]:
        """Every topic this article matches, best score first."""
        title, text = prepare(title or ""), prepare(text or "")
        whole = self._index(title, text)
        cands = self._candidates(whole)
        if not cands:
            return []
        parts = self.parts(title, text, whole)
        out = []
        for i in cands:
            o = self.best(self._topics[i], parts)
            if o.matched:
                out.append(Match(o.topic.name, o.score, o.snippet(), o.summary()))
        out.sort(key=lambda m: -m.score)
        return out

    def explain(self, topic: str, title: str, text: str) -> str:
        """A readable account of how one topic's clauses fared on one article."""
        t = self._topic(topic)
        title, text = prepare(title or ""), prepare(text or "")
        parts = self.parts(title, text)
        outs = [self.outcome(t, p) for p in parts]
        return explanation.explain(outs, self.best(t, parts))

    def _topic(self, name: str) -> Topic:
        t = self._by_name.get(name)
        if t is None:
            raise KeyError(f"unknown topic {name!r}; known: {', '.join(self.topics)}")
        return t


def compile_topics(
    specs: Sequence[TopicSpec], synonyms: Mapping[str, Sequence[str]] | None = None
) -> Matcher:
    """Parse and compile every topic once; a QueryError names the topic and the column."""
    comp = Compiler(synonyms or {})
    topics: list[Topic] = []
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise QueryError(1, "a topic name used only once", repr(spec.name), topic=spec.name)
        seen.add(spec.name)
        topics.append(comp.topic(spec))
    return Matcher(topics, comp)


def specs_from_config(config: Mapping) -> tuple[list[TopicSpec], dict[str, list[str]]]:
    """The `[[topics]]` and `[synonyms]` of a parsed sources.toml, checked for shape.

    Raises ValueError naming the offending topic or set; queries are parsed later, by
    `compile_topics`.
    """
    synonyms: dict[str, list[str]] = {}
    for name, entries in (config.get("synonyms") or {}).items():
        if isinstance(entries, str) or not all(isinstance(e, str) for e in entries):
            raise ValueError(f"[synonyms] {name}: expected a list of strings")
        synonyms[name] = list(entries)
    specs = []
    for i, t in enumerate(config.get("topics") or [], 1):
        name, query = t.get("name"), t.get("query")
        if not isinstance(name, str) or not name:
            raise ValueError(f"[[topics]] number {i}: expected a name")
        if not isinstance(query, str):
            raise ValueError(f"[[topics]] {name!r}: expected a query string")
        min_score = t.get("min_score", 0.0)
        if isinstance(min_score, bool) or not isinstance(min_score, int | float):
            raise ValueError(f"[[topics]] {name!r}: expected a number for min_score")
        specs.append(TopicSpec(name, query, float(min_score)))
    return specs, synonyms
