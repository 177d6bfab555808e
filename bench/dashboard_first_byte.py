"""The dashboard's data in the embedded runtime: time to first byte of `GET /v1/reports/dashboard` for a
30-day range holding 100k feedback, signed in as the demo lead, against `GET /v1/health` (no storage, no
authorizer) in the same run.

The 100k feedback's counters are written into the runtime's table by `bench/history.py` (the stream
function's own counting code, bound to the runtime's moto server), as the stream function would have
written them. The dashboard reads the current and the previous 30 days (the headline changes), so it reads
twice the range's hours, plus markers and anomalies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bench import history
from bench.alerts_latency import percentile, runtime
from bench.console_queue import _summary, bind_to_runtime, first_byte, sign_in

WARMUP = 1
# moto serialises every attribute of every counter item it answers a Query with, at tens of
# microseconds each: at 100k feedback the dashboard's two 720-item reads take minutes in the runtime.


def measure(feedback: int, samples: int, progress: Callable[[str], None]) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    date_from, date_to = history.period(today)
    with runtime() as running:
        parts = urlsplit(running.api_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        bind_to_runtime(running.info["moto_url"])
        seeded = history.seed(feedback, today, progress)
        progress(f"{feedback:,} feedback counted into the runtime's table ({seeded['batches']} batches)")
        auth = sign_in(host, port, running.info["console_login"])
        path = f"/v1/reports/dashboard?team={history.TEAM}&from={date_from}&to={date_to}"
        dashboard: list[float] = []
        health: list[float] = []
        size = 0
        for index in range(WARMUP + samples):
            elapsed, status, body = first_byte(host, port, path, auth, timeout=900)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
            document = json.loads(body)
            volume = document["headline"]["volume"]["value"]
            if volume != feedback:
                raise RuntimeError(f"the dashboard counted {volume} feedback of {feedback}")
            size = len(body)
            base, status, _ = first_byte(host, port, "/v1/health", {})
            if index >= WARMUP:
                dashboard.append(elapsed)
                health.append(base)
        progress(
            f"dashboard first byte p50 {percentile(dashboard, 0.5) * 1000:.0f} ms over {samples} requests"
        )
    return {
        "feedback": feedback,
        "days": history.DAYS,
        "samples": samples,
        "warmup": WARMUP,
        "response_bytes": size,
        "dashboard_first_byte": _summary(dashboard),
        "health_first_byte": _summary(health),
        "ratio_p50_to_health": round(percentile(dashboard, 0.5) / percentile(health, 0.5), 2),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def budgets(results: dict[str, Any]) -> list[Any]:
    from bench.report import Budget

    first = results["dashboard_first_byte"]
    return [
        Budget(
            "dashboard_first_byte_p50",
            f"dashboard data first byte, {results['feedback']:,} feedback over {results['days']} days, "
            "embedded runtime, p50",
            round(first["p50_ms"] / 1000, 3),
            "s",
            None,
            f"GET /v1/reports/dashboard signed in, fresh connection each, {results['samples']} "
            f"requests after {results['warmup']} warm-up; p95 {first['p95_ms']:.0f} ms; "
            f"{results['response_bytes']:,} bytes; "
            f"GET /v1/health in the same run p50 {results['health_first_byte']['p50_ms']:.0f} ms "
            f"({results['ratio_p50_to_health']}x)",
        )
    ]
