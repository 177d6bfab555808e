"""GET /f/{code}: the follow-up form in the customer's language (a GET changes nothing);
POST /f/{code}: the customer's answer, which closes the loop on the case. The pages: views.py."""

from __future__ import annotations

from typing import Any

import views
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.domain.links import Verdict
from recovery.notify.render import language_of
from recovery.observability import logger, metrics
from recovery.services.follow_up import BadAnswer, View
from recovery.web import requests
from recovery.web.languages import preferred_language
from recovery.wiring.follow_up import build_follow_ups
from recovery.wiring.messaging import MessagingSettings

followups = build_follow_ups(MessagingSettings.from_env())
app = APIGatewayHttpResolver()

BODY_MAX = 16 * 1024  # a filled-in form is far smaller; anything larger is refused unread


@app.get("/f/<code>")
def show(code: str) -> Response[str]:
    verdict, view = followups.inspect(code, clock.now())
    if verdict is not Verdict.OK or view is None:
        return _refused(verdict, view)
    return views.form_page(200, view, {})


@app.post("/f/<code>")
def submit(code: str) -> Response[str]:
    now = clock.now()
    verdict, view = followups.inspect(code, now)
    if verdict is not Verdict.OK or view is None:
        return _refused(verdict, view)
    form = _form_fields()
    if form is None:
        return views.form_page(400, view, {}, views.error(view, "score"))
    try:
        verdict, answered, outcome = followups.answer(code, form, now, inspected=(verdict, view))
    except BadAnswer as error:
        return views.form_page(400, view, form, views.error(view, error.field))
    if verdict is not Verdict.OK or answered is None:
        return _refused(verdict, answered)
    logger.info("follow-up answered", extra={"case_id": answered.followup.case_id, "outcome": outcome})
    return views.message(200, language_of(answered.language), "thanks")


def _form_fields() -> dict[str, str] | None:
    """The form's fields; None for a body that can't be the form (too large, too many fields, not text)."""
    return requests.form_fields(app.current_event.raw_event, views.FIELDS, most=10, max_size=BODY_MAX)


def _refused(verdict: Verdict, view: View | None) -> Response[str]:
    return views.refused(verdict, view, preferred_language(app.current_event.headers.get("accept-language")))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
