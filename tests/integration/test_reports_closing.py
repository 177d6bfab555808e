"""Closing on time, end to end in moto: cases opened through the real intake, worked through the real
cases API (one reopened and resolved again), counted by the real stream function, and read back from
`GET /v1/reports/summary` as `closed_within_target` on the wall clock and in the team's business hours."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from recovery.domain.routing import parse_config
from recovery.services.alerts import Alerts
from recovery.services.stream_processor import StreamProcessor
from recovery.store.alerting import ConfigStore
from recovery.store.models import CaseItem
from tests.integration.conftest import Api, Clock
from tests.integration.test_cases import CasesApi
from tests.integration.test_reports import ReportsApi
from tests.integration.test_stream import RecordingBus
from tests.support import ROOT, Context, Stack, StreamReader, event, load_function

OSLO = ZoneInfo("Europe/Oslo")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE = {"timezone": "Europe/Oslo", "windows": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]}


def oslo(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=OSLO)


def office_hours_config() -> None:
    """The demo teams, with Support EMEA's leads on duty Monday to Friday, 09-17 in Oslo."""
    document: dict[str, Any] = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    for lead in document["teams"][0]["levels"][1]:
        lead["on_duty"] = OFFICE
    ConfigStore().put(parse_config(document), oslo(1, 0), by="test")


def open_case(api: Api, name: str, at: datetime) -> str:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body.update(external_id=f"resp-{name}", score={"type": "nps", "value": 2}, occurred_at=at.isoformat())
    body["customer"] = {"id": f"c-{name}", "email": f"{name}@example.com"}
    body["interaction"] = {"id": f"t-{name}", "team": "support-emea", "agent": "mark"}
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201, answer
    return str(answer["case_id"])


def work(lead: CasesApi, case_id: str, clock: Clock, *steps: tuple[str, datetime]) -> None:
    etag = lead.get(case_id)[1]
    for operation, at in steps:
        clock.set(at)
        body = {"ack": None, "resolve": {"root_cause": "wait_time", "summary": "sorted"}}.get(
            operation, {"reason": "the customer wrote back"}
        )
        status, headers, answer = lead.post(case_id, operation, body, etag)
        assert status == 200, answer
        etag = headers["etag"]


def test_the_summary_gives_the_on_time_share_on_both_clocks(
    stack: Stack, api: Api, alerts: Alerts, virtual_clock: Clock
) -> None:
    office_hours_config()
    cases = load_function("cases")
    lead = CasesApi(cases)
    plan = {
        # opened Friday 16:00, resolved Monday 10:00: 66 h on the wall clock, 2 business hours
        "a": (oslo(20, 16), [("ack", oslo(20, 16)), ("resolve", oslo(23, 10))]),
        # resolved Friday 13:00, reopened, resolved again Monday 10:00: counted by the last resolve,
        # 72 h on the wall clock, 8 business hours (Friday 10-17, Monday 9-10)
        "b": (
            oslo(20, 10),
            [
                ("ack", oslo(20, 10)),
                ("resolve", oslo(20, 13)),
                ("reopen", oslo(20, 14)),
                ("resolve", oslo(23, 10)),
            ],
        ),
        # opened Monday 09:00, resolved Wednesday 2 December 09:00: 56 business hours, late on both
        "c": (oslo(23, 9), [("ack", oslo(23, 9)), ("resolve", oslo(2, 9, month=12))]),
        # two hours on Monday morning: in time on both
        "d": (oslo(23, 10), [("ack", oslo(23, 10)), ("resolve", oslo(23, 12))]),
    }
    ids = {}
    for name, (opened, steps) in plan.items():
        virtual_clock.set(opened)
        ids[name] = open_case(api, name, opened)
        alerts.alert(ids[name])  # routes the case to its team
        work(lead, ids[name], virtual_clock, *steps)

    # the target and the business time are kept on each case at its last resolve
    kept = {name: CaseItem.get(f"CASE#{case_id}", "CASE") for name, case_id in ids.items()}
    assert {name: (item.target_hours, item.resolve_business_s) for name, item in kept.items()} == {
        "a": (48, 2 * 3600),
        "b": (48, 8 * 3600),
        "c": (48, 56 * 3600),
        "d": (48, 2 * 3600),
    }

    stream = load_function("stream")
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
    records = StreamReader(stack.table).read()
    for start in range(0, len(records), 100):
        stream.lambda_handler({"Records": records[start : start + 100]}, Context())

    reports = ReportsApi(load_function("reports"))
    status, _, summary = reports.report("summary", "from=2026-11-20&to=2026-11-23")
    assert status == 200, summary
    assert summary["closed_within_target"] == {
        "target_hours": 48,
        "target_share": 0.8,
        "share": 0.25,  # only d: a, b and c ran past 48 hours, weekends included
        "business_share": 0.75,  # a, b and d: the weekend is not the team's time
    }
    assert summary["metrics"]["closed"] == 4
    # a period in which nothing closed: no share to give
    status, _, empty = reports.report("summary", "from=2026-11-10&to=2026-11-12")
    assert status == 200 and empty["closed_within_target"]["share"] is None
    assert empty["closed_within_target"]["business_share"] is None
