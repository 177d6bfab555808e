"""Test helpers shared by unit, integration and benchmark code: AWS resources built from template.yaml
and functions imported the way Lambda imports them, each acting with its own role from the template."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from samtranslator.yaml_helper import yaml_parse

from local import iam
from local import template as sam
from local.refs import ACCOUNT_ID, PlaceholderNames, pseudo_parameters

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
REGION = "us-east-1"


def template() -> dict[str, Any]:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments from the template's Table resource."""
    properties = template()["Resources"]["Table"]["Properties"]
    return {
        "TableName": name,
        "BillingMode": properties["BillingMode"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"],
        "StreamSpecification": {"StreamEnabled": True, **properties["StreamSpecification"]},
    }


@dataclass
class Stack:
    table: str
    bus: str
    secret_arn: str
    dlq_url: str
    user_pool_id: str = ""
    user_pool_client_id: str = ""

    def env(self) -> dict[str, str]:
        return {
            "TABLE_NAME": self.table,
            "EVENT_BUS_NAME": self.bus,
            "PII_KEY_SECRET_ARN": self.secret_arn,
            "FEEDBACK_RETENTION_DAYS": "400",
            "ENVIRONMENT": "test",
            "POWERTOOLS_SERVICE_NAME": "recovery-loop",
            "POWERTOOLS_METRICS_NAMESPACE": "RecoveryLoop",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "SENDER_ADDRESS": "alerts@example.com",
            "PUBLIC_BASE_URL": "http://127.0.0.1:3000",
            "USER_POOL_CLIENT_ID": self.user_pool_client_id or "no-client",
        }


def create_stack() -> Stack:
    """The template's table, bus, secret and DLQ, inside an active moto mock."""
    suffix = uuid.uuid4().hex[:8]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = f"recovery-test-{suffix}"
    dynamodb.create_table(**table_definition(table))
    bus = boto3.client("events", region_name=REGION).create_event_bus(Name=f"recovery-{suffix}")
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=f"pii-{suffix}", SecretString="test-pii-key-0123456789abcdef"
    )
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName=f"dlq-{suffix}")
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(PoolName=f"leads-{suffix}")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return Stack(table, bus["EventBusArn"].rsplit("/", 1)[-1], secret["ARN"], queue["QueueUrl"], pool, client)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py as a fresh module, as a new Lambda container would.

    Its import and every call of its handler act with the function's role from template.yaml, so a call
    the role does not allow fails with AccessDenied, as on AWS (where local.iam's hooks are installed:
    tests/conftest.py installs them for every test).
    """
    role = function_role(name)
    folder = ROOT / "functions" / name
    with iam.acting_as(role), function_package(folder):
        module = load_module(folder / "app.py", f"fn_{name}_{uuid.uuid4().hex[:8]}")
    module.lambda_handler = _acting_as(role, module.lambda_handler)
    return module


@contextmanager
def function_package(folder: Path) -> Iterator[None]:
    """The function's directory as its package root, as on Lambda: first on `sys.path`, so app.py imports
    the modules beside it (`import routes_cases`) by their top-level names. They are imported afresh and
    taken out of `sys.modules` again afterwards, so no later load, nor another function with a module of
    the same name, shares them."""

    def siblings() -> list[str]:
        return [
            name
            for name, module in list(sys.modules.items())
            if Path(getattr(module, "__file__", None) or "/").parent == folder and not name.startswith("fn_")
        ]

    for name in siblings():
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in siblings():
            del sys.modules[name]


def _acting_as(role: iam.Role, handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def call(event: Any, context: Any) -> Any:
        with iam.acting_as(role):
            return handler(event, context)

    return call


@functools.cache
def expanded_template() -> sam.Template:
    """template.yaml as the SAM translator expands it (roles with their policy templates expanded)."""
    return sam.load(ROOT / "template.yaml", REGION)


def function_role(name: str) -> iam.Role:
    """The role of functions/<name>, resolved against the test stack the environment names."""
    template = expanded_template()
    code_dir = (ROOT / "functions" / name).resolve()
    logical_id = next(key for key, function in template.functions.items() if function.code_dir == code_dir)
    return iam.roles(template, StackNames.from_environment(template))[logical_id]


class StackNames(PlaceholderNames):
    """What the template's references name in a test stack: its table, bus, secret and environment come
    from the variables the functions get (Stack.env()); any other resource gets a name of its own."""

    @classmethod
    def from_environment(cls, template: sam.Template) -> StackNames:
        names = cls(refs={**pseudo_parameters(REGION), **template.parameters}, conditions=template.conditions)
        env = os.environ
        names.refs["Environment"] = env.get("ENVIRONMENT", "test")
        if "TABLE_NAME" in env:
            table = env["TABLE_NAME"]
            names.refs["Table"] = table
            names.attrs[("Table", "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"
        if "EVENT_BUS_NAME" in env:
            names.refs["EventBus"] = env["EVENT_BUS_NAME"]
            names.attrs[("EventBus", "Arn")] = (
                f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{env['EVENT_BUS_NAME']}"
            )
        if "PII_KEY_SECRET_ARN" in env:
            names.refs["PiiKeySecret"] = env["PII_KEY_SECRET_ARN"]
        if "INBOUND_MAIL_BUCKET" in env:
            bucket = env["INBOUND_MAIL_BUCKET"]
            names.refs["InboundMailBucket"] = bucket
            names.attrs[("InboundMailBucket", "Arn")] = f"arn:aws:s3:::{bucket}"
        if "SES_CONFIGURATION_SET" in env:
            names.refs["DeliveryConfigurationSet"] = env["SES_CONFIGURATION_SET"]
        return names


def load_module(path: Path, module_name: str) -> ModuleType:
    """Import a file as a module of the given name."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from events/, with top-level fields replaced."""
    document: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    document.update(overrides)
    return document


class Context:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


class StreamReader:
    """Reads a table's stream from moto and shapes records like the Lambda DynamoDB event.

    Each read takes a fresh iterator after the last sequence number seen: moto replaces a table (and its
    stream shard) with a copy when it rolls back a cancelled transaction, so a kept iterator would go on
    reading the discarded shard, phantom records included.
    """

    def __init__(self, table: str) -> None:
        # moto serves DynamoDB Streams only on the explicit streams endpoint.
        self._client = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com",
        )
        self._arn = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=table)["Table"][
            "LatestStreamArn"
        ]
        self._shard = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        self._last: str | None = None

    def read(self, prefixes: tuple[str, ...] = ("FB#", "CASE#")) -> list[dict[str, Any]]:
        """New records since the last read, filtered by key prefix like the template's FilterCriteria."""
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._last}
            if self._last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self._client.get_shard_iterator(StreamArn=self._arn, ShardId=self._shard, **position)
        response = self._client.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)
        records = []
        for record in response["Records"]:
            record = json.loads(json.dumps(record, default=lambda v: int(v.timestamp())))
            record["eventSourceARN"] = self._arn
            self._last = record["dynamodb"]["SequenceNumber"]
            if record["dynamodb"]["Keys"]["pk"]["S"].startswith(prefixes):
                records.append(record)
        return records
