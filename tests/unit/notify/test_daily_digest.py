"""The daily digest in the reader's language: its own words in every language the product speaks, the
cases' age in that language, and outside text escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from recovery.notify.daily_digest import DailyContext, OpenCase, render_daily_digest

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
SUBJECTS = {
    "en": "Daily digest",
    "nb": "Daglig oversikt",
    "de": "Tägliche Übersicht",
    "ja": "日次ダイジェスト",
    "zh": "每日摘要",
    "tr": "Günlük özet",
}


def context(language: str, team: str = "Support EMEA") -> DailyContext:
    case = OpenCase(
        case_id="cs_1",
        priority=3,
        opened_at=NOW - timedelta(hours=5),
        customer_masked="a***@example.com",
        url="http://127.0.0.1:3000/console/#/cases/cs_1",
        in_digest=True,
    )
    return DailyContext(
        team=team,
        recipient_name="Kari",
        language=language,
        timezone="Europe/Oslo",
        day=date(2026, 11, 23),
        now=NOW,
        at="08:00",
        digest_priorities=["P3", "P4"],
        cases=[case],
        console_url="http://127.0.0.1:3000/console/",
    )


@pytest.mark.parametrize(("language", "subject"), SUBJECTS.items())
def test_each_language_has_its_own_wording(language: str, subject: str) -> None:
    rendered = render_daily_digest(context(language))
    assert rendered.subject.startswith(subject) and "Support EMEA" in rendered.subject
    assert "cs_1" in rendered.text and "a***@example.com" in rendered.html
    if language != "en":
        english = render_daily_digest(context("en"))
        assert rendered.text != english.text and "Daily digest" not in rendered.text


def test_outside_text_is_escaped_in_the_html() -> None:
    rendered = render_daily_digest(context("de", team="<b>Team</b>"))
    assert "<b>Team</b>" not in rendered.html and "&lt;b&gt;Team&lt;/b&gt;" in rendered.html
