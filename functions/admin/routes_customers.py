"""A customer's data, exported or erased (`/v1/admin/customers/{customer_id}?by=id|email|phone`)."""

from __future__ import annotations

from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from services import privacy

from recovery import clock
from recovery.observability import logger, metrics
from recovery.services.privacy import identify
from recovery.web import http, requests

router = Router()


@router.get("/v1/admin/customers/<customer_id>")
def export_customer(customer_id: str) -> Response[str]:
    lookup = identify(unquote(customer_id), requests.Query(router.current_event).get("by"))
    document = privacy.export(lookup)
    metrics.add_metric(name="CustomersExported", unit=MetricUnit.Count, value=1)
    logger.info("customer exported", extra={"customer_key": document["customer_key"]})
    return http.json_response(200, document, ascii_only=False)


@router.delete("/v1/admin/customers/<customer_id>")
def erase_customer(customer_id: str) -> Response[str]:
    lookup = identify(unquote(customer_id), requests.Query(router.current_event).get("by"))
    erasure = privacy.erase(lookup, clock.now())
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1)
    return http.json_response(200, erasure.as_json(), no_store=False)
