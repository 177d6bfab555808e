"""The hook route: vendor fixtures signed over their exact bytes, refusals in the delivery log, dedupe on
the delivery id, updates on the response id, rotation windows, and the admin API for sources."""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import boto3
import pytest

from recovery import clock
from recovery.services.intake import SourceDirectory, hash_key
from recovery.sources import config, signatures
from recovery.store.admin import AdminKeyStore
from recovery.store.feedback import FeedbackStore
from recovery.store.hook_log import HookLog
from recovery.store.sources import SourceStore
from tests.integration.conftest import Clock, table_items
from tests.support import REGION, ROOT, Context, Stack, event, load_function

FIXTURES = ROOT / "tests" / "fixtures" / "vendor"  # a copy of shared/fixtures/webhooks
ADMIN_KEY = "rla_integration-test-admin-key-0000000000000000"
SECRET = "integration-test-webhook-secret"
WHSEC = "whsec_" + base64.b64encode(b"formbricks-test-secret-0123456789").decode("ascii")

SOURCES: dict[str, dict[str, Any]] = {
    "typeform-nps": {
        "id": "typeform-nps",
        "name": "Typeform",
        "preset": "typeform",
        # The official example answers carry field ids; its opinion scale (2) is the score here.
        "options": {"score_ref": "NRsxU591jIW9", "comment_ref": "DlXFaesGBpoF", "customer_hidden": "user_id"},
    },
    "delighted-nps": {"id": "delighted-nps", "name": "Delighted", "preset": "delighted"},
    "formbricks-csat": {
        "id": "formbricks-csat",
        "name": "Formbricks",
        "preset": "formbricks",
        "options": {"score_question": "rating", "score_type": "csat", "anonymous": True},
    },
}

DELIGHTED = "delighted/survey_response_updated_non_promoter.zulip_fixture.json"


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


@pytest.fixture
def hooks(stack: Stack, virtual_clock: Clock) -> ModuleType:
    store = SourceStore()
    for document in SOURCES.values():
        spec = config.parse_source(document)
        secret = WHSEC if document.get("preset") == "formbricks" else SECRET
        store.put(spec.id, spec.name, [], spec.thresholds.model_dump(), secret, spec.model_dump(mode="json"))
    return load_function("hooks")


def scheme_of(source_id: str) -> signatures.Scheme:
    return config.resolve(config.parse_source(SOURCES[source_id])).signature


def signed(source_id: str, raw: bytes, secret: str | None = None, **headers: str) -> dict[str, str]:
    secret = secret or (WHSEC if source_id.startswith("formbricks") else SECRET)
    sent = {"content-type": "application/json", **headers}
    return {**sent, **signatures.sign(scheme_of(source_id), secret, raw, sent, virtual_now())}


def virtual_now() -> datetime:
    return clock.now()


def deliver(
    module: ModuleType, source_id: str, raw: bytes, headers: dict[str, str], base64_body: bool = False
) -> tuple[int, Any]:
    request = event("hooks_typeform.json")
    request["rawPath"] = f"/v1/hooks/{source_id}"
    request["requestContext"]["http"]["path"] = request["rawPath"]
    request["pathParameters"] = {"source_id": source_id}
    request["headers"] = headers
    request["isBase64Encoded"] = base64_body
    request["body"] = base64.b64encode(raw).decode("ascii") if base64_body else raw.decode("utf-8")
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"])


def log_of(source_id: str) -> list[dict[str, Any]]:
    return [entry.as_json() for entry in HookLog().read(source_id, 100).entries]


def stored_feedback(source_id: str, response_id: str) -> dict[str, Any]:
    found = FeedbackStore().feedback_fields(f"FB#{source_id}#{response_id}")
    assert found is not None
    return found


# ------------------------------------------------------------------------- fixtures through the route
@pytest.mark.parametrize("base64_body", [False, True])
def test_typeform_fixture_opens_a_case(hooks: ModuleType, base64_body: bool) -> None:
    # GIVEN Typeform's official example, byte for byte, signed over those bytes
    raw = fixture("typeform/form_response_official_example.json")
    # WHEN it is delivered (as API Gateway may send it: base64-encoded or not)
    status, body = deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw), base64_body)
    # THEN the opinion scale of 2 opens a case, and the comment and customer are the fixture's
    assert status == 201, body
    assert body["status"] == "created" and body["verdict"] == "negative" and body["case_id"]
    stored = stored_feedback("typeform-nps", "a3a12ec67a1365927098a606107fac15")
    assert stored["detail"]["score"] == {"type": "nps", "value": 2}
    assert stored["detail"]["comment"].startswith("It's cold right now!")
    assert stored["detail"]["deliveries"] == ["LtWXD3crgy"]
    [entry] = log_of("typeform-nps")
    assert entry["status"] == 201 and entry["outcome"] == "created" and entry["delivery_id"] == "LtWXD3crgy"
    assert entry["case_id"] == body["case_id"] and entry["reason"] is None


def test_typeform_capture_without_a_score_is_held(hooks: ModuleType, stack: Stack) -> None:
    # GIVEN a real capture whose only answer is a name: no score and no customer id
    raw = fixture("typeform/form_response.pipedream_captured_minimal.json")
    before = len(table_items(stack))
    # WHEN it is delivered
    status, body = deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))
    # THEN it is held (202), and only the delivery log grows, with the mark that dedupes its redelivery
    assert status == 202 and body["status"] == "held"
    added = len(table_items(stack)) - before
    assert added == 2 and not [item for item in table_items(stack) if item["pk"]["S"].startswith("FB#")]
    assert log_of("typeform-nps")[0]["outcome"] == "held"


# ------------------------------------------------------------------------- refusals, logged with reasons
def test_a_tampered_body_is_refused_and_logged(hooks: ModuleType) -> None:
    raw = fixture("typeform/form_response_official_example.json")
    headers = signed("typeform-nps", raw)
    tampered = raw.replace(b'"number": 2', b'"number": 9')
    assert tampered != raw
    status, problem = deliver(hooks, "typeform-nps", tampered, headers)
    assert status == 401 and problem["detail"] == "bad signature"
    assert log_of("typeform-nps")[0] | {"received_at": None, "id": None} == {
        "id": None,
        "received_at": None,
        "status": 401,
        "outcome": "refused",
        "reason": "bad signature",
        "delivery_id": None,
        "feedback_id": None,
        "case_id": None,
        "replayable": True,  # its bytes are kept a while, for a replay once the source is fixed
        "replayable_until": "2026-11-26T10:00:00Z",
        "replay_of": None,
    }


def test_a_wrong_secret_and_a_missing_signature_are_refused(hooks: ModuleType) -> None:
    raw = fixture(DELIGHTED)
    status, _ = deliver(hooks, "delighted-nps", raw, signed("delighted-nps", raw, secret="not-the-secret"))
    assert status == 401
    status, _ = deliver(hooks, "delighted-nps", raw, {"content-type": "application/json"})
    assert status == 401
    # (the test clock stands still, so both have the same time and either may read first)
    assert sorted(entry["reason"] for entry in log_of("delighted-nps")) == [
        "bad signature",
        "missing signature",
    ]


def test_a_stale_timestamp_is_refused(hooks: ModuleType, virtual_clock: Clock) -> None:
    # GIVEN a Formbricks delivery signed ten minutes ago (Standard Webhooks allow five)
    raw = fixture("formbricks/responseCreated_docs.json")
    headers = signed("formbricks-csat", raw, **{"webhook-id": "msg_stale"})
    virtual_clock.advance(minutes=10)
    # WHEN it arrives now
    status, problem = deliver(hooks, "formbricks-csat", raw, headers)
    # THEN it is refused as stale, and logged so
    assert status == 401 and problem["detail"] == "stale timestamp"
    assert log_of("formbricks-csat")[0]["reason"] == "stale timestamp"


def test_an_unreadable_body_is_a_400_and_logged(hooks: ModuleType) -> None:
    raw = b"{not json"
    status, problem = deliver(hooks, "delighted-nps", raw, signed("delighted-nps", raw))
    assert status == 400 and problem["detail"] == "body: not valid JSON"
    assert log_of("delighted-nps")[0]["outcome"] == "refused"


@pytest.mark.parametrize(
    ("score", "detail"),
    [
        (
            b"1" + b"0" * 400,
            "body: out of range: the number 100000000000…000000 (401 characters) has more than 38 digits",
        ),
        (b"1e999", "body: out of range: the number 1e999 is not finite"),
        (b"NaN", "body: not valid JSON: NaN is not a number in JSON"),
    ],
)
def test_a_signed_delivery_with_an_absurd_number_is_a_400_and_logged(
    hooks: ModuleType, score: bytes, detail: str
) -> None:
    # GIVEN Delighted's fixture, its score replaced by a number nothing can hold, and signed
    raw = re.sub(rb'"score":\s*\d+', b'"score": ' + score, fixture(DELIGHTED))
    assert score in raw
    # WHEN it is delivered THEN it is refused, naming the number, and the delivery is in the log
    status, problem = deliver(hooks, "delighted-nps", raw, signed("delighted-nps", raw))
    assert (status, problem["detail"]) == (400, detail)
    [entry] = log_of("delighted-nps")
    assert (entry["status"], entry["outcome"]) == (400, "refused")


def test_only_an_unknown_source_is_a_404_and_it_is_not_logged(hooks: ModuleType, stack: Stack) -> None:
    raw = fixture("typeform/form_response_official_example.json")
    before = len(table_items(stack))
    status, problem = deliver(hooks, "nobody-here", raw, signed("typeform-nps", raw))
    assert status == 404 and problem["status"] == 404
    assert len(table_items(stack)) == before


# ------------------------------------------------------------------------- dedupe and updates
def test_a_replayed_delivery_is_a_duplicate_and_writes_nothing(hooks: ModuleType, stack: Stack) -> None:
    raw = fixture("typeform/form_response_official_example.json")
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))[0] == 201
    feedback_items = [item for item in table_items(stack) if item["pk"]["S"].startswith(("FB#", "CASE#"))]
    status, body = deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))
    assert status == 200 and body["status"] == "duplicate"
    after = [item for item in table_items(stack) if item["pk"]["S"].startswith(("FB#", "CASE#"))]
    assert after == feedback_items
    assert sorted(entry["outcome"] for entry in log_of("typeform-nps")) == ["created", "duplicate"]


def test_delighted_score_then_comment_updates_one_feedback_and_case(hooks: ModuleType, stack: Stack) -> None:
    # GIVEN the score first (survey_response.created, no comment yet), derived from the fixture
    later = fixture(DELIGHTED)
    first = json.loads(later)
    first["event_type"] = "survey_response.created"
    first["event_id"] = "delivery-of-the-score"
    first["event_data"]["comment"] = None
    raw_first = json.dumps(first).encode("utf-8")
    status, created = deliver(hooks, "delighted-nps", raw_first, signed("delighted-nps", raw_first))
    assert status == 201 and created["verdict"] == "negative"
    # WHEN the comment follows (the fixture itself: survey_response.updated)
    status, updated = deliver(hooks, "delighted-nps", later, signed("delighted-nps", later))
    # THEN the same feedback and the same case are updated, with the comment
    assert status == 200 and updated["status"] == "updated"
    assert (updated["feedback_id"], updated["case_id"]) == (created["feedback_id"], created["case_id"])
    assert stored_feedback("delighted-nps", "5435")["detail"]["comment"].startswith("Your service is slow")
    cases = [
        item
        for item in table_items(stack)
        if item["pk"]["S"].startswith("CASE#") and item["sk"]["S"] == "CASE"
    ]
    assert len(cases) == 1
    # AND a late redelivery of the score event does not undo the comment
    status, replay = deliver(hooks, "delighted-nps", raw_first, signed("delighted-nps", raw_first))
    assert status == 200 and replay["status"] == "duplicate"
    assert stored_feedback("delighted-nps", "5435")["detail"]["comment"].startswith("Your service is slow")


def test_formbricks_created_is_held_then_finished_scores_it(hooks: ModuleType) -> None:
    # GIVEN responseCreated from the docs: no score yet
    created = fixture("formbricks/responseCreated_docs.json")
    status, held = deliver(
        hooks, "formbricks-csat", created, signed("formbricks-csat", created, **{"webhook-id": "msg_1"})
    )
    assert status == 202 and held["status"] == "held"
    # WHEN responseFinished brings the rating (the docs' example, with a rating answer added)
    finished = json.loads(fixture("formbricks/responseFinished_docs.json"))
    finished["data"]["data"]["rating"] = 2
    raw = json.dumps(finished).encode("utf-8")
    status, scored = deliver(
        hooks, "formbricks-csat", raw, signed("formbricks-csat", raw, **{"webhook-id": "msg_2"})
    )
    # THEN the held response is scored: negative, with a case, on the same feedback
    assert status == 200 and scored["status"] == "updated"
    assert (
        scored["feedback_id"] == held["feedback_id"] and scored["verdict"] == "negative" and scored["case_id"]
    )
    assert stored_feedback("formbricks-csat", "responseId")["detail"]["deliveries"] == ["msg_1", "msg_2"]


# ------------------------------------------------------------------------- admin API
@pytest.fixture
def admin(hooks: ModuleType) -> ModuleType:
    AdminKeyStore().put([hash_key(ADMIN_KEY)], datetime.now(UTC))
    return load_function("admin")


def call(module: ModuleType, method: str, path: str, body: Any = None, query: str = "") -> tuple[int, Any]:
    request = event("admin_get_alerting.json")
    route = path
    parameters: dict[str, str] = {}
    parts = path.split("/")
    if len(parts) > 4 and parts[3] == "sources":
        parameters["source_id"] = parts[4]
        route = "/".join([*parts[:4], "{source_id}", *parts[5:]])
    request["routeKey"] = f"{method} {route}"
    request["rawPath"] = path
    request["rawQueryString"] = query
    request["queryStringParameters"] = dict(pair.split("=", 1) for pair in query.split("&") if pair) or None
    request["pathParameters"] = parameters or None
    request["requestContext"]["http"] = {**request["requestContext"]["http"], "method": method, "path": path}
    request["headers"] = {"authorization": f"Bearer {ADMIN_KEY}"}
    if body is not None:
        request["headers"]["content-type"] = "application/json"
        request["body"] = json.dumps(body)
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"] or "null")


def test_add_a_source_answers_its_url_secret_and_key_once(
    admin: ModuleType, hooks: ModuleType, stack: Stack
) -> None:
    # GIVEN a new Typeform source
    document = {"id": "typeform-new", "name": "New", "preset": "typeform", "options": {"score_ref": "nps"}}
    # WHEN it is added
    status, added = call(admin, "POST", "/v1/admin/sources", document)
    # THEN its hook URL, secret and key are answered, the key authenticates, and neither is stored plainly
    assert status == 201, added
    assert added["hook_url"].endswith("/v1/hooks/typeform-new")
    assert SourceDirectory(SourceStore()).authenticate(f"Bearer {added['key']}").source_id == "typeform-new"
    assert added["key"] not in json.dumps(table_items(stack))
    listed = call(admin, "GET", "/v1/admin/sources")[1]["items"]
    assert {"id": "typeform-new", "name": "New", "preset": "typeform"}.items() <= next(
        row for row in listed if row["id"] == "typeform-new"
    ).items()
    # AND a delivery signed with the new secret is accepted
    body = {"event_id": "e1", "event_type": "form_response", "form_response": {
        "token": "t1", "hidden": {"customer_id": "c-1"},
        "answers": [{"type": "number", "number": 10, "field": {"id": "x", "ref": "nps"}}]}}  # fmt: skip
    raw = json.dumps(body).encode("utf-8")
    headers = {"content-type": "application/json"}
    headers |= signatures.sign(scheme_of("typeform-nps"), added["secret"], raw, headers, virtual_now())
    assert deliver(hooks, "typeform-new", raw, headers)[0] == 201
    # AND the same id cannot be added twice
    assert call(admin, "POST", "/v1/admin/sources", document)[0] == 409


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"id": "Bad_Id", "name": "x", "preset": "typeform", "options": {"score_ref": "nps"}}, "/id"),
        ({"id": "x", "name": "x", "preset": "nope"}, "/preset"),
        ({"id": "x", "name": "x", "preset": "typeform", "options": {}}, "/options/score_ref"),
        (
            {"id": "x", "name": "x", "signature": {"header": "x-sig"}, "mapping": {"score": {"type": "bad"}}},
            "/mapping/score",
        ),
    ],
)
def test_a_bad_source_is_refused_naming_the_key(
    admin: ModuleType, document: dict[str, Any], named: str
) -> None:
    status, problem = call(admin, "POST", "/v1/admin/sources", document)
    assert status == 400 and problem["detail"].startswith(named), problem


def test_secret_rotation_keeps_the_old_one_for_the_window(
    admin: ModuleType, hooks: ModuleType, virtual_clock: Clock
) -> None:
    raw = fixture("typeform/form_response_official_example.json")
    # GIVEN the secret is rotated with a one-hour window
    status, rotated = call(
        admin, "POST", "/v1/admin/sources/typeform-nps/rotate", {"what": "secret", "window_hours": 1}
    )
    assert status == 200 and rotated["secret"] != SECRET
    # THEN both the old and the new secret verify during the window
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))[0] == 201
    assert (
        deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw, secret=rotated["secret"]))[0] == 200
    )
    # AND after it only the new one does
    virtual_clock.advance(hours=1, seconds=1)
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))[0] == 401
    assert (
        deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw, secret=rotated["secret"]))[0] == 200
    )


def test_key_rotation_keeps_the_old_key_for_the_window(admin: ModuleType, virtual_clock: Clock) -> None:
    # GIVEN a source with a key, rotated with a two-hour window
    old = "rlk_delighted-nps_old-key-000000000000000000000"
    item = SourceStore().get("delighted-nps")
    assert item is not None
    SourceStore().put(
        item.source_id, item.name, [hash_key(old)], item.thresholds, item.webhook_secret, item.spec
    )
    status, rotated = call(
        admin, "POST", "/v1/admin/sources/delighted-nps/rotate", {"what": "key", "window_hours": 2}
    )
    assert status == 200 and rotated["key"].startswith("rlk_delighted-nps_")
    # THEN both keys authenticate during the window, only the new one after it
    assert SourceDirectory(SourceStore()).authenticate(f"Bearer {old}").source_id == "delighted-nps"
    assert (
        SourceDirectory(SourceStore()).authenticate(f"Bearer {rotated['key']}").source_id == "delighted-nps"
    )
    virtual_clock.advance(hours=2, seconds=1)
    with pytest.raises(Exception, match="unknown key"):
        SourceDirectory(SourceStore()).authenticate(f"Bearer {old}")
    assert (
        SourceDirectory(SourceStore()).authenticate(f"Bearer {rotated['key']}").source_id == "delighted-nps"
    )


def test_a_bad_rotation_is_refused(admin: ModuleType) -> None:
    assert call(admin, "POST", "/v1/admin/sources/typeform-nps/rotate", {"what": "password"})[0] == 400
    assert call(admin, "POST", "/v1/admin/sources/nobody/rotate", {"what": "key"})[0] == 404


def test_the_dry_run_maps_and_writes_nothing(admin: ModuleType, stack: Stack) -> None:
    raw = fixture("typeform/form_response_official_example.json").decode("utf-8")
    before = table_items(stack)
    # WHEN a pasted Typeform payload is dry-run
    status, result = call(admin, "POST", "/v1/admin/sources/typeform-nps/dry-run",
                          {"body": raw, "headers": {}, "content_type": "application/json"})  # fmt: skip
    # THEN the canonical result and its classification are shown, and the table is unchanged
    assert status == 200, result
    assert result["action"] == "accept" and result["delivery_id"] == "LtWXD3crgy"
    assert result["feedback"]["score"] == {"type": "nps", "value": 2}
    assert result["feedback"]["customer"]["email"] == "laura@example.com"
    assert result["verdict"] == "negative"
    # AND a mapping error is shown, not raised
    status, failed = call(
        admin, "POST", "/v1/admin/sources/typeform-nps/dry-run", {"body": "[1,", "headers": {}}
    )
    assert status == 200 and failed["error"] == {"pointer": "body", "reason": "not valid JSON"}
    assert table_items(stack) == before


def test_the_delivery_log_reads_newest_first_in_pages(
    admin: ModuleType, hooks: ModuleType, virtual_clock: Clock
) -> None:
    raw = b"{}"
    for _ in range(3):
        deliver(hooks, "delighted-nps", raw, {"content-type": "application/json"})
        virtual_clock.advance(seconds=1)
    deliver(hooks, "delighted-nps", b"[", signed("delighted-nps", b"["))
    status, page = call(admin, "GET", "/v1/admin/sources/delighted-nps/deliveries", query="limit=2")
    assert status == 200 and [entry["status"] for entry in page["items"]] == [400, 401]
    status, rest = call(
        admin, "GET", "/v1/admin/sources/delighted-nps/deliveries", query=f"limit=2&cursor={page['cursor']}"
    )
    assert status == 200 and [entry["reason"] for entry in rest["items"]] == ["missing signature"] * 2
    assert call(admin, "GET", "/v1/admin/sources/delighted-nps/deliveries", query="cursor=%%%")[0] == 400
    assert call(admin, "GET", "/v1/admin/sources/nobody/deliveries")[0] == 404


def test_seeding_stores_the_demo_connector(stack: Stack) -> None:
    from tools.seed import seed_from_dir

    seed_from_dir(ROOT / "config", {}, {"demo-typeform": SECRET}, only={"demo-typeform"})
    item = SourceStore().get("demo-typeform")
    assert item is not None and item.webhook_secret == SECRET
    assert config.resolve(config.parse_source(item.spec)).preset == "typeform"
    assert copy.deepcopy(item.spec)["options"] == {"score_ref": "nps", "comment_ref": "why"}


# ------------------------------------------------------------------------- a source that fetches
class _VendorApi(BaseHTTPRequestHandler):
    """SurveyMonkey's API on 127.0.0.1: the response details from the docs, or a 500 when `down`."""

    down = False
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(f"{self.path} {self.headers.get('Authorization')}")
        body = b"{}" if self.down else fixture("surveymonkey/response_details_GET_example.json")
        self.send_response(500 if self.down else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def vendor_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _VendorApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _VendorApi.down, _VendorApi.seen = False, []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_surveymonkey_fetches_the_response_then_takes_it_in(
    hooks: ModuleType, stack: Stack, vendor_api: str
) -> None:
    # GIVEN a SurveyMonkey source whose API token is in Secrets Manager, and the vendor API (stubbed)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="recovery-loop/test/sources/sm", SecretString="sm-api-token"
    )
    options = {
        "credentials": "recovery-loop/test/sources/sm",
        "score_question": "319352786",
        "score_type": "csat",
        "score_choices": {"3057839051": 2},
        "anonymous": True,
        "api_base_url": vendor_api,
    }
    document = {"id": "sm-csat", "name": "SurveyMonkey", "preset": "surveymonkey", "options": options}
    spec = config.parse_source(document)
    secret = "api-key&api-secret"
    SourceStore().put(spec.id, spec.name, [], None, secret, spec.model_dump(mode="json"))
    scheme = config.resolve(spec).signature
    raw = fixture("surveymonkey/callback_event_example_A_filter_type_survey.json")
    headers = {"content-type": "application/json"}
    headers |= signatures.sign(scheme, secret, raw, headers, clock.now())
    # WHEN the id-only callback is delivered
    status, body = deliver(hooks, "sm-csat", raw, headers)
    # THEN the response is fetched with the token, mapped (choice -> csat 2) and opens a case
    assert status == 201, body
    assert body["verdict"] == "negative" and body["case_id"]
    assert _VendorApi.seen == ["/v3/surveys/123456789/responses/123456/details Bearer sm-api-token"]
    # AND when the vendor API is down, the delivery gets 503 (the vendor resends) and is logged
    _VendorApi.down = True
    changed = raw.replace(b'"event_id": "123456789"', b'"event_id": "987654321"')
    headers = {"content-type": "application/json"}
    headers |= signatures.sign(scheme, secret, changed, headers, clock.now())
    status, problem = deliver(hooks, "sm-csat", changed, headers)
    assert status == 503 and "500" in problem["detail"]
    assert sorted(entry["outcome"] for entry in log_of("sm-csat")) == ["created", "failed"]


# ------------------------------------------------------------------------- supplied secrets, page settings
SM_SECRET = "sm-api-key-0123&sm-api-secret-abcdef0123456789"  # SurveyMonkey signs with api_key&api_secret


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log line, at every level, while the test runs."""
    from recovery.observability import logger

    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    underlying = logging.getLogger(logger.name)
    level = underlying.level
    underlying.addHandler(handler)
    underlying.setLevel(logging.DEBUG)
    yield lines
    underlying.removeHandler(handler)
    underlying.setLevel(level)


def test_a_supplied_secret_is_stored_answered_once_and_never_logged(
    admin: ModuleType, hooks: ModuleType, log_lines: io.StringIO
) -> None:
    # GIVEN a new source added with the team's own webhook secret
    document = {"id": "typeform-own", "name": "Own", "preset": "typeform", "options": {"score_ref": "nps"}}
    status, added = call(admin, "POST", "/v1/admin/sources", document | {"secret": SM_SECRET})
    # THEN that secret is the source's, answered once in the add, and in no log line
    assert status == 201, added
    assert added["secret"] == SM_SECRET
    item = SourceStore().get("typeform-own")
    assert item is not None and item.webhook_secret == SM_SECRET and item.spec is not None
    assert "secret" not in item.spec
    assert SM_SECRET not in json.dumps(call(admin, "GET", "/v1/admin/sources")[1])
    assert "source added" in log_lines.getvalue()
    assert SM_SECRET not in log_lines.getvalue()
    # AND a delivery signed with it is accepted
    body = {"event_id": "e1", "event_type": "form_response", "form_response": {
        "token": "t1", "hidden": {"customer_id": "c-1"},
        "answers": [{"type": "number", "number": 10, "field": {"id": "x", "ref": "nps"}}]}}  # fmt: skip
    raw = json.dumps(body).encode("utf-8")
    headers = {"content-type": "application/json"}
    headers |= signatures.sign(scheme_of("typeform-nps"), SM_SECRET, raw, headers, virtual_now())
    assert deliver(hooks, "typeform-own", raw, headers)[0] == 201


@pytest.mark.parametrize(
    ("document", "secret", "why"),
    [
        ({"preset": "typeform", "options": {"score_ref": "nps"}}, "short", "16 to 512"),
        ({"preset": "typeform", "options": {"score_ref": "nps"}}, "x" * 513, "16 to 512"),
        ({"preset": "typeform", "options": {"score_ref": "nps"}}, "has a space in it, sadly", "printable"),
        ({"preset": "typeform", "options": {"score_ref": "nps"}}, "non-ascii-sécret-0123", "printable"),
        ({"preset": "typeform", "options": {"score_ref": "nps"}}, 12345678901234567, "a string"),
        ({"preset": "formbricks", "options": {"score_question": "q"}}, "not-whsec-at-all-012345", "whsec_"),
        (
            {"signature": {"token": "query"}, "mapping": {"score": {"type": "nps", "value": "body.s"}}},
            "token&with=url-specials",
            "URL token",
        ),
    ],
)
def test_a_bad_supplied_secret_is_refused_without_quoting_it(
    admin: ModuleType, document: dict[str, Any], secret: Any, why: str
) -> None:
    # GIVEN a new source with an unusable secret
    body = {"id": "own-bad", "name": "Bad", **document, "secret": secret}
    # WHEN it is added / THEN it is a 400 naming /secret, the value is not echoed, and nothing is stored
    status, problem = call(admin, "POST", "/v1/admin/sources", body)
    assert status == 400 and problem["detail"].startswith("/secret:") and why in problem["detail"], problem
    assert str(secret) not in json.dumps(problem)
    assert SourceStore().get("own-bad") is None


def test_a_rotation_to_a_supplied_secret_keeps_the_old_one_for_the_window(
    admin: ModuleType, hooks: ModuleType, virtual_clock: Clock
) -> None:
    raw = fixture("typeform/form_response_official_example.json")
    # GIVEN the secret is rotated to one the team supplies, with a one-hour window
    rotation = {"what": "secret", "window_hours": 1, "secret": SM_SECRET}
    status, rotated = call(admin, "POST", "/v1/admin/sources/typeform-nps/rotate", rotation)
    # THEN it is answered once and current; the old one verifies until the window ends
    assert status == 200 and rotated["secret"] == SM_SECRET, rotated
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw, secret=SM_SECRET))[0] == 201
    virtual_clock.advance(hours=1, seconds=1)
    assert deliver(hooks, "typeform-nps", raw, signed("typeform-nps", raw))[0] == 401
    # AND a secret with a key rotation, or a bad one, is refused, and the secret stays as it was
    key_rotation = {"what": "key", "secret": SM_SECRET}
    assert call(admin, "POST", "/v1/admin/sources/typeform-nps/rotate", key_rotation)[0] == 400
    bad = {"what": "secret", "secret": "short"}
    status, problem = call(admin, "POST", "/v1/admin/sources/typeform-nps/rotate", bad)
    assert status == 400 and problem["detail"].startswith("/secret:"), problem
    item = SourceStore().get("typeform-nps")
    assert item is not None and item.webhook_secret == SM_SECRET


def test_the_cli_sends_a_secret_from_the_environment_or_stdin_never_from_its_arguments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tools import admin as admin_cli

    sent: list[tuple[str, str, Any]] = []

    def request(method: str, url: str, key: str, body: Any = None, etag: Any = None) -> tuple[int, Any]:
        sent.append((method, url, body))
        return 200, {}

    monkeypatch.setattr(admin_cli, "_request", request)
    source = tmp_path / "sm.yaml"
    source.write_text("id: sm-own\nname: SurveyMonkey\npreset: typeform\noptions: {score_ref: nps}\n")
    base = ["--url", "http://127.0.0.1:1", "--key", ADMIN_KEY, "sources"]
    # GIVEN the secret in an environment variable / WHEN a source is added with --secret-env
    monkeypatch.setenv("SM_WEBHOOK_SECRET", SM_SECRET)
    assert admin_cli.main([*base, "add", str(source), "--secret-env", "SM_WEBHOOK_SECRET"]) == 0
    # AND the secret is piped on stdin to a rotation
    monkeypatch.setattr("sys.stdin", io.StringIO(SM_SECRET + "\n"))
    assert admin_cli.main([*base, "rotate", "sm-own", "--secret-from-stdin"]) == 0
    # THEN both requests carry it in their bodies
    assert sent[0][2]["secret"] == SM_SECRET and sent[0][2]["id"] == "sm-own"
    assert sent[1][1].endswith("/sm-own/rotate") and sent[1][2]["secret"] == SM_SECRET
    # AND a secret with a key rotation is refused before any request
    with pytest.raises(SystemExit):
        admin_cli.main([*base, "rotate", "sm-own", "--what", "key", "--secret-env", "SM_WEBHOOK_SECRET"])
    assert len(sent) == 2


def test_page_settings_come_from_config_and_the_admin_add(
    admin: ModuleType, stack: Stack, tmp_path: Path, virtual_clock: Clock
) -> None:
    from tests.integration.test_survey_page import call as show_page
    from tools.seed import seed_from_dir

    # GIVEN a configured source whose hosted page asks for CSAT, seeded
    (tmp_path / "sources.yaml").write_text("- id: desk-csat\n  name: Desk\n  page: { score_type: csat }\n")
    seed_from_dir(tmp_path, {}, {})
    item = SourceStore().get("desk-csat")
    assert item is not None and item.page == {"score_type": "csat"} and item.spec is None
    # WHEN its page is shown / THEN it rates 1..5
    body = show_page(load_function("survey_page"), "GET", source_id="desk-csat")["body"]
    assert re.findall(r'name="score" value="(\d+)"', body) == ["1", "2", "3", "4", "5"]
    # AND the admin add stores the setting too, and refuses an unknown score type naming the key
    document = {"id": "tf-stars", "name": "S", "preset": "typeform", "options": {"score_ref": "nps"}}
    assert call(admin, "POST", "/v1/admin/sources", document | {"page": {"score_type": "stars"}})[0] == 201
    added = SourceStore().get("tf-stars")
    assert added is not None and added.page == {"score_type": "stars"}
    bad = document | {"id": "tf-bad", "page": {"score_type": "emoji"}}
    status, problem = call(admin, "POST", "/v1/admin/sources", bad)
    assert status == 400 and problem["detail"].startswith("/page/score_type"), problem
