from datetime import UTC, datetime
from html.parser import HTMLParser

from local.capture import _describe
from local.outbox import Outbox, find_links, render_page

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_links_are_found_unescaped_without_trailing_punctuation_or_duplicates() -> None:
    text = "Ack: https://x.example/a/1. Or (https://x.example/a/2), https://x.example/a/1"
    html = '<a href="https://x.example/f?a=1&amp;b=2">f</a> http://plain.example'
    assert find_links(text, html, None) == [
        "https://x.example/a/1",
        "https://x.example/a/2",
        "https://x.example/f?a=1&b=2",
        "http://plain.example",
    ]


def test_outbox_records_in_order_and_clears() -> None:
    outbox = Outbox(lambda: NOW)
    first = outbox.record(channel="email", to="a@example.com", subject="s", text="https://x.example")
    outbox.record(channel="sms", to="+4791234567", text="t")
    entries = outbox.entries()
    assert [entry["channel"] for entry in entries] == ["email", "sms"]
    assert first["sent_at"] == "2026-11-22T10:00:00.000Z" and first["links"] == ["https://x.example"]
    assert set(first) == {
        "id",
        "channel",
        "to",
        "subject",
        "text",
        "html",
        "links",
        "kind",
        "case_id",
        "sent_at",
        "reply_to",
    }
    assert first["reply_to"] is None  # fields are only added: present, empty where none
    outbox.clear()
    assert outbox.entries() == []


def test_page_escapes_message_content() -> None:
    outbox = Outbox(lambda: NOW)
    outbox.record(channel="email", to="<x>", subject="<script>alert(1)</script>", html_body="<b>hi</b>")
    page = render_page(outbox.entries())
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<b>hi</b>" not in page


def test_ses_v1_with_tags() -> None:
    message = _describe(
        "ses.SendEmail",
        {
            "Source": "a@example.com",
            "Destination": {"ToAddresses": ["l@example.com", "m@example.com"]},
            "Message": {
                "Subject": {"Data": "S"},
                "Body": {"Text": {"Data": "T"}, "Html": {"Data": "<p>H</p>"}},
            },
            "Tags": [{"Name": "kind", "Value": "escalation"}, {"Name": "case_id", "Value": "C-9"}],
        },
    )
    assert message == {
        "channel": "email",
        "to": "l@example.com, m@example.com",
        "subject": "S",
        "text": "T",
        "html_body": "<p>H</p>",
        "kind": "escalation",
        "case_id": "C-9",
    }


def test_sesv2_simple_and_raw() -> None:
    simple = _describe(
        "sesv2.SendEmail",
        {
            "Destination": {"ToAddresses": ["c@example.com"]},
            "Content": {"Simple": {"Subject": {"Data": "Sorry"}, "Body": {"Text": {"Data": "We will call"}}}},
            "EmailTags": [{"Name": "kind", "Value": "customer_ack"}],
        },
    )
    assert simple is not None
    assert (simple["to"], simple["subject"], simple["kind"], simple["case_id"]) == (
        "c@example.com",
        "Sorry",
        "customer_ack",
        None,
    )
    raw = (
        b"From: a@example.com\r\nTo: d@example.com\r\nSubject: Digest\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nplain https://x.example/d\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n"
    )
    parsed = _describe("sesv2.SendEmail", {"Content": {"Raw": {"Data": raw}}})
    assert parsed is not None
    assert (parsed["to"], parsed["subject"]) == ("d@example.com", "Digest")
    assert (
        parsed["text"].strip() == "plain https://x.example/d" and parsed["html_body"].strip() == "<p>html</p>"
    )


def test_sns_sms_only() -> None:
    sms = _describe(
        "sns.Publish",
        {
            "PhoneNumber": "+4791234567",
            "Message": "m",
            "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "alert"}},
        },
    )
    assert sms == {"channel": "sms", "to": "+4791234567", "text": "m", "kind": "alert", "case_id": None}
    assert _describe("sns.Publish", {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "m"}) is None


class _Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []
        self.meta: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.frames.append(dict(attrs))
        if tag == "meta":
            self.meta.append(dict(attrs))


def test_page_fits_a_phone_and_shows_an_email_rendered_in_a_sandbox_with_its_text() -> None:
    # GIVEN an email with HTML that tries to run a script, and its text part
    outbox = Outbox(lambda: NOW)
    document = (
        "<!DOCTYPE html><html><head><title>x</title></head>"
        "<body><b>hi</b><script>alert(1)</script></body></html>"
    )
    outbox.record(channel="email", to="l@example.com", subject="S", text="plain words", html_body=document)
    # WHEN the page is made
    page = render_page(outbox.entries())
    parsed = _Frames()
    parsed.feed(page)
    # THEN it has a viewport, and a policy that allows no script
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in parsed.meta
    policy = next(m["content"] for m in parsed.meta if m.get("http-equiv") == "Content-Security-Policy")
    assert policy is not None and "default-src 'none'" in policy and "script" not in policy
    # AND the email is shown rendered in one sandboxed frame that may not run scripts, its HTML escaped
    (frame,) = parsed.frames
    sandbox = frame["sandbox"]
    assert sandbox is not None and "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    srcdoc = frame["srcdoc"] or ""
    assert srcdoc.startswith("<!DOCTYPE html><html><head><base") and srcdoc.endswith(document[-40:])
    assert "<b>hi</b>" not in page and "<script>" not in page
    # AND the text part is on the page too
    assert "plain words" in page


def test_an_emails_reply_to_is_shown_and_older_entries_read_as_having_none() -> None:
    # GIVEN a raw customer email with a Reply-To, and an entry saved before the field existed
    raw = (
        b"From: alerts@example.com\r\nTo: ada@example.com\r\nSubject: Sorry\r\n"
        b"Reply-To: reply+abcdefghijklmnopqrst@reply.recovery.localhost\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nWe are sorry.\r\n"
    )
    described = _describe(
        "ses.SendRawEmail", {"RawMessage": {"Data": raw}, "Destinations": ["ada@example.com"]}
    )
    assert described is not None
    saved = {"id": "old", "channel": "sms", "to": "+4791234567", "sent_at": "2026-11-22T10:00:00.000Z"}
    outbox = Outbox(lambda: NOW, [saved])
    outbox.record(**described)
    # THEN the email shows its Reply-To, the SMS and the older entry none, and the page shows it
    old, email = outbox.entries()
    assert email["reply_to"] == "reply+abcdefghijklmnopqrst@reply.recovery.localhost"
    assert old["reply_to"] is None
    assert "reply to reply+abcdefghijklmnopqrst@reply.recovery.localhost" in render_page(outbox.entries())
