"""API Gateway HTTP API (payload format 2.0): routing, the request event and the response mapping.

The rules follow API Gateway: the most specific route wins (literal segments over `{param}` over
`{proxy+}`, a method over ANY, `$default` last); header names are lower-cased and repeated headers
comma-joined; a body that is not text (by content type) arrives base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from local.refs import ACCOUNT_ID
from local.template import RouteDef

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit

_TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/yaml")
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str  # as received, still percent-encoded
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Unauthorized(Exception):
    """The route's authorizer refused the request (401)."""


class Forbidden(Exception):
    """The token is valid but lacks a scope the route needs (403)."""


class Authorizer(Protocol):
    def __call__(self, route: RouteDef, event: dict[str, Any]) -> dict[str, Any] | None:
        """Check the request; answer `requestContext.authorizer`, or raise Unauthorized/Forbidden."""
        ...


class Router:
    def __init__(self, routes: list[RouteDef]) -> None:
        self._routes = sorted(routes, key=_specificity)

    def match(self, method: str, raw_path: str) -> tuple[RouteDef, dict[str, str]] | None:
        found = self._match(method, raw_path)
        if found is None and len(raw_path) > 1 and raw_path.endswith("/"):
            # API Gateway routes `/console/` as `/console` (a route can't end in a slash); rawPath keeps it.
            found = self._match(method, raw_path.rstrip("/") or "/")
        return found

    def _match(self, method: str, raw_path: str) -> tuple[RouteDef, dict[str, str]] | None:
        segments = raw_path.split("/")[1:]
        for route in self._routes:
            if route.method not in (method, "ANY"):
                continue
            if route.path == "$default":
                return route, {}
            parameters = _match_path(route.path.split("/")[1:], segments)
            if parameters is not None:
                return route, parameters
        return None

    @property
    def routes(self) -> list[RouteDef]:
        return list(self._routes)


def _specificity(route: RouteDef) -> tuple[Any, ...]:
    if route.path == "$default":
        return ((9,), 1)
    kinds = []
    for segment in route.path.split("/")[1:]:
        if segment.endswith("+}"):
            kinds.append(2)
        elif segment.startswith("{"):
            kinds.append(1)
        else:
            kinds.append(0)
    return (tuple(kinds), route.method == "ANY")


def _match_path(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest or rest == [""]:
                return None
            parameters[part[1:-2]] = unquote("/".join(rest))
            return parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not segments[index]:
                return None
            parameters[part[1:-1]] = unquote(segments[index])
        elif part != unquote(segments[index]):
            return None
    return parameters if len(segments) == len(pattern) else None


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(_TEXT_SUFFIXES)


def build_event(
    request: HttpRequest,
    route: RouteDef,
    path_parameters: dict[str, str],
    *,
    request_id: str,
    now: datetime,
    api_id: str = "local",
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
    # API Gateway adds these; handlers that build absolute links read them.
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    host_port = headers.get("host", "").rpartition(":")[2]
    headers.setdefault("x-forwarded-port", host_port if host_port.isdigit() else "80")
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    host = headers.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        event["body"], event["isBase64Encoded"] = _body(request.body, headers.get("content-type"))
    return event


def _body(body: bytes, content_type: str | None) -> tuple[str, bool]:
    if is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def translate_result(result: Any, request_id: str) -> HttpResponse:
    """The handler's return value -> the HTTP response, as API Gateway maps it (format 2.0)."""
    base_headers = [("apigw-requestid", request_id)]
    if not (isinstance(result, dict) and "statusCode" in result):
        # A result without statusCode is taken as a JSON body with 200.
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, (*base_headers, ("content-type", "application/json")), text.encode("utf-8"))
    try:
        status = int(result["statusCode"])
        headers = [(str(name), _header_value(value)) for name, value in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(str(name), _header_value(value)) for value in values]
        headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or []]
        raw = result.get("body")
        content = raw if isinstance(raw, str) else ("" if raw is None else json.dumps(raw))
        encoded = bool(result.get("isBase64Encoded"))
        body = base64.b64decode(content, validate=True) if encoded else content.encode("utf-8")
    except (TypeError, ValueError, binascii.Error):
        return internal_error(request_id)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpResponse(status, (*base_headers, *headers), body)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def message(status: int, text: str, request_id: str) -> HttpResponse:
    """API Gateway's own error answers: `{"message": ...}`."""
    body = json.dumps({"message": text}).encode("utf-8")
    headers = (("apigw-requestid", request_id), ("content-type", "application/json"))
    return HttpResponse(status, headers, body)


def internal_error(request_id: str) -> HttpResponse:
    return message(500, "Internal Server Error", request_id)
