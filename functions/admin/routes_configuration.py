"""Teams and routing (`/v1/admin/alerting`) and outbound webhook endpoints (`/v1/admin/outbound`), each
read and replaced whole. A write names the version it replaces with If-Match (optional); a document that
fails validation writes nothing, and the one in force stays."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from services import config_store, outbound_store

from recovery import clock
from recovery.domain.routing import ConfigError, parse_config
from recovery.observability import logger
from recovery.services.outbound_webhooks import OutboundConfigError, parse_outbound, public_view, with_secrets
from recovery.web import http, requests

router = Router()


@router.get("/v1/admin/alerting")
def get_alerting() -> Response[str]:
    found = config_store.get()
    if found is None:
        return http.problem(404, "Not found", "no teams and routing are configured yet")
    config, version = found
    return http.json_response(200, config, etag=version, no_store=False)


@router.put("/v1/admin/alerting")
def put_alerting() -> Response[str]:
    document = requests.json_body(router.current_event)
    try:
        config = parse_config(document)
    except ConfigError as error:
        return http.problem(400, "Invalid configuration", str(error))
    expected = requests.if_match(router.current_event)
    version = config_store.put(config, clock.now(), by="admin", expected_version=expected)
    logger.info("alerting configuration replaced", extra={"version": version, "teams": len(config.teams)})
    return http.json_response(200, config, etag=version, no_store=False)


@router.get("/v1/admin/outbound")
def get_outbound() -> Response[str]:
    found = outbound_store.versioned()
    if found is None:
        return http.json_response(200, {"endpoints": []}, no_store=False)
    document, version = found
    return http.json_response(200, public_view(parse_outbound(document)), etag=version, no_store=False)


@router.put("/v1/admin/outbound")
def put_outbound() -> Response[str]:
    submitted = requests.json_body(router.current_event)
    found = outbound_store.versioned()
    document, generated = with_secrets(submitted, parse_outbound(found[0]) if found else None)
    try:
        config = parse_outbound(document)
    except OutboundConfigError as error:
        return http.problem(400, "Invalid configuration", str(error))
    expected = requests.if_match(router.current_event)
    version = outbound_store.put_document(
        config.model_dump(mode="json"), clock.now(), by="admin", expected_version=expected
    )
    logger.info("outbound endpoints replaced", extra={"version": version, "endpoints": len(config.endpoints)})
    view = public_view(config)
    if generated:
        view["generated_secrets"] = generated  # shown this once; give each to its receiver
    return http.json_response(200, view, etag=version)
