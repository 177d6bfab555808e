"""Survey-tool sources (`/v1/admin/sources`): add, list, rotate a secret or key, dry-run a payload
through the connector (maps and classifies, writes nothing), read the delivery log, and replay a refused
delivery from its kept bytes."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError
from services import connectors, hooks, source_admin

from recovery.observability import metrics
from recovery.services.inbound_hooks import BadSourceRequest, Delivery, Rotation
from recovery.sources.fetch import FetchInputError
from recovery.sources.mapping import MappingError
from recovery.web import http, requests

router = Router()


@router.get("/v1/admin/sources")
def list_sources() -> Response[str]:
    return http.json_response(200, {"items": source_admin.listing()}, no_store=False)


@router.get("/v1/admin/sources/<source_id>")
def get_source(source_id: str) -> Response[str]:
    """A source's stored configuration and hook URL (never its secret or key), e.g. for a client that
    signs a test delivery with the source's scheme."""
    return http.json_response(200, source_admin.describe(source_id), no_store=False, ascii_only=False)


@router.post("/v1/admin/sources")
def add_source() -> Response[str]:
    answer = source_admin.add(_source_request())
    metrics.add_metric(name="SourcesAdded", unit=MetricUnit.Count, value=1)
    return http.json_response(201, answer)


@router.post("/v1/admin/sources/<source_id>/rotate")
def rotate_source(source_id: str) -> Response[str]:
    try:
        rotation = Rotation.model_validate(_source_request())
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        return http.problem(400, "Invalid rotation", f"{where}: {first['msg']}")
    return http.json_response(200, source_admin.rotate(source_id, rotation))


@router.post("/v1/admin/sources/<source_id>/dry-run")
def dry_run_source(source_id: str) -> Response[str]:
    document = _source_request()
    if "stored" in document:
        stored = document["stored"]
        if not isinstance(stored, str) or set(document) - {"stored"}:
            return http.problem(400, "Invalid dry run", "stored: a delivery entry id, and nothing else")
        return _dry_run(source_id, hooks.kept_delivery(source_id, stored))
    body, headers = document.get("body"), document.get("headers") or {}
    if not isinstance(body, str) or not isinstance(headers, dict):
        return http.problem(400, "Invalid dry run", "body: the raw text of a delivery; headers: an object")
    names = {str(name).lower(): str(value) for name, value in headers.items()}
    if isinstance(document.get("content_type"), str):
        names["content-type"] = document["content_type"]
    raw = body.encode("utf-8")
    if document.get("base64") is True:
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError:
            return http.problem(400, "Invalid dry run", "body: not valid base64")
    query = document.get("query") if isinstance(document.get("query"), dict) else {}
    delivery = Delivery(raw=raw, headers=names, query={str(k): str(v) for k, v in (query or {}).items()})
    return _dry_run(source_id, delivery)


def _dry_run(source_id: str, delivery: Delivery) -> Response[str]:
    try:
        result = connectors.dry_run(source_id, delivery)
    except (MappingError, FetchInputError) as error:
        refused = {"error": {"pointer": error.pointer, "reason": error.reason}}
        return http.json_response(200, refused, no_store=False)
    return http.json_response(200, result, no_store=False, ascii_only=False)


@router.get("/v1/admin/sources/<source_id>/deliveries")
def source_deliveries(source_id: str) -> Response[str]:
    query = requests.Query(router.current_event)
    page = source_admin.deliveries(source_id, query.limit(50), query.get("cursor"))
    document = {"items": [entry.as_json() for entry in page.entries], "cursor": page.cursor}
    return http.json_response(200, document, no_store=False)


@router.post("/v1/admin/sources/<source_id>/deliveries/<entry>/replay")
def replay_delivery(source_id: str, entry: str) -> Response[str]:
    """Take in a refused delivery again from its kept bytes; 200 with what happened this time. The body
    is an empty JSON object (every admin write sends JSON)."""
    if _source_request():
        return http.problem(400, "Invalid replay", "the body is an empty object: {}")
    replayed = hooks.replay(source_id, entry)
    metrics.add_metric(name="HookReplayed", unit=MetricUnit.Count, value=1)
    return http.json_response(200, replayed.as_json())


def _source_request() -> dict[str, Any]:
    """The body of a source request: a JSON object."""
    try:
        document = requests.json_body(router.current_event)
    except http.Problem as problem:
        raise BadSourceRequest(problem.detail) from None
    if not isinstance(document, dict):
        raise BadSourceRequest("the body must be a JSON object")
    return document
