"""Replaying a refused delivery from the delivery log: its bytes kept a short while, re-verified against
the source's current secrets (a timestamp judged by the time it first arrived), taken in once; and a held
delivery's redelivery answered as a duplicate."""

from __future__ import annotations

import base64
import json
from types import ModuleType
from typing import Any

import pytest

from recovery.sources import config, signatures
from recovery.sources.presets import STANDARD_WEBHOOKS
from recovery.store.sources import SourceStore
from tests.integration.conftest import Clock, table_items
from tests.integration.test_hooks import (
    ADMIN_KEY,
    SECRET,
    admin,  # noqa: F401 - fixtures
    call,
    deliver,
    fixture,
    hooks,  # noqa: F401
    log_of,
    signed,
    virtual_now,
)
from tests.support import Context, event

OTHER_SECRET = "a-secret-the-vendor-signs-with-0123"
TOKEN = "vendor-url-token-0123456789abcdef"


def replay(module: ModuleType, source_id: str, entry: str) -> tuple[int, Any]:
    return call_entry(module, "POST", source_id, f"deliveries/{entry}/replay", entry)


def call_entry(module: ModuleType, method: str, source_id: str, rest: str, entry: str) -> tuple[int, Any]:
    request = event("admin_get_alerting.json")
    path = f"/v1/admin/sources/{source_id}/{rest}"
    request["routeKey"] = f"{method} /v1/admin/sources/{{source_id}}/deliveries/{{entry}}/replay"
    request["rawPath"] = path
    request["rawQueryString"] = ""
    request["queryStringParameters"] = None
    request["pathParameters"] = {"source_id": source_id, "entry": entry}
    request["requestContext"]["http"] = {**request["requestContext"]["http"], "method": method, "path": path}
    request["headers"] = {"authorization": f"Bearer {ADMIN_KEY}", "content-type": "application/json"}
    request["body"] = "{}"
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"] or "null")


def deliver_with_query(module: ModuleType, source_id: str, raw: bytes, query: str) -> tuple[int, Any]:
    request = event("hooks_typeform.json")
    request["rawPath"] = f"/v1/hooks/{source_id}"
    request["requestContext"]["http"]["path"] = request["rawPath"]
    request["pathParameters"] = {"source_id": source_id}
    request["headers"] = {"content-type": "application/json"}
    request["rawQueryString"] = query
    request["isBase64Encoded"] = False
    request["body"] = raw.decode("utf-8")
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"])


def set_secret(admin_module: ModuleType, source_id: str, secret: str) -> None:
    rotation = {"what": "secret", "window_hours": 0, "secret": secret}
    status, answer = call(admin_module, "POST", f"/v1/admin/sources/{source_id}/rotate", rotation)
    assert status == 200, answer


def kept_items(stack: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(stack) if item["pk"]["S"].startswith("HOOKBODY#")]


def shown(items: list[dict[str, Any]]) -> str:
    """Items as text, a binary attribute decoded, to look for a value in them."""
    return json.dumps(items, default=lambda raw: raw.decode("utf-8", "replace"))


def test_a_refused_delivery_is_kept_and_replayed_once_the_secret_is_set(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
    virtual_clock: Clock,
) -> None:
    # GIVEN Typeform signs with a secret the source does not hold yet
    raw = fixture("typeform/form_response_official_example.json")
    headers = signed("typeform-nps", raw, secret=OTHER_SECRET)
    assert deliver(hooks, "typeform-nps", raw, headers)[0] == 401
    # THEN its log line says it can be replayed, naming an entry id, and shows no header or body
    listed = call(admin, "GET", "/v1/admin/sources/typeform-nps/deliveries")[1]["items"]
    refused = listed[0]
    assert refused["outcome"] == "refused" and refused["replayable"] is True and refused["id"], refused
    assert headers["typeform-signature"] not in json.dumps(listed)
    # WHEN the secret is set to the vendor's and the delivery is replayed
    set_secret(admin, "typeform-nps", OTHER_SECRET)
    virtual_clock.advance(minutes=5)
    status, replayed = replay(admin, "typeform-nps", refused["id"])
    # THEN it is taken in as if it had just arrived, and a new log line says so
    assert status == 200, replayed
    assert replayed["status"] == "created" and replayed["http_status"] == 201 and replayed["case_id"]
    assert replayed["replay_of"] == refused["id"] and replayed["entry"] != refused["id"]
    newest = log_of("typeform-nps")[0]
    assert newest["outcome"] == "created" and newest["replay_of"] == refused["id"]
    assert newest["replayable"] is False
    # AND a second replay, or the vendor's own resend, is a duplicate through intake's dedupe
    assert replay(admin, "typeform-nps", refused["id"])[1]["status"] == "duplicate"
    resend = signed("typeform-nps", raw, secret=OTHER_SECRET)
    assert deliver(hooks, "typeform-nps", raw, resend)[1]["status"] == "duplicate"


def test_a_standard_webhooks_delivery_is_judged_by_the_time_it_first_arrived(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
    virtual_clock: Clock,
) -> None:
    # GIVEN a Formbricks delivery signed with a secret the source does not hold, refused
    finished = json.loads(fixture("formbricks/responseFinished_docs.json"))
    finished["data"]["data"]["rating"] = 2
    raw = json.dumps(finished).encode("utf-8")
    own = "whsec_" + base64.b64encode(b"the-vendor-side-secret-0123456789").decode("ascii")
    headers = signed("formbricks-csat", raw, secret=own, **{"webhook-id": "msg_r1"})
    status, _ = deliver(hooks, "formbricks-csat", raw, headers)
    assert status == 401
    entry = log_of("formbricks-csat")[0]["id"]
    # WHEN the secret is fixed two hours later (far past the 5-minute tolerance) and it is replayed
    virtual_clock.advance(hours=2)
    set_secret(admin, "formbricks-csat", own)
    status, replayed = replay(admin, "formbricks-csat", entry)
    # THEN its timestamp is judged by when it arrived: it is not stale, and it is taken in
    assert status == 200 and replayed["status"] == "created", replayed


def test_what_cannot_be_replayed_is_named(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
    virtual_clock: Clock,
    stack: Any,
) -> None:
    raw = fixture("typeform/form_response_official_example.json")
    # GIVEN one accepted delivery and one refused
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))[0] == 201
    accepted = log_of("typeform-nps")[0]
    assert accepted["replayable"] is False
    virtual_clock.advance(seconds=1)
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw, secret=OTHER_SECRET))[0] == 401
    refused = log_of("typeform-nps")[0]
    # THEN the accepted one is a 409 saying nothing was kept, an unknown one a 404 naming it
    status, problem = replay(admin, "typeform-nps", accepted["id"])
    assert status == 409 and accepted["id"] in problem["detail"] and "created" in problem["detail"], problem
    unknown = "20261123T100000000000Z-00000000"
    status, problem = replay(admin, "typeform-nps", unknown)
    assert status == 404 and unknown in problem["detail"], problem
    assert replay(admin, "typeform-nps", "not-an-entry")[0] == 404
    assert replay(admin, "nobody", refused["id"])[0] == 404
    # AND past the 72 hours the body is gone for replay (TTL deletes late: the expiry is checked on read)
    virtual_clock.advance(hours=72, seconds=1)
    status, problem = replay(admin, "typeform-nps", refused["id"])
    assert status == 404 and "retention" in problem["detail"], problem
    assert log_of("typeform-nps")[0]["replayable"] is False
    # AND the kept item carries its TTL
    kept = kept_items(stack)
    assert len(kept) == 1 and "expires_at" in kept[0]


def test_a_url_token_is_kept_only_as_its_hash_and_still_verifies_on_replay(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
    stack: Any,
) -> None:
    # GIVEN a source that takes a URL token, and a delivery carrying a token it does not hold yet
    document = {
        "id": "form-token",
        "name": "Token form",
        "signature": {"token": "query"},
        "mapping": {"score": {"type": "nps", "value": "body.score"}, "customer": {"id": "body.who"}},
    }
    assert call(admin, "POST", "/v1/admin/sources", document)[0] == 201
    raw = json.dumps({"score": 3, "who": "c-9"}).encode("utf-8")
    assert deliver_with_query(hooks, "form-token", raw, f"token={TOKEN}")[0] == 401
    entry = log_of("form-token")[0]["id"]
    # THEN the token is kept only as a hash
    assert kept_items(stack) and TOKEN not in shown(kept_items(stack))
    # WHEN the token becomes the source's secret and the delivery is replayed / THEN it is taken in
    set_secret(admin, "form-token", TOKEN)
    status, replayed = replay(admin, "form-token", entry)
    assert status == 200 and replayed["status"] == "created", replayed


def test_the_dry_run_takes_a_kept_delivery(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
) -> None:
    # GIVEN a refused delivery
    raw = fixture("typeform/form_response_official_example.json")
    headers = signed("typeform-nps", raw, secret=OTHER_SECRET)
    assert deliver(hooks, "typeform-nps", raw, headers)[0] == 401
    entry = log_of("typeform-nps")[0]["id"]
    # WHEN it is dry-run by its entry id
    status, result = call(admin, "POST", "/v1/admin/sources/typeform-nps/dry-run", {"stored": entry})
    # THEN it maps as the pasted body would, writes nothing, and shows no signature
    assert status == 200 and result["verdict"] == "negative", result
    assert headers["typeform-signature"] not in json.dumps(result)
    assert log_of("typeform-nps")[0]["id"] == entry
    assert call(admin, "POST", "/v1/admin/sources/typeform-nps/dry-run", {"stored": 5})[0] == 400


def test_the_body_retention_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from recovery.settings import Settings, SettingsError

    base = {"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "PII_KEY_SECRET_ARN": "arn"}
    assert Settings.from_env(base).hook_body_retention_hours == 72
    assert Settings.from_env({**base, "HOOK_BODY_RETENTION_HOURS": "0"}).hook_body_retention_hours == 0
    with pytest.raises(SettingsError, match="HOOK_BODY_RETENTION_HOURS"):
        Settings.from_env({**base, "HOOK_BODY_RETENTION_HOURS": "721"})


# ------------------------------------------------------------------------- a held delivery, redelivered
TALLY = {
    "id": "tally-nps",
    "name": "Tally",
    "preset": "tally",
    "options": {"score_field": "How likely are you to recommend us?"},
}


def tally_payload() -> bytes:
    # A response with neither the score question answered nor a respondent: held before it is mapped.
    return json.dumps(
        {
            "eventId": "evt-held-1",
            "eventType": "FORM_RESPONSE",
            "createdAt": "2026-11-23T09:59:00Z",
            "data": {
                "responseId": "resp-held-1",
                "formId": "f1",
                "createdAt": "2026-11-23T09:59:00Z",
                "fields": [
                    {"key": "question_x", "label": "Anything else?", "type": "TEXTAREA", "value": "hi"}
                ],
            },
        }
    ).encode("utf-8")


def test_a_held_delivery_redelivered_is_a_duplicate(
    hooks: ModuleType,  # noqa: F811
    stack: Any,
) -> None:
    # GIVEN a Tally source and a delivery it must hold without writing feedback
    spec = config.parse_source(TALLY)
    SourceStore().put(spec.id, spec.name, [], {}, SECRET, spec.model_dump(mode="json"))
    raw = tally_payload()
    scheme = config.resolve(spec).signature
    headers = {"content-type": "application/json"}
    headers |= signatures.sign(scheme, SECRET, raw, headers, virtual_now())
    status, first = deliver(hooks, "tally-nps", raw, headers)
    assert status == 202 and first["status"] == "held", first
    # WHEN Tally redelivers it (same event id)
    status, again = deliver(hooks, "tally-nps", raw, headers)
    # THEN it is a duplicate, and no feedback was written either time
    assert status == 200 and again["status"] == "duplicate", again
    assert sorted(entry["outcome"] for entry in log_of("tally-nps")) == ["duplicate", "held"]
    assert not [item for item in table_items(stack) if item["pk"]["S"].startswith("FB#tally-nps")]
    held = [item for item in table_items(stack) if item["pk"]["S"].startswith("HOOKHELD#tally-nps#")]
    assert len(held) == 1 and "expires_at" in held[0] and "evt-held-1" not in json.dumps(held)


def test_rotating_a_standard_webhooks_secret_answers_it_as_add_does(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
) -> None:
    # GIVEN a source whose own scheme is Standard Webhooks (whsec_ secrets), added through the API
    document = {
        "id": "std-hooks",
        "name": "Standard Webhooks form",
        "signature": {**STANDARD_WEBHOOKS},
        "mapping": {"score": {"type": "nps", "value": "body.score"}, "customer": {"id": "body.who"}},
    }
    status, added = call(admin, "POST", "/v1/admin/sources", document)
    assert status == 201 and added["secret"].startswith("whsec_"), added
    # WHEN its secret is rotated
    status, rotated = call(admin, "POST", "/v1/admin/sources/std-hooks/rotate", {"what": "secret"})
    # THEN the new secret has the same whsec_ form, and a delivery signed with it, as printed, is accepted
    assert status == 200 and rotated["secret"].startswith("whsec_"), rotated
    raw = json.dumps({"score": 9, "who": "c-1"}).encode("utf-8")
    scheme = config.resolve(config.parse_source(document)).signature
    headers = {"content-type": "application/json", "webhook-id": "msg_rot"}
    headers |= signatures.sign(scheme, rotated["secret"], raw, headers, virtual_now())
    assert deliver(hooks, "std-hooks", raw, headers)[0] == 201


def test_the_cli_replays_an_entry_and_dry_runs_a_kept_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import admin as admin_cli

    sent: list[tuple[str, str, Any]] = []

    def request(method: str, url: str, key: str, body: Any = None, etag: Any = None) -> tuple[int, Any]:
        sent.append((method, url, body))
        return 200, {}

    monkeypatch.setattr(admin_cli, "_request", request)
    base = ["--url", "http://127.0.0.1:1", "--key", ADMIN_KEY, "sources"]
    entry = "20261123T100000000000Z-0a1b2c3d"
    # WHEN a delivery is replayed, and a kept one dry-run, from the command line
    assert admin_cli.main([*base, "replay", "typeform-nps", entry]) == 0
    assert admin_cli.main([*base, "dry-run", "typeform-nps", "--stored", entry]) == 0
    # THEN each is one request to its route
    assert sent[0] == (
        "POST",
        f"http://127.0.0.1:1/v1/admin/sources/typeform-nps/deliveries/{entry}/replay",
        {},
    )
    assert sent[1] == ("POST", "http://127.0.0.1:1/v1/admin/sources/typeform-nps/dry-run", {"stored": entry})
    # AND a replay without an entry is refused before any request
    with pytest.raises(SystemExit):
        admin_cli.main([*base, "replay", "typeform-nps"])
    assert len(sent) == 2
