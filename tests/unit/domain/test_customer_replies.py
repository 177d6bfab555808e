"""A customer's reply before it is threaded: the reply address, the text of a MIME message, the size
limit and sanitising, and STOP in six languages."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from recovery.domain import customer_replies as rules
from recovery.domain.links import new_reply_code, well_formed, well_formed_reply
from recovery.domain.text import MARKER

DOMAIN = "reply.example.com"


def test_a_reply_code_is_lower_case_base32_of_100_bits_and_never_a_link_code() -> None:
    codes = {new_reply_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 20 and set(code) <= set("abcdefghijklmnopqrstuvwxyz234567")
        assert well_formed_reply(code) and not well_formed(code)
    assert (
        not well_formed_reply("A" * 20)
        and not well_formed_reply("a" * 19)
        and not well_formed_reply("1" * 20)
    )


def test_the_code_is_found_among_the_recipients_whatever_its_case() -> None:
    code = new_reply_code()
    recipients = ["someone@example.com", f'"Support" <REPLY+{code.upper()}@Reply.Example.com>']
    assert rules.reply_code(recipients, DOMAIN) == code


@pytest.mark.parametrize(
    "recipient",
    [
        "reply+abcdefghijklmnopqrst@other.example.com",  # another domain
        "reply+abc@reply.example.com",  # not a code's shape
        "replies+abcdefghijklmnopqrst@reply.example.com",
        "abcdefghijklmnopqrst@reply.example.com",
    ],
)
def test_anything_else_has_no_code(recipient: str) -> None:
    assert rules.reply_code([recipient], DOMAIN) is None


def test_without_a_reply_domain_no_code_is_read() -> None:
    assert rules.reply_code([f"reply+{new_reply_code()}@{DOMAIN}"], "") is None


def _message(text: str | None = None, html: str | None = None, attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.com>"
    message["To"] = f"reply+{new_reply_code()}@{DOMAIN}"
    message["Subject"] = "Re: your feedback"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="secret.pdf")
    return message.as_bytes()


def test_the_plain_text_part_is_the_reply() -> None:
    parsed = rules.parse(_message("Thanks, that helps.\n", "<p>Other</p>", b"%PDF-1.4 attachment"))
    assert rules.message_text(parsed).strip() == "Thanks, that helps."
    assert rules.sender(parsed) == "ada@example.com"


def test_without_a_text_part_the_html_is_read_as_text() -> None:
    html = (
        "<html><head><style>p{}</style><script>alert(1)</script></head>"
        "<body><p>Still <b>broken</b></p><div>Call me</div></body></html>"
    )
    assert rules.message_text(rules.parse(_message(None, html))) == "Still broken\n\nCall me"


def test_an_attachment_alone_gives_no_text() -> None:
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message.add_attachment(b"\x00binary", maintype="application", subtype="octet-stream", filename="a.bin")
    assert rules.message_text(rules.parse(message.as_bytes())) == ""


def test_a_message_cut_at_the_read_limit_still_gives_its_text() -> None:
    raw = _message("Short answer.\n", None, b"x" * (600 * 1024))
    assert len(raw) > rules.RAW_LIMIT
    parsed = rules.parse(raw[: rules.RAW_LIMIT])
    assert rules.message_text(parsed).strip() == "Short answer."


def test_two_from_addresses_are_no_sender() -> None:
    message = EmailMessage()
    message["From"] = "a@example.com, b@example.com"
    assert rules.sender(message) is None


def test_text_is_sanitised_and_cut_to_2000_characters() -> None:
    text, truncated = rules.bounded("  invoice\u202efdp.exe  ")
    assert text == f"invoice{MARKER}fdp.exe" and truncated is False
    long, truncated = rules.bounded("é" * 5000)
    assert len(long) == rules.TEXT_LIMIT == 2000 and truncated is True


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "ＳＴＯＰ",
        "UNSUBSCRIBE",
        "Cancel",
        "END",
        "quit!",
        "STOPP",  # de, nb
        "Abmelden",
        "avslutt",
        "停止",
        "配信停止",
        "退订",
        "TD",
        "DUR",
        "İPTAL",
        "iptal",
    ],
)
def test_stop_and_its_translations_opt_out(text: str) -> None:
    assert rules.opts_out(text)


@pytest.mark.parametrize(
    "text", ["Please don't stop calling me", "stopped", "I want to cancel my order", "", "ok"]
)
def test_other_texts_do_not_opt_out(text: str) -> None:
    assert not rules.opts_out(text)
