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
