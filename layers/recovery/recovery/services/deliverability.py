"""Bounces and complaints from SES put addresses on the suppression list; alerts skip them.

SES publishes them through the configuration set's SNS destination. A permanent bounce or any complaint
suppresses the address; a transient bounce (mailbox full, for instance) does not.

When the message was one of ours to a customer about a case (its SES message tags, `mail.tags`, carry the
outbox `kind` of a customer message and the `case_id`: recovery.notify.senders), the case's timeline gets
`customer_unreachable` {channel: email, reason: bounce | complaint} at once, once per notification (keyed
by its feedbackId, else the message id), and the owner's notice follows (docs/notices.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recovery.store.notices import UnreachableStore
from recovery.store.suppressions import SuppressionStore

# The outbox kinds of messages to a customer (recovery.services.customer_contact); a lead's alert or digest
# bouncing says nothing about the customer.
CUSTOMER_KINDS = frozenset({"customer_ack", "followup", "message"})
_CASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Suppression:
    address: str
    reason: str
    detail: str | None


def suppressions(notification: dict[str, Any]) -> list[Suppression]:
    """The addresses one SES notification (bounce, complaint or delivery) asks to suppress."""
    kind = str(notification.get("notificationType") or notification.get("eventType") or "")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        return [
            Suppression(str(r["emailAddress"]).lower(), "bounce", bounce.get("bounceSubType"))
            for r in bounce.get("bouncedRecipients", [])
            if r.get("emailAddress")
        ]
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        return [
            Suppression(str(r["emailAddress"]).lower(), "complaint", complaint.get("complaintFeedbackType"))
            for r in complaint.get("complainedRecipients", [])
            if r.get("emailAddress")
        ]
    return []


@dataclass(frozen=True)
class Unreachable:
    """A customer message of a case that bounced for good or was complained about."""

    case_id: str
    reason: str  # bounce | complaint
    notification_id: str  # the bounce's or complaint's feedbackId, else the message id
    at: datetime | None  # when SES saw it


def _tag(tags: Mapping[str, Any], name: str) -> str | None:
    """One message tag as SES reports it (a list of values; a plain string tolerated)."""
    value = tags.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def unreachable(notification: Mapping[str, Any]) -> Unreachable | None:
    """The case a notification says its customer can't be reached on, from the message's tags; None for
    a transient bounce, a delivery, or a message that was not to a customer about a case."""
    kind = str(notification.get("notificationType") or notification.get("eventType") or "")
    if kind not in ("Bounce", "Complaint"):
        return None
    report = notification.get(kind.lower()) or {}
    if not isinstance(report, Mapping) or (kind == "Bounce" and report.get("bounceType") != "Permanent"):
        return None
    mail = notification.get("mail") or {}
    tags = mail.get("tags") if isinstance(mail, Mapping) else None
    if not isinstance(tags, Mapping) or _tag(tags, "kind") not in CUSTOMER_KINDS:
        return None
    case_id = _tag(tags, "case_id")
    identifier = report.get("feedbackId") or mail.get("messageId")
    if case_id is None or not _CASE_ID.match(case_id) or not identifier:
        return None
    reason = "bounce" if kind == "Bounce" else "complaint"
    at = _moment(report.get("timestamp")) or _moment(mail.get("timestamp"))
    return Unreachable(case_id, reason, f"{reason}:{identifier}", at)


@dataclass(frozen=True)
class Handled:
    suppressed: list[Suppression]
    unreachable: list[Unreachable]  # newly on a case's timeline


def handle(
    messages: Iterable[str],
    store: SuppressionStore,
    address_hash: Callable[[str], str],
    now: datetime,
    cases: UnreachableStore | None = None,
) -> list[Suppression]:
    """Apply every SNS message body (an SES notification as JSON); returns what was suppressed."""
    return handle_notifications(messages, store, address_hash, now, cases).suppressed


def handle_notifications(
    messages: Iterable[str],
    store: SuppressionStore,
    address_hash: Callable[[str], str],
    now: datetime,
    cases: UnreachableStore | None = None,
) -> Handled:
    """Apply every SNS message body: suppress the addresses, and with `cases`, mark the customer of a case
    unreachable (once per notification; a case that no longer exists gets nothing)."""
    done: list[Suppression] = []
    marked: list[Unreachable] = []
    for message in messages:
        try:
            notification = json.loads(message)
        except json.JSONDecodeError:
            continue  # not an SES notification (a subscription test message, say)
        if not isinstance(notification, dict):
            continue
        for suppression in suppressions(notification):
            store.suppress(address_hash(suppression.address), suppression.reason, suppression.detail, now)
            done.append(suppression)
        found = unreachable(notification) if cases is not None else None
        if found is not None and cases is not None and cases.case(found.case_id) is not None:
            distinct = hashlib.sha256(found.notification_id.encode()).hexdigest()[:16]
            detail = {"channel": "email", "reason": found.reason}
            if cases.record_unreachable(found.case_id, found.at or now, distinct, detail):
                marked.append(found)
    return Handled(done, marked)
