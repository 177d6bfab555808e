"""The server-rendered pages show text from outside safely: hidden characters marked, names isolated, and
what a form sends back returned exactly as it came."""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

from recovery.web.pages import page, wording

RLO, ZWSP = "\u202e", "\u200b"
MARKER = "\ufffd"


def hidden_in(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"]


def test_the_ack_page_marks_hidden_characters_and_isolates_names() -> None:
    # GIVEN a case whose team, agent and acknowledging lead carry bidi and zero width characters
    case = SimpleNamespace(
        case_id="cs_1",
        priority=2,
        repeat_failure=False,
        team=f"Support{RLO} EMEA",
        channel="chat",
        agent=f"ma{ZWSP}rk",
        status="acknowledged",
        acked_by=f"אבי{RLO}",
    )
    view = SimpleNamespace(
        case=case,
        score_text="NPS 3/10",
        comment=f"late{RLO}",
        acked_by_name=case.acked_by,
        case_url="https://rl.example.com/console/#/cases/cs_1",
    )
    # WHEN the acknowledge page is rendered
    html = page(
        200,
        "ack_confirm.html",
        lang="en",
        t=wording("ack", "en"),
        view=view,
        score="NPS 3/10",
        deadline="11:15",
        acked_at="10:05",
    ).body
    assert isinstance(html, str)
    # THEN none of them is on the page; each value shows a marker and sits in its own <bdi>
    assert hidden_in(html) == []
    assert f"<bdi>Support{MARKER} EMEA</bdi>" in html
    assert f"<bdi>chat</bdi> · <bdi>ma{MARKER}rk</bdi>" in html
    assert f"by <bdi>אבי{MARKER}</bdi> at <bdi>10:05</bdi>" in html
    assert f"late{MARKER}" in html


def test_the_survey_form_isolates_the_source_name_and_returns_what_the_customer_typed() -> None:
    # GIVEN a form shown again after a mistake, with a comment and a link parameter holding an override
    comment = f"invoice{RLO}fdp.exe"
    t = wording("survey", "en")
    html = page(
        400,
        "survey_form.html",
        lang="en",
        t=t,
        name=f"Café{RLO} Nord",
        question=t["question_nps"],
        choices=[str(n) for n in range(11)],
        low=t["low_nps"],
        high=t["high_nps"],
        form={"score": "", "comment": comment, "email": "", "phone": ""},
        params={"table": f"7{RLO}"},
        token="tok",
        error=None,
        error_field=None,
        comment_max=2000,
        switcher=[],
    ).body
    assert isinstance(html, str)
    # THEN the source's name is shown with a marker, isolated
    assert f"Tell <bdi>Café{MARKER} Nord</bdi> about your visit." in html
    # AND the comment and the parameter go back exactly as they came: the next submission stores them
    assert f">{comment}</textarea>" in html
    assert f'name="table" value="7{RLO}"' in html


def ack_view(**changes: object) -> SimpleNamespace:
    case = SimpleNamespace(
        case_id="cs_0123456789abcdef01234567",
        priority=1,
        repeat_failure=True,
        team="support-emea",
        channel="chat",
        agent="mark",
        status="open",
        acked_by=None,
    )
    values: dict[str, object] = {
        "case": case,
        "score_text": "NPS 3/10",
        "comment": "Ventet i 40 minutter og ingen svarte.",
        "acked_by_name": None,
        "contact_name": "Kari Nordmann",
        "case_url": "https://rl.example.com/console/#/cases/cs_0123456789abcdef01234567",
    }
    values.update(changes)
    return SimpleNamespace(**values)


def test_the_ack_page_shows_score_and_comment_in_the_contacts_language() -> None:
    # GIVEN Kari's view of an open case WHEN the page renders in Norwegian
    html = page(
        200,
        "ack_confirm.html",
        lang="nb",
        t=wording("ack", "nb"),
        view=ack_view(),
        score="NPS 3/10",
        deadline="2026-11-22 11:15 CET",
        acked_at=None,
    ).body
    assert isinstance(html, str)
    # THEN it speaks Norwegian, shows the score, the comment and the deadline on Kari's clock
    assert '<html lang="nb">' in html
    assert "P1-sak · gjentatt feil" in html and "Kvitter: jeg tar den" in html
    assert "<dt>Vurdering</dt><dd>NPS 3/10</dd>" in html
    assert "Ventet i 40 minutter og ingen svarte." in html
    assert "<dt>Kvitter innen</dt><dd>2026-11-22 11:15 CET</dd>" in html
    assert "UTC" not in html
    # AND while open, no way around the acknowledgement: the console link comes after it
    assert "/console/#/cases/" not in html


def test_a_long_comment_is_cut_at_a_word() -> None:
    html = page(
        200,
        "ack_confirm.html",
        lang="en",
        t=wording("ack", "en"),
        view=ack_view(comment="word " * 200),
        score="NPS 3/10",
        deadline="11:15 CET",
        acked_at=None,
    ).body
    assert isinstance(html, str)
    assert "word word…" in html and html.count("word") < 100


def test_after_acknowledging_the_page_links_into_the_case() -> None:
    # GIVEN the case acknowledged by Kari WHEN the done page renders in Japanese and in Norwegian
    for language, said in (("ja", "コンソールでケースを開く"), ("nb", "Åpne saken i konsollen")):
        html = page(200, "ack_done.html", lang=language, t=wording("ack", language), view=ack_view()).body
        assert isinstance(html, str)
        # THEN the console's hash route for the case is one tap away, in the contact's language
        assert (
            f'<a class="button" href="https://rl.example.com/console/#/cases/cs_0123456789abcdef01234567">{said}</a>'
            in html
        )


def test_every_ack_language_has_every_string() -> None:
    english = wording("ack", "en")
    for language in ("de", "nb", "ja", "zh", "tr"):
        assert wording("ack", language).keys() == english.keys(), language
