"""CaseOpened on the bus -> the customer hears at once who will be in touch, and by when.
Every 5 minutes -> acknowledgements that waited for the customer's contact hours (due index only)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics, tracer
from recovery.wiring.customers import build_customer_acks
from recovery.wiring.messaging import MessagingSettings

acks = build_customer_acks(MessagingSettings.from_env())
SCHEDULED = "Scheduled Event"
METRICS = {"sent": "CustomerAcksSent", "deferred": "CustomerAcksDeferred"}


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == SCHEDULED:
        outcome = acks.send_due(clock.now())
        summary = {"sent": outcome.sent, "other": outcome.other, "items_read": outcome.items_read}
        if outcome.sent or outcome.other:
            logger.info("scheduled acknowledgements", extra=summary)
        return summary
    case_id = str(event["detail"]["case_id"])
    logger.append_keys(case_id=case_id)
    result = acks.acknowledge(case_id, clock.now())
    metric = METRICS.get(result, "CustomerAcksSkipped")
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    logger.info("customer acknowledgement", extra={"customer_acked": result})
    return {"case_id": case_id, "customer_acked": result}
