"""The delivery log of a source's hook: every delivery, accepted or refused, newest first.

| item      | pk                  | sk                        |
|-----------|---------------------|---------------------------|
| log entry | HOOKLOG#<source id> | <iso time>#<random hex>   |

No body and no personal data: the time, the vendor's delivery id, the HTTP status, the outcome and its
reason, and the feedback and case it led to. TTL removes an entry after 30 days.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from recovery import clock
from recovery.store.errors import transient_as_domain
from recovery.store.models import HookLogItem

RETENTION = timedelta(days=30)
MAX_PAGE = 100


@dataclass(frozen=True)
class LogEntry:
    received_at: datetime
    status: int
    outcome: str
    reason: str | None = None
    delivery_id: str | None = None
    feedback_id: str | None = None
    case_id: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "received_at": clock.iso(self.received_at),
            "status": self.status,
            "outcome": self.outcome,
            "reason": self.reason,
            "delivery_id": self.delivery_id,
            "feedback_id": self.feedback_id,
            "case_id": self.case_id,
        }


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    cursor: str | None  # pass back for the next (older) page; None at the end


class BadCursor(ValueError):
    """A cursor this log did not hand out."""


def log_pk(source_id: str) -> str:
    return f"HOOKLOG#{source_id}"


class HookLog:
    def record(self, source_id: str, entry: LogEntry) -> None:
        # Microseconds, so entries of the same second still read newest first.
        moment = entry.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        sort_key = f"{moment}#{secrets.token_hex(4)}"
        with transient_as_domain():
            HookLogItem(
                log_pk(source_id),
                sort_key,
                received_at=entry.received_at,
                status=entry.status,
                outcome=entry.outcome,
                reason=entry.reason,
                delivery_id=entry.delivery_id,
                feedback_id=entry.feedback_id,
                case_id=entry.case_id,
                expires_at=entry.received_at + RETENTION,
            ).save()

    def read(self, source_id: str, limit: int = 50, cursor: str | None = None) -> LogPage:
        """One page, newest first. The cursor is the opaque sort key of the last entry returned."""
        start = None
        if cursor:
            start = {"pk": {"S": log_pk(source_id)}, "sk": {"S": _decode(cursor)}}
        with transient_as_domain():
            result = HookLogItem.query(
                log_pk(source_id),
                scan_index_forward=False,
                limit=max(1, min(limit, MAX_PAGE)),
                last_evaluated_key=start,
            )
            items = list(result)
            last = result.last_evaluated_key
        entries = [
            LogEntry(
                received_at=item.received_at,
                status=int(item.status),
                outcome=item.outcome,
                reason=item.reason,
                delivery_id=item.delivery_id,
                feedback_id=item.feedback_id,
                case_id=item.case_id,
            )
            for item in items
        ]
        next_cursor = _encode(last["sk"]["S"]) if last else None
        return LogPage(entries, next_cursor)


def _encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(cursor: str) -> str:
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadCursor("the cursor is not one this log handed out") from error
    if "#" not in sort_key or len(sort_key) > 64:
        raise BadCursor("the cursor is not one this log handed out")
    return sort_key
