"""The stream function on real stream records from moto: events on the bus, counters once per batch."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import boto3
import pytest

from recovery.outbox import Outbox
from tests.integration.conftest import Api
from tests.support import REGION, Context, Stack, StreamReader, event, load_function


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, events: Any) -> None:
        self.events.extend(events)


def counters(stack: Stack) -> dict[tuple[str, str], dict[str, int]]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack.table)
    found: dict[tuple[str, str], dict[str, int]] = {}
    for item in table.scan()["Items"]:
        if str(item["pk"]).startswith("STAT#"):
            found[(str(item["pk"]), str(item["sk"]))] = {
                metric: int(item[metric])
                for metric in ("volume", "negatives", "cases")
                if isinstance(item.get(metric), Decimal)
            }
    return found


def feedback(external_id: str, score: int, team: str = "support-emea", hour: str = "10") -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(event("ingest_feedback_positive.json"))
    import json

    document = json.loads(body["body"])
    document.update(
        external_id=external_id,
        occurred_at=f"2026-11-22T{hour}:05:00Z",
        score={"type": "nps", "value": score},
    )
    document["interaction"]["team"] = team
    document["customer"] = {"id": f"cust-{external_id}"}
    return document


@pytest.fixture
def stream(stack: Stack) -> Any:
    return load_function("stream")


def test_batch_publishes_events_and_counts(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN two positives and one negative committed by intake
    reader = StreamReader(stack.table)
    for external_id, score in (("a", 10), ("b", 9), ("c", 2)):
        assert api.post("/v1/feedback", feedback(external_id, score))[0] == 201
    records = reader.read()
    bus = RecordingBus()
    stream.outbox = Outbox(stream.outbox._counters, bus)

    # WHEN the stream function handles the batch
    result = stream.lambda_handler({"Records": records}, Context())

    # THEN one CaseOpened, one FeedbackReceived listing the three responses, and counters by
    # team/channel/source/hour
    kinds = sorted(e.detail_type for e in bus.events)
    assert kinds == ["CaseOpened", "FeedbackReceived"]
    received = next(e for e in bus.events if e.detail_type == "FeedbackReceived")
    assert sorted(item["verdict"] for item in received.detail["feedback"]) == [
        "negative",
        "positive",
        "positive",
    ]
    assert all("@" not in str(e.detail) and "cust-" not in str(e.detail) for e in bus.events)
    assert result["events"] == 2
    stats = counters(stack)
    assert stats[("STAT#team#support-emea", "H#2026-11-22T10")] == {"volume": 3, "negatives": 1, "cases": 1}
    assert stats[("STAT#all#all", "H#2026-11-22T10")] == {"volume": 3, "negatives": 1, "cases": 1}
    assert stats[("STAT#source#demo-web", "H#2026-11-22T10")]["volume"] == 3
    assert stats[("STAT#channel#phone", "H#2026-11-22T10")]["volume"] == 3


def test_replayed_batch_changes_no_counter(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN a batch that was applied once
    reader = StreamReader(stack.table)
    for external_id, score in (("a", 10), ("b", 3)):
        api.post("/v1/feedback", feedback(external_id, score))
    records = reader.read()
    stream.outbox = Outbox(stream.outbox._counters, RecordingBus())
    stream.lambda_handler({"Records": records}, Context())
    before = counters(stack)

    # WHEN the same batch is delivered again (a retry after a timeout)
    stream.lambda_handler({"Records": copy.deepcopy(records)}, Context())

    # THEN no counter moved
    assert counters(stack) == before
    assert before[("STAT#all#all", "H#2026-11-22T10")] == {"volume": 2, "negatives": 1, "cases": 1}


def test_update_moves_counters_by_the_difference(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN a positive response counted once
    reader = StreamReader(stack.table)
    stream.outbox = Outbox(stream.outbox._counters, RecordingBus())
    api.post("/v1/feedback", feedback("r1", 9))
    api.post("/v1/feedback", feedback("r2", 10))
    stream.lambda_handler({"Records": reader.read()}, Context())

    # WHEN r1 is updated to a negative (MODIFY with old and new images)
    status, _, body = api.post("/v1/feedback", feedback("r1", 1))
    assert (status, body["status"]) == (200, "updated")
    records = reader.read()
    assert {r["eventName"] for r in records} == {"MODIFY", "INSERT"}  # feedback modified, case inserted
    stream.lambda_handler({"Records": records}, Context())

    # THEN volume stays 2; negatives and cases move by one each
    assert counters(stack)[("STAT#all#all", "H#2026-11-22T10")] == {"volume": 2, "negatives": 1, "cases": 1}


def test_update_that_moves_the_hour_moves_the_count(api: Api, stack: Stack, stream: Any) -> None:
    reader = StreamReader(stack.table)
    stream.outbox = Outbox(stream.outbox._counters, RecordingBus())
    api.post("/v1/feedback", feedback("r1", 9, hour="10"))
    stream.lambda_handler({"Records": reader.read()}, Context())
    api.post("/v1/feedback", feedback("r1", 9, hour="11"))
    stream.lambda_handler({"Records": reader.read()}, Context())
    stats = counters(stack)
    assert stats[("STAT#all#all", "H#2026-11-22T10")] == {"volume": 0}
    assert stats[("STAT#all#all", "H#2026-11-22T11")] == {"volume": 1}


def test_events_reach_the_bus(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN a rule on the bus that archives to a queue
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="case-opened")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="opened", EventBusName=stack.bus, EventPattern='{"detail-type": ["CaseOpened"]}')
    events.put_targets(Rule="opened", EventBusName=stack.bus, Targets=[{"Id": "q", "Arn": arn}])
    reader = StreamReader(stack.table)
    api.post("/v1/feedback", feedback("neg", 0))

    # WHEN the stream function runs with the real EventBridge publisher
    stream.lambda_handler({"Records": reader.read()}, Context())

    # THEN the CaseOpened event is on the bus
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    import json

    detail = json.loads(messages[0]["Body"])["detail"]
    assert detail["priority"] == "P1" and detail["case_id"].startswith("cs_")
