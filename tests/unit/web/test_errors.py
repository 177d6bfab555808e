"""The one exception map of the HTTP edge: what each exception answers, on a resolver and before routing."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from recovery.domain.cases import InvalidTransition, NotSignedIn
from recovery.errors import Conflict, TransientFailure, Unauthorized
from recovery.services.inbound_hooks import UnknownSource
from recovery.services.markers import BadMarker
from recovery.services.sign_in import TooManySignIns
from recovery.store.cases import BadCursor, StaleCase
from recovery.web import errors, http


def request(path: str = "/boom", method: str = "GET") -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": method, "path": path}, "stage": "$default"},
        "isBase64Encoded": False,
    }


def resolver_raising(error: Exception) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()

    @app.get("/boom")
    def boom() -> None:
        raise error

    errors.register(app)
    return app


def answered(error: Exception) -> tuple[int, dict[str, str], dict[str, Any]]:
    response = resolver_raising(error).resolve(request(), {})  # type: ignore[arg-type]
    return response["statusCode"], response["headers"], json.loads(response["body"])


@pytest.mark.parametrize("name", sorted(errors.ANSWERS))
def test_every_entry_names_an_exception_where_it_is_defined(name: str) -> None:
    # GIVEN an entry of the map WHEN its module is imported THEN it defines that exception class there,
    # so a moved or renamed exception fails here, not as a 500 in production
    module, _, class_name = name.rpartition(".")
    kind = getattr(importlib.import_module(module), class_name)
    assert isinstance(kind, type) and issubclass(kind, Exception)
    assert f"{kind.__module__}.{kind.__qualname__}" == name


@pytest.mark.parametrize(
    ("error", "status", "title", "headers"),
    [
        (http.Problem(418, "Teapot", "short and stout"), 418, "Teapot", {}),
        (Unauthorized("missing bearer key"), 401, "Unauthorized", {"WWW-Authenticate": "Bearer"}),
        (NotSignedIn("no signed-in user"), 401, "Unauthorized", {"WWW-Authenticate": "Bearer"}),
        (TransientFailure("throttled"), 503, "Service unavailable", {"Retry-After": "2"}),
        (Conflict("changed meanwhile"), 409, "Conflict", {"Retry-After": "1"}),
        (TooManySignIns(900), 429, "Too many requests", {"Retry-After": "900"}),
        (InvalidTransition("acknowledge the case first"), 409, "Conflict", {}),
        (StaleCase("the case is at version 2"), 412, "Precondition failed", {}),
        (UnknownSource("web"), 404, "Not found", {}),
    ],
)
def test_each_exception_gets_its_one_problem_document(
    error: Exception, status: int, title: str, headers: dict[str, str]
) -> None:
    # GIVEN a route that raises WHEN the resolver answers THEN with the map's problem document
    got_status, got_headers, document = answered(error)
    assert (got_status, document["status"], document["title"]) == (status, status, title)
    assert got_headers["Content-Type"] == http.PROBLEM
    assert headers.items() <= got_headers.items()
    assert ("Retry-After" in got_headers) == ("Retry-After" in headers)


def test_bad_query_parameters_point_at_themselves() -> None:
    status, _, document = answered(BadCursor("the cursor is not valid"))
    assert status == 400 and document["errors"] == [
        {"pointer": "/cursor", "detail": "the cursor is not valid", "in": "query"}
    ]
    status, _, document = answered(BadMarker("/component", "must be 1 to 100 characters"))
    assert (status, document["title"]) == (400, "Invalid marker")
    assert document["errors"] == [{"pointer": "/component", "detail": "must be 1 to 100 characters"}]


def test_a_path_the_function_has_no_route_for_is_a_problem_document() -> None:
    # GIVEN a function's resolver with the map registered WHEN a method and path it does not route arrive
    response = resolver_raising(KeyError("unused")).resolve(request("/v1/nowhere", "POST"), {})  # type: ignore[arg-type]
    # THEN 404 in application/problem+json, not Powertools' own {"statusCode": 404, "message": ...}
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == http.PROBLEM
    assert json.loads(response["body"]) == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no such resource",
    }


def test_a_source_is_named_in_its_404() -> None:
    assert answered(UnknownSource("web"))[2]["detail"] == "no source 'web'"


def test_an_exception_outside_the_map_is_left_to_lambda() -> None:
    # GIVEN a bug WHEN the route raises it THEN nothing turns it into a 4xx: Lambda answers 500
    with pytest.raises(KeyError):
        answered(KeyError("oops"))


def test_only_exceptions_whose_module_is_loaded_are_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a map entry whose module the function never imported
    monkeypatch.setattr(
        errors,
        "ANSWERS",
        {**errors.ANSWERS, "not.loaded.Missing": errors.ANSWERS["recovery.errors.Conflict"]},
    )
    app = APIGatewayHttpResolver()
    # WHEN the map is registered THEN it is skipped, and the loaded ones are there
    errors.register(app)
    registered = app.exception_handler_manager.get_registered_handlers()
    assert Conflict in registered and TransientFailure in registered
    assert errors.exception_class("not.loaded.Missing") is None


def test_a_gate_refusal_is_answered_before_routing() -> None:
    def gate(event: dict[str, Any]) -> None:
        raise http.Problem(415, "Unsupported media type", "send the body as application/json")

    response = errors.before_routing(request(), gate)
    assert response is not None and response["statusCode"] == 415
    assert response["headers"]["Content-Type"] == http.PROBLEM
    assert json.loads(response["body"])["detail"] == "send the body as application/json"


def test_a_transient_failure_in_the_gate_is_a_503() -> None:
    def gate(event: dict[str, Any]) -> None:
        raise TransientFailure("admin keys unreadable")

    response = errors.before_routing(request(), gate)
    assert response is not None and (response["statusCode"], response["headers"]["Retry-After"]) == (503, "2")


def test_a_gate_that_passes_routes_and_a_bug_in_it_is_raised() -> None:
    assert errors.before_routing(request(), lambda event: None) is None

    def broken(event: dict[str, Any]) -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        errors.before_routing(request(), broken)
