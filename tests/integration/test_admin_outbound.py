"""The admin API for outbound endpoints: validated whole, secrets kept or generated, never shown."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from recovery.notify.webhooks import new_secret
from recovery.services.outbound_webhooks import fingerprint, parse_outbound
from recovery.store.outbound import OutboundStore
from tests.integration import test_admin
from tests.integration.test_admin import ADMIN_KEY
from tests.support import Context, event

PATH = "/v1/admin/outbound"
admin = test_admin.admin  # the fixture: the admin function, with ADMIN_KEY stored


def call(module: ModuleType, method: str, body: Any = None, key: str = ADMIN_KEY, **headers: str) -> Any:
    request = event("admin_get_alerting.json")
    request["routeKey"] = request["requestContext"]["routeKey"] = f"{method} {PATH}"
    request["rawPath"] = request["requestContext"]["http"]["path"] = PATH
    request["requestContext"]["http"]["method"] = method
    request["headers"] = {"authorization": f"Bearer {key}", **headers}
    if body is not None:
        request["headers"]["content-type"] = "application/json"
        request["body"] = json.dumps(body)
    response = module.lambda_handler(request, Context())
    return response["statusCode"], response.get("headers", {}), json.loads(response["body"] or "null")


def crm(**fields: Any) -> dict[str, Any]:
    return {"id": "crm", "url": "https://crm.example.com/hooks", "events": ["CaseOpened"], **fields}


def stored_secret(endpoint_id: str) -> str | None:
    document = OutboundStore().document()
    assert document is not None
    return {endpoint.id: endpoint.secret for endpoint in parse_outbound(document).endpoints}[endpoint_id]


def test_nothing_configured_reads_as_no_endpoints(admin: ModuleType) -> None:
    # GIVEN no endpoint document  WHEN it is read  THEN an empty list comes back
    status, _, body = call(admin, "GET")
    assert status == 200 and body == {"endpoints": []}


def test_a_new_endpoint_without_a_secret_gets_one_shown_once(admin: ModuleType) -> None:
    # GIVEN no endpoints  WHEN one is added without a secret
    status, headers, body = call(admin, "PUT", {"endpoints": [crm()]})
    # THEN a secret is generated, stored and returned this once, with a no-store answer
    assert status == 200 and headers["ETag"] == '"1"' and headers["Cache-Control"] == "no-store"
    generated = body["generated_secrets"]["crm"]
    assert generated.startswith("whsec_") and stored_secret("crm") == generated
    assert body["endpoints"][0]["secret_fingerprint"] == fingerprint(generated)
    # AND a read shows the fingerprint only
    _, headers, read = call(admin, "GET")
    assert headers["ETag"] == '"1"' and generated not in json.dumps(read)
    assert read["endpoints"][0] == {
        **crm(),
        "preset": "webhook",
        "enabled": True,
        "secret_fingerprint": fingerprint(generated),
    }


def test_an_omitted_secret_keeps_the_stored_one_and_a_read_can_be_sent_back(admin: ModuleType) -> None:
    # GIVEN an endpoint with a secret
    secret = new_secret()
    call(admin, "PUT", {"endpoints": [crm(secret=secret)]})
    # WHEN what a GET returns is changed and sent back
    _, headers, read = call(admin, "GET")
    read["endpoints"][0]["events"] = ["CaseOpened", "CaseResolved"]
    status, _, body = call(admin, "PUT", read, **{"if-match": headers["ETag"]})
    # THEN the secret is unchanged and none is generated
    assert status == 200 and "generated_secrets" not in body
    assert stored_secret("crm") == secret and body["endpoints"][0]["events"] == ["CaseOpened", "CaseResolved"]


def test_a_given_secret_replaces_the_stored_one(admin: ModuleType) -> None:
    # GIVEN an endpoint  WHEN a PUT carries a new secret  THEN that one is stored (a rotation)
    call(admin, "PUT", {"endpoints": [crm(secret=new_secret())]})
    rotated = new_secret()
    assert call(admin, "PUT", {"endpoints": [crm(secret=rotated)]})[0] == 200
    assert stored_secret("crm") == rotated


@pytest.mark.parametrize(
    ("endpoint", "names"),
    [
        (crm(url="http://crm.example.com/hooks"), "endpoints/0/url"),
        (crm(secret="not-a-secret"), "endpoints/0/secret"),
        (crm(events=["CaseReopened"]), "endpoints/0/events/0"),
        ({"id": "zd", "preset": "zendesk", "url": "https://acme.zendesk.com"}, "credentials_secret"),
    ],
)
def test_a_bad_document_names_the_key_and_the_old_one_stays(
    admin: ModuleType, endpoint: dict[str, Any], names: str
) -> None:
    # GIVEN stored endpoints
    secret = new_secret()
    call(admin, "PUT", {"endpoints": [crm(secret=secret)]})
    # WHEN an invalid document is sent
    status, _, problem = call(admin, "PUT", {"endpoints": [endpoint]})
    # THEN it is refused naming the key, and nothing changed
    assert status == 400 and names in problem["detail"]
    assert stored_secret("crm") == secret
    assert call(admin, "GET")[1]["ETag"] == '"1"'


def test_a_body_that_is_not_a_document_is_refused(admin: ModuleType) -> None:
    # GIVEN nothing stored  WHEN the body is a JSON string  THEN 400, and still nothing stored
    status, _, problem = call(admin, "PUT", "endpoints")
    assert status == 400 and problem["title"] == "Invalid configuration"
    assert OutboundStore().document() is None


def test_a_stale_if_match_is_refused(admin: ModuleType) -> None:
    # GIVEN version 2  WHEN a PUT is sent over version 1  THEN 412
    call(admin, "PUT", {"endpoints": [crm()]})
    call(admin, "PUT", {"endpoints": [crm()]}, **{"if-match": '"1"'})
    assert call(admin, "PUT", {"endpoints": []}, **{"if-match": '"1"'})[0] == 412
    assert stored_secret("crm") is not None


@pytest.mark.parametrize("key", ["", "rla_wrong"])
def test_only_the_admin_key_gets_in(admin: ModuleType, key: str) -> None:
    assert call(admin, "GET", key=key)[0] == 401
    assert call(admin, "PUT", {"endpoints": []}, key=key)[0] == 401
