"""A score's words reach each lead in their own language: subject, SMS and the facts of the email."""

from __future__ import annotations

import pytest

from recovery.notify.render import LANGUAGES, render_alert
from recovery.notify.scores import channel_words, score_words
from recovery.services.alerts import score_text
from tests.unit.notify.test_render import context


@pytest.mark.parametrize("language", sorted(LANGUAGES - {"en"}))
@pytest.mark.parametrize(
    "score",
    [
        {"type": "thumbs", "value": "down"},
        {"type": "thumbs", "value": "up"},
        None,
        {"type": "stars", "value": 2},
    ],
)
def test_every_word_of_a_score_is_translated_in_every_language(language: str, score: dict | None) -> None:
    english = score_text(score)
    translated = score_words(english, language)
    assert translated != english
    assert not any(word in translated for word in ("thumbs", "score", "Stars"))


@pytest.mark.parametrize("english", ["NPS 3/10", "CSAT 2/5", "CES 6/7", "3.0 (0–10)"])
def test_scale_names_and_numbers_stay_as_they_are(english: str) -> None:
    assert score_words(english, "nb") == english


def test_a_norwegian_lead_reads_thumbs_down_in_norwegian_everywhere() -> None:
    rendered = render_alert(
        context(score_text=score_text({"type": "thumbs", "value": "down"}), language="nb-NO")
    )
    for part in (rendered.subject, rendered.sms, rendered.text, rendered.html):
        assert "tommel ned" in part
        assert "thumbs" not in part


def test_a_known_channel_reads_in_the_leads_language_and_another_as_it_came() -> None:
    assert channel_words("in_person", "nb") == "Personlig oppmøte"
    assert channel_words("chat", "ja") == "チャット"
    assert channel_words("Store 12", "de") == "Store 12"
    assert channel_words(None, "de") is None
    rendered = render_alert(context(channel="in_person", language="de"))
    assert "Persönlich" in rendered.html and "in_person" not in rendered.html + rendered.text
