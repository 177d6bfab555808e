"""Alert messages: every language renders every field, customer text is escaped, the SMS fits two segments."""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from datetime import UTC, datetime

import pytest

from recovery.domain import sms
from recovery.domain.contacts import mask_email
from recovery.notify.render import (
    LANGUAGES,
    TEMPLATES,
    AlertContext,
    deadline_long,
    deadline_short,
    language_of,
    local_time,
    render_alert,
    strings,
)
from recovery.notify.scores import channel_words

LINK = "https://rl.example.com/a/AbCdEfGhIjKlMnOp"
DEADLINE = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
LONG_COMMENT = {
    language: sentence * 5
    for language, sentence in {
        "tr": "Teknisyen üç kez gelmedi, kimse aramadı, destek hattı hep meşguldü. Çok kötü bir deneyim! ",
        "ja": "技術者が三回も来ず、誰からも連絡がありませんでした。サポートはずっと話し中でした。",
        "zh": "技术人员三次都没来，也没有人给我打电话。客服一直占线，这是非常糟糕的经历。",
        "en": "The engineer never came, nobody called, and support was engaged all day. Awful. ",
        "de": "Der Techniker kam dreimal nicht, niemand rief an, die Hotline war immer besetzt. Schlimm! ",
        "nb": "Montøren kom ikke tre ganger, ingen ringte, og kundeservice var alltid opptatt. Elendig! ",
    }.items()
}


def context(**changes) -> AlertContext:
    values = {
        "case_id": "cs_0123456789abcdef01234567",
        "priority": "P1",
        "repeat_failure": True,
        "kind": "alert",
        "level": 1,
        "score_text": "NPS 3/10",
        "comment": "Ventet i 40 minutter og ingen svarte.",
        "customer_name": "Ada Lovelace",
        "customer_contact_masked": mask_email("ada@example.com"),
        "agent": "mark",
        "team": "Support EMEA",
        "channel": "chat",
        "ack_deadline": DEADLINE,
        "ack_url": LINK,
        "recipient_name": "Kari",
        "language": "nb-NO",
        "timezone": "Europe/Oslo",
    }
    values.update(changes)
    return AlertContext(**values)


def test_every_language_has_every_string():
    english = json.loads((TEMPLATES / "i18n" / "en.json").read_text("utf-8"))
    for language in LANGUAGES:
        wording = json.loads((TEMPLATES / "i18n" / f"{language}.json").read_text("utf-8"))
        assert wording.keys() == english.keys(), language
        assert len(wording["steps"]) == 4
        assert strings(language).ack_button


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("en", "en"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("de_AT", "de"),
        ("ja-JP", "ja"),
        ("zh-Hans-CN", "zh"),
        ("TR", "tr"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_falls_back_to_english_by_primary_subtag(tag, language):
    assert language_of(tag) == language


@pytest.mark.parametrize("language", ["en", "de", "nb-NO", "ja", "zh-Hans", "tr-TR"])
def test_each_language_carries_every_required_field(language):
    # GIVEN a repeat-failure alert for a recipient in that language
    ctx = context(language=language)
    wording = strings(language_of(language))

    # WHEN it is rendered
    rendered = render_alert(ctx)

    # THEN both email bodies carry everything a lead needs to act
    for body in (rendered.text, rendered.html):
        for expected in (
            "P1",
            wording.tag_repeat,
            wording.repeat_failure,
            "NPS 3/10",
            "Ventet i 40 minutter og ingen svarte.",
            "Ada Lovelace",
            "a***@example.com",
            "mark",
            "Support EMEA",
            channel_words("chat", language_of(language)),  # the channel in the lead's language
            "2026-11-22 11:15 CET (Europe/Oslo)",
            LINK,
            wording.ack_button,
            wording.steps_title,
            *(part for step in wording.steps for part in step),
            "cs_0123456789abcdef01234567",
        ):
            assert expected in body, (language, expected)
    assert "ada@example.com" not in rendered.text + rendered.html
    assert rendered.subject.startswith(f"[P1 · {wording.tag_repeat}]")
    assert "NPS 3/10" in rendered.subject and "\n" not in rendered.subject


def test_the_html_has_the_link_as_a_button_and_as_plain_text():
    html = render_alert(context(language="en")).html
    assert html.count(f'href="{LINK}"') == 2
    assert f">{LINK}</a>" in html
    assert ">Acknowledge</a>" in html


def test_the_html_is_inline_styled_with_no_style_block_or_script():
    html = render_alert(context(language="en")).html
    assert "<style" not in html and "<script" not in html and "<link" not in html
    assert 'style="' in html


def test_customer_text_is_escaped_in_html_and_kept_verbatim_in_text():
    # GIVEN a comment and a name that try to inject markup
    ctx = context(
        comment='<script>alert("x")</script> & <img src=x onerror=alert(1)>',
        customer_name="<b>Eve</b>",
        agent="<i>agent</i>",
        team="A&B <team>",
        score_text="custom 3.0 (0–10) <u>",
        language="en",
    )

    # WHEN it is rendered
    rendered = render_alert(ctx)

    # THEN the HTML shows the text, never the markup
    assert "<script" not in rendered.html
    assert "<img" not in rendered.html
    assert "<b>Eve" not in rendered.html and "<i>agent" not in rendered.html and "<team>" not in rendered.html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
        in rendered.html
    )
    assert "&lt;b&gt;Eve&lt;/b&gt;" in rendered.html
    assert "A&amp;B &lt;team&gt;" in rendered.html
    # AND the plain text shows the customer's words exactly
    assert '<script>alert("x")</script> & <img src=x onerror=alert(1)>' in rendered.text
    assert "<b>Eve</b>" in rendered.text


def test_the_recipient_name_is_escaped_too():
    assert "<em>" not in render_alert(context(recipient_name="<em>Kari</em>")).html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "/a/relative"])
def test_only_web_links_are_accepted(url):
    with pytest.raises(ValueError, match="ack_url"):
        context(ack_url=url)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"priority": "P5"}, "priority"),
        ({"kind": "reminder"}, "kind"),
        ({"level": 4}, "level"),
        ({"level": 0}, "level"),
        ({"ack_deadline": datetime(2026, 11, 22, 10, 15)}, "aware"),
    ],
)
def test_context_is_validated(change, message):
    with pytest.raises(ValueError, match=message):
        context(**change)


def test_no_comment_says_so():
    rendered = render_alert(context(comment=None, language="en"))
    assert "No comment left." in rendered.text and "No comment left." in rendered.html
    assert '""' not in rendered.sms
    assert rendered.sms.endswith(LINK)


def test_missing_agent_channel_and_customer_show_a_dash():
    rendered = render_alert(
        context(agent=None, channel=None, customer_name=None, customer_contact_masked=None, language="en")
    )
    assert "Agent: —" in rendered.text
    assert "Channel: —" in rendered.text
    assert "Customer: —" in rendered.text


def test_an_alert_without_a_repeat_failure_does_not_claim_one():
    rendered = render_alert(context(repeat_failure=False, priority="P3", language="en"))
    assert "Repeat failure" not in rendered.subject + rendered.text + rendered.html
    assert "REPEAT" not in rendered.sms
    assert rendered.subject == "[P3] Unhappy customer: NPS 3/10 (Support EMEA)"


def test_an_escalation_says_so_with_the_missed_deadline():
    # GIVEN level 2 after level 1 let 11:15 Oslo time pass; the new deadline is 11:30
    ctx = context(
        kind="escalation",
        level=2,
        language="en",
        missed_deadline=DEADLINE,
        ack_deadline=datetime(2026, 11, 22, 10, 30, tzinfo=UTC),
    )

    rendered = render_alert(ctx)

    assert "Escalation, level 2: not acknowledged by 11:15 CET" in rendered.subject
    assert "Level 2: not acknowledged by 2026-11-22 11:15 CET (Europe/Oslo)" in rendered.text
    assert "Level 2: not acknowledged by 2026-11-22 11:15 CET (Europe/Oslo)" in rendered.html
    assert "Acknowledge by: 2026-11-22 11:30 CET (Europe/Oslo)" in rendered.text
    assert "ESC L2" in rendered.sms and "Ack by 11:30 CET" in rendered.sms


def test_an_escalation_without_the_missed_deadline_still_says_so():
    rendered = render_alert(context(kind="escalation", level=3, language="de"))
    assert "Eskalation, Stufe 3: nicht rechtzeitig bestätigt" in rendered.subject
    assert "Stufe 3: nicht rechtzeitig bestätigt" in rendered.text


@pytest.mark.parametrize(
    ("zone", "long", "short"),
    [
        ("Europe/Oslo", "2026-11-22 11:15 CET (Europe/Oslo)", "11:15 CET"),
        ("Asia/Tokyo", "2026-11-22 19:15 JST (Asia/Tokyo)", "19:15 JST"),
        ("Europe/Istanbul", "2026-11-22 13:15 UTC+03:00 (Europe/Istanbul)", "13:15 UTC+03:00"),
        ("UTC", "2026-11-22 10:15 UTC", "10:15 UTC"),
        ("Not/AZone", "2026-11-22 10:15 UTC", "10:15 UTC"),
    ],
)
def test_deadline_in_the_recipients_zone(zone, long, short):
    assert deadline_long(DEADLINE, zone) == long
    assert deadline_short(DEADLINE, zone) == short


def test_summer_time_shows_its_own_abbreviation():
    assert deadline_short(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "Europe/Oslo") == "12:00 CEST"


@pytest.mark.parametrize("language", ["tr", "tr-TR", "ja", "ja-JP", "zh-Hans", "en", "de", "nb-NO"])
def test_a_long_comment_sms_fits_two_segments_with_the_full_link(language):
    # GIVEN a long comment in the recipient's own language
    ctx = context(language=language, comment=LONG_COMMENT[language_of(language)], kind="escalation", level=2)

    # WHEN the SMS is rendered
    text = render_alert(ctx).sms

    # THEN it fits two segments in the recipient's encoding, shortened, and ends with the whole link
    assert sms.segments(text, sms.encoding_for(language, text)) <= 2
    assert text.endswith(" " + LINK)
    assert text.startswith("P1 ")
    assert "NPS 3/10" in text and "Support EMEA/mark" in text
    assert ("…" in text) or ("..." in text)


def test_turkish_and_japanese_sms_are_measured_in_ucs2():
    for language in ("tr", "ja"):
        text = render_alert(context(language=language, comment=LONG_COMMENT[language])).sms
        assert sms.segments(text, "UCS-2") == 2
        assert len(text.encode("utf-16-le")) // 2 > 70  # it uses the budget, not just one part


def test_an_english_sms_stays_in_gsm7_despite_typographic_punctuation():
    ctx = context(
        language="en", comment="It’s the “third” time – again… " * 8, score_text="custom 3.0 (0–10)"
    )
    text = render_alert(ctx).sms
    assert sms.encoding_for("en", text) == "GSM-7"
    assert sms.segments(text, "GSM-7") == 2
    assert "custom 3.0 (0-10)" in text


def test_the_sms_keeps_the_comment_on_one_line():
    text = render_alert(context(language="en", comment="line one\n\nline two\r\n\tthree")).sms
    assert '"line one line two three"' in text


def test_the_sms_has_no_customer_contact():
    text = render_alert(context(language="en")).sms
    assert "Ada" not in text and "a***@" not in text


def test_thumbs_down_renders_in_every_part():
    rendered = render_alert(context(score_text="👎", language="en"))
    assert (
        "👎" in rendered.subject and "👎" in rendered.text and "👎" in rendered.html and "👎" in rendered.sms
    )


def test_the_context_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        context().priority = "P4"  # type: ignore[misc]


def test_the_sms_shows_no_empty_quotes_when_the_names_leave_no_room_for_the_comment():
    text = render_alert(context(language="en", team="Team " * 50, comment="Slow.")).sms
    assert '""' not in text
    assert text.endswith(LINK)
    assert sms.segments(text, "GSM-7") <= 2


def test_a_comment_of_quotes_is_still_shown():
    assert '""""' in render_alert(context(language="en", comment='""')).sms


# --- text that cannot hide or reorder itself ----------------------------------------------------------

HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs")


def hidden_in(text: str) -> list[str]:
    """The format, control and surrogate characters in `text` (newline and tab are fine)."""
    return [
        f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in HIDDEN_CATEGORIES and c not in "\n\t"
    ]


def test_a_hostile_comment_and_name_reach_the_lead_as_markers_in_every_part():
    # GIVEN a comment whose right-to-left override makes "invoice<RLO>fdp.exe" read "invoiceexe.pdf", a
    # name with a zero width space, and an agent and a team with more of the same
    rendered = render_alert(
        context(
            language="en",
            comment="invoice\u202efdp.exe",
            customer_name="Ada\u200bLovelace",
            agent="ma\u2066rk",
            team="Support\u202b EMEA",
        )
    )
    # THEN no part carries one of them, and each shows a marker where it was, in logical order
    for part in (rendered.subject, rendered.text, rendered.html, rendered.sms):
        assert hidden_in(part) == [], part
    assert "invoice\ufffdfdp.exe" in rendered.text and "invoice\ufffdfdp.exe" in rendered.html
    assert "Ada\ufffdLovelace" in rendered.text and "Ada\ufffdLovelace" in rendered.html
    assert "Support\ufffd EMEA" in rendered.subject
    # AND the SMS uses the GSM-7 marker, so the message keeps its encoding and its length
    assert '"invoice[?]fdp.exe"' in rendered.sms and "ma[?]rk" in rendered.sms
    assert sms.encoding_for("en", rendered.sms) == "GSM-7"


def test_the_customers_words_are_isolated_in_the_html():
    # GIVEN a right-to-left name and comment
    rendered = render_alert(context(language="en", customer_name="אבי כהן", comment="שלום 40 דקות"))
    # THEN the comment's block takes its own direction and each value sits in its own <bdi>, so the name
    # cannot pull the masked address after it into its own direction
    assert '<blockquote dir="auto"' in rendered.html
    assert "<bdi><bdi>אבי כהן</bdi> (<bdi>a***@example.com</bdi>)</bdi>" in rendered.html
    assert "<bdi>mark</bdi>" in rendered.html
    assert "Hello <bdi>Kari</bdi>," in rendered.html
    # AND the text part says the same without markup
    assert "Customer: אבי כהן (a***@example.com)" in rendered.text and "<bdi>" not in rendered.text


@pytest.mark.parametrize(
    ("moment", "zone", "short", "dated"),
    [
        (DEADLINE, "Europe/Oslo", "11:15 CET", "2026-11-22 11:15 CET"),
        (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "Europe/Oslo", "12:00 CEST", "2026-07-01 12:00 CEST"),
        (DEADLINE, "Asia/Tokyo", "19:15 JST", "2026-11-22 19:15 JST"),
        (DEADLINE, "America/New_York", "05:15 EST", "2026-11-22 05:15 EST"),
        # zones whose database abbreviation is a number get the offset, hours and minutes
        (DEADLINE, "Europe/Istanbul", "13:15 UTC+03:00", "2026-11-22 13:15 UTC+03:00"),
        (DEADLINE, "America/Sao_Paulo", "07:15 UTC-03:00", "2026-11-22 07:15 UTC-03:00"),
        (DEADLINE, "Asia/Kathmandu", "16:00 UTC+05:45", "2026-11-22 16:00 UTC+05:45"),
        (DEADLINE, "UTC", "10:15 UTC", "2026-11-22 10:15 UTC"),
    ],
)
def test_a_time_for_one_reader_is_on_their_clock_with_its_zone(moment, zone, short, dated):
    assert local_time(moment, zone) == short
    assert local_time(moment, zone, date=True) == dated


@pytest.mark.parametrize(
    ("language", "zone", "sms_time", "link_text"),
    [
        ("nb", "Europe/Oslo", "11:30 CET", "Åpne saken i konsollen"),
        ("ja", "Asia/Tokyo", "19:30 JST", "コンソールでケースを開く"),
        ("tr", "Europe/Istanbul", "13:30 UTC+03:00", "Vakayı konsolda aç"),
        ("en", "UTC", "10:30 UTC", "Open the case in the console"),
    ],
)
def test_the_alert_reads_the_readers_clock_and_links_to_the_case(language, zone, sms_time, link_text):
    # GIVEN an escalation for a reader in their language and zone, with the case's console address
    case_url = "https://rl.example.com/console/#/cases/cs_0123456789abcdef01234567"
    rendered = render_alert(
        context(
            kind="escalation",
            level=2,
            language=language,
            timezone=zone,
            ack_deadline=datetime(2026, 11, 22, 10, 30, tzinfo=UTC),
            missed_deadline=DEADLINE,
            case_url=case_url,
        )
    )
    # THEN every time is on the reader's clock: the SMS, the subject, the email
    assert sms_time in rendered.sms
    assert sms_time in rendered.text and sms_time in rendered.html
    if zone != "UTC":  # never a bare UTC time (an offset such as UTC+03:00 is the zone's own)
        assert not re.search(r"UTC(?![+-])", rendered.text + rendered.sms + rendered.subject)
    # AND the email links to the case in the console beside the acknowledge link; the SMS does not
    assert f"{link_text}: {case_url}" in rendered.text
    assert f'<a href="{case_url}" style="color:#1d4ed8;font-weight:bold;">{link_text}</a>' in rendered.html
    assert LINK in rendered.sms and "/console/" not in rendered.sms


def test_without_a_case_address_the_email_has_only_the_acknowledge_link():
    rendered = render_alert(context())
    assert "/console/" not in rendered.text and "/console/" not in rendered.html


def test_a_case_address_must_be_a_web_address():
    with pytest.raises(ValueError, match="case_url"):
        context(case_url="javascript:alert(1)")
