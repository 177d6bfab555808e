"""replay-dlq: failed events go back on the bus; a message is deleted only after its replay worked."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support import REGION, Stack, event
from tools.ops import main


def test_failed_events_are_put_back_on_the_bus(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    # GIVEN a rule that delivers CaseOpened to a queue (standing in for the alert function)
    target = sqs.create_queue(QueueName="replayed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="opened", EventBusName=stack.bus, EventPattern='{"detail-type": ["CaseOpened"]}')
    events.put_targets(Rule="opened", EventBusName=stack.bus, Targets=[{"Id": "q", "Arn": arn}])
    # AND two failed CaseOpened events in the DLQ
    for _ in range(2):
        sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=json.dumps(event("alert_case_opened.json")))

    # WHEN they are replayed without the bus name, nothing is lost
    assert main(["replay-dlq", "--queue-url", stack.dlq_url]) == 1
    assert "kept event" in capsys.readouterr().err
    # AND with it, both go back on the bus and leave the DLQ
    assert main(["replay-dlq", "--queue-url", stack.dlq_url, "--bus", stack.bus]) == 0
    arrived = sqs.receive_message(QueueUrl=target, MaxNumberOfMessages=10)["Messages"]
    assert len(arrived) == 2
    assert json.loads(arrived[0]["Body"])["detail"]["case_id"] == "cs_a8aebdc20e4ffe622d7443d3"
    assert sqs.receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_add_lead_creates_the_user_in_their_team_group(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    from tools import ops as ops_cli

    # WHEN ops adds a lead of support-emea who is also an admin
    args = ["add-lead", "--pool", stack.user_pool_id, "--email", "ola@example.com", "--team", "support-emea"]
    assert ops_cli.main([*args, "--admin"]) == 0
    # THEN the user exists with a temporary password, in the team group and the admin group
    cognito = boto3.client("cognito-idp")
    user = cognito.admin_get_user(UserPoolId=stack.user_pool_id, Username="ola@example.com")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    groups = cognito.admin_list_groups_for_user(UserPoolId=stack.user_pool_id, Username="ola@example.com")
    assert sorted(group["GroupName"] for group in groups["Groups"]) == ["admin", "team-support-emea"]
    # and running it again for another team adds the group, and a bad address is refused
    assert ops_cli.main([*args[:5], "--team", "support-apac"]) == 0
    assert ops_cli.main(["add-lead", "--pool", stack.user_pool_id, "--email", "not-an-address"]) == 2
    assert "not an email address" in capsys.readouterr().err
