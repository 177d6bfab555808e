"""Table stream -> domain events on the bus and counters applied once per record; a record that can't be
read is parked in the stream DLQ. Answers with the partial batch response Lambda documents for streams."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.notify.dead_letters import FROM_DEAD_LETTER_QUEUE
from recovery.observability import logger, metrics, tracer
from recovery.wiring.stream import StreamSettings, build_stream_processor

processor = build_stream_processor(StreamSettings.from_env())


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
