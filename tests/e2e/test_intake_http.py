"""Intake over HTTP against the embedded runtime: what a survey tool sees."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


def sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.loads((EVENTS / name).read_text())["body"])
    document["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    document["customer"]["id"] = f"cust-{uuid.uuid4().hex[:10]}"
    return document


def post(runtime: RuntimeProcess, body: Any, key: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key or runtime['sources'][0]['key']}", **kwargs.pop("headers", {})}
    if "data" not in kwargs:
        kwargs["json"] = body
    return requests.post(runtime.url("/v1/feedback"), headers=headers, timeout=10, **kwargs)


def table_scan(runtime: RuntimeProcess, **options: Any) -> list[dict[str, Any]]:
    """Scan pages of the table, asked of the runtime's moto server the way the AWS CLI would."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=runtime["moto_url"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    table = client.list_tables()["TableNames"][0]
    return list(client.get_paginator("scan").paginate(TableName=table, **options))


def settle(runtime: RuntimeProcess) -> None:
    """Let the runtime finish what earlier requests set off (streams, the bus, queues)."""
    moved = requests.post(runtime.url("/_local/clock"), json={"advance_seconds": 0}, timeout=60)
    assert moved.status_code == 200, moved.text


def item_count(runtime: RuntimeProcess) -> int:
    return sum(page["Count"] for page in table_scan(runtime, Select="COUNT"))


def test_create_duplicate_update_and_held(runtime: RuntimeProcess) -> None:
    negative = sample("ingest_feedback_negative.json")
    created = post(runtime, negative)
    assert created.status_code == 201
    body = created.json()
    assert (body["verdict"], body["priority"], body["status"]) == ("negative", "P2", "created")
    assert body["case_id"].startswith("cs_")

    duplicate = post(runtime, negative)
    assert (duplicate.status_code, duplicate.json()) == (200, {**body, "status": "duplicate"})

    negative["comment"] = "Ingen svarte. Jeg sier opp."
    updated = post(runtime, negative)
    assert updated.status_code == 200
    assert updated.json() == {**body, "status": "updated"}  # same ids, same case

    held = sample("ingest_feedback_positive.json")
    held["score"] = None
    answer = post(runtime, held)
    assert (answer.status_code, answer.json()["status"], answer.json()["verdict"]) == (202, "held", None)
    held["score"] = {"type": "csat", "value": 5}
    scored = post(runtime, held)
    assert (scored.status_code, scored.json()["status"], scored.json()["verdict"]) == (
        200,
        "updated",
        "positive",
    )


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "{oops", "headers": {"Content-Type": "application/json"}}, 400),
        ({"key": "rlk_demo-web_not-the-key"}, 401),
        ({"data": "a=b", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415),
        ({"data": json.dumps({"x": "y" * 300_000}), "headers": {"Content-Type": "application/json"}}, 413),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    runtime: RuntimeProcess, kwargs: dict[str, Any], status: int
) -> None:
    # The shared runtime's clock runs: a schedule may write while the request is answered. A refusal
    # that writes would do so every time, so one attempt with the table unchanged around it shows it.
    unchanged = []
    for _ in range(3):
        settle(runtime)
        before = item_count(runtime)
        response = post(runtime, sample("ingest_feedback_negative.json"), **kwargs)
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/problem+json"
        settle(runtime)
        unchanged.append(item_count(runtime) == before)
        if unchanged[-1]:
            break
    assert any(unchanged), "the refusal wrote an item in each of three attempts"


def test_schema_errors_are_problem_documents(runtime: RuntimeProcess) -> None:
    before = item_count(runtime)
    bad = sample("ingest_feedback_negative.json")
    bad["score"]["value"] = 42
    del bad["customer"]
    response = post(runtime, bad)
    assert response.status_code == 400
    problem = response.json()
    assert {e["pointer"] for e in problem["errors"]} == {"/score/value", "/customer"}
    assert item_count(runtime) == before


def test_health_openapi_and_docs(runtime: RuntimeProcess) -> None:
    assert requests.get(runtime.url("/v1/health"), timeout=10).json() == {"status": "ok"}
    document = requests.get(runtime.url("/v1/openapi.json"), timeout=10).json()
    assert {"/v1/feedback", "/v1/feedback/batch", "/v1/health"} <= set(document["paths"])
    page = requests.get(runtime.url("/docs"), timeout=10)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)  # assets inlined, no CDN


def test_data_survives_a_restart_with_state(start_runtime: Any, tmp_path: Any) -> None:
    state = tmp_path / "state"
    first = start_runtime("--state", str(state))
    feedback = sample("ingest_feedback_negative.json")
    created = post(first, feedback).json()
    key = first["sources"][0]["key"]
    first.stop()

    second = start_runtime("--state", str(state))
    assert second["sources"][0]["key"] == key
    again = post(second, feedback)
    assert again.status_code == 200
    assert again.json() == {**created, "status": "duplicate"}


def counters(runtime: RuntimeProcess) -> dict[str, int]:
    """The whole-team feedback counters (no group), summed over every team and hour."""
    totals = {"volume": 0, "negatives": 0, "cases": 0}
    for page in table_scan(runtime):
        for item in page["Items"]:
            if item["pk"]["S"].startswith("STAT#"):
                for metric in totals:
                    totals[metric] += int(item.get(metric, {}).get("N", "0"))
    return totals


def test_stream_keeps_counting_after_a_cancelled_transaction(start_runtime: Any) -> None:
    # GIVEN a runtime of its own, and a negative stored once
    runtime = start_runtime()
    negative = sample("ingest_feedback_negative.json")
    assert post(runtime, negative).status_code == 201
    # WHEN the same negative is delivered again (its transaction is cancelled: the response exists)
    assert post(runtime, negative).status_code == 200
    # AND a positive arrives, and the negative is then updated to a neutral score
    assert post(runtime, sample("ingest_feedback_positive.json")).status_code == 201
    negative["score"] = {"type": "nps", "value": 7}
    negative["comment"] = None
    assert post(runtime, negative).json()["status"] == "updated"
    # THEN the stream function saw every committed change, and nothing from the cancelled one; the case
    # stands, and counts the response that opened it as a negative (docs/counters.md, "One team per case")
    deadline = time.monotonic() + 5
    while counters(runtime) != {"volume": 2, "negatives": 1, "cases": 1}:
        assert time.monotonic() < deadline, counters(runtime)
        time.sleep(0.1)


def test_concurrent_duplicates_lose_no_stream_record(start_runtime: Any) -> None:
    # GIVEN a runtime of its own, and three survey tools posting at once, each retrying every negative
    # (each retry's transaction is cancelled: moto rolls the table back while others keep writing)
    runtime = start_runtime()
    negatives = [sample("ingest_feedback_negative.json") for _ in range(12)]
    positives = [sample("ingest_feedback_positive.json") for _ in range(12)]

    def deliver(index: int) -> None:
        for step in range(index, 12, 3):
            assert post(runtime, negatives[step]).status_code == 201
            assert post(runtime, negatives[step]).status_code == 200
            assert post(runtime, positives[step]).status_code == 201

    threads = [threading.Thread(target=deliver, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # THEN every committed response was counted once
    deadline = time.monotonic() + 10
    while counters(runtime) != {"volume": 24, "negatives": 12, "cases": 12}:
        assert time.monotonic() < deadline, counters(runtime)
        time.sleep(0.1)
