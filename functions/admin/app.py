"""Admin API, with the admin key: teams and routing, read and replaced whole (`/v1/admin/alerting`); a
customer's data, exported or erased (`/v1/admin/customers/{customer_id}?by=id|email|phone`); survey-tool
sources: add, list, rotate a secret or key, dry-run a payload, read the delivery log (`/v1/admin/sources`);
outbound webhook endpoints, read (secrets as fingerprints) and replaced whole (`/v1/admin/outbound`); a
case's alert deliveries. One Router per resource group, in the files beside this one."""

from __future__ import annotations

from typing import Any

import routes_case_deliveries
import routes_configuration
import routes_customers
import routes_sources
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from services import admin_keys

from recovery.observability import logger, metrics
from recovery.web import auth, errors, requests

app = APIGatewayHttpResolver()
for routes in (routes_configuration, routes_customers, routes_sources, routes_case_deliveries):
    app.include_router(routes.router)
errors.register(app)


def _gate(event: dict[str, Any]) -> None:
    """Every request presents the admin key; a write's body must be JSON, refused before it is read."""
    headers = requests.lower_headers(event)
    if str(event.get("routeKey", "")).startswith(("PUT ", "POST ")):
        requests.require_json(event, headers)
    auth.require_admin_key(headers, admin_keys.hashes)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return errors.before_routing(event, _gate) or app.resolve(event, context)
