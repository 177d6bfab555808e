"""Table stream -> domain events on the bus and counters applied once per record; a record that can't be
read is parked in the stream DLQ. Answers with the partial batch response Lambda documents for streams."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.notify.bus import EventBridgePublisher
from recovery.notify.dead_letters import FROM_DEAD_LETTER_QUEUE, SqsDeadLetters
from recovery.observability import logger, metrics, tracer
from recovery.services.stream_processor import StreamProcessor
from recovery.settings import Settings
from recovery.store import models
from recovery.store.counters import CounterStore

settings = Settings.from_env()
models.bind(settings.table_name, settings.region)
dlq_url = os.environ.get("STREAM_DLQ_URL", "").strip()
processor = StreamProcessor(
    CounterStore(),
    EventBridgePublisher(boto3.client("events"), settings.event_bus_name),
    SqsDeadLetters(boto3.client("sqs"), dlq_url) if dlq_url else None,
)


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    delivery = processor.process(event["Records"], park=not event.get(FROM_DEAD_LETTER_QUEUE))
    log = logger.warning if delivery.failed_at else logger.info
    log(
        "stream records processed",
        extra={
            "records": delivery.records,
            "counted": delivery.counted,
            "already_counted": delivery.already_counted,
            "parked": delivery.parked,
            "failed_at": delivery.failed_at,
            "failure": delivery.failure,
        },
    )
    metrics.add_metric(name="DomainEventsPublished", unit=MetricUnit.Count, value=delivery.events)
    if delivery.parked:
        metrics.add_metric(name="StreamRecordsParked", unit=MetricUnit.Count, value=delivery.parked)
    return dict(delivery.response())
