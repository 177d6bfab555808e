"""The email a team's lead receives when a group's negative rate breaks out of its control limit.

Wording lives in `templates/anomaly/<language>.json` (en, de, nb, ja, zh, tr; anything else reads English,
and a key missing from a language is taken from English) and layout in `templates/anomaly.html` and
`anomaly.txt`. HTML is autoescaped: tag and agent names come from survey payloads and must never become
markup; they are also made safe to show and isolated in HTML (`recovery.notify.display`). It says
which group, the hour in the team's time zone, the rate against the limit, the likely release, and
links to the console dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from recovery.notify.display import Phrase, phrase
from recovery.notify.render import (
    environment,
    language_of,
    one_line,
    sentence,
    wording,
    zone_abbreviation,
    zone_of,
)


class RenderedAnomaly(NamedTuple):
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class AnomalyContext:
    """One anomaly alert for one lead. Rates are shares (0.25 is 25%); `hour` is the start of the first
    breaching UTC hour; `cause_*` describe the likely release marker, if any."""

    team: str
    dimension: str  # team | tag | agent | component
    value: str
    hour: datetime
    timezone: str
    rate: float
    limit: float
    centre: float
    negatives: int
    volume: int
    dashboard_url: str
    recipient_name: str
    language: str | None
    window_hours: int
    clear_hours: int
    cause_component: str | None = None
    cause_version: str | None = None
    cause_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.hour.tzinfo is None or (self.cause_at is not None and self.cause_at.tzinfo is None):
            raise ValueError("times must be timezone-aware")
        # The link becomes an href: only a web address, never a javascript: or data: URL.
        if not self.dashboard_url.startswith(("https://", "http://")):
            raise ValueError("dashboard_url must be an http(s) URL")


def anomaly_strings(language: str) -> dict[str, Any]:
    """The anomaly wording for a BCP 47 tag, each missing key taken from English."""
    return wording("anomaly", language_of(language))


def hour_text(start: datetime, timezone: str) -> str:
    """`2026-11-23 09:00-10:00 CET (Europe/Oslo)` (with an en dash): the hour in the team's zone."""
    zone = zone_of(timezone)
    local, end = start.astimezone(zone), (start + timedelta(hours=1)).astimezone(zone)
    text = f"{local:%Y-%m-%d %H:%M}–{end:%H:%M} {zone_abbreviation(local)}"
    return text if zone.key == "UTC" else f"{text} ({zone.key})"


def percent(share: float, language: str) -> str:
    """0.253 -> `25.3%`, `25,3 %`, `%25,3`: one decimal, the reader's way."""
    t = anomaly_strings(language)
    return str(t["percent"].format(value=f"{share * 100:.1f}".replace(".", t["decimal"])))


def group_text(dimension: str, value: str, language: str) -> Phrase:
    """`agent mark`, `Tag „checkout“`, `the whole team`."""
    t = anomaly_strings(language)
    return phrase(t["groups"].get(dimension, "{value}"), value=one_line(value))


def render_anomaly(ctx: AnomalyContext) -> RenderedAnomaly:
    lang = language_of(ctx.language)
    t = anomaly_strings(lang)
    group = group_text(ctx.dimension, ctx.value, lang)
    hour = hour_text(ctx.hour, ctx.timezone)
    rate, limit, centre = (percent(share, lang) for share in (ctx.rate, ctx.limit, ctx.centre))
    if ctx.cause_component is not None and ctx.cause_at is not None:
        at = ctx.cause_at.astimezone(zone_of(ctx.timezone))
        cause = phrase(
            sentence(t["cause"]),
            component=ctx.cause_component,
            version=ctx.cause_version or "",
            at=f"{at:%Y-%m-%d %H:%M} {zone_abbreviation(at)}",
        )
    else:
        cause = phrase(sentence(t["no_cause"]), hours=ctx.window_hours)
    subject = one_line(t["subject"].format(group=group, team=ctx.team))
    facts = [
        (t["label_group"], group),
        (t["label_hour"], hour),
        (t["label_rate"], f"{rate} ({ctx.negatives}/{ctx.volume})"),
        (t["label_limit"], limit),
        (t["label_centre"], centre),
        (t["label_cause"], cause),
    ]
    values = {
        "lang": lang,
        "t": t,
        "subject": subject,
        "team": ctx.team,
        "greeting": phrase(t["greeting"], name=ctx.recipient_name),
        "intro": phrase(t["intro"], team=ctx.team, group=group, rate=rate, hour=hour, limit=limit),
        "counts": t["counts"].format(negatives=ctx.negatives, volume=ctx.volume, centre=centre),
        "facts": facts,
        "url": ctx.dashboard_url,
        "footer": t["footer"].format(clear=ctx.clear_hours),
    }
    env = environment()
    return RenderedAnomaly(
        subject=subject,
        text=env.get_template("anomaly.txt").render(values),
        html=env.get_template("anomaly.html").render(values),
    )
