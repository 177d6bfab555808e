"""Budgets 1 and 2: AWS round trips and request-path write units per feedback, warm, under moto.

Nothing here is timed: moto is slow. Each request's botocore calls are counted through hooks on every
client in play, and write units are computed from the request parameters with DynamoDB's sizing rules.
"""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench import calls as calls_
from bench.harness import post, sandbox
from bench.scenario import ingest_plan, negative, positive

EXPECTED = {
    "positive": ("positive", None),
    "negative": ("negative", None),
    "negative_repeat": ("negative", "P1"),
}


def _summary(values: list[float]) -> dict[str, float]:
    return {"max": max(values), "mean": round(statistics.fmean(values), 3), "min": min(values)}


def measure(count: int, repeats: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery import clock

    now = datetime.now(UTC).replace(microsecond=0)
    plan = ingest_plan(count, repeats, now)
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in EXPECTED}
    with sandbox() as box:
        ingest = box.load("ingest")
        # One clock for the whole run: the source cache (60 s) stays warm however slow moto is.
        clock.set_source(lambda: now)
        # Warm: a positive caches the source and the PII secret; a negative from a customer of its own
        # caches the routing rules a negative's priority may be raised by (read at most once a minute).
        with box.recorder.capture() as warmup:
            status, _ = post(ingest, positive(99_999, now, random.Random(1), prefix="w"))
            assert status == 201, f"warm-up answered {status}"
            status, _ = post(ingest, negative(99_999, now, random.Random(1), prefix="wn"))
            assert status == 201, f"warm-up negative answered {status}"
        cold_calls = [call.name for call in warmup]

        for number, planned in enumerate(plan, 1):
            with box.recorder.capture() as seen:
                status, answer = post(ingest, planned.body, planned.source)
            verdict, priority = EXPECTED[planned.kind]
            if (
                status != 201
                or answer.get("verdict") != verdict
                or (priority and answer.get("priority") != priority)
            ):
                raise AssertionError(f"{planned.kind} answered {status} {answer}")
            items = [units for call in seen for units in calls_.item_units(call, box.recorder.schema)]
            samples[planned.kind].append(
                {
                    "round_trips": len(seen),
                    "calls": [call.name for call in seen],
                    "write_units": sum(units.total for units in items),
                    "read_units": sum(calls_.read_units(call) for call in seen),
                    "items": [
                        {
                            "kind": units.kind,
                            "action": units.action,
                            "operation": units.operation,
                            "size": units.size,
                            "table_units": units.table_units,
                            "index_units": units.index_units,
                        }
                        for units in items
                    ],
                    "body_bytes": len(json.dumps(planned.body, ensure_ascii=False).encode("utf-8")),
                }
            )
            if number % 25 == 0 or number == len(plan):
                progress(f"ingest under moto: {number}/{len(plan)} requests")
        mismatches = list(box.recorder.mismatches)

    kinds: dict[str, Any] = {}
    for kind, rows in samples.items():
        if not rows:
            continue
        worst = max(rows, key=lambda row: (row["write_units"], row["round_trips"]))
        kinds[kind] = {
            "requests": len(rows),
            "round_trips": _summary([row["round_trips"] for row in rows]),
            "write_units": _summary([row["write_units"] for row in rows]),
            "read_units": _summary([row["read_units"] for row in rows]),
            "body_bytes_max": max(row["body_bytes"] for row in rows),
            "call_sequences": dict(Counter(" -> ".join(row["calls"]) for row in rows)),
            "largest_request_items": worst["items"],
        }
    negatives = samples["negative"] + samples["negative_repeat"]
    return {
        "warmup_calls": cold_calls,
        "kinds": kinds,
        "negative_all": {
            "requests": len(negatives),
            "round_trips": _summary([row["round_trips"] for row in negatives]),
            "write_units": _summary([row["write_units"] for row in negatives]),
            "read_units": _summary([row["read_units"] for row in negatives]),
        },
        "hook_mismatches": mismatches,
    }
