"""Vendor webhooks: POST /v1/hooks/{source_id}, verified on the raw bytes, mapped by the source's connector.

Statuses: 2xx for a valid delivery (as intake answers; 200 for an ignored event), 401 for a bad signature
or a stale timestamp, 404 only for an unknown source (vendors such as Typeform disable a webhook on 404 or
410), 400 for a body the mapping cannot read, 413 over 256 KiB, 503 for a transient failure.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.errors import TransientFailure
from recovery.observability import count_feedback, logger, metrics
from recovery.services.inbound_hooks import Delivery, HookAnswer, UnknownSource
from recovery.settings import Settings
from recovery.web import http, requests
from recovery.wiring.intake import build_hooks

hooks = build_hooks(Settings.from_env())
_TITLES = {
    400: "Unreadable delivery",
    401: "Unauthorized",
    413: "Payload too large",
    503: "Service unavailable",
}


def deliver(event: dict[str, Any]) -> Response[str]:
    source_id = str((event.get("pathParameters") or {}).get("source_id", ""))
    body = event.get("body") or ""
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
    except (binascii.Error, ValueError):
        return http.problem(400, "Unreadable delivery", "the body is not valid base64")
    query = dict(parse_qsl(str(event.get("rawQueryString") or ""), keep_blank_values=True))
    delivery = Delivery(raw=raw, headers=requests.lower_headers(event), query=query)
    try:
        answer = hooks.deliver(source_id, delivery)
    except UnknownSource:
        return http.problem(404, "Not found", "no hook is configured for this source")
    except TransientFailure:
        answer = HookAnswer(503, "failed", "storage failed transiently")
    metrics.add_metric(name=f"Hook{answer.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    count_feedback(answer.outcome, answer.verdict)
    fields = {"source": source_id, "status": answer.status, "outcome": answer.outcome}
    logger.info("hook delivery", extra={**fields, "reason": answer.reason, "case_id": answer.case_id})
    if answer.status >= 400:
        headers = {"Retry-After": "2"} if answer.status == 503 else None
        return http.problem(
            answer.status, _TITLES.get(answer.status, "Refused"), answer.reason or "", headers=headers
        )
    return Response(answer.status, "application/json", json.dumps(answer.as_json()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.as_event_response(deliver(event))
