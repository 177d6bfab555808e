"""A customer's data over HTTP on the embedded runtime: exported with the admin key, then erased, with
nothing of the person left in the table (read through the runtime's moto server)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.conftest import RuntimeProcess, admin_cli
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


def customer() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    return {"id": f"cust-{tag}", "name": f"Zelda Quist{tag}", "email": f"zelda.{tag}@example.com"}


def post(runtime: RuntimeProcess, who: dict[str, Any], score: int, comment: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        json.loads((EVENTS / "ingest_feedback_negative.json").read_text())["body"]
    )
    body.update(external_id=f"resp-{uuid.uuid4().hex[:10]}", customer=who, comment=comment)
    body["score"] = {"type": "nps", "value": score}
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def admin(runtime: RuntimeProcess, method: str, who: str, key: str | None = None) -> requests.Response:
    return requests.request(
        method,
        runtime.url(f"/v1/admin/customers/{who}"),
        headers={"Authorization": f"Bearer {key or runtime['admin_key']}"},
        timeout=30,
    )


def items_holding(runtime: RuntimeProcess, *needles: str) -> list[str]:
    """Keys of the items (a Scan of the whole table, through moto's server) that hold any needle."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=runtime["moto_url"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    table = client.list_tables()["TableNames"][0]
    found = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            # A kept webhook delivery's bytes (a Binary attribute) are read as text too.
            text = json.dumps(item, default=lambda raw: bytes(raw).decode("utf-8", "replace")).casefold()
            if any(needle.casefold() in text for needle in needles):
                found.append(f"{item['pk']['S']} {item['sk']['S']}")
    return found


def test_export_then_erase(runtime: RuntimeProcess) -> None:
    # GIVEN a customer with a negative (and its case) and a positive
    who = customer()
    negative = post(runtime, who, 2, "The courier never came, three days in a row")
    post(runtime, who, 9, "Second order arrived early, thanks")
    needles = (who["name"], who["email"], "courier never came", "arrived early")

    # WHEN the admin exports them
    exported = admin(runtime, "GET", who["id"])
    # THEN both responses, the case and its timeline are in it
    assert exported.status_code == 200, exported.text
    export = exported.json()
    assert export["customer"]["name"] == who["name"] and len(export["feedback"]) == 2
    assert [case["case"]["case_id"] for case in export["cases"]] == [negative["case_id"]]
    assert items_holding(runtime, *needles)

    # WHEN the admin erases them
    erased = admin(runtime, "DELETE", who["id"])
    # THEN nothing of the person is left anywhere, and the case's timeline records the erasure
    assert erased.status_code == 200, erased.text
    assert erased.json()["redacted"]["feedback"] == 2 and erased.json()["erased_events"] == 1
    assert items_holding(runtime, *needles) == []
    after = admin(runtime, "GET", who["id"]).json()
    assert after["customer"]["erased_at"] and "name" not in after["customer"]
    assert "erased" in [event["kind"] for event in after["cases"][0]["timeline"]]
    # and a second erase has nothing left to do
    assert admin(runtime, "DELETE", who["id"]).json()["redacted_total"] == 0


def test_refusals(runtime: RuntimeProcess) -> None:
    assert admin(runtime, "GET", "cust-nobody-at-all").status_code == 404
    assert admin(runtime, "DELETE", "cust-x?by=name").status_code == 400
    refused = admin(runtime, "DELETE", "cust-x", key="rla_wrong")
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"


def test_cli_exports_and_erases_by_email(runtime: RuntimeProcess) -> None:
    # GIVEN a customer the survey tool knows only by email
    who = customer()
    post(runtime, {"email": who["email"], "name": who["name"]}, 3, "Nobody picked up the phone")
    # WHEN the CLI exports, then erases them
    exported = admin_cli(runtime, "customers", "export", who["email"], "--by", "email")
    erased = admin_cli(runtime, "customers", "erase", who["email"], "--by", "email")
    # THEN the export held their comment and the erase removed it
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["feedback"][0]["detail"]["comment"] == "Nobody picked up the phone"
    assert erased.returncode == 0 and json.loads(erased.stdout)["redacted"]["feedback"] == 1
    assert items_holding(runtime, who["email"], "Nobody picked up the phone") == []
    assert admin_cli(runtime, "customers", "export", "nobody@example.com", "--by", "email").returncode == 1
