"""The message a level-2 contact receives when a compensation waits for approval, in their language.

Wording lives in `templates/approval/<language>.json` (en, de, nb, ja, zh, tr; anything else reads
English, and a key missing from a language is taken from English) and layout in `templates/approval.html`
and `approval.txt`. The same wording serves the approval page (`/c/{code}`) and its refusals. HTML is
autoescaped: the requester's name is a person's own input and must never become markup; names are also
made safe to show and isolated in HTML (`recovery.notify.display`). The SMS fits two segments in the
recipient's encoding, shortening the requester's name before anything else and never the link.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from recovery.domain import sms
from recovery.domain.text import SMS_MARKER, shown
from recovery.notify.display import phrase
from recovery.notify.render import environment, language_of, one_line, sentence, wording

SMS_SEGMENTS = 2
# Common ISO 4217 currencies without minor units: 8000.00 JPY reads 8,000 JPY.
ZERO_DECIMAL = frozenset({"CLP", "ISK", "JPY", "KRW", "PYG", "UGX", "VND", "XAF", "XOF"})


class RenderedApproval(NamedTuple):
    subject: str
    text: str
    html: str
    sms: str


def approval_strings(language: str) -> dict[str, Any]:
    """The approval wording for a BCP 47 tag, each missing key taken from English."""
    return wording("approval", language_of(language))


def money(amount: str, currency: str, language: str) -> str:
    """`120.00` EUR as the reader writes it: `120.00 EUR`, `120,00 EUR`, `8,000円`, `120.00欧元`."""
    t = approval_strings(language)
    try:
        value = Decimal(amount)
    except InvalidOperation as error:
        raise ValueError(f"amount must be a decimal number, not {amount!r}") from error
    if not value.is_finite():
        raise ValueError(f"amount must be a decimal number, not {amount!r}")
    whole = currency in ZERO_DECIMAL and value == value.to_integral_value()
    digits = f"{abs(value):,.{0 if whole else 2}f}"
    digits = digits.replace(",", "\0").replace(".", t["decimal"]).replace("\0", t["group"])
    number = ("-" if value < 0 else "") + digits
    name = t["currency_names"].get(currency)
    if name:
        return str(t["money_named"].format(amount=number, name=name))
    return str(t["money"].format(amount=number, currency=currency))


def kind_name(kind: str, language: str) -> str:
    """The compensation type in the reader's words (an unknown type is shown as it is)."""
    return str(approval_strings(language)["kinds"].get(kind, kind))


def compensation_text(kind: str, amount: str, currency: str, language: str) -> str:
    """`refund of 120.00 EUR`, `Erstattung über 120,00 EUR`, `返金 8,000円`."""
    t = approval_strings(language)
    amount_text = money(amount, currency, language)
    return str(t["compensation"].format(kind=kind_name(kind, language), amount=amount_text))


def _sms(values: dict[str, str], requester: str, url: str, language: str, t: dict[str, Any]) -> str:
    before, _, after = t["sms"].partition("{requester}")
    head = shown(before.format(**values), SMS_MARKER)
    tail = shown(after.format(url=url, **values), SMS_MARKER)
    body = one_line(requester, SMS_MARKER)
    if sms.encoding_for(language, "") == "GSM-7":
        # Languages that may go out as GSM-7 lose that (and half their length) to one odd space or quote.
        head, body, tail = (sms.plain_punctuation(part) for part in (head, body, tail))
    return sms.fit(head, body, tail, language, SMS_SEGMENTS)


def render_approval(
    language: str | None,
    contact_name: str,
    requester: str,
    case_id: str,
    priority: int,
    kind: str,
    amount: str,
    currency: str,
    url: str,
    lifetime_hours: int,
) -> RenderedApproval:
    """Subject, text and HTML email, and SMS asking `contact_name` to approve or decline a compensation.

    `amount` is the decimal string the case holds (`120.00`); `url` the contact's own `/c/{code}` link.
    """
    # The link becomes an href: only a web address, never a javascript: or data: URL.
    if not url.startswith(("https://", "http://")):
        raise ValueError("url must be an http(s) URL")
    lang = language_of(language)
    t = approval_strings(lang)
    compensation = compensation_text(kind, amount, currency, lang)
    values = {"compensation": compensation, "case": case_id, "priority": f"P{int(priority)}"}
    subject = one_line(t["subject"].format(**values))
    facts = [
        (t["label_compensation"], sentence(compensation)),
        (t["label_requester"], requester),
        (t["label_case"], case_id),
        (t["label_priority"], values["priority"]),
    ]
    context = {
        "lang": lang,
        "t": t,
        "subject": subject,
        "priority": values["priority"],
        "greeting": phrase(t["greeting"], name=contact_name),
        "intro": phrase(t["intro"], requester=requester),
        "facts": facts,
        "url": url,
        "expiry": t["expiry"].format(hours=lifetime_hours),
    }
    env = environment()
    return RenderedApproval(
        subject=subject,
        text=env.get_template("approval.txt").render(context),
        html=env.get_template("approval.html").render(context),
        sms=_sms(values, requester, url, lang, t),
    )
