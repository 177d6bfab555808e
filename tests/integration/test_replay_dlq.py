"""replay-dlq against moto: a dry run lists and moves nothing; a real run puts events back on the bus,
outbound case events back on their queue, and drops failed scheduled runs; the stream DLQ's parked
records and Lambda's OnFailure pointers go back through the stream function; every DLQ of the template
is covered by the stack-wide run."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest

from local.refs import STACK_NAME
from recovery.notify.dead_letters import parked_message
from tests.integration.conftest import Api
from tests.integration.test_stream import RecordingBus, counters, feedback, team
from tests.support import REGION, Context, Stack, StreamReader, environment, event, load_function, template
from tools.ops import STACK_DLQS, Targets, main, replay_queue


def queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def bodies(url: str) -> list[dict[str, object]]:
    sqs = boto3.client("sqs", region_name=REGION)
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(message["Body"]) for message in found]


def count(url: str) -> int:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_dry_run_lists_and_moves_nothing_then_the_real_run_moves(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    # GIVEN a rule delivering CaseOpened to a queue (standing in for the alert function)
    target, arn = queue("alert-target")
    events.put_rule(Name="opened", EventBusName=stack.bus, EventPattern='{"detail-type": ["CaseOpened"]}')
    events.put_targets(Rule="opened", EventBusName=stack.bus, Targets=[{"Id": "q", "Arn": arn}])
    # AND in the alert DLQ: two failed CaseOpened events and one failed sweep run
    for _ in range(2):
        sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=json.dumps(event("alert_case_opened.json")))
    sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=json.dumps(event("sweep_schedule.json")))

    # WHEN a dry run lists them
    assert main(["replay-dlq", "--queue-url", stack.dlq_url, "--bus", stack.bus, "--dry-run"]) == 0
    listed = capsys.readouterr().out
    # THEN each is named with what would be done, and nothing moved: all three wait, visible, in the DLQ
    assert listed.count("would replay event") == 2 and listed.count("would drop scheduled run") == 1
    assert "(3/3)" in listed and "none moved" in listed
    assert count(stack.dlq_url) == 3 and bodies(target) == []

    # WHEN the real run replays them
    assert main(["replay-dlq", "--queue-url", stack.dlq_url, "--bus", stack.bus]) == 0
    done = capsys.readouterr().out
    # THEN both events are back on the bus, the scheduled run is dropped, and the DLQ is empty
    assert "done: 2 replayed, 1 dropped, 0 kept" in done
    arrived = bodies(target)
    assert [body["detail-type"] for body in arrived] == ["CaseOpened", "CaseOpened"]
    assert count(stack.dlq_url) == 0


def test_outbound_events_go_back_on_their_queue_not_the_bus(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    # GIVEN a case event in the outbound DLQ
    dlq, _ = queue("outbound-dlq")
    outbound, _ = queue("outbound")
    body = event("alert_case_opened.json")
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(body))
    # WHEN it is replayed to the outbound queue
    assert main(["replay-dlq", "--queue-url", dlq, "--to-queue", outbound]) == 0
    # THEN the same event waits on the outbound queue, and the DLQ is empty
    assert bodies(outbound) == [body] and count(dlq) == 0
    assert "replayed event" in capsys.readouterr().out


def test_a_message_without_its_target_is_kept(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    # GIVEN a failed invocation payload (an SNS event of the deliveries function) in the alert DLQ
    sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=json.dumps(event("deliveries_bounce.json")))
    # WHEN it is replayed without naming the function to invoke
    assert main(["replay-dlq", "--queue-url", stack.dlq_url, "--bus", stack.bus]) == 1
    # THEN it stays in the queue, and the reason is named
    assert "--function is needed to replay a failed invocation" in capsys.readouterr().err
    assert count(stack.dlq_url) == 1


def test_the_stack_wide_run_covers_every_dlq_of_the_template() -> None:
    # GIVEN the template's queues that are a DLQ (a redrive target, an OnFailure or DeadLetterConfig)
    queues = {
        name
        for name, resource in template()["Resources"].items()
        if resource["Type"] == "AWS::SQS::Queue" and name.endswith("DLQ")
    }
    assert len(queues) >= 3
    # WHEN the stack-wide replay lists the outputs it reads
    covered = {output for output, *_ in STACK_DLQS}
    outputs = template()["Outputs"]
    # THEN each DLQ has its output, and it is replayed
    for name in queues:
        assert f"{name}Url" in covered, name
        assert outputs[f"{name}Url"]["Value"] == {"Ref": name}
    for _, *others in STACK_DLQS:
        assert all(other is None or other in outputs for other in others)


# --- the stream DLQ -----------------------------------------------------------------------------------


class StreamFunctionClient:
    """Lambda's Invoke of the stream function, which runs in-process here."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.events: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        request = json.loads(Payload)
        self.events.append(request)
        try:
            answer = self.module.lambda_handler(request, Context())
        except Exception as error:
            failed = json.dumps({"errorMessage": str(error)}).encode()
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(failed)}
        return {"Payload": io.BytesIO(json.dumps(answer).encode())}


def stream_dlq(stack: Stack) -> tuple[str, ModuleType, Any]:
    """The stream DLQ, the stream function parking there, and the clients replay-dlq would use."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"{STACK_NAME}-StreamDLQ")["QueueUrl"]  # the template's queue name
    with environment({"STREAM_DLQ_URL": url}):
        stream = load_function("stream")
    stream.processor._bus = RecordingBus()
    made = {
        "sqs": sqs,
        "lambda": StreamFunctionClient(stream),
        # moto serves DynamoDB Streams only on the explicit streams endpoint.
        "dynamodbstreams": boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        ),
    }
    return url, stream, made.__getitem__


def test_parked_records_go_back_through_the_stream_function_and_one_still_unreadable_stays(
    api: Api, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _, clients = stream_dlq(stack)
    sqs = boto3.client("sqs", region_name=REGION)
    # GIVEN two parked records, days old: one readable now (the function was fixed), one still not
    reader = StreamReader(stack.table)
    api.post("/v1/feedback", feedback("a", 9))
    api.post("/v1/feedback", feedback("b", 9))
    readable, unreadable = reader.read()
    unreadable["dynamodb"]["NewImage"]["verdict"] = {"Q": "positive"}
    parked_at = datetime(2026, 11, 20, tzinfo=UTC)
    for record in (readable, unreadable):
        sqs.send_message(
            QueueUrl=url, MessageBody=json.dumps(parked_message(record, "TypeError: Q", parked_at))
        )

    # WHEN a dry run lists them THEN each is named with its reason, and nothing moves
    assert replay_queue(url, Targets(function="stream"), dry_run=True, clients=clients) == (0, 0, 0)
    listed = capsys.readouterr().out
    assert listed.count("would replay parked record") == 2 and "TypeError: Q (2/2)" in listed
    assert count(url) == 2 and counters(stack) == {}

    # WHEN the stream DLQ is replayed, twice
    first = replay_queue(url, Targets(function="stream"), clients=clients)
    second = replay_queue(url, Targets(function="stream"), clients=clients)

    # THEN the readable record is counted, once; the unreadable one stays in the queue, not parked again
    assert first == (1, 0, 1) and second == (0, 0, 1)
    assert team(counters(stack)) == {"volume": 1} and count(url) == 1
    [left] = bodies(url)
    assert left["record"] == unreadable
    printed = capsys.readouterr()
    assert "replayed parked record" in printed.out and "INSERT FB#demo-web#a parked 2026-11-20" in printed.out
    assert "kept parked record" in printed.err and "could not finish from sequence number" in printed.err


def test_onfailure_pointers_are_read_again_from_the_stream_and_gone_records_are_named(
    api: Api, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _, clients = stream_dlq(stack)
    sqs = boto3.client("sqs", region_name=REGION)
    # GIVEN Lambda's OnFailure record for two responses that failed every retry
    reader = StreamReader(stack.table)
    api.post("/v1/feedback", feedback("a", 9))
    api.post("/v1/feedback", feedback("b", 9))
    records = reader.read()
    streams = clients("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=records[0]["eventSourceARN"])["StreamDescription"]["Shards"][0]
    pointer = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": shard["ShardId"],
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": "2026-11-22T10:05:00Z",
            "batchSize": 2,
            "streamArn": records[0]["eventSourceARN"],
        },
    }
    # AND one for records the stream no longer holds (the stream of a table since replaced)
    gone = copy.deepcopy(pointer)
    gone["DDBStreamBatchInfo"]["streamArn"] = gone["DDBStreamBatchInfo"]["streamArn"].replace(
        "/stream/", "-old/stream/"
    )
    for body in (pointer, gone):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

    # WHEN the stream DLQ is replayed
    replayed, dropped, kept = replay_queue(url, Targets(function="stream"), clients=clients)

    # THEN the records still in the stream went through the stream function and are counted
    assert (replayed, dropped, kept) == (1, 0, 1)
    assert team(counters(stack)) == {"volume": 2}
    # AND the pointer to records gone says so and stays in the queue
    assert [body["DDBStreamBatchInfo"]["streamArn"] for body in bodies(url)] == [
        gone["DDBStreamBatchInfo"]["streamArn"]
    ]
    assert "the stream no longer holds these records" in capsys.readouterr().err
