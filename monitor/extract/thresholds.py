"""Every number the extraction stage decides by, in one place, with what it bounds."""

from __future__ import annotations

# -- resources ---------------------------------------------------------------------------------
#: bytes of a page decoded (the fetcher's page cap is 5 MiB; a string page is cut likewise)
MAX_PAGE_BYTES = 6_000_000
#: characters of HTML parsed; real articles are far below this
MAX_CHARS = 3_000_000
#: element nesting kept; deeper opening tags are dropped before parsing (Lexbor's tree
#: builder slows down with the square of the depth)
MAX_DEPTH = 1000
#: the Python walk stops descending here, and after this many elements
MAX_WALK_DEPTH = 250
MAX_WALK_ELEMENTS = 30_000
