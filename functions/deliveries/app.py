"""SES bounces and complaints (through SNS) -> the suppression list."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.observability import logger, metrics, tracer
from recovery.services import deliverability
from recovery.settings import Settings
from recovery.store import models, secrets
from recovery.store.suppressions import SuppressionStore

settings = Settings.from_env()
models.bind(settings.table_name, settings.region)
store = SuppressionStore()


def address_hash(address: str) -> str:
    return PiiHasher(secrets.secret_bytes(settings.pii_key_secret_arn)).digest("address", address.lower())


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
