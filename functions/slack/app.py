"""POST /v1/slack/interactions: a lead presses Acknowledge or Take it on a Slack alert.

Slack signs the request instead of a JWT: an unsigned, forged or stale one is answered 401 and changes
nothing. Then the form's `payload` (JSON) is read and checked (400 naming what is wrong); a payload other
than `block_actions` is answered 200 and ignored. A press by someone who is not a contact of the case's
team is answered 200 with a message only they see. Otherwise the case is acknowledged or assigned at
once, the pressed message is replaced through its `response_url`, and Slack gets an empty 200: all
within Slack's 3 seconds.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.observability import logger, metrics
from recovery.services.slack_interactions import BlockActions, Unverified
from recovery.settings import Settings
from recovery.web import errors, http, requests
from recovery.wiring.slack_interactions import build_slack_interactions

slack = build_slack_interactions(Settings.from_env())
app = APIGatewayHttpResolver()
errors.register(app)
MAX_BODY = 64 * 1024  # a block_actions payload with a whole message is a few KiB


@app.post(
    "/v1/slack/interactions",
    summary="Slack interactivity: a lead's Acknowledge or Take it press on an alert",
)
def interactions() -> Response[str]:
    raw_event = app.current_event.raw_event
    if requests.body_size(raw_event) > MAX_BODY:
        raise http.Problem(413, "Payload too large", f"the body is larger than {MAX_BODY // 1024} KiB")
    raw = requests.body_text(raw_event).encode("utf-8")
    try:
        slack.verify(raw, requests.lower_headers(raw_event), clock.now)
    except Unverified as refused:
        metrics.add_metric(name="SlackUnverified", unit=MetricUnit.Count, value=1)
        return http.problem(401, "Unauthorized", str(refused))
    fields = requests.form_fields(raw_event, {"payload"}, most=10, max_size=MAX_BODY)
    if fields is None or "payload" not in fields:
        raise http.invalid("/payload", "send the interaction as the form field payload", "body")
    document = requests.parse_json(fields["payload"])
    if not isinstance(document, dict):
        raise http.invalid("/payload", "the payload is not a JSON object", "body")
    if document.get("type") != "block_actions":
        return Response(200, "text/plain", "")  # shortcuts, view submissions...: nothing of ours
    interaction = requests.validated(BlockActions, document, lambda at: "/payload" + at)
    answer = slack.press(interaction, clock.now())
    metrics.add_metric(name=f"Slack{answer.outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    logger.info("slack press", extra={"outcome": answer.outcome, "case_id": answer.case_id, "by": answer.by})
    if answer.body is None:
        return Response(200, "text/plain", "")
    return http.json_response(200, answer.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
