"""The daily digest a contact may choose (`digest: {daily: true, at: "08:00"}`): their team's open cases,
by email in their morning, in their language and on their clock.

Wording is the weekly digest's (`templates/digest/<language>.json`), its own lines under `daily`; layout
in `templates/daily_digest.html` (autoescaped, inside the shared frame) and `daily_digest.txt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from recovery.notify.digest import RenderedDigest, digest_strings, duration_text
from recovery.notify.display import phrase
from recovery.notify.render import environment, language_of, one_line


@dataclass(frozen=True)
class OpenCase:
    """One of the team's open cases as the digest lists it."""

    case_id: str
    priority: int
    opened_at: datetime
    customer_masked: str | None
    url: str
    in_digest: bool  # its priority is one the reader moved to the digest (not messaged in real time)

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("url must be an http(s) URL")


@dataclass(frozen=True)
class DailyContext:
    team: str
    recipient_name: str
    language: str | None
    timezone: str  # the reader's zone
    day: date  # the reader's local date
    now: datetime
    at: str  # the hour it is sent, `08:00`
    digest_priorities: list[str]  # the priorities the reader reads here only (P3, P4), maybe none
    cases: list[OpenCase]
    console_url: str


def render_daily_digest(ctx: DailyContext) -> RenderedDigest:
    """Subject, text and HTML of one contact's daily digest."""
    lang = language_of(ctx.language)
    t = digest_strings(lang)
    daily: dict[str, Any] = t["daily"]
    subject = one_line(daily["subject"].format(team=ctx.team, date=ctx.day.isoformat()))
    cases = [
        {
            "case_id": case.case_id,
            "priority": f"P{int(case.priority)}",
            "age": daily["age"].format(age=duration_text((ctx.now - case.opened_at).total_seconds(), lang)),
            "customer": case.customer_masked or "—",
            "url": case.url,
            "in_digest": case.in_digest,
        }
        for case in ctx.cases
    ]
    values = {
        "lang": lang,
        "t": t,
        "daily": daily,
        "subject": subject,
        "greeting": phrase(t["greeting"], name=ctx.recipient_name),
        "intro": phrase(daily["intro"], team=ctx.team, date=ctx.day.isoformat(), zone=ctx.timezone),
        "tiers": phrase(daily["tiers"], priorities=", ".join(ctx.digest_priorities))
        if ctx.digest_priorities
        else None,
        "cases": cases,
        "console_url": ctx.console_url,
        "footer": phrase(daily["footer"], team=ctx.team, at=ctx.at),
    }
    env = environment()
    return RenderedDigest(
        subject=subject,
        text=env.get_template("daily_digest.txt").render(values),
        html=env.get_template("daily_digest.html").render(values),
    )
