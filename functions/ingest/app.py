"""Feedback intake: POST /v1/feedback and /v1/feedback/batch, plus health and the API documents."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.domain.feedback import BatchItemResult, BatchResult, FeedbackBatchIn, FeedbackIn, IntakeResult
from recovery.observability import count_feedback, logger, metrics
from recovery.settings import Settings
from recovery.web import api_docs, errors, http, requests
from recovery.wiring.intake import build_ingest

ingest = build_ingest(Settings.from_env())
FEEDBACK_ANSWERS = {
    201: "a new response",
    200: "a duplicate (same ids), or an update (re-classified, never a second case)",
    202: "held: no score yet",
}
REFUSALS = {
    400: "malformed JSON, or schema errors listed as JSON Pointers",
    401: "missing or unknown source key",
    413: "body over 256 KiB",
    415: "not application/json",
    503: "AWS failed transiently; nothing was written, retry after Retry-After",
}
AUTHENTICATED = frozenset({"POST /v1/feedback", "POST /v1/feedback/batch"})

app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=requests.parse_json)
errors.register(app)
# The whole API's document, generated from every function's routes by `python -m tools.openapi`.
API_DOCUMENT = Path(__file__).with_name("openapi.json")


@app.get("/v1/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return api_docs.openapi_response(API_DOCUMENT)


@app.get("/docs", include_in_schema=False)
def swagger_ui() -> Response[str]:
    return api_docs.swagger_page(API_DOCUMENT)


@app.post("/v1/feedback", responses=http.answers(IntakeResult, FEEDBACK_ANSWERS, REFUSALS))
def post_feedback(feedback: Annotated[FeedbackIn, Body(embed=False)]) -> Response[str]:
    source = app.context["source"]
    outcome = ingest.intake.receive(source, feedback)
    _log(outcome.result)
    metrics.add_metric(name=f"Feedback{outcome.result.status.capitalize()}", unit=MetricUnit.Count, value=1)
    count_feedback(outcome.result.status, outcome.result.verdict)
    return Response(outcome.status_code, "application/json", outcome.result.model_dump_json())


@app.post(
    "/v1/feedback/batch", responses=http.answers(BatchResult, {200: "a status for every item"}, REFUSALS)
)
def post_feedback_batch(batch: Annotated[FeedbackBatchIn, Body(embed=False)]) -> BatchResult:
    source = app.context["source"]
    outcomes = ingest.intake.receive_many(source, batch.items)
    for outcome in outcomes:
        _log(outcome.result)
        count_feedback(outcome.result.status, outcome.result.verdict)
    metrics.add_metric(name="FeedbackBatchItems", unit=MetricUnit.Count, value=len(outcomes))
    return BatchResult(
        results=[
            BatchItemResult(index=index, status_code=outcome.status_code, **outcome.result.model_dump())
            for index, outcome in enumerate(outcomes)
        ]
    )


def _log(result: IntakeResult) -> None:
    # INFO only when a case is involved: a log line per positive would cost more than its write.
    if result.case_id:
        logger.info("feedback accepted", extra=_fields(result))
    elif logger.log_level <= logging.DEBUG:
        logger.debug("feedback accepted", extra=_fields(result))


def _fields(result: IntakeResult) -> dict[str, Any]:
    return {"feedback_id": result.feedback_id, "status": result.status, "case_id": result.case_id}


def _gate(event: dict[str, Any]) -> None:
    """Size, content type and key, before the body is parsed."""
    if event.get("routeKey") not in AUTHENTICATED:
        return
    headers = requests.lower_headers(event)
    requests.require_json(event, headers)
    app.append_context(source=ingest.sources.authenticate(headers.get("authorization")))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app.clear_context()
    return errors.before_routing(event, _gate) or app.resolve(event, context)
