"""Routing rules on the customer's value: `min_value` matches at or above a threshold in the same currency
only, and a rule's `priority` raises a matching case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from recovery.domain.records import Case
from recovery.domain.routing import (
    ConfigError,
    Subject,
    parse_config,
    raised_priority,
    route,
    routing_subject,
)

TEAM = {
    "id": "emea",
    "name": "EMEA",
    "levels": {1: [{"id": "kari", "name": "Kari", "email": "kari@example.com", "channels": ["email"]}]},
}
KEY = {"id": "key-accounts", "name": "Key accounts", "levels": TEAM["levels"]}
THRESHOLD = {"amount": 10000, "currency": "EUR"}


def config(*rules: dict[str, Any]) -> Any:
    return parse_config({"teams": [TEAM, KEY], "routing": {"rules": list(rules), "default_team": "emea"}})


def subject(value: tuple[str, str] | None, priority: str = "P3", **extra: Any) -> Subject:
    worth = (value[0], Decimal(value[1])) if value else None
    return Subject(priority=priority, value=worth, **extra)


RAISE = {"name": "big accounts first", "match": {"min_value": THRESHOLD}, "priority": "P1"}


@pytest.mark.parametrize(
    ("value", "raised"),
    [
        (("EUR", "10000.00"), ("P1", "big accounts first")),  # at the threshold
        (("EUR", "250000"), ("P1", "big accounts first")),
        (("EUR", "9999.99"), None),  # just below
        (("NOK", "500000"), None),  # another currency never matches, however large
        (("USD", "10000"), None),
        (None, None),  # no value
    ],
)
def test_a_rule_raises_the_priority_only_at_or_above_the_threshold_in_its_currency(
    value: tuple[str, str] | None, raised: tuple[str, str] | None
) -> None:
    assert raised_priority(config(RAISE), subject(value)) == raised


def test_a_rule_never_lowers_a_priority_and_the_most_urgent_wins() -> None:
    p2 = {"name": "mid", "match": {"min_value": {"amount": 1000, "currency": "EUR"}}, "priority": "P2"}
    rules = config(p2, RAISE)
    assert raised_priority(rules, subject(("EUR", "50000"), "P3")) == ("P1", "big accounts first")
    assert raised_priority(rules, subject(("EUR", "5000"), "P3")) == ("P2", "mid")
    assert raised_priority(rules, subject(("EUR", "5000"), "P1")) is None  # already more urgent
    assert raised_priority(rules, subject(("EUR", "5000"), "P2")) is None  # already as urgent


def test_other_conditions_still_hold_beside_the_value() -> None:
    rule = {**RAISE, "match": {"min_value": THRESHOLD, "channel": ["phone"]}}
    assert raised_priority(config(rule), subject(("EUR", "20000"), channel="chat")) is None
    assert raised_priority(config(rule), subject(("EUR", "20000"), channel="phone")) == ("P1", RAISE["name"])


def test_a_priority_only_rule_does_not_route_and_a_team_rule_can_match_the_value() -> None:
    to_key = {"name": "key accounts", "match": {"min_value": THRESHOLD}, "team": "key-accounts"}
    rules = config(RAISE, to_key)
    assert route(rules, subject(("EUR", "20000")))[0].id == "key-accounts"
    assert route(rules, subject(("EUR", "200")))[0].id == "emea"
    assert route(rules, subject(("NOK", "20000")))[0].id == "emea"
    assert route(config(RAISE), subject(("EUR", "20000"))) == (rules.team("emea"), "default")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "x", "match": {}}, "routing/rules/0: a rule names a team, a priority, or both"),
        ({**RAISE, "priority": "P0"}, "routing/rules/0/priority"),
        (
            {**RAISE, "match": {"min_value": {"amount": 10000, "currency": "eur"}}},
            "routing/rules/0/match/min_value/currency",
        ),
        (
            {**RAISE, "match": {"min_value": {"amount": -1, "currency": "EUR"}}},
            "routing/rules/0/match/min_value/amount",
        ),
        (
            {**RAISE, "match": {"min_value": {"amount": 1.005, "currency": "EUR"}}},
            "routing/rules/0/match/min_value/amount",
        ),
        (
            {**RAISE, "match": {"min_value": {"amount": "NaN", "currency": "EUR"}}},
            "routing/rules/0/match/min_value/amount",
        ),
        ({**RAISE, "match": {"min_value": {"amount": 5}}}, "routing/rules/0/match/min_value/currency"),
        ({**RAISE, "match": {"min_value": 10000}}, "routing/rules/0/match/min_value"),
    ],
)
def test_bad_rules_are_refused_naming_the_key(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        config(rule)
    assert str(refused.value).startswith(message)


def test_a_case_is_routed_by_the_value_it_was_opened_with() -> None:
    # GIVEN a case carrying its customer's value as stored ({"amount": "...", "currency": ...})
    moment = datetime(2026, 11, 22, 10, tzinfo=UTC)
    case = Case(
        case_id="cs_1", feedback_pk="FB#web#r1", feedback_id="fb_1", source="web", status="open", priority=3,
        customer_key="k", opened_at=moment, occurred_at=moment, ack_due_at=moment, resolve_due_at=moment,
        alert_state="pending", customer_value={"amount": "12000.00", "currency": "EUR"},
    )  # fmt: skip
    to_key = {"name": "key accounts", "match": {"min_value": THRESHOLD}, "team": "key-accounts"}
    # WHEN its alert routes it THEN the value rule takes it; without a value it goes the default way
    assert routing_subject(case, None).value == ("EUR", Decimal("12000.00"))
    assert route(config(to_key), routing_subject(case, None))[0].id == "key-accounts"
    plain = replace(case, customer_value=None)
    assert route(config(to_key), routing_subject(plain, None))[0].id == "emea"
