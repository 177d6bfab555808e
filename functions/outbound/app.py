"""Case events (bus rule -> SQS) -> signed webhooks to the CRM or helpdesk, one record at a time.

A record that did not reach every subscribed endpoint is reported as a batch item failure: SQS brings
it back after the visibility timeout, and after maxReceiveCount it moves to the DLQ (with an alarm).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.observability import logger, metrics, tracer
from recovery.settings import Settings
from recovery.wiring.outbound import build_outbound

settings = Settings.from_env()
outbound = build_outbound(settings)
# A batch where every record failed is answered like any other: those records come back later.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def deliver(record: SQSRecord) -> None:
    event = json.loads(record.body)
    logger.append_keys(case_id=(event.get("detail") or {}).get("case_id"))
    reached = outbound.deliver(event)
    metrics.add_metric(name="OutboundDelivered", unit=MetricUnit.Count, value=len(reached))


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)
