"""The customer's value: validated at the edge, stored on the feedback, the case it opens and the customer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import Api, table_items
from tests.support import Stack, event


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
