"""Every sample event in events/ runs through the function it is named after (sam local invoke -e)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.integration.conftest import KEY
from tests.support import EVENTS, Context, Stack, event, load_function

SAMPLES = sorted(path.name for path in EVENTS.glob("*.json"))


def test_every_function_has_a_sample_event() -> None:
    functions = {path.parent.name for path in (EVENTS.parent / "functions").glob("*/app.py")}
    assert functions <= {name.split("_", 1)[0] for name in SAMPLES}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_event_runs(name: str, stack: Stack) -> None:
    module: ModuleType = load_function(name.split("_", 1)[0])
    sample = event(name)
    if "headers" in sample and "authorization" in sample["headers"]:
        sample["headers"]["authorization"] = f"Bearer {KEY}"
    result = module.lambda_handler(sample, Context())
    function = name.split("_", 1)[0]
    if function == "ingest":
        assert result["statusCode"] in (200, 201)
    elif function == "stream":
        # A stream batch with a negative (and its case) and a positive: two events are published, one
        # CaseOpened and one FeedbackReceived listing both responses.
        assert result["events"] == 2 and result["counters"] > 0
    elif function == "alert":
        assert result["skipped"] == "no such case"  # the sample's case is not in this empty table
    elif function == "sweep":
        assert result["items_read"] == 0
    elif function == "deliveries":
        assert result["suppressed"] == 1  # jane@example.com bounced permanently
    elif function == "admin":
        assert result["statusCode"] == 401  # the sample carries no real admin key
    elif function == "ack":
        assert result["statusCode"] == 403  # a code nobody issued
        assert result["headers"]["Referrer-Policy"] == "no-referrer"
    else:
        raise AssertionError(f"no expectation for the sample event {name}")
