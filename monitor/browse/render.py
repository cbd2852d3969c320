"""Small rendering helpers for the browse pages (no Datasette import, so they test anywhere)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_DOI_URL = "https://doi.org/{}"
_NCT_URL = "https://clinicaltrials.gov/study/{}"
_PMID_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"


def paragraphs(text: str | None) -> list[str]:
    """Split extracted text into paragraphs (blank-line separated; single lines kept)."""
    if not text:
        return []
    parts = (p.strip() for p in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")))
    return [p for p in parts if p]


def json_list(value: Any) -> list | None:
    """A JSON list stored in a TEXT column, or None if the value is not one."""
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def identifier_links(kind: str, values: list) -> Markup:
    """DOIs, NCT numbers or PMIDs as links to their resolvers, comma separated."""
    template = {"doi": _DOI_URL, "nct": _NCT_URL, "pmid": _PMID_URL}[kind]
    links = [
        Markup('<a href="{}" rel="noopener">{}</a>').format(
            template.format(quote(str(v), safe="/:;()")), str(v)
        )
        for v in values
    ]
    return Markup(", ").join(links)
