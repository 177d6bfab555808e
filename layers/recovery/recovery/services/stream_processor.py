"""The stream processor: from committed table changes, publish domain events and move counters.

One delivery of stream records (a batch, a bisected half of one, the rest of one after a checkpoint, a
replay from the DLQ) goes through four steps:
1. Each record is read on its own: its change, its events, its counter deltas. A record that can't be
   read (a poison record: reading it raises) is set aside, and the others go on.
2. The events of the readable records are published. Consumers are idempotent, so publishing them again
   on a redelivery is harmless.
3. Their counters are applied, exactly once per record whatever Lambda redelivers
   (recovery.store.counters: markers that any later delivery of a record finds again).
4. Poison records are parked in the stream DLQ, whole, with the reason, so they can be replayed later.

A transient failure (PublishFailed, TransientFailure, ParkFailed) stops the delivery where it is; the
answer (`batchItemFailures`, as Lambda documents for DynamoDB streams) names the first record not done,
and Lambda delivers it and everything after it again. Anything else raises, so Lambda bisects the batch
(BisectBatchOnFunctionError) until the failing record is alone. Either way counters stay exact, because
step 3 skips what an earlier delivery applied. The reasoning: docs/counters.md ("Writing: exactly once
per record") and docs/operations.md ("The stream trigger").

Powertools' BatchProcessor handles records one at a time; this batch publishes and counts together
(one PutEvents call and one transaction per ~100 records), so it keeps its own loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from recovery import clock
from recovery.domain.changes import (
    Change,
    DomainEvent,
    FeedbackSummary,
    bus_events,
    case_events,
    counter_deltas,
    feedback_change,
)
from recovery.errors import TransientFailure
from recovery.notify.bus import EventPublisher, PublishFailed
from recovery.notify.dead_letters import DeadLetters, ParkFailed
from recovery.store.counters import Counted, Part, plan_parts

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse, PartialItemFailures


class Counters(Protocol):
    """The counter store as the stream processor uses it (recovery.store.counters.CounterStore)."""

    def counted(self, records: Sequence[Counted]) -> set[str]: ...

    def apply(self, part: Part, now: datetime) -> bool: ...


@dataclass(frozen=True)
class Reading:
    """What one stream record means."""

    index: int  # its place in the delivery
    sequence_number: str
    events: list[DomainEvent]
    feedback: FeedbackSummary | None
    counted: Counted | None  # None: it moves no counter

    @property
    def publishes(self) -> bool:
        return bool(self.events) or self.feedback is not None


def read_record(index: int, raw: Mapping[str, Any]) -> Reading:
    """One record as Lambda delivers it -> what it means; raises when the record can't be read."""
    record = DynamoDBRecord(dict(raw))
    stream = record.dynamodb
    if stream is None or not stream.sequence_number:
        raise ValueError("the record has no dynamodb.SequenceNumber")
    if record.event_name is None:
        raise ValueError("the record has no eventName")
    change = Change(
        event_id=record.event_id or "",
        name=record.event_name.name,  # type: ignore[arg-type]
        pk=str(stream.keys.get("pk", "")),
        old=stream.old_image or None,
        new=stream.new_image or None,
    )
    deltas = counter_deltas([change])
    counted = None
    if deltas:
        created = stream.approximate_creation_date_time
        if not record.event_id or created is None:
            raise ValueError("a record that moves counters needs its eventID and ApproximateCreationDateTime")
        counted = Counted(record.event_id, datetime.fromtimestamp(created, UTC), deltas)
    return Reading(index, stream.sequence_number, case_events(change), feedback_change(change), counted)


@dataclass(frozen=True)
class Delivery:
    """What became of one delivery; `failed_at` is the sequence number Lambda resumes from."""

    records: int
    events: int
    counted: int  # records whose counters were applied now
    already_counted: int  # records an earlier delivery had counted
    parts: int  # counter transactions applied now
    parked: int
    failed_at: str | None = None
    failure: str | None = None

    def response(self) -> PartialItemFailureResponse:
        failures: list[PartialItemFailures] = []
        if self.failed_at is not None:
            failures.append({"itemIdentifier": self.failed_at})
        return {"batchItemFailures": failures}


class StreamProcessor:
    def __init__(
        self,
        counters: Counters,
        bus: EventPublisher,
        dead_letters: DeadLetters | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._counters = counters
        self._bus = bus
        self._dead_letters = dead_letters
        self._now = now

    def process(self, records: Sequence[Mapping[str, Any]], park: bool = True) -> Delivery:
        """Publish and count a delivery of stream records. With `park` False (a replay of parked
        records) a record that still can't be read is reported as failed instead of parked again."""
        readings: list[Reading] = []
        poison: list[tuple[int, Mapping[str, Any], str]] = []
        for index, raw in enumerate(records):
            try:
                readings.append(read_record(index, raw))
            except Exception as error:  # whatever reading one record raises makes it poison, only it
                poison.append((index, raw, f"{type(error).__name__}: {error}"))
        progress = _Progress()
        events = bus_events((reading.events, reading.feedback) for reading in readings)
        # Events first: alerts wait on them; counters can trail by a retry.
        if self._publish(events, readings, progress):
            self._count(readings, progress)
        self._park(poison, park, progress)
        failed_at = _sequence_number(records[min(progress.not_done)]) if progress.not_done else None
        return Delivery(
            len(records),
            len(events),
            progress.counted,
            progress.already,
            progress.parts,
            progress.parked,
            failed_at,
            progress.failure,
        )

    def _publish(self, events: list[DomainEvent], readings: list[Reading], progress: _Progress) -> bool:
        try:
            self._bus.publish(events)
        except PublishFailed as error:
            progress.fail([r.index for r in readings if r.publishes or r.counted], str(error))
            return False
        return True

    def _count(self, readings: list[Reading], progress: _Progress) -> None:
        counting = [reading.counted for reading in readings if reading.counted]
        done: set[str] = set()
        try:
            done = self._counters.counted(counting)
            progress.already = len(done)
            for part in plan_parts(counting, done):
                progress.parts += self._counters.apply(part, self._now())
                done.update(part.completes)
        except TransientFailure as error:
            unfinished = [r.index for r in readings if r.counted and r.counted.event_id not in done]
            progress.fail(unfinished, f"counters: {error}")
        progress.counted = len(done) - progress.already

    def _park(
        self, poison: list[tuple[int, Mapping[str, Any], str]], park: bool, progress: _Progress
    ) -> None:
        for index, raw, reason in poison:
            if progress.not_done and index > min(progress.not_done):
                return  # delivered again from the checkpoint, and parked then
            if not park or self._dead_letters is None:
                progress.fail([index], f"record {index} can't be read: {reason}")
                return
            try:
                self._dead_letters.park(raw, reason, self._now())
            except ParkFailed as error:
                progress.fail([index], str(error))
                return
            progress.parked += 1


@dataclass
class _Progress:
    """How far one delivery got: the places of the records Lambda must deliver again, and why."""

    not_done: list[int] = field(default_factory=list)
    failure: str | None = None
    counted: int = 0
    already: int = 0
    parts: int = 0
    parked: int = 0

    def fail(self, places: list[int], reason: str) -> None:
        self.not_done += places
        self.failure = self.failure or reason


def _sequence_number(raw: Mapping[str, Any]) -> str:
    """The record's sequence number, to name it to Lambda; without one Lambda can't resume from it, so
    the whole delivery fails (and is bisected down to that record)."""
    number = (raw.get("dynamodb") or {}).get("SequenceNumber") if isinstance(raw, Mapping) else None
    if not number:
        raise RuntimeError("a record to deliver again has no SequenceNumber")
    return str(number)
