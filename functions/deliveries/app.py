"""SES bounces and complaints (through SNS) -> the suppression list, and a customer message's bounce or
complaint on its case's timeline (docs/notices.md)."""

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
cases = suppression_list.cases


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    handled = deliverability.handle_notifications(
        (record.sns.message for record in event.records), store, address_hash, clock.now(), cases
    )
    done = handled.suppressed
    for suppression in done:
        metrics.add_metric(
            name=f"Suppressed{suppression.reason.capitalize()}", unit=MetricUnit.Count, value=1
        )
    # No addresses in the log: they are personal data.
    cases_marked = [found.case_id for found in handled.unreachable]
    logger.info(
        "deliverability notifications handled", extra={"suppressed": len(done), "unreachable": cases_marked}
    )
    return {"suppressed": len(done), "unreachable": cases_marked}
