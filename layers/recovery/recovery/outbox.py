"""The stream is the outbox: from committed table changes, publish domain events and move counters."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from recovery import clock
from recovery.domain.changes import Change, counter_deltas, domain_events
from recovery.events_bus import EventPublisher
from recovery.store.counters import CounterStore


@dataclass(frozen=True)
class BatchSummary:
    batch_id: str
    records: int
    events: int
    counters: int
    applied_parts: int


def batch_id(changes: Sequence[Change]) -> str:
    """The same records always give the same id: the stream redelivers a failed batch unchanged."""
    digest = hashlib.sha256("\n".join(change.event_id for change in changes).encode("utf-8"))
    return digest.hexdigest()[:40]


class Outbox:
    def __init__(self, counters: CounterStore, bus: EventPublisher) -> None:
        self._counters = counters
        self._bus = bus

    def process(self, changes: Sequence[Change]) -> BatchSummary:
        identity = batch_id(changes)
        events = domain_events(changes)
        # Events first: alerts wait on them; counters can trail by a retry.
        self._bus.publish(events)
        deltas = counter_deltas(changes)
        applied = self._counters.apply(identity, deltas, clock.now()) if deltas else 0
        return BatchSummary(identity, len(changes), len(events), len(deltas), applied)
