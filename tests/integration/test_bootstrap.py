"""Bootstrap against moto: the stack outputs come from a CloudFormation stack; a second run changes
nothing and prints no secret."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from recovery.domain import keys
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import ConfigStore
from tests.support import REGION, Stack
from tools import bootstrap
from tools.stack_outputs import read_outputs, resolve

ARGS = ["--stack", "recovery-loop-test", "--admin-email", "ops@example.com", "--team-id", "care"]


def deploy_outputs(stack: Stack) -> None:
    """A stack whose outputs name the moto resources, as the deployed template's would."""
    outputs = {
        "ApiUrl": "https://api.example.com",
        "TableName": stack.table,
        "UserPoolId": stack.user_pool_id,
        "EventBusName": stack.bus,
    }
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="recovery-loop-test", TemplateBody=json.dumps(template)
    )


def state(stack: Stack) -> dict[str, Any]:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table)["Items"]
    users = cognito.list_users(UserPoolId=stack.user_pool_id)["Users"]
    groups = {
        user["Username"]: sorted(
            group["GroupName"]
            for group in cognito.admin_list_groups_for_user(
                UserPoolId=stack.user_pool_id, Username=user["Username"]
            )["Groups"]
        )
        for user in users
    }
    return {
        "items": sorted(
            (item["pk"]["S"], item["sk"]["S"], json.dumps(item, sort_keys=True)) for item in items
        ),
        "users": sorted((user["Username"], user["UserStatus"]) for user in users),
        "groups": groups,
    }


def test_bootstrap_twice_leaves_the_same_state(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a deployed stack (its outputs read with DescribeStacks) and an empty table and user pool
    deploy_outputs(stack)
    before = len(state(stack)["items"])

    # WHEN bootstrap runs
    assert bootstrap.main(ARGS, read=lambda name, env: read_outputs(str(name))) == 0
    first = capsys.readouterr().out
    after_first = state(stack)

    # THEN the admin exists in the admin group, with a temporary password printed once
    assert after_first["users"] == [("ops@example.com", "FORCE_CHANGE_PASSWORD")]
    assert after_first["groups"] == {"ops@example.com": ["admin"]}
    password = next(line.rsplit(": ", 1)[1] for line in first.splitlines() if "temporary password" in line)
    assert len(password) >= 12
    # AND the printed admin key is the one the admin routes accept (only its hash is stored)
    admin_key = next(line.rsplit(": ", 1)[1] for line in first.splitlines() if "admin key (" in line)
    assert admin_key.startswith("rla_") and keys.matches(admin_key, AdminKeyStore().hashes())
    assert admin_key not in json.dumps(after_first["items"])
    # AND a team led by the admin, and a source whose printed key is stored as its hash
    found = ConfigStore().get()
    assert found is not None and [team.id for team in found[0].teams] == ["care"]
    assert found[0].teams[0].level(1)[0].email == "ops@example.com"
    source_key = next(
        line.rsplit(": ", 1)[1] for line in first.splitlines() if "API key of source web" in line
    )
    assert keys.hash_key(source_key) in json.dumps(after_first["items"])
    assert "https://api.example.com/v1/feedback" in first
    assert len(after_first["items"]) > before

    # WHEN it runs again
    assert bootstrap.main(ARGS, read=lambda name, env: read_outputs(str(name))) == 0
    second = capsys.readouterr().out

    # THEN nothing changed, it says what exists, and it prints no secret
    assert state(stack) == after_first
    assert "exists" in second and "No new secrets" in second
    for secret in (password, admin_key, source_key, "rla_", "rlk_"):
        assert secret not in second


def test_bootstrap_refuses_a_missing_stack_and_a_bad_address(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no stack of that name
    # WHEN bootstrap runs against it THEN it stops with the stack named, and writes nothing
    assert bootstrap.main(["--stack", "nope", "--admin-email", "ops@example.com"]) == 2
    assert "nope" in capsys.readouterr().err
    # AND with a deployed stack, a bad admin address is refused before anything is created
    deploy_outputs(stack)
    assert bootstrap.main(["--stack", "recovery-loop-test", "--admin-email", "not-an-address"]) == 2
    assert "not an email address" in capsys.readouterr().err
    assert (
        boto3.client("cognito-idp", region_name=REGION).list_users(UserPoolId=stack.user_pool_id)["Users"]
        == []
    )


def test_an_environment_names_its_stack_in_samconfig(tmp_path: Any) -> None:
    # GIVEN a samconfig.toml with dev and prod
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        '[dev.deploy.parameters]\nstack_name = "rl-dev"\nregion = "eu-west-1"\n'
        '[prod.deploy.parameters]\nstack_name = "rl-prod"\n',
        encoding="utf-8",
    )
    from tools.stack_outputs import StackError, environment_stack

    # WHEN an environment is looked up THEN its stack and region come back; an unknown one is refused
    assert environment_stack("dev", samconfig) == ("rl-dev", "eu-west-1")
    with pytest.raises(StackError, match="known: dev, prod"):
        resolve(None, "staging", samconfig)
