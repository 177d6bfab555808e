"""No customer message ties compensation to a rating or a review (docs/followup.md, "Within the law").

The US FTC rule on consumer reviews (16 CFR 465) forbids offering anything of value for a review that
expresses a particular sentiment, and Google's policy forbids soliciting reviews selectively or with an
incentive. A recovery may well include a refund; the follow-up that asks for a new rating must never
mention it, in any of the six languages. This reads every customer-facing wording file and the rendered
follow-up email and SMS, and fails when a text that asks for a rating also mentions something of value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from recovery.notify.customer import MessageLinks
from recovery.notify.follow_up import FollowUpContext, render_follow_up

LANGUAGES = ("en", "de", "nb", "ja", "zh", "tr")
PACKAGE = Path(__file__).parents[3] / "layers" / "recovery" / "recovery"
# Wording a customer reads: the acknowledgement and a lead's messages, the follow-up email and SMS, the
# follow-up page and the hosted survey page.
WORDING = {
    "customer messages": PACKAGE / "notify" / "templates" / "customer" / "i18n",
    "follow-up message": PACKAGE / "notify" / "templates" / "followup",
    "follow-up page": PACKAGE / "web" / "pages" / "templates" / "followup",
    "survey page": PACKAGE / "web" / "pages" / "templates" / "survey",
}
TEMPLATES = [
    *(PACKAGE / "notify" / "templates" / "customer").glob("*.*"),
    *(PACKAGE / "notify" / "templates").glob("followup.*"),
    *(PACKAGE / "web" / "pages" / "templates").glob("followup*.html"),
    *(PACKAGE / "web" / "pages" / "templates").glob("survey*.html"),
]

# Something of value, per language. Latin-script words match at a word start, so "gave" (nb: gift) does
# not match inside another word; CJK terms match anywhere.
VALUE = {
    "en": r"refund|discount|voucher|coupon|gift|compensat|reward|incentive|prize|cashback|free of charge",
    "de": r"erstatt|rabatt|gutschein|geschenk|entschädig|belohn|kostenlos|gutschrift|prämie",
    "nb": r"refusj|rabatt|gavekort|gave\b|kompensasj|belønn|gratis|tilgodelapp",
    "ja": r"返金|割引|クーポン|ギフト|補償|特典|無料|謝礼|ポイント|プレゼント",
    "zh": r"退款|折扣|优惠|礼品|礼物|补偿|奖励|免费|代金券|返现",
    "tr": r"iade|indirim|kupon|hediye|tazminat|ödül|ücretsiz|bedava",
}
# Asking for a rating or a review, per language.
RATING = {
    "en": r"rate|rating|review|recommend|stars?\b|how did we do|satisfied",
    "de": r"bewert|empfehl|sterne|zufrieden",
    "nb": r"vurder|anbefal|stjerner|fornøyd",
    "ja": r"評価|レビュー|おすすめ|勧め|星|満足|感想",
    "zh": r"评价|评分|推荐|星|满意",
    "tr": r"değerlendir|puan|öner|yıldız|memnun|ne düşünüyorsunuz",
}


def _pattern(words: str, language: str) -> re.Pattern[str]:
    prefix = r"\b(?:" if language not in ("ja", "zh") else r"(?:"
    return re.compile(prefix + words + ")", re.IGNORECASE)


def ties_value_to_rating(text: str, language: str) -> bool:
    """True when `text` asks for a rating or review and also mentions something of value."""
    asks = _pattern(RATING[language], language).search(text)
    offers = _pattern(VALUE[language], language).search(text) or _pattern(VALUE["en"], "en").search(text)
    return bool(asks and offers)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Rate us again and get a 10% discount on your next order!", "en"),
        ("Bewerten Sie uns erneut und erhalten Sie einen Gutschein.", "de"),
        ("Gi oss en ny vurdering, så får du et gavekort.", "nb"),
        ("もう一度評価していただくと、クーポンを差し上げます。", "ja"),
        ("再次评价即可获得优惠券。", "zh"),
        ("Bizi tekrar değerlendirin, indirim kazanın.", "tr"),
        ("How would you rate us now? Leave a review and we will refund your order.", "en"),
    ],
)
def test_the_check_catches_an_incentive_next_to_a_rating_request(text: str, language: str) -> None:
    assert ties_value_to_rating(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How would you rate us now? It takes less than a minute.", "en"),
        ("We have refunded your order. We're sorry.", "en"),  # a recovery may include a refund
        ("Wie würden Sie uns jetzt bewerten?", "de"),
    ],
)
def test_the_check_lets_a_plain_request_or_a_plain_remedy_through(text: str, language: str) -> None:
    assert not ties_value_to_rating(text, language)


@pytest.mark.parametrize("unit", sorted(WORDING))
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_customer_wording_ties_something_of_value_to_a_rating(unit: str, language: str) -> None:
    path = WORDING[unit] / f"{language}.json"
    text = "\n".join(_strings(json.loads(path.read_text("utf-8"))))
    assert text, f"{path} has no wording"
    assert not ties_value_to_rating(text, language), f"{path.relative_to(PACKAGE)} ties value to a rating"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_no_customer_template_ties_something_of_value_to_a_rating(path: Path) -> None:
    text = path.read_text("utf-8")
    assert not ties_value_to_rating(text, "en"), f"{path.relative_to(PACKAGE)} ties value to a rating"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_follow_up_as_sent_asks_for_a_rating_and_offers_nothing(language: str) -> None:
    ctx = FollowUpContext("https://feedback.example.com/f/abcdefghijklmnop", "Support EMEA", "Ada", 14)
    email = render_follow_up(language, MessageLinks("email", "https://feedback.example.com/u/x"), ctx)
    sms = render_follow_up(language, MessageLinks("sms"), ctx).sms
    for text in (email.subject + "\n" + email.text, email.html, sms):
        # It does ask for a rating, so the check below is about a text the rule applies to.
        assert _pattern(RATING[language], language).search(text), text
        assert not ties_value_to_rating(text, language), text
