"""HTTP helpers shared by API functions: problem documents (RFC 9457) and the request gate.

The gate runs before Powertools routes and validates the body, so that a request that is too large, of
the wrong content type, or unauthenticated is refused before its body is even parsed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

PROBLEM = "application/problem+json"
MAX_BODY = 256 * 1024
_UNION_TAGS = frozenset({"nps", "csat", "stars", "ces", "thumbs", "custom"})


class Refused(Exception):
    """A request refused before routing; carries its problem document."""

    def __init__(
        self, status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})


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


def answers(
    model: type[BaseModel], success: Mapping[int, str], refusals: Mapping[int, str]
) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: successes carry `model`, refusals a problem document."""
    documented: dict[int, OpenAPIResponse] = {
        code: {"description": text, "content": {"application/json": {"model": model}}}
        for code, text in success.items()
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


def body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8"))


def lower_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Header names lower-cased (API Gateway v2 does it already; other callers may not)."""
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def require_json(event: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
    """400 for an empty body, 413 over 256 KiB, 415 unless the body is declared JSON."""
    size = body_size(event)
    if size == 0:
        raise Refused(400, "Malformed JSON", "the body is empty")
    if size > MAX_BODY:
        raise Refused(413, "Payload too large", f"the body is larger than {MAX_BODY // 1024} KiB")
    media_type = (headers or lower_headers(event)).get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise Refused(415, "Unsupported media type", "send the body as application/json")


def decoded_body(event: Mapping[str, Any]) -> str:
    body = event.get("body") or ""
    return base64.b64decode(body).decode("utf-8", "replace") if event.get("isBase64Encoded") else body


def pointer(location: Iterable[Any]) -> str:
    """A pydantic error location as a JSON Pointer into the request body: ("body","score","nps","value")
    -> "/score/value". Discriminator tags that pydantic inserts are dropped."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    kept: list[str] = []
    for index, part in enumerate(parts):
        if part in _UNION_TAGS and index > 0 and parts[index - 1] == "score":
            continue
        kept.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(kept) if kept else ""


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> tuple[bool, list[dict[str, str]]]:
    """(malformed JSON?, [{"pointer", "detail"}]) from Powertools' RequestValidationError.errors()."""
    malformed = False
    listed: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        if error.get("type") == "json_invalid":
            malformed = True
            continue
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        entry = (pointer(error.get("loc", ())), message)
        if entry not in seen:
            seen.add(entry)
            listed.append({"pointer": entry[0], "detail": entry[1]})
    return malformed, listed
