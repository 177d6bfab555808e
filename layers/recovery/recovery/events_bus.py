"""Domain events onto the EventBridge bus, behind a small port so tests can pass a fake."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

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
            response = self._client.put_events(Entries=entries)
            if response.get("FailedEntryCount"):
                codes = sorted(
                    {entry.get("ErrorCode", "?") for entry in response["Entries"] if "ErrorCode" in entry}
                )
                raise PublishFailed(f"{response['FailedEntryCount']} events refused: {', '.join(codes)}")
