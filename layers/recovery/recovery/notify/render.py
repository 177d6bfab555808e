"""The alert a lead receives, as email (HTML and text) and SMS, in the lead's language and time zone.

Wording lives in `templates/i18n/<language>.json` and layout in `templates/alert.html` and `alert.txt`,
inside the package so the layer ships them. HTML is autoescaped: the comment and the customer's name are
the customer's own words and must never become markup. Every printed value is also made safe to show
(`recovery.notify.display`): a bidi override or zero width character in a comment or a name reaches the
lead as a visible marker, and in HTML each of the customer's values is isolated in a `<bdi>`. The SMS is
fitted into two segments in the recipient's encoding, shortening the comment and never the link; its
marker is `[?]` (`recovery.domain.text.SMS_MARKER`), which keeps GSM-7.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from recovery.domain import sms
from recovery.domain.text import MARKER, SMS_MARKER, shown
from recovery.notify.display import phrase, printed
from recovery.notify.scores import channel_words, score_words

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = frozenset({"en", "de", "nb", "ja", "zh", "tr"})
# Norwegian tags other than nb: Bokmål is what both "no" and Nynorsk readers get.
_ALIASES = {"no": "nb", "nn": "nb"}
PRIORITIES = frozenset({"P1", "P2", "P3", "P4"})
KINDS = frozenset({"alert", "escalation"})
SMS_SEGMENTS = 2
_MISSING = "—"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class AlertContext:
    """Everything one alert message shows. `customer_contact_masked` is masked already (contacts.mask_email).

    For an escalation, `ack_deadline` is this level's deadline and `missed_deadline` the one the level
    before let pass; without it the message says "not acknowledged in time".
    """

    case_id: str
    priority: str  # "P1".."P4"
    repeat_failure: bool
    kind: str  # "alert" | "escalation"
    level: int  # 1..3
    score_text: str
    comment: str | None
    customer_name: str | None
    customer_contact_masked: str | None
    agent: str | None
    team: str
    channel: str | None
    ack_deadline: datetime
    ack_url: str
    recipient_name: str
    language: str | None
    timezone: str
    missed_deadline: datetime | None = None
    case_url: str | None = None  # the case in the console, beside the acknowledge link (email only)

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of P1..P4, not {self.priority!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be 'alert' or 'escalation', not {self.kind!r}")
        if not 1 <= self.level <= 3:
            raise ValueError(f"level must be 1, 2 or 3, not {self.level}")
        for name in ("ack_deadline", "missed_deadline"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        # The link becomes an href: only a web address, never a javascript: or data: URL.
        for name in ("ack_url", "case_url"):
            url = getattr(self, name)
            if url is not None and not url.startswith(("https://", "http://")):
                raise ValueError(f"{name} must be an http(s) URL")


@dataclass(frozen=True)
class RenderedAlert:
    subject: str
    text: str
    html: str
    sms: str


@dataclass(frozen=True)
class Strings:
    """One language's wording (templates/i18n/<language>.json); every key is required."""

    title_alert: str
    title_escalation: str
    subject_alert: str
    subject_escalation: str
    tag_repeat: str
    greeting: str
    intro: str
    escalation_missed: str
    escalation_late: str
    repeat_failure: str
    label_priority: str
    label_score: str
    label_comment: str
    no_comment: str
    label_customer: str
    label_agent: str
    label_team: str
    label_channel: str
    label_deadline: str
    label_case: str
    steps_title: str
    steps: tuple[tuple[str, str], ...]
    ack_button: str
    ack_plain: str
    case_link: str
    footer: str
    sms_repeat: str
    sms_escalation: str
    sms_ack: str
    quote_open: str
    quote_close: str


def language_of(tag: str | None) -> str:
    """The supported language for a BCP 47 tag, by its primary subtag; English when unsupported."""
    primary = (tag or "").replace("_", "-").split("-", 1)[0].lower()
    primary = _ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else "en"


@cache
def strings(language: str) -> Strings:
    raw: dict[str, Any] = json.loads((TEMPLATES / "i18n" / f"{language}.json").read_text("utf-8"))
    raw["steps"] = tuple((title, text) for title, text in raw["steps"])
    return Strings(**raw)


@cache
def wording(folder: str, language: str) -> dict[str, Any]:
    """The wording in `templates/<folder>/<language>.json`, each key it lacks taken from English.

    `language` is a supported language already (see language_of); any other reads English."""
    english: dict[str, Any] = json.loads((TEMPLATES / folder / "en.json").read_text("utf-8"))
    if language == "en" or language not in LANGUAGES:
        return english
    own: dict[str, Any] = json.loads((TEMPLATES / folder / f"{language}.json").read_text("utf-8"))
    return {**english, **own}


@cache
def environment() -> Environment:
    """Built once per process, on first use, so importing this module stays cheap. Every value a
    template prints is made safe to show (`recovery.notify.display.printed`)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=printed,
    )


def zone_of(name: str | None) -> ZoneInfo:
    """The named zone, or UTC: a zone is validated with the config, but an unknown one must still not
    stop a message."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_abbreviation(local: datetime) -> str:
    """How a reader knows the clock: `CET`, `JST`, `UTC`; where the zone has no letters abbreviation
    (Istanbul's is "+03"), its offset: `UTC+03:00`, `UTC-03:00`, `UTC+05:45`."""
    name = local.tzname() or ""
    if name[:1].isalpha():
        return name
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def local_time(moment: datetime, zone_name: str | None, *, date: bool = False, zone_key: bool = False) -> str:
    """A time for one reader, on their own clock, with its zone: `22:33 CET`, `08:26 JST`,
    `13:15 UTC+03:00`; with `date`, `2026-11-22 22:33 CET`; with `zone_key` also the zone's name,
    `2026-11-22 22:33 CET (Europe/Oslo)`. The date is ISO 8601 and the clock 24-hour in every language,
    so no reader has to guess a day-month order. UTC only when the reader's zone is UTC."""
    zone = zone_of(zone_name)
    local = moment.astimezone(zone)
    text = f"{local:%Y-%m-%d %H:%M}" if date else f"{local:%H:%M}"
    text = f"{text} {zone_abbreviation(local)}"
    return f"{text} ({zone.key})" if zone_key and zone.key != "UTC" else text


def deadline_long(moment: datetime, zone_name: str) -> str:
    """`2026-11-22 11:15 CET (Europe/Oslo)`: local time, its abbreviation and the zone."""
    return local_time(moment, zone_name, date=True, zone_key=True)


def deadline_short(moment: datetime, zone_name: str) -> str:
    """`11:15 CET`, for the SMS and the subject."""
    return local_time(moment, zone_name)


def one_line(text: str, marker: str = MARKER) -> str:
    """`text` safe to show (hidden characters marked with `marker`) on one line: newlines, tabs and
    runs of whitespace become one space. For a subject, or an SMS with `SMS_MARKER`."""
    return " ".join(_CONTROL.sub(" ", shown(text, marker)).split())


def _escalation(ctx: AlertContext, t: Strings, short: bool) -> str | None:
    if ctx.kind != "escalation":
        return None
    if ctx.missed_deadline is None:
        return t.escalation_late.format(level=ctx.level)
    when = (deadline_short if short else deadline_long)(ctx.missed_deadline, ctx.timezone)
    return t.escalation_missed.format(level=ctx.level, deadline=when)


def sentence(text: str) -> str:
    """The text with its first letter capitalised, the rest as it is."""
    return text[:1].upper() + text[1:]


def _subject(ctx: AlertContext, t: Strings) -> str:
    tags = ctx.priority + (f" · {t.tag_repeat}" if ctx.repeat_failure else "")
    escalation = _escalation(ctx, t, short=True)
    if escalation is None:
        line = t.subject_alert.format(score=ctx.score_text, team=ctx.team)
    else:
        line = t.subject_escalation.format(escalation=escalation, score=ctx.score_text, team=ctx.team)
    return one_line(f"[{tags}] {line}")


def _customer(ctx: AlertContext) -> str:
    if ctx.customer_name and ctx.customer_contact_masked:
        # The name isolated on its own: a right-to-left name does not swap places with the address.
        return phrase("{name} ({contact})", name=ctx.customer_name, contact=ctx.customer_contact_masked)
    return ctx.customer_name or ctx.customer_contact_masked or _MISSING


def _sms(ctx: AlertContext, t: Strings) -> str:
    def plain(text: str) -> str:
        # Languages that may go out as GSM-7 lose that (and half their length) to one curly quote.
        return sms.plain_punctuation(text) if sms.encoding_for(ctx.language, "") == "GSM-7" else text

    who = "/".join(part for part in (ctx.team, ctx.agent) if part)
    head_parts = [ctx.priority]
    if ctx.repeat_failure:
        head_parts.append(t.sms_repeat)
    if ctx.kind == "escalation":
        head_parts.append(t.sms_escalation.format(level=ctx.level))
    head_parts += [ctx.score_text, who]
    head = one_line(plain(" ".join(head_parts)), SMS_MARKER)
    comment = one_line(plain(ctx.comment or ""), SMS_MARKER)
    ack = t.sms_ack.format(time=deadline_short(ctx.ack_deadline, ctx.timezone))
    tail = f" {ack} {ctx.ack_url}"
    if comment:
        opening, closing = f"{head}: {t.quote_open}", t.quote_close + tail
        quoted = sms.fit(opening, comment, closing, ctx.language, SMS_SEGMENTS)
        if quoted.startswith(opening) and len(quoted) > len(opening) + len(closing):
            return quoted
        # No room for any of the comment: leave out the quotes rather than show them empty.
    return sms.fit(head, "", tail, ctx.language, SMS_SEGMENTS)


def render_alert(ctx: AlertContext) -> RenderedAlert:
    """Subject, text and HTML email, and SMS for one recipient of one alert or escalation."""
    lang = language_of(ctx.language)
    t = strings(lang)
    ctx = replace(ctx, score_text=score_words(ctx.score_text, lang), channel=channel_words(ctx.channel, lang))
    deadline = deadline_long(ctx.ack_deadline, ctx.timezone)
    escalation = _escalation(ctx, t, short=False)
    subject = _subject(ctx, t)
    priority = ctx.priority + (f" · {t.tag_repeat}" if ctx.repeat_failure else "")
    facts = [
        (t.label_priority, priority),
        (t.label_score, ctx.score_text),
        (t.label_customer, _customer(ctx)),
        (t.label_agent, ctx.agent or _MISSING),
        (t.label_team, ctx.team),
        (t.label_channel, ctx.channel or _MISSING),
        (t.label_deadline, deadline),
        (t.label_case, ctx.case_id),
    ]
    values = {
        "lang": lang,
        "t": t,
        "subject": subject,
        "title": t.title_escalation if ctx.kind == "escalation" else t.title_alert,
        "priority": ctx.priority,
        "urgent": ctx.priority == "P1" or ctx.repeat_failure,
        "repeat_failure": ctx.repeat_failure,
        "greeting": phrase(t.greeting, name=ctx.recipient_name),
        "escalation": sentence(escalation) if escalation else None,
        "intro": phrase(t.intro, team=ctx.team, deadline=deadline),
        "facts": facts,
        "comment": (ctx.comment or "").strip() or None,
        "ack_url": ctx.ack_url,
        "case_url": ctx.case_url,
        "footer": phrase(t.footer, team=ctx.team),
    }
    env = environment()
    return RenderedAlert(
        subject=subject,
        text=env.get_template("alert.txt").render(values),
        html=env.get_template("alert.html").render(values),
        sms=_sms(ctx, t),
    )
