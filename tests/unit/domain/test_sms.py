"""SMS length: GSM-7 and UCS-2 counting at the part boundaries, and fitting alerts into two segments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.sms import encoding_for, fit, gsm7_septets, plain_punctuation, segments

LINK = " https://rl.example.com/a/AbCdEfGhIjKlMnOp"


def test_gsm7_counts_extension_characters_twice():
    assert gsm7_septets("abc") == 3
    assert gsm7_septets("{}[]~\\|^€") == 18
    assert gsm7_septets("Ærlig talt: 50€") == 16
    assert gsm7_septets("\f") == 2


@pytest.mark.parametrize("text", ["İstanbul", "ş", "日本", "👎", "…", "’", "\x1b"])
def test_gsm7_refuses_what_it_cannot_encode(text):
    assert gsm7_septets(text) is None


@pytest.mark.parametrize(
    ("language", "text", "encoding"),
    [
        ("en", "plain text", "GSM-7"),
        ("nb-NO", "Blåbærsyltetøy", "GSM-7"),
        ("de", "Straße", "GSM-7"),
        ("de", "Grüße 👎", "UCS-2"),
        ("tr", "plain ascii", "UCS-2"),
        ("tr-TR", "plain ascii", "UCS-2"),
        ("TR_tr", "plain ascii", "UCS-2"),
        ("ja-JP", "abc", "UCS-2"),
        ("zh-Hans", "abc", "UCS-2"),
        ("zh", "abc", "UCS-2"),
        (None, "abc", "GSM-7"),
        (None, "łódź", "UCS-2"),
        ("trk", "abc", "GSM-7"),  # another language whose tag merely starts with "tr"
    ],
)
def test_encoding_for(language, text, encoding):
    assert encoding_for(language, text) == encoding


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # 160 septets
        ("a" + "€" * 80, 2),  # 161 septets
        # 152 plain + one extension character: the escape would land at the end of part 1, so the whole
        # character moves to part 2, which then overflows on the last septet: three parts, not ceil(306/153).
        ("a" * 152 + "€" + "a" * 152, 3),
        ("a" * 151 + "€" + "a" * 153, 2),
    ],
)
def test_gsm7_segments(text, expected):
    assert segments(text, "GSM-7") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ş" * 70, 1),
        ("ş" * 71, 2),
        ("ş" * 134, 2),
        ("ş" * 135, 3),
        ("👎" * 35, 1),  # 70 UTF-16 code units
        ("ş" + "👎" * 35, 2),  # 71
        ("😀" * 66, 2),  # 132 code units: 33 pairs in each part
        ("😀" * 67, 3),  # 134 code units, yet no pair can straddle parts of 67
        # 66 + pair: the pair would straddle the boundary, so it opens part 2 (68 units): three parts.
        ("ş" * 66 + "😀" + "ş" * 66, 3),
        ("ş" * 65 + "😀" + "ş" * 67, 2),
    ],
)
def test_ucs2_segments(text, expected):
    assert segments(text, "UCS-2") == expected


def test_gsm7_segments_refuse_unencodable_text():
    with pytest.raises(ValueError, match="GSM-7"):
        segments("ğ", "GSM-7")


def test_fit_returns_a_short_message_unchanged():
    assert fit("P1 NPS 3/10: ", "Too slow.", LINK, "en") == "P1 NPS 3/10: Too slow." + LINK


def test_fit_cuts_the_body_at_a_word_boundary_with_a_gsm_ellipsis():
    body = "The engineer never came and nobody called me back " * 10
    message = fit("P1 NPS 3/10: ", body, LINK, "en")
    assert message.startswith("P1 NPS 3/10: The engineer never came")
    assert message.endswith("..." + LINK)
    assert segments(message, "GSM-7") == 2
    excerpt = message.removeprefix("P1 NPS 3/10: ").removesuffix("..." + LINK)
    assert body.startswith(excerpt)
    assert body[len(excerpt)] == " "  # the cut fell between words


def test_fit_uses_the_whole_budget():
    body = "x" * 400
    message = fit("H: ", body, LINK, "en")
    assert len(message) == 306  # exactly two full GSM-7 parts
    assert message.endswith("x..." + LINK)


def test_fit_cuts_mid_word_when_no_near_boundary_exists():
    body = "短い" + "待ち時間が長すぎて誰も対応してくれませんでした" * 10
    message = fit("P1 NPS 2/10: ", body, LINK, "ja")
    assert segments(message, "UCS-2") == 2
    assert message.endswith("…" + LINK)
    assert len(message) > 120  # nearly the whole budget, not a cut back to a distant space


def test_fit_measures_turkish_in_ucs2_even_when_ascii():
    body = "Cok kotu bir deneyimdi " * 20
    message = fit("P2 CSAT 1/5: ", body, LINK, "tr")
    assert segments(message, "UCS-2") <= 2
    assert message.endswith("…" + LINK)


def test_fit_never_splits_an_emoji():
    body = "😀" * 100
    message = fit("P3: ", body, LINK, "en")
    assert segments(message, "UCS-2") == 2
    excerpt = message.removeprefix("P3: ").removesuffix("…" + LINK)
    assert excerpt == "😀" * len(excerpt)
    assert segments("P3: " + "😀" * (len(excerpt) + 1) + "…" + LINK, "UCS-2") == 3  # the longest that fits


def test_fit_keeps_a_skin_tone_with_its_emoji():
    body = "👍🏽" * 80
    excerpt = fit("", body, LINK, "en").removesuffix("…" + LINK)
    assert excerpt and excerpt.endswith("👍🏽")


def test_fit_shortens_the_head_when_head_and_tail_alone_are_too_long():
    head = (
        "Escalation level 2 for team support-emea, agent mark, channel chat, priority P1, repeat failure " * 4
    )
    message = fit(head, "some comment", LINK, "en")
    assert message.endswith(LINK)
    assert "some comment" not in message
    assert message.startswith("Escalation level 2")
    assert "..." in message
    assert segments(message, "GSM-7") <= 2


def test_fit_drops_the_body_rather_than_show_a_lone_ellipsis():
    head = "h" * (306 - len(LINK) - 2)
    message = fit(head, "a long comment", LINK, "en")
    assert message == head + LINK


def test_fit_refuses_a_tail_that_cannot_fit():
    with pytest.raises(ValueError, match="tail"):
        fit("head", "body", "x" * 307, "en")


def test_fit_honours_a_smaller_budget():
    message = fit("P1: ", "word " * 100, LINK, "de", max_segments=1)
    assert segments(message, "GSM-7") == 1
    assert message.endswith(LINK)


def test_plain_punctuation_keeps_an_english_message_in_gsm7():
    text = plain_punctuation("It’s “broken” – again…")
    assert text == 'It\'s "broken" - again...'
    assert gsm7_septets(text) is not None


LANGUAGES = st.sampled_from(["en", "de", "nb-NO", "tr-TR", "ja", "zh-Hans"])
HEADS = st.sampled_from(
    ["P1 REPEAT NPS 0/10 support/mark: ", "P3 👎 team-a: ", "P2 CSAT 1/5 ekip/ayşe: ", ""]
)


@settings(max_examples=300, deadline=None)
@given(head=HEADS, body=st.text(max_size=600), language=LANGUAGES)
def test_fit_always_fits_two_segments_and_keeps_the_tail(head, body, language):
    message = fit(head, body, LINK, language)
    assert message.endswith(LINK)
    assert segments(message, encoding_for(language, message)) <= 2


@settings(max_examples=200, deadline=None)
@given(head=st.text(max_size=400), body=st.text(max_size=400), language=LANGUAGES)
def test_fit_always_fits_even_with_an_arbitrary_head(head, body, language):
    message = fit(head, body, LINK, language)
    assert message.endswith(LINK)
    assert segments(message, encoding_for(language, message)) <= 2


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=st.characters(codec="ascii"), max_size=600), language=LANGUAGES)
def test_fit_keeps_a_prefix_of_the_body(body, language):
    head = "P1: "
    message = fit(head, body, LINK, language)
    excerpt = message.removeprefix(head).removesuffix(LINK)
    for ellipsis in ("...", "…"):
        if excerpt.endswith(ellipsis) and excerpt != body:
            excerpt = excerpt.removesuffix(ellipsis)
    assert body.startswith(excerpt)
