"""URL identity and address safety.

Three small, pure helpers shared by the fetcher, the feed parser and the pipeline:

- ``canonicalize`` turns the many spellings of one article address into one string, so an
  entry seen in two feeds (or twice in one feed) is recognised as the same article;
- ``is_public_ip`` (with ``parse_ip_host``) decides whether an address may be fetched
  without ``allow_private`` (the SSRF guard of ``monitor.fetch`` relies on it);
- ``prefer_canonical`` picks a page's declared ``rel=canonical``/``og:url`` when it can be
  trusted;
- ``hide_credentials`` masks ``user:password@`` in any URL of a message before it is shown.

Nothing here does I/O.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from publicsuffixlist import PublicSuffixList

__all__ = [
    "TRACKING_PARAMS",
    "canonicalize",
    "hide_credentials",
    "is_public_ip",
    "parse_ip_host",
    "prefer_canonical",
    "registrable_host",
    "with_userinfo_of",
    "without_userinfo",
]

# Query parameters that only say how a reader arrived (campaign, click and mailing-list
# identifiers). They never select content, so dropping them merges copies of one link.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "rb_clickid",
        "s_cid",
        "wt.mc_id",
        "wt.mc_ev",
        "cmpid",
        "ncid",
        "sr_share",
        "spm",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    """The Public Suffix List bundled with publicsuffixlist, ICANN and private sections (so
    a.github.io and b.github.io are different sites); loaded on first use (0.2 s)."""
    return PublicSuffixList()


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    if not query:
        return ""
    parts = query.split("&")
    kept = []
    for part in parts:
        if not part:
            continue
        name = part.split("=", 1)[0]
        if "%" in name or "+" in name:
            # decode %xx so "utm%5Fsource" is recognised too
            decoded = parse_qsl(part, keep_blank_values=True)
            if decoded:
                name = decoded[0][0]
        if _is_tracking(name):
            continue
        kept.append(part)
    return "&".join(kept)


def canonicalize(url: str, base: str | None = None) -> str:
    """Return the canonical spelling of ``url`` (resolved against ``base`` when relative).

    Lower-cases scheme and host, drops the default port, the fragment, an empty userinfo
    and tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ...). The order
    of the remaining query parameters and the path are kept as they are: servers may give
    them meaning. An http(s) URL with an empty path gets ``/``. Text that is not a URL is
    returned stripped, otherwise unchanged.
    """
    url = (url or "").strip()
    # browsers drop tabs and newlines inside URLs; feeds sometimes wrap long links
    if "\n" in url or "\t" in url or "\r" in url:
        url = re.sub(r"[\t\r\n]", "", url)
    if base and not _ABSOLUTE.match(url):
        try:
            url = urljoin(base.strip(), url)
        except ValueError:
            return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") and not parts.netloc:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = ""
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += ":" + parts.password
        userinfo += "@"
    netloc = userinfo + host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = parts.path
    if not path and scheme in _DEFAULT_PORTS:
        path = "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def parse_ip_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Read ``host`` as an IP address the way a C resolver would, or return None for a name.

    Besides dotted quads this accepts what ``inet_aton`` accepts (``2130706433``,
    ``0x7f.1``, ``0177.0.0.1``, ``127.1``) and bracketed or bare IPv6 literals, because
    those spellings reach loopback and private networks too.
    """
    host = host.strip().strip("[]").rstrip(".")
    if not host:
        return None
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    parts = host.split(".")
    if len(parts) > 4:
        return None
    values = []
    for part in parts:
        if not part:
            return None
        try:
            if part.lower().startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part, 8))
            else:
                if not part.isdigit():
                    return None
                values.append(int(part, 10))
        except ValueError:
            return None
    # the last part fills all the remaining bytes (inet_aton rules)
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def is_public_ip(ip: str) -> bool:
    """True when ``ip`` is a globally routable unicast address.

    False for loopback, private, shared (CGNAT), link-local, multicast, reserved,
    unspecified and documentation ranges, for IPv4 and IPv6, including IPv4 addresses
    embedded in IPv6 (IPv4-mapped, 6to4, NAT64, Teredo). Text that is not an address is
    not public.
    """
    addr = parse_ip_host(ip) if isinstance(ip, str) else ip
    if addr is None:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return is_public_ip(str(addr.ipv4_mapped))
        embedded = addr.sixtofour
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is None and addr.teredo is not None:
            embedded = addr.teredo[1]
        if embedded is not None and not is_public_ip(str(embedded)):
            return False
    if (
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    ):
        return False
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local:
        return False
    return addr.is_global


def registrable_host(host: str) -> str:
    """The registrable domain of ``host`` by the Public Suffix List (``news.example.co.uk`` ->
    ``example.co.uk``, ``a.github.io`` stays ``a.github.io``). IP literals, single labels
    and bare public suffixes are returned as they are."""
    host = host.lower().strip(".").strip("[]")
    if parse_ip_host(host) is not None:
        return host
    return _public_suffixes().privatesuffix(host) or host


def prefer_canonical(page_url: str, declared: str | None) -> str:
    """The page's declared canonical URL when it can be trusted, else the page URL.

    Trusted means: an absolute or relative http(s) URL whose host belongs to the same
    registrable domain as the page, and which does not point a deep page at the site's
    front page (a common template mistake). Both results are canonicalized.
    """
    page = canonicalize(page_url)
    if not declared or not declared.strip():
        return page
    cand = canonicalize(declared, base=page_url)
    try:
        p, c = urlsplit(page), urlsplit(cand)
    except ValueError:
        return page
    if c.scheme not in ("http", "https") or not c.hostname:
        return page
    if registrable_host(c.hostname) != registrable_host(p.hostname or ""):
        return page
    if c.path in ("", "/") and not c.query and p.path not in ("", "/"):
        return page
    return cand


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]+@")


def hide_credentials(text: str) -> str:
    """Mask the userinfo (``user:password@``) of every URL in ``text`` as ``***@``."""
    return _USERINFO.sub(r"\1***@", text)


def without_userinfo(url: str) -> str:
    """``url`` without its ``user:password@`` (what is stored, shown and used as a base)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return hide_credentials(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def with_userinfo_of(url: str, credentialed: str) -> str:
    """``url`` with the userinfo of ``credentialed`` when both have the same origin (scheme,
    host and port), as a browser sends a site's credentials only to that site."""
    try:
        target, source = urlsplit(url), urlsplit(credentialed)
        same = (target.scheme, target.hostname, target.port) == (
            source.scheme,
            source.hostname,
            source.port,
        )
    except ValueError:
        return url
    if not same or "@" not in source.netloc or "@" in target.netloc:
        return url
    userinfo = source.netloc.rpartition("@")[0]
    return urlunsplit(target._replace(netloc=f"{userinfo}@{target.netloc}"))
