"""Customer replies (SES receiving, through S3 and SNS) and texts (two-way SMS, through SNS) -> their
cases' timelines (`recovery.services.inbound_replies`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics, tracer
from recovery.settings import Settings
from recovery.wiring.inbound import build_inbound_replies

replies = build_inbound_replies(Settings.from_env())


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for record in event.records:
        outcome = replies.handle(record.sns.message, clock.now())
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        name = "Replies" + outcome.status.replace("_", " ").title().replace(" ", "")
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return counts
