"""The repository's cfn-lint rules (lint_rules/): each fails on its bad fixture, passes on template.yaml."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from tests.support import ROOT

CFN_LINT = ROOT / ".venv-sam/bin/cfn-lint"
FIXTURES = ROOT / "tests/fixtures/templates"

pytestmark = pytest.mark.skipif(
    not CFN_LINT.exists(), reason="needs .venv-sam (cfn-lint); `make test` creates it"
)


@cache
def findings() -> dict[str, list[dict[str, Any]]]:
    """One cfn-lint run over every fixture and template.yaml: findings by file name."""
    files = [*sorted(FIXTURES.glob("*.yaml")), ROOT / "template.yaml"]
    run = subprocess.run(
        [
            str(CFN_LINT),
            "--append-rules",
            str(ROOT / "lint_rules"),
            "--format",
            "json",
            "--",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    by_file: dict[str, list[dict[str, Any]]] = {path.name: [] for path in files}
    for match in json.loads(run.stdout or "[]"):
        by_file.setdefault(match["Filename"].rsplit("/", 1)[-1], []).append(match)
    return by_file


def rule_messages(file_name: str, rule: str) -> list[str]:
    return [m["Message"] for m in findings()[file_name] if m["Rule"]["Id"] == rule]


def test_function_without_a_retained_log_group_fails_e9001() -> None:
    # GIVEN a function with no log group of its own and one whose group keeps logs forever
    # WHEN cfn-lint runs with the repository's rules
    messages = rule_messages("log_group_missing.yaml", "E9001")
    # THEN both are named
    assert any("NoGroupFunction" in m for m in messages), messages
    assert any("ForeverLogGroup has no RetentionInDays" in m for m in messages), messages


def test_async_trigger_without_failure_path_or_alarmed_dlq_fails_e9002() -> None:
    # GIVEN a bus rule, a stream, an SNS-invoked function without a failure path, and an unwatched DLQ
    messages = rule_messages("async_without_failure_path.yaml", "E9002")
    # THEN each is found, from the SAM events as CloudFormation deploys them
    assert any(m.startswith("RuleFunctionOpened target") and "no DLQ" in m for m in messages), messages
    assert any(m.startswith("StreamFunctionChanges has no DLQ") for m in messages), messages
    assert any("async invoke of TopicFunction" in m for m in messages), messages
    assert any("UnwatchedDLQ, which has no CloudWatch alarm" in m for m in messages), messages


def test_wildcard_action_on_data_fails_e9003() -> None:
    # GIVEN a function allowed `dynamodb:*` (SAM generates its role) and a role allowed `*`
    messages = rule_messages("wildcard_data_action.yaml", "E9003")
    # THEN both grants are named
    assert any("GreedyFunctionRole" in m and "'dynamodb:*'" in m for m in messages), messages
    assert any("GreedyRole" in m and "'*'" in m for m in messages), messages


def test_table_without_recovery_or_protection_fails_e9004() -> None:
    # GIVEN a table with neither point-in-time recovery nor deletion protection
    messages = rule_messages("table_unprotected.yaml", "E9004")
    # THEN both are missing, and said so
    assert sorted(messages) == [
        "Table does not enable deletion protection",
        "Table does not enable point-in-time recovery",
    ]


def test_function_naming_the_api_that_routes_to_it_fails_e9005() -> None:
    # GIVEN a function with an HttpApi route whose environment holds the API's endpoint
    messages = rule_messages("api_url_cycle.yaml", "E9005")
    # THEN the cycle is named, as CloudFormation would refuse it
    assert messages == ["circular dependency: HttpApi -> LinkFunction -> HttpApi"], messages


def test_ses_send_allowed_on_identities_only_fails_e9006() -> None:
    # GIVEN sends through a configuration set, allowed on identities only (by name and by `ses:Send*`)
    messages = rule_messages("ses_identity_only.yaml", "E9006")
    # THEN both grants are named, and the one that covers the configuration set is not
    assert len(messages) == 2, messages
    identity_only = "IdentityOnlyFunctionRole allows ses:SendEmail, ses:SendRawEmail without"
    assert any(m.startswith(identity_only) for m in messages), messages
    assert any(m.startswith("WildcardSendFunctionRole allows ses:SendEmail") for m in messages), messages
    assert all("configuration-set/" in m for m in messages), messages


def test_event_source_queue_hiding_messages_too_briefly_fails_e9007() -> None:
    # GIVEN queues feeding functions: one too short, one at SQS's default 30 s, one long enough
    messages = rule_messages("queue_visibility_short.yaml", "E9007")
    # THEN the two short ones are named with the visibility they need, as 6x the function's timeout
    assert sorted(messages) == [
        "DefaultQueue's VisibilityTimeout (30 s) is under 6 x the Timeout of DefaultFunction (10 s), which "
        "it feeds through DefaultFunctionWork: make it at least 60 s",
        "ShortQueue's VisibilityTimeout (90 s) is under 6 x the Timeout of ShortFunction (30 s), which it "
        "feeds through ShortFunctionWork: make it at least 180 s",
    ]


def test_http_routed_function_outlasting_the_api_fails_e9008() -> None:
    # GIVEN HttpApi routes to functions at 30 s, at 45 s through an alias, and past a route's 5 s timeout
    messages = rule_messages("http_function_outlasts_api.yaml", "E9008")
    # THEN each is named with the route and the limit it outlasts; the 29 s function passes
    assert len(messages) == 3, messages
    assert any(m.startswith("SlowFunction may run 30 s") and "GET /report after 30 s" in m for m in messages)
    assert any(m.startswith("AliasedFunction may run 45 s") and "POST /export" in m for m in messages)
    assert any(m.startswith("HookFunction may run 10 s") and "POST /hook after 5 s" in m for m in messages)


def test_service_allowed_to_send_without_a_source_condition_fails_e9009() -> None:
    # GIVEN a DLQ policy for EventBridge and a topic policy for S3 without a source condition, and an SNS
    # statement with one (its key in lower case)
    messages = rule_messages("queue_policy_no_source.yaml", "E9009")
    # THEN the two without are named
    assert sorted(messages) == [
        "DLQPolicy allows events.amazonaws.com sqs:SendMessage with no aws:SourceArn or aws:SourceAccount "
        "condition: any account's resources of that service could use it",
        "NoticesPolicy allows s3.amazonaws.com sns:Publish with no aws:SourceArn or aws:SourceAccount "
        "condition: any account's resources of that service could use it",
    ]


def test_stream_mapping_without_bisect_or_partial_failures_fails_e9010() -> None:
    # GIVEN a DynamoDB stream mapping with neither setting and a Kinesis one that only bisects
    messages = rule_messages("stream_no_bisect.yaml", "E9010")
    # THEN each names what it lacks; the mapping with both passes
    assert sorted(messages) == [
        "ClicksFunctionRecords reads a Kinesis stream without "
        "FunctionResponseTypes: [ReportBatchItemFailures]",
        "TableFunctionChanges reads a DynamoDB stream without BisectBatchOnFunctionError: true and "
        "FunctionResponseTypes: [ReportBatchItemFailures]",
    ]


def test_topic_services_publish_to_without_a_key_they_may_use_fails_e9011() -> None:
    # GIVEN topics CloudWatch and SES publish to: under alias/aws/sns, under a key whose policy leaves
    # SES out, and under no key without the no-personal-data marker
    messages = rule_messages("topic_key_for_services.yaml", "E9011")
    # THEN each is named; the topic under a key CloudWatch may use (through an alias) and the marked
    # topic pass
    assert len(messages) == 3, messages
    assert any(
        m.startswith("ManagedKeyTopic is published to by cloudwatch.amazonaws.com (Alarm)")
        and "AWS-managed key alias/aws/sns" in m
        for m in messages
    ), messages
    assert (
        "NarrowKey's KeyPolicy does not allow ses.amazonaws.com kms:GenerateDataKey*, which it needs to "
        "publish to BounceTopic (BounceDestination)"
    ) in messages
    assert any(m.startswith("PlainTopic") and "recovery-loop.personal-data: none" in m for m in messages)


OWN_FIXTURE = {
    "E9001": "log_group_missing.yaml",
    "E9002": "async_without_failure_path.yaml",
    "E9003": "wildcard_data_action.yaml",
    "E9004": "table_unprotected.yaml",
    "E9005": "api_url_cycle.yaml",
    "E9006": "ses_identity_only.yaml",
    "E9007": "queue_visibility_short.yaml",
    "E9008": "http_function_outlasts_api.yaml",
    "E9009": "queue_policy_no_source.yaml",
    "E9010": "stream_no_bisect.yaml",
    "E9011": "topic_key_for_services.yaml",
}


@pytest.mark.parametrize("rule", sorted(OWN_FIXTURE))
def test_each_fixture_fails_only_its_own_rule(rule: str) -> None:
    # GIVEN the fixtures, each written to break one rule
    owner = OWN_FIXTURE[rule]
    # THEN the rule fires on its fixture and on no other
    fired = {name for name, matches in findings().items() if any(m["Rule"]["Id"] == rule for m in matches)}
    assert fired == {owner}


def test_every_fixture_has_its_rule() -> None:
    # GIVEN the fixture folder THEN each file breaks a rule the test above knows
    assert sorted(path.name for path in FIXTURES.glob("*.yaml")) == sorted(OWN_FIXTURE.values())


def test_our_template_passes_every_rule() -> None:
    # GIVEN template.yaml WHEN cfn-lint runs with the repository's rules THEN it finds nothing at all
    assert findings()["template.yaml"] == []
