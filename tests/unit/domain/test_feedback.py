"""The canonical feedback refuses what it could not give back as JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from recovery.domain.feedback import FeedbackIn

BASE = {"customer": {"id": "c-1"}, "score": {"type": "nps", "value": 3}}


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_metadata_numbers_must_be_finite(number: float) -> None:
    # A mapping or page can build feedback without the edge's JSON reader; the model holds the line too.
    with pytest.raises(ValidationError, match="metadata numbers must be finite"):
        FeedbackIn.model_validate({**BASE, "metadata": {"x": number}})


def test_finite_metadata_round_trips_as_strict_json() -> None:
    feedback = FeedbackIn.model_validate({**BASE, "metadata": {"x": 1.5e300, "y": -2}})
    assert json.loads(json.dumps(feedback.metadata, allow_nan=False)) == {"x": 1.5e300, "y": -2}


@pytest.mark.parametrize(
    ("amount", "stored"), [(1200, "1200.00"), ("12.5", "12.50"), (0, "0.00"), (0.1, "0.10")]
)
def test_customer_value_keeps_cents(amount: object, stored: str) -> None:
    feedback = FeedbackIn.model_validate(
        {**BASE, "customer": {"id": "c-1", "value": {"amount": amount, "currency": "NOK"}}}
    )
    assert feedback.customer.value is not None
    assert str(feedback.customer.value.amount) == stored


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ({"amount": float("nan"), "currency": "EUR"}, "amount", "finite"),
        ({"amount": float("inf"), "currency": "EUR"}, "amount", "finite"),
        ({"amount": 1.005, "currency": "EUR"}, "amount", "at most 2 decimals"),
        ({"amount": -0.01, "currency": "EUR"}, "amount", "greater than or equal to 0"),
        ({"amount": 1_000_000_000.01, "currency": "EUR"}, "amount", "less than or equal to"),
        ({"amount": 5, "currency": "Eur"}, "currency", "pattern"),
    ],
)
def test_customer_value_refuses(value: object, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        FeedbackIn.model_validate({**BASE, "customer": {"id": "c-1", "value": value}})
    error = raised.value.errors()[0]
    assert error["loc"] == ("customer", "value", field) and message in error["msg"]
