"""SES bounces and complaints (through SNS) -> the suppression list."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics, tracer
from recovery.services import deliverability
from recovery.settings import Settings
from recovery.wiring.deliveries import build_suppression_list

suppression_list = build_suppression_list(Settings.from_env())
store, address_hash = suppression_list.store, suppression_list.address_hash


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    done = deliverability.handle(
        (record.sns.message for record in event.records), store, address_hash, clock.now()
    )
    for suppression in done:
        metrics.add_metric(
            name=f"Suppressed{suppression.reason.capitalize()}", unit=MetricUnit.Count, value=1
        )
    # No addresses in the log: they are personal data.
    logger.info("deliverability notifications handled", extra={"suppressed": len(done)})
    return {"suppressed": len(done)}
