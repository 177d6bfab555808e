"""Budget 3: counter write units per feedback, over a stream batch of 100 feedback, under moto.

100 feedback are committed through the real ingest handler (a few teams, channels and both sources, over
two UTC hours), their stream records are read from moto's stream, and the stream function handles them.
Its DynamoDB writes are counted in write units and divided by the feedback count. Its PutEvents entries
(to the real moto bus) are counted too, with their size in 64 KB billing chunks.

Two cuts of the same records:
- one invocation with the records of the 100 feedback (feedback and case records together), the
  budget's definition;
- the records cut into batches of 100 records, as the event source mapping (BatchSize 100) delivers a
  steady stream; with negatives, case records share the batch, so fewer feedback carry each batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import calls as calls_
from bench import sizing
from bench.harness import invoke, post, sandbox
from bench.scenario import stream_mix
from tests.support import StreamReader

RECORDS_PER_BATCH = 100


def _handle(box: Any, stream: Any, batches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    write_units = 0
    entries: list[dict[str, Any]] = []
    writes: list[dict[str, Any]] = []
    round_trips = 0
    per_batch = []
    for batch in batches:
        with box.recorder.capture() as seen:
            invoke(stream, {"Records": batch})
        round_trips += len(seen)
        batch_units = 0
        for call in seen:
            for units in calls_.item_units(call, box.recorder.schema):
                batch_units += units.total
                writes.append(
                    {"kind": units.kind, "action": units.action, "size": units.size, "units": units.total}
                )
            if call.name == "events:PutEvents":
                entries += call.params.get("Entries") or []
        write_units += batch_units
        feedback = sum(1 for record in batch if record["dynamodb"]["Keys"]["pk"]["S"].startswith("FB#"))
        per_batch.append({"records": len(batch), "feedback": feedback, "write_units": batch_units})
    sizes = [sizing.eventbridge_entry_size(entry) for entry in entries]
    return {
        "invocations": len(batches),
        "batches": per_batch,
        "round_trips": round_trips,
        "write_units": write_units,
        "items_written": len(writes),
        "items_by_kind": {
            kind: sum(1 for w in writes if w["kind"] == kind) for kind in sorted({w["kind"] for w in writes})
        },
        "largest_item_bytes": max((w["size"] for w in writes), default=0),
        "put_events_entries": len(entries),
        "event_chunks_64kb": sum(sizing.eventbridge_chunks(size) for size in sizes),
        "largest_event_bytes": max(sizes, default=0),
        "event_types": sorted({str(entry.get("DetailType")) for entry in entries}),
    }


def measure(total: int, negatives: int, progress: Callable[[str], None]) -> dict[str, Any]:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    plan = stream_mix(total, negatives, start)
    with sandbox() as box:
        ingest = box.load("ingest")
        stream = box.load("stream")
        reader = StreamReader(box.stack.table)
        for number, planned in enumerate(plan, 1):
            status, answer = post(ingest, planned.body, planned.source)
            if status != 201:
                raise AssertionError(f"{planned.kind} answered {status} {answer}")
            if number % 50 == 0:
                progress(f"stream mix {negatives}% negative: {number}/{total} feedback committed")
        records = reader.read(("FB#", "CASE#"))
        feedback_records = sum(1 for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("FB#"))
        assert feedback_records == total, f"{feedback_records} feedback records for {total} feedback"

        once = _handle(box, stream, [records])
        # Same records again, cut as the event source mapping cuts them, as new records (new event ids:
        # the counters count each record once, so the originals would be skipped); the units per item are
        # the same (counter items stay far below 1 KB).
        renamed = [{**record, "eventID": record["eventID"] + "-cut"} for record in records]
        cuts = [renamed[i : i + RECORDS_PER_BATCH] for i in range(0, len(renamed), RECORDS_PER_BATCH)]
        cut = _handle(box, stream, cuts)
        # The smallest batch: one feedback alone (a quiet hour, one record per batching window).
        first = next(r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("FB#"))
        alone = _handle(box, stream, [[{**first, "eventID": first["eventID"] + "-alone"}]])
        mismatches = list(box.recorder.mismatches)

    full = cut["batches"][0]
    return {
        "feedback": total,
        "negatives": negatives,
        "records": len(records),
        "mix": {
            "teams": len({planned.body["interaction"]["team"] for planned in plan}),
            "channels": len({planned.body["interaction"]["channel"] for planned in plan}),
            "sources": len({planned.source for planned in plan}),
            "utc_hours": len({planned.body["occurred_at"][:13] for planned in plan}),
        },
        "one_invocation": {**once, "write_units_per_feedback": round(once["write_units"] / total, 4)},
        "batches_of_100_records": {
            **cut,
            "write_units_per_feedback": round(cut["write_units"] / total, 4),
            "first_batch_write_units_per_feedback": round(full["write_units"] / full["feedback"], 4),
        },
        "one_feedback_alone": {**alone, "write_units_per_feedback": alone["write_units"]},
        "put_events_entries_per_feedback": round(once["put_events_entries"] / total, 4),
        "event_chunks_per_feedback": round(once["event_chunks_64kb"] / total, 4),
        "invocations_per_feedback": round(math.ceil(len(records) / RECORDS_PER_BATCH) / total, 4),
        "records_sample": records,
        "hook_mismatches": mismatches,
    }
