"""The follow-up a customer receives a few days after their case is resolved: email and SMS.

Wording lives in `templates/followup/<language>.json` (en, de, nb, ja, zh, tr; anything else reads
English) and layout in `templates/followup.html` and `followup.txt`. The email's footer carries the
unsubscribe link the messenger hands over (`recovery.services.customer_contact`, which also sets the RFC 8058
headers). The SMS fits two segments in the customer's encoding, shortening the team's name before the
words and never the link. Names are made safe to show and isolated in HTML (`recovery.notify.display`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from recovery.domain import sms
from recovery.domain.text import SMS_MARKER
from recovery.notify.customer import CustomerMessage, MessageLinks
from recovery.notify.display import phrase
from recovery.notify.render import TEMPLATES, environment, language_of, one_line

SMS_SEGMENTS = 2


@dataclass(frozen=True)
class FollowUpContext:
    answer_url: str  # the customer's /f/{code}
    team: str  # the team's display name
    customer_name: str | None
    answer_days: int

    def __post_init__(self) -> None:
        # The link becomes an href: only a web address, never a javascript: or data: URL.
        if not self.answer_url.startswith(("https://", "http://")):
            raise ValueError("answer_url must be an http(s) URL")


@cache
def follow_up_strings(language: str) -> dict[str, str]:
    path = TEMPLATES / "followup" / f"{language_of(language)}.json"
    strings: dict[str, str] = json.loads(path.read_text("utf-8"))
    return strings


def _sms(ctx: FollowUpContext, language: str, t: dict[str, str]) -> str:
    before, _, after = t["sms"].partition("{url}")
    head = before.format(team=one_line(ctx.team, SMS_MARKER))
    if sms.encoding_for(language, "") == "GSM-7":
        head = sms.plain_punctuation(head)
    # The link and what follows it are never cut; the wording before it is, if a long team name needs it.
    return sms.fit("", head, ctx.answer_url + after, language, SMS_SEGMENTS)


def render_follow_up(language: str, links: MessageLinks, ctx: FollowUpContext) -> CustomerMessage:
    """The follow-up in `language`: subject, text and HTML for an email, or the SMS text."""
    lang = language_of(language)
    t = follow_up_strings(lang)
    if links.channel == "sms":
        return CustomerMessage(sms=_sms(ctx, lang, t))
    values: dict[str, Any] = {
        "lang": lang,
        "t": t,
        "subject": t["subject"],
        "greeting": phrase(t["greeting"], name=ctx.customer_name)
        if ctx.customer_name
        else t["greeting_anonymous"],
        "expiry": t["expiry"].format(days=ctx.answer_days),
        "team": ctx.team,
        "answer_url": ctx.answer_url,
        "unsubscribe_url": links.unsubscribe_url,
    }
    env = environment()
    return CustomerMessage(
        subject=t["subject"],
        text=env.get_template("followup.txt").render(values),
        html=env.get_template("followup.html").render(values),
    )
