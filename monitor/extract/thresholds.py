"""Every number the extraction stage decides by, in one place, with what it bounds."""

from __future__ import annotations

# -- resources ---------------------------------------------------------------------------------
#: bytes of a page decoded (the fetcher's page cap is 5 MiB; a string page is cut likewise)
MAX_PAGE_BYTES = 6_000_000
#: characters of HTML parsed; real articles are far below this
MAX_CHARS = 3_000_000
#: tags parsed (``<`` counted); the page is cut before the next one. Lexbor takes about 180
#: bytes per node: 250,000 tags with their text stay near 100 MB; real articles have < 20,000
MAX_TAGS = 250_000
#: element nesting kept; deeper opening tags are dropped before parsing (Lexbor's tree
#: builder slows down with the square of the depth)
MAX_DEPTH = 1000
#: pages with fewer tags than this cannot nest deep enough to take more than a few tenths of a
#: second, and are not scanned for depth
SAFE_TAGS_FOR_DEPTH = 12_000
#: elements the parser may rebuild in all for open formatting elements (<b>, <font>, ...)
#: carried from block to block, about 90 MB; a page that may keep more than
#: min(MAX_OPEN_FORMATTING, REBUILD_BUDGET / tags) of them open at once is rewritten first
REBUILD_BUDGET = 500_000
MAX_OPEN_FORMATTING = 12
#: pages with fewer tags than this cannot make the parser rebuild more than (tags / 2)^2 <
#: REBUILD_BUDGET elements, and are not scanned for open formatting
SAFE_TAGS_FOR_REBUILD = 1_400
#: the Python walk stops descending here, and after this many elements
MAX_WALK_DEPTH = 250
MAX_WALK_ELEMENTS = 30_000
