"""Owner notices, the pure parts: which timeline events become a `CaseNotice`, who is told, and when an
acknowledged case left idle is reminded of."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery.domain.changes import Change, domain_events
from recovery.domain.notices import notice_recipients, reminder_due
from recovery.domain.routing import Team, parse_config

OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DUE = OPENED + timedelta(hours=24)
MONDAY_NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 12:00 in Oslo
NIGHT = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 00:00 in Oslo


def timeline_item(kind: str, **detail: Any) -> dict[str, Any]:
    """A timeline event's new image as the stream delivers it (detail as a JSON string)."""
    return {
        "pk": "CASE#cs_1",
        "sk": f"EVT#2026-11-23T10:00:00+00:00#{kind}#ab12cd",
        "case_id": "cs_1",
        "kind": kind,
        "at": "2026-11-23T10:00:00.000000+0000",
        "actor": "customer",
        "detail": json.dumps(detail),
    }


def change(name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> Change:
    return Change("e1", name, "CASE#cs_1", old, new)  # type: ignore[arg-type]


# --- changes -> CaseNotice ----------------------------------------------------------------------------


def test_a_customer_reply_becomes_one_case_notice_without_its_text() -> None:
    # GIVEN a reply threaded onto the case's timeline, with the customer's words and address in it
    reply = timeline_item(
        "customer_reply", channel="email", text="Ada here, ada@example.com", truncated=False
    )
    # WHEN the stream reads its INSERT
    events = domain_events([change("INSERT", reply)])
    # THEN one CaseNotice names the event by its keys, and none of what the customer wrote is on the bus
    assert [(e.detail_type, e.detail) for e in events] == [
        (
            "CaseNotice",
            {
                "event_id": "e1",
                "case_id": "cs_1",
                "team": None,
                "notice": "customer_reply",
                "event_sk": reply["sk"],
            },
        )
    ]
    assert "Ada" not in json.dumps(events[0].detail) and "@" not in json.dumps(events[0].detail)


def test_each_notice_kind_is_a_case_notice_and_other_events_are_not() -> None:
    kinds = ("customer_reply", "customer_unreachable", "followup_no_response", "ack_reminder")
    for kind in kinds:
        [notice] = domain_events([change("INSERT", timeline_item(kind))])
        assert (notice.detail_type, notice.detail["notice"]) == ("CaseNotice", kind)
    for kind in ("alerted", "note", "customer_message", "followup_answered", "erased"):
        assert domain_events([change("INSERT", timeline_item(kind))]) == []


def test_only_the_insert_tells_a_later_change_to_the_event_does_not() -> None:
    # An erasure redacts a reply in place: a MODIFY, which must not send the owner the notice again.
    reply = timeline_item("customer_reply", channel="sms", text="hi")
    redacted = {**reply, "detail": json.dumps({"channel": "sms", "text": "[erased]"})}
    assert domain_events([change("MODIFY", redacted, reply)]) == []
    assert domain_events([change("REMOVE", None, reply)]) == []


def test_the_notice_carries_the_team_when_the_event_does() -> None:
    reminder = timeline_item("ack_reminder", team="support-emea", acked_at="2026-11-23T10:05:00Z")
    [notice] = domain_events([change("INSERT", reminder)])
    assert notice.detail["team"] == "support-emea"


def test_the_case_item_itself_still_gives_its_own_events() -> None:
    case = {
        "pk": "CASE#cs_1",
        "sk": "CASE",
        "case_id": "cs_1",
        "status": "open",
        "priority": 2,
        "team": "support-emea",
        "opened_at": "2026-11-23T10:00:00Z",
    }
    assert [e.detail_type for e in domain_events([change("INSERT", case)])] == ["CaseOpened"]


# --- who is told -----------------------------------------------------------------------------------------

ALWAYS = None
DAYS = {
    "timezone": "Europe/Oslo",
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00"}],
}


def team(*leads: dict[str, Any]) -> Team:
    document = {
        "teams": [
            {
                "id": "t",
                "name": "T",
                "levels": {
                    1: list(leads),
                    2: [{"id": "boss", "name": "Boss", "email": "boss@example.com", "channels": ["email"]}],
                },
            }
        ],
        "routing": {"default_team": "t"},
    }
    return parse_config(document).team("t")


def lead(contact_id: str, on_duty: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {"id": contact_id, "name": contact_id.title(), "channels": ["email"]}
    contact["email"] = f"{contact_id}@example.com"
    if on_duty is not None:
        contact["on_duty"] = on_duty
    return {**contact, **extra}


def ids(contacts: list[Any]) -> list[str]:
    return [contact.id for contact in contacts]


def test_the_owner_is_told_whoever_is_on_duty() -> None:
    crew = team(lead("kari", DAYS), lead("mark"))
    assert ids(notice_recipients(crew, "kari", NIGHT)) == ["kari"]


def test_an_owner_on_level_2_is_told_too() -> None:
    assert ids(notice_recipients(team(lead("kari")), "boss", MONDAY_NOON)) == ["boss"]


def test_without_an_owner_the_level_1_leads_on_duty_now_are_told() -> None:
    crew = team(
        lead("kari", DAYS),
        lead(
            "mark",
            {"timezone": "Europe/Oslo", "windows": [{"days": ["mon"], "start": "22:00", "end": "06:00"}]},
        ),
    )
    assert ids(notice_recipients(crew, None, MONDAY_NOON)) == ["kari"]


def test_with_nobody_on_duty_every_level_1_lead_is_told() -> None:
    crew = team(lead("kari", DAYS), lead("ingrid", DAYS))
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert ids(notice_recipients(crew, None, saturday)) == ["kari", "ingrid"]


def test_an_owner_who_left_the_team_falls_back_to_the_leads() -> None:
    crew = team(lead("kari"), lead("mark"))
    assert ids(notice_recipients(crew, "someone-gone", MONDAY_NOON)) == ["kari", "mark"]


def test_leads_without_an_email_address_are_left_out() -> None:
    sms_only = {"id": "sam", "name": "Sam", "phone": "+4791234567", "channels": ["sms"]}
    crew = team(sms_only, lead("kari"))
    assert ids(notice_recipients(crew, "sam", MONDAY_NOON)) == ["kari"]


# --- when the reminder is due ---------------------------------------------------------------------------


def test_the_reminder_is_due_half_way_through_the_resolve_sla() -> None:
    acked = OPENED + timedelta(minutes=10)
    assert reminder_due(OPENED, DUE, acked) == OPENED + timedelta(hours=12)


def test_a_case_acknowledged_after_half_way_is_reminded_half_way_to_its_deadline() -> None:
    acked = OPENED + timedelta(hours=20)
    assert reminder_due(OPENED, DUE, acked) == OPENED + timedelta(hours=22)


def test_a_case_acknowledged_after_its_deadline_is_not_reminded() -> None:
    assert reminder_due(OPENED, DUE, DUE) is None
    assert reminder_due(OPENED, DUE, DUE + timedelta(hours=1)) is None
