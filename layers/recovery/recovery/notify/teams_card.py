"""The Microsoft Teams card of a new case: an Adaptive Card (schema 1.5) in the message a Teams workflow
("Post to a channel when a webhook request is received") takes and posts to the team's channel.

Pure functions: no I/O. The channel's readers share one card, posted once per case, so it is written in
one language: that of the team's first level-1 contact (`Team.levels[1][0].language`), the team's leads
being who the channel is for. Its words are the alert email's (`templates/i18n/<language>.json`: the
labels, "Acknowledge", "Open the case in the console"), the score and channel in the same words as the
email (`notify/scores`), and the deadline on the team's clock (`Team.timezone`) as the email writes it.

Every value that came from outside (the comment, the agent, the channel, names) is made safe to show
(`domain/text.shown`) and placed in a `TextRun` of a `RichTextBlock`, which Teams shows as plain text:
a comment can never become a link, a mention or markup. The customer appears only masked. The card's
two buttons are `Action.OpenUrl`: the signed acknowledge link of one contact and the case in the console.

The message also carries `recovery_case: {"case_id", "kind"}` beside `attachments`: the workflow passes
only the attachments to the channel and ignores it; the runtime's local stand-in (local/teams_api.py)
reads it to know which case a card is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recovery.domain.text import shown
from recovery.notify.render import deadline_long, language_of, strings
from recovery.notify.scores import channel_words, score_words

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
CASE_FIELD = "recovery_case"  # the message's top-level field naming the case; Teams ignores it
COMMENT_LIMIT = 600  # characters of the comment shown
FIELD_LIMIT = 200  # an agent's, channel's or team's name
_MISSING = "—"


@dataclass(frozen=True)
class TeamsCase:
    """What the channel card shows of a case. `customer_masked` is masked already; `language` is the
    reader's (any BCP 47 tag; an unsupported one reads English)."""

    case_id: str
    priority: str  # "P1".."P4"
    score_text: str  # as the alert service writes it: "NPS 3/10"
    comment: str | None
    customer_masked: str | None
    agent: str | None
    channel: str | None
    team: str
    ack_deadline: datetime
    timezone: str  # the team's clock
    repeat_failure: bool
    ack_url: str
    case_url: str
    language: str | None = "en"

    def __post_init__(self) -> None:
        if self.ack_deadline.tzinfo is None:
            raise ValueError("ack_deadline must be timezone-aware")
        # Each becomes a button's link: only a web address, never a javascript: or data: URL.
        for name in ("ack_url", "case_url"):
            if not getattr(self, name).startswith(("https://", "http://")):
                raise ValueError(f"{name} must be an http(s) URL")


def safe(text: str | None, limit: int, missing: str = _MISSING) -> str:
    """Outside text made safe to show and shortened to `limit` characters."""
    if text is None or not text.strip():
        return missing
    visible = shown(text).strip()
    if len(visible) > limit:
        visible = visible[: limit - 1].rstrip() + "…"
    return visible


def _run(text: str, **style: Any) -> dict[str, Any]:
    """Plain text: a TextRun is never read as Markdown."""
    return {"type": "TextRun", "text": text, **style}


def _fact(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "spacing": "Small",
        "inlines": [_run(f"{label}: ", weight="Bolder"), _run(value)],
    }


def alert_card(case: TeamsCase) -> dict[str, Any]:
    """The message for the workflow: the case's facts in the reader's language and two buttons."""
    language = language_of(case.language)
    t = strings(language)
    score = score_words(shown(case.score_text), language)
    channel = channel_words(case.channel, language)
    team = safe(case.team, FIELD_LIMIT)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": t.title_alert,
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "style": "heading",
        },
        {
            "type": "RichTextBlock",
            "inlines": [_run(f"{case.priority} · {score} · {team}", weight="Bolder", color="Attention")],
        },
    ]
    if case.repeat_failure:
        body.append({"type": "RichTextBlock", "inlines": [_run(t.repeat_failure, color="Attention")]})
    comment = safe(case.comment, COMMENT_LIMIT, missing="")
    body.append(
        {
            "type": "Container",
            "style": "emphasis",
            "items": [
                {
                    "type": "RichTextBlock",
                    "inlines": [
                        _run(f"{t.quote_open}{comment}{t.quote_close}")
                        if comment
                        else _run(t.no_comment, italic=True)
                    ],
                }
            ],
        }
    )
    body += [
        _fact(t.label_priority, case.priority),
        _fact(t.label_score, score),
        _fact(t.label_customer, safe(case.customer_masked, FIELD_LIMIT)),
        _fact(t.label_agent, safe(case.agent, FIELD_LIMIT)),
        _fact(t.label_channel, safe(channel, FIELD_LIMIT)),
        _fact(t.label_deadline, deadline_long(case.ack_deadline, case.timezone)),
    ]
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "lang": language,
        "fallbackText": f"{t.title_alert}: {case.priority} · {score} · {team}",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": t.ack_button, "url": case.ack_url, "style": "positive"},
            {"type": "Action.OpenUrl", "title": t.case_link, "url": case.case_url},
        ],
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        CASE_FIELD: {"case_id": case.case_id, "kind": "alert"},
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }
