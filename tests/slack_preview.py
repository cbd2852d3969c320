"""Render Slack Block Kit messages as a Slack-like HTML page, for a headless-Chromium screenshot.

Covers what alerts/render.py sends: header, section (mrkdwn), context and divider blocks; mrkdwn
links <url|label>, *bold*, _italic_, and the &amp; &lt; &gt; escapes. It is a picture of what a
reader sees in Slack, not Slack itself.
"""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"<([^|<>]+)\|([^<>]*)>")


def mrkdwn(text: str) -> str:
    return "<br>".join(_line(line) for line in text.split("\n"))


def _line(line: str) -> str:
    links: list[str] = []

    def hold(m: re.Match) -> str:
        url = html.escape(_unescape(m.group(1)), quote=True)
        links.append(f'<a href="{url}">{_inline(m.group(2))}</a>')
        return f"\x00{len(links) - 1}\x00"

    marked = _inline(_LINK.sub(hold, line))
    return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], marked)


def _unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _inline(s: str) -> str:
    s = html.escape(_unescape(s))
    s = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<b>\1</b>", s)  # also *<link>*
    s = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"<i>\1</i>", s)
    return s


CSS = """
body{margin:0;background:#fff;font:15px/1.46 -apple-system,'Segoe UI',Lato,Helvetica,Arial,sans-serif;color:#1d1c1d}
.msg{display:flex;gap:8px;padding:12px 16px;max-width:760px}
.avatar{width:36px;height:36px;border-radius:6px;background:#0b6e75;color:#fff;font-weight:700;
 display:flex;align-items:center;justify-content:center;flex:none}
.who{font-weight:900}.app{font-size:10px;background:#e8e8e8;color:#616061;padding:1px 3px;border-radius:2px;margin-left:4px;vertical-align:2px}
.time{color:#616061;font-size:12px;margin-left:6px}
h3{font-size:18px;margin:4px 0 6px;font-weight:900}
.section{margin:6px 0;white-space:normal}.section a{color:#1264a3;text-decoration:none}
.divider{border-top:1px solid #dddddd;margin:10px 0}
.context{color:#616061;font-size:12px;margin:4px 0}
"""


def page(messages: list[dict], channel: str = "#oncology-news") -> str:
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(channel)}</title>"
        f"<style>{CSS}</style></head><body>"
    ]
    for msg in messages:
        blocks = []
        for b in msg["blocks"]:
            kind = b["type"]
            if kind == "header":
                blocks.append(f"<h3>{html.escape(b['text']['text'])}</h3>")
            elif kind == "section":
                blocks.append(f"<div class='section'>{mrkdwn(b['text']['text'])}</div>")
            elif kind == "divider":
                blocks.append("<div class='divider'></div>")
            elif kind == "context":
                items = [mrkdwn(e.get("text", "")) for e in b.get("elements", [])]
                blocks.append(f"<div class='context'>{' · '.join(items)}</div>")
        parts.append(
            "<div class='msg'><div class='avatar'>m</div><div><span class='who'>monitor</span>"
            "<span class='app'>APP</span><span class='time'>7:00 AM</span>"
            + "".join(blocks)
            + "</div></div>"
        )
    parts.append("</body></html>")
    return "".join(parts)
