"""The customer's value: validated at the edge, stored on the feedback, the case it opens and the customer."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from recovery import clock
from recovery.domain.routing import parse_config
from recovery.store.alerting import ConfigStore
from tests.integration.conftest import Api, table_items
from tests.integration.test_admin import admin, call, demo
from tests.support import ROOT, Stack, event
from tools.seed import seed_alerting

__all__ = ["admin"]  # the admin function, as the admin tests build it


def negative(value: Any) -> dict[str, Any]:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body["customer"]["value"] = value
    return body


def item(stack: Stack, prefix: str) -> dict[str, Any]:
    return next(found for found in table_items(stack) if found["pk"]["S"].startswith(prefix))


def test_value_is_stored_on_the_feedback_the_case_and_the_customer(api: Api, stack: Stack) -> None:
    status, _, body = api.post("/v1/feedback", negative({"amount": 1200, "currency": "EUR"}))
    assert status == 201 and body["case_id"]
    stored = {"amount": "1200.00", "currency": "EUR"}
    assert json.loads(item(stack, "FB#")["detail"]["S"])["customer_value"] == stored
    assert json.loads(item(stack, "CASE#")["customer_value"]["S"]) == stored
    assert json.loads(item(stack, "CUST#")["value"]["S"]) == stored


def test_without_a_value_nothing_is_stored(api: Api, stack: Stack) -> None:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    assert api.post("/v1/feedback", body)[0] == 201
    assert "customer_value" not in item(stack, "CASE#")
    assert "value" not in item(stack, "CUST#")


@pytest.mark.parametrize(
    ("value", "pointer"),
    [
        ({"amount": 1200, "currency": "eur"}, "/customer/value/currency"),
        ({"amount": 1200, "currency": "EURO"}, "/customer/value/currency"),
        ({"amount": -1, "currency": "EUR"}, "/customer/value/amount"),
        ({"amount": 12.345, "currency": "EUR"}, "/customer/value/amount"),
        ({"amount": "NaN", "currency": "EUR"}, "/customer/value/amount"),
        ({"amount": 1e15, "currency": "EUR"}, "/customer/value/amount"),
        ({"amount": True, "currency": "EUR"}, "/customer/value/amount"),
        ({"currency": "EUR"}, "/customer/value/amount"),
        ({"amount": 10, "currency": "EUR", "kind": "annual"}, "/customer/value/kind"),
        (1200, "/customer/value"),
    ],
)
def test_bad_value_is_a_400_naming_the_field(api: Api, stack: Stack, value: Any, pointer: str) -> None:
    before = table_items(stack)
    status, headers, body = api.post("/v1/feedback", negative(value))
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert pointer in {error["pointer"] for error in body["errors"]}
    assert table_items(stack) == before


def test_openapi_documents_the_value(api: Api) -> None:
    status, _, document = api.get("/v1/openapi.json")
    assert status == 200
    schemas = document["components"]["schemas"]
    value = schemas["CustomerValue"]
    assert set(value["required"]) == {"amount", "currency"}
    assert value["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"


# --------------------------------------------------------------------------- routing rules on the value
RAISE = {
    "name": "key accounts first",
    "match": {"min_value": {"amount": 10000, "currency": "EUR"}},
    "priority": "P1",
}


def store_rules(*rules: dict[str, Any]) -> None:
    document = demo()
    routing = [
        rule for rule in document["routing"]["rules"] if "priority" not in rule
    ]  # the demo's own raise
    document["routing"]["rules"] = [*routing, *rules]
    ConfigStore().put(parse_config(document), clock.now(), by="test")


@pytest.mark.parametrize(
    ("value", "priority"),
    [
        ({"amount": 10000, "currency": "EUR"}, "P1"),  # at the threshold
        ({"amount": "9999.99", "currency": "EUR"}, "P2"),  # below: the priority the score gives
        ({"amount": 900000, "currency": "NOK"}, "P2"),  # another currency never matches
        (None, "P2"),
    ],
)
def test_a_rule_raises_a_negatives_priority_above_a_value_threshold(
    api: Api, stack: Stack, value: Any, priority: str
) -> None:
    # GIVEN the demo teams with a rule that makes key accounts P1
    store_rules(RAISE)
    body = (
        negative(value) if value is not None else json.loads(event("ingest_feedback_negative.json")["body"])
    )
    # WHEN a negative arrives (its score and comment alone make it P2)
    status, _, answer = api.post("/v1/feedback", body)
    # THEN the case opens at P1 only when the customer's value reaches the threshold in its currency
    assert (status, answer["priority"]) == (201, priority)
    case = item(stack, "CASE#")
    assert (int(case["priority"]["N"]), case["queue_sk"]["S"][:2]) == (int(priority[1]), priority)
    detail = json.loads(item(stack, "FB#")["detail"]["S"])
    assert detail.get("priority_rule") == ("key accounts first" if priority == "P1" else None)


def test_without_a_priority_rule_the_value_changes_nothing(api: Api, stack: Stack) -> None:
    store_rules()
    status, _, answer = api.post("/v1/feedback", negative({"amount": 10**6, "currency": "EUR"}))
    assert (status, answer["priority"]) == (201, "P2")


def test_the_admin_api_refuses_a_bad_value_rule_naming_the_key(admin: ModuleType) -> None:
    document = demo()
    bad = {**RAISE, "match": {"min_value": {"amount": 10000, "currency": "euro"}}}
    document["routing"]["rules"].append(bad)
    status, _, problem = call(admin, "PUT", document)
    at = len(document["routing"]["rules"]) - 1
    assert status == 400 and problem["detail"].startswith(f"routing/rules/{at}/match/min_value/currency")
    neither = {"name": "does nothing", "match": {"min_value": {"amount": 1, "currency": "EUR"}}}
    document["routing"]["rules"][at] = neither
    status, _, problem = call(admin, "PUT", document)
    assert (
        status == 400 and problem["detail"] == f"routing/rules/{at}: a rule names a team, a priority, or both"
    )
    document["routing"]["rules"][at] = RAISE
    status, _, stored = call(admin, "PUT", document)
    assert status == 200 and stored["routing"]["rules"][at]["match"]["min_value"] == {
        "amount": "10000",
        "currency": "EUR",
    }
    assert (
        stored["routing"]["rules"][at]["priority"] == "P1" and stored["routing"]["rules"][at]["team"] is None
    )


def test_the_demo_configuration_makes_key_accounts_p1(api: Api, stack: Stack) -> None:
    # GIVEN the demo teams and routing as `make run` seeds them (docs/routing-rules.md)
    assert seed_alerting(ROOT / "config")
    # WHEN a EUR 12,000 customer and a NOK 12,000 customer complain
    eur = api.post("/v1/feedback", negative({"amount": 12000, "currency": "EUR"}))[2]
    other = negative({"amount": 12000, "currency": "NOK"})
    other["external_id"], other["customer"]["id"] = "resp-nok", "c-nok"
    nok = api.post("/v1/feedback", other)[2]
    # THEN only the one in the rule's currency is raised
    assert (eur["priority"], nok["priority"]) == ("P1", "P2")
