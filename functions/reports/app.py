"""Reports for leads (JWT): `GET /v1/reports/{report}` as JSON, or CSV with `Accept: text/csv`; release
markers from a deploy pipeline (`POST /v1/markers`, admin key); and the hourly anomaly check and weekly
digest (`{"job": "anomalies" | "digest"}` from the schedules). One Router per file beside this one."""

from __future__ import annotations

from typing import Any

import jobs
import routes_markers
import routes_reports
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from services import admin_keys

from recovery.observability import logger, metrics
from recovery.web import auth, errors, requests

app = APIGatewayHttpResolver()
app.include_router(routes_reports.router)
app.include_router(routes_markers.router)
errors.register(app)


def _gate(event: dict[str, Any]) -> None:
    """POST /v1/markers has no JWT: a deploy pipeline calls it with the admin key."""
    if not str(event.get("routeKey", "")).startswith("POST "):
        return
    headers = requests.lower_headers(event)
    requests.require_json(event, headers)
    auth.require_admin_key(headers, admin_keys.hashes)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "job" in event:
        return jobs.run(event["job"])
    return errors.before_routing(event, _gate) or app.resolve(event, context)
