"""Printing text from outside: every message and page value made safe to show, names isolated in HTML,
form values sent back exactly as they came."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from jinja2 import Environment
from markupsafe import Markup

from recovery.notify.anomaly import render_anomaly
from recovery.notify.approval import render_approval
from recovery.notify.customer import MessageLinks, render_customer_ack, render_lead_message
from recovery.notify.digest import render_digest
from recovery.notify.display import phrase, printed, verbatim
from recovery.notify.follow_up import FollowUpContext, render_follow_up
from recovery.notify.render import one_line
from tests.unit.notify.test_digest import context as digest_context
from tests.unit.services.test_anomalies import context as anomaly_context

RLO, ZWSP, FSI = "\u202e", "\u200b", "\u2068"
MARKER = "\ufffd"
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def hidden_in(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"]


def render(template: str, autoescape: bool, **values: object) -> str:
    env = Environment(autoescape=autoescape, finalize=printed)
    env.filters["verbatim"] = verbatim
    return env.from_string(template).render(**values)


def test_every_printed_value_is_made_safe_to_show() -> None:
    # GIVEN values with a right-to-left override, printed by an HTML and a text template
    for autoescape in (True, False):
        # THEN the override is a marker, and HTML is still escaped
        assert render("{{ a }}|{{ b }}", autoescape, a=f"x{RLO}y", b="<b>") == (
            f"x{MARKER}y|&lt;b&gt;" if autoescape else f"x{MARKER}y|<b>"
        )
    # AND markup a macro made is left markup
    assert printed(Markup(f"<i>{ZWSP}</i>")) == Markup(f"<i>{MARKER}</i>")


def test_a_verbatim_value_goes_back_exactly_as_it_came_but_escaped() -> None:
    comment = f'invoice{RLO}fdp.exe "<x>"'
    html = render("<textarea>{{ c | verbatim }}</textarea>", True, c=comment)
    assert html == f"<textarea>invoice{RLO}fdp.exe &#34;&lt;x&gt;&#34;</textarea>"


def test_a_phrase_isolates_its_values_in_html_and_reads_plainly_as_text() -> None:
    # GIVEN wording with a right-to-left value followed by digits
    line = phrase("agent {value}: {rate}", value=f"אבי{RLO}", rate="25.3%")
    # THEN as text it is the sentence, made safe; in HTML each value has its own <bdi>
    assert line == f"agent אבי{MARKER}: 25.3%"
    assert render("{{ line }}", False, line=line) == f"agent אבי{MARKER}: 25.3%"
    assert render("{{ line }}", True, line=line) == f"agent <bdi>אבי{MARKER}</bdi>: <bdi>25.3%</bdi>"
    # AND a value that is markup in disguise is escaped inside its <bdi>; a nested phrase keeps its own
    outer = phrase("{inner} & {name}", inner=phrase("hi {x}", x="<b>"), name="<i>")
    assert render("{{ p }}", True, p=outer) == "hi <bdi>&lt;b&gt;</bdi> &amp; <bdi>&lt;i&gt;</bdi>"


def test_one_line_marks_hidden_characters_and_joins_lines() -> None:
    assert one_line(f" a{RLO}b \n\t c\r\n") == f"a{MARKER}b c"
    assert one_line(f"a{ZWSP}b", "[?]") == "a[?]b"


def test_customer_messages_show_hidden_characters_as_markers() -> None:
    # GIVEN a customer name and a lead's message and name with bidi and zero width characters
    ack = render_customer_ack(
        "en", MessageLinks("email"), f"Ada{ZWSP}", f"Kari{RLO} Nordmann", NOW, "Europe/Oslo", NOW
    )
    message = render_lead_message("en", f"Ada{ZWSP}", "Kari", f"Sorry{FSI}", f"We refund {RLO}it")
    # THEN nothing hidden is left in any part, and the markers are where the characters were
    for part in (ack.subject, ack.text, ack.html, ack.sms, message.subject, message.text, message.html):
        assert hidden_in(part) == [], part
    assert hidden_in(message.sms) == []
    assert f"Ada{MARKER}" in ack.text and f"<bdi>Ada{MARKER}</bdi>" in ack.html
    assert f"<bdi>Kari{MARKER}</bdi>" in ack.html and "Kari[?]" in ack.sms
    assert message.subject == f"Sorry{MARKER}" and f"We refund {MARKER}it" in message.html
    assert message.sms.startswith("We refund [?]it")  # SMS: the GSM-7 marker
    assert '<div dir="auto"' in message.html


def test_follow_up_approval_anomaly_and_digest_show_hidden_characters_as_markers() -> None:
    follow_up = FollowUpContext("https://rl.example.com/f/AbCdEfGhIjKlMnOp", f"Team{RLO}", f"Ada{ZWSP}", 7)
    email = render_follow_up("en", MessageLinks("email", "https://rl.example.com/u/x"), follow_up)
    text = render_follow_up("en", MessageLinks("sms"), follow_up)
    approval = render_approval(
        "en",
        f"Ingrid{ZWSP}",
        f"Kari{RLO}",
        "c-1",
        2,
        "refund",
        "120.00",
        "EUR",
        "https://rl.example.com/c/x",
        72,
    )
    anomaly = anomaly_context(dimension="tag", value=f"checkout{RLO}", team=f"Support{ZWSP}")
    spike = render_anomaly(anomaly)
    digest = render_digest(
        digest_context(
            "en",
            team=f"Support{FSI}",
            anomalies=[{"dimension": "agent", "value": f"אבי{RLO}", "rate": 0.4, "limit": 0.2, "open": True}],
        )
    )
    parts = [
        email.subject,
        email.text,
        email.html,
        text.sms,
        *approval,
        *spike,
        digest.subject,
        digest.text,
        digest.html,
    ]
    for part in parts:
        assert hidden_in(part) == [], part
    assert f"Team{MARKER}" in email.text and "Team[?]" in text.sms
    assert f"<bdi>Kari{MARKER}</bdi>" in approval.html and "Kari[?]" in approval.sms
    assert f"<bdi>checkout{MARKER}</bdi>" in spike.html and f"Support{MARKER}" in spike.subject
    # The right-to-left agent cannot pull the rate after it out of place: it is isolated
    assert f"<bdi>אבי{MARKER}</bdi>:" in digest.html and f"Support{MARKER}" in digest.subject
