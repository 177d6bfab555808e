"""template.yaml keeps the promises the design makes about the deployed stack."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from tests.support import ROOT, template

RESOURCES: dict[str, Any] = template()["Resources"]


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def test_globals_pin_the_powertools_release_of_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = next(d for d in pyproject["project"]["dependencies"] if d.startswith("aws-lambda-powertools"))
    version = pinned.split("==")[1]
    function = template()["Globals"]["Function"]
    assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["arm64"])
    layers = [layer for layer in function["Layers"] if isinstance(layer, str)]
    assert layers == [f"{{{{resolve:ssm:/aws/service/powertools/python/arm64/python3.12/{version}}}}}"]
    assert function["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]


def test_layer_ships_what_the_runtime_lacks_at_the_pinned_versions() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = dict(d.split("==") for d in pyproject["project"]["dependencies"])
    shipped = dict(
        line.split("==")
        for line in (ROOT / "layers/recovery/requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert shipped and all(pins[name] == version for name, version in shipped.items())
    assert "boto3" not in shipped and not any(name.startswith("aws-lambda-powertools") for name in shipped)


def test_table_is_protected_and_streams() -> None:
    table = RESOURCES["Table"]
    properties = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {index["IndexName"] for index in properties["GlobalSecondaryIndexes"]} == {
        "by_customer",
        "due",
        "queue",
    }


def test_every_function_has_its_own_log_group_with_retention() -> None:
    groups = of_type("AWS::Logs::LogGroup")
    for name, function in of_type("AWS::Serverless::Function").items():
        reference = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert reference in groups, name
        assert "RetentionInDays" in groups[reference]["Properties"]


def test_stream_trigger_has_a_failure_destination_with_an_alarm() -> None:
    stream = RESOURCES["StreamFunction"]["Properties"]["Events"]["TableStream"]["Properties"]
    destination = stream["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for alarm in of_type("AWS::CloudWatch::Alarm").values()
        for d in alarm["Properties"].get("Dimensions", [])
        if isinstance(d["Value"], dict) and "Fn::GetAtt" in d["Value"]
    }
    assert destination in alarmed


def test_alarms_cover_errors_5xx_and_notify_ops() -> None:
    alarms = of_type("AWS::CloudWatch::Alarm").values()
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert {
        ("AWS/Lambda", "Errors"),
        ("AWS/ApiGateway", "5xx"),
        ("RecoveryLoop", "TransientAwsFailure"),
    } <= metrics
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "OpsTopic"}] for a in alarms)
    errors = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        if a["Properties"]["MetricName"] == "Errors"
    }
    assert errors == set(of_type("AWS::Serverless::Function"))


def test_policies_are_least_privilege() -> None:
    for name, function in of_type("AWS::Serverless::Function").items():
        for policy in function["Properties"]["Policies"]:
            assert isinstance(policy, dict), f"{name}: managed policy names are too broad"
            for statement in policy.get("Statement", []):
                actions = statement["Action"]
                assert all(not a.endswith("*") for a in actions), name
                assert "dynamodb:Scan" not in actions, name


def test_no_local_only_routes_in_the_template() -> None:
    assert not re.search(r"/_local", (ROOT / "template.yaml").read_text())
