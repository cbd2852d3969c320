"""Secrets never reach a log line, a traceback, a stored error text or a page.

``mask(text)`` hides, wherever they appear in ``text``:

- every registered secret: each value a ``${VAR}`` of the configuration expanded to, the
  channels' passwords, webhook URLs and header values, and the password of any configured URL
  (``register``), in its raw, percent-encoded and Basic-auth forms;
- the userinfo of any URL: ``http://user:pw@host/`` -> ``http://***@host/``;
- webhook paths: every path of a ``hooks.*``/``*webhook*`` host, and what follows a
  ``/hooks/``, ``/webhook/``, ``/webhooks/`` or ``/webhookb2/`` segment on any other host;
- query parameters named like a credential (``token``, ``key``, ``secret``, ``password``,
  ``sig``, ``auth``, ``session``, ...): ``?token=abc`` -> ``?token=***``;
- ``Bearer``/``Basic``/``Token`` credentials and ``Authorization``-like header values.

``install()`` (called by the CLI) makes every log record of every library pass through
``mask``: a log record factory masks the message, its arguments, the formatted traceback and
the stack of each record when it is created, whichever logger created it and whichever handler
will emit it (records of child loggers with their own handlers, such as uvicorn's, never reach
a filter on the root logger); a filter on the root logger and on its handlers also masks
``extra=`` fields; uncaught exceptions (``sys.excepthook``, ``threading.excepthook``) and
``warnings`` are masked too.

Nothing here imports the project, so storage, alerts and the pipeline can all use it.
"""

from __future__ import annotations

import base64
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "MASK",
    "SecretFilter",
    "forget",
    "holds_secret",
    "install",
    "uninstall",
    "mask",
    "mask_credentials",
    "mask_record",
    "register",
    "registered",
    "remove_credentials",
    "url_secrets",
]

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values ("587", "on") would mask every number in every log

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None

# scheme://userinfo@ : the userinfo may hold unencoded '@' and ':'; it ends at the last '@'
# before the path (the greedy class backtracks to it)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s\"'<>]+@")
_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+")
_HOOK_SEGMENTS = {"hooks", "hook", "webhook", "webhooks", "webhookb2", "incomingwebhook"}
_CREDENTIAL_PARAM = re.compile(
    r"(?i)(token|secret|passw|pwd|api[-_.]?key|^key$|[-_.]key$|^sig$|signature|^auth|"
    r"credential|session|^code$|jwt|access[-_.]?key)"
)
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s]*)")
# "Bearer x" is always a credential; "Basic"/"Token" only before something base64-like
# (a digit, padding or mixed case), so that "basic information" stays readable
_TOKEN_CHARS = r"[A-Za-z0-9._~+/=:-]"
_AUTH_SCHEME = re.compile(
    rf"\b(?i:bearer)\s+{_TOKEN_CHARS}{{6,}}"
    rf"|\b(?i:basic|token|digest)\s+"
    rf"(?={_TOKEN_CHARS}*[0-9=]|(?={_TOKEN_CHARS}*[a-z]){_TOKEN_CHARS}*[A-Z]){_TOKEN_CHARS}{{8,}}"
)
_AUTH_HEADER = re.compile(
    r"(?i)([\"']?\b(?:proxy-)?(?:authorization|x-api-key|api[-_]key|x-auth-token|"
    r"private-token|cookie|set-cookie)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!\*\*\*)((?:bearer|basic|token|digest)\s+)?([^\s\"',;}]+)"
)


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that are credentials: the password (and user:password) of its userinfo."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    out = []
    if parts.password:
        out += [parts.password, unquote(parts.password)]
        if parts.username:
            out.append(f"{unquote(parts.username)}:{unquote(parts.password)}")
    return out


def _forms(value: str) -> set[str]:
    """A secret and the spellings it takes in URLs, JSON, reprs and Basic-auth headers."""
    forms = {value, quote(value, safe=""), quote(value, safe="/:@"), quote(value)}
    forms.add(value.encode("unicode_escape").decode("ascii"))
    forms.add(value.replace("/", "\\/"))  # JSON with escaped slashes
    if "://" in value:
        for part in url_secrets(value):
            forms |= {part, quote(part, safe="")}
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        # a webhook URL's secret is its path: seen alone when the URL is re-spelled
        tail = parts.path + (f"?{parts.query}" if parts.query else "") if parts else ""
        if len(tail.strip("/")) >= 8:
            forms.add(tail)
    if ":" in value:
        forms.add(base64.b64encode(value.encode()).decode("ascii"))
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def register(values: Iterable[str | None]) -> None:
    """Remember values that must never be shown (process-wide; values under 4 characters skipped)."""
    global _secret_re
    new = set()
    for v in values:
        if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH:
            new |= _forms(v)
            for part in url_secrets(v):
                new |= _forms(part)
    with _lock:
        if new <= _secrets:
            return
        _secrets.update(new)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
        _secret_re = re.compile("|".join(re.escape(s) for s in ordered))


def registered() -> frozenset[str]:
    """Every registered secret, in each of its spellings."""
    with _lock:
        return frozenset(_secrets)


def holds_secret(text: str | None) -> bool:
    """Whether ``text`` holds a registered secret (one regex search; ``mask`` does more)."""
    pattern = _secret_re
    return bool(text) and pattern is not None and pattern.search(text) is not None


def forget() -> None:
    """Drop every registered secret (tests)."""
    global _secret_re
    with _lock:
        _secrets.clear()
        _secret_re = None


_URL_PARTS = re.compile(r"(?s)^([^:]+://)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$")


def _mask_url(m: re.Match[str]) -> str:
    parts = _URL_PARTS.match(m.group(0))
    if parts is None:
        return m.group(0)
    scheme, authority, path, query, fragment = (g or "" for g in parts.groups())
    host = authority.rpartition("@")[2].lower()
    hostname = host if host.startswith("[") else host.rsplit(":", 1)[0]
    if hostname.startswith("hooks.") or "webhook" in hostname:
        if path.strip("/"):
            path = "/" + MASK
    else:
        segments = path.split("/")
        for i, seg in enumerate(segments[:-1]):
            if seg.lower() in _HOOK_SEGMENTS and any(segments[i + 1 :]):
                path = "/".join([*segments[: i + 1], MASK])
                break
    if query:
        query = _QUERY_PAIR.sub(
            lambda p: (
                f"{p.group(1)}{p.group(2)}={MASK}"
                if p.group(3) and _CREDENTIAL_PARAM.search(unquote(p.group(2)))
                else p.group(0)
            ),
            query,
        )
    return f"{scheme}{authority}{path}{query}{fragment}"


def mask_credentials(text: str) -> str:
    """Only the registered secrets and URL userinfo masked: for data such as article links,
    where a query parameter named ``key`` or ``code`` may select the content and must stay."""
    if not text:
        return text
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "://" in text:
        text = _USERINFO.sub(r"\1" + MASK + "@", text)
    return text


def remove_credentials(text: str) -> str:
    """Registered secrets masked and URL userinfo removed (``http://u:p@h/a`` -> ``http://h/a``):
    for stored links, whose identity does not include the credentials used to fetch them."""
    if not text:
        return text
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "://" in text:
        text = _USERINFO.sub(r"\1", text)
    return text


def mask(text: str) -> str:
    """``text`` with registered secrets, URL credentials, webhook paths and tokens masked."""
    if not text:
        return text
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "://" in text:
        text = _USERINFO.sub(r"\1" + MASK + "@", text)
        text = _URL.sub(_mask_url, text)
    lowered = text.lower()
    if any(w in lowered for w in ("bearer", "basic", "token", "digest")):
        text = _AUTH_SCHEME.sub(lambda a: a.group(0).split()[0] + " " + MASK, text)
    if any(w in lowered for w in ("auth", "key", "cookie", "token")):
        text = _AUTH_HEADER.sub(lambda h: h.group(1) + (h.group(2) or "") + MASK, text)
    return text


# ----------------------------------------------------------------------------- log records
_PLAIN = (int, float, bool, type(None))
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "_logsafe",
}


def _mask_arg(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    text = value if isinstance(value, str) else str(value)
    masked = mask(text)
    if masked != text:
        return masked
    if not isinstance(value, str):
        shown = repr(value)
        if mask(shown) != shown:
            return mask(shown)
    return value


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string: show what there is, masked
        return f"{record.msg!s} {record.args!r}"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask one record in place: message, arguments, traceback, stack and extra fields."""
    message = _message(record)
    clean = mask(message)
    if clean != message:
        # keep the arguments (formatters such as uvicorn's read them) when masking them is enough
        args = record.args
        try:
            if isinstance(args, dict):
                record.args = {k: _mask_arg(v) for k, v in args.items()}
            elif isinstance(args, tuple):
                record.args = tuple(_mask_arg(a) for a in args)
            if isinstance(record.msg, str):
                record.msg = mask(record.msg)
            else:
                record.msg = _mask_arg(record.msg)
            ok = record.getMessage() == clean
        except Exception:
            ok = False
        if not ok:
            record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        if not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        # a handler may format exc_info itself: it only ever sees the masked text
        record.exc_info = None
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    for key, value in list(record.__dict__.items()):
        if key not in _STANDARD and isinstance(value, str):
            record.__dict__[key] = mask(value)
    return record


class SecretFilter(logging.Filter):
    """A logging filter that masks every record it sees (and never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


_FILTER = SecretFilter("logsafe")
_installed = False


def _record_factory(base: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(base(*args, **kwargs))

    factory._logsafe = True  # type: ignore[attr-defined]
    factory._base = base  # type: ignore[attr-defined]
    return factory


def _excepthook(base: Any) -> Any:
    def hook(exc_type: Any, exc: Any, tb: Any) -> None:
        sys.stderr.write(mask("".join(traceback.format_exception(exc_type, exc, tb))))

    hook._logsafe = True  # type: ignore[attr-defined]
    hook._base = base  # type: ignore[attr-defined]
    return hook


_ORIGINAL_THREAD_HOOK = threading.excepthook


def _thread_excepthook(args: Any) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(mask(f"Exception in thread {name}:\n{text}"))


def uninstall(logger: logging.Logger | None = None) -> None:
    """Undo ``install`` (tests)."""
    global _installed
    root = logger or logging.getLogger()
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_logsafe", False):
        logging.setLogRecordFactory(factory._base)  # type: ignore[attr-defined]
    for target in (root, *root.handlers):
        target.removeFilter(_FILTER)
    if getattr(sys.excepthook, "_logsafe", False):
        sys.excepthook = sys.excepthook._base  # type: ignore[attr-defined]
    threading.excepthook = _ORIGINAL_THREAD_HOOK
    logging.captureWarnings(False)
    _installed = False


def install(logger: logging.Logger | None = None) -> None:
    """Mask every record of every logger from now on; idempotent.

    Call it after handlers are configured: the filter is attached to the root logger and to
    each of its handlers (the record factory covers handlers added later).
    """
    global _installed
    root = logger or logging.getLogger()
    if not getattr(logging.getLogRecordFactory(), "_logsafe", False):
        logging.setLogRecordFactory(_record_factory(logging.getLogRecordFactory()))
    for target in (root, *root.handlers):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    if not getattr(sys.excepthook, "_logsafe", False):
        sys.excepthook = _excepthook(sys.excepthook)
    threading.excepthook = _thread_excepthook
    logging.captureWarnings(True)  # warnings.warn(...) texts go through the records too
    _installed = True
