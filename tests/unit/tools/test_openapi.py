"""The served OpenAPI document: generated from every API function's routes, committed beside the ingest
function, and complete: every HttpApi route of template.yaml is in it, with its security."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools import openapi


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    return openapi.generate()


def test_the_committed_document_is_the_generated_one(generated: dict[str, Any]) -> None:
    # GIVEN the file the ingest function serves WHEN the tool generates the document again
    committed = openapi.OUTPUT.read_text(encoding="utf-8")
    # THEN they are the same: a route or model changed without `python -m tools.openapi` fails here
    assert committed == openapi.render(generated), "run: PYTHONPATH=layers/recovery python -m tools.openapi"


def test_every_template_route_is_documented() -> None:
    # GIVEN the committed document and the template's HttpApi routes
    document = json.loads(openapi.OUTPUT.read_text(encoding="utf-8"))
    routes = openapi.template_routes()
    assert len(routes) >= 39
    # THEN each route (method and path) has an operation
    missing = [
        f"{method.upper()} {path}"
        for method, path, _, _ in routes
        if not openapi.covers(document, method, path)
    ]
    assert missing == []


def test_a_missing_route_is_noticed() -> None:
    # GIVEN a document without the queue's route THEN coverage says so; a parameter matches a literal
    document = {"paths": {"/v1/cases/{case_id}/ack": {"post": {}}}}
    assert not openapi.covers(document, "get", "/v1/cases")
    assert openapi.covers(document, "post", "/v1/cases/{case_id}/{operation}")
    assert not openapi.covers(document, "get", "/v1/cases/{case_id}/{operation}")


def test_operations_name_their_security_models_and_examples() -> None:
    document = json.loads(openapi.OUTPUT.read_text(encoding="utf-8"))
    paths = document["paths"]
    schemes = document["components"]["securitySchemes"]
    # THEN the three credentials are declared as bearer schemes
    assert {name: scheme["scheme"] for name, scheme in schemes.items()} == {
        "sourceKey": "bearer",
        "leadJwt": "bearer",
        "adminKey": "bearer",
    }
    # AND each operation names the one it takes: source key, lead JWT, admin key, or none (pages)
    assert paths["/v1/feedback"]["post"]["security"] == [{"sourceKey": []}]
    assert paths["/v1/cases"]["get"]["security"] == [{"leadJwt": []}]
    assert paths["/v1/reports/{report}"]["get"]["security"] == [{"leadJwt": []}]
    assert paths["/v1/admin/sources"]["post"]["security"] == [{"adminKey": []}]
    assert paths["/v1/markers"]["post"]["security"] == [{"adminKey": []}]
    assert paths["/f/{code}"]["get"]["security"] == []
    # AND request models where the route has one, with examples
    change = paths["/v1/cases/{case_id}/{operation}"]["post"]
    refs = {
        ref["$ref"].rsplit("/", 1)[-1]
        for ref in change["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    }
    assert refs == {
        "AckRequest",
        "ActionRequest",
        "AssignRequest",
        "MessageRequest",
        "ResolveRequest",
        "ReopenRequest",
    }
    assert "examples" in change["requestBody"]["content"]["application/json"]
    session = paths["/v1/session"]["post"]["requestBody"]["content"]["application/json"]
    assert session["schema"] == {"$ref": "#/components/schemas/SignIn"} and session["example"]
    assert paths["/v1/markers"]["post"]["requestBody"]["content"]["application/json"]["schema"]["example"]
    queue = {parameter["name"] for parameter in paths["/v1/cases"]["get"]["parameters"]}
    assert {"status", "priority", "team", "limit", "cursor"} <= queue
    # AND every $ref resolves
    text = json.dumps(document)
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in document["components"]["schemas"], name
