"""The weekly digest a team's leads receive on Monday morning, as email (HTML and text), in their language.

Wording lives in `templates/digest/<language>.json` (en, de, nb, ja, zh, tr; anything else reads English,
and a key missing from a language is taken from English) and layout in `templates/digest.html` and
`digest.txt`. HTML is autoescaped: tag, agent and team names come from configuration and feedback and must
never become markup; they are also made safe to show and isolated in HTML (`recovery.notify.display`).

Numbers read the way the lead writes them: `12.5%`, `12,5 %`, `%12,5`; durations as `45 s`, `3 min`,
`1.5 h` (`45秒`, `3分` in Japanese); money through the approval wording's currency formats. A change on
the previous four weeks is relative for counts and money (`+12%`), in percentage points for shares
(`+2.5 pp`) and a duration for times (`-15 s`, written with a true minus sign).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from recovery.domain.metrics import PeriodChange
from recovery.notify import render
from recovery.notify.approval import money
from recovery.notify.display import Phrase, phrase
from recovery.notify.render import environment, language_of, one_line, wording

Unit = Literal["count", "share", "seconds", "money"]
Better = Literal["up", "down"] | None
_MISSING = "—"
_MINUS = "−"


@dataclass(frozen=True)
class Figure:
    """One of the week's numbers: its value, the mean of the four weeks before (`baseline`) and the
    change on that mean. `better` says which direction is good news (None: neither)."""

    metric: str
    unit: Unit
    value: float | Decimal | None
    baseline: float | Decimal | None
    change: PeriodChange
    better: Better = None
    currency: str | None = None  # money only
    # seconds only: the histogram bucket (lower, upper; upper None when open) the value lies in, its
    # resolution (reports keep durations in buckets: recovery.domain.metrics)
    bucket: tuple[float, float | None] | None = None
    # the on-time shares only: the team's closing target, its hours (in the label) and its share (the goal)
    target: tuple[int, float] | None = None


@dataclass(frozen=True)
class NearCase:
    """A case close to breaching: its next deadline (to acknowledge, or to resolve) and its console page."""

    case_id: str
    priority: int
    step: Literal["ack", "resolve"]
    deadline: datetime
    url: str

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("url must be an http(s) URL")
        if self.deadline.tzinfo is None:
            raise ValueError("deadline must be timezone-aware")


@dataclass(frozen=True)
class DigestContext:
    team: str  # the team's display name
    recipient_name: str
    language: str | None
    timezone: str  # the reader's zone: every time shown is local to it, with its abbreviation
    week_from: date
    week_to: date
    now: datetime
    figures: list[Figure]
    anomalies: list[dict[str, Any]]  # the dashboard's open anomalies, newest first
    cases: list[NearCase]
    console_url: str
    compensation: list[Figure] = field(default_factory=list)  # one per currency

    def __post_init__(self) -> None:
        if not self.console_url.startswith(("https://", "http://")):
            raise ValueError("console_url must be an http(s) URL")


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


def digest_strings(language: str) -> dict[str, Any]:
    """The digest wording for a BCP 47 tag, each missing key taken from English."""
    return wording("digest", language_of(language))


# --- numbers in the reader's language ---------------------------------------------------------------


def _decimal(value: float | Decimal, places: int) -> Decimal:
    exponent = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def _digits(value: Decimal, t: dict[str, Any]) -> str:
    """`1234.5` -> `1,234.5` / `1.234,5` / `1 234,5`, without a sign."""
    text = f"{abs(value):,}"
    return text.replace(",", "\0").replace(".", t["decimal"]).replace("\0", t["group"])


def _trimmed(value: float, places: int) -> Decimal:
    """Rounded half up to `places`, without a trailing `.0` (`3.0` -> `3`, `2.5` stays)."""
    rounded = _decimal(value, places)
    return rounded.to_integral_value() if rounded == rounded.to_integral_value() else rounded


def count_text(value: float | Decimal, language: str) -> str:
    t = digest_strings(language)
    rounded = _decimal(value, 0)
    return ("-" if rounded < 0 else "") + _digits(rounded, t)


def percent_text(share: float, language: str) -> str:
    """A share (0..1) as a percentage with one decimal: `12.5%`, `12,5 %`, `%12,5`."""
    t = digest_strings(language)
    number = _decimal(share * 100, 1)
    return ("-" if number < 0 else "") + str(t["percent"].format(n=_digits(number, t)))


def duration_text(seconds: float, language: str) -> str:
    """`45 s` below a minute, `3 min` / `2.5 min` below an hour, `1.5 h` above: in the reader's units."""
    t = digest_strings(language)
    magnitude = abs(seconds)
    if _decimal(magnitude, 0) < 60:
        unit, number = "seconds", _decimal(magnitude, 0)
    elif magnitude < 3600 - 30:
        minutes = magnitude / 60
        unit, number = "minutes", _trimmed(minutes, 0 if minutes >= 10 else 1)
    else:
        hours = magnitude / 3600
        unit, number = "hours", _trimmed(hours, 0 if hours >= 10 else 1)
    return str(t[unit].format(n=_digits(number, t)))


def _sign(value: float | Decimal) -> str:
    return "+" if value > 0 else (_MINUS if value < 0 else "±")


def value_text(figure: Figure, language: str) -> str:
    return _format(figure, figure.value, language)


def baseline_text(figure: Figure, language: str) -> str:
    return _format(figure, figure.baseline, language)


def _format(figure: Figure, value: float | Decimal | None, language: str) -> str:
    if value is None:
        return _MISSING
    if figure.unit == "share":
        return percent_text(float(value), language)
    if figure.unit == "seconds":
        return duration_text(float(value), language)
    if figure.unit == "money":
        assert figure.currency is not None
        return money(str(_decimal(value, 2)), figure.currency, language_of(language))
    if isinstance(value, float) and value != int(value):
        # A mean of counts: one decimal, so a mean of 10.5 does not read as 11.
        t = digest_strings(language)
        return _digits(_decimal(value, 1), t)
    return count_text(value, language)


def bucket_text(figure: Figure, language: str) -> str | None:
    """The bucket a duration lies in ("in the bucket 0 s-15 s"); None for other figures."""
    if figure.unit != "seconds" or figure.bucket is None or figure.value is None:
        return None
    t = digest_strings(language)
    lower, upper = figure.bucket
    if upper is None:
        return str(t["bucket_open"].format(lower=duration_text(lower, language)))
    return str(t["bucket"].format(lower=duration_text(lower, language), upper=duration_text(upper, language)))


def goal_text(figure: Figure, language: str) -> str | None:
    """The goal an on-time share is read against ("goal 80.0%"); None for other figures."""
    if figure.target is None:
        return None
    return str(digest_strings(language)["goal"].format(share=percent_text(figure.target[1], language)))


def change_text(figure: Figure, language: str) -> str:
    """The change on the previous four weeks in the figure's own terms; `—` where it can't be given."""
    t = digest_strings(language)
    change = figure.change
    if figure.unit == "share":
        if change.absolute is None:
            return _MISSING
        points = _decimal(change.absolute * 100, 1)
        return _sign(points) + str(t["points"].format(n=_digits(points, t)))
    if figure.unit == "seconds":
        if change.absolute is None:
            return _MISSING
        return _sign(_decimal(change.absolute, 0)) + duration_text(change.absolute, language)
    if change.relative is None:
        return _MISSING
    number = _decimal(change.relative * 100, 0)
    return _sign(number) + str(t["percent"].format(n=_digits(number, t)))


def tone(figure: Figure) -> Literal["good", "bad", "neutral"]:
    """Whether the change is good news, for the HTML's colour."""
    delta = figure.change.absolute
    if figure.better is None or delta is None or delta == 0:
        return "neutral"
    return "good" if (delta > 0) == (figure.better == "up") else "bad"


# --- times ------------------------------------------------------------------------------------------


def local_time(moment: datetime, zone: str) -> str:
    """`2026-11-23 10:15 CET`, on the reader's clock, with its zone."""
    return render.local_time(moment, zone, date=True)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def _when(value: Any, zone: str) -> str:
    moment = _moment(value)
    return local_time(moment, zone) if moment is not None else str(value or _MISSING)


def anomaly_lines(anomalies: list[dict[str, Any]], language: str, zone: str) -> list[Phrase]:
    """One sentence per open anomaly, naming its likely cause when a release marker is attributed."""
    t = digest_strings(language)
    lines = []
    for anomaly in anomalies:
        dimension = str(anomaly.get("dimension") or "team")
        rate, limit = anomaly.get("rate"), anomaly.get("limit")
        line = phrase(
            t["anomaly"],
            dimension=t["dimensions"].get(dimension, dimension),
            value=anomaly.get("value") or _MISSING,
            rate=percent_text(float(rate), language) if rate is not None else _MISSING,
            limit=percent_text(float(limit), language) if limit is not None else _MISSING,
            since=_when(anomaly.get("since"), zone),
        )
        marker = anomaly.get("marker")
        if isinstance(marker, dict):
            cause = phrase(
                t["anomaly_marker"],
                component=marker.get("component") or _MISSING,
                version=marker.get("version") or _MISSING,
                at=_when(marker.get("at"), zone),
            )
            line = phrase("{line} {cause}", line=line, cause=cause)
        lines.append(line)
    return lines


def case_rows(cases: list[NearCase], now: datetime, language: str, zone: str) -> list[dict[str, Any]]:
    t = digest_strings(language)
    return [
        {
            "case_id": case.case_id,
            "priority": f"P{int(case.priority)}",
            "deadline": t["case_" + case.step].format(deadline=local_time(case.deadline, zone)),
            "overdue": case.deadline <= now,
            "url": case.url,
        }
        for case in cases
    ]


# --- the email --------------------------------------------------------------------------------------


def render_digest(ctx: DigestContext) -> RenderedDigest:
    """Subject, text and HTML of one lead's digest."""
    lang = language_of(ctx.language)
    t = digest_strings(lang)
    week = t["week"].format(start=ctx.week_from.isoformat(), end=ctx.week_to.isoformat())
    subject = one_line(t["subject"].format(team=ctx.team, week=week))
    rows = [
        {
            "label": t["metrics"][figure.metric].format(
                currency=figure.currency or "", hours=figure.target[0] if figure.target else ""
            ),
            "value": value_text(figure, lang),
            "note": bucket_text(figure, lang) or goal_text(figure, lang),
            "baseline": baseline_text(figure, lang),
            "change": change_text(figure, lang),
            "tone": tone(figure),
        }
        for figure in [*ctx.figures, *ctx.compensation]
    ]
    values = {
        "lang": lang,
        "t": t,
        "subject": subject,
        "greeting": phrase(t["greeting"], name=ctx.recipient_name),
        "intro": phrase(t["intro"], team=ctx.team, week=week, zone=ctx.timezone),
        "rows": rows,
        "no_compensation": not ctx.compensation,
        "anomalies": anomaly_lines(ctx.anomalies, lang, ctx.timezone),
        "cases": case_rows(ctx.cases, ctx.now, lang, ctx.timezone),
        "console_url": ctx.console_url,
        "footer": phrase(t["footer"], team=ctx.team),
    }
    env = environment()
    return RenderedDigest(
        subject=subject,
        text=env.get_template("digest.txt").render(values),
        html=env.get_template("digest.html").render(values),
    )
