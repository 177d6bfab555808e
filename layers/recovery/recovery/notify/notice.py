"""The email that tells a case's owner (or the team's leads) the case needs them (docs/notices.md).

One message per notice kind (`recovery.domain.changes.NOTICE_KINDS`): the customer replied (their words
quoted), did not answer the follow-up (which channels to try instead), cannot be reached on a channel
(why), or an acknowledged case has seen no action (since when, and its resolve deadline on the reader's
clock). Wording lives in `templates/notice/<language>.json` (en, de, nb, ja, zh, tr; anything else reads
English, a missing key is taken from English) and layout in `templates/notice.html` and `notice.txt`.
HTML is autoescaped, and every printed value is made safe to show (`recovery.notify.display`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recovery.notify.display import phrase
from recovery.notify.render import deadline_long, environment, language_of, one_line, wording

KINDS = frozenset({"customer_reply", "followup_no_response", "customer_unreachable", "ack_reminder"})
REASONS = frozenset({"bounce", "complaint", "opted_out"})
_COLORS = {
    "customer_reply": "#1d4ed8",
    "followup_no_response": "#c2410c",
    "customer_unreachable": "#b91c1c",
    "ack_reminder": "#c2410c",
}
_MISSING = "—"


@dataclass(frozen=True)
class ReachBy:
    """One way to reach the customer, masked already (`contacts.mask_email`, `mask_phone`)."""

    channel: str  # email | sms
    masked: str
    reachable: bool  # False: it bounced, was complained about, or is opted out


@dataclass(frozen=True)
class NoticeContext:
    """What one notice shows one reader. `channel`: the reply's, the follow-up's or the unreachable
    one; `when`: the follow-up's sending time (no answer) or the acknowledgement (reminder)."""

    kind: str
    case_id: str
    priority: str
    team: str
    recipient_name: str
    language: str | None
    timezone: str  # the reader's zone
    case_url: str
    now: datetime
    customer_masked: str | None = None
    channel: str | None = None
    text: str | None = None  # the reply, as stored (sanitised, at most 2000 characters)
    truncated: bool = False
    reason: str | None = None
    when: datetime | None = None
    resolve_due_at: datetime | None = None
    reach: tuple[ReachBy, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {self.kind!r}")
        # The link becomes an href: only a web address, never a javascript: or data: URL.
        if not self.case_url.startswith(("https://", "http://")):
            raise ValueError("case_url must be an http(s) URL")
        for name in ("now", "when", "resolve_due_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    text: str
    html: str


def notice_strings(language: str | None) -> dict[str, Any]:
    return wording("notice", language_of(language))


def hours_since(moment: datetime | None, now: datetime) -> int:
    """Whole hours from `moment` to `now` (at least 1: "acknowledged 0 hours ago" reads wrong)."""
    if moment is None:
        return 1
    return max(1, int((now - moment).total_seconds() // 3600))


def render_notice(ctx: NoticeContext) -> RenderedNotice:
    """Subject, text and HTML of one notice for one reader."""
    lang = language_of(ctx.language)
    t = notice_strings(lang)
    names: dict[str, str] = t["channel_names"]
    channel = names.get(ctx.channel or "", ctx.channel or _MISSING)
    hours = hours_since(ctx.when, ctx.now)
    deadline = deadline_long(ctx.resolve_due_at, ctx.timezone) if ctx.resolve_due_at else _MISSING
    sent = deadline_long(ctx.when, ctx.timezone) if ctx.when else _MISSING
    reason = t["reasons"].get(ctx.reason or "", ctx.reason or _MISSING)
    values = {"case": ctx.case_id, "channel": channel, "hours": hours, "deadline": deadline, "sent": sent}
    subject = one_line(t["subject"][ctx.kind].format(**values))
    intro = phrase(t["intro"][ctx.kind], **{**values, "reason": reason})
    quote: str | None = None
    if ctx.kind == "customer_reply":
        quote = (ctx.text or "").strip() or t["no_text"]
    channels: list[tuple[str, str, bool]] | None = None
    if ctx.kind in ("followup_no_response", "customer_unreachable"):
        channels = [(names.get(way.channel, way.channel), way.masked, way.reachable) for way in ctx.reach]
    facts = [
        (t["label_case"], ctx.case_id),
        (t["label_priority"], ctx.priority),
        (t["label_team"], ctx.team),
        (t["label_customer"], ctx.customer_masked or _MISSING),
    ]
    if ctx.resolve_due_at is not None:
        facts.append((t["label_deadline"], deadline))
    context = {
        "lang": lang,
        "t": t,
        "subject": subject,
        "title": t["title"][ctx.kind],
        "color": _COLORS[ctx.kind],
        "priority": ctx.priority,
        "greeting": phrase(t["greeting"], name=ctx.recipient_name),
        "intro": intro,
        "quote": quote,
        "truncated": ctx.truncated and quote is not None,
        "channels": channels,
        "facts": facts,
        "case_url": ctx.case_url,
        "footer": phrase(t["footer"], team=ctx.team),
    }
    env = environment()
    return RenderedNotice(
        subject=subject,
        text=env.get_template("notice.txt").render(context),
        html=env.get_template("notice.html").render(context),
    )
