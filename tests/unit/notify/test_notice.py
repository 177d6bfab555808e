"""The owner notice email: what each kind says, in the reader's language and clock, the customer's
words quoted and never markup."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from recovery.notify.notice import KINDS, NoticeContext, ReachBy, render_notice
from recovery.notify.render import TEMPLATES

NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
LANGUAGES = ("en", "de", "nb", "ja", "zh", "tr")


def context(kind: str, **changes: Any) -> NoticeContext:
    values: dict[str, Any] = {
        "kind": kind,
        "case_id": "cs_1",
        "priority": "P2",
        "team": "Support EMEA",
        "recipient_name": "Kari",
        "language": "en",
        "timezone": "Europe/Oslo",
        "case_url": "https://recovery.example.com/console/#/cases/cs_1",
        "now": NOW,
        "customer_masked": "a***@example.com",
    }
    return NoticeContext(**{**values, **changes})


def test_every_language_has_every_kind_and_key() -> None:
    english = json.loads((TEMPLATES / "notice" / "en.json").read_text("utf-8"))
    for language in LANGUAGES:
        words = json.loads((TEMPLATES / "notice" / f"{language}.json").read_text("utf-8"))
        assert set(words) == set(english), language
        for group in ("subject", "title", "intro"):
            assert set(words[group]) == KINDS, (language, group)
        assert set(words["reasons"]) == {"bounce", "complaint", "opted_out"}, language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_renders_in_each_language(kind: str, language: str) -> None:
    notice = render_notice(
        context(
            kind,
            language=language,
            channel="email",
            text="Thanks, but it still does not work.",
            reason="bounce",
            when=NOW - timedelta(hours=13),
            resolve_due_at=NOW + timedelta(hours=10),
            reach=(ReachBy("email", "a***@example.com", False), ReachBy("sms", "+47 *** ** 567", True)),
        )
    )
    assert "cs_1" in notice.subject and "\n" not in notice.subject
    assert "https://recovery.example.com/console/#/cases/cs_1" in notice.text
    assert 'href="https://recovery.example.com/console/#/cases/cs_1"' in notice.html
    assert "{" not in notice.text  # every placeholder filled


def test_a_reply_is_quoted_and_its_markup_escaped() -> None:
    text = 'It broke again <script>alert("x")</script>\nSecond line'
    notice = render_notice(context("customer_reply", channel="sms", text=text, truncated=True))
    assert "the customer replied" in notice.subject
    assert "  It broke again <script>" in notice.text and "  Second line" in notice.text
    assert "<script>" not in notice.html and "&lt;script&gt;" in notice.html
    assert "The reply was long" in notice.text
    assert "by SMS" in notice.text


def test_no_answer_lists_the_channels_to_try_masked() -> None:
    reach = (ReachBy("email", "a***@example.com", True), ReachBy("sms", "+47 *** ** 567", True))
    notice = render_notice(
        context("followup_no_response", channel="email", when=NOW - timedelta(days=7), reach=reach)
    )
    assert "Try another channel" in notice.text
    assert "- email: a***@example.com" in notice.text and "- SMS: +47 *** ** 567" in notice.text
    assert "2026-11-16 23:00 CET" in notice.text  # when it was sent, on Kari's clock


def test_unreachable_says_why_and_marks_the_channel() -> None:
    reach = (ReachBy("email", "a***@example.com", False), ReachBy("sms", "+47 *** ** 567", True))
    notice = render_notice(context("customer_unreachable", channel="email", reason="complaint", reach=reach))
    assert "cannot be reached by email" in notice.subject
    assert "marked our email as spam" in notice.text
    assert "- email: a***@example.com (cannot be reached)" in notice.text
    assert "line-through" in notice.html


def test_the_reminder_gives_the_hours_and_the_deadline_on_the_readers_clock() -> None:
    notice = render_notice(
        context(
            "ack_reminder",
            language="ja",
            timezone="Asia/Tokyo",
            when=NOW - timedelta(hours=12, minutes=40),
            resolve_due_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        )
    )
    assert "12時間前" in notice.text
    assert "2026-11-24 19:00 JST (Asia/Tokyo)" in notice.text


def test_a_bidi_override_in_the_reply_does_not_reach_the_reader() -> None:
    notice = render_notice(context("customer_reply", channel="email", text="abc\u202edef"))
    assert "\u202e" not in notice.text and "\u202e" not in notice.html


def test_only_a_web_link() -> None:
    with pytest.raises(ValueError, match="http"):
        context("ack_reminder", case_url="javascript:alert(1)")


def test_templates_ship_with_the_package() -> None:
    assert Path(TEMPLATES / "notice.html").is_file() and Path(TEMPLATES / "notice.txt").is_file()


def test_the_slack_reply_names_the_notice_and_never_the_customers_words() -> None:
    from recovery.notify.slack_blocks import notice_message

    url = "https://recovery.example.com/console/#/cases/cs_1"
    reply = notice_message("cs_1", "customer_reply", url, channel="sms")
    assert reply.text == "The customer replied by SMS. Read it on the case."
    assert reply.metadata["event_payload"] == {"case_id": "cs_1", "kind": "notice"}
    reminder = notice_message("cs_1", "ack_reminder", url, hours=12, deadline=NOW, timezone="Europe/Oslo")
    assert "Acknowledged 12 h ago" in reminder.text and "23:00 CET" in reminder.text
    assert f"<{url}|Open case>" in reminder.blocks[0]["text"]["text"]
    with pytest.raises(ValueError, match="http"):
        notice_message("cs_1", "customer_reply", "javascript:alert(1)")
