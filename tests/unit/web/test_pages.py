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
    # WHEN the acknowledge page is rendered
    html = page(200, "ack_confirm.html", case=case, deadline="11:15", acked_at="10:05").body
    assert isinstance(html, str)
    # THEN none of them is on the page; each value shows a marker and sits in its own <bdi>
    assert hidden_in(html) == []
    assert f"<bdi>Support{MARKER} EMEA</bdi>" in html
    assert f"<bdi>chat</bdi> · <bdi>ma{MARKER}rk</bdi>" in html
    assert f"by <bdi>אבי{MARKER}</bdi> at 10:05" in html


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
