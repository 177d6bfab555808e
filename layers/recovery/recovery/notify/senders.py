"""The port that sends email and SMS, its AWS provider (SES v1 and SNS) and an in-memory fake.

`send_raw_email` is for messages that need their own headers (customer emails carry List-Unsubscribe):
it builds the MIME message and sends it with SES `SendRawEmail`. A caller that must know the message can
be built before it writes anything (a delivery row, a case's timeline) composes it first
(`compose_raw_email`, which raises `UnsendableMessage` for a header with a line break, say) and sends
exactly those bytes later (`send_composed_email`).

Callers see one failure type, `SendFailed`, which says whether trying again can help: throttling, 5xx and
network errors are transient and retried with backoff; a rejected message or an opted-out number is
permanent, and retrying it only burns quota.

Every send carries the tags `kind` and `case_id`: SES keeps them as message tags (they reach the bounce
and complaint events) and SNS as message attributes; the embedded runtime's outbox reads both.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

T = TypeVar("T")

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalErrorException",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "KMSThrottlingException",
    }
)

# SES v1 MessageTag (API reference): ASCII letters, digits, "_" and "-" only, at most 256 characters, for
# names and values alike. Anything else rejects the whole message, so it is replaced, never sent.
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_TAG_MAX = 256


class SendFailed(Exception):
    """A message was not sent. `transient` says whether the same call may succeed later."""

    def __init__(self, message: str, *, transient: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


class UnsendableMessage(ValueError):
    """The message cannot be built as given (a header with a line break, text that is not valid Unicode):
    nothing was sent, and sending it again cannot help."""


@dataclass(frozen=True)
class RawEmail:
    """An email built whole, headers included, exactly as it will be sent: `data` is SES's raw message."""

    to: str
    subject: str
    text: str
    html: str
    headers: Mapping[str, str]
    data: bytes


def as_send_failed(error: Exception) -> SendFailed:
    """`error` as the SendFailed a caller's failure path handles: itself, or, for anything else a send
    raised (a defect, a library refusing the message), a permanent failure named by its type. The caller
    marks the delivery row failed instead of leaving it `sending`; the traceback is logged (masked)."""
    if isinstance(error, SendFailed):
        return error
    from recovery.observability import logger

    logger.exception("a send raised", extra={"error": type(error).__name__})
    code = "Unsendable" if isinstance(error, UnsendableMessage) else "SenderError"
    return SendFailed(f"{code}: {type(error).__name__}", transient=False, code=code)


class Sender(Protocol):
    """Sends one message and answers with the provider's message id, or raises SendFailed."""

    def send_email(self, to: str, subject: str, text: str, html: str, tags: Mapping[str, str]) -> str: ...

    def send_sms(self, to: str, text: str, tags: Mapping[str, str]) -> str: ...

    def send_raw_email(
        self, to: str, subject: str, text: str, html: str, tags: Mapping[str, str], headers: Mapping[str, str]
    ) -> str:
        """An email with extra headers (List-Unsubscribe, for one): SES `SendRawEmail`."""
        ...

    def compose_raw_email(
        self, to: str, subject: str, text: str, html: str, headers: Mapping[str, str]
    ) -> RawEmail:
        """The MIME message `send_raw_email` would send, built now; `UnsendableMessage` if it cannot be."""
        ...

    def send_composed_email(self, email: RawEmail, tags: Mapping[str, str]) -> str:
        """Send a composed email's bytes as they are."""
        ...


def tag_value(value: str) -> str:
    """A value SES accepts as a message tag (it rejects the whole message otherwise)."""
    return _TAG_UNSAFE.sub("_", value)[:_TAG_MAX] or "_"


def classify_error(error: Exception) -> SendFailed:
    """The SendFailed for an error raised by a botocore client."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        transient = code in TRANSIENT_CODES or status >= 500
        return SendFailed(f"{code}: {details.get('Message', '')}", transient=transient, code=code)
    if isinstance(error, BotoConnectionError | HTTPClientError):
        # Connect and read timeouts, refused or dropped connections.
        return SendFailed(str(error), transient=True, code=type(error).__name__)
    if isinstance(error, BotoCoreError):
        return SendFailed(str(error), transient=False, code=type(error).__name__)
    raise TypeError(f"not a botocore error: {type(error).__name__}") from error


def _is_e164(number: str) -> bool:
    import phonenumbers  # only the SMS path needs its metadata: import it there

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return number.startswith("+") and phonenumbers.is_valid_number(parsed)


class AwsSender:
    """Sends through SES (v1 `SendEmail`) and SNS (`Publish` to a phone number)."""

    def __init__(
        self, ses_client: Any, sns_client: Any, sender_address: str, configuration_set: str | None = None
    ) -> None:
        self._ses = ses_client
        self._sns = sns_client
        self._source = sender_address
        self._configuration_set = configuration_set

    def send_email(self, to: str, subject: str, text: str, html: str, tags: Mapping[str, str]) -> str:
        request: dict[str, Any] = {
            "Source": self._source,
            "Destination": {"ToAddresses": [to]},
            "Message": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": text, "Charset": "UTF-8"},
                    "Html": {"Data": html, "Charset": "UTF-8"},
                },
            },
        }
        if tags:
            request["Tags"] = [
                {"Name": tag_value(name), "Value": tag_value(value)} for name, value in tags.items()
            ]
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._ses.send_email(**request)
        except (ClientError, BotoCoreError) as error:
            raise classify_error(error) from error
        return str(response["MessageId"])

    def send_raw_email(
        self, to: str, subject: str, text: str, html: str, tags: Mapping[str, str], headers: Mapping[str, str]
    ) -> str:
        return self.send_composed_email(self.compose_raw_email(to, subject, text, html, headers), tags)

    def compose_raw_email(
        self, to: str, subject: str, text: str, html: str, headers: Mapping[str, str]
    ) -> RawEmail:
        data = mime_message(self._source, to, subject, text, html, headers)
        return RawEmail(to, subject, text, html, dict(headers), data)

    def send_composed_email(self, email: RawEmail, tags: Mapping[str, str]) -> str:
        request: dict[str, Any] = {
            "Source": self._source,
            "Destinations": [email.to],
            "RawMessage": {"Data": email.data},
        }
        if tags:
            request["Tags"] = [
                {"Name": tag_value(name), "Value": tag_value(value)} for name, value in tags.items()
            ]
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._ses.send_raw_email(**request)
        except (ClientError, BotoCoreError) as error:
            raise classify_error(error) from error
        return str(response["MessageId"])

    def send_sms(self, to: str, text: str, tags: Mapping[str, str]) -> str:
        # SNS accepts numbers it cannot deliver to, and sends to opted-out ones nowhere, silently.
        if not _is_e164(to):
            raise SendFailed("not a valid E.164 phone number", transient=False, code="InvalidParameter")
        attributes = {
            name: {"DataType": "String", "StringValue": value} for name, value in tags.items() if value
        }
        attributes["AWS.SNS.SMS.SMSType"] = {"DataType": "String", "StringValue": "Transactional"}
        try:
            if self._sns.check_if_phone_number_is_opted_out(phoneNumber=to)["isOptedOut"]:
                raise SendFailed("the number has opted out of SMS", transient=False, code="OptedOut")
            response = self._sns.publish(PhoneNumber=to, Message=text, MessageAttributes=attributes)
        except (ClientError, BotoCoreError) as error:
            raise classify_error(error) from error
        return str(response["MessageId"])


def mime_message(
    source: str, to: str, subject: str, text: str, html: str, headers: Mapping[str, str]
) -> bytes:
    """A multipart/alternative message (text, then HTML) in UTF-8 with extra headers, as SES raw data.

    `UnsendableMessage` when the email library refuses it: a header value with a line break (CR, LF and
    the other characters Python counts as one: VT, FF, FS, GS, RS, NEL, U+2028, U+2029), or text that is
    not valid Unicode (a lone surrogate)."""
    from email.errors import MessageError
    from email.message import EmailMessage
    from email.policy import SMTP

    try:
        message = EmailMessage(policy=SMTP)
        message["From"] = source
        message["To"] = to
        message["Subject"] = subject
        for name, value in headers.items():
            message[name] = value
        message.set_content(text, charset="utf-8")
        message.add_alternative(html, subtype="html", charset="utf-8")
        return message.as_bytes()
    except (ValueError, TypeError, MessageError) as error:  # UnicodeError is a ValueError
        raise UnsendableMessage(f"the email cannot be built: {error}") from error


def send_with_retry(
    call: Callable[[], T],
    attempts: int = 3,
    base_delay: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[float, float], float] = random.uniform,
) -> T:
    """`call()`, tried up to `attempts` times while it fails transiently.

    Waits with exponential backoff and full jitter (uniform between 0 and base * 2**retry), so retries from
    many alerts throttled together spread out instead of arriving in step. A permanent failure, or the last
    transient one, is raised as is.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return call()
        except SendFailed as failure:
            if not failure.transient or attempt == attempts - 1:
                raise
            sleep(jitter(0, base_delay * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class SentMessage:
    channel: Literal["email", "sms"]
    to: str
    text: str
    tags: Mapping[str, str]
    message_id: str
    subject: str | None = None
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a raw email's bytes, as composed


@dataclass
class RecordingSender:
    """An in-memory Sender for unit tests: records what was sent, and fails on request. Raw emails are
    composed with the real MIME builder, so a message the library refuses is refused here too."""

    sent: list[SentMessage] = field(default_factory=list)
    attempts: int = 0
    opted_out: set[str] = field(default_factory=set)
    source: str = "alerts@example.com"
    _failures: list[SendFailed] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, times: int = 1, *, transient: bool = True, code: str | None = None) -> None:
        """Make the next `times` sends fail, transiently (throttled) or permanently (rejected)."""
        code = code or ("Throttling" if transient else "MessageRejected")
        self._failures.extend(SendFailed(code, transient=transient, code=code) for _ in range(times))

    def _attempt(self) -> None:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)

    def _record(self, message: dict[str, Any]) -> str:
        message_id = f"fake-{next(self._ids)}"
        self.sent.append(SentMessage(message_id=message_id, **message))
        return message_id

    def send_email(self, to: str, subject: str, text: str, html: str, tags: Mapping[str, str]) -> str:
        self._attempt()
        return self._record(
            {"channel": "email", "to": to, "subject": subject, "text": text, "html": html, "tags": dict(tags)}
        )

    def send_raw_email(
        self, to: str, subject: str, text: str, html: str, tags: Mapping[str, str], headers: Mapping[str, str]
    ) -> str:
        return self.send_composed_email(self.compose_raw_email(to, subject, text, html, headers), tags)

    def compose_raw_email(
        self, to: str, subject: str, text: str, html: str, headers: Mapping[str, str]
    ) -> RawEmail:
        data = mime_message(self.source, to, subject, text, html, headers)
        return RawEmail(to, subject, text, html, dict(headers), data)

    def send_composed_email(self, email: RawEmail, tags: Mapping[str, str]) -> str:
        self._attempt()
        return self._record(
            {
                "channel": "email",
                "to": email.to,
                "subject": email.subject,
                "text": email.text,
                "html": email.html,
                "tags": dict(tags),
                "headers": dict(email.headers),
                "raw": email.data,
            }
        )

    def send_sms(self, to: str, text: str, tags: Mapping[str, str]) -> str:
        self._attempt()
        if to in self.opted_out:
            raise SendFailed("the number has opted out of SMS", transient=False, code="OptedOut")
        return self._record({"channel": "sms", "to": to, "text": text, "tags": dict(tags)})
