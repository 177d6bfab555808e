"""Senders: the SES and SNS calls the AWS provider makes, error classification, retries with backoff."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from moto import mock_aws

from recovery.notify.senders import (
    AwsSender,
    RecordingSender,
    SendFailed,
    classify_error,
    send_with_retry,
    tag_value,
)

REGION = "us-east-1"
SENDER = "alerts@recovery.example.com"
TAGS = {"kind": "alert", "case_id": "cs_0123456789abcdef01234567"}


def capture(client: Any, operation: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []  # the API parameters, as the caller passed them
    client.meta.events.register(
        f"before-parameter-build.{client.meta.service_model.service_name}.{operation}",
        lambda params, **_: calls.append(params),
    )
    return calls


@pytest.fixture
def aws():
    with mock_aws():
        ses = boto3.client("ses", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        ses.verify_email_identity(EmailAddress=SENDER)
        yield ses, sns


def test_email_goes_through_ses_with_tags_and_the_configuration_set(aws):
    # GIVEN a sender with a configuration set
    ses, sns = aws
    ses.create_configuration_set(ConfigurationSet={"Name": "recovery-events"})
    calls = capture(ses, "SendEmail")
    sender = AwsSender(ses, sns, SENDER, "recovery-events")

    # WHEN an alert email is sent with a tag value SES would refuse
    message_id = sender.send_email(
        "lead@example.com", "P1 alert", "text body", "<p>html body</p>", {**TAGS, "team": "support emea/øst"}
    )

    # THEN SES got one well-formed SendEmail
    assert message_id
    assert calls == [
        {
            "Source": SENDER,
            "Destination": {"ToAddresses": ["lead@example.com"]},
            "Message": {
                "Subject": {"Data": "P1 alert", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "text body", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>html body</p>", "Charset": "UTF-8"},
                },
            },
            "Tags": [
                {"Name": "kind", "Value": "alert"},
                {"Name": "case_id", "Value": "cs_0123456789abcdef01234567"},
                {"Name": "team", "Value": "support_emea__st"},
            ],
            "ConfigurationSetName": "recovery-events",
        }
    ]
    assert ses.get_send_statistics()["SendDataPoints"][0]["DeliveryAttempts"] == 1


def test_email_without_a_configuration_set_leaves_it_out(aws):
    ses, sns = aws
    calls = capture(ses, "SendEmail")
    AwsSender(ses, sns, SENDER, None).send_email("lead@example.com", "s", "t", "<p>h</p>", TAGS)
    assert "ConfigurationSetName" not in calls[0]


def test_an_unverified_sender_is_a_permanent_failure(aws):
    ses, sns = aws
    sender = AwsSender(ses, sns, "nobody@unverified.example.org", None)
    with pytest.raises(SendFailed) as failure:
        sender.send_email("lead@example.com", "s", "t", "<p>h</p>", TAGS)
    assert failure.value.transient is False
    assert failure.value.code == "MessageRejected"


def test_sms_goes_through_sns_as_transactional_with_kind_and_case_id(aws):
    ses, sns = aws
    calls = capture(sns, "Publish")
    message_id = AwsSender(ses, sns, SENDER, None).send_sms("+4791234567", "P1 NPS 3/10 https://x/a/c", TAGS)
    assert message_id
    assert calls == [
        {
            "PhoneNumber": "+4791234567",
            "Message": "P1 NPS 3/10 https://x/a/c",
            "MessageAttributes": {
                "kind": {"DataType": "String", "StringValue": "alert"},
                "case_id": {"DataType": "String", "StringValue": "cs_0123456789abcdef01234567"},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        }
    ]


def test_an_opted_out_number_is_refused_before_publishing(aws):
    # moto reports every number ending in 99 as opted out
    ses, sns = aws
    calls = capture(sns, "Publish")
    with pytest.raises(SendFailed) as failure:
        AwsSender(ses, sns, SENDER, None).send_sms("+4791234599", "text", TAGS)
    assert (failure.value.transient, failure.value.code) == (False, "OptedOut")
    assert calls == []


@pytest.mark.parametrize("number", ["91234567", "+47123", "+4791234567x", "not a number"])
def test_an_invalid_number_is_refused_without_calling_sns(aws, number):
    ses, sns = aws
    calls = capture(sns, "Publish")
    with pytest.raises(SendFailed) as failure:
        AwsSender(ses, sns, SENDER, None).send_sms(number, "text", TAGS)
    assert failure.value.transient is False
    assert calls == []


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "SendEmail"
    )


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (client_error("Throttling"), True),
        (client_error("ThrottlingException"), True),
        (client_error("ServiceUnavailable", 503), True),
        (client_error("InternalFailure", 500), True),
        (client_error("InternalError", 500), True),
        (client_error("SomethingNew", 502), True),
        (EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"), True),
        (ConnectTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"), True),
        (ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"), True),
        (client_error("MessageRejected"), False),
        (client_error("MailFromDomainNotVerified"), False),
        (client_error("InvalidParameter"), False),
        (client_error("OptedOut"), False),
        (ParamValidationError(report="bad"), False),
    ],
)
def test_classify_error(error, transient):
    assert classify_error(error).transient is transient


def test_classify_error_refuses_other_exceptions():
    with pytest.raises(TypeError):
        classify_error(ValueError("x"))


def test_a_throttled_ses_call_surfaces_as_transient(aws):
    ses, sns = aws

    def throttle(**_):
        raise client_error("Throttling")

    ses.meta.events.register("before-call.ses.SendEmail", throttle)
    with pytest.raises(SendFailed) as failure:
        AwsSender(ses, sns, SENDER, None).send_email("lead@example.com", "s", "t", "<p>h</p>", TAGS)
    assert failure.value.transient is True


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("cs_abc-123_X", "cs_abc-123_X"),
        ("a b/c", "a_b_c"),
        ("x.y@z", "x_y_z"),
        ("", "_"),
        ("ø" * 300, "_" * 256),
    ],
)
def test_tag_value(raw, clean):
    assert tag_value(raw) == clean


def test_retry_delivers_after_transient_failures_with_growing_jittered_waits():
    # GIVEN a provider that is throttled twice
    sender = RecordingSender()
    sender.fail_next(2, transient=True)
    waits: list[float] = []
    bounds: list[tuple[float, float]] = []

    def jitter(low: float, high: float) -> float:
        bounds.append((low, high))
        return high / 2

    # WHEN the send is retried
    message_id = send_with_retry(
        lambda: sender.send_sms("+4791234567", "hi", TAGS), sleep=waits.append, jitter=jitter
    )

    # THEN it is delivered on the third try, after full-jitter waits of 0.2 and 0.4 at most
    assert message_id == "fake-1"
    assert sender.attempts == 3
    assert [message.text for message in sender.sent] == ["hi"]
    assert bounds == [(0, 0.2), (0, 0.4)]
    assert waits == [0.1, 0.2]


def test_retry_gives_up_after_the_last_attempt_and_raises_the_last_failure():
    sender = RecordingSender()
    sender.fail_next(3, transient=True, code="ServiceUnavailable")
    waits: list[float] = []
    with pytest.raises(SendFailed) as failure:
        send_with_retry(lambda: sender.send_email("a@b.c", "s", "t", "h", TAGS), sleep=waits.append)
    assert failure.value.code == "ServiceUnavailable"
    assert sender.attempts == 3
    assert sender.sent == []
    assert len(waits) == 2
    assert 0 <= waits[0] <= 0.2 and 0 <= waits[1] <= 0.4


def test_retry_never_repeats_a_permanent_failure():
    sender = RecordingSender()
    sender.fail_next(1, transient=False)
    waits: list[float] = []
    with pytest.raises(SendFailed) as failure:
        send_with_retry(lambda: sender.send_email("a@b.c", "s", "t", "h", TAGS), sleep=waits.append)
    assert failure.value.code == "MessageRejected"
    assert sender.attempts == 1
    assert waits == []


def test_retry_lets_other_errors_through_at_once():
    calls = []

    def broken() -> str:
        calls.append(1)
        raise KeyError("bug")

    with pytest.raises(KeyError):
        send_with_retry(broken, sleep=lambda _: None)
    assert calls == [1]


def test_retry_with_the_real_provider_delivers_after_a_throttle(aws):
    ses, sns = aws
    throttles = [client_error("Throttling")]

    def throttle_once(**_):
        if throttles:
            raise throttles.pop()

    ses.meta.events.register("before-call.ses.SendEmail", throttle_once)
    sender = AwsSender(ses, sns, SENDER, None)
    waits: list[float] = []
    message_id = send_with_retry(
        lambda: sender.send_email("lead@example.com", "s", "t", "<p>h</p>", TAGS), sleep=waits.append
    )
    assert message_id and len(waits) == 1


def test_recording_sender_keeps_what_was_sent_and_honours_opt_outs():
    sender = RecordingSender(opted_out={"+4791234599"})
    sender.send_email("lead@example.com", "Subject", "text", "<p>html</p>", TAGS)
    with pytest.raises(SendFailed):
        sender.send_sms("+4791234599", "text", TAGS)
    (email,) = sender.sent
    assert (email.channel, email.to, email.subject, email.tags["kind"]) == (
        "email",
        "lead@example.com",
        "Subject",
        "alert",
    )


def test_attempts_must_be_positive():
    with pytest.raises(ValueError, match="attempts"):
        send_with_retry(lambda: "x", attempts=0)


@pytest.mark.parametrize(
    ("subject", "to"),
    [
        ("Hi\r\nBcc: x@example.org", "ada@example.com"),
        ("Hi\x85there", "ada@example.com"),
        ("Hi", "ada@example.com\nBcc: x@example.org"),
    ],
)
def test_composing_refuses_a_header_with_a_line_break(subject: str, to: str) -> None:
    from recovery.notify.senders import UnsendableMessage

    sender = RecordingSender()
    with pytest.raises(UnsendableMessage, match="cannot be built"):
        sender.compose_raw_email(to, subject, "text", "<p>html</p>", {"X-A": "1"})
    with pytest.raises(UnsendableMessage):
        AwsSender(None, None, SENDER).compose_raw_email(to, subject, "text", "<p>html</p>", {})
    assert sender.attempts == 0 and sender.sent == []


def test_composing_refuses_text_that_is_not_unicode() -> None:
    from recovery.notify.senders import UnsendableMessage

    with pytest.raises(UnsendableMessage):
        RecordingSender().compose_raw_email("ada@example.com", "Hi", "lone \ud800", "<p>x</p>", {})


def test_the_aws_sender_sends_the_composed_bytes_as_they_are(aws):
    ses, sns = aws
    sent: list[dict[str, Any]] = []
    ses.meta.events.register(
        "before-parameter-build.ses.SendRawEmail", lambda params, **_: sent.append(params)
    )
    sender = AwsSender(ses, sns, SENDER)
    composed = sender.compose_raw_email("ada@example.com", "Refund", "text", "<p>html</p>", {"X-A": "1"})
    assert composed.data.startswith(b"From: " + SENDER.encode())
    message_id = sender.send_composed_email(composed, TAGS)
    assert message_id and sent[0]["RawMessage"]["Data"] == composed.data
    assert sent[0]["Destinations"] == ["ada@example.com"]


def test_what_a_send_raised_becomes_a_permanent_send_failure() -> None:
    from recovery.notify.senders import UnsendableMessage, as_send_failed

    own = SendFailed("Throttling", transient=True, code="Throttling")
    assert as_send_failed(own) is own
    defect = as_send_failed(KeyError("a@example.com"))
    assert (defect.transient, defect.code, str(defect)) == (False, "SenderError", "SenderError: KeyError")
    refused = as_send_failed(UnsendableMessage("header"))
    assert (refused.transient, refused.code) == (False, "Unsendable")
