"""GET /a/{code}: a confirm page that changes nothing (mail scanners prefetch links);
POST /a/{code}: the lead acknowledges the case.

Both pages speak the language of the contact the link was sent to (else the browser's), show times on
that contact's clock with the zone's abbreviation, show the case's score and comment, and, once the case
is acknowledged, link into the case in the console."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.domain.links import Verdict
from recovery.notify.render import language_of, local_time
from recovery.notify.scores import score_words
from recovery.observability import logger, metrics
from recovery.services.alerts import AckView
from recovery.web.languages import preferred_language
from recovery.web.pages import page, wording
from recovery.wiring.alerts import build_alerts
from recovery.wiring.messaging import MessagingSettings

alerts = build_alerts(MessagingSettings.from_env())
app = APIGatewayHttpResolver()

REFUSED = {
    Verdict.UNKNOWN: "unknown",
    Verdict.WRONG_PURPOSE: "wrong",
    Verdict.EXPIRED: "expired",
    Verdict.USED: "used",
}


def _browser_language() -> str:
    return preferred_language(app.current_event.headers.get("accept-language"))


def _refused(verdict: Verdict) -> Response[str]:
    language = _browser_language()
    t = wording("ack", language)
    key = REFUSED[verdict]
    return page(
        verdict.http_status,
        "link_refused.html",
        lang=language,
        title=t[f"{key}_title"],
        explanation=t[key],
        hint=t["hint"],
    )


def _when(value: datetime | None, view: AckView) -> str | None:
    return local_time(value, view.timezone, date=True) if value is not None else None


def _shown(template: str, view: AckView) -> Response[str]:
    language = language_of(view.language) if view.language else _browser_language()
    return page(
        200,
        template,
        lang=language,
        t=wording("ack", language),
        view=view,
        score=score_words(view.score_text, language),
        deadline=_when(view.case.ack_due_at, view),
        acked_at=_when(view.case.acked_at, view),
    )


@app.get("/a/<code>")
def confirm(code: str) -> Response[str]:
    verdict, case = alerts.inspect(code, clock.now())
    # A used code still shows its case once acknowledged ("already acknowledged by ..."), not a refusal.
    shown = verdict is Verdict.OK or (verdict is Verdict.USED and case is not None and case.status != "open")
    if not shown or case is None:
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN)
    return _shown("ack_confirm.html", alerts.view(code, case))


@app.post("/a/<code>")
def acknowledge(code: str) -> Response[str]:
    verdict, case = alerts.acknowledge(code, clock.now())
    if verdict is not Verdict.OK or case is None:
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN)
    logger.info("case acknowledged", extra={"case_id": case.case_id, "by": case.acked_by})
    return _shown("ack_done.html", alerts.view(code, case))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
