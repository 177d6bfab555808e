"""The Slack messages of a case, as Block Kit: the alert posted to the team's channel, an escalation as a
reply in its thread, and the alert again once the case is acknowledged, its buttons replaced by who
acknowledged it and when.

Pure functions: no I/O. The channel's readers share one message, so it is in English (a lead's own
language is in their email and SMS) and times are on the team's clock (`Team.timezone`). Every value that
came from outside (the comment, the agent, the channel, names) is made safe to show (`domain/text.shown`)
and escaped for Slack's mrkdwn (`&`, `<`, `>`), so a comment can never become a link, a mention or markup.
The customer appears only masked (`domain/contacts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from recovery.domain.text import shown
from recovery.notify.render import local_time

MessageKind = Literal["alert", "escalation", "acknowledged", "notice"]
EVENT_TYPE = "recovery_case"
COMMENT_LIMIT = 600  # characters of the comment shown; a section's text may hold 3000
FIELD_LIMIT = 200  # an agent's or channel's name; a field's text may hold 2000
ACTION_IDS = ("ack", "take", "open")


@dataclass(frozen=True)
class SlackCase:
    """What the channel message shows of a case. `customer_masked` is masked already."""

    case_id: str
    priority: str  # "P1".."P4"
    score_text: str
    comment: str | None
    customer_masked: str | None
    agent: str | None
    channel: str | None
    team: str
    ack_deadline: datetime
    timezone: str  # the team's clock
    repeat_failure: bool
    case_url: str

    def __post_init__(self) -> None:
        if self.ack_deadline.tzinfo is None:
            raise ValueError("ack_deadline must be timezone-aware")
        if not self.case_url.startswith(("https://", "http://")):
            raise ValueError("case_url must be an http(s) URL")


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage or chat.update: the notification text, the blocks and the message metadata."""

    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any]


def escape(text: str) -> str:
    """`text` as literal mrkdwn: Slack reads `&`, `<` and `>` as entities, links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(text: str | None, limit: int, missing: str = "—") -> str:
    """Outside text made safe to show, shortened to `limit` characters, then escaped (never cutting an
    entity in half)."""
    if text is None or not text.strip():
        return missing
    visible = shown(text).strip()
    if len(visible) > limit:
        visible = visible[: limit - 1].rstrip() + "…"
    return escape(visible)


def metadata(case_id: str, kind: MessageKind) -> dict[str, Any]:
    """The message metadata every post and update carries: which case, and which message of it."""
    return {"event_type": EVENT_TYPE, "event_payload": {"case_id": case_id, "kind": kind}}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _summary(case: SlackCase) -> str:
    return f"{case.priority} case for {safe(case.team, FIELD_LIMIT)}: {escape(shown(case.score_text))}"


def _body(case: SlackCase) -> list[dict[str, Any]]:
    """The blocks the alert and its acknowledged version share: everything but the buttons."""
    header = f"{case.priority} · {shown(case.score_text)} · {shown(case.team)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150], "emoji": False}},
    ]
    if case.repeat_failure:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(":repeat: *Repeat failure*: this customer was let down before."),
            }
        )
    comment = safe(case.comment, COMMENT_LIMIT, missing="")
    quoted = (
        "\n".join(f"> {line}" if line else ">" for line in comment.split("\n"))
        if comment
        else "_No comment._"
    )
    blocks.append({"type": "section", "text": _mrkdwn(quoted)})
    blocks.append(
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Priority*\n{case.priority}"),
                _mrkdwn(f"*Score*\n{escape(shown(case.score_text))}"),
                _mrkdwn(f"*Customer*\n{safe(case.customer_masked, FIELD_LIMIT)}"),
                _mrkdwn(f"*Agent*\n{safe(case.agent, FIELD_LIMIT)}"),
                _mrkdwn(f"*Channel*\n{safe(case.channel, FIELD_LIMIT)}"),
                _mrkdwn(f"*Acknowledge by*\n{local_time(case.ack_deadline, case.timezone, date=True)}"),
            ],
        }
    )
    return blocks


def alert_message(case: SlackCase) -> SlackMessage:
    """The new case, with one-tap actions: Acknowledge, Take it, Open case (each button's value is the
    case id; Open case is a link to the console)."""
    actions = {
        "type": "actions",
        "block_id": f"case:{case.case_id}",
        "elements": [
            {
                "type": "button",
                "action_id": "ack",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "style": "primary",
                "value": case.case_id,
            },
            {
                "type": "button",
                "action_id": "take",
                "text": {"type": "plain_text", "text": "Take it"},
                "value": case.case_id,
            },
            {
                "type": "button",
                "action_id": "open",
                "text": {"type": "plain_text", "text": "Open case"},
                "url": case.case_url,
                "value": case.case_id,
            },
        ],
    }
    return SlackMessage(_summary(case), [*_body(case), actions], metadata(case.case_id, "alert"))


def acknowledged_message(case: SlackCase, by: str, at: datetime) -> SlackMessage:
    """The alert once acknowledged (anywhere): the same message, its buttons replaced by who and when."""
    line = (
        f":white_check_mark: Acknowledged by *{safe(by, FIELD_LIMIT)}* at {local_time(at, case.timezone)}"
        f" · <{case.case_url}|Open case>"
    )
    blocks = [*_body(case), {"type": "section", "block_id": f"acked:{case.case_id}", "text": _mrkdwn(line)}]
    return SlackMessage(
        f"{_summary(case)} (acknowledged by {safe(by, FIELD_LIMIT)})",
        blocks,
        metadata(case.case_id, "acknowledged"),
    )


def escalation_message(
    case_id: str, level: int, missed: datetime | None, deadline: datetime, timezone: str
) -> SlackMessage:
    """A reply in the alert's thread: nobody acknowledged by the deadline, level `level` is alerted now."""
    late = (
        f"not acknowledged by {local_time(missed, timezone)}"
        if missed is not None
        else "not acknowledged in time"
    )
    due = local_time(deadline, timezone)
    text = f":rotating_light: *Escalated to level {level}*: {late}. Acknowledge by {due}."
    return SlackMessage(
        f"Escalated to level {level}: {late}",
        [{"type": "section", "text": _mrkdwn(text)}],
        metadata(case_id, "escalation"),
    )


_NOTICES = {
    "customer_reply": ":speech_balloon: *The customer replied* by {channel}. Read it on the case.",
    "followup_no_response": (
        ":hourglass: *No answer to the follow-up* sent by {channel}. Try another channel."
    ),
    "customer_unreachable": ":no_entry: *The customer cannot be reached by {channel}* ({reason}).",
    "ack_reminder": ":alarm_clock: *Acknowledged {hours} h ago, nothing done since.* Resolve by {deadline}.",
}
_REASONS = {"bounce": "the email bounced", "complaint": "marked as spam", "opted_out": "opted out"}
_CHANNELS = {"email": "email", "sms": "SMS"}


def notice_message(
    case_id: str,
    kind: str,
    case_url: str,
    channel: str | None = None,
    reason: str | None = None,
    hours: int = 1,
    deadline: datetime | None = None,
    timezone: str = "UTC",
) -> SlackMessage:
    """An owner notice (docs/notices.md) as a reply in the case's thread. Never the customer's words: the
    channel is the whole team's, and the case holds the reply."""
    if not case_url.startswith(("https://", "http://")):
        raise ValueError("case_url must be an http(s) URL")
    line = _NOTICES[kind].format(
        channel=_CHANNELS.get(channel or "", "a channel"),
        reason=_REASONS.get(reason or "", "unreachable"),
        hours=hours,
        deadline=local_time(deadline, timezone) if deadline is not None else "the deadline",
    )
    plain = re.sub(r":[a-z_]+: |\*", "", line)
    return SlackMessage(
        plain,
        [{"type": "section", "text": _mrkdwn(f"{line} <{case_url}|Open case>")}],
        metadata(case_id, "notice"),
    )
