"""A customer's reply, by email or SMS, threaded onto their case; STOP by SMS opts the number out.

Public interface (the inbound function calls it with each SNS message it receives):

    replies = InboundReplies(mail, links_store, reply_store, case_store, preferences, address_hash,
                             reply_domain="reply.example.com", bucket="<inbound mail bucket>")
    outcome = replies.handle(message_text, now)   # an SNS message body: SES receiving or two-way SMS

**Email.** SES receiving stores the raw message in S3 and publishes a notification (`notificationType`
`Received`, `receipt.action` naming the bucket and key). The reply is threaded when, in order:
1. the message id was not threaded before (a retried notification writes nothing twice);
2. SES found no virus and no spam;
3. a recipient is `reply+<code>@<reply domain>` and the code resolves to a live `reply` grant (its
   subject is the case; codes are reusable until they expire, 180 days after the email);
4. the From address is the case customer's email, compared by the keyed hash addresses are kept by.
The text is the text/plain part (else the text of the HTML part) of at most the message's first 256 KB;
quoted history is cut by `recovery.domain.replies.new_text`; it is sanitised and kept to 2000 characters
(`truncated` says when cut). Attachments are never read or stored. The S3 object is deleted once the
message is handled, threaded or dropped.

**SMS.** AWS End User Messaging two-way SMS publishes `{"originationNumber", "messageBody",
"inboundMessageId", ...}`. The sender's number (E.164, by its keyed hash) finds the cases it was texted
about; the open one opened last, else the latest. A text that is only an opt-out keyword (STOP and its
translations, `recovery.domain.customer_replies.STOP_WORDS`) opts the customer out of SMS, as the
unsubscribe page does, and writes `customer_unreachable` `{channel: sms, reason: opted_out}`; any other
text is threaded like an email.

A thread is the timeline event `customer_reply` `{channel, text, truncated}` (actor `customer`),
written once per message id; a resolved case is reopened in the same transaction, as a lead's reopen
does it (`recovery.services.cases.reopen_case`, actor `system`). Anything else (an unknown sender, an
unknown, forged or expired code, a number never texted) is dropped with nothing stored, and logged with
its reason only: never the code, the address or the text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from recovery.domain import customer_replies as rules
from recovery.domain import links
from recovery.domain.contacts import e164
from recovery.domain.records import Case, Customer
from recovery.domain.replies import new_text
from recovery.observability import logger
from recovery.services.cases import reopen_case
from recovery.store.cases import CaseStore, StaleCase
from recovery.store.customer_messages import CustomerPreferences
from recovery.store.inbound_mail import InboundMail
from recovery.store.links import LinkStore
from recovery.store.replies import Duplicate, ReplyStore

Status = Literal["threaded", "opted_out", "duplicate", "dropped"]
REPLY = "customer_reply"
UNREACHABLE = "customer_unreachable"
_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    status: Status
    channel: str | None = None
    reason: str | None = None  # dropped: why (no address, code or text in it)
    case_id: str | None = None
    reopened: bool = False


class InboundReplies:
    def __init__(
        self,
        mail: InboundMail,
        links_store: LinkStore,
        replies: ReplyStore,
        cases: CaseStore,
        preferences: CustomerPreferences,
        address_hash: Callable[[str], str],
        reply_domain: str | None,
        bucket: str | None,
    ) -> None:
        self._mail = mail
        self._links = links_store
        self._replies = replies
        self._cases = cases
        self._preferences = preferences
        self._hash = address_hash
        self._domain = (reply_domain or "").strip().lower()
        self._bucket = bucket

    def handle(self, message: str, now: datetime) -> Outcome:
        """One SNS message: an SES receipt notification or a two-way SMS; anything else is dropped."""
        try:
            document = json.loads(message)
        except ValueError:
            return self._drop(None, "not_json")
        if not isinstance(document, dict):
            return self._drop(None, "not_a_notification")
        if document.get("notificationType") == "Received":
            return self.email(document, now)
        if "originationNumber" in document:
            return self.sms(document, now)
        return self._drop(None, "not_a_notification")

    # ------------------------------------------------------------------------------------------ email
    def email(self, notification: dict[str, Any], now: datetime) -> Outcome:
        receipt = _object(notification.get("receipt"))
        action = _object(receipt.get("action"))
        bucket, key = action.get("bucketName"), action.get("objectKey")
        message_id = _object(notification.get("mail")).get("messageId")
        message_id = message_id if isinstance(message_id, str) else ""
        if action.get("type") != "S3" or not isinstance(bucket, str) or not isinstance(key, str):
            return self._drop("email", "no_stored_message")
        if self._bucket is None or bucket != self._bucket:
            return self._drop("email", "foreign_bucket")  # never read a bucket that is not ours
        outcome = self._email(notification, receipt, bucket, key, message_id, now)
        self._mail.delete(bucket, key)  # handled either way: nothing of it is kept
        return outcome

    def _email(
        self,
        notification: dict[str, Any],
        receipt: dict[str, Any],
        bucket: str,
        key: str,
        message_id: str,
        now: datetime,
    ) -> Outcome:
        if not message_id:
            return self._drop("email", "no_message_id")
        if self._replies.seen(message_id):
            return Outcome("duplicate", "email")
        for verdict in ("virusVerdict", "spamVerdict"):
            if str(_object(receipt.get(verdict)).get("status", "")).upper() == "FAIL":
                return self._drop("email", verdict.removesuffix("Verdict"))
        listed = receipt.get("recipients")
        recipients = [item for item in listed if isinstance(item, str)] if isinstance(listed, list) else []
        code = rules.reply_code(recipients, self._domain)
        if code is None:
            return self._drop("email", "no_reply_address")
        grant = self._links.resolve_reply(code)
        verdict = links.check(grant, links.Purpose.REPLY, now)
        if grant is None or verdict is not links.Verdict.OK:
            return self._drop("email", f"code_{verdict.value}")
        raw = self._mail.read(bucket, key, rules.RAW_LIMIT)
        if raw is None:
            return self._drop("email", "message_gone")
        parsed = rules.parse(raw)
        case = self._cases.get(grant.subject)
        customer = self._cases.customer(case.customer_key) if case is not None else None
        address = rules.sender(parsed)
        if case is None or not self._same_email(customer, address):
            return self._drop("email", "unknown_sender")
        text, truncated = rules.bounded(new_text(rules.message_text(parsed)))
        return self._thread(case, message_id, "email", text, truncated, now)

    def _same_email(self, customer: Customer | None, address: str | None) -> bool:
        if customer is None or customer.erased_at is not None or not customer.email or not address:
            return False
        return self._hash(address) == self._hash(customer.email)

    # -------------------------------------------------------------------------------------------- sms
    def sms(self, message: dict[str, Any], now: datetime) -> Outcome:
        message_id = message.get("inboundMessageId")
        body = message.get("messageBody")
        if not isinstance(message_id, str) or not message_id or not isinstance(body, str):
            return self._drop("sms", "malformed")
        try:
            number = e164(str(message.get("originationNumber") or ""))
        except ValueError:
            return self._drop("sms", "bad_number")
        if self._replies.seen(message_id):
            return Outcome("duplicate", "sms")
        phone_hash = self._hash(number)
        case = self._texted_case(phone_hash)
        customer = self._cases.customer(case.customer_key) if case is not None else None
        if case is None or customer is None or customer.erased_at is not None:
            return self._drop("sms", "unknown_sender")
        if not customer.phone or self._hash(customer.phone) != phone_hash:
            return self._drop("sms", "unknown_sender")  # the customer's number changed since
        keyword = str(message.get("messageKeyword") or "")
        if rules.opts_out(body) or rules.opts_out(keyword):
            return self._opt_out(case, customer, message_id, now)
        text, truncated = rules.bounded(body)
        return self._thread(case, message_id, "sms", text, truncated, now)

    def _texted_case(self, phone_hash: str) -> Case | None:
        """The open case the number was texted about that opened last, else the latest of them."""
        cases = self._replies.cases_texted(phone_hash)
        if not cases:
            return None
        latest = sorted(cases, key=lambda case: case.opened_at, reverse=True)
        return next((case for case in latest if case.status != "resolved"), latest[0])

    def _opt_out(self, case: Case, customer: Customer, message_id: str, now: datetime) -> Outcome:
        self._preferences.opt_out(customer.key, ("sms",), now)
        detail = {"channel": "sms", "reason": "opted_out"}
        try:
            self._replies.thread(case.case_id, message_id, now, UNREACHABLE, "system", detail)
        except Duplicate:
            return Outcome("duplicate", "sms", case_id=case.case_id)
        logger.info("sms opt-out", extra={"case_id": case.case_id})
        return Outcome("opted_out", "sms", case_id=case.case_id)

    # ----------------------------------------------------------------------------------------- thread
    def _thread(
        self, case: Case, message_id: str, channel: str, text: str, truncated: bool, now: datetime
    ) -> Outcome:
        """The reply on the case's timeline once; a resolved case reopened in the same transaction."""
        detail = {"channel": channel, "text": text, "truncated": truncated}
        for _ in range(_ATTEMPTS):
            try:
                if case.status != "resolved":
                    self._replies.thread(case.case_id, message_id, now, REPLY, "customer", detail)
                    reopened = False
                else:
                    writes = self._replies.reply_puts(
                        case.case_id, message_id, now, REPLY, "customer", detail
                    )
                    reason = {"reason": "customer_reply", "channel": channel}
                    reopen_case(self._cases, case, "system", now, reason, writes)
                    reopened = True
            except Duplicate:
                return Outcome("duplicate", channel, case_id=case.case_id)
            except StaleCase:
                if self._replies.seen(message_id):
                    return Outcome("duplicate", channel, case_id=case.case_id)
                fresh = self._cases.get(case.case_id)  # the case moved on meanwhile: read, decide again
                if fresh is None:
                    return self._drop(channel, "case_gone")
                case = fresh
                continue
            logger.info(
                "customer reply threaded",
                extra={"case_id": case.case_id, "channel": channel, "reopened": reopened},
            )
            return Outcome("threaded", channel, case_id=case.case_id, reopened=reopened)
        raise StaleCase("the case kept changing; the reply will be retried")

    @staticmethod
    def _drop(channel: str | None, reason: str) -> Outcome:
        logger.info("inbound message dropped", extra={"channel": channel, "reason": reason})
        return Outcome("dropped", channel, reason=reason)


def _object(value: Any) -> dict[str, Any]:
    """`value` when the notification has an object there, else an empty one: a field of the wrong type
    reads as missing, so the message is dropped for what it lacks instead of failing the invocation."""
    return value if isinstance(value, dict) else {}
