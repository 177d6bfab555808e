"""Stored items as domain records (`recovery.domain.records`), and back to the key an update needs.

A record goes back into the store by what names its item: the key and, for a versioned item, the version
it was read at. pynamodb builds an update's version condition and increment from exactly those, so an
update through a record sends the request an update through the item it came from would.
"""

from __future__ import annotations

from typing import Any

from recovery.domain.records import Case, CaseEvent, Customer, Delivery, Feedback, FollowUp, ScheduledMessage
from recovery.store.models import (
    CaseEventItem,
    CaseItem,
    CustomerItem,
    DeliveryItem,
    FeedbackItem,
    FollowUpItem,
    ScheduledMessageItem,
)


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def case_of(item: CaseItem) -> Case:
    v = item.attribute_values
    delta = v.get("rating_delta")
    return Case(
        case_id=v["case_id"],
        feedback_pk=v["feedback_pk"],
        feedback_id=v["feedback_id"],
        source=v["source"],
        status=v["status"],
        priority=int(v["priority"]),
        customer_key=v["customer_key"],
        opened_at=v["opened_at"],
        occurred_at=v["occurred_at"],
        ack_due_at=v["ack_due_at"],
        resolve_due_at=v["resolve_due_at"],
        alert_state=v["alert_state"],
        version=_int(v.get("version")),
        repeat_failure=bool(v.get("repeat_failure")),
        team=v.get("team"),
        channel=v.get("channel"),
        agent=v.get("agent"),
        alerted_at=v.get("alerted_at"),
        level=int(v.get("level") or 1),
        acked_at=v.get("acked_at"),
        acked_by=v.get("acked_by"),
        sla_breached=bool(v.get("sla_breached")),
        owner=v.get("owner"),
        resolved_at=v.get("resolved_at"),
        resolution=v.get("resolution"),
        compensations=tuple(v.get("compensations") or ()),
        customer_acked=v.get("customer_acked"),
        outcome=v.get("outcome"),
        rating_before=v.get("rating_before"),
        rating_after=v.get("rating_after"),
        rating_delta=float(delta) if delta is not None else None,
        external_links=v.get("external_links"),
        tags=tuple(v.get("tags") or ()),
        followup_sent_at=v.get("followup_sent_at"),
        due_at=v.get("due_at"),
        customer_value=v.get("customer_value"),
    )


def case_item(case: Case) -> CaseItem:
    """The case's key, at the version it was read."""
    return CaseItem(f"CASE#{case.case_id}", "CASE", version=case.version)


def event_of(item: CaseEventItem) -> CaseEvent:
    v = item.attribute_values
    return CaseEvent(v["case_id"], v["kind"], v["at"], v.get("actor"), v.get("detail") or {})


def feedback_of(item: FeedbackItem) -> Feedback:
    v = item.attribute_values
    return Feedback(
        key=v["pk"],
        feedback_id=v["feedback_id"],
        source=v["source"],
        status=v["status"],
        occurred_at=v["occurred_at"],
        score_type=v.get("score_type"),
        verdict=v.get("verdict"),
        priority=_int(v.get("priority")),
        case_id=v.get("case_id"),
        channel=v.get("channel"),
        agent=v.get("agent"),
        team=v.get("team"),
        detail=v.get("detail") or {},
    )


def customer_of(item: CustomerItem) -> Customer:
    v = item.attribute_values
    return Customer(
        key=str(v["pk"]).removeprefix("CUST#"),
        name=v.get("name"),
        email=v.get("email"),
        phone=v.get("phone"),
        locale=v.get("locale"),
        timezone=v.get("timezone"),
        opted_out=v.get("opted_out") or {},
        followups_sent=tuple(v.get("followups_sent") or ()),
        erased_at=v.get("erased_at"),
        updated_at=v.get("updated_at"),
        version=_int(v.get("version")),
    )


def customer_item(customer: Customer) -> CustomerItem:
    """The customer's key, at the version it was read."""
    return CustomerItem(f"CUST#{customer.key}", "CUST", version=customer.version)


def delivery_of(item: DeliveryItem) -> Delivery:
    v = item.attribute_values
    return Delivery(
        key=v["pk"],
        case_id=v["case_id"],
        level=int(v["level"]),
        channel=v["channel"],
        contact_id=v["contact_id"],
        kind=v["kind"],
        state=v["state"],
        updated_at=v["updated_at"],
        attempts=int(v.get("attempts") or 0),
        message_id=v.get("message_id"),
        error=v.get("error"),
    )


def delivery_item(delivery: Delivery) -> DeliveryItem:
    return DeliveryItem(delivery.key, "DLV")


def follow_up_of(item: FollowUpItem) -> FollowUp:
    v = item.attribute_values
    due_pk = v.get("due_pk")
    return FollowUp(
        case_id=v["case_id"],
        customer_key=v["customer_key"],
        state=v["state"],
        scheduled_for=v["scheduled_for"],
        version=_int(v.get("version")),
        team=v.get("team"),
        channel=v.get("channel"),
        sent_at=v.get("sent_at"),
        answered_at=v.get("answered_at"),
        skip_reason=v.get("skip_reason"),
        score=v.get("score"),
        answer=v.get("answer"),
        claimed_at=v.get("claimed_at"),
        attempts=int(v.get("attempts") or 0),
        due_kind=str(due_pk).split("#")[1] if due_pk else None,  # DUE#<kind>#<shard>
        due_at=v.get("due_at"),
    )


def follow_up_item(follow_up: FollowUp) -> FollowUpItem:
    """The follow-up's key, at the version it was read."""
    return FollowUpItem(f"FUP#{follow_up.case_id}", "FUP", version=follow_up.version)


def scheduled_of(item: ScheduledMessageItem) -> ScheduledMessage:
    v = item.attribute_values
    return ScheduledMessage(v["pk"], v["case_id"], v["kind"], v["channel"], v["state"], v["send_at"])


def scheduled_item(message: ScheduledMessage) -> ScheduledMessageItem:
    return ScheduledMessageItem(message.key, "SMSG")
