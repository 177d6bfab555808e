"""The outbox on fakes: a poison record is parked whole and the rest goes on; a transient failure names
the first record not done; counters stay exact however Lambda cuts and redelivers a batch."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from recovery.errors import TransientFailure
from recovery.notify.bus import RecordingPublisher
from recovery.notify.dead_letters import PARKED_RECORD, RecordingDeadLetters
from recovery.services.stream_processor import StreamProcessor
from recovery.store.counters import Counted, Part, marker_pk, minute_of, record_digest

NOW = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 22, 10, 5, 30, tzinfo=UTC)
_serialise = TypeSerializer().serialize


class MemoryCounters:
    """CounterStore in memory, markers included: a part's marker must not exist, and `counted` finds the
    records the markers of their creation minutes name. It fails or crashes on request."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.markers: dict[tuple[str, str], set[str]] = {}
        self.fail_at: int | None = None  # the n-th apply (from 0) raises TransientFailure, nothing applied
        self.crash_at: int | None = None  # the n-th apply commits, then the process dies (a timeout)
        self.applies = 0

    def counted(self, records: Sequence[Counted]) -> set[str]:
        found = set()
        for record in records:
            for (pk, _), digests in self.markers.items():
                if pk == marker_pk(minute_of(record.created)) and record_digest(record.event_id) in digests:
                    found.add(record.event_id)
        return found

    def apply(self, part: Part, now: datetime) -> bool:
        attempt, self.applies = self.applies, self.applies + 1
        if attempt == self.fail_at:
            raise TransientFailure("TransactionConflictException")
        key = (marker_pk(part.minute), part.key)
        if key in self.markers:
            return False
        self.markers[key] = {record_digest(event_id) for event_id in part.completes}
        for (team, hour), amounts in part.operations:
            for name, amount in amounts:
                self.counts[(team, hour, name)] += amount
        if attempt == self.crash_at:
            raise RuntimeError("Task timed out after 60.00 seconds")
        return True

    def volume(self, team: str = "emea") -> int:
        return sum(n for (t, _, name), n in self.counts.items() if t == team and name == "volume")


def feedback(n: int, created: datetime = CREATED, team: str = "emea") -> dict[str, Any]:
    """An INSERT of a scored positive response, as Lambda delivers it."""
    image = {
        "pk": f"FB#web#r{n}",
        "sk": "FB",
        "feedback_id": f"fb_{n}",
        "status": "scored",
        "verdict": "positive",
        "occurred_at": "2026-11-22T10:05:00.000000+0000",
        "team": team,
        "channel": "chat",
        "source": "web",
        "content_hash": f"h{n}",
    }
    return {
        "eventID": f"event-{n:04}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": int(created.timestamp()),
            "Keys": {"pk": {"S": image["pk"]}, "sk": {"S": "FB"}},
            "NewImage": {name: _serialise(value) for name, value in image.items()},
            "SequenceNumber": f"{100000000000000000000 + n}",
            "SizeBytes": 300,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-22T00:00:00.000",
    }


def poison(n: int) -> dict[str, Any]:
    """A record no reader can read: an attribute of an unknown DynamoDB type."""
    record = feedback(n)
    record["dynamodb"]["NewImage"]["verdict"] = {"Q": "negative"}
    return record


def processor(
    counters: MemoryCounters | None = None,
) -> tuple[StreamProcessor, MemoryCounters, RecordingPublisher, Any]:
    counters = counters or MemoryCounters()
    bus, dead_letters = RecordingPublisher(), RecordingDeadLetters()
    return StreamProcessor(counters, bus, dead_letters, now=lambda: NOW), counters, bus, dead_letters


def published(bus: RecordingPublisher) -> list[str]:
    return sorted(item["feedback_id"] for event in bus.events for item in event.detail.get("feedback", []))


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


# --- poison records -----------------------------------------------------------------------------------


def test_a_poison_record_is_parked_whole_with_its_reason_and_the_rest_is_processed() -> None:
    # GIVEN a batch whose second record can't be read
    box, counters, bus, dead_letters = processor()
    records = [feedback(1), poison(2), feedback(3)]

    # WHEN it is processed
    delivery = box.process(copy.deepcopy(records))

    # THEN the batch succeeds: the other two are published and counted
    assert delivery.response() == {"batchItemFailures": []}
    assert published(bus) == ["fb_1", "fb_3"] and counters.volume() == 2
    # AND the poison record is parked as Lambda delivered it, with the reason, to be replayed days later
    [message] = dead_letters.parked
    assert message["kind"] == PARKED_RECORD and message["record"] == records[1]
    assert "TypeError" in message["reason"] and message["parkedAt"].startswith("2026-11-22T11:00")
    assert delivery.parked == 1


def test_a_record_that_could_not_be_parked_is_named_and_everything_before_it_is_done() -> None:
    # GIVEN the DLQ throttles the one park
    box, counters, _, dead_letters = processor()
    dead_letters.failures = 1
    records = [feedback(1), poison(2), feedback(3)]

    # WHEN the batch is processed
    delivery = box.process(records)

    # THEN Lambda is told to resume at the poison record; the records around it are done
    assert delivery.response() == {"batchItemFailures": [{"itemIdentifier": sequence(records[1])}]}
    assert counters.volume() == 2 and dead_letters.parked == []
    # AND on the redelivery from there the record is parked and nothing is counted twice
    assert box.process(records[1:]).response() == {"batchItemFailures": []}
    assert len(dead_letters.parked) == 1 and counters.volume() == 2


def test_a_replayed_parked_record_that_still_cannot_be_read_is_reported_not_parked_again() -> None:
    box, _, _, dead_letters = processor()
    record = poison(7)
    delivery = box.process([record], park=False)
    assert delivery.response() == {"batchItemFailures": [{"itemIdentifier": sequence(record)}]}
    assert dead_letters.parked == [] and "TypeError" in str(delivery.failure)


def test_without_a_dead_letter_queue_a_poison_record_is_reported() -> None:
    counters = MemoryCounters()
    box = StreamProcessor(counters, RecordingPublisher(), None, now=lambda: NOW)
    records = [feedback(1), poison(2)]
    assert box.process(records).response() == {
        "batchItemFailures": [{"itemIdentifier": sequence(records[1])}]
    }
    assert counters.volume() == 1


# --- transient failures -------------------------------------------------------------------------------


def test_a_refused_put_events_names_the_first_record_and_counts_nothing() -> None:
    # GIVEN PutEvents refuses an entry (throttled)
    box, counters, bus, dead_letters = processor()
    bus.failures = 1
    records = [feedback(1), feedback(2), poison(3)]

    # WHEN the batch is processed
    delivery = box.process(records)

    # THEN Lambda is told to deliver it again from the first record; nothing was counted or parked yet
    assert delivery.response() == {"batchItemFailures": [{"itemIdentifier": sequence(records[0])}]}
    assert counters.counts == Counter() and dead_letters.parked == []
    assert "ThrottlingException" in str(delivery.failure)


def test_a_failed_counter_transaction_names_the_first_record_it_did_not_count() -> None:
    # GIVEN records of two creation minutes (two transactions), and the second transaction fails
    box, counters, _, _ = processor()
    counters.fail_at = 1
    later = CREATED + timedelta(minutes=1)
    records = [feedback(1), feedback(2), feedback(3, later), feedback(4, later)]

    # WHEN the batch is processed
    delivery = box.process(records)

    # THEN the first minute is counted and Lambda resumes at the first record of the second
    assert delivery.response() == {"batchItemFailures": [{"itemIdentifier": sequence(records[2])}]}
    assert counters.volume() == 2 and delivery.counted == 2


# --- exact counters across redeliveries ---------------------------------------------------------------


def batch(size: int = 8) -> list[dict[str, Any]]:
    """Records over three creation minutes, so counting takes three transactions."""
    return [feedback(n, CREATED + timedelta(minutes=n * 3 // size)) for n in range(size)]


def test_counts_are_exact_when_a_failed_batch_comes_back_as_halves_then_as_the_reported_suffix() -> None:
    # GIVEN a batch whose second counter transaction fails once it is under way
    box, counters, _, _ = processor()
    counters.fail_at = 1
    records = batch()
    first = box.process(copy.deepcopy(records))
    checkpoint = [sequence(r) for r in records].index(
        first.response()["batchItemFailures"][0]["itemIdentifier"]
    )
    assert 0 < checkpoint < len(records) and 0 < counters.volume() < len(records)

    # WHEN Lambda delivers the batch again cut in other ways: halves (a bisect), then the suffix from the
    # reported checkpoint, then the whole batch once more (a replay of its OnFailure pointer)
    half = len(records) // 2
    for delivery in (records[:half], records[half:], records[checkpoint:], records):
        assert box.process(copy.deepcopy(delivery)).response() == {"batchItemFailures": []}

    # THEN every record is counted exactly once
    assert counters.volume() == len(records)


def test_counts_are_exact_when_the_function_dies_right_after_a_transaction_committed() -> None:
    # GIVEN the function times out just after its first counter transaction committed
    box, counters, _, _ = processor()
    counters.crash_at = 0
    records = batch()
    with pytest.raises(RuntimeError):
        box.process(copy.deepcopy(records))
    assert counters.volume() > 0

    # WHEN Lambda bisects the failed batch, and bisects its halves again
    quarter = len(records) // 4
    for start in range(0, len(records), quarter):
        assert (
            box.process(copy.deepcopy(records[start : start + quarter])).response()["batchItemFailures"] == []
        )

    # THEN every record is counted exactly once
    assert counters.volume() == len(records)


def test_every_contiguous_redelivery_after_any_failing_transaction_counts_each_record_once() -> None:
    # GIVEN each transaction in turn failing on the first delivery
    records = batch(6)
    for fail_at in range(3):
        box, counters, _, _ = processor()
        counters.fail_at = fail_at
        box.process(copy.deepcopy(records))
        # WHEN every contiguous piece of the batch is delivered again
        for start in range(len(records)):
            for end in range(start + 1, len(records) + 1):
                box.process(copy.deepcopy(records[start:end]))
        # THEN each record counts once
        assert counters.volume() == len(records), fail_at
