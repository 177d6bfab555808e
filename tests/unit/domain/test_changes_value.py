"""The customer's value at stake, counted from case images: at risk when the case opens, retained when
its outcome is recovered, per currency, never added across currencies."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from recovery.domain.changes import Change, counter_deltas, customer_value

TEAM_HOUR = ("emea", "2026-11-22T10")
OPENED = {
    "pk": "CASE#cs_1",
    "sk": "CASE",
    "case_id": "cs_1",
    "priority": 2,
    "status": "open",
    "team": "emea",
    "agent": "mark",
    "occurred_at": "2026-11-22T10:15:00+00:00",
    "opened_at": "2026-11-22T10:15:01+00:00",
    # a JSON attribute, as the stream delivers it
    "customer_value": json.dumps({"amount": "1200.50", "currency": "EUR"}),
}


def case(old: dict[str, Any] | None, new: dict[str, Any]) -> Change:
    return Change("e1", "MODIFY" if old else "INSERT", "CASE#cs_1", old, new)


def value_counters(deltas: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    return {name: n for name, n in deltas.get(TEAM_HOUR, {}).items() if name.startswith("value_")}


def test_an_opened_case_puts_its_customers_value_at_risk_for_the_team_and_its_groups() -> None:
    deltas = counter_deltas([case(None, OPENED)])
    assert value_counters(deltas) == {
        "value_risk:EUR": Decimal("1200.50"),
        "value_risk:EUR|agent|mark": Decimal("1200.50"),
        "value_risk:EUR|channel|none": Decimal("1200.50"),
        "value_risk:EUR|source|none": Decimal("1200.50"),
    }


def test_a_recovered_outcome_adds_the_value_retained_once() -> None:
    resolved = {**OPENED, "status": "resolved", "outcome": None}
    recovered = {**resolved, "outcome": "recovered"}
    # WHEN the follow-up's answer makes the case recovered
    deltas = counter_deltas([case(resolved, recovered)])
    # THEN only the retained value moves; the value at risk was counted when the case opened
    whole = {name: n for name, n in value_counters(deltas).items() if "|" not in name}
    assert whole == {"value_kept:EUR": Decimal("1200.50")}
    # and a later change that keeps the outcome moves nothing
    again = counter_deltas([case(recovered, {**recovered, "owner": "kari"})])
    assert value_counters(again) == {}


@pytest.mark.parametrize("outcome", ["improved", "not_recovered", "no_response"])
def test_other_outcomes_retain_nothing(outcome: str) -> None:
    deltas = counter_deltas([case(None, {**OPENED, "status": "resolved", "outcome": outcome})])
    assert "value_kept:EUR" not in value_counters(deltas)


def test_a_repeat_failure_puts_the_value_at_risk_again_and_says_so() -> None:
    deltas = counter_deltas([case(None, {**OPENED, "repeat_failure": True})])
    whole = {name: n for name, n in value_counters(deltas).items() if "|" not in name}
    assert whole == {"value_risk:EUR": Decimal("1200.50"), "value_risk_repeat:EUR": Decimal("1200.50")}


def test_cases_in_two_currencies_count_apart() -> None:
    other = {
        **OPENED,
        "pk": "CASE#cs_2",
        "case_id": "cs_2",
        "customer_value": {"amount": "900", "currency": "NOK"},
    }
    deltas = counter_deltas([case(None, OPENED), Change("e2", "INSERT", "CASE#cs_2", None, other)])
    whole = {name: n for name, n in value_counters(deltas).items() if "|" not in name}
    assert whole == {"value_risk:EUR": Decimal("1200.50"), "value_risk:NOK": Decimal("900")}


def test_a_case_without_a_value_counts_no_value() -> None:
    plain = {key: item for key, item in OPENED.items() if key != "customer_value"}
    assert value_counters(counter_deltas([case(None, plain)])) == {}


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "not json",
        {"amount": "NaN", "currency": "EUR"},
        {"amount": "-5", "currency": "EUR"},
        {"amount": "12", "currency": "E1R"},
        {"amount": "12"},
        ["12", "EUR"],
    ],
)
def test_an_unreadable_value_counts_nothing(stored: Any) -> None:
    assert customer_value(stored) is None
