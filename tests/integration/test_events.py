"""Every sample event in events/ runs through the function it is named after (sam local invoke -e)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.integration.conftest import KEY
from tests.integration.test_stream import RecordingBus, counters
from tests.support import EVENTS, Context, Stack, event, load_function

SAMPLES = sorted(path.name for path in EVENTS.glob("*.json"))
FUNCTIONS = {path.parent.name for path in (EVENTS.parent / "functions").glob("*/app.py")}


def function_of(sample: str) -> str:
    """The function a sample is named after: the longest function name it starts with (`customer_ack_...`)."""
    named = [function for function in FUNCTIONS if sample.startswith(f"{function}_")]
    return max(named, key=len) if named else sample.split("_", 1)[0]


def test_every_function_has_a_sample_event() -> None:
    assert {function_of(name) for name in SAMPLES} >= FUNCTIONS


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_event_runs(name: str, stack: Stack) -> None:
    module: ModuleType = load_function(function_of(name))
    sample = event(name)
    if "headers" in sample and "authorization" in sample["headers"]:
        sample["headers"]["authorization"] = f"Bearer {KEY}"
    if function_of(name) == "stream":
        module.processor._bus = RecordingBus()
    result = module.lambda_handler(sample, Context())
    function = function_of(name)
    if function == "ingest":
        assert result["statusCode"] in (200, 201)
    elif function == "stream":
        # A stream batch with a negative (and its case) and a positive: every record done, two events
        # published (one CaseOpened, one FeedbackReceived listing both responses), and counters written.
        assert result == {"batchItemFailures": []}
        assert sorted(e.detail_type for e in module.processor._bus.events) == [
            "CaseOpened",
            "FeedbackReceived",
        ]
        assert counters(stack)
    elif function == "alert":
        # the sample's case is not in this empty table (CaseOpened: no alert; CaseAcknowledged: no update)
        assert (result.get("skipped") or result.get("slack")) == "no such case"
    elif function == "sweep":
        assert result["items_read"] == 0
    elif function == "deliveries":
        assert result["suppressed"] == 1  # jane@example.com bounced permanently
    elif function == "admin":
        assert result["statusCode"] == 401  # the sample carries no real admin key
    elif function == "ack":
        assert result["statusCode"] == 403  # a code nobody issued
        assert result["headers"]["Referrer-Policy"] == "no-referrer"
    elif function == "cases":
        assert result["statusCode"] == 404  # a case that is not in this empty table
        assert result["headers"]["Content-Type"] == "application/problem+json"
    elif function == "console":
        assert result["statusCode"] == 200  # the console's entry module
        assert result["headers"]["Content-Type"].startswith("text/javascript")
    elif function == "customer_ack" and sample.get("detail-type") == "Scheduled Event":
        assert result["items_read"] == 0  # nothing is waiting for the morning in this empty table
    elif function == "customer_ack":
        assert result["customer_acked"] == "skipped:no_case"  # the sample's case is not in this table
    elif function == "unsubscribe":
        assert result["statusCode"] == 403  # a code nobody issued
        assert result["headers"]["Referrer-Policy"] == "no-referrer"
    elif function == "follow_up":
        assert result["items_read"] == 0 and result["sent"] == []  # nothing is due in this empty table
    elif function == "follow_up_page":
        assert result["statusCode"] == 403  # a code nobody issued
        assert 'lang="nb"' in result["body"]  # refused in the browser's language
    elif function == "outbound":
        assert result == {"batchItemFailures": []}  # no endpoint is configured in this empty table
    elif function == "slack":
        # Signed with an example secret, and long ago: refused before the secret is even read
        assert result["statusCode"] == 401
        assert result["headers"]["Content-Type"] == "application/problem+json"
    elif function == "survey_page":
        assert result["statusCode"] == 200  # the seeded demo source's hosted page
        assert 'lang="ja"' in result["body"] and 'value="oslo-1"' in result["body"]
    elif function == "reports" and "job" in sample:
        assert result == {"job": "anomalies", "skipped": "no teams configured"}  # an empty table
    elif function == "reports":
        assert result["statusCode"] == 404  # Kari's team is not configured in this empty table
        assert result["headers"]["Content-Type"] == "application/problem+json"
    elif function == "inbound":
        # A reply to a bucket that is not this stack's (never read), or a text from a number never texted
        assert result == {"dropped": 1}
    elif function == "hooks":
        assert result["statusCode"] == 404  # the sample's source is not in this table: the only 404
        assert result["headers"]["Content-Type"] == "application/problem+json"
    else:
        raise AssertionError(f"no expectation for the sample event {name}")
