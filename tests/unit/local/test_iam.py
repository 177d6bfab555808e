"""The embedded runtime's IAM: the resources AWS checks for each call, and roles evaluated as IAM does."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import iam
from local import template as sam
from local.functions import Environment, FunctionConfig, FunctionHost
from local.iam_requests import Call, Lookups, Request, requests
from local.queues import QueuePoller
from local.refs import ACCOUNT_ID, Names, pseudo_parameters
from local.streams import Mapping
from tests.support import REGION, environment

TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/t"


def lookups(verified: set[str] | None = None, secrets: dict[str, str] | None = None) -> Lookups:
    return Lookups(
        secret_arn=lambda region, name: (secrets or {}).get(name),
        verified_identities=lambda region: verified or set(),
    )


def asks(service: str, operation: str, params: dict[str, Any], found: Lookups | None = None) -> list[Request]:
    return requests(Call(service, operation, params, REGION), found or lookups())


# ------------------------------------------------------------------------------------------- requests
def test_a_transaction_is_authorised_item_by_item() -> None:
    items = [
        {"Put": {"TableName": "t", "Item": {}}},
        {"Update": {"TableName": "t", "Key": {}}},
        {"ConditionCheck": {"TableName": "t", "Key": {}}},
    ]
    assert asks("dynamodb", "TransactWriteItems", {"TransactItems": items}) == [
        Request("dynamodb:PutItem", TABLE),
        Request("dynamodb:UpdateItem", TABLE),
        Request("dynamodb:ConditionCheckItem", TABLE),
    ]


def test_a_query_of_an_index_is_checked_on_the_index() -> None:
    assert asks("dynamodb", "Query", {"TableName": "t", "IndexName": "due"}) == [
        Request("dynamodb:Query", f"{TABLE}/index/due")
    ]
    assert asks("dynamodb", "Query", {"TableName": "t"}) == [Request("dynamodb:Query", TABLE)]
    assert asks("dynamodb", "BatchGetItem", {"RequestItems": {"t": {}}}) == [
        Request("dynamodb:BatchGetItem", TABLE)
    ]


def test_an_email_is_checked_on_its_identity_and_its_configuration_set() -> None:
    identity = f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity"
    params = {"Source": "Alerts <alerts@example.com>", "ConfigurationSetName": "deliveries"}
    # GIVEN only the domain is verified, SES sends as the domain
    assert asks("ses", "SendEmail", params, lookups({"example.com"})) == [
        Request("ses:SendEmail", f"{identity}/example.com"),
        Request("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:configuration-set/deliveries"),
    ]
    # GIVEN the address is verified itself, SES sends as the address
    assert asks("ses", "SendEmail", params, lookups({"example.com", "alerts@example.com"}))[0] == Request(
        "ses:SendEmail", f"{identity}/alerts@example.com"
    )


def test_a_raw_email_without_source_is_checked_on_its_from_header() -> None:
    message = EmailMessage()
    message["From"] = "alerts@example.com"
    params = {"RawMessage": {"Data": message.as_bytes()}}
    assert asks("ses", "SendRawEmail", params, lookups({"example.com"})) == [
        Request("ses:SendRawEmail", f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/example.com")
    ]


def test_sms_has_no_resource_and_a_topic_is_its_arn() -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:ops"
    assert asks("sns", "Publish", {"PhoneNumber": "+4791234567", "Message": "m"}) == [
        Request("sns:Publish", "*")
    ]
    assert asks("sns", "Publish", {"TopicArn": topic, "Message": "m"}) == [Request("sns:Publish", topic)]


def test_queues_secrets_parameters_and_buses_are_named_as_aws_names_them() -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/dlq"
    assert asks("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}) == [
        Request("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:dlq")
    ]
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:pii-AbCdEf"
    assert asks(
        "secretsmanager", "GetSecretValue", {"SecretId": "pii"}, lookups(secrets={"pii": secret})
    ) == [Request("secretsmanager:GetSecretValue", secret)]
    assert asks("ssm", "GetParameter", {"Name": "/a/b"}) == [
        Request("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/a/b")
    ]
    entries = [{"EventBusName": "bus"}, {"Source": "s"}]
    assert asks("events", "PutEvents", {"Entries": entries}) == [
        Request("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/bus"),
        Request("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/default"),
    ]


def test_sign_in_needs_no_permission_and_other_calls_are_checked_on_star() -> None:
    assert asks("cognito-idp", "InitiateAuth", {"ClientId": "c"}) == []
    assert asks("cognito-idp", "AdminGetUser", {"UserPoolId": "p", "Username": "u"}) == [
        Request("cognito-idp:AdminGetUser", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/p")
    ]
    assert asks("cloudwatch", "PutMetricData", {"Namespace": "n"}) == [
        Request("cloudwatch:PutMetricData", "*")
    ]


# ------------------------------------------------------------------------------------------- roles
def role_from(tmp_path: Path, policies: str) -> iam.Role:
    """The role of the one function of a small SAM template with these Policies."""
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Secret:\n"
        "    Type: AWS::SecretsManager::Secret\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: fn/\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        f"      Policies:\n{policies}",
        encoding="utf-8",
    )
    template = sam.load(tmp_path / "template.yaml", REGION)
    names = Names(refs={**pseudo_parameters(REGION), "Fn": "fn", "FnRole": "fn-role", "Secret": "s-arn"})
    return iam.roles(template, names)["Fn"]


def test_actions_match_without_regard_to_case_and_resources_literally(tmp_path: Path) -> None:
    role = role_from(
        tmp_path,
        "        - Statement:\n"
        "            - Effect: Allow\n"
        "              Action: DynamoDB:getitem\n"
        "              Resource: arn:aws:ssm:*:*:parameter/a.b?c\n",
    )
    assert role.decide(Request("dynamodb:GetItem", "arn:aws:ssm:r:1:parameter/a.bXc")) == "allowed"
    assert role.decide(Request("dynamodb:GetItem", "arn:aws:ssm:r:1:parameter/aXbXc")) == "implicit"
    assert role.decide(Request("dynamodb:PutItem", "arn:aws:ssm:r:1:parameter/a.bXc")) == "implicit"


def test_an_explicit_deny_wins_over_an_allow(tmp_path: Path) -> None:
    role = role_from(
        tmp_path,
        "        - Statement:\n"
        "            - { Effect: Allow, Action: sns:Publish, Resource: '*' }\n"
        "            - { Effect: Deny, Action: sns:Publish, Resource: 'arn:aws:sns:*:*:*' }\n",
    )
    assert role.decide(Request("sns:Publish", "*")) == "allowed"
    assert role.decide(Request("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:ops")) == "explicit"


def test_sam_policy_templates_and_managed_policies_are_expanded(tmp_path: Path) -> None:
    role = role_from(
        tmp_path, "        - AWSSecretsManagerGetSecretValuePolicy: { SecretArn: !Ref Secret }\n"
    )
    assert role.decide(Request("secretsmanager:GetSecretValue", "s-arn")) == "allowed"
    assert role.decide(Request("secretsmanager:GetSecretValue", "other")) == "implicit"
    # AWSLambdaBasicExecutionRole, which SAM always attaches
    assert role.decide(Request("logs:CreateLogStream", "arn:aws:logs:r:1:log-group:g")) == "allowed"


def test_what_the_engine_cannot_evaluate_is_refused_or_strict(tmp_path: Path) -> None:
    with pytest.raises(iam.PolicyError, match="NotResource"):
        role_from(
            tmp_path,
            "        - Statement:\n"
            "            - { Effect: Allow, Action: sns:Publish, NotResource: 'arn:aws:sns:*:*:*' }\n",
        )
    conditional = role_from(
        tmp_path,
        "        - Statement:\n"
        "            - Effect: Allow\n"
        "              Action: sqs:SendMessage\n"
        "              Resource: '*'\n"
        "              Condition: { StringEquals: { aws:SourceAccount: '1' } }\n",
    )
    assert conditional.decide(Request("sqs:SendMessage", "q")) == "implicit"


# ------------------------------------------------------------------------------------------- enforcement
@pytest.fixture
def aws() -> Iterator[None]:
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    with environment(creds), mock_aws():
        yield


def table_role(tmp_path: Path) -> iam.Role:
    return role_from(
        tmp_path,
        "        - Statement:\n"
        f"            - {{ Effect: Allow, Action: dynamodb:GetItem, Resource: '{TABLE}' }}\n",
    )


def test_a_call_the_role_does_not_allow_fails_as_on_aws(
    aws: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a table, and a role that may only read it
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    role = table_role(tmp_path)
    with iam.acting_as(role):
        # WHEN the role reads, it may
        assert "Item" not in client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        # WHEN it writes, THEN AWS's AccessDenied error, naming the action and the resource
        with pytest.raises(ClientError) as denied, caplog.at_level(logging.ERROR, logger="local.iam"):
            client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert (
        f"assumed-role/fn-role/fn is not authorized to perform: dynamodb:PutItem on resource: {TABLE}"
        in (error["Message"])
    )
    assert f"Fn may not dynamodb:PutItem on {TABLE}" in caplog.text
    # AND nothing was written; outside a function's call the account itself acts
    assert "Item" not in client.get_item(TableName="t", Key={"pk": {"S": "a"}})
    client.put_item(TableName="t", Item={"pk": {"S": "a"}})


def test_each_service_answers_with_its_own_denial_code(aws: None, tmp_path: Path) -> None:
    role = table_role(tmp_path)
    topic = boto3.client("sns", region_name=REGION).create_topic(Name="ops")["TopicArn"]
    with iam.acting_as(role):
        with pytest.raises(ClientError) as sns:
            boto3.client("sns", region_name=REGION).publish(TopicArn=topic, Message="m")
        with pytest.raises(ClientError) as ses:
            boto3.client("ses", region_name=REGION).send_email(
                Source="a@example.com",
                Destination={"ToAddresses": ["b@example.com"]},
                Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
            )
    assert sns.value.response["Error"]["Code"] == "AuthorizationError"
    assert ses.value.response["Error"]["Code"] == "AccessDenied"


def test_the_runtime_hosts_a_function_with_its_role_at_import_and_in_its_handler(
    aws: None, tmp_path: Path
) -> None:
    # GIVEN a function that reads a secret at import and writes to a queue in its handler, and a role
    # that allows neither
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(
        "import boto3\n"
        "def read():\n"
        "    try:\n"
        "        boto3.client('secretsmanager').get_secret_value(SecretId='s')\n"
        "    except Exception as error:\n"
        "        return error.response['Error']['Code']\n"
        "AT_IMPORT = read()\n"
        "def handler(event, context):\n"
        "    return {'import': AT_IMPORT, 'handler': read()}\n",
        encoding="utf-8",
    )
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name="s", SecretString="x")
    config = FunctionConfig(
        logical_id="Fn",
        name="fn",
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:fn",
        code_dir=code,
        handler="app.handler",
        layer_dirs=(),
        environment={"AWS_DEFAULT_REGION": REGION},
        timeout=3,
        memory=128,
        role=table_role(tmp_path),
    )
    host = FunctionHost(threading.RLock(), Environment(dict(os.environ)), prepare_scope=lambda: None)
    # WHEN it is loaded and invoked
    host.load(config)
    answer = host.invoke("Fn", {})
    # THEN both calls were denied
    assert answer == {"import": "AccessDeniedException", "handler": "AccessDeniedException"}


def test_a_queue_mapping_receives_with_the_functions_role(aws: None, tmp_path: Path) -> None:
    # GIVEN a queue whose mapping's function may read a table but not receive from the queue
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="outbound")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="case.opened")
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:outbound"
    role = table_role(tmp_path)
    host: Any = SimpleNamespace(find=lambda name: SimpleNamespace(role=role))
    clients: Any = SimpleNamespace(sqs=sqs, region=REGION)
    mapping = Mapping("Outbound", "Fn", arn, 10, 0, None, (), report_item_failures=True)
    poller = QueuePoller(mapping, url, clients, host, threading.RLock(), lambda: datetime.now(UTC))
    # WHEN it polls THEN SQS refuses, as it refuses Lambda when the role lacks sqs:ReceiveMessage
    with pytest.raises(ClientError) as denied:
        poller.poll()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert f"sqs:ReceiveMessage on resource: {arn}" in str(denied.value)
