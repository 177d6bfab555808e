"""Admin API, with the admin key: teams and routing, read and replaced whole (`/v1/admin/alerting`); a
customer's data, exported or erased (`/v1/admin/customers/{customer_id}?by=id|email|phone`); survey-tool
sources: add, list, rotate a secret or key, dry-run a payload, read the delivery log (`/v1/admin/sources`);
outbound webhook endpoints, read (secrets as fingerprints) and replaced whole (`/v1/admin/outbound`)."""

from __future__ import annotations

import base64
import functools
import json
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from recovery import clock
from recovery.domain import keys
from recovery.domain.identity import PiiHasher
from recovery.domain.routing import ConfigError, parse_config
from recovery.errors import Conflict, TransientFailure
from recovery.observability import logger, metrics
from recovery.services.case_deliveries import BadCaseId, CaseDeliveries, CaseNotFound
from recovery.services.inbound_hooks import (
    BadSourceRequest,
    Connectors,
    Delivery,
    Rotation,
    SourceAdmin,
    UnknownSource,
)
from recovery.services.outbound_webhooks import OutboundConfigError, parse_outbound, public_view, with_secrets
from recovery.services.privacy import BadLookup, CustomerNotFound, Privacy, identify
from recovery.settings import Settings, public_base_url
from recovery.sources.fetch import FetchInputError
from recovery.sources.mapping import MappingError
from recovery.store import models, secrets
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import CaseDeliveryStore, ConfigStore, StaleConfig
from recovery.store.hook_log import BadCursor, HookLog
from recovery.store.outbound import OutboundStore
from recovery.store.privacy import PrivacyStore
from recovery.store.sources import SourceStore
from recovery.web import http

settings = Settings.from_env()
models.bind(settings.table_name, settings.region)
admin_keys = AdminKeyStore()
config_store = ConfigStore()
privacy = Privacy(PrivacyStore(), hasher=lambda: PiiHasher(secrets.secret_bytes(settings.pii_key_secret_arn)))
source_admin = SourceAdmin(SourceStore(), HookLog(), public_base_url())
connectors = Connectors(SourceStore())  # the dry run: maps and classifies, writes nothing
outbound_store = OutboundStore()


@functools.cache
def _hasher() -> PiiHasher:
    """The PII key, read on first use and kept for the container's life (one read per cold start)."""
    return PiiHasher(secrets.secret_bytes(settings.pii_key_secret_arn))


def _address_hash(address: str) -> str:
    return _hasher().digest("address", address.lower())


def _current_config() -> Any:
    found = config_store.get()
    return found[0] if found else None


case_deliveries = CaseDeliveries(CaseDeliveryStore(), _current_config, _address_hash)
app = APIGatewayHttpResolver()


@app.get("/v1/admin/alerting")
def get_alerting() -> Response[str]:
    found = config_store.get()
    if found is None:
        return http.problem(404, "Not found", "no teams and routing are configured yet")
    config, version = found
    return Response(200, "application/json", config.model_dump_json(), headers={"ETag": f'"{version}"'})


@app.put("/v1/admin/alerting")
def put_alerting() -> Response[str]:
    try:
        document = json.loads(app.current_event.decoded_body or "")
    except json.JSONDecodeError:
        return http.problem(400, "Malformed JSON", "the body is not valid JSON")
    try:
        config = parse_config(document)
    except ConfigError as error:
        # Nothing is written: the configuration in force stays as it was.
        return http.problem(400, "Invalid configuration", str(error))
    expected = _if_match(app.current_event.headers.get("if-match"))
    try:
        version = config_store.put(config, clock.now(), by="admin", expected_version=expected)
    except StaleConfig as error:
        return http.problem(412, "Precondition failed", str(error))
    logger.info("alerting configuration replaced", extra={"version": version, "teams": len(config.teams)})
    return Response(200, "application/json", config.model_dump_json(), headers={"ETag": f'"{version}"'})


@app.get("/v1/admin/outbound")
def get_outbound() -> Response[str]:
    found = outbound_store.versioned()
    if found is None:
        return Response(200, "application/json", json.dumps({"endpoints": []}))
    document, version = found
    view = public_view(parse_outbound(document))
    return Response(200, "application/json", json.dumps(view), headers={"ETag": f'"{version}"'})


@app.put("/v1/admin/outbound")
def put_outbound() -> Response[str]:
    try:
        submitted = json.loads(app.current_event.decoded_body or "")
    except json.JSONDecodeError:
        return http.problem(400, "Malformed JSON", "the body is not valid JSON")
    found = outbound_store.versioned()
    document, generated = with_secrets(submitted, parse_outbound(found[0]) if found else None)
    try:
        config = parse_outbound(document)
    except OutboundConfigError as error:
        # Nothing is written: the endpoints in force stay as they were.
        return http.problem(400, "Invalid configuration", str(error))
    expected = _if_match(app.current_event.headers.get("if-match"))
    try:
        version = outbound_store.put_document(
            config.model_dump(mode="json"), clock.now(), by="admin", expected_version=expected
        )
    except StaleConfig as error:
        return http.problem(412, "Precondition failed", str(error))
    logger.info("outbound endpoints replaced", extra={"version": version, "endpoints": len(config.endpoints)})
    view = public_view(config)
    if generated:
        view["generated_secrets"] = generated  # shown this once; give each to its receiver
    headers = {"ETag": f'"{version}"', "Cache-Control": "no-store"}
    return Response(200, "application/json", json.dumps(view), headers=headers)


@app.get("/v1/admin/customers/<customer_id>")
def export_customer(customer_id: str) -> Response[str]:
    lookup = identify(unquote(customer_id), app.current_event.get_query_string_value("by"))
    document = privacy.export(lookup)
    metrics.add_metric(name="CustomersExported", unit=MetricUnit.Count, value=1)
    logger.info("customer exported", extra={"customer_key": document["customer_key"]})
    return Response(
        200,
        "application/json",
        json.dumps(document, ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


@app.delete("/v1/admin/customers/<customer_id>")
def erase_customer(customer_id: str) -> Response[str]:
    lookup = identify(unquote(customer_id), app.current_event.get_query_string_value("by"))
    erasure = privacy.erase(lookup, clock.now())
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1)
    return Response(200, "application/json", json.dumps(erasure.as_json()))


@app.get("/v1/admin/sources")
def list_sources() -> Response[str]:
    return Response(200, "application/json", json.dumps({"items": source_admin.listing()}))


@app.post("/v1/admin/sources")
def add_source() -> Response[str]:
    document = _json_object()
    answer = source_admin.add(document)
    metrics.add_metric(name="SourcesAdded", unit=MetricUnit.Count, value=1)
    return Response(201, "application/json", json.dumps(answer), headers={"Cache-Control": "no-store"})


@app.post("/v1/admin/sources/<source_id>/rotate")
def rotate_source(source_id: str) -> Response[str]:
    try:
        rotation = Rotation.model_validate(_json_object())
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        return http.problem(400, "Invalid rotation", f"{where}: {first['msg']}")
    answer = source_admin.rotate(source_id, rotation)
    return Response(200, "application/json", json.dumps(answer), headers={"Cache-Control": "no-store"})


@app.post("/v1/admin/sources/<source_id>/dry-run")
def dry_run_source(source_id: str) -> Response[str]:
    document = _json_object()
    if "stored" in document:
        return http.problem(400, "Not available", "delivery bodies are not kept; paste the body instead")
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
    delivery = Delivery(raw=raw, headers=names, query={str(k): str(v) for k, v in query.items()})
    try:
        result = connectors.dry_run(source_id, delivery)
    except (MappingError, FetchInputError) as error:
        return Response(
            200, "application/json", json.dumps({"error": {"pointer": error.pointer, "reason": error.reason}})
        )
    return Response(200, "application/json", json.dumps(result, ensure_ascii=False))


@app.get("/v1/admin/sources/<source_id>/deliveries")
def source_deliveries(source_id: str) -> Response[str]:
    limit_text = app.current_event.get_query_string_value("limit") or "50"
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        return http.problem(400, "Invalid limit", "limit: a whole number from 1 to 100")
    cursor = app.current_event.get_query_string_value("cursor")
    page = source_admin.deliveries(source_id, int(limit_text), cursor)
    document = {"items": [entry.as_json() for entry in page.entries], "cursor": page.cursor}
    return Response(200, "application/json", json.dumps(document))


@app.get("/v1/admin/cases/<case_id>/deliveries")
def deliveries_of_case(case_id: str) -> Response[str]:
    """The case's alert messages to leads, recipients masked (the smoke test follows a case here)."""
    return Response(200, "application/json", json.dumps(case_deliveries.of_case(unquote(case_id))))


def _json_object() -> dict[str, Any]:
    try:
        document = json.loads(app.current_event.decoded_body or "")
    except json.JSONDecodeError as error:
        raise BadSourceRequest("the body is not valid JSON") from error
    if not isinstance(document, dict):
        raise BadSourceRequest("the body must be a JSON object")
    return document


def _if_match(header: str | None) -> int | None:
    value = (header or "").strip().strip('"')
    return int(value) if value.isdigit() else None


@app.exception_handler(BadLookup)
def bad_lookup(error: BadLookup) -> Response[str]:
    return http.problem(400, "Bad customer reference", str(error))


@app.exception_handler(BadSourceRequest)
def bad_source_request(error: BadSourceRequest) -> Response[str]:
    return http.problem(400, "Invalid source request", str(error))


@app.exception_handler(BadCursor)
def bad_cursor(error: BadCursor) -> Response[str]:
    return http.problem(400, "Invalid cursor", str(error))


@app.exception_handler(BadCaseId)
def bad_case_id(error: BadCaseId) -> Response[str]:
    return http.problem(400, "Invalid case id", str(error))


@app.exception_handler(CaseNotFound)
def unknown_case(error: CaseNotFound) -> Response[str]:
    return http.problem(404, "Not found", str(error))


@app.exception_handler(UnknownSource)
def unknown_source(error: UnknownSource) -> Response[str]:
    return http.problem(404, "Not found", f"no source {error.args[0]!r}")


@app.exception_handler(CustomerNotFound)
def unknown_customer(error: CustomerNotFound) -> Response[str]:
    return http.problem(404, "Not found", str(error))


@app.exception_handler(Conflict)
def conflict(error: Conflict) -> Response[str]:
    return http.problem(409, "Conflict", str(error))


@app.exception_handler(TransientFailure)
def transient(error: TransientFailure) -> Response[str]:
    return http.problem(
        503, "Service unavailable", "a storage call failed; retry", headers={"Retry-After": "2"}
    )


def _gate(event: dict[str, Any]) -> None:
    headers = http.lower_headers(event)
    if str(event.get("routeKey", "")).startswith(("PUT ", "POST ")):
        http.require_json(event, headers)
    key = keys.bearer(headers.get("authorization"))
    if key is None or not keys.matches(key, admin_keys.hashes()):
        raise http.Refused(
            401, "Unauthorized", "missing or unknown admin key", {"WWW-Authenticate": "Bearer"}
        )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        _gate(event)
    except http.Refused as refused:
        return http.as_event_response(
            http.problem(refused.status, refused.title, refused.detail, headers=refused.headers)
        )
    return app.resolve(event, context)
