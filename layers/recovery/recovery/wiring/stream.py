"""Builds the stream function's processor: counters in the table, domain events onto the EventBridge bus,
and the stream DLQ for a record that can't be read."""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3

from recovery.notify.bus import EventBridgePublisher
from recovery.notify.dead_letters import SqsDeadLetters
from recovery.services.stream_processor import StreamProcessor
from recovery.settings import Settings
from recovery.store.counters import CounterStore
from recovery.wiring import bind_table


@dataclass(frozen=True)
class StreamSettings:
    base: Settings
    # STREAM_DLQ_URL; with none, a record that can't be read is reported failed instead of parked.
    dead_letter_queue_url: str | None

    @classmethod
    def from_env(cls) -> StreamSettings:
        return cls(Settings.from_env(), os.environ.get("STREAM_DLQ_URL", "").strip() or None)


def build_stream_processor(settings: StreamSettings) -> StreamProcessor:
    bind_table(settings.base)
    queue_url = settings.dead_letter_queue_url
    return StreamProcessor(
        CounterStore(),
        EventBridgePublisher(boto3.client("events"), settings.base.event_bus_name),
        SqsDeadLetters(boto3.client("sqs"), queue_url) if queue_url else None,
    )
