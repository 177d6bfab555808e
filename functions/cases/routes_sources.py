"""The survey-tool sources and their delivery logs, for admins in the console (`GET /v1/sources`,
`GET /v1/sources/{source_id}/deliveries`). Never a secret or a key hash."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from services import cases, source_admin

from recovery.services.cases import Forbidden
from recovery.web import auth, http, requests

router = Router()


@router.get("/v1/sources")
def list_sources() -> Response[str]:
    """The sources and their hook URLs, for the console's delivery log. Never a secret or key hash."""
    _admin()
    return http.json_response(200, {"items": source_admin.listing()})


@router.get("/v1/sources/<source_id>/deliveries")
def source_deliveries(source_id: str) -> Response[str]:
    """A source's delivery log, newest first; `cursor` from the previous page reads older entries."""
    _admin()
    query = requests.Query(router.current_event)
    found = source_admin.deliveries(source_id, query.limit(50), query.get("cursor"))
    return http.json_response(
        200, {"items": [entry.as_json() for entry in found.entries], "cursor": found.cursor}
    )


def _admin() -> None:
    if not cases.lead(auth.claims(router.current_event)).admin:
        raise Forbidden("only admins read sources and their delivery logs")
