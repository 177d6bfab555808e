"""The hook route's answer time in the embedded runtime: signed Typeform deliveries (a third of them
detractors, which open a case) to the demo source's hook, each timed from sending to the whole answer.
The vendor-facing limit is 5 s (Formbricks and others time out there and redeliver)."""

from __future__ import annotations

import http.client
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bench.alerts_latency import percentile, runtime

SOURCE = "demo-typeform"
LIMIT_S = 5.0
WARMUP = 5


def body(now: str, token: str, score: int) -> bytes:
    document = {
        "event_id": f"evt-{token}",
        "event_type": "form_response",
        "form_response": {
            "form_id": "bench",
            "token": token,
            "submitted_at": now,
            "hidden": {"customer_id": f"c-{token}"},
            "answers": [
                {
                    "type": "number",
                    "number": score,
                    "field": {"id": "a", "type": "opinion_scale", "ref": "nps"},
                },
                {
                    "type": "text",
                    "text": "Bench run.",
                    "field": {"id": "b", "type": "long_text", "ref": "why"},
                },
            ],
        },
    }
    return json.dumps(document).encode("utf-8")


def measure(samples: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery.sources import config, signatures

    scheme = config.resolve(
        config.parse_source(
            {"id": SOURCE, "name": "x", "preset": "typeform", "options": {"score_ref": "nps"}}
        )
    ).signature
    rng = random.Random(7)
    times: list[float] = []
    statuses: dict[int, int] = {}
    with runtime() as running:
        source = next(item for item in running.info["sources"] if item["id"] == SOURCE)
        parts = urlsplit(source["hook_url"])
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        now = running.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        for index in range(WARMUP + samples):
            raw = body(now, uuid.uuid4().hex, rng.choice((1, 9, 10)))
            headers = {"content-type": "application/json"}
            headers |= signatures.sign(scheme, source["secret"], raw, headers, datetime.now(UTC))
            started = time.perf_counter()
            connection.request("POST", parts.path, body=raw, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            if index >= WARMUP:
                times.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()
    progress(f"hook answer p95 {percentile(times, 0.95) * 1000:.0f} ms over {samples} deliveries, {statuses}")
    return {
        "samples": samples,
        "warmup": WARMUP,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "limit_s": LIMIT_S,
    }


def budgets(results: dict[str, Any]) -> list[Any]:
    from bench.report import Budget

    return [
        Budget(
            "hook_answer_max",
            f"hook route answer, signed Typeform deliveries, embedded runtime, max of {results['samples']}",
            round(results["max_ms"] / 1000, 3),
            "s",
            results["limit_s"],
            f"POST /v1/hooks/{SOURCE}, keep-alive connection, send to whole answer; statuses "
            f"{results['statuses']}; p50 {results['p50_ms']:.0f} ms, p95 {results['p95_ms']:.0f} ms",
        )
    ]
