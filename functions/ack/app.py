"""GET /a/{code}: a confirm page that changes nothing (mail scanners prefetch links);
POST /a/{code}: the lead acknowledges the case."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.domain.links import Verdict
from recovery.domain.records import Case
from recovery.observability import logger, metrics
from recovery.web.pages import page
from recovery.wiring.alerts import build_alerts
from recovery.wiring.messaging import MessagingSettings

alerts = build_alerts(MessagingSettings.from_env())
app = APIGatewayHttpResolver()

REFUSED = {
    Verdict.UNKNOWN: ("Unknown link", "This link is not one we sent, or it was mistyped."),
    Verdict.WRONG_PURPOSE: ("Wrong link", "This link is not an acknowledgement link."),
    Verdict.EXPIRED: ("Link expired", "This acknowledgement link has expired."),
    Verdict.USED: ("Link already used", "This acknowledgement link has been used already."),
}


def _refused(verdict: Verdict) -> Response[str]:
    title, explanation = REFUSED[verdict]
    return page(verdict.http_status, "link_refused.html", title=title, explanation=explanation)


def _when(case: Case | None, field: str) -> str | None:
    value = getattr(case, field, None) if case is not None else None
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else None


@app.get("/a/<code>")
def confirm(code: str) -> Response[str]:
    verdict, case = alerts.inspect(code, clock.now())
    # A used code still shows its case once acknowledged ("already acknowledged by ..."), not a refusal.
    shown = verdict is Verdict.OK or (verdict is Verdict.USED and case is not None and case.status != "open")
    if not shown or case is None:
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN)
    return page(
        200,
        "ack_confirm.html",
        case=case,
        deadline=_when(case, "ack_due_at"),
        acked_at=_when(case, "acked_at"),
    )


@app.post("/a/<code>")
def acknowledge(code: str) -> Response[str]:
    verdict, case = alerts.acknowledge(code, clock.now())
    if verdict is not Verdict.OK or case is None:
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN)
    logger.info("case acknowledged", extra={"case_id": case.case_id, "by": case.acked_by})
    return page(200, "ack_done.html", case=case)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
