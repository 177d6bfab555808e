"""Reading a request at the edge: the body, query parameters, If-Match and Accept, each refusal a
problem document that names what is wrong."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, Field

from recovery.web import http, requests


def event(
    body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    encoded: bool = False,
) -> APIGatewayProxyEventV2:
    if encoded and body is not None:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    return APIGatewayProxyEventV2(
        {
            "rawPath": "/",
            "headers": {"content-type": "application/json"} if headers is None else headers,
            "queryStringParameters": query,
            "requestContext": {"http": {"method": "POST"}},
            "body": body,
            "isBase64Encoded": encoded,
        }
    )


def refusal(call: Any) -> tuple[int, str, str, list[dict[str, str]] | None]:
    with pytest.raises(http.Problem) as refused:
        call()
    problem = refused.value
    return problem.status, problem.title, problem.detail, problem.errors


class Thing(BaseModel):
    name: str = Field(min_length=1)
    size: int


# ------------------------------------------------------------------------------------------- body
def test_a_json_body_is_read_plain_or_base64() -> None:
    assert requests.json_body(event('{"a": 1}')) == {"a": 1}
    assert requests.json_body(event('{"a": "ø"}', encoded=True)) == {"a": "ø"}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (None, 400, "the body is empty"),
        ("  \n", 400, "the body is empty"),
        ("{nope", 400, "the body is not valid JSON"),
        ('"' + "x" * (256 * 1024) + '"', 413, "the body is larger than 256 KiB"),
        ("[" * 5000 + "]" * 5000, 400, "the body is nested deeper than 32 levels"),
        (
            '{"a": ' + "9" * 5000 + "}",
            400,
            "the body is out of range: the number 999999999999…999999 (5000 characters) has more than 38"
            " digits",
        ),
        ('{"a": 1e999}', 400, "the body is out of range: the number 1e999 is not finite"),
        ('{"a": Infinity}', 400, "the body is not valid JSON: Infinity is not a number in JSON"),
        ('{"a": "\\ud800"}', 400, "the body is not valid JSON: a \\uD800-\\uDFFF escape has no pair"),
    ],
)
def test_a_body_that_is_not_json_is_refused(body: str | None, status: int, detail: str) -> None:
    got = refusal(lambda: requests.json_body(event(body)))
    assert (got[0], got[2]) == (status, detail)


def test_bytes_that_are_not_utf8_or_base64_are_refused_not_raised() -> None:
    raw = base64.b64encode(b'{"a": "\xff"}').decode("ascii")
    not_utf8 = APIGatewayProxyEventV2({**event().raw_event, "body": raw, "isBase64Encoded": True})
    assert refusal(lambda: requests.json_body(not_utf8))[:3] == (
        400,
        "Malformed body",
        "the body is not valid UTF-8 (byte 7)",
    )
    not_base64 = APIGatewayProxyEventV2({**event().raw_event, "body": "%%%", "isBase64Encoded": True})
    assert refusal(lambda: requests.json_body(not_base64))[2] == "the body is not valid base64"


def test_a_body_of_another_media_type_is_415_and_none_needs_no_type() -> None:
    assert refusal(lambda: requests.json_body(event("{}", headers={"content-type": "text/plain"})))[0] == 415
    assert refusal(lambda: requests.json_body(event("{}", headers={})))[0] == 415
    assert requests.json_body(event(None, headers={}), empty="{}") == {}
    assert requests.json_body(event("{}", headers={"content-type": "application/merge-patch+json"})) == {}


def test_a_form_that_cannot_be_the_form_is_none() -> None:
    fields = {"score", "comment"}
    assert requests.form_fields(event("score=3&x=1", headers={}).raw_event, fields, most=5) == {"score": "3"}
    assert requests.form_fields(event("score=%ff", headers={}).raw_event, fields, most=5) is None
    assert requests.form_fields(event("a=1&" * 6, headers={}).raw_event, fields, most=5) is None
    assert (
        requests.form_fields(event("score=" + "1" * 100, headers={}).raw_event, fields, most=5, max_size=50)
        is None
    )
    raw = base64.b64encode(b"score=\xff").decode("ascii")
    assert requests.form_fields({"body": raw, "isBase64Encoded": True}, fields, most=5) is None


def test_an_empty_body_may_stand_for_a_default() -> None:
    assert requests.json_body(event(None), empty="{}") == {}


def test_a_model_names_each_bad_field_by_its_pointer() -> None:
    status, title, _, listed = refusal(lambda: requests.validated(Thing, {"name": "", "size": "big"}))
    assert (status, title) == (400, "Invalid request")
    assert [item["pointer"] for item in listed or []] == ["/name", "/size"]
    assert requests.validated(Thing, {"name": "a", "size": 2}) == Thing(name="a", size=2)


def test_pointers_can_be_rewritten_into_the_body_as_sent() -> None:
    _, _, _, listed = refusal(
        lambda: requests.validated(Thing, {"name": "a"}, lambda pointer: "/outer" + pointer)
    )
    assert listed == [{"pointer": "/outer/size", "detail": "Field required"}]


@pytest.mark.parametrize(
    ("raw", "headers", "status"),
    [
        ({"body": ""}, {"content-type": "application/json"}, 400),
        ({"body": "x" * (256 * 1024 + 1)}, {"content-type": "application/json"}, 413),
        ({"body": "{}"}, {"content-type": "text/plain"}, 415),
    ],
)
def test_the_gate_refuses_before_the_body_is_parsed(
    raw: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    assert refusal(lambda: requests.require_json({**raw, "headers": headers}))[0] == status


@pytest.mark.parametrize(
    "media_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
def test_json_media_types_pass_the_gate(media_type: str) -> None:
    requests.require_json({"body": "{}", "headers": {"Content-Type": media_type}})


# ---------------------------------------------------------------------------------------- headers
@pytest.mark.parametrize(
    ("header", "version"), [('"3"', 3), ('W/"3"', 3), ("3", 3), (None, None), ("abc", None), ('"-1"', None)]
)
def test_if_match_names_a_version_or_none(header: str | None, version: int | None) -> None:
    headers = {"if-match": header} if header is not None else {}
    assert requests.if_match(event(headers=headers)) == version


def test_a_write_that_must_name_its_version() -> None:
    assert requests.require_if_match(event(headers={"If-Match": '"7"'}), "case") == 7
    assert refusal(lambda: requests.require_if_match(event(), "case"))[:2] == (428, "Precondition required")
    status, _, detail, _ = refusal(
        lambda: requests.require_if_match(event(headers={"if-match": "x"}), "case")
    )
    assert (status, detail) == (412, "If-Match is not an ETag of this case")


def test_accept_names_a_media_type_among_others() -> None:
    assert requests.accepts(event(headers={"accept": "application/json, text/csv;q=0.5"}), "text/csv")
    assert not requests.accepts(event(headers={"accept": "text/html"}), "text/csv")
    assert not requests.accepts(event(), "text/csv")


# ------------------------------------------------------------------------------------------ query
def query(**values: str) -> requests.Query:
    return requests.Query(event(query=values or None))


def test_query_parameters_within_their_range_are_read() -> None:
    found = query(status="open", hour="23", limit="100", day="2026-11-23")
    assert found.choice("status", ("open", "resolved"), default="open") == "open"
    assert found.choice("missing", ("a",)) is None and found.choice("missing", ("a",), default="a") == "a"
    assert found.whole("hour", 23) == 23 and found.whole("missing", 3) is None
    assert found.limit(25) == 100 and query().limit(25) == 25
    assert found.date("day") == date(2026, 11, 23) and found.date("missing") is None


@pytest.mark.parametrize(
    ("read", "pointer", "detail"),
    [
        (
            lambda q: q.choice("status", ("open", "resolved")),
            "/status",
            "status must be one of open, resolved",
        ),
        (lambda q: q.whole("hour", 23), "/hour", "hour must be a whole number from 0 to 23"),
        (lambda q: q.limit(25), "/limit", "limit must be a whole number from 1 to 100"),
        (lambda q: q.date("from"), "/from", "from must be a date, YYYY-MM-DD"),
    ],
)
def test_a_bad_query_parameter_is_a_400_pointing_at_it(read: Any, pointer: str, detail: str) -> None:
    bad = query(status="zzz", hour="24", limit="0", **{"from": "2026-02-30"})
    status, title, got_detail, listed = refusal(lambda: read(bad))
    assert (status, title, got_detail) == (400, "Invalid request", detail)
    assert listed == [{"pointer": pointer, "detail": detail, "in": "query"}]


def test_a_problem_is_a_problem_document() -> None:
    response = http.invalid("/team", "name a team").response()
    assert response.status_code == 400 and response.headers["Content-Type"] == http.PROBLEM
    assert json.loads(str(response.body)) == {
        "type": "about:blank",
        "title": "Invalid request",
        "status": 400,
        "detail": "name a team",
        "errors": [{"pointer": "/team", "detail": "name a team", "in": "query"}],
    }


def test_json_documents_are_private_unless_said_otherwise() -> None:
    response = http.json_response(200, {"a": "ø"}, etag=4)
    assert response.headers["Cache-Control"] == "no-store" and response.headers["ETag"] == '"4"'
    assert response.body == '{"a": "\\u00f8"}'
    shared = http.json_response(200, {"a": "ø"}, no_store=False, ascii_only=False)
    assert "Cache-Control" not in shared.headers and shared.body == '{"a": "ø"}'
    assert http.json_response(201, Thing(name="a", size=1)).body == '{"name":"a","size":1}'
