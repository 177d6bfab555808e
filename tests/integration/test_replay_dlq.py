"""replay-dlq against moto: a dry run lists and moves nothing; a real run puts events back on the bus,
outbound case events back on their queue, and drops failed scheduled runs; every DLQ of the template is
covered by the stack-wide run."""

from __future__ import annotations

import json

import boto3
import pytest

from recovery.ops_cli import STACK_DLQS, main
from tests.support import REGION, Stack, event, template


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
