"""A signed Typeform delivery to the runtime's demo hook opens a case, and shows in the delivery log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from recovery.sources import config, signatures
from tests.e2e.conftest import admin_cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
DEMO = "demo-typeform"


def http(
    method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def demo_source(runtime: Any) -> dict[str, Any]:
    return next(source for source in runtime["sources"] if source["id"] == DEMO)


def typeform_body(now: str, token: str) -> bytes:
    body = {
        "event_id": f"evt-{token}",
        "event_type": "form_response",
        "form_response": {
            "form_id": "demo",
            "token": token,
            "submitted_at": now,
            "hidden": {"customer_id": f"c-{token}"},
            "answers": [
                {"type": "number", "number": 1, "field": {"id": "a", "type": "opinion_scale", "ref": "nps"}},
                {
                    "type": "text",
                    "text": "Waited an hour.",
                    "field": {"id": "b", "type": "long_text", "ref": "why"},
                },
            ],
        },
    }
    return json.dumps(body).encode("utf-8")


def test_a_signed_typeform_delivery_opens_a_case_and_is_logged(runtime: Any) -> None:
    # GIVEN the runtime's demo Typeform hook and its secret, from the start line
    source = demo_source(runtime)
    assert source["hook_url"] == runtime.url(f"/v1/hooks/{DEMO}")
    now = http("GET", runtime.url("/_local/clock"))[1]["now"]
    raw = typeform_body(now, uuid.uuid4().hex)
    spec = config.parse_source(
        {"id": DEMO, "name": "x", "preset": "typeform", "options": {"score_ref": "nps"}}
    )
    headers = {"Content-Type": "application/json"}
    # Typeform's scheme signs the body only: the time passed in is not part of the signature.
    headers |= signatures.sign(
        config.resolve(spec).signature, source["secret"], raw, headers, datetime.now(UTC)
    )
    # WHEN it is delivered
    status, answer = http("POST", source["hook_url"], raw, headers)
    # THEN a case opens for the detractor
    assert status == 201, answer
    assert answer["verdict"] == "negative" and answer["case_id"]
    # AND the delivery log, read through the admin API, shows it first
    admin = {"Authorization": f"Bearer {runtime['admin_key']}"}
    status, log = http("GET", runtime.url(f"/v1/admin/sources/{DEMO}/deliveries?limit=5"), headers=admin)
    assert status == 200 and log["items"][0]["case_id"] == answer["case_id"]
    assert log["items"][0]["status"] == 201 and log["items"][0]["outcome"] == "created"
    # AND a tampered copy is refused and logged with its reason
    status, problem = http("POST", source["hook_url"], raw.replace(b"Waited", b"waited"), headers)
    assert status == 401 and problem["detail"] == "bad signature"
    shown = admin_cli(runtime, "sources", "log", DEMO, "--limit", "1")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["items"][0]["reason"] == "bad signature"


def test_a_refused_delivery_is_replayed_once_its_secret_is_set(runtime: Any) -> None:
    # GIVEN a new Typeform source, and a delivery signed with a secret it does not hold yet
    admin = {"Authorization": f"Bearer {runtime['admin_key']}", "Content-Type": "application/json"}
    source_id = f"replay-{uuid.uuid4().hex[:8]}"
    document = {"id": source_id, "name": "Replay", "preset": "typeform", "options": {"score_ref": "nps"}}
    status, added = http("POST", runtime.url("/v1/admin/sources"), json.dumps(document).encode(), admin)
    assert status == 201, added
    vendor_secret = f"vendor-side-secret-{uuid.uuid4().hex}"
    now = http("GET", runtime.url("/_local/clock"))[1]["now"]
    raw = typeform_body(now, uuid.uuid4().hex)
    scheme = config.resolve(config.parse_source(document)).signature
    headers = {"Content-Type": "application/json"}
    headers |= signatures.sign(scheme, vendor_secret, raw, headers, datetime.now(UTC))
    assert http("POST", added["hook_url"], raw, headers)[0] == 401
    # THEN its log line is replayable, by an id, and shows no header
    log_url = runtime.url(f"/v1/admin/sources/{source_id}/deliveries?limit=5")
    entry = http("GET", log_url, headers=admin)[1]["items"][0]
    assert entry["replayable"] is True and entry["id"], entry
    assert headers["typeform-signature"] not in json.dumps(entry)
    # WHEN the vendor's secret is set and the delivery replayed, twice
    rotation = json.dumps({"what": "secret", "window_hours": 0, "secret": vendor_secret}).encode()
    assert http("POST", runtime.url(f"/v1/admin/sources/{source_id}/rotate"), rotation, admin)[0] == 200
    replay_url = runtime.url(f"/v1/admin/sources/{source_id}/deliveries/{entry['id']}/replay")
    status, first = http("POST", replay_url, b"{}", admin)
    status_again, again = http("POST", replay_url, b"{}", admin)
    # THEN the first takes it in and opens a case, the second is a duplicate
    assert status == 200 and first["status"] == "created" and first["case_id"], first
    assert status_again == 200 and again["status"] == "duplicate", again
    # AND an unknown entry is a 404 naming it
    unknown = "20200101T000000000000Z-00000000"
    status, problem = http(
        "POST", runtime.url(f"/v1/admin/sources/{source_id}/deliveries/{unknown}/replay"), b"{}", admin
    )
    assert status == 404 and unknown in problem["detail"], problem
