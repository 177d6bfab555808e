"""Table stream -> domain events on the bus, and counters applied once per batch."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.domain.changes import Change
from recovery.events_bus import EventBridgePublisher
from recovery.observability import logger, metrics, tracer
from recovery.outbox import Outbox
from recovery.settings import Settings
from recovery.store import models
from recovery.store.counters import CounterStore

settings = Settings.from_env()
models.bind(settings.table_name, settings.region)
outbox = Outbox(CounterStore(), EventBridgePublisher(boto3.client("events"), settings.event_bus_name))


def _changes(event: DynamoDBStreamEvent) -> list[Change]:
    changes = []
    for record in event.records:
        stream = record.dynamodb
        keys = (stream.keys if stream else None) or {}
        changes.append(
            Change(
                event_id=record.event_id or "",
                name=record.event_name.name if record.event_name else "MODIFY",  # type: ignore[arg-type]
                pk=str(keys.get("pk", "")),
                old=(stream.old_image or None) if stream else None,
                new=(stream.new_image or None) if stream else None,
            )
        )
    return changes


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    summary = outbox.process(_changes(event))
    logger.info("stream batch processed", extra={"batch_id": summary.batch_id, "records": summary.records})
    metrics.add_metric(name="DomainEventsPublished", unit=MetricUnit.Count, value=summary.events)
    return {"batch_id": summary.batch_id, "events": summary.events, "counters": summary.counters}
