"""The runtime's DynamoDB stream -> function mapping on moto's stream, as AWS documents it: a failing batch
is bisected until the failing record is alone (no retry used up), a reported sequence number checkpoints
before it, retries run out into Lambda's OnFailure pointer, and records past the maximum age are given up
unseen."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.functions import FunctionError
from local.streams import Mapping, StreamPoller

REGION = "us-east-1"
DESTINATION = f"arn:aws:sqs:{REGION}:123456789012:stream-dlq"
Answer = Callable[[list[str]], Any]  # the pks of a batch -> the function's answer (raise for an error)


class Host:
    """A stream function that answers each batch as `answer` says, and remembers every batch."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.batches: list[list[str]] = []
        self.sequence: dict[str, str] = {}  # pk -> sequence number

    def invoke(self, logical_id: str, event: Any) -> Any:
        pks = [record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]]
        self.sequence |= {
            record["dynamodb"]["Keys"]["pk"]["S"]: record["dynamodb"]["SequenceNumber"]
            for record in event["Records"]
        }
        self.batches.append(pks)
        try:
            return self.answer(pks)
        except RuntimeError as error:
            raise FunctionError(logical_id, error) from error

    def find(self, logical_id: str) -> None:
        return None


@pytest.fixture
def aws() -> Iterator[SimpleNamespace]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        table = dynamodb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        # moto serves DynamoDB Streams only on the explicit streams endpoint.
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        )
        yield SimpleNamespace(dynamodb=dynamodb, streams=streams, arn=table["LatestStreamArn"])


def poller(aws: SimpleNamespace, host: Host, now: datetime | None = None, **settings: Any) -> StreamPoller:
    options: dict[str, Any] = {"max_retries": 2, "report_item_failures": True, "bisect": True} | settings
    mapping = Mapping(
        "TableStream",
        "StreamFunction",
        aws.arn,
        batch_size=10,
        max_retries=options["max_retries"],
        on_failure=DESTINATION,
        filters=(),
        report_item_failures=options["report_item_failures"],
        bisect=options["bisect"],
        max_record_age=options.get("max_record_age", -1),
    )
    clients: Any = SimpleNamespace(streams=aws.streams, region=REGION)
    sent: list[dict[str, Any]] = []
    moment = now or datetime.now(UTC)
    made = StreamPoller(
        mapping, clients, host, threading.RLock(), lambda _, record: sent.append(record), lambda: moment
    )  # type: ignore[arg-type]
    made.sent = sent  # type: ignore[attr-defined]
    return made


def write(aws: SimpleNamespace, count: int) -> None:
    for number in range(count):
        aws.dynamodb.put_item(TableName="t", Item={"pk": {"S": f"r{number}"}})


def run(stream: StreamPoller) -> list[dict[str, Any]]:
    """Poll (one dispatcher tick each) until the batch is done; the failure records sent."""
    for _ in range(100):
        stream.poll()
        if not stream._inflight:
            return stream.sent  # type: ignore[attr-defined,no-any-return]
    raise AssertionError("the batch never finished")


def names(count: int, start: int = 0) -> list[str]:
    return [f"r{number}" for number in range(start, count)]


def test_a_failing_batch_is_bisected_until_the_bad_record_is_alone_which_alone_uses_up_its_retries(
    aws: SimpleNamespace,
) -> None:
    # GIVEN eight records, and a function that fails on any batch holding r5
    write(aws, 8)

    def answer(pks: list[str]) -> Any:
        if "r5" in pks:
            raise RuntimeError("cannot read r5")
        return {"batchItemFailures": []}

    host = Host(answer)
    stream = poller(aws, host)

    # WHEN the runtime delivers them
    sent = run(stream)

    # THEN the batch is halved down to r5 (splits use up no retry), r5 alone is tried 1 + 2 times
    assert host.batches == [
        names(8),
        names(4),
        names(8, 4),
        ["r4", "r5"],
        ["r4"],
        ["r5"],
        ["r5"],
        ["r5"],
        ["r6", "r7"],
    ]
    # AND a pointer to r5 alone goes to the OnFailure destination, in Lambda's shape; the shard moves on
    [failure] = sent
    info = failure["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == host.sequence["r5"]
    assert info["batchSize"] == 1 and info["streamArn"] == aws.arn
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert list(stream.positions.values()) == [host.sequence["r7"]]


@pytest.mark.parametrize("bisect", [True, False])
def test_a_reported_sequence_number_checkpoints_before_the_lowest_named(
    aws: SimpleNamespace, bisect: bool
) -> None:
    # GIVEN a function that, once, names r5 and r3 as failed
    write(aws, 8)
    answers: list[Any] = []

    def answer(pks: list[str]) -> Any:
        answers.append(pks)
        if len(answers) > 1:
            return {}  # no key: success
        failed = [{"itemIdentifier": host.sequence[pk]} for pk in ("r5", "r3")]
        return {"batchItemFailures": failed}

    host = Host(answer)
    # WHEN delivered THEN everything from r3 on comes again, and only that, then the batch is done
    assert run(poller(aws, host, bisect=bisect)) == []
    assert host.batches == [names(8), names(8, 3)]


def test_a_checkpoint_that_keeps_failing_uses_up_the_retries_and_points_at_the_rest(
    aws: SimpleNamespace,
) -> None:
    # GIVEN no bisect, one retry, and a function that always names r2
    write(aws, 6)
    host = Host(lambda pks: {"batchItemFailures": [{"itemIdentifier": host.sequence["r2"]}]})

    # WHEN delivered
    sent = run(poller(aws, host, bisect=False, max_retries=1))

    # THEN the rest from r2 is retried once, then the pointer names r2 to r5, with no function error
    assert host.batches == [names(6), names(6, 2)]
    [failure] = sent
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (
        host.sequence["r2"],
        host.sequence["r5"],
    )
    assert info["batchSize"] == 4 and "functionError" not in failure["responseContext"]
    assert failure["requestContext"]["approximateInvokeCount"] == 2


@pytest.mark.parametrize("item", [{"itemIdentifier": "999"}, {"itemIdentifier": ""}, {"id": "x"}])
def test_an_identifier_not_in_the_batch_fails_the_whole_batch(
    aws: SimpleNamespace, item: dict[str, str]
) -> None:
    # GIVEN no bisect, one retry, and an answer naming no record of the batch
    write(aws, 3)
    host = Host(lambda pks: {"batchItemFailures": [item]})
    # WHEN delivered THEN the whole batch is tried twice, then pointed at as a whole
    sent = run(poller(aws, host, bisect=False, max_retries=1))
    assert host.batches == [names(3), names(3)]
    assert [failure["DDBStreamBatchInfo"]["batchSize"] for failure in sent] == [3]


@pytest.mark.parametrize("answer", [{"batchItemFailures": []}, {}, None, {"batchItemFailures": None}])
def test_an_empty_list_a_missing_key_or_no_answer_is_success(aws: SimpleNamespace, answer: Any) -> None:
    write(aws, 3)
    host = Host(lambda pks: answer)
    assert run(poller(aws, host)) == []
    assert host.batches == [names(3)]


def test_records_older_than_the_maximum_age_are_given_up_unseen(aws: SimpleNamespace) -> None:
    # GIVEN records written an hour before now, and a maximum record age of a minute
    write(aws, 2)
    host = Host(lambda pks: {})
    stream = poller(aws, host, now=datetime.now(UTC) + timedelta(hours=1), max_record_age=60)
    # WHEN polled THEN the function never sees them; a pointer says why they were given up
    [failure] = run(stream)
    assert host.batches == []
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
