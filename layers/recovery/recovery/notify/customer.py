"""Messages to customers, in the customer's language: the instant acknowledgement and a lead's own message.

Wording lives in `templates/customer/i18n/<language>.json` (en, de, nb, ja, zh, tr; a key missing from
a language falls back to English), layout in `templates/customer/*.html|txt`. Every email extends
`customer/layout.html` and `customer/layout.txt`, whose footer carries the unsubscribe link; other
customer messages (the follow-up) extend them too and render through `render_customer`.

HTML is autoescaped: a lead's text and the customer's name never become markup. Every printed value is
made safe to show and names are isolated in HTML (`recovery.notify.display`); the SMS marks hidden
characters with `[?]` (`recovery.domain.text.SMS_MARKER`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from recovery.domain import sms
from recovery.domain.duty import round_up_quarter as round_up_quarter  # kept for callers of this module
from recovery.domain.text import SMS_MARKER, shown
from recovery.notify.display import phrase
from recovery.notify.render import environment, one_line, wording, zone_abbreviation, zone_of

SMS_SEGMENTS = 2
Channel = Literal["email", "sms"]


@dataclass(frozen=True)
class MessageLinks:
    """What a renderer may show: the channel it renders for and, for an email, the unsubscribe link."""

    channel: Channel
    unsubscribe_url: str | None = None


@dataclass(frozen=True)
class CustomerMessage:
    """A rendered message. An email uses subject, text and html; an SMS uses sms only."""

    subject: str = ""
    text: str = ""
    html: str = ""
    sms: str = ""


def customer_strings(language: str) -> dict[str, Any]:
    """The customer wording for `language`, each missing key taken from English."""
    return wording("customer/i18n", language)


def first_name(name: str | None) -> str | None:
    """ "Kari Nordmann" -> "Kari": how a lead introduces themselves to a customer."""
    parts = (name or "").split()
    return parts[0] if parts else None


def when_text(moment: datetime, zone_name: str | None, language: str, now: datetime) -> str:
    """`11:15 today (CET)`, `morgen, 09:00 Uhr (CET)`: the moment in the customer's own words and zone."""
    t = customer_strings(language)
    zone = zone_of(zone_name)
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    clock_time = f"{local:%H:%M}"
    if local.date() == today:
        phrase = t["today"].format(time=clock_time)
    elif local.date() == today + timedelta(days=1):
        phrase = t["tomorrow"].format(time=clock_time)
    else:
        phrase = t["date"].format(
            time=clock_time,
            day=local.day,
            month=t["months"][local.month - 1],
            weekday=t["weekdays"][local.weekday()],
        )
    return phrase + t["zone"].format(zone=zone_abbreviation(local))


def render_customer(
    template: str, language: str, links: MessageLinks | None, subject: str, **values: Any
) -> CustomerMessage:
    """Render `customer/<template>.html` and `.txt` (both extend the layout with the unsubscribe footer)."""
    t = customer_strings(language)
    context = {
        "lang": language,
        "t": t,
        "subject": subject,
        "unsubscribe_url": links.unsubscribe_url if links is not None else None,
        **values,
    }
    env = environment()
    return CustomerMessage(
        subject=subject,
        text=env.get_template(f"customer/{template}.txt").render(context),
        html=env.get_template(f"customer/{template}.html").render(context),
    )


def render_customer_ack(
    language: str,
    links: MessageLinks | None,
    customer_name: str | None,
    lead_name: str | None,
    promised_by: datetime,
    zone: str | None,
    now: datetime,
) -> CustomerMessage:
    """ "We're sorry ... Kari will be in touch by 11:15 today (CET)", as email and as SMS."""
    t = customer_strings(language)
    lead = first_name(lead_name)
    when = when_text(promised_by, zone, language, now)
    promise = phrase(t["ack_promise"] if lead else t["ack_promise_anonymous"], lead=lead, time=when)
    message = render_customer(
        "customer_ack",
        language,
        links,
        t["ack_subject"],
        greeting=_greeting(t, customer_name),
        apology=t["ack_apology"],
        promise=promise,
    )
    short = (t["ack_sms"] if lead else t["ack_sms_anonymous"]).format(lead=lead, time=when)
    return CustomerMessage(message.subject, message.text, message.html, _fit_sms(short, language))


def render_lead_message(
    language: str,
    customer_name: str | None,
    lead_name: str | None,
    subject: str,
    text: str,
    links: MessageLinks | None = None,
) -> CustomerMessage:
    """A lead's own words to the customer, with a greeting and sign-off in the customer's language.

    The SMS is the lead's text and their first name, never shortened: the caller limits its length.
    """
    t = customer_strings(language)
    lead = first_name(lead_name)
    message = render_customer(
        "message",
        language,
        links,
        one_line(subject) or t["message_subject"],
        greeting=_greeting(t, customer_name),
        body=text.strip(),
        lead=lead,
    )
    signature = f"\n– {lead}" if lead else ""
    return CustomerMessage(
        message.subject, message.text, message.html, shown(text.strip() + signature, SMS_MARKER)
    )


def _greeting(t: dict[str, Any], name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    return phrase(t["greeting_named"], name=cleaned) if cleaned else str(t["greeting"])


def _fit_sms(text: str, language: str) -> str:
    text = shown(text, SMS_MARKER)
    plain = sms.plain_punctuation(text) if sms.encoding_for(language, "") == "GSM-7" else text
    return sms.fit("", plain, "", language, SMS_SEGMENTS)
