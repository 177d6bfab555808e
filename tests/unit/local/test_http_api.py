import base64
import json
from datetime import UTC, datetime

import pytest

from local.http_api import HttpRequest, Router, build_event, is_text, translate_result
from local.template import RouteDef

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ROUTES = [
    RouteDef("ANY", "$default", "Fallback"),
    RouteDef("ANY", "/v1/{proxy+}", "Greedy"),
    RouteDef("GET", "/v1/cases/{case_id}", "GetCase"),
    RouteDef("ANY", "/v1/cases/{case_id}", "AnyCase"),
    RouteDef("GET", "/v1/cases/open", "OpenCases"),
    RouteDef("POST", "/v1/hooks/{source_id}", "Hooks"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "parameters"),
    [
        ("GET", "/v1/cases/open", "OpenCases", {}),  # literal beats {param}
        ("GET", "/v1/cases/C-1", "GetCase", {"case_id": "C-1"}),  # method beats ANY
        ("DELETE", "/v1/cases/C-1", "AnyCase", {"case_id": "C-1"}),
        ("GET", "/v1/cases/C-1/ack", "Greedy", {"proxy": "cases/C-1/ack"}),  # {proxy+} last
        ("POST", "/v1/hooks/demo%20web", "Hooks", {"source_id": "demo web"}),  # decoded
        ("GET", "/elsewhere", "Fallback", {}),  # $default catches the rest
    ],
)
def test_most_specific_route_wins(method: str, path: str, function: str, parameters: dict[str, str]) -> None:
    matched = Router(ROUTES).match(method, path)
    assert matched is not None
    route, found = matched
    assert (route.function, found) == (function, parameters)


def test_no_route_without_default() -> None:
    router = Router([RouteDef("POST", "/v1/feedback", "Ingest")])
    assert router.match("GET", "/v1/feedback") is None
    assert router.match("POST", "/v1/feedbacks") is None
    assert router.match("POST", "/v1/feedback") is not None


def test_a_trailing_slash_routes_as_without_it() -> None:
    # API Gateway routes `/console/` to the route `/console` (a route path can't end in a slash)
    router = Router([RouteDef("GET", "/console", "Console"), RouteDef("GET", "/console/{proxy+}", "Files")])
    found = router.match("GET", "/console/")
    assert found is not None and found[0].function == "Console"
    found = router.match("GET", "/console/app.js")
    assert found is not None and found[1] == {"proxy": "app.js"}
    assert router.match("GET", "/") is None


def request(body: bytes = b"", content_type: str | None = None, query: str = "") -> HttpRequest:
    headers = [("Host", "127.0.0.1:3000"), ("User-Agent", "test"), ("X-Multi", "a,b"), ("Cookie", "a=1; b=2")]
    if content_type:
        headers.append(("Content-Type", content_type))
    return HttpRequest("POST", "/v1/hooks/demo", query, tuple(headers), body, "127.0.0.1")


def test_event_has_the_payload_2_0_shape() -> None:
    route = RouteDef("POST", "/v1/hooks/{source_id}", "Hooks")
    event = build_event(
        request(b'{"a": 1}', "application/json", "x=1&x=2&y="),
        route,
        {"source_id": "demo"},
        request_id="r",
        now=NOW,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/hooks/{source_id}"
    assert event["rawPath"] == "/v1/hooks/demo" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["headers"]["x-multi"] == "a,b" and "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-proto"] == "http" and event["headers"]["x-forwarded-port"] == "3000"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["pathParameters"] == {"source_id": "demo"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/v1/hooks/demo",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "test",
    }
    assert context["stage"] == "$default" and context["routeKey"] == event["routeKey"]
    assert context["time"] == "22/Nov/2026:10:00:00 +0000" and context["timeEpoch"] == int(
        NOW.timestamp() * 1000
    )


def test_event_without_body_query_or_parameters_leaves_them_out() -> None:
    empty = HttpRequest("GET", "/v1/health", "", (("Host", "h"),), b"", "127.0.0.1")
    event = build_event(empty, RouteDef("GET", "/v1/health", "F"), {}, request_id="r", now=NOW)
    assert "body" not in event and "queryStringParameters" not in event and "pathParameters" not in event
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("content_type", "body", "encoded"),
    [
        ("application/json; charset=utf-8", "ø".encode(), False),
        ("text/plain", b"hi", False),
        ("application/vnd.api+json", b"{}", False),
        ("application/x-www-form-urlencoded", b"a=1", True),
        ("multipart/form-data; boundary=x", b"--x", True),
        (None, b"raw", True),
        ("text/plain", b"\xff\xfe", True),  # not UTF-8
    ],
)
def test_non_text_bodies_are_base64(content_type: str | None, body: bytes, encoded: bool) -> None:
    event = build_event(request(body, content_type), RouteDef("POST", "/x", "F"), {}, request_id="r", now=NOW)
    assert event["isBase64Encoded"] is encoded
    decoded = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert decoded == body


def test_is_text() -> None:
    assert is_text("text/html") and is_text("application/problem+json")
    assert not is_text("image/png") and not is_text(None)


def test_result_with_status_code_headers_cookies_and_base64() -> None:
    response = translate_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-Flag": True},
            "multiValueHeaders": {"X-Many": ["1", "2"]},
            "cookies": ["a=1; Secure", "b=2"],
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        },
        "req-1",
    )
    assert response.status == 201 and response.body == b"\x00\x01"
    headers = list(response.headers)
    assert ("apigw-requestid", "req-1") in headers and ("X-Flag", "true") in headers
    assert ("X-Many", "1") in headers and ("X-Many", "2") in headers
    assert [value for name, value in headers if name == "set-cookie"] == ["a=1; Secure", "b=2"]


def test_results_without_status_code_become_200_json() -> None:
    as_dict = translate_result({"ok": True}, "r")
    assert (as_dict.status, json.loads(as_dict.body)) == (200, {"ok": True})
    assert ("content-type", "application/json") in as_dict.headers
    assert translate_result("Hello", "r").body == b"Hello"


def test_malformed_results_become_500() -> None:
    response = translate_result({"statusCode": "abc"}, "r")
    assert response.status == 500 and json.loads(response.body) == {"message": "Internal Server Error"}
    assert translate_result({"statusCode": 200, "body": "%%%", "isBase64Encoded": True}, "r").status == 500
