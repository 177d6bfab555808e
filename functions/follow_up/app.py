"""Every 5 minutes: follow-ups due to be sent, and answer windows that closed without an answer.
Reads only the sparse due index."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics, tracer
from recovery.wiring.follow_up import build_follow_ups
from recovery.wiring.messaging import MessagingSettings

followups = build_follow_ups(MessagingSettings.from_env())


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = followups.run(clock.now()).as_dict()
    if any(summary[name] for name in ("sent", "skipped", "deferred", "failed", "cancelled", "no_response")):
        logger.info("follow-up run acted", extra=summary)
    return summary
