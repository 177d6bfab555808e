"""The delivery log of a source's hook: every delivery, accepted or refused, newest first.

| item          | pk                                         | sk                      |
|---------------|--------------------------------------------|-------------------------|
| log entry     | HOOKLOG#<source id>                        | <iso time>#<random hex> |
| kept body     | HOOKBODY#<source id>                       | the log entry's sk      |
| held delivery | HOOKHELD#<source id>#<sha256(delivery id)> | HELD                    |

A log entry holds no body and no personal data: the time, the vendor's delivery id, the HTTP status, the
outcome and its reason, and the feedback and case it led to. TTL removes it after 30 days.

A refused delivery's exact bytes, headers and query are kept beside its entry, in their own item (so
reading the log never reads bodies), for a short while (72 hours by default), so the delivery can be
replayed once its source is fixed. The body may hold personal data: the retention is its only bound (see
docs/privacy.md), enforced on read as well, since DynamoDB's TTL deletes late.

A delivery held before it could be mapped (no score and no respondent yet) is remembered by its delivery
id, so a redelivery of it is a duplicate; TTL removes the mark after 30 days.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError

from recovery import clock
from recovery.store.errors import transient_as_domain
from recovery.store.models import HookBodyItem, HookHeldItem, HookLogItem, get_item

RETENTION = timedelta(days=30)
MAX_PAGE = 100
# An entry id, as the API names it: the sort key's time without separators, and its random part.
ENTRY_ID = re.compile(r"(\d{8})T(\d{6})(\d{6})Z-([0-9a-f]{8})")


@dataclass(frozen=True)
class LogEntry:
    received_at: datetime
    status: int
    outcome: str
    reason: str | None = None
    delivery_id: str | None = None
    feedback_id: str | None = None
    case_id: str | None = None
    entry_id: str | None = None  # set when read back
    body_until: datetime | None = None  # the delivery's bytes are kept (for replay) until then
    replay_of: str | None = None  # the entry this line replayed

    def replayable(self, now: datetime) -> bool:
        return self.body_until is not None and now < self.body_until

    def as_json(self, now: datetime | None = None) -> dict[str, object]:
        now = now or clock.now()
        return {
            "id": self.entry_id,
            "received_at": clock.iso(self.received_at),
            "status": self.status,
            "outcome": self.outcome,
            "reason": self.reason,
            "delivery_id": self.delivery_id,
            "feedback_id": self.feedback_id,
            "case_id": self.case_id,
            "replayable": self.replayable(now),
            "replayable_until": clock.iso(self.body_until)
            if self.replayable(now) and self.body_until
            else None,
            "replay_of": self.replay_of,
        }


@dataclass(frozen=True)
class KeptDelivery:
    """A refused delivery as it arrived: its exact bytes, headers (lower-case names) and query."""

    entry_id: str
    received_at: datetime
    raw: bytes
    headers: dict[str, str]
    query: dict[str, str]


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    cursor: str | None  # pass back for the next (older) page; None at the end


class BadCursor(ValueError):
    """A cursor this log did not hand out."""


def log_pk(source_id: str) -> str:
    return f"HOOKLOG#{source_id}"


def body_pk(source_id: str) -> str:
    return f"HOOKBODY#{source_id}"


def held_pk(source_id: str, delivery_id: str) -> str:
    # Hashed: a vendor's delivery id is text of any length and characters; a key wants neither.
    return f"HOOKHELD#{source_id}#{hashlib.sha256(delivery_id.encode('utf-8')).hexdigest()}"


def entry_id(sort_key: str) -> str:
    """`2026-11-22T10:00:00.123456Z#ab12cd34` -> `20261122T100000123456Z-ab12cd34`."""
    moment, _, rand = sort_key.partition("#")
    digits = moment.replace("-", "").replace(":", "").replace(".", "")
    return f"{digits}-{rand}"


def sort_key_of(entry: str) -> str | None:
    """The sort key an entry id names, or None when it is not one."""
    found = ENTRY_ID.fullmatch(entry)
    if found is None:
        return None
    day, time, micro, rand = found.groups()
    return f"{day[:4]}-{day[4:6]}-{day[6:]}T{time[:2]}:{time[2:4]}:{time[4:]}.{micro}Z#{rand}"


class HookLog:
    def record(
        self,
        source_id: str,
        entry: LogEntry,
        keep: KeptDelivery | None = None,
    ) -> str:
        """Write one log line; with `keep`, the delivery's bytes beside it until `entry.body_until`.
        Answers the entry id. The bytes go first: a log line never says replayable without them."""
        # Microseconds, so entries of the same second still read newest first.
        moment = entry.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        sort_key = f"{moment}#{secrets.token_hex(4)}"
        body_until = entry.body_until if keep is not None else None
        with transient_as_domain():
            if keep is not None and body_until is not None:
                HookBodyItem(
                    body_pk(source_id),
                    sort_key,
                    raw=keep.raw,
                    headers=dict(keep.headers),
                    query=dict(keep.query),
                    received_at=keep.received_at,
                    expires_at=body_until,
                ).save()
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
                body_until=body_until,
                replay_of=entry.replay_of,
                expires_at=entry.received_at + RETENTION,
            ).save()
        return entry_id(sort_key)

    def entry(self, source_id: str, entry: str) -> LogEntry | None:
        """One entry by its id; None when there is none (or the id is not one)."""
        sort_key = sort_key_of(entry)
        if sort_key is None:
            return None
        with transient_as_domain():
            item = get_item(HookLogItem, log_pk(source_id), sort_key)
        return _entry(item) if item is not None else None

    def kept(self, source_id: str, entry: str, now: datetime) -> KeptDelivery | None:
        """The kept bytes of an entry, or None when none were kept or their time is over (TTL deletes
        late, so the expiry is checked here too)."""
        sort_key = sort_key_of(entry)
        if sort_key is None:
            return None
        with transient_as_domain():
            item = get_item(HookBodyItem, body_pk(source_id), sort_key)
        if item is None or item.expires_at is None or now >= item.expires_at:
            return None
        return KeptDelivery(
            entry_id=entry,
            received_at=item.received_at,
            raw=bytes(item.raw),
            headers={str(k): str(v) for k, v in (item.headers or {}).items()},
            query={str(k): str(v) for k, v in (item.query or {}).items()},
        )

    def remember_held(self, source_id: str, delivery_id: str, now: datetime) -> bool:
        """Mark a held delivery as seen; False when it was seen before (a redelivery). Idempotent: one
        conditional put, removed by TTL after the log's retention."""
        item = HookHeldItem(held_pk(source_id, delivery_id), "HELD", expires_at=now + RETENTION)
        try:
            with transient_as_domain():
                item.save(condition=HookHeldItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

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
        next_cursor = _encode(last["sk"]["S"]) if last else None
        return LogPage([_entry(item) for item in items], next_cursor)


def _entry(item: HookLogItem) -> LogEntry:
    return LogEntry(
        received_at=item.received_at,
        status=int(item.status),
        outcome=item.outcome,
        reason=item.reason,
        delivery_id=item.delivery_id,
        feedback_id=item.feedback_id,
        case_id=item.case_id,
        entry_id=entry_id(item.sk),
        body_until=item.body_until,
        replay_of=item.replay_of,
    )


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
