"""The extraction stage: one HTML page in, its article text and metadata out.

    from monitor import extract
    article = extract.extract(page_bytes, url, content_type=header)  # -> monitor.model.Article

Modules, in the order a page meets them: ``decode`` (bytes to bounded text), ``metadata``,
``walk`` (tree to text blocks), ``choose`` (the body element), ``templates`` (what the site
repeats), ``clean`` (what is not the article inside it, with ``lexicon``'s words),
``identifiers``; ``thresholds`` holds every number they decide by.
"""

from monitor.extract.extractor import article_as_dict, extract, extract_text
from monitor.model import SiteTemplate

__all__ = ["SiteTemplate", "article_as_dict", "extract", "extract_text"]
