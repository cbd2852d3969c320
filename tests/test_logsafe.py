"""monitor.logsafe: what is masked, and that every log record of every logger is masked.

The record tests install the mask as the CLI does and emit records the way libraries do:
httpx's own INFO lines at -vv, a child logger with its own handler that does not propagate
(uvicorn's loggers), tracebacks formatted by a handler, `extra=` fields, uncaught
exceptions in the main thread and in a thread.
"""

from __future__ import annotations

import io
import logging
import logging.config
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from monitor import logsafe
from tests.httpserver import TestServer

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pw-Zx81-secret"
TOKEN = "tok-Lm42-secret"


@pytest.fixture
def installed():
    """The CLI's setup: the mask installed, the config's ${VAR} values registered."""
    logsafe.register([PASSWORD, TOKEN])
    logsafe.install()
    try:
        yield
    finally:
        logsafe.uninstall()
        logsafe.forget()


def _handler(logger: logging.Logger, fmt: str = "%(levelname)s %(name)s: %(message)s"):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(fmt))
    logger.addHandler(handler)
    return stream, handler


# ------------------------------------------------------------------------- the masker
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("GET http://u:pw@ex.org/feed", "GET http://***@ex.org/feed"),
        ("http://u:p@ss@ex.org/x?y=1", "http://***@ex.org/x?y=1"),  # '@' inside the password
        ("smtp://monitor:x@mail.example.org:587", "smtp://***@mail.example.org:587"),
        ("https://hooks.slack.com/services/T1/B2/abc ok", "https://hooks.slack.com/*** ok"),
        ("https://discord.com/api/webhooks/1/abc?wait=1", "https://discord.com/api/webhooks/***?wait=1"),
        ("https://x.webhook.office.com/webhookb2/a/b", "https://x.webhook.office.com/***"),
        ("http://127.0.0.1:8/hooks/abc/def", "http://127.0.0.1:8/hooks/***"),
        ("https://a.org/f.xml?apikey=k1&page=2&token=t#x", "https://a.org/f.xml?apikey=***&page=2&token=***#x"),
        ("https://a.org/f?access_token=a&sig=b&X-Amz-Signature=c", "https://a.org/f?access_token=***&sig=***&X-Amz-Signature=***"),
        ('{"Authorization": "Bearer abc.def-ghi"}', '{"Authorization": "Bearer ***"}'),
        ("X-Api-Key: k-123456", "X-Api-Key: ***"),
        ("Basic dXNlcjpwYXNz", "Basic ***"),
    ],
)  # fmt: skip
def test_mask_hides_credentials(text: str, masked: str) -> None:
    assert logsafe.mask(text) == masked
    assert logsafe.mask(masked) == masked  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "mailto:someone@example.org, http://ex.org/a@b, user@example.org",
        "basic information about the token expired",
        "https://www.nature.com/articles/s41591-024-1234?page=2&utm_source=x",
        "source='Oncology Wire' status=ok entries=12 new=3 duration=0.41s",
    ],
)
def test_mask_leaves_ordinary_text_alone(text: str) -> None:
    assert logsafe.mask(text) == text


def test_registered_values_are_masked_in_every_spelling() -> None:
    try:
        logsafe.register(["p@ss w/rd:1", "http://127.0.0.1:5/T0/B0/xoxTok42", "abc"])
        text = (
            "raw p@ss w/rd:1, quoted p%40ss%20w%2Frd%3A1, url http://127.0.0.1:5/T0/B0/xoxTok42,"
            " re-spelled http://localhost:5/T0/B0/xoxTok42, short abc"
        )
        out = logsafe.mask(text)
        assert "p@ss" not in out and "p%40ss" not in out and "xoxTok42" not in out
        assert "short abc" in out  # under 4 characters: not a secret worth masking everywhere
    finally:
        logsafe.forget()


def test_remove_credentials_keeps_content_selecting_queries() -> None:
    link = "http://u:pw@ex.org/article?id=7&key=abc"
    assert logsafe.remove_credentials(link) == "http://ex.org/article?id=7&key=abc"


# ---------------------------------------------------------------------- the log records
def test_httpx_request_lines_are_masked_at_debug(installed) -> None:
    """httpx logs the full request URL at INFO: userinfo and query tokens are masked."""
    root = logging.getLogger()
    stream, handler = _handler(root)
    old = root.level, logging.getLogger("httpx").level
    root.setLevel(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    try:
        with TestServer() as srv:
            srv.route("/feed.xml", body=b"ok")
            url = srv.url("/feed.xml").replace("http://", f"http://reader:{PASSWORD}@")
            httpx.get(url + f"?token={TOKEN}&page=2", timeout=5)
    finally:
        root.removeHandler(handler)
        root.setLevel(old[0])
        logging.getLogger("httpx").setLevel(old[1])
    out = stream.getvalue()
    assert "HTTP Request: GET http://***@127.0.0.1" in out and "token=***&page=2" in out
    assert PASSWORD not in out and TOKEN not in out


def test_child_logger_with_its_own_handler_is_masked(installed) -> None:
    """A record that never reaches the root logger (propagate off, its own handler)."""
    child = logging.getLogger("some.library")
    child.propagate = False
    stream, handler = _handler(child)
    try:
        child.warning("connecting to %s with %r", f"http://u:{PASSWORD}@h/", {"pw": PASSWORD})
    finally:
        child.removeHandler(handler)
        child.propagate = True
    out = stream.getvalue()
    assert "http://***@h/" in out and PASSWORD not in out


def test_uvicorn_style_dict_config_loggers_are_masked(installed) -> None:
    """Loggers configured by dictConfig after install (as uvicorn does) are masked too."""
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"s": {"class": "logging.StreamHandler", "stream": stream}},
            "loggers": {"uvicorn.error": {"handlers": ["s"], "propagate": False}},
        }
    )
    try:
        logging.getLogger("uvicorn.error").error("bad request to /hooks/%s", TOKEN)
    finally:
        logging.getLogger("uvicorn.error").handlers.clear()
    assert "/hooks/***" in stream.getvalue() and TOKEN not in stream.getvalue()


def test_tracebacks_are_masked_whoever_formats_them(installed) -> None:
    log = logging.getLogger("monitor.test")
    log.propagate = False
    stream, handler = _handler(log)

    class OwnFormatter(logging.Formatter):
        """A handler that formats exc_info itself instead of using the cached text."""

        def format(self, record: logging.LogRecord) -> str:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + self.formatException(record.exc_info)
            elif record.exc_text:
                text += "\n" + record.exc_text
            return text

    own = io.StringIO()
    own_handler = logging.StreamHandler(own)
    own_handler.setFormatter(OwnFormatter())
    log.addHandler(own_handler)
    try:
        try:
            raise ConnectionError(f"refused by http://reader:{PASSWORD}@127.0.0.1:1/feed.xml")
        except ConnectionError:
            log.exception("poll failed")
        log.info("stack", stack_info=True, extra={"target": f"Bearer {TOKEN}"})
    finally:
        log.handlers.clear()
        log.propagate = True
    for out in (stream.getvalue(), own.getvalue()):
        assert "ConnectionError: refused by http://***@127.0.0.1:1" in out
        assert PASSWORD not in out and TOKEN not in out


def test_extra_fields_are_masked_for_root_handlers(installed) -> None:
    root = logging.getLogger()
    stream, handler = _handler(root, "%(message)s %(target)s")
    handler.addFilter(logsafe.SecretFilter())
    try:
        root.warning("delivering", extra={"target": f"https://hooks.slack.com/services/{TOKEN}"})
    finally:
        root.removeHandler(handler)
    assert stream.getvalue().strip() == "delivering https://hooks.slack.com/***"


def test_uncaught_exceptions_are_masked(tmp_path) -> None:
    """sys.excepthook and threading.excepthook print masked tracebacks (a real process)."""
    script = (
        "import threading\n"
        "from monitor import logsafe\n"
        f"logsafe.register([{PASSWORD!r}]); logsafe.install()\n"
        "def boom():\n"
        f"    raise RuntimeError('thread saw {PASSWORD}')\n"
        "t = threading.Thread(target=boom); t.start(); t.join()\n"
        f"raise RuntimeError('main saw http://u:{PASSWORD}@h/ and {PASSWORD}')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 1
    assert "RuntimeError: thread saw ***" in proc.stderr
    assert "RuntimeError: main saw http://***@h/ and ***" in proc.stderr
    assert PASSWORD not in proc.stderr


def test_records_from_threads_are_masked(installed) -> None:
    root = logging.getLogger()
    stream, handler = _handler(root)
    try:
        t = threading.Thread(target=lambda: root.error("token %s", TOKEN))
        t.start()
        t.join()
    finally:
        root.removeHandler(handler)
    assert stream.getvalue().strip() == "ERROR root: token ***"


def test_config_errors_never_quote_an_env_value() -> None:
    from monitor import config

    text = '[[sources]]\nname = "x"\nurl = "ftp://u:${FEED_PW}@h/feed"\n'
    with pytest.raises(config.ConfigError) as err:
        config.loads(text, env={"FEED_PW": PASSWORD})
    assert "http:// or https://" in str(err.value) and PASSWORD not in str(err.value)
    cfg = config.loads(
        '[[sources]]\nname = "x"\nurl = "http://u:${FEED_PW}@h/feed?t=${T}"\n',
        env={"FEED_PW": PASSWORD, "T": TOKEN},
    )
    assert set(cfg.secrets()) >= {PASSWORD, TOKEN}
