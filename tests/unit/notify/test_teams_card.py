"""The Teams card of a case: an Adaptive Card in the contact's language, its facts shown as plain text,
the customer masked, the deadline on the team's clock, and two buttons (the signed ack link, the case)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from recovery.domain.contacts import mask_email
from recovery.notify.teams_card import COMMENT_LIMIT, TeamsCase, alert_card

DEADLINE = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)  # 11:15 in Oslo (CET)
ACK = "https://api.example.com/a/Zk3x9QpL2mN8vB4cR7tY1wE6"
OPEN = "https://api.example.com/console/#/cases/c_123"

CASE = TeamsCase(
    case_id="c_123",
    priority="P2",
    score_text="NPS 3/10",
    comment="Waited 40 minutes & nobody [called](https://evil.example) back **ever**",
    customer_masked=mask_email("ada.lovelace@example.com"),
    agent="Ola <ola@corp>",
    channel="phone",
    team="Support EMEA",
    ack_deadline=DEADLINE,
    timezone="Europe/Oslo",
    repeat_failure=True,
    ack_url=ACK,
    case_url=OPEN,
    language="en",
)


def card(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content: dict[str, Any] = attachment["content"]
    return content


def facts(content: dict[str, Any]) -> dict[str, str]:
    """Each "label: value" line of the card."""
    found = {}
    for block in content["body"]:
        inlines = block.get("inlines", [])
        if len(inlines) == 2 and inlines[0]["text"].endswith(": "):
            found[inlines[0]["text"].removesuffix(": ")] = inlines[1]["text"]
    return found


def all_text(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False)


def test_the_english_card_shows_the_facts_and_two_buttons() -> None:
    message = alert_card(CASE)
    content = card(message)
    assert (content["type"], content["version"], content["lang"]) == ("AdaptiveCard", "1.5", "en")
    assert facts(content) == {
        "Priority": "P2",
        "Score": "NPS 3/10",
        "Customer": "a***@example.com",
        "Agent": "Ola <ola@corp>",
        "Channel": "Phone",
        "Acknowledge by": "2026-11-23 11:15 CET (Europe/Oslo)",
    }
    assert [(a["type"], a["title"], a["url"]) for a in content["actions"]] == [
        ("Action.OpenUrl", "Acknowledge", ACK),
        ("Action.OpenUrl", "Open the case in the console", OPEN),
    ]
    assert content["body"][0]["text"] == "Unhappy customer"
    assert "Repeat failure" in all_text(content)
    # The case is named where the runtime's stand-in reads it (Teams ignores the field)
    assert message["recovery_case"] == {"case_id": "c_123", "kind": "alert"}


def test_the_norwegian_card_uses_the_alert_emails_words() -> None:
    content = card(alert_card(replace(CASE, language="nb-NO")))
    assert content["lang"] == "nb"
    assert content["body"][0]["text"] == "Misfornøyd kunde"
    shown = facts(content)
    assert shown["Prioritet"] == "P2"
    assert shown["Kvitter innen"] == "2026-11-23 11:15 CET (Europe/Oslo)"
    assert shown["Kunde"] == CASE.customer_masked
    assert shown["Saksbehandler"] == "Ola <ola@corp>"
    assert [(a["title"], a["url"]) for a in content["actions"]] == [
        ("Kvitter", ACK),
        ("Åpne saken i konsollen", OPEN),
    ]


@pytest.mark.parametrize(
    ("language", "title"),
    [("de", "Unzufriedener Kunde"), ("ja", None), ("zh", None), ("tr", None), ("xx", "Unhappy customer")],
)
def test_every_email_language_has_a_card(language: str, title: str | None) -> None:
    content = card(alert_card(replace(CASE, language=language)))
    assert content["body"][0]["text"]
    if title is not None:
        assert content["body"][0]["text"] == title


def test_the_customer_appears_only_masked() -> None:
    text = all_text(card(alert_card(CASE)))
    assert "ada.lovelace" not in text and "a***@example.com" in text


def test_outside_text_is_plain_text_never_markdown() -> None:
    content = card(alert_card(CASE))
    # Outside values sit in TextRuns (which Teams never reads as Markdown), not in TextBlocks or facts
    text_blocks = [block["text"] for block in content["body"] if block["type"] == "TextBlock"]
    assert not any("evil" in text or "Ola" in text for text in text_blocks)
    runs = [
        inline["text"]
        for block in content["body"]
        for item in [block, *block.get("items", [])]
        for inline in item.get("inlines", [])
    ]
    assert any("[called](https://evil.example)" in run for run in runs)
    assert all(run_type == "TextRun" for run_type in _inline_types(content))


def _inline_types(content: dict[str, Any]) -> list[str]:
    return [
        inline["type"]
        for block in content["body"]
        for item in [block, *block.get("items", [])]
        for inline in item.get("inlines", [])
    ]


def test_a_long_comment_is_cut_and_hidden_characters_shown() -> None:
    long = replace(CASE, comment="x" * 2000 + "\u202e")
    text = all_text(card(alert_card(long)))
    assert "x" * COMMENT_LIMIT not in text and "x" * (COMMENT_LIMIT - 1) in text and "…" in text
    hidden = replace(CASE, comment="refund\u202eplease")
    assert "\u202e" not in all_text(card(alert_card(hidden)))


def test_no_comment_reads_as_such() -> None:
    assert "No comment left." in all_text(card(alert_card(replace(CASE, comment="  "))))


def test_only_web_links_become_buttons() -> None:
    with pytest.raises(ValueError, match="ack_url"):
        replace(CASE, ack_url="javascript:alert(1)")
    with pytest.raises(ValueError, match="ack_deadline"):
        replace(CASE, ack_deadline=datetime(2026, 11, 23, 10, 15))
