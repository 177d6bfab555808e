"""The whole loop end to end over HTTP on the virtual clock: a negative comes in, the customer hears at
once in their language, the lead signs in, acknowledges, acts and resolves, the follow-up arrives in the
customer's language days later, the customer rates again, and the case shows `recovered` with the delta."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import negative, outbox, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo


@pytest.fixture(scope="module")
def loop(runtime_launcher: Any) -> Any:
    running = runtime_launcher.start()
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield running
    runtime_launcher.stop(running)


def sign_in(runtime: RuntimeProcess) -> dict[str, str]:
    login = runtime["console_login"]
    answer = requests.post(
        runtime.url("/v1/session"),
        json={"username": login["username"], "password": login["password"]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def change(runtime: RuntimeProcess, auth: dict[str, str], case_id: str, operation: str, body: Any) -> Any:
    current = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10)
    assert current.status_code == 200, current.text
    answer = requests.post(
        runtime.url(f"/v1/cases/{case_id}/{operation}"),
        json=body,
        headers={**auth, "If-Match": current.headers["ETag"]},
        timeout=30,
    )
    assert answer.status_code in (200, 202), answer.text
    return answer.json()


def advance(runtime: RuntimeProcess, seconds: int) -> None:
    # Each schedule runs once, at the end of the jump: a sweep every minute for three days adds nothing here.
    moved = requests.post(
        runtime.url("/_local/clock"), json={"advance_seconds": seconds, "catch_up": "last"}, timeout=300
    )
    assert moved.status_code == 200, moved.text


def test_the_closed_loop(loop: RuntimeProcess) -> None:
    # 1. A negative comes in (NPS 3, a Norwegian customer in Oslo)
    body = negative()
    key = loop["sources"][0]["key"]
    created = requests.post(
        loop.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    # 2. Within a minute the customer is acknowledged, in Norwegian, naming the lead who will call
    advance(loop, 60)
    acks = wait_for(lambda: [m for m in outbox(loop, case_id) if m["kind"] == "customer_ack"])
    assert acks, outbox(loop, case_id)
    to_customer = [m for m in acks if m["to"] == body["customer"]["email"]]
    assert to_customer and "Kari" in to_customer[0]["text"]
    assert re.search(r"beklager|Beklager", to_customer[0]["text"])

    # 3. The lead signs in, finds the case in the queue, acknowledges, apologises and resolves
    auth = sign_in(loop)
    queue = requests.get(loop.url("/v1/cases?status=open"), headers=auth, timeout=10)
    assert queue.status_code == 200 and case_id in [item["id"] for item in queue.json()["items"]]
    assert change(loop, auth, case_id, "ack", {})["status"] == "acknowledged"
    change(loop, auth, case_id, "actions", {"type": "apology", "text": "Called and apologised."})
    resolved = change(
        loop, auth, case_id, "resolve", {"root_cause": "wait_time", "summary": "Added chat staff at peak."}
    )
    assert resolved["status"] == "resolved" and resolved["followup"]["state"] == "scheduled"

    # 4. Three days later the follow-up arrives in Norwegian, with an unsubscribe link
    advance(loop, 3 * 24 * 3600 + 3600)
    followups = wait_for(lambda: [m for m in outbox(loop, case_id) if m["kind"] == "followup"])
    assert followups, outbox(loop, case_id)
    email = followups[0]
    assert email["to"] == body["customer"]["email"] and email["channel"] == "email"
    form_url = next(link for link in email["links"] if "/f/" in link)
    assert any("/u/" in link for link in email["links"])
    page = requests.get(form_url, timeout=10)
    assert page.status_code == 200 and 'lang="nb"' in page.text

    # 5. The customer rates again: NPS 9, satisfied
    answered = requests.post(
        form_url, data={"score": "9", "satisfied": "yes", "comment": "Takk!"}, timeout=10
    )
    assert answered.status_code == 200, answered.text
    again = requests.post(form_url, data={"score": "9", "satisfied": "yes"}, timeout=10)
    assert again.status_code == 410

    # 6. The case shows `recovered`, with before, after and the delta
    case = requests.get(loop.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10).json()
    assert case["outcome"] == "recovered"
    assert case["rating"]["before"]["value"] == 3 and case["rating"]["after"]["value"] == 9
    assert case["rating"]["delta"] > 0
    assert case["checklist"] == {
        "acknowledge_apologise": True,
        "understand": False,
        "fix": True,
        "follow_up": True,
    }
    kinds = [entry["kind"] for entry in case["timeline"]]
    assert kinds.index("customer_acknowledged") < kinds.index("acknowledged") < kinds.index("resolved")
