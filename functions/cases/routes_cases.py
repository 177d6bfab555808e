"""A lead's queue (`GET /v1/cases`), a case (`GET /v1/cases/{case_id}`) and every change to one
(`POST /v1/cases/{case_id}/{operation}`, with If-Match naming the version it changes)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel
from services import cases

from recovery import clock
from recovery.domain import cases as rules
from recovery.observability import logger
from recovery.web import auth, http, requests
from recovery.web.case_views import case_document, queue_item

router = Router()

REQUESTS: dict[str, type[BaseModel]] = {
    "ack": rules.AckRequest,
    "actions": rules.ActionRequest,
    "assign": rules.AssignRequest,
    "messages": rules.MessageRequest,
    "resolve": rules.ResolveRequest,
    "reopen": rules.ReopenRequest,
}
PRIORITIES = ("P1", "P2", "P3", "P4")
ACTIONS = ("note", "contacted", "apology", "compensation")  # the kinds an action's fields sit under


@router.get("/v1/cases")
def list_cases() -> Response[str]:
    lead = cases.lead(auth.claims(router.current_event))
    query = requests.Query(router.current_event)
    status = query.choice("status", rules.STATUSES, default="open")
    priority_text = query.get("priority")
    if priority_text is not None and priority_text not in PRIORITIES:
        raise http.invalid("/priority", "priority must be P1, P2, P3 or P4")
    priority = int(priority_text[1]) if priority_text is not None else None
    limit = query.limit(25)
    found = cases.queue(lead, query.get("team"), status, priority, limit, query.get("cursor"))
    now = clock.now()
    document = {
        "team": found.team,
        "status": status,
        "items": [queue_item(row, now) for row in found.rows],
        "next_cursor": found.next_cursor,
    }
    return http.json_response(200, document)


@router.get("/v1/cases/<case_id>")
def get_case(case_id: str) -> Response[str]:
    view = cases.get(cases.lead(auth.claims(router.current_event)), case_id)
    return http.json_response(200, case_document(view, clock.now()), etag=int(view.case.version or 0))


@router.post("/v1/cases/<case_id>/<operation>")
def change_case(case_id: str, operation: str) -> Response[str]:
    lead = cases.lead(auth.claims(router.current_event))
    model = REQUESTS.get(operation)
    if model is None:
        return http.problem(404, "Not found", f"no operation {operation!r}; use {', '.join(REQUESTS)}")
    version = requests.require_if_match(router.current_event, "case")
    change = _change(
        model, requests.json_body(router.current_event, empty="{}" if operation == "ack" else None)
    )
    if isinstance(change, rules.AckRequest):
        case = cases.acknowledge(lead, case_id, version)
    elif isinstance(change, rules.ActionRequest):
        case = cases.act(lead, case_id, version, change)
    elif isinstance(change, rules.AssignRequest):
        case = cases.assign(lead, case_id, version, change)
    elif isinstance(change, rules.ResolveRequest):
        case = cases.resolve(lead, case_id, version, change)
    elif isinstance(change, rules.ReopenRequest):
        case = cases.reopen(lead, case_id, version, change)
    else:
        assert isinstance(change, rules.MessageRequest)
        result = cases.message(lead, case_id, version, change)
        updated = cases.get(lead, case_id)
        document = {"message": result, "case": case_document(updated, clock.now())}
        return http.json_response(200, document, etag=int(updated.case.version or 0))
    logger.info("case changed", extra={"case_id": case_id, "operation": operation, "actor": lead.actor})
    view = cases.get(lead, case_id)
    status = 202 if operation == "actions" and _pending(case) else 200
    return http.json_response(status, case_document(view, clock.now()), etag=int(case.version or 0))


def _change(model: type[BaseModel], document: Any) -> BaseModel:
    """The request body as its operation's model. An action is one of several kinds: its errors point
    into the body as sent, not into the union the model wraps it in."""
    if model is rules.ActionRequest:
        return requests.validated(model, {"action": document}, _action_pointer)
    return requests.validated(model, document)


def _action_pointer(pointer: str) -> str:
    parts = pointer.split("/")[2:]  # drop "", "action"
    if parts and parts[0] in ACTIONS:
        parts = parts[1:]
    return "/" + "/".join(parts)


def _pending(case: Any) -> bool:
    return bool(case.compensations) and case.compensations[-1].get("status") == "pending"
