"""The one error of the topic language: a query (or synonym entry) that does not parse."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that does not parse. `column` is 1-based; `expected` says what would have fitted."""

    def __init__(
        self,
        column: int,
        expected: str,
        found: str = "",
        *,
        query: str | None = None,
        topic: str | None = None,
    ) -> None:
        self.column = column
        self.expected = expected
        self.found = found
        self.query = query
        self.topic = topic
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"column {self.column}"
        q = self.query
        if q is not None and "\n" in q:  # a multi-line TOML string: say where on which line
            before = q[: self.column - 1]
            line_no = before.count("\n") + 1
            line_col = self.column - 1 - (before.rfind("\n") + 1) + 1
            where += f" (line {line_no}, column {line_col})"
            line = q.split("\n")[line_no - 1]
        else:
            line, line_col = q, self.column
        msg = f"{where}: expected {self.expected}"
        if self.found:
            msg += f", found {self.found}"
        if self.topic is not None:
            msg += f" (topic {self.topic!r})"
        if line is not None and line.strip():
            msg += f"\n    {line}\n    {' ' * (line_col - 1)}^"
        return msg

    def for_topic(self, topic: str, query: str) -> QueryError:
        return QueryError(self.column, self.expected, self.found, query=query, topic=topic)
