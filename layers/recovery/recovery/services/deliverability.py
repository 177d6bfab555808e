"""Bounces and complaints from SES put addresses on the suppression list; alerts skip them.

SES publishes them through the configuration set's SNS destination. A permanent bounce or any complaint
suppresses the address; a transient bounce (mailbox full, for instance) does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recovery.store.suppressions import SuppressionStore


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


def handle(
    messages: Iterable[str],
    store: SuppressionStore,
    address_hash: Callable[[str], str],
    now: datetime,
) -> list[Suppression]:
    """Apply every SNS message body (an SES notification as JSON); returns what was suppressed."""
    done: list[Suppression] = []
    for message in messages:
        try:
            notification = json.loads(message)
        except json.JSONDecodeError:
            continue  # not an SES notification (a subscription test message, say)
        for suppression in suppressions(notification):
            store.suppress(address_hash(suppression.address), suppression.reason, suppression.detail, now)
            done.append(suppression)
    return done
