"""Where the stream function parks a record it cannot read: the port, its SQS provider and a fake.

A parked record is a self-contained message in the stream DLQ: the record exactly as Lambda delivered
it, the reason it could not be read and when. Unlike Lambda's own OnFailure record (a pointer into a
stream that keeps records for 24 hours), it can be replayed days later (`make replay-dlq`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

PARKED_RECORD = "parked-stream-record"  # the message's `kind`
# A replay of parked records marks its invocation with this key: a record that still can't be read is
# then reported back instead of being parked again.
FROM_DEAD_LETTER_QUEUE = "fromDeadLetterQueue"


class ParkFailed(RuntimeError):
    """The record could not be parked (the queue refused it or could not be reached)."""


def parked_message(record: Mapping[str, Any], reason: str, at: datetime) -> dict[str, Any]:
    return {
        "version": "1.0",
        "kind": PARKED_RECORD,
        "reason": reason,
        "parkedAt": at.isoformat(),
        "record": record,
    }


class DeadLetters(Protocol):
    def park(self, record: Mapping[str, Any], reason: str, at: datetime) -> None: ...


class SqsDeadLetters:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def park(self, record: Mapping[str, Any], reason: str, at: datetime) -> None:
        body = json.dumps(parked_message(record, reason, at), default=str)
        try:
            self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)
        except (BotoCoreError, ClientError) as error:
            raise ParkFailed(f"the stream DLQ refused the record: {error}") from error


@dataclass
class RecordingDeadLetters:
    """An in-memory DeadLetters for unit tests: keeps what was parked, and fails on request."""

    parked: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0

    def park(self, record: Mapping[str, Any], reason: str, at: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise ParkFailed("the queue is throttled")
        self.parked.append(json.loads(json.dumps(parked_message(record, reason, at), default=str)))
