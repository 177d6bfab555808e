"""Stored items as records and back: every attribute a service reads comes across, and a record names
its item by the key and version it was read at (what an update's condition and increment are built from)."""

from __future__ import annotations

from datetime import UTC, datetime

from recovery.store.models import CaseItem, CustomerItem, DeliveryItem, FollowUpItem
from recovery.store.records import (
    case_item,
    case_of,
    customer_item,
    customer_of,
    delivery_item,
    delivery_of,
    follow_up_item,
    follow_up_of,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_case_reads_as_stored_and_goes_back_by_key_and_version() -> None:
    # GIVEN a case as the table holds it, in the due index and with a compensation
    item = CaseItem(
        "CASE#cs_1",
        "CASE",
        case_id="cs_1",
        feedback_pk="FB#web#r1",
        feedback_id="fb_1",
        source="web",
        status="open",
        priority=2,
        customer_key="k1",
        opened_at=NOW,
        occurred_at=NOW,
        ack_due_at=NOW,
        resolve_due_at=NOW,
        alert_state="sent",
        level=2,
        tags=["wait-time"],
        compensations=[{"id": "cp_1", "status": "pending"}],
        rating_delta=0.25,
        due_pk="DUE#ack#0",
        due_at="2026-11-23T10:15:00Z",
        cust_pk="CUST#k1",
        cust_sk="CASE#x",
        version=4,
    )
    # WHEN it is read as a record
    case = case_of(item)
    # THEN what the services read is there, index keys reduced to when the work is due
    assert (case.case_id, case.priority, case.level, case.version) == ("cs_1", 2, 2, 4)
    assert case.tags == ("wait-time",) and case.compensations == ({"id": "cp_1", "status": "pending"},)
    assert (case.due_at, case.rating_delta, case.repeat_failure, case.owner) == (
        "2026-11-23T10:15:00Z",
        0.25,
        False,
        None,
    )
    # AND it goes back to its item's key, at the version it was read
    back = case_item(case)
    assert (back.pk, back.sk, back.version) == ("CASE#cs_1", "CASE", 4)


def test_a_customer_follow_up_and_delivery_go_back_by_their_keys() -> None:
    customer = customer_of(
        CustomerItem("CUST#k1", "CUST", name="Ada", followups_sent=["t1"], updated_at=NOW, version=3)
    )
    assert (customer.key, customer.name, customer.followups_sent, customer.opted_out) == (
        "k1",
        "Ada",
        ("t1",),
        {},
    )
    assert (customer_item(customer).pk, customer_item(customer).version) == ("CUST#k1", 3)

    follow_up = follow_up_of(
        FollowUpItem(
            "FUP#cs_1",
            "FUP",
            case_id="cs_1",
            customer_key="k1",
            state="sent",
            scheduled_for=NOW,
            due_pk="DUE#noresponse#0",
            due_at="2026-11-30T10:00:00Z",
            cust_pk="CUST#k1",
            cust_sk="FUP#x",
            version=2,
        )
    )
    assert (follow_up.due_kind, follow_up.due_at, follow_up.attempts) == (
        "noresponse",
        "2026-11-30T10:00:00Z",
        0,
    )
    assert (follow_up_item(follow_up).pk, follow_up_item(follow_up).version) == ("FUP#cs_1", 2)

    row = delivery_of(
        DeliveryItem(
            "DLV#cs_1#1#email#h",
            "DLV",
            case_id="cs_1",
            level=1,
            channel="email",
            contact_id="kari",
            kind="alert",
            state="sending",
            updated_at=NOW,
        )
    )
    assert (row.key, row.state, row.attempts) == ("DLV#cs_1#1#email#h", "sending", 0)
    assert delivery_item(row).pk == "DLV#cs_1#1#email#h"
