"""The CPU baseline: the least a Powertools handler for this route does.

The same resolver (`APIGatewayHttpResolver(enable_validation=True)`), the same body model (`FeedbackIn`)
on a POST route, the same Logger/Tracer/Metrics decorators and one metric, as the ingest function has.
It authenticates nothing, stores nothing and calls no AWS service: what our handler costs on top of
this is intake itself (key check, classification, hashing, items, the AWS SDK call).

`lambda_handler_with_put` is context, not the budget's baseline: the same, plus one conditional
DynamoDB PutItem of the validated body through a plain boto3 client (stubbed like ours).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.domain.feedback import FeedbackIn

# Own service name: Powertools loggers of the same name share one configured logging.Logger.
logger = Logger(service="bench-baseline")
metrics = Metrics(namespace="BenchBaseline", service="bench-baseline")
tracer = Tracer(service="bench-baseline")
app = APIGatewayHttpResolver(enable_validation=True)
store_app = APIGatewayHttpResolver(enable_validation=True)
dynamodb = boto3.client("dynamodb")
TABLE = os.environ.get("TABLE_NAME", "table")


@app.post("/v1/feedback")
def post_feedback(feedback: Annotated[FeedbackIn, Body(embed=False)]) -> dict[str, str]:
    metrics.add_metric(name="FeedbackCreated", unit=MetricUnit.Count, value=1)
    return {"status": "created"}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


@store_app.post("/v1/feedback")
def store_feedback(feedback: Annotated[FeedbackIn, Body(embed=False)]) -> dict[str, str]:
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": f"FB#{feedback.external_id}"},
            "sk": {"S": "FB"},
            "body": {"S": feedback.model_dump_json()},
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    metrics.add_metric(name="FeedbackCreated", unit=MetricUnit.Count, value=1)
    return {"status": "created"}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler_with_put(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return store_app.resolve(event, context)
