"""Domain events onto the EventBridge bus, behind a small port so tests can pass a fake.

Every failure to put events (entries refused, throttling, the bus out of reach) is `PublishFailed`: the
stream function hands the batch back to Lambda to try again, and consumers are idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from recovery.domain.changes import EVENT_SOURCE, DomainEvent

ENTRIES_PER_CALL = 10


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class PublishFailed(RuntimeError):
    """Some entries were refused; the stream batch is retried (consumers are idempotent)."""


class EventBridgePublisher:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for start in range(0, len(events), ENTRIES_PER_CALL):
            entries = [
                {
                    "EventBusName": self._bus,
                    "Source": EVENT_SOURCE,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.detail, default=str),
                }
                for event in events[start : start + ENTRIES_PER_CALL]
            ]
            try:
                response = self._client.put_events(Entries=entries)
            except (BotoCoreError, ClientError) as error:
                raise PublishFailed(f"PutEvents failed: {error}") from error
            if response.get("FailedEntryCount"):
                codes = sorted(
                    {entry.get("ErrorCode", "?") for entry in response["Entries"] if "ErrorCode" in entry}
                )
                raise PublishFailed(f"{response['FailedEntryCount']} events refused: {', '.join(codes)}")


@dataclass
class RecordingPublisher:
    """An in-memory EventPublisher for unit tests: keeps what was published, and fails on request."""

    events: list[DomainEvent] = field(default_factory=list)
    failures: int = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishFailed("1 events refused: ThrottlingException")
        self.events.extend(events)
