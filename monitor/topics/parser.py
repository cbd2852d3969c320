"""Tokens -> syntax tree. Precedence, tightest first: field scope and COUNT/n, NEAR/n and
NOT NEAR/n, NOT, AND (also implicit), OR."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.topics.errors import QueryError
from monitor.topics.lexer import Token, found, lex

START = "a term, \"phrase\", @synonyms, title:/lead: or '('"


@dataclass
class Ast:
    """A clause as written. Positions are 1-based columns into the query, end exclusive."""

    kind: str  # or and not near notnear field count words syn
    start: int
    end: int
    children: list[Ast]
    text: str = ""  # words: the term/phrase as written; syn: set name; field: field name
    dist: int = 0  # near/notnear: words; count: times
    phrase: bool = False


def parse(q: str) -> Ast:
    """The syntax tree of a query; QueryError says where and what was expected."""
    return _Parser(q).parse()


class _Parser:
    def __init__(self, q: str) -> None:
        self.q = q
        self.toks = lex(q)
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Ast:
        if self.peek().kind == "EOF":
            raise QueryError(1, START, "an empty query")
        node = self.parse_or()
        t = self.peek()
        if t.kind != "EOF":
            if t.kind == ")":
                raise QueryError(t.col, "end of query or an operator", "')' without a matching '('")
            raise QueryError(t.col, "end of query or an operator", found(t))
        return node

    def parse_or(self) -> Ast:
        items = [self.parse_and()]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.parse_and())
        if len(items) == 1:
            return items[0]
        return Ast("or", items[0].start, items[-1].end, items)

    def parse_and(self) -> Ast:
        items = [self.parse_not()]
        while self.peek().kind in ("AND", "NOT", "(", "PHRASE", "TERM", "SYN", "FIELD", "COUNT"):
            if self.peek().kind == "AND":
                self.take()
            items.append(self.parse_not())
        if len(items) == 1:
            return items[0]
        return Ast("and", items[0].start, items[-1].end, items)

    def parse_not(self) -> Ast:
        if self.peek().kind == "NOT":
            t = self.take()
            if self.peek().kind == "NEAR":
                raise QueryError(
                    t.col, "words before NOT NEAR/n (x NOT NEAR/n y)", "NOT " + self.peek().text
                )
            child = self.parse_not()
            return Ast("not", t.col, child.end, [child])
        return self.parse_near()

    def parse_near(self) -> Ast:
        left = self.parse_scoped()
        while self.peek().kind == "NEAR" or (
            self.peek().kind == "NOT" and self.peek(1).kind == "NEAR"
        ):
            negated = self.peek().kind == "NOT"
            if negated:
                self.take()
            t = self.take()
            name = ("NOT " if negated else "") + t.text
            if self.peek().kind == "NOT":
                raise QueryError(self.peek().col, f"a term or group after {name}", "NOT")
            right = self.parse_scoped()
            for side in (left, right):
                if not can_mark(side):
                    raise QueryError(
                        side.start,
                        f"words to measure {name} from (a term, phrase or group, not only NOT)",
                        repr(self.q[side.start - 1 : side.end - 1]),
                    )
            kind = "notnear" if negated else "near"
            left = Ast(kind, left.start, right.end, [left, right], dist=t.value)
        return left

    def parse_scoped(self) -> Ast:
        t = self.peek()
        if t.kind == "FIELD":
            self.take()
            if self.peek().kind in ("EOF", ")", "AND", "OR", "NEAR"):
                raise QueryError(
                    self.peek().col, f"what to look for after '{t.text}:'", found(self.peek())
                )
            child = self.parse_scoped()
            return Ast("field", t.col, child.end, [child], text=t.text)
        if t.kind == "COUNT":
            self.take()
            if self.peek().kind in ("EOF", ")", "AND", "OR", "NEAR"):
                raise QueryError(
                    self.peek().col, f"what to count after '{t.text}'", found(self.peek())
                )
            child = self.parse_scoped()
            if not can_mark(child):
                raise QueryError(
                    child.start, f"words to count after {t.text}", "a clause with only NOT"
                )
            return Ast("count", t.col, child.end, [child], dist=t.value)
        return self.parse_primary()

    def parse_primary(self) -> Ast:
        t = self.take()
        if t.kind == "(":
            if self.peek().kind == ")":
                raise QueryError(self.peek().col, START + " inside the parentheses", "')'")
            inner = self.parse_or()
            close = self.peek()
            if close.kind != ")":
                raise QueryError(close.col, f"')' to close the '(' at column {t.col}", found(close))
            self.take()
            inner.start, inner.end = t.col, close.col + 1
            return inner
        if t.kind == "PHRASE":
            return Ast("words", t.col, t.col + len(t.text) + 2, [], text=t.text, phrase=True)
        if t.kind == "TERM":
            return Ast("words", t.col, t.col + len(t.text), [], text=t.text)
        if t.kind == "SYN":
            return Ast("syn", t.col, t.col + len(t.text) + 1, [], text=t.text)
        raise QueryError(t.col, START, found(t))


def can_mark(a: Ast) -> bool:
    """Whether a clause, when true, points at words (so NEAR can measure from it)."""
    if a.kind in ("words", "syn", "near", "notnear"):
        return True
    if a.kind == "not":
        return False
    if a.kind in ("field", "count"):
        return can_mark(a.children[0])
    if a.kind == "or":
        return all(can_mark(c) for c in a.children)
    return any(can_mark(c) for c in a.children)  # and
