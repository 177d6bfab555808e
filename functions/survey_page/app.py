"""GET /s/{source_id}: the hosted feedback page in the visitor's language (a GET changes nothing);
POST /s/{source_id}: the filled-in form, through the same intake as POST /v1/feedback. The pages:
views.py."""

from __future__ import annotations

from typing import Any

import views
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.errors import TransientFailure
from recovery.notify.render import LANGUAGES
from recovery.observability import count_feedback, logger, metrics
from recovery.services.survey_page import PARAMS, BadForm, PageSource, RateLimited, TokenRefused, clean_params
from recovery.settings import Settings
from recovery.web import errors, requests
from recovery.web.languages import preferred_language
from recovery.wiring.intake import build_survey_page

survey = build_survey_page(Settings.from_env())
app = APIGatewayHttpResolver()

BODY_MAX = 16 * 1024  # a filled-in form is far smaller; anything larger is refused unread
FIELDS = ("token", "lang", "score", "comment", "email", "phone", *PARAMS)


def _language(chosen: str | None) -> str:
    """The switcher's choice (`?lang=`), else the browser's first supported language, else English."""
    if chosen and chosen in LANGUAGES:
        return chosen
    return preferred_language(app.current_event.headers.get("accept-language"))


def _form_page(
    status: int,
    source: PageSource,
    language: str,
    form: dict[str, str],
    params: dict[str, str],
    error: str | None = None,
) -> Response[str]:
    token = survey.token(source.source.source_id, clock.now())
    return views.form_page(status, source, language, form, params, token, error)


def _form_fields() -> dict[str, str] | None:
    """The form's fields; None for a body that can't be the form (too large, too many fields, not text)."""
    return requests.form_fields(app.current_event.raw_event, FIELDS, most=20, max_size=BODY_MAX)


@app.get("/s/<source_id>")
def show(source_id: str) -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    language = _language(query.get("lang"))
    source = survey.source(source_id, clock.now())
    if source is None:
        return views.message(404, language, "unknown")
    return _form_page(200, source, language, {}, clean_params(query))


@app.post("/s/<source_id>")
def submit(source_id: str) -> Response[str]:
    now = clock.now()
    form = _form_fields()
    language = _language((form or {}).get("lang"))
    source = survey.source(source_id, now)
    if source is None:
        return views.message(404, language, "unknown")
    if form is None:
        return _form_page(400, source, language, {}, {}, "score")
    params = clean_params(form)
    try:
        outcome = survey.submit(source, form, language, now)
    except TokenRefused as refused:
        logger.info("survey page token refused", extra={"source": source_id, "reason": refused.check.value})
        metrics.add_metric(name="SurveyPageTokenRefused", unit=MetricUnit.Count, value=1)
        return _form_page(400, source, language, form, params, "expired")
    except BadForm as bad:
        return _form_page(400, source, language, form, params, bad.field)
    except RateLimited as limited:
        metrics.add_metric(name="SurveyPageRateLimited", unit=MetricUnit.Count, value=1)
        return views.message(429, language, "busy", {"Retry-After": str(limited.retry_after)})
    metrics.add_metric(name="SurveyPageSubmitted", unit=MetricUnit.Count, value=1)
    count_feedback(outcome.result.status, outcome.result.verdict)
    if outcome.result.case_id:
        logger.info(
            "survey page feedback",
            extra={"feedback_id": outcome.result.feedback_id, "case_id": outcome.result.case_id},
        )
    return views.message(200, language, "thanks")


@app.exception_handler(TransientFailure)
def transient(error: TransientFailure) -> Response[str]:
    errors.note_transient(error)
    return views.message(503, _language(None), "unavailable", {"Retry-After": "2"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
