"""The outbox: every email, SMS and webhook the application sent, kept for people and tests to read."""

from __future__ import annotations

import html
import re
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local.clock import iso

_URL = re.compile(r"https?://[^\s\"'<>]+")
_TRAILING = ".,;:!?)]}"
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


def find_links(*texts: str | None) -> list[str]:
    """Every http(s) URL in the texts, in order, without duplicates or trailing punctuation."""
    links: list[str] = []
    for text in texts:
        for match in _URL.findall(html.unescape(text or "")):
            link = match.rstrip(_TRAILING)
            if link not in links:
                links.append(link)
    return links


class Outbox:
    def __init__(self, now: Callable[[], datetime], entries: list[dict[str, Any]] | None = None) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = list(entries or [])

    def record(
        self,
        *,
        channel: str,
        to: str,
        subject: str | None = None,
        text: str | None = None,
        html_body: str | None = None,
        kind: str | None = None,
        case_id: str | None = None,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        entry = {
            "id": uuid.uuid4().hex,
            "channel": channel,
            "to": to,
            "subject": subject,
            "text": text,
            "html": html_body,
            "links": find_links(text, html_body),
            "kind": kind,
            "case_id": case_id,
            "sent_at": iso(self._now()),
            "reply_to": reply_to,  # an email's Reply-To (customer emails: reply+<code>@...); else None
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            # Entries saved before `reply_to` existed read as having none: fields are only ever added.
            return [{"reply_to": None, **entry} for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# The page's own styles only; an email's HTML is shown in a sandboxed frame (no scripts, no same origin,
# links open in a new tab), so nothing a message holds runs or reaches the page.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'"
_STYLE = (
    "*{box-sizing:border-box}"
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:1rem;max-width:62rem;color:#18181b;"
    "overflow-wrap:anywhere}"
    "h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:0 0 .25rem}"
    "article{border:1px solid #d4d4d8;border-radius:.5rem;padding:.75rem;margin:0 0 1rem;background:#fff}"
    ".meta{color:#52525b;font-size:.85rem;margin:0 0 .5rem}"
    ".kind{display:inline-block;padding:0 .4rem;border-radius:.3rem;background:#e4e4e7;color:#18181b}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;background:#f4f4f5;padding:.5rem;"
    "border-radius:.3rem;margin:.25rem 0}"
    "iframe{display:block;width:100%;height:34rem;border:1px solid #d4d4d8;border-radius:.3rem;"
    "background:#fff}"
    "summary{cursor:pointer;padding:.35rem 0;font-weight:600}"
    "ul{padding-left:1.2rem;margin:.4rem 0}li{margin:.2rem 0}a{color:#1d4ed8}"
)


def _email_frame(document: str) -> str:
    """The email as the reader's client shows it: its HTML escaped into `srcdoc` of a sandboxed frame.
    A `<base target=_blank>` makes its links open in a new tab (the sandbox allows that popup only)."""
    base = '<base target="_blank">'
    head = _HEAD.search(document)
    framed = document[: head.end()] + base + document[head.end() :] if head else base + document
    return (
        '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"'
        f' title="HTML" srcdoc="{html.escape(framed, quote=True)}"></iframe>'
    )


def render_page(entries: list[dict[str, Any]]) -> str:
    """A plain HTML page of the outbox, newest first, readable on a phone. Everything from messages is
    escaped; an email's HTML is shown rendered in a sandboxed frame, with its text part beside it."""
    rows = []
    for entry in reversed(entries):
        links = "".join(
            f'<li><a href="{html.escape(link, quote=True)}" rel="noreferrer">{html.escape(link)}</a></li>'
            for link in entry.get("links", [])
        )
        text = f"<pre>{html.escape(entry.get('text') or '')}</pre>"
        if entry.get("html"):
            content = (
                f"<details open><summary>HTML</summary>{_email_frame(entry['html'])}</details>"
                f"<details><summary>Text</summary>{text}</details>"
            )
        else:
            content = text
        rows.append(
            "<article>"
            f"<h2>{html.escape(entry.get('subject') or '(no subject)')}</h2>"
            f"<p class=meta><span class=kind>{html.escape(entry.get('kind') or '-')}</span>"
            f" {html.escape(entry['channel'])} to {html.escape(entry.get('to') or '')}"
            f" &middot; case {html.escape(entry.get('case_id') or '-')}"
            + (f" &middot; reply to {html.escape(entry['reply_to'])}" if entry.get("reply_to") else "")
            + f" &middot; {html.escape(entry['sent_at'])}</p>"
            f"{content}" + (f"<ul>{links}</ul>" if links else "") + "</article>"
        )
    body = "\n".join(rows) or "<p>Nothing sent yet.</p>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        '<meta name="robots" content="noindex">'
        f"<title>Outbox ({len(entries)})</title><style>{_STYLE}</style></head><body>"
        f"<h1>Outbox ({len(entries)})</h1>{body}</body></html>"
    )
