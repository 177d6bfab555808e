"""What the API functions answer: problem documents (RFC 9457), JSON documents, and answers given before
routing. `Problem` is the exception a route or a gate raises to refuse a request with its document;
`web.errors` answers it (and every other exception it maps) on each resolver.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

PROBLEM = "application/problem+json"
JSON = "application/json"
NO_STORE = {"Cache-Control": "no-store"}


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[str]:
    document: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        document["errors"] = errors
    return Response(
        status_code=status, content_type=PROBLEM, body=json.dumps(document), headers=dict(headers or {})
    )


class Problem(Exception):
    """A request refused with a problem document (by a gate before routing, or by a route)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})

    def response(self) -> Response[str]:
        return problem(self.status, self.title, self.detail, self.errors, self.headers)


def invalid(pointer: str, detail: str, where: str = "query") -> Problem:
    """400 for one bad part of the request: `pointer` into the query (or wherever `where` says)."""
    return Problem(400, "Invalid request", detail, [{"pointer": pointer, "detail": detail, "in": where}])


def json_response(
    status: int,
    document: Any,
    *,
    etag: int | None = None,
    no_store: bool = True,
    ascii_only: bool = True,
) -> Response[str]:
    """A JSON document (a pydantic model is dumped as such), by default never cached; `etag` is the
    version a later If-Match names."""
    if isinstance(document, BaseModel):
        body = document.model_dump_json()
    else:
        body = json.dumps(document, default=str, ensure_ascii=ascii_only)
    headers = dict(NO_STORE) if no_store else {}
    if etag is not None:
        headers["ETag"] = f'"{etag}"'
    return Response(status, JSON, body, headers=headers)


def answers(
    model: type[BaseModel], success: Mapping[int, str], refusals: Mapping[int, str]
) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: successes carry `model`, refusals a problem document."""
    documented: dict[int, OpenAPIResponse] = {
        code: {"description": text, "content": {JSON: {"model": model}}} for code, text in success.items()
    }
    for code, text in refusals.items():
        documented[code] = {"description": text, "content": {PROBLEM: {"schema": {"type": "object"}}}}
    return documented


def as_event_response(response: Response[str]) -> dict[str, Any]:
    """A Response as the API Gateway v2 result dict (for answers given before routing)."""
    headers = {"Content-Type": response.headers.get("Content-Type", PROBLEM)}
    headers.update({key: str(value) for key, value in response.headers.items()})
    return {
        "statusCode": response.status_code,
        "headers": headers,
        "body": response.body,
        "isBase64Encoded": False,
    }
