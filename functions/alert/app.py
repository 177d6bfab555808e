"""CaseOpened on the bus -> email and SMS to the routed team's on-duty leads, and the case posted to the
team's Slack channel; CaseAcknowledged -> that Slack message updated in place (docs/slack.md); CaseNotice ->
the case's owner told by email (docs/notices.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics, tracer
from recovery.wiring.alerts import build_alerts
from recovery.wiring.messaging import MessagingSettings
from recovery.wiring.notices import build_owner_notices

settings = MessagingSettings.from_env()
alerts = build_alerts(settings)
notices = build_owner_notices(settings, slack=alerts)


@logger.inject_lambda_context
@tracer().capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    case_id = str(event.detail["case_id"])
    logger.append_keys(case_id=case_id)
    if event.detail_type == "CaseNotice":
        notice = notices.notify(case_id, str(event.detail["event_sk"]), clock.now())
        summary = {
            "notice": notice.notice,
            "sent": notice.sent,
            "skipped": notice.skipped,
            "slack": notice.slack,
        }
        logger.info("case notice", extra=summary)
        return {"case_id": case_id, **summary}
    if event.detail_type == "CaseAcknowledged":
        slack = alerts.acknowledged(case_id)
        logger.info("case acknowledged", extra={"slack": slack})
        return {"case_id": case_id, "slack": slack}
    outcome = alerts.alert(case_id)
    logger.info(
        "case alerted",
        extra={
            "sent": outcome.sent,
            "failed": outcome.failed,
            "skipped": outcome.skipped,
            "slack": outcome.slack,
        },
    )
    return {"case_id": case_id, "sent": outcome.sent, "failed": outcome.failed, "skipped": outcome.skipped}
