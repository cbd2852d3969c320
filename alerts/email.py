"""Email channel: a multipart/alternative message (plain text + HTML) over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from alerts import render
from alerts.channels import DeliveryError
from monitor.config import ChannelConfig
from monitor.model import Digest

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


def send(channel: ChannelConfig, digest: Digest, templates_dir=None) -> None:
    msg = build_message(channel, digest, templates_dir)
    host, port = channel.smtp_host, channel.smtp_port
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
            refused = smtp.send_message(msg)
            if refused and len(refused) == len(channel.to):
                raise DeliveryError(f"every recipient refused: {refused}", permanent=True)
    except smtplib.SMTPAuthenticationError as e:
        raise DeliveryError(
            f"SMTP login to {host}:{port} refused ({e.smtp_code}); check username/"
            "password in the channel's environment variables",
            permanent=True,
        ) from None
    except smtplib.SMTPRecipientsRefused as e:
        raise DeliveryError(
            f"SMTP server {host}:{port} refused all recipients: {e.recipients}", permanent=True
        ) from None
    except smtplib.SMTPNotSupportedError as e:
        raise DeliveryError(
            f"SMTP server {host}:{port} does not support what the channel asks "
            f"for ({e}); check `security` and `username`",
            permanent=True,
        ) from None
    except smtplib.SMTPResponseException as e:
        permanent = 500 <= e.smtp_code < 600
        raise DeliveryError(
            f"SMTP server {host}:{port} answered {e.smtp_code} {e.smtp_error!r}",
            permanent=permanent,
        ) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as e:
        raise DeliveryError(
            f"cannot deliver through SMTP server {host}:{port}: {type(e).__name__}: {e}; will retry"
        ) from None
