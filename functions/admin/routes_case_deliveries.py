"""The messages a case's alerts sent to leads (`GET /v1/admin/cases/{case_id}/deliveries`), recipients
masked: the smoke test follows a case here."""

from __future__ import annotations

from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from services import case_deliveries

from recovery.web import http

router = Router()


@router.get("/v1/admin/cases/<case_id>/deliveries")
def deliveries_of_case(case_id: str) -> Response[str]:
    return http.json_response(200, case_deliveries.of_case(unquote(case_id)), no_store=False)
