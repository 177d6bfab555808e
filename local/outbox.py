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
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def render_page(entries: list[dict[str, Any]]) -> str:
    """A plain HTML page of the outbox; everything from messages is escaped."""
    rows = []
    for entry in reversed(entries):
        links = "".join(
            f'<li><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></li>'
            for link in entry.get("links", [])
        )
        rows.append(
            "<article>"
            f"<h2>{html.escape(entry.get('subject') or '(no subject)')}</h2>"
            f"<p class=meta>{html.escape(entry['channel'])} to {html.escape(entry.get('to') or '')}"
            f" &middot; {html.escape(entry.get('kind') or '-')}"
            f" &middot; case {html.escape(entry.get('case_id') or '-')}"
            f" &middot; {html.escape(entry['sent_at'])}</p>"
            f"<pre>{html.escape(entry.get('text') or '')}</pre>"
            f"<ul>{links}</ul>"
            + (
                f"<details><summary>HTML</summary><pre>{html.escape(entry['html'])}</pre></details>"
                if entry.get("html")
                else ""
            )
            + "</article>"
        )
    body = "\n".join(rows) or "<p>Nothing sent yet.</p>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Outbox</title><style>body{font:14px system-ui;margin:2rem;max-width:60rem}"
        "article{border-bottom:1px solid #ccc;padding:.5rem 0}.meta{color:#555}"
        "pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>Outbox ({len(entries)})</h1>{body}</body></html>"
    )
