"""Alert tiers on moto, with the demo teams from config/: a priority a lead moved to the digest does not
message them in real time, and a level nobody reaches in real time falls through at once."""

from __future__ import annotations

from typing import Any

import yaml

from recovery import clock
from recovery.domain.routing import parse_config
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts
from recovery.store.alerting import ConfigStore
from recovery.store.models import CaseEventItem, CaseItem
from tests.integration.conftest import Api
from tests.integration.test_alerts import open_case
from tests.support import ROOT

DAILY = {"daily": True, "at": "08:00"}


def with_tiers(**tiers: dict[str, list[str]]) -> None:
    """The demo configuration with these contacts' tiers (and their daily digest), stored over the seed."""
    document: dict[str, Any] = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    for team in document["teams"]:
        for contacts in team["levels"].values():
            for contact in contacts:
                if contact["id"] in tiers:
                    contact.update(tiers=tiers[contact["id"]], digest=DAILY)
    store = ConfigStore()
    found = store.get()
    assert found is not None
    store.put(parse_config(document), clock.now(), "test", found[1])


def events(case_id: str) -> list[dict[str, Any]]:
    items = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    return [{"kind": item.kind, **(item.detail or {})} for item in items]


def test_without_tiers_the_demo_leads_are_messaged_as_before(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    case_id = open_case(api)  # a P2 case at 11:00 in Oslo: Kari on duty
    alerts.alert(case_id)
    assert sorted((m.channel, m.to) for m in sender.sent) == [
        ("email", "kari@example.com"),
        ("sms", "+4791234567"),
    ]


def test_a_tier_chooses_the_channels_a_lead_is_messaged_on(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    with_tiers(kari={"P1": ["sms", "email"], "P2": ["email"]})
    case_id = open_case(api)
    outcome = alerts.alert(case_id)
    assert [(m.channel, m.to) for m in sender.sent] == [("email", "kari@example.com")]
    assert outcome.level == 1 and outcome.recipients == ["kari:email"]


def test_a_case_whose_priority_the_lead_moved_to_the_digest_goes_to_level_2_at_once(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    # GIVEN Kari (the only lead on duty at 11:00) reads P2 and lower cases in her daily digest only
    with_tiers(kari={"P2": ["digest"], "P3": ["digest"], "P4": ["digest"]})
    case_id = open_case(api)
    # WHEN the P2 case is alerted
    outcome = alerts.alert(case_id)
    # THEN Kari is not messaged in real time; level 2 (Ingrid) is, at once, and the timeline says why
    assert {m.to for m in sender.sent} == {"ingrid@example.com", "+4792345678"}
    assert outcome.level == 2
    found = {event["kind"]: event for event in events(case_id)}  # one instant: listed by kind
    assert set(found) == {"nobody_on_duty", "alerted"}
    assert found["nobody_on_duty"]["level"] == 1
    assert found["nobody_on_duty"]["digest"] == ["kari"] and found["nobody_on_duty"]["priority"] == "P2"
    assert found["alerted"]["level"] == 2
    assert CaseItem.get(f"CASE#{case_id}", "CASE").level == 2


def test_when_no_level_reaches_anyone_in_real_time_the_case_is_breached_as_nobody_on_duty(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    digest_only = {"P2": ["digest"]}
    with_tiers(kari=digest_only, ingrid=digest_only, ops=digest_only)
    case_id = open_case(api)
    outcome = alerts.alert(case_id)
    assert sender.sent == [] and outcome.skipped == "nobody on duty at any level"
    found = sorted(events(case_id), key=lambda event: (event["kind"], event.get("level")))
    assert [(event["kind"], event.get("level")) for event in found] == [
        ("nobody_on_duty", 1),
        ("nobody_on_duty", 2),
        ("nobody_on_duty", 3),
        ("sla_breached", 1),
    ]
    assert found[2]["digest"] == ["ops"] and found[3]["reason"] == "nobody on duty"
    assert CaseItem.get(f"CASE#{case_id}", "CASE").sla_breached


def test_escalation_skips_a_level_that_chose_the_digest(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Any
) -> None:
    # GIVEN Ingrid (level 2) reads P2 cases in her digest only
    with_tiers(ingrid={"P2": ["digest"]})
    case_id = open_case(api)
    alerts.alert(case_id)
    # WHEN Kari does not acknowledge within 15 minutes
    virtual_clock.advance(minutes=16)
    assert alerts.sweep(clock.now()).escalated == [case_id]
    # THEN the escalation reaches level 3 (email only), not Ingrid
    assert {m.to for m in sender.sent if m.tags["kind"] == "escalation"} == {"head-of-service@example.com"}
    assert [event.get("level") for event in events(case_id) if event["kind"] == "nobody_on_duty"] == [2]
