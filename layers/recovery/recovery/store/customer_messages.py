"""Storage for customer messaging: scheduled messages (an SMS waiting for the morning) and opt-outs.

| item                       | pk                    | sk   | due index                        |
|----------------------------|-----------------------|------|----------------------------------|
| scheduled customer message | SMSG#<case id>#<kind> | SMSG | DUE#custmsg#<shard> / send time  |
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from recovery import clock
from recovery.domain.identity import due_partition, shard_partition
from recovery.domain.records import Customer, ScheduledMessage
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CustomerItem, ScheduledMessageItem, get_item
from recovery.store.records import customer_of, scheduled_item, scheduled_of

DUE_KIND = "custmsg"
KEEP = timedelta(days=90)  # how long a done schedule stays for the record before TTL removes it
_CONDITION_FAILED = "ConditionalCheckFailedException"
_OPT_OUT_ATTEMPTS = 3


def scheduled_pk(case_id: str, kind: str) -> str:
    return f"SMSG#{case_id}#{kind}"


class ScheduledMessageStore:
    def schedule(self, case_id: str, kind: str, channel: str, send_at: datetime, now: datetime) -> bool:
        """Schedule a message once: False when this case already has one of this kind (a retried event
        must not bring back a message that was sent or dropped)."""
        item = ScheduledMessageItem(
            scheduled_pk(case_id, kind),
            "SMSG",
            case_id=case_id,
            kind=kind,
            channel=channel,
            state="scheduled",
            created_at=now,
            send_at=send_at,
            due_pk=due_partition(DUE_KIND, case_id),
            due_at=clock.iso(send_at),
            expires_at=send_at + KEEP,
        )
        try:
            with transient_as_domain():
                item.save(condition=ScheduledMessageItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def get(self, pk: str) -> ScheduledMessage | None:
        with transient_as_domain():
            item = get_item(ScheduledMessageItem, pk, "SMSG")
        return scheduled_of(item) if item is not None else None

    def due(self, shard: int, until: str, page: int = 100) -> list[str]:
        """Keys of messages due at or before `until` in one shard of the due index."""
        with transient_as_domain():
            found = ScheduledMessageItem.due_index.query(
                shard_partition(DUE_KIND, shard), ScheduledMessageItem.due_at <= until, page_size=page
            )
            return [str(item.pk) for item in found if str(item.pk).startswith("SMSG#")]

    def reschedule(self, message: ScheduledMessage, send_at: datetime) -> None:
        with transient_as_domain():
            scheduled_item(message).update(
                actions=[
                    ScheduledMessageItem.send_at.set(send_at),
                    ScheduledMessageItem.due_at.set(clock.iso(send_at)),
                ]
            )

    def finish(self, message: ScheduledMessage, state: str, now: datetime) -> bool:
        """Out of the due index with its final state; False if another run finished it first."""
        try:
            with transient_as_domain():
                scheduled_item(message).update(
                    actions=[
                        ScheduledMessageItem.state.set(state),
                        ScheduledMessageItem.done_at.set(now),
                        ScheduledMessageItem.due_pk.remove(),
                        ScheduledMessageItem.due_at.remove(),
                    ],
                    condition=ScheduledMessageItem.state == "scheduled",
                )
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True


class CustomerEvents:
    def record(
        self, case_id: str, kind: str, at: datetime, detail: dict[str, Any], distinct: str | None = None
    ) -> None:
        """Append to the case's timeline, like `AlertStore.record`; `distinct` keeps two events of the
        same kind at the same instant (two messages, email and SMS) from overwriting each other."""
        suffix = f"#{distinct}" if distinct else ""
        with transient_as_domain():
            CaseEventItem(
                f"CASE#{case_id}",
                f"EVT#{at.isoformat()}#{kind}{suffix}",
                case_id=case_id,
                kind=kind,
                at=at,
                actor="system",
                detail=detail,
            ).save()


class CustomerPreferences:
    def get(self, customer_key: str) -> Customer | None:
        with transient_as_domain():
            item = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
        return customer_of(item) if item is not None else None

    def opt_out(self, customer_key: str, channels: tuple[str, ...], now: datetime) -> Customer | None:
        """Record the opt-out of `channels` (keeping the first time of each); None for no such customer.

        A versioned update: intake may be changing the customer's history at the same moment.
        """
        for _ in range(_OPT_OUT_ATTEMPTS):
            with transient_as_domain():
                customer = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
            if customer is None:
                return None
            current = dict(customer.opted_out or {})
            missing = [channel for channel in channels if channel not in current]
            if not missing:
                return customer_of(customer)
            current.update({channel: clock.iso(now) for channel in missing})
            try:
                with transient_as_domain():
                    customer.update(
                        actions=[CustomerItem.opted_out.set(current), CustomerItem.updated_at.set(now)]
                    )
            except UpdateError as error:
                if error.cause_response_code == _CONDITION_FAILED:
                    continue  # changed meanwhile: read again
                raise
            return customer_of(customer)
        raise RuntimeError("the customer kept changing; try again")
