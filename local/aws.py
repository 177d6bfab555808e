"""The runtime's own boto3 clients, created once. They talk to moto in-process (under `mock_aws`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class AwsClients:
    region: str
    dynamodb: Any
    streams: Any
    sqs: Any
    sns: Any
    events: Any
    scheduler: Any
    secrets: Any
    ses: Any
    cognito: Any
    ssm: Any

    @classmethod
    def create(cls, region: str) -> AwsClients:
        session = boto3.session.Session(region_name=region)
        return cls(
            region=region,
            dynamodb=session.client("dynamodb"),
            # moto answers DynamoDB Streams only on this explicit endpoint (DESIGN.md, Known traps).
            streams=session.client(
                "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com"
            ),
            sqs=session.client("sqs"),
            sns=session.client("sns"),
            events=session.client("events"),
            scheduler=session.client("scheduler"),
            secrets=session.client("secretsmanager"),
            ses=session.client("ses"),
            cognito=session.client("cognito-idp"),
            ssm=session.client("ssm"),
        )


def api_members(client: Any, operation: str) -> set[str]:
    """The parameter names an API operation accepts (CloudFormation properties mostly share them)."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    return set(shape.members) if shape is not None else set()


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
