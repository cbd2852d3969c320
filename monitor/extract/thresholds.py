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

#: blocks at the end of a page looked at for a paywall prompt, to say why a text is too short
PAYWALL_LOOKBACK = 60

# -- the appendix after the article (clean.cut_appendix) ---------------------------------------
#: a paragraph of the article is at least this long (Latin-letter equivalents, see text.weight)
PROSE_MIN_CHARS = 120
#: lines longer than this are never dropped for their words alone
APPENDIX_MAX_CHARS = 900
#: an appendix (opened by a heading, or read from the end) holds less than this share of the body
APPENDIX_MAX_SHARE = 0.6
#: a heading that opens an appendix ("References", "Lesen Sie auch") is at most this long
HEADING_MAX_CHARS = 60
#: in a paragraph longer than a caption, the words must start within this share of its length
LEAD_SHARE = 0.4
#: captions, credits and furniture lines dropped anywhere in the body are shorter than this
CAPTION_MAX_CHARS = 200
#: short lines of a body looked at for caption, credit and furniture words (the rest are kept)
FURNITURE_CHECKS = 200
#: a trailing line without final punctuation this short is furniture (a label, a button)
SHORT_LINE_CHARS = 60
#: a line of at least this many characters and four words, ending like a sentence, is read as
#: a sentence of the article and ends the search for furniture from the end
SENTENCE_MIN_CHARS = 25
#: a trailing note in italics or a "Label: value" line is shorter than this
NOTE_MAX_CHARS = 400
#: lines dropped from the end for their structure alone (not their words): how many, and at
#: most this share of the body
APPENDIX_MAX_WEAK = 10
APPENDIX_WEAK_SHARE = 0.5
#: a short line after the article (shorter than this) that shares fewer than this share of its
#: words (5 letters or more) with the article is about the publication, not the story
FOREIGN_MAX_CHARS = 200
#: whether that cue is used (off: it took short last paragraphs of articles, such as a
#: sponsor's mention, in the seed pages)
FOREIGN_LINES = False
FOREIGN_MAX_SHARED = 0.34

# -- site-template memory (templates) ----------------------------------------------------------
#: a block whose text appeared on this many earlier pages of the site is the site's template
TEMPLATE_MIN_PAGES = 2
#: longer blocks get no key (articles do not repeat whole long paragraphs; sites rarely do)
TEMPLATE_TEXT_MAX_CHARS = 2000
#: blocks up to this long also get a key for their place and first words
TEMPLATE_PLACE_MAX_CHARS = 300
#: keys stored per page
TEMPLATE_MAX_KEYS_PER_PAGE = 400
#: template blocks are dropped only while they are at most this share of the body
TEMPLATE_MAX_SHARE = 0.5
