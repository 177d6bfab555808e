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


@pytest.mark.parametrize("rule", ["E9001", "E9002", "E9003", "E9004", "E9005"])
def test_each_fixture_fails_only_its_own_rule(rule: str) -> None:
    # GIVEN the fixtures, each written to break one rule
    owner = {
        "E9001": "log_group_missing.yaml",
        "E9002": "async_without_failure_path.yaml",
        "E9003": "wildcard_data_action.yaml",
        "E9004": "table_unprotected.yaml",
        "E9005": "api_url_cycle.yaml",
    }[rule]
    # THEN the rule fires on its fixture and on no other
    fired = {name for name, matches in findings().items() if any(m["Rule"]["Id"] == rule for m in matches)}
    assert fired == {owner}


def test_our_template_passes_every_rule() -> None:
    # GIVEN template.yaml WHEN cfn-lint runs with the repository's rules THEN it finds nothing at all
    assert findings()["template.yaml"] == []
