"""Closing on time in the counters: each resolved case against the target recorded on it, on the wall
clock and in business hours, from its final image (no AWS)."""

from __future__ import annotations

from typing import Any

from recovery.domain.changes import Change, case_contribution, counter_deltas

HOUR = 3600
# Opened on Friday 20 November 2026 at 16:00 in Oslo (15:00 UTC), acknowledged at once.
ACKED: dict[str, Any] = {
    "pk": "CASE#cs_1",
    "sk": "CASE",
    "case_id": "cs_1",
    "priority": 2,
    "status": "acknowledged",
    "team": "emea",
    "agent": "mark",
    "occurred_at": "2026-11-20T15:00:00+00:00",
    "opened_at": "2026-11-20T15:00:00+00:00",
    "acked_at": "2026-11-20T15:05:00+00:00",
    "resolve_due_at": "2026-11-21T15:00:00+00:00",
}
TEAM_HOUR = ("emea", "2026-11-20T15")
CLOSING = ("closed", "closed_in_target", "closed_in_target_business")


def resolved(at: str, business_s: int | None, target_hours: int | None = 48) -> dict[str, Any]:
    image = {**ACKED, "status": "resolved", "resolved_at": at}
    if target_hours is not None:
        image["target_hours"] = target_hours
    if business_s is not None:
        image["resolve_business_s"] = business_s
    return image


def closing(slots: dict[Any, Any], group: str = "") -> dict[str, Any]:
    return {
        name: amount
        for (team_hour, name), amount in slots.items()
        if team_hour == TEAM_HOUR
        and name.removesuffix(group) in CLOSING
        and (not group or name.endswith(group))
    }


def change(old: dict[str, Any] | None, new: dict[str, Any]) -> Change:
    return Change("e", "MODIFY" if old else "INSERT", "CASE#cs_1", old, new)


def test_over_a_weekend_the_wall_clock_misses_what_business_hours_make() -> None:
    # GIVEN Friday 16:00 to Monday 10:00 in Oslo: 66 hours on the wall clock, two office hours
    image = resolved("2026-11-23T09:00:00+00:00", business_s=2 * HOUR)
    # THEN against 48 hours the customer waited too long, the team's business hours did not
    assert closing(case_contribution(image)) == {"closed": 1, "closed_in_target_business": 1}


def test_within_the_target_on_both_clocks_and_the_groups_count_too() -> None:
    image = resolved("2026-11-22T15:00:00+00:00", business_s=8 * HOUR)  # exactly 48 hours: within
    slots = case_contribution(image)
    assert closing(slots) == {"closed": 1, "closed_in_target": 1, "closed_in_target_business": 1}
    assert closing(slots, "|agent|mark") == {
        "closed|agent|mark": 1,
        "closed_in_target|agent|mark": 1,
        "closed_in_target_business|agent|mark": 1,
    }


def test_the_target_recorded_on_the_case_is_the_one_that_counts() -> None:
    # the same 66 hours against a 72-hour target kept on the case at resolve: within on both clocks
    image = resolved("2026-11-23T09:00:00+00:00", business_s=2 * HOUR, target_hours=72)
    assert closing(case_contribution(image)) == {
        "closed": 1,
        "closed_in_target": 1,
        "closed_in_target_business": 1,
    }
    # and one business second over a 1-hour target is over
    late = resolved("2026-11-20T15:30:00+00:00", business_s=HOUR + 1, target_hours=1)
    assert closing(case_contribution(late)) == {"closed": 1, "closed_in_target": 1}


def test_a_case_resolved_without_a_recorded_target_counts_in_neither_part() -> None:
    image = resolved("2026-11-20T16:00:00+00:00", business_s=None, target_hours=None)
    slots = case_contribution(image)
    assert closing(slots) == {}
    assert slots[(TEAM_HOUR, "resolved")] == 1


def test_an_open_case_counts_nothing() -> None:
    assert closing(case_contribution(ACKED)) == {}


def test_resolving_adds_and_a_reopen_takes_away() -> None:
    late = resolved("2026-11-23T09:00:00+00:00", business_s=2 * HOUR)
    resolving = counter_deltas([change(ACKED, late)])[TEAM_HOUR]
    assert {name: resolving.get(name) for name in CLOSING} == {
        "closed": 1,
        "closed_in_target": None,
        "closed_in_target_business": 1,
    }
    reopened = {**ACKED, "status": "acknowledged"}  # a reopen removes resolved_at and the closing values
    taking = counter_deltas([change(late, reopened)])[TEAM_HOUR]
    assert {name: taking.get(name) for name in CLOSING} == {
        "closed": -1,
        "closed_in_target": None,
        "closed_in_target_business": -1,
    }


def test_a_reopened_and_re_resolved_case_counts_by_its_final_image() -> None:
    # GIVEN a case resolved in time, reopened, then resolved again after the weekend
    first = resolved("2026-11-20T17:00:00+00:00", business_s=0)
    final = resolved("2026-11-23T16:00:00+00:00", business_s=9 * HOUR)
    steps = [change(None, ACKED), change(ACKED, first), change(first, ACKED), change(ACKED, final)]
    # WHEN every change's difference is applied
    totals: dict[str, int] = {}
    for step in steps:
        for name, amount in counter_deltas([step]).get(TEAM_HOUR, {}).items():
            totals[name] = totals.get(name, 0) + int(amount)
    # THEN the counters hold exactly what the final image contributes: closed once, late on the wall
    # clock (73 hours), within in business hours
    assert {name: totals.get(name, 0) for name in CLOSING} == {
        "closed": 1,
        "closed_in_target": 0,
        "closed_in_target_business": 1,
    }
    assert {name: totals.get(name, 0) for name in CLOSING} == {
        name: closing(case_contribution(final)).get(name, 0) for name in CLOSING
    }
