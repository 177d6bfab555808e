"""The cases API for leads (JWT): sign-in, the queue, a case, and every change to it; the sources'
delivery logs for admins; plus the compensation approval page (`/c/{code}`) that a level-2 contact
opens from their message. One Router per resource group, in the files beside this one."""

from __future__ import annotations

from typing import Any

import routes_approvals
import routes_cases
import routes_session
import routes_sources
import services
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.observability import logger, metrics
from recovery.web import errors

cases = services.cases  # reached from outside as the handler module's (tests swap its senders)
app = APIGatewayHttpResolver()
for routes in (routes_session, routes_cases, routes_sources, routes_approvals):
    app.include_router(routes.router)
errors.register(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
