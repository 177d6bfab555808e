"""Approval messages: every language, English fallback, money and type names, escaping, SMS length."""

from __future__ import annotations

import json
import re

import pytest

from recovery.domain import sms
from recovery.domain.routing import COMPENSATION_TYPES
from recovery.notify.approval import (
    approval_strings,
    compensation_text,
    money,
    render_approval,
)
from recovery.notify.render import LANGUAGES, TEMPLATES
from recovery.web.languages import preferred_language

LINK = "https://rl.example.com/c/AbCdEfGhIjKlMnOp"
LONG_LINK = "https://abcdefghij.execute-api.eu-north-1.amazonaws.com/c/AbCdEfGhIjKlMnOp"
CASE = "cs_0123456789abcdef01234567"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & Co'


def render(language: str | None, **changes: object):
    values: dict[str, object] = {
        "language": language,
        "contact_name": "Ingrid Leder",
        "requester": "Kari Nordmann",
        "case_id": CASE,
        "priority": 2,
        "kind": "refund",
        "amount": "120.00",
        "currency": "EUR",
        "url": LINK,
        "lifetime_hours": 72,
    }
    values.update(changes)
    return render_approval(**values)  # type: ignore[arg-type]


def test_every_language_has_every_key_of_english_and_every_type() -> None:
    english = json.loads((TEMPLATES / "approval" / "en.json").read_text("utf-8"))
    assert set(english["kinds"]) == set(COMPENSATION_TYPES)
    for language in LANGUAGES:
        wording = json.loads((TEMPLATES / "approval" / f"{language}.json").read_text("utf-8"))
        assert wording.keys() == english.keys(), language
        for group in ("kinds", "statuses", "refused"):
            assert wording[group].keys() == english[group].keys(), (language, group)
        # The SMS shortens the requester's name, never the link after it.
        assert wording["sms"].index("{requester}") < wording["sms"].index("{url}"), language


EXPECTED = {
    "en": ("Approval needed: refund of 120.00 EUR", "Hello Ingrid Leder,", "Approve or decline"),
    "de": (
        "Genehmigung nötig: Erstattung über 120,00 EUR",
        "Hallo Ingrid Leder,",
        "Genehmigen oder ablehnen",
    ),
    "nb": ("Godkjenning trengs: refusjon på 120,00 EUR", "Hei Ingrid Leder,", "Godkjenn eller avslå"),
    "tr": ("Onay gerekiyor: 120,00 EUR iade", "Merhaba Ingrid Leder,", "Onayla veya reddet"),
    "ja": ("承認のお願い：返金 120.00ユーロ", "Ingrid Leder 様", "承認または却下する"),
    "zh": ("需要审批：退款 120.00欧元", "Ingrid Leder，您好：", "批准或拒绝"),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_language_renders_the_whole_message_in_that_language(language: str) -> None:
    subject_start, greeting, button = EXPECTED[language]
    message = render(language)
    assert message.subject.startswith(subject_start) and CASE in message.subject
    # In HTML each name is isolated in a <bdi> of its own: compare what the reader sees.
    for part in (message.text, re.sub(r"</?bdi>", "", message.html)):
        assert greeting in part and button in part and "Kari Nordmann" in part
        assert LINK in part and CASE in part and "72" in part
    assert f'<html lang="{language}">' in message.html
    assert message.sms.endswith(LINK) and "Kari Nordmann" in message.sms


@pytest.mark.parametrize(
    ("tag", "start"),
    [
        (None, "Approval needed"),
        ("fr-FR", "Approval needed"),
        ("nb-NO", "Godkjenning"),
        ("nn", "Godkjenning"),
    ],
)
def test_an_unsupported_or_regional_tag_falls_back_by_its_primary_subtag(tag: str | None, start: str) -> None:
    assert render(tag).subject.startswith(start)


def test_a_missing_key_is_taken_from_english() -> None:
    assert approval_strings("fr") == approval_strings("en")
    assert approval_strings("de-AT")["approve"] == "Genehmigen"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("link", [LINK, LONG_LINK])
def test_the_sms_fits_two_segments_with_the_full_link(language: str, link: str) -> None:
    # GIVEN a very long requester name and the largest compensation type's name
    message = render(
        language, requester="Bartholomew-Maximilian " * 8, kind="other", amount="1234567.89", url=link
    )
    # THEN the SMS fits two segments in the recipient's encoding and ends with the whole link
    assert sms.segments(message.sms, sms.encoding_for(language, message.sms)) <= 2
    assert message.sms.endswith(link)
    # and the compensation itself is never shortened (only its no-break spaces turn plain in GSM-7)
    assert sms.plain_punctuation(compensation_text("other", "1234567.89", "EUR", language)) in message.sms


def test_a_short_norwegian_sms_stays_in_one_gsm7_segment_despite_the_no_break_space() -> None:
    message = render("nb", amount="1200.00")
    assert "1 200,00 EUR" in message.sms and "\u00a0" not in message.sms
    assert sms.encoding_for("nb", message.sms) == "GSM-7" and sms.segments(message.sms, "GSM-7") == 1


def test_a_hostile_requester_name_is_escaped_in_html_and_kept_verbatim_elsewhere() -> None:
    message = render("en", requester=HOSTILE, contact_name="<b>Ingrid</b>")
    assert "<script>" not in message.html and "<img" not in message.html and "<b>Ingrid" not in message.html
    assert "&lt;script&gt;" in message.html and "&amp; Co" in message.html
    assert HOSTILE in message.text
    assert "\n" not in message.sms and message.sms.endswith(LINK)


def test_a_requester_name_cannot_break_the_subject_or_sms_onto_new_lines() -> None:
    message = render("de", requester="Kari\r\nBcc: evil@example.com")
    assert "\n" not in message.subject and "\r" not in message.sms and "\n" not in message.sms


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("120.00", "EUR", "en", "120.00 EUR"),
        ("1234567.50", "EUR", "en", "1,234,567.50 EUR"),
        ("1234.50", "EUR", "de", "1.234,50 EUR"),
        ("1234.50", "NOK", "nb", "1\u00a0234,50 NOK"),
        ("1234.50", "EUR", "tr", "1.234,50 EUR"),
        ("12000.00", "JPY", "en", "12,000 JPY"),
        ("12000.00", "JPY", "ja", "12,000円"),
        ("12000.00", "JPY", "zh", "12,000日元"),
        ("88.00", "CNY", "zh", "88.00元"),
        ("12000.50", "JPY", "en", "12,000.50 JPY"),  # never hide part of an amount
        ("0.00", "USD", "ja", "0.00ドル"),
    ],
)
def test_money_reads_the_way_the_reader_writes_it(
    amount: str, currency: str, language: str, expected: str
) -> None:
    assert money(amount, currency, language) == expected


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_compensation_type_has_its_own_name(language: str) -> None:
    names = [compensation_text(kind, "10.00", "EUR", language) for kind in COMPENSATION_TYPES]
    assert len(set(names)) == len(COMPENSATION_TYPES)
    assert all(money("10.00", "EUR", language) in name for name in names)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "/c/relative"])
def test_only_web_links_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        render("en", url=url)


@pytest.mark.parametrize("amount", ["abc", "NaN", ""])
def test_an_amount_must_be_a_number(amount: str) -> None:
    with pytest.raises(ValueError, match="decimal"):
        money(amount, "EUR", "en")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("fr-CH, fr;q=0.9, de;q=0.8", "de"),
        ("en-GB,ja;q=0.5", "en"),
        ("no", "nb"),
        ("fr", "en"),
        ("*", "en"),
    ],
)
def test_the_browser_language_is_the_first_supported_one(header: str | None, language: str) -> None:
    assert preferred_language(header) == language
