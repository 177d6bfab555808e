"""The console's queue API in the embedded runtime: time to first byte of `GET /v1/cases` (one page of
25) with 1,000 open cases in the team's queue, signed in as the demo lead, against `GET /v1/health`
(no storage, no authorizer) in the same run."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bench.alerts_latency import percentile, runtime

TEAM = "support-emea"
PAGE = 25
WARMUP = 5


def bind_to_runtime(moto_url: str) -> str:
    """Point the models at the runtime's table on its moto server; returns the table's name."""
    import os

    import boto3

    from recovery.store import models

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    table = str(next(name for name in dynamodb.list_tables()["TableNames"]))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")  # moto's server takes any credentials
    models.bind(table, "us-east-1", host=moto_url)
    return table


def sign_in(host: str, port: int, login: dict[str, str]) -> dict[str, str]:
    """The demo lead's bearer header, from `POST /v1/session`."""
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request(
            "POST",
            "/v1/session",
            body=json.dumps({"username": login["username"], "password": login["password"]}),
            headers={"content-type": "application/json"},
        )
        token = json.loads(connection.getresponse().read())["token"]
    finally:
        connection.close()
    return {"authorization": f"Bearer {token}"}


def seed_open_cases(moto_url: str, count: int, now: datetime) -> str:
    """`count` open, alerted cases of the demo team, written straight into the runtime's table."""
    from recovery.store.cases import queue_partition, queue_sort_key
    from recovery.store.models import CaseItem

    table = bind_to_runtime(moto_url)
    with CaseItem.batch_write() as batch:
        for index in range(count):
            case_id = f"cs_bench{index:016d}"
            opened = now - timedelta(minutes=index % 50)
            ack_due = opened + timedelta(minutes=15)
            priority = 1 + index % 4
            batch.save(
                CaseItem(
                    f"CASE#{case_id}",
                    "CASE",
                    case_id=case_id,
                    feedback_pk=f"FB#bench#{index}",
                    feedback_id=f"fb_bench{index}",
                    source="demo-web",
                    status="open",
                    priority=priority,
                    team=TEAM,
                    channel="chat",
                    agent="mark",
                    customer_key=f"bench{index}",
                    opened_at=opened,
                    occurred_at=opened,
                    ack_due_at=ack_due,
                    resolve_due_at=opened + timedelta(hours=24),
                    alert_state="sent",
                    level=1,
                    queue_pk=queue_partition(TEAM, "open"),
                    queue_sk=queue_sort_key(priority, ack_due, case_id),
                    cust_pk=f"CUST#bench{index}",
                    cust_sk=f"CASE#{index}",
                    version=1,
                )
            )
    return table


def first_byte(
    host: str, port: int, path: str, headers: dict[str, str], timeout: float = 60
) -> tuple[float, int, bytes]:
    """Seconds from sending the request to the status line and headers; a fresh connection each time."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.connect()
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        elapsed = time.perf_counter() - started
        return elapsed, response.status, response.read()
    finally:
        connection.close()


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def measure(open_cases: int, samples: int, progress: Callable[[str], None]) -> dict[str, Any]:
    with runtime() as running:
        parts = urlsplit(running.api_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        seed_open_cases(running.info["moto_url"], open_cases, running.clock())
        progress(f"{open_cases} open cases in the {TEAM} queue")
        auth = sign_in(host, port, running.info["console_login"])
        queue_path = f"/v1/cases?status=open&limit={PAGE}"
        queue: list[float] = []
        health: list[float] = []
        listed = 0
        for index in range(WARMUP + samples):
            elapsed, status, body = first_byte(host, port, queue_path, auth)
            if status != 200:
                raise RuntimeError(f"GET {queue_path}: {status} {body[:300]!r}")
            listed = len(json.loads(body)["items"])
            base, status, _ = first_byte(host, port, "/v1/health", {})
            if index >= WARMUP:
                queue.append(elapsed)
                health.append(base)
        progress(f"queue first byte p50 {percentile(queue, 0.5) * 1000:.0f} ms over {samples} requests")
    return {
        "open_cases": open_cases,
        "page": PAGE,
        "listed": listed,
        "samples": samples,
        "warmup": WARMUP,
        "queue_first_byte": _summary(queue),
        "health_first_byte": _summary(health),
        "ratio_p50_to_health": round(percentile(queue, 0.5) / percentile(health, 0.5), 2),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def budgets(results: dict[str, Any]) -> list[Any]:
    from bench.report import Budget

    first = results["queue_first_byte"]
    return [
        Budget(
            "console_queue_first_byte_p50",
            f"console queue API first byte, {results['open_cases']:,} open cases, embedded runtime, p50",
            round(first["p50_ms"] / 1000, 3),
            "s",
            None,
            f"GET /v1/cases?status=open&limit={results['page']} signed in, fresh connection each, "
            f"{results['samples']} requests after {results['warmup']} warm-up; p95 {first['p95_ms']:.0f} ms; "
            f"GET /v1/health in the same run p50 {results['health_first_byte']['p50_ms']:.0f} ms "
            f"({results['ratio_p50_to_health']}x)",
        )
    ]
