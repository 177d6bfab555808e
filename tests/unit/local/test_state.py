"""`--state`: moto's backends and the runtime's own state survive a save and a load."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local import state

PASSWORD = "Aa1!" + "a" * 10


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def test_queues_tokens_and_runtime_state_survive(aws: None, tmp_path: Path) -> None:
    # GIVEN a queue with a message, a Cognito user with a token and some runtime state
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="lead@example.com", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="lead@example.com", Password=PASSWORD, Permanent=True
    )
    token = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "lead@example.com", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    saved = state.RuntimeState(
        source_keys={"demo": "rlk_demo_x"},
        clock=datetime(2026, 1, 1, tzinfo=UTC),
        stream_positions={"Mapping": {"shard": "42"}},
    )
    # WHEN it is saved, everything is wiped, and it is loaded again
    state.save(tmp_path, saved)
    assert not list(tmp_path.glob(".state-*"))  # no temporary file left behind
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    assert boto3.client("sqs").list_queues().get("QueueUrls") is None
    restored = state.load(tmp_path)
    # THEN the message, the token's validity and the runtime state are back
    assert boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "kept"
    assert boto3.client("cognito-idp").get_user(AccessToken=token)["Username"] == "lead@example.com"
    assert restored == saved


def test_no_state_yet(tmp_path: Path) -> None:
    assert state.load(tmp_path) is None
