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
