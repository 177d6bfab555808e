"""The on-time share in reports: `closed_within_target` beside the team's target, on both clocks, from
the closing counters (synthetic hour items, no AWS)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from recovery.domain.routing import ClosingTarget
from recovery.services.reports import ALL, Reports
from tests.unit.services.test_reports import FakeReader

DAY = date(2026, 11, 23)
TEAMS = [
    SimpleNamespace(id="support-emea", timezone="Europe/Oslo", closing_target=ClosingTarget()),
    SimpleNamespace(
        id="support-apac", timezone="Asia/Tokyo", closing_target=ClosingTarget(hours=24, share=0.9)
    ),
]


def reports(items: dict[str, dict[str, dict[str, Any]]], teams: list[Any] = TEAMS) -> Reports:
    return Reports(FakeReader(items), lambda: teams)


def test_the_summary_gives_both_shares_beside_the_target() -> None:
    # GIVEN four closed cases: one within 48 h on the wall clock, three within in business hours
    hour = {"resolved": 5, "closed": 4, "closed_in_target": 1, "closed_in_target_business": 3}
    summary = reports({"support-emea": {"2026-11-23T09": hour}}).summary("support-emea", DAY, DAY)
    assert summary["closed_within_target"] == {
        "target_hours": 48,
        "target_share": 0.8,
        "share": 0.25,
        "business_share": 0.75,
    }
    assert summary["metrics"]["closed"] == 4
    assert summary["metrics"]["closed_in_target_rate"] == 0.25


def test_share_is_null_when_no_case_closed_in_the_period() -> None:
    hour = {"volume": 3, "negatives": 1, "cases": 1}
    summary = reports({"support-apac": {"2026-11-23T01": hour}}).summary("support-apac", DAY, DAY)
    assert summary["closed_within_target"] == {
        "target_hours": 24,
        "target_share": 0.9,
        "share": None,
        "business_share": None,
    }


def test_all_teams_sum_the_counters_and_name_a_target_only_when_shared() -> None:
    items = {
        "support-emea": {
            "2026-11-23T09": {"closed": 2, "closed_in_target": 2, "closed_in_target_business": 2}
        },
        "support-apac": {"2026-11-23T01": {"closed": 2, "closed_in_target_business": 1}},
    }
    mixed = reports(items).summary(ALL, DAY, DAY)["closed_within_target"]
    assert mixed == {"target_hours": None, "target_share": None, "share": 0.5, "business_share": 0.75}
    same = [
        SimpleNamespace(id=team.id, timezone=team.timezone, closing_target=ClosingTarget()) for team in TEAMS
    ]
    shared = reports(items, same).summary(ALL, DAY, DAY)["closed_within_target"]
    assert (shared["target_hours"], shared["target_share"]) == (48, 0.8)


def test_the_dashboard_carries_it_too_and_breakdowns_have_the_rates() -> None:
    hour = {
        "closed": 2,
        "closed_in_target": 1,
        "closed_in_target_business": 2,
        "closed|agent|mark": 2,
        "closed_in_target|agent|mark": 1,
        "closed_in_target_business|agent|mark": 2,
    }
    report = reports({"support-emea": {"2026-11-23T09": hour}})
    assert report.dashboard("support-emea", DAY, DAY)["closed_within_target"]["share"] == 0.5
    groups = report.summary("support-emea", DAY, DAY, by="agent")["groups"]
    assert groups[0]["value"] == "mark"
    assert groups[0]["metrics"]["closed_in_target_business_rate"] == 1.0
