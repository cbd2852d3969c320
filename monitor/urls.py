"""URL canonicalisation and address checks (minimal version; the Polling issue deepens it)."""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def canonicalize(url: str, base: str | None = None) -> str:
    if base:
        url = urljoin(base, url)
    p = urlsplit(url.strip())
    host = (p.hostname or "").lower()
    port = p.port
    netloc = host if port in (None, 80 if p.scheme == "http" else 443) else f"{host}:{port}"
    q = [
        (k, v)
        for k, v in parse_qsl(p.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    ]
    return urlunsplit((p.scheme.lower(), netloc, p.path or "/", urlencode(q), ""))


def is_public_ip(ip: str) -> bool:
    return ipaddress.ip_address(ip).is_global


def prefer_canonical(page_url: str, declared: str | None) -> str:
    page = canonicalize(page_url)
    if not declared:
        return page
    cand = canonicalize(declared, page_url)
    if urlsplit(cand).hostname == urlsplit(page).hostname:
        return cand
    return page
