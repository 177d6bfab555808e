"""Every minute: alerts that never went out, escalation of cases not acknowledged in time, delivery rows a
crashed invocation left `sending` past their lease (failed as interrupted), and the reminder of a case
acknowledged and left idle past half its resolve SLA (docs/notices.md). Reads only the sparse due index."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics, tracer
from recovery.wiring.alerts import build_alerts
from recovery.wiring.messaging import MessagingSettings

alerts = build_alerts(MessagingSettings.from_env())


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = alerts.sweep(clock.now())
    summary = {
        "alerted": outcome.alerted,
        "escalated": outcome.escalated,
        "breached": outcome.breached,
        "interrupted": len(outcome.interrupted),  # row keys hold address hashes: counted, not listed
        "reminded": outcome.reminded,
        "items_read": outcome.items_read,
    }
    if outcome.alerted or outcome.escalated or outcome.breached or outcome.interrupted or outcome.reminded:
        logger.info("sweep acted", extra=summary)
    return summary
