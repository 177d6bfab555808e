"""template.yaml reads by flow (STYLE.md, convention 7; docs/architecture.md).

Globals and Parameters, then the foundations and one section per flow, each under a `# ----- name`
banner; every resource with a comment; every function followed by its log group and its errors alarm,
and every errors alarm of one shape.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.support import ROOT

FOUNDATIONS = ("shared", "sign-in", "http api")
SECTIONS = (*FOUNDATIONS, "intake", "alerting", "cases", "follow-up", "reporting", "operations")
BANNER = re.compile(r"^  # -{20,} (?P<name>\S.*)$")
RESOURCE = re.compile(r"^  (?P<id>[A-Za-z0-9]+):$")
ERRORS_ALARM = {
    "AlarmDescription": str,
    "Namespace": "AWS/Lambda",
    "MetricName": "Errors",
    "Dimensions": None,  # one FunctionName dimension naming the function
    "Statistic": "Sum",
    "Period": (60, 300),
    "EvaluationPeriods": (1, 2),
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "AlarmActions": [{"Ref": "OpsTopic"}],
}


def resources_text(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[lines.index("Resources:") + 1 : lines.index("Outputs:")]


def sections(text: str) -> list[tuple[str | None, list[str]]]:
    """(banner name, logical ids in order) for each section of Resources; None before any banner."""
    found: list[tuple[str | None, list[str]]] = []
    for line in resources_text(text):
        if banner := BANNER.match(line):
            found.append((banner["name"], []))
        elif resource := RESOURCE.match(line):
            if not found:
                found.append((None, []))
            found[-1][1].append(resource["id"])
    return found


def uncommented(text: str) -> list[str]:
    """Resources with no comment line directly above them."""
    lines = resources_text(text)
    return [
        resource["id"]
        for before, line in zip(["", *lines], lines, strict=False)
        if (resource := RESOURCE.match(line)) and not before.lstrip().startswith("#")
    ]


def alarm_problems(resources: dict[str, Any]) -> list[str]:
    """Functions whose errors alarm is missing, misplaced or of another shape."""
    order = list(resources)
    problems = []
    for function in (n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"):
        stem = function.removesuffix("Function")
        log_group, alarm = f"{stem}LogGroup", f"{stem}ErrorsAlarm"
        if alarm not in resources or log_group not in resources:
            problems.append(f"{function}: no {alarm} or {log_group}")
            continue
        at = order.index(function)
        if order[at + 1 : at + 3] != [log_group, alarm]:
            problems.append(f"{function}: not followed by {log_group} and {alarm}")
        properties = resources[alarm]["Properties"]
        if list(properties) != list(ERRORS_ALARM):
            problems.append(f"{alarm}: properties {list(properties)}")
            continue
        problems += [
            f"{alarm}: {key} is {properties[key]!r}"
            for key, expected in ERRORS_ALARM.items()
            if not fits(properties[key], expected, function)
        ]
    return problems


def fits(value: Any, expected: Any, function: str) -> bool:
    if expected is None:
        return bool(value == [{"Name": "FunctionName", "Value": {"Ref": function}}])
    if expected is str:
        return isinstance(value, str)
    if isinstance(expected, tuple):
        return value in expected
    return bool(value == expected)


TEXT = (ROOT / "template.yaml").read_text(encoding="utf-8")


def test_resources_sit_in_the_flow_sections_in_order() -> None:
    found = sections(TEXT)
    assert [name for name, _ in found] == list(SECTIONS)  # so no resource sits before the first banner
    assert all(ids for _, ids in found)
    assert sorted(i for _, ids in found for i in ids) == sorted(yaml_parse(TEXT)["Resources"])


def test_every_resource_has_a_comment() -> None:
    assert uncommented(TEXT) == []


def test_every_function_is_followed_by_its_log_group_and_errors_alarm_of_one_shape() -> None:
    resources = yaml_parse(TEXT)["Resources"]
    assert len([r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]) >= 17
    assert alarm_problems(resources) == []


INTAKE = "  # ---------------------------------------------------------------- intake\n"
LOGS = "  # Its logs.\n  IngestLogGroup:\n    Type: AWS::Logs::LogGroup\n"
SAMPLE = f"""\
Resources:
{INTAKE}  # Takes feedback.
  IngestFunction:
    Type: AWS::Serverless::Function
{LOGS}  # Pages on-call.
  IngestErrorsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Ingest function errors
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{{ Name: FunctionName, Value: !Ref IngestFunction }}]
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref OpsTopic]
Outputs:
"""


def test_a_well_formed_sample_passes() -> None:
    assert sections(SAMPLE) == [("intake", ["IngestFunction", "IngestLogGroup", "IngestErrorsAlarm"])]
    assert uncommented(SAMPLE) == []
    assert alarm_problems(yaml_parse(SAMPLE)["Resources"]) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("      Period: 60\n", "      Period: 120\n"),  # another period
        ("      Statistic: Sum\n      Period: 60\n", "      Period: 60\n      Statistic: Sum\n"),  # order
        ("Value: !Ref IngestFunction", "Value: !Ref OtherFunction"),  # watches another function
        ("      AlarmActions: [!Ref OpsTopic]\n", ""),  # notifies no one
        (LOGS, ""),  # no log group
        ("  IngestErrorsAlarm:", "  IngestAlarm:"),  # no errors alarm by that name
    ],
)
def test_a_misshapen_or_misplaced_alarm_is_found(old: str, new: str) -> None:
    assert old in SAMPLE
    assert alarm_problems(yaml_parse(SAMPLE.replace(old, new))["Resources"]) != []


def test_a_function_whose_alarm_is_elsewhere_is_found() -> None:
    moved = SAMPLE.replace(LOGS, "").replace("Outputs:\n", LOGS + "Outputs:\n")
    assert [p for p in alarm_problems(yaml_parse(moved)["Resources"]) if "not followed" in p]


def test_an_uncommented_resource_and_an_unfiled_one_are_found() -> None:
    assert uncommented(SAMPLE.replace("  # Its logs.\n", "")) == ["IngestLogGroup"]
    assert sections(SAMPLE.replace(INTAKE, "")) == [
        (None, ["IngestFunction", "IngestLogGroup", "IngestErrorsAlarm"])
    ]
