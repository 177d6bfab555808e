"""Inbound customer messages, as AWS delivers them: `POST /_local/inbound` in the runtime, and tests.

- An email is built as a MIME message, stored in the template's inbound mail bucket under `inbound/`
  (as the SES receipt rule's S3 action does) and announced with the notification SES publishes to the
  rule's topic (`notificationType: Received`, `receipt.action` naming the bucket and key).
- An SMS is the JSON document AWS End User Messaging two-way SMS publishes to the phone number's topic.

Either is then published to its SNS topic and reaches the functions subscribed to it (`SnsFanout`):
SNS -> Lambda subscriptions in the template are delivered by the runtime, asynchronously with Lambda's
retries, as bus events are.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from local.clock import iso
from local.refs import ACCOUNT_ID, Names, resolve
from local.template import Template

LOCAL_REPLY_DOMAIN = "reply.recovery.localhost"  # the runtime's ReplyDomain: customer emails' Reply-To
MAIL_PREFIX = "inbound/"
TEXT_LIMIT = 100_000  # characters of text or subject the endpoint accepts
LOCAL_NUMBER = "+12065550100"  # the number customers text in the runtime (a reserved 555 number)


class BadInbound(ValueError):
    """The request body is not an inbound message; `pointer` names the field."""

    def __init__(self, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.pointer = pointer


@dataclass(frozen=True)
class InboundEmail:
    sender: str
    to: str
    subject: str
    text: str


@dataclass(frozen=True)
class InboundSms:
    sender: str
    text: str


def parse_request(document: Any) -> InboundEmail | InboundSms:
    """`{"channel": "email", "from", "to", "subject", "text"}` or `{"channel": "sms", "from", "text"}`."""
    if not isinstance(document, dict):
        raise BadInbound(
            'send {"channel": "email", "from", "to", "subject", "text"} or {"channel": "sms", ...}'
        )
    channel = document.get("channel")
    if channel not in ("email", "sms"):
        raise BadInbound('channel must be "email" or "sms"', "/channel")
    fields = (
        ("channel", "from", "to", "subject", "text") if channel == "email" else ("channel", "from", "text")
    )
    unknown = sorted(set(document) - set(fields))
    if unknown:
        raise BadInbound(f"unknown field /{unknown[0]} for {channel}", f"/{unknown[0]}")
    required = ("from", "to", "text") if channel == "email" else ("from", "text")
    for name in required:
        if not isinstance(document.get(name), str) or not document[name].strip():
            raise BadInbound(f"{name} must be a non-empty string", f"/{name}")
    subject = document.get("subject", "")
    if not isinstance(subject, str):
        raise BadInbound("subject must be a string", "/subject")
    for name in ("from", "to", "subject", "text"):
        value = document.get(name)
        if isinstance(value, str):
            if len(value) > TEXT_LIMIT:
                raise BadInbound(f"{name} is longer than {TEXT_LIMIT} characters", f"/{name}")
            if name != "text" and any(char in value for char in "\r\n\x00"):
                raise BadInbound(f"{name} must be one line", f"/{name}")
            try:
                value.encode("utf-8")
            except UnicodeError:
                raise BadInbound(f"{name} is not valid text", f"/{name}") from None
    if channel == "email":
        for name in ("from", "to"):
            if "@" not in document[name]:
                raise BadInbound(f"{name} must be an email address", f"/{name}")
        return InboundEmail(document["from"].strip(), document["to"].strip(), subject, document["text"])
    return InboundSms(document["from"].strip(), document["text"])


def mime(message: InboundEmail, now: datetime) -> bytes:
    """The email as a mail client would send it: text/plain in UTF-8."""
    built = EmailMessage()
    built["From"] = message.sender
    built["To"] = message.to
    built["Subject"] = message.subject
    built["Date"] = format_datetime(now)
    built["Message-ID"] = make_msgid(domain="inbound.localhost")
    built.set_content(message.text)
    return built.as_bytes()


def ses_notification(
    *,
    bucket: str,
    key: str,
    message_id: str,
    sender: str,
    recipients: list[str],
    topic_arn: str,
    now: datetime,
) -> dict[str, Any]:
    """The notification SES receiving publishes after its S3 action stored a message."""
    stamp = iso(now)
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": stamp,
            "source": sender,
            "messageId": message_id,
            "destination": recipients,
            "headersTruncated": False,
            "commonHeaders": {"from": [sender], "to": recipients},
        },
        "receipt": {
            "timestamp": stamp,
            "processingTimeMillis": 12,
            "recipients": recipients,
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": {
                "type": "S3",
                "topicArn": topic_arn,
                "bucketName": bucket,
                "objectKeyPrefix": MAIL_PREFIX,
                "objectKey": key,
            },
        },
    }


def sms_message(sender: str, text: str, message_id: str) -> dict[str, Any]:
    """The message two-way SMS publishes for a text to our number."""
    return {
        "originationNumber": sender,
        "destinationNumber": LOCAL_NUMBER,
        "messageKeyword": "KEYWORD_" + ACCOUNT_ID,
        "messageBody": text,
        "inboundMessageId": message_id,
        "previousPublishedMessageId": uuid.uuid4().hex,
    }


def sns_event(topic_arn: str, message: str, now: datetime) -> dict[str, Any]:
    """The event SNS invokes a subscribed function with, for one message."""
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": iso(now),
                    "Signature": "local",
                    "SigningCertUrl": "https://sns.local/SimpleNotificationService.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": message,
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "https://sns.local/?Action=Unsubscribe",
                    "TopicArn": topic_arn,
                    "Subject": None,
                },
            }
        ]
    }


def lambda_subscriptions(template: Template, names: Names) -> dict[str, list[str]]:
    """Topic ARN -> the functions (logical ids) subscribed to it, from the template's subscriptions."""
    by_arn = {str(names.get_att(logical_id, "Arn")): logical_id for logical_id in template.functions}
    by_name = {str(names.ref(logical_id)): logical_id for logical_id in template.functions}
    found: dict[str, list[str]] = {}
    for properties in template.of_type("AWS::SNS::Subscription").values():
        spec = resolve(properties, names)
        if spec.get("Protocol") != "lambda":
            continue
        endpoint = str(spec.get("Endpoint", ""))
        function = by_arn.get(endpoint) or by_name.get(endpoint.rsplit(":", 1)[-1])
        if function is not None:
            found.setdefault(str(spec["TopicArn"]), []).append(function)
    return found


class SnsFanout:
    """Delivers a message published to a topic to the functions subscribed to it, as SNS does."""

    def __init__(
        self,
        subscriptions: dict[str, list[str]],
        invoke_async: Callable[[str, Any], bool],
        now: Callable[[], datetime],
    ) -> None:
        self.subscriptions = subscriptions
        self._invoke = invoke_async
        self._now = now

    def publish(self, topic_arn: str, message: str) -> int:
        """Invoke every subscriber (asynchronously, with its retries); the number of them that succeeded."""
        delivered = 0
        for function in self.subscriptions.get(topic_arn, []):
            if self._invoke(function, sns_event(topic_arn, message, self._now())):
                delivered += 1
        return delivered


def topic_of(template: Template, names: Names, logical_id: str) -> str | None:
    """The ARN of a topic the template declares, or None when it does not."""
    if logical_id not in template.resources:
        return None
    return str(names.ref(logical_id))


def stored_mail_key(message_id: str) -> str:
    return f"{MAIL_PREFIX}{message_id}"


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False)


class InboundUnavailable(RuntimeError):
    """The template declares no topic (or bucket) for this kind of inbound message."""


class InboundDelivery:
    """`POST /_local/inbound`: an email stored in the inbound mail bucket and announced as SES would, or a
    text published as two-way SMS would; each reaches the functions subscribed to its topic."""

    def __init__(
        self,
        template: Template,
        names: Names,
        clients: Any,
        lock: Any,
        fanout: SnsFanout,
        now: Callable[[], datetime],
    ) -> None:
        self.mail_topic = topic_of(template, names, "InboundMailTopic")
        self.sms_topic = topic_of(template, names, "InboundSmsTopic")
        self.bucket = (
            str(names.ref("InboundMailBucket")) if "InboundMailBucket" in template.resources else None
        )
        self._clients = clients
        self._lock = lock
        self._fanout = fanout
        self._now = now

    def deliver(self, document: Any) -> dict[str, Any]:
        """Raises BadInbound for a body that is not an inbound message, InboundUnavailable when the
        template has nowhere to deliver it."""
        from local import iam

        message = parse_request(document)
        now = self._now()
        message_id = uuid.uuid4().hex
        if isinstance(message, InboundEmail):
            if self.mail_topic is None or self.bucket is None:
                raise InboundUnavailable("the template declares no InboundMailTopic and InboundMailBucket")
            key = stored_mail_key(message_id)
            with self._lock, iam.acting_as(None):  # SES stores it, not a function
                self._clients.s3.put_object(Bucket=self.bucket, Key=key, Body=mime(message, now))
            notification = ses_notification(
                bucket=self.bucket,
                key=key,
                message_id=message_id,
                sender=message.sender,
                recipients=[message.to],
                topic_arn=self.mail_topic,
                now=now,
            )
            delivered = self._fanout.publish(self.mail_topic, dumps(notification))
            return {"channel": "email", "message_id": message_id, "delivered_to": delivered}
        if self.sms_topic is None:
            raise InboundUnavailable("the template declares no InboundSmsTopic")
        delivered = self._fanout.publish(
            self.sms_topic, dumps(sms_message(message.sender, message.text, message_id))
        )
        return {"channel": "sms", "message_id": message_id, "delivered_to": delivered}
