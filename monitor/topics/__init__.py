"""Topic matching: a small query language that specialists can read, test and trust.

A topic is a query such as

    (@liver_metastases NEAR/20 @immunotherapy) AND NOT title:hepatitis

compiled once (with the named synonym sets it uses) into a tree of clauses. Matching an
article tokenises its title and text once into a positional index shared by all topics
(case-folded, accents stripped, hyphens split, light plural stemming) and evaluates each
topic's tree over position lists, so proximity (`NEAR/n`, `NOT NEAR/n`) and field scopes
(`title:`, `lead:`) are exact. A page that gathers unrelated pieces (a roundup, a
newsletter) is matched piece by piece. Each match carries a score, a snippet and an
explanation; `Matcher.explain` prints clause by clause what matched, where, and why a topic
did or did not match, from the same evaluation as the match.

Modules: `text` (words), `lexer`, `parser` (query -> syntax tree), `compiler` (syntax tree
-> clauses), `nodes` (clauses and their one evaluation), `index` (an article's positional
index), `segments` (roundup pages), `scoring`, `matching` (Matcher), `explanation`.
Pure: no I/O, no clock; imports only the standard library and `monitor.model`.
Documented in docs/topics.md.
"""

from monitor.topics.compiler import MATCHER_VERSION, TopicSpec
from monitor.topics.errors import QueryError
from monitor.topics.index import LEAD_MAX_WORDS, LEAD_WORDS, PARAGRAPH_GAP
from monitor.topics.matching import Matcher, compile_topics, specs_from_config
from monitor.topics.text import normalise_word, words

__all__ = [
    "LEAD_MAX_WORDS",
    "LEAD_WORDS",
    "MATCHER_VERSION",
    "PARAGRAPH_GAP",
    "Matcher",
    "QueryError",
    "TopicSpec",
    "compile_topics",
    "normalise_word",
    "specs_from_config",
    "words",
]
