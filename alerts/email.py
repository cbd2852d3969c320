"""Email channel: a multipart/alternative message (plain text + HTML) over SMTP.

One ledger part per recipient. The message goes out in one SMTP transaction to every recipient
still owed it, and each RCPT reply is kept for its recipient: 2xx accepted, 4xx refused for now
(greylisting, a full mailbox; tried again later for that recipient only), 5xx refused for good
(shown in `monitor deliveries`). A retry is the same message (same Message-ID, same To header),
sent to the recipients that have not accepted it yet.
"""

from __future__ import annotations

import io
import smtplib
import ssl
from collections.abc import Iterator
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

from alerts import render
from alerts.channels import SENT, Outcome, redact
from monitor.config import ChannelConfig
from monitor.model import Digest
from storage.ledger import Part

TIMEOUT = 30.0


def message_id(digest_id: str) -> str:
    """The same digest id always gives the same Message-ID, so a resend collapses in mail clients."""
    return f"<{digest_id}@monitor.invalid>"


def build_message(channel: ChannelConfig, digest: Digest, templates_dir=None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = render.subject(digest)
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    msg["Date"] = format_datetime(digest.generated_at)
    msg["Message-ID"] = message_id(digest.digest_id) if digest.digest_id else make_msgid("monitor")
    msg["List-Id"] = f"monitor digest {channel.name} <{channel.name}.monitor.invalid>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render.render(digest, "text", templates_dir))
    msg.add_alternative(render.render(digest, "html", templates_dir), subtype="html")
    return msg


_UNANSWERED = Outcome(False, "the SMTP session ended before this recipient was answered")


def plan(channel: ChannelConfig, digest: Digest) -> list[Part]:
    return [Part(address) for address in dict.fromkeys(channel.to)]


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"[:300]


def classify(code: int, text: bytes | str, server: str) -> Outcome:
    """An SMTP reply in plain words: 2xx accepted, 4xx temporary, anything else permanent."""
    if 200 <= code < 300:
        return SENT
    reply = _reply(code, text)
    if 400 <= code < 500:
        return Outcome(False, f"refused for now by {server} ({reply}); will retry")
    return Outcome(False, f"refused by {server} ({reply})", permanent=True)


def _flatten(smtp: smtplib.SMTP, msg: EmailMessage, addresses: list[str]) -> tuple[bytes, list]:
    """The message as bytes and the MAIL options, as smtplib's send_message would make them."""
    options: list[str] = []
    try:
        "".join(addresses).encode("ascii")
        policy = msg.policy
    except UnicodeEncodeError:
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError(
                "an address is not ASCII and the server does not support SMTPUTF8"
            ) from None
        policy = msg.policy.clone(utf8=True)
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    with io.BytesIO() as out:
        BytesGenerator(out, policy=policy).flatten(msg, linesep="\r\n")
        data = out.getvalue()
    if smtp.does_esmtp and smtp.has_extn("size"):
        options.append(f"size={len(data)}")
    return data, options


def _transaction(
    smtp: smtplib.SMTP,
    msg: EmailMessage,
    sender: str,
    recipients: list[str],
    server: str,
    outcomes: dict[str, Outcome],
) -> None:
    """MAIL, one RCPT per recipient, DATA: fills in the outcome of each recipient as known."""
    smtp.ehlo_or_helo_if_needed()
    data, options = _flatten(smtp, msg, [sender, *recipients])
    code, text = smtp.mail(sender, options)
    if code != 250:
        outcomes.update(dict.fromkeys(recipients, classify(code, text, server)))
        smtp.rset()
        return
    accepted = []
    for rcpt in recipients:
        code, text = smtp.rcpt(rcpt)
        if code in (250, 251):
            accepted.append(rcpt)
        else:
            outcomes[rcpt] = classify(code, text, server)
    if not accepted:
        smtp.rset()
        return
    try:
        code, text = smtp.data(data)
    except smtplib.SMTPDataError as e:  # DATA itself refused
        code, text = e.smtp_code, e.smtp_error
    outcomes.update(dict.fromkeys(accepted, classify(code, text, server)))


def send(
    channel: ChannelConfig, digest: Digest, parts: list[Part], templates_dir=None
) -> Iterator[tuple[Part, Outcome]]:
    """One SMTP transaction to the recipients of `parts`; yields each recipient's outcome."""
    msg = build_message(channel, digest, templates_dir)
    host, port = channel.smtp_host, channel.smtp_port
    server = f"{host}:{port}"
    sender = getaddresses([channel.sender or ""])[0][1] or (channel.sender or "")
    recipients = [p.target for p in parts]
    outcomes: dict[str, Outcome] = {}  # filled in as the server answers
    every: Outcome | None = None  # what befell the recipients not answered for
    try:
        if channel.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, channel.password or "")
            _transaction(smtp, msg, sender, recipients, server, outcomes)
    except smtplib.SMTPAuthenticationError as e:
        every = Outcome(
            False,
            f"SMTP login to {server} refused ({e.smtp_code}); check username/password in the"
            " channel's environment variables",
            permanent=not 400 <= e.smtp_code < 500,
        )
    except smtplib.SMTPNotSupportedError as e:
        every = Outcome(
            False,
            f"SMTP server {server} does not support what the channel asks for ({e}); check"
            " `security` and `username`",
            permanent=True,
        )
    except smtplib.SMTPResponseException as e:  # 421 at connect, a refused EHLO, ...
        every = classify(e.smtp_code, e.smtp_error, server)
    except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as e:
        # the server went away: whatever was not answered with 250 is tried again
        reason = (
            redact(f"{type(e).__name__}: {e}", channel.secrets()) if str(e) else type(e).__name__
        )
        every = Outcome(False, f"connection to SMTP server {server} failed ({reason}); will retry")
    for part in parts:
        yield part, outcomes.get(part.target) or every or _UNANSWERED
