"""GET /u/{code}: a confirm page in the customer's language that changes nothing;
POST /u/{code}: the customer opts out of email and SMS (the page's form, or RFC 8058 one-click)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.domain.links import Verdict
from recovery.domain.records import Customer
from recovery.notify.customer import customer_strings
from recovery.notify.render import language_of
from recovery.observability import logger, metrics
from recovery.settings import Settings
from recovery.web.languages import preferred_language
from recovery.web.pages import page
from recovery.wiring.unsubscribe import build_unsubscribes

unsubscribes = build_unsubscribes(Settings.from_env())
app = APIGatewayHttpResolver()


def _language(customer: Customer | None) -> str:
    if customer is not None and customer.locale:
        return language_of(customer.locale)
    return preferred_language(app.current_event.headers.get("accept-language"))


def _page(status: int, state: str, customer: Customer | None) -> Response[str]:
    language = _language(customer)
    return page(status, "unsubscribe.html", lang=language, t=customer_strings(language), state=state)


def _refused(verdict: Verdict, customer: Customer | None) -> Response[str]:
    state = "expired" if verdict in (Verdict.EXPIRED, Verdict.USED) else "unknown"
    return _page(verdict.http_status, state, customer)


@app.get("/u/<code>")
def confirm(code: str) -> Response[str]:
    verdict, customer = unsubscribes.inspect(code, clock.now())
    if verdict is not Verdict.OK:
        return _refused(verdict, customer)
    return _page(200, "confirm", customer)


@app.post("/u/<code>")
def unsubscribe(code: str) -> Response[str]:
    # The body is the form's or RFC 8058's `List-Unsubscribe=One-Click`; the code alone decides.
    verdict, customer = unsubscribes.unsubscribe(code, clock.now())
    if verdict is not Verdict.OK:
        return _refused(verdict, customer)
    metrics.add_metric(name="CustomerUnsubscribed", unit=MetricUnit.Count, value=1)
    logger.info("customer unsubscribed", extra={"known_customer": customer is not None})
    return _page(200, "done", customer)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
