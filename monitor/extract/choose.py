"""Choosing the article body: the element whose subtree holds the most prose and the least
boilerplate, and the test for a page that is only a list of other stories."""

from __future__ import annotations

from monitor.extract.text import weight
from monitor.extract.walk import HEADINGS, Block, Walk


def choose(
    blocks: list[Block], walker: Walk, demote: set[int] | frozenset[int] = frozenset()
) -> tuple[int, list[float], list[int]]:
    """Pick the element whose subtree holds the most prose and the least boilerplate.

    Returns the element index, every element's score and, per block, the path position of its
    deepest boilerplate-named ancestor that counts (-1 if none).  A boilerplate name on an
    element holding most of the page's text (a ``<body class="... tag-x">``) does not count.
    """
    n_elems = len(walker.tags)
    total = [0] * n_elems
    for b in blocks:
        if b.path:
            total[b.path[-1]] += len(b.text)
    add_up(total, walker.parents)
    page_total = max(total, default=0)
    flagged = [f and total[i] < 0.5 * page_total for i, f in enumerate(walker.flagged)]
    good = [0.0] * n_elems
    bad = [0.0] * n_elems
    tainted = [False] * n_elems
    deepest_flags: list[int] = []
    for i, b in enumerate(blocks):
        n = len(b.text)
        link_density = b.links / n
        if i in demote:
            value, is_good = n, False
        elif link_density > 0.5:
            # a link: teaser headlines in particular mark a list of other stories
            value, is_good = n + (250 if b.tag in HEADINGS else 30), False
        else:
            size = n if n >= 80 else weight(b.text)  # CJK lines are short but full
            if size < 25 and b.tag not in HEADINGS:
                value, is_good = n * 0.5, False
            else:
                value, is_good = n * (1.0 - link_density), True
                if size < 80:
                    value *= 0.5
        path = b.path
        deepest = -1
        if b.flag >= 0:
            shallowest = -1
            for pos, idx in enumerate(path):
                if flagged[idx]:
                    deepest = pos
                    if shallowest < 0:
                        shallowest = pos
            if shallowest >= 0:
                for idx in path[shallowest:]:
                    tainted[idx] = True
        deepest_flags.append(deepest)
        if not is_good:
            for idx in path:
                bad[idx] += value
        elif deepest < 0:
            for idx in path:
                good[idx] += value
        else:
            for pos, idx in enumerate(path):
                if deepest <= pos:
                    good[idx] += value
                else:
                    bad[idx] += n
    best, best_score = -1, 0.0
    scores = [0.0] * n_elems
    keep = walker.keep
    for idx, g in enumerate(good):
        if g <= 0:
            continue  # no prose below it: its score stays 0.0 (most elements)
        score = g * g / (g + bad[idx])  # prose, weighted by its purity
        if keep[idx]:
            score *= 1.1
        if tainted[idx]:
            score *= 0.1
        scores[idx] = score
        if score > best_score:
            best, best_score = idx, score
    return best, scores, deepest_flags


def add_up(values: list[int], parents: list[int], below: int = -1, top: int = -1) -> None:
    """Turn per-element counts into subtree sums, in place: each element's count is added to
    its parent's, deepest first (elements are numbered in document order, so a parent's index
    is smaller than its children's). With ``below``, only elements numbered after it take
    part, and nothing is added to ``below`` or to elements before it. Integer sums: the order
    of additions does not change them. ``top``, when given, is the last element that may hold
    a count (the elements after it hold none): the loop starts there instead of at the end."""
    for idx in range(top if top >= 0 else len(values) - 1, below, -1):
        value = values[idx]
        if value:
            parent = parents[idx]
            if parent > below:
                values[parent] += value


def teaser_blocks(blocks: list[Block], best: int, parents: list[int]) -> tuple[set[int], float]:
    """Blocks under ``best`` that belong to teasers for other stories (a linked headline and
    the short summary after it), and the share of ``best``'s text they hold."""
    found: set[int] = set()
    total = teaser = 0
    after_head: tuple[int, ...] | None = None
    followers = heads = 0
    sizes = [0] * len(parents)  # characters of the blocks under best, per element
    top = best
    for b in blocks:
        if best in b.path:
            own = b.path[-1]
            sizes[own] += len(b.text)
            if own > top:
                top = own
    add_up(sizes, parents, top=top)
    for i, b in enumerate(blocks):
        if best not in b.path:
            continue
        size = weight(b.text)
        total += size
        if is_headline_link(b):
            found.add(i)
            teaser += size
            heads += 1
            # its summary counts too when the two sit in a card of their own
            parent = b.path[-2] if len(b.path) > 1 else best
            small = parent != best and sizes[parent] < 0.3 * sizes[best]
            after_head = b.path[:-1] if small else None
            followers = 0
        elif (
            after_head is not None
            and followers < 2
            and size < 400
            and b.path[: len(after_head)] == after_head
        ):
            found.add(i)  # a byline, date or summary under the headline
            teaser += size
            followers += 1
        else:
            after_head = None
    if heads < 3:  # one or two linked lines do not make a list of stories
        return found, 0.0
    return found, (teaser / total if total else 0.0)


def is_headline_link(b: Block) -> bool:
    """A block that is, or opens with, a linked line of headline size: a teaser's title."""
    n = len(b.text)
    if b.nlinks > 2 or b.links < 15:
        return False  # a row of share buttons or a link list, not one headline
    return (n <= 200 and b.links > 0.5 * n) or (b.lead and b.links <= 200)
