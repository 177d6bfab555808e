"""The runtime's SQS -> function mapping: a failed message comes back after the queue's visibility
timeout on the virtual clock, as SQS brings it back in AWS, and a success deletes it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.functions import FunctionError
from local.queues import QueuePoller
from local.streams import Mapping

REGION = "eu-west-1"


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2030, 1, 7, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


class Host:
    """A function that fails while `failing` is set, and remembers the bodies it was given."""

    def __init__(self) -> None:
        self.failing = True
        self.seen: list[str] = []

    def find(self, logical_id: str) -> None:
        return None  # no function config: its calls act as the account (IAM: tests/unit/local/test_iam.py)

    def invoke(self, logical_id: str, event: Any) -> Any:
        self.seen += [record["body"] for record in event["Records"]]
        if self.failing:
            raise FunctionError(logical_id, RuntimeError("the receiver is down"))
        return {"batchItemFailures": []}


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def poller(sqs: Any, host: Host, clock: Clock) -> QueuePoller:
    url = sqs.create_queue(QueueName="outbound", Attributes={"VisibilityTimeout": "180"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = Mapping("Outbound", "OutboundFunction", arn, 10, 0, None, (), report_item_failures=True)
    clients: Any = SimpleNamespace(sqs=sqs, region=REGION)
    return QueuePoller(mapping, url, clients, host, threading.RLock(), clock)  # type: ignore[arg-type]


def test_a_failed_message_comes_back_after_the_visibility_timeout_on_the_virtual_clock(sqs: Any) -> None:
    # GIVEN a message the function fails on
    host, clock = Host(), Clock()
    queue = poller(sqs, host, clock)
    sqs.send_message(QueueUrl=queue.queue_url, MessageBody="case.opened")
    assert queue.poll() and host.seen == ["case.opened"]
    # WHEN the virtual clock has not yet passed the queue's 180 s THEN it stays hidden
    host.failing = False
    clock.moment += timedelta(seconds=179)
    assert not queue.poll() and host.seen == ["case.opened"]
    # WHEN it has THEN the message is delivered again, succeeds and is deleted
    clock.moment += timedelta(seconds=1)
    assert queue.poll() and host.seen == ["case.opened", "case.opened"]
    assert not queue.poll() and not queue.hidden
    attributes = sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_message_that_succeeds_is_delivered_once(sqs: Any) -> None:
    # GIVEN a working function  WHEN a message is polled and the clock moves on  THEN it is not seen again
    host, clock = Host(), Clock()
    host.failing = False
    queue = poller(sqs, host, clock)
    sqs.send_message(QueueUrl=queue.queue_url, MessageBody="case.resolved")
    assert queue.poll()
    clock.moment += timedelta(hours=1)
    assert not queue.poll() and host.seen == ["case.resolved"]
