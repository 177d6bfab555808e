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
    s3: Any = None

    @classmethod
    def create(cls, region: str, endpoint_url: str | None = None) -> AwsClients:
        """Clients for moto in-process (`mock_aws`), or for a moto server at `endpoint_url`."""
        session = boto3.session.Session(region_name=region)

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=endpoint_url)

        return cls(
            region=region,
            dynamodb=client("dynamodb"),
            # In-process, moto answers DynamoDB Streams only on this explicit endpoint (DESIGN.md, Known
            # traps); a server answers every service on its own URL.
            streams=session.client(
                "dynamodbstreams",
                endpoint_url=endpoint_url or f"https://streams.dynamodb.{region}.amazonaws.com",
            ),
            sqs=client("sqs"),
            sns=client("sns"),
            events=client("events"),
            scheduler=client("scheduler"),
            secrets=client("secretsmanager"),
            ses=client("ses"),
            cognito=client("cognito-idp"),
            ssm=client("ssm"),
            s3=client("s3"),
        )


def api_members(client: Any, operation: str) -> set[str]:
    """The parameter names an API operation accepts (CloudFormation properties mostly share them)."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    return set(shape.members) if shape is not None else set()


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
