"""`make iam-report`: granted actions against the ones the suites were seen to use."""

from __future__ import annotations

import json
from pathlib import Path

from local import template as sam
from tools import iam_report

TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      Policies:
        - Statement:
            - { Effect: Allow, Action: [dynamodb:GetItem, dynamodb:PutItem], Resource: "*" }
            - { Effect: Allow, Action: "ses:Send*", Resource: "*" }
"""


def seen(action: str, decision: str = "allowed") -> str:
    return json.dumps({"function": "Fn", "action": action, "resource": "arn:x", "decision": decision})


def test_the_report_splits_grants_into_used_and_unused_and_lists_denials(tmp_path: Path) -> None:
    # GIVEN a role granting three patterns, and a run that used two actions and was refused one
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    template = sam.load(tmp_path / "template.yaml", "us-east-1")
    lines = [seen("dynamodb:GetItem"), seen("ses:SendRawEmail"), seen("sqs:SendMessage", "implicit")]
    lines.append(json.dumps({"function": "Probe", "action": "a:B", "resource": "*", "decision": "implicit"}))
    # WHEN the report is made
    report = iam_report.usage(template, lines)
    found = report["Fn"]
    assert list(report) == ["Fn"]  # a function of another template (a test's probe) is left out
    text = iam_report.render({"Fn": found})
    # THEN a wildcard grant counts as used by what it matches; the unused grant and the denial are named
    assert found.used() == ["dynamodb:GetItem", "ses:Send*"]
    assert found.unused() == ["dynamodb:PutItem"]
    assert "logs:CreateLogStream" in found.managed  # SAM's basic execution role, listed apart
    assert "DENIED:  sqs:SendMessage on arn:x" in text
    assert text.endswith("all functions: 3 granted, 2 used, 1 unused, 1 denied")


def test_the_command_fails_when_a_call_was_denied(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    record = tmp_path / "seen.jsonl"
    record.write_text(seen("dynamodb:GetItem") + "\n", encoding="utf-8")
    assert iam_report.main([str(record), "--template", str(tmp_path / "template.yaml")]) == 0
    record.write_text(seen("sqs:SendMessage", "implicit") + "\n", encoding="utf-8")
    assert iam_report.main([str(record), "--template", str(tmp_path / "template.yaml")]) == 1
