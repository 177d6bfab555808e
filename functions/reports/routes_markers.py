"""Release and change markers from a deploy pipeline (`POST /v1/markers`, with the admin key: see the
gate in app.py), drawn on the dashboard's charts."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from services import markers

from recovery import clock
from recovery.observability import logger
from recovery.web import http, requests

router = Router()


@router.post("/v1/markers")
def record_marker() -> Response[str]:
    marker = markers.record(requests.json_body(router.current_event), clock.now())
    logger.info("marker recorded", extra={"component": marker["component"], "version": marker["version"]})
    return http.json_response(201, marker)
