"""The extraction stage: one HTML page in, its article text and metadata out.

    from monitor import extract
    article = extract.extract(page_bytes, url, content_type=header)  # -> monitor.model.Article

Modules, in the order a page meets them: ``decode`` (bytes to bounded text), ``metadata``,
``walk`` (tree to text blocks), ``choose`` (the body element), ``clean`` (what is not the
article inside it), ``identifiers``; ``thresholds`` holds every number they decide by.
"""

from monitor.extract.extractor import article_as_dict, extract, extract_text

__all__ = ["article_as_dict", "extract", "extract_text"]
