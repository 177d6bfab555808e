"""The stream function on real stream records from moto: events on the bus, counters once per record
however the records are redelivered, and a record it can't read parked whole in the stream DLQ."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from local.refs import STACK_NAME
from recovery.notify.dead_letters import PARKED_RECORD
from recovery.services.stream_processor import StreamProcessor
from tests.integration.conftest import Api
from tests.support import REGION, Context, Stack, StreamReader, environment, event, load_function


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, events: Any) -> None:
        self.events.extend(events)


def counters(stack: Stack) -> dict[tuple[str, str], dict[str, Any]]:
    """Every counter item as stored, by (pk, sk): read independently of the reader under test."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack.table)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for item in table.scan()["Items"]:
        if str(item["pk"]).startswith("STAT#"):
            found[(str(item["pk"]), str(item["sk"]))] = {
                name: value for name, value in item.items() if isinstance(value, Decimal)
            }
    return found


def team(stats: dict[tuple[str, str], dict[str, Any]], hour: str = "10", name: str = "support-emea") -> Any:
    """The whole-team feedback counters of one hour."""
    counts = stats[(f"STAT#{name}", f"H#2026-11-22T{hour}")]
    return {metric: int(counts[metric]) for metric in ("volume", "negatives", "cases") if metric in counts}


def feedback(external_id: str, score: int, team: str = "support-emea", hour: str = "10") -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(event("ingest_feedback_positive.json"))
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
    stream.processor = StreamProcessor(stream.processor._counters, bus)

    # WHEN the stream function handles the batch
    result = stream.lambda_handler({"Records": records}, Context())

    # THEN one CaseOpened, one FeedbackReceived listing the three responses, and counters for the
    # team and its channel/source/agent groups in the interaction's hour
    kinds = sorted(e.detail_type for e in bus.events)
    assert kinds == ["CaseOpened", "FeedbackReceived"]
    received = next(e for e in bus.events if e.detail_type == "FeedbackReceived")
    assert sorted(item["verdict"] for item in received.detail["feedback"]) == [
        "negative",
        "positive",
        "positive",
    ]
    assert all("@" not in str(e.detail) and "cust-" not in str(e.detail) for e in bus.events)
    assert result == {"batchItemFailures": []}
    stats = counters(stack)
    assert team(stats) == {"volume": 3, "negatives": 1, "cases": 1}
    counts = stats[("STAT#support-emea", "H#2026-11-22T10")]
    assert counts["volume|source|demo-web"] == 3 and counts["volume|channel|phone"] == 3
    assert counts["negatives|source|demo-web"] == 1
    # and the case opened by the negative counts under the same team and hour
    assert counts["opened"] == 1


def test_replayed_batch_changes_no_counter(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN a batch that was applied once
    reader = StreamReader(stack.table)
    for external_id, score in (("a", 10), ("b", 3)):
        api.post("/v1/feedback", feedback(external_id, score))
    records = reader.read()
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
    stream.lambda_handler({"Records": records}, Context())
    before = counters(stack)

    # WHEN the same batch is delivered again (a retry after a timeout)
    stream.lambda_handler({"Records": copy.deepcopy(records)}, Context())

    # THEN no counter moved
    assert counters(stack) == before
    assert team(before) == {"volume": 2, "negatives": 1, "cases": 1}


def test_update_moves_counters_by_the_difference(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN a positive response counted once
    reader = StreamReader(stack.table)
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
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
    assert team(counters(stack)) == {"volume": 2, "negatives": 1, "cases": 1}


def test_update_that_moves_the_hour_moves_the_count(api: Api, stack: Stack, stream: Any) -> None:
    reader = StreamReader(stack.table)
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
    api.post("/v1/feedback", feedback("r1", 9, hour="10"))
    stream.lambda_handler({"Records": reader.read()}, Context())
    api.post("/v1/feedback", feedback("r1", 9, hour="11"))
    stream.lambda_handler({"Records": reader.read()}, Context())
    stats = counters(stack)
    assert team(stats, "10") == {"volume": 0}
    assert team(stats, "11") == {"volume": 1}


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
    detail = json.loads(messages[0]["Body"])["detail"]
    assert detail["priority"] == "P1" and detail["case_id"].startswith("cs_")


def test_an_item_with_more_than_a_chunk_of_counters_is_applied_once(stack: Stack, stream: Any) -> None:
    # GIVEN one record with a team-hour of 250 counters (an exact decimal among them), and 120 other records
    from recovery.store.counters import Counted, CounterReader, CounterStore, plan_parts

    big = {f"volume|tag|t{i:03}": 1 for i in range(249)} | {"comp:EUR": Decimal("12.50")}
    now = datetime(2026, 11, 22, 11, tzinfo=UTC)
    records = [Counted("big", now, {("support-emea", "2026-11-22T10"): big})]
    records += [
        Counted(f"r{i:03}", now, {(f"team-{i:03}", "2026-11-22T10"): {"volume": 2}}) for i in range(120)
    ]
    store = CounterStore()

    # WHEN applied, then delivered again
    first = [store.apply(part, now) for part in plan_parts(records, store.counted(records))]
    counted = store.counted(records)
    again = plan_parts(records, counted)

    # THEN the big record took parts of its own (chunks of one item in separate transactions), every
    # record is found counted, and a redelivery plans nothing
    assert len(first) >= 4 and all(first)
    assert counted == {record.event_id for record in records} and again == []
    stored = counters(stack)[("STAT#support-emea", "H#2026-11-22T10")]
    assert stored == big
    assert counters(stack)[("STAT#team-119", "H#2026-11-22T10")] == {"volume": 2}
    # and the reader returns the same, ints as ints and the amount as an exact Decimal
    read = CounterReader().hours("support-emea", "2026-11-22T00", "2026-11-22T23")
    assert read == {"2026-11-22T10": big} and read.items_read == 1
    assert isinstance(read["2026-11-22T10"]["volume|tag|t000"], int)


def test_reader_reads_a_range_and_exact_hours(api: Api, stack: Stack, stream: Any) -> None:
    # GIVEN feedback counted in three hours of one team and one hour of another
    from recovery.store.counters import CounterReader

    reader = StreamReader(stack.table)
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
    for external_id, hour in (("a", "08"), ("b", "10"), ("c", "10"), ("d", "12")):
        api.post("/v1/feedback", feedback(external_id, 9, hour=hour))
    api.post("/v1/feedback", feedback("e", 9, team="support-apac", hour="10"))
    stream.lambda_handler({"Records": reader.read()}, Context())

    # WHEN a range and exact hours are read
    ranged = CounterReader().hours("support-emea", "2026-11-22T09", "2026-11-22T12")
    exact = CounterReader().get("support-emea", ["2026-11-22T08", "2026-11-22T11", "2026-11-22T12"])

    # THEN the range holds 10 and 12 only (bounds inclusive), the exact read the counted hours asked for
    assert {hour: counts["volume"] for hour, counts in ranged.items()} == {
        "2026-11-22T10": 2,
        "2026-11-22T12": 1,
    }
    assert ranged.items_read == 2
    assert {hour: counts["volume"] for hour, counts in exact.items()} == {
        "2026-11-22T08": 1,
        "2026-11-22T12": 1,
    }
    assert exact.items_read == 2
    assert "team" not in ranged["2026-11-22T10"] and "hour" not in ranged["2026-11-22T10"]


def test_a_batch_delivered_again_as_halves_and_as_a_suffix_counts_each_record_once(
    api: Api, stack: Stack, stream: Any
) -> None:
    # GIVEN six responses whose batch was counted once
    reader = StreamReader(stack.table)
    for number in range(6):
        api.post("/v1/feedback", feedback(f"r{number}", 9))
    records = reader.read()
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
    assert stream.lambda_handler({"Records": copy.deepcopy(records)}, Context()) == {"batchItemFailures": []}

    # WHEN Lambda delivers it again cut otherwise: the halves of a bisect, then a suffix from a checkpoint
    for cut in (records[:3], records[3:], records[2:]):
        assert stream.lambda_handler({"Records": copy.deepcopy(cut)}, Context()) == {"batchItemFailures": []}

    # THEN each response counts once, found by the markers of its records' creation minute
    assert team(counters(stack)) == {"volume": 6}


def test_a_record_that_cannot_be_read_is_parked_whole_and_the_rest_is_counted(api: Api, stack: Stack) -> None:
    # GIVEN the stream DLQ, and a batch of three responses whose second record can't be read
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName=f"{STACK_NAME}-StreamDLQ")["QueueUrl"]  # the template's queue name
    with environment({"STREAM_DLQ_URL": dlq}):
        stream = load_function("stream")
    stream.processor._bus = RecordingBus()
    reader = StreamReader(stack.table)
    for external_id in ("a", "b", "c"):
        api.post("/v1/feedback", feedback(external_id, 9))
    records = reader.read()
    records[1]["dynamodb"]["NewImage"]["verdict"] = {"Q": "positive"}  # no DynamoDB type is called Q

    # WHEN the stream function handles the batch
    result = stream.lambda_handler({"Records": copy.deepcopy(records)}, Context())

    # THEN the batch succeeds, the two readable responses are published and counted
    assert result == {"batchItemFailures": []}
    assert team(counters(stack)) == {"volume": 2}
    published = [item for e in stream.processor._bus.events for item in e.detail.get("feedback", [])]
    assert len(published) == 2
    # AND the unreadable record waits in the DLQ whole, with the reason, ready to be replayed
    [message] = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["kind"] == PARKED_RECORD and body["record"] == records[1]
    assert "TypeError" in body["reason"]
