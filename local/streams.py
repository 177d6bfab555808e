"""DynamoDB stream -> function, as a Lambda event source mapping does it.

Records are read through the DynamoDB Streams API, filtered by the mapping's FilterCriteria and handed
over in batches of up to BatchSize. A failing batch is retried, the same batch each time, once per
dispatcher tick, up to MaximumRetryAttempts; then a pointer to it goes to the OnFailure destination and
the shard moves on. Positions are kept so a restart with `--state` resumes where it stopped.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.events.models import EventPattern

from local import lambda_events
from local.aws import AwsClients
from local.functions import FunctionError, FunctionHost

log = logging.getLogger(__name__)

# When MaximumRetryAttempts is -1 (AWS: until the record expires) a failing batch is retried forever.
_FOREVER = -1


@dataclass(frozen=True)
class Mapping:
    """A Lambda event source mapping (stream or queue) as the template declares it."""

    logical_id: str
    function: str  # logical id
    source_arn: str
    batch_size: int
    max_retries: int
    on_failure: str | None
    filters: tuple[str, ...]
    report_item_failures: bool
    starting_position: str = "TRIM_HORIZON"

    def accepts(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(_pattern(raw).matches_event(record) for raw in self.filters)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def _pattern(raw: str) -> EventPattern:
    return EventPattern.load(raw)


@dataclass
class _Inflight:
    records: list[dict[str, Any]]  # the whole batch read from the shard
    pending: list[dict[str, Any]]  # what still has to succeed
    attempts: int = 0


@dataclass
class StreamPoller:
    mapping: Mapping
    clients: AwsClients
    host: FunctionHost
    lock: threading.RLock
    send_failure: Callable[[str, dict[str, Any]], None]
    now: Callable[[], datetime]
    positions: dict[str, str] = field(default_factory=dict)  # shard id -> last sequence number done
    _inflight: dict[str, _Inflight] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # LATEST means "from when the mapping was created": the runtime's start. Every read takes a
        # fresh iterator, so the starting point is pinned now, as a sequence number.
        if self.mapping.starting_position == "LATEST":
            for shard_id in self._shards():
                if shard_id not in self.positions:
                    self.positions[shard_id] = self._last_sequence_number(shard_id)

    def poll(self) -> bool:
        """Process at most one batch per shard; True when new records were consumed."""
        progressed = False
        for shard_id in self._shards():
            if shard_id in self._inflight:
                self._attempt(shard_id)
                continue
            records = self._read(shard_id)
            if not records:
                continue
            progressed = True
            converted = [
                lambda_events.stream_record(record, self.mapping.source_arn, self.clients.region)
                for record in records
            ]
            matched = [record for record in converted if self.mapping.accepts(record)]
            self._inflight[shard_id] = _Inflight(converted, matched)
            self._attempt(shard_id)
        return progressed

    def _shards(self) -> list[str]:
        with self.lock:
            description = self.clients.streams.describe_stream(StreamArn=self.mapping.source_arn)
        return [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]

    def _read(self, shard_id: str) -> list[dict[str, Any]]:
        # A fresh iterator after the last sequence number done, every time: moto rolls back a cancelled
        # transaction by swapping in a copy of the table and its stream shard, and a kept iterator would
        # go on reading the discarded shard (phantom records of the cancelled writes included). Iterator
        # and read happen under one hold of the lock, so no handler can swap the shard in between.
        with self.lock:
            iterator = self._iterator(shard_id)
            response = self.clients.streams.get_records(ShardIterator=iterator, Limit=self.mapping.batch_size)
            _forget_iterator(self.clients.region, iterator)
            _forget_iterator(self.clients.region, response["NextShardIterator"])
        return list(response["Records"])

    def _iterator(self, shard_id: str) -> str:
        if shard_id not in self.positions and self.mapping.starting_position == "LATEST":
            self.positions[shard_id] = ""  # a shard born after the start: all of it is new
        request = {"StreamArn": self.mapping.source_arn, "ShardId": shard_id}
        position = self.positions.get(shard_id)
        if position:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=position)
        else:
            request["ShardIteratorType"] = "TRIM_HORIZON"  # nothing done yet ("" = the shard was empty)
        with self.lock:
            return str(self.clients.streams.get_shard_iterator(**request)["ShardIterator"])

    def _last_sequence_number(self, shard_id: str) -> str:
        """The newest record's sequence number now, or "" when the shard holds none."""
        last = ""
        with self.lock:
            iterator = self.clients.streams.get_shard_iterator(
                StreamArn=self.mapping.source_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while True:
                response = self.clients.streams.get_records(ShardIterator=iterator, Limit=1000)
                _forget_iterator(self.clients.region, iterator)
                if not response["Records"]:
                    _forget_iterator(self.clients.region, response["NextShardIterator"])
                    return last
                last = response["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterator = response["NextShardIterator"]

    def _attempt(self, shard_id: str) -> None:
        inflight = self._inflight[shard_id]
        if inflight.pending:
            inflight.attempts += 1
            failed_from = self._invoke(inflight.pending)
            if failed_from is not None:
                inflight.pending = inflight.pending[failed_from:]
                retries = inflight.attempts - 1
                if self.mapping.max_retries == _FOREVER or retries < self.mapping.max_retries:
                    return  # the same batch again on the next tick
                self._give_up(shard_id, inflight)
        self._commit(shard_id, inflight)

    def _invoke(self, records: list[dict[str, Any]]) -> int | None:
        """None on success, else the index of the first record to retry from."""
        try:
            result = self.host.invoke(self.mapping.function, {"Records": records})
        except FunctionError:
            return 0
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return None
        if not self.mapping.report_item_failures:
            log.warning(
                "%s returned batchItemFailures but its mapping lacks FunctionResponseTypes: "
                "[ReportBatchItemFailures], so AWS (and this runtime) treats the batch as done",
                self.mapping.function,
            )
            return None
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        indexes = [
            sequence_numbers.index(item.get("itemIdentifier"))
            for item in failures
            if item.get("itemIdentifier") in sequence_numbers
        ]
        # An identifier that is missing or unknown fails the whole batch, as in AWS.
        return min(indexes) if len(indexes) == len(failures) else 0

    def _give_up(self, shard_id: str, inflight: _Inflight) -> None:
        log.error(
            "%s: batch failed %d times; sending it to the failure destination",
            self.mapping.logical_id,
            inflight.attempts,
        )
        if self.mapping.on_failure:
            function = self.host.find(self.mapping.function)
            record = lambda_events.stream_failure_record(
                function_arn=function.arn if function else self.mapping.function,
                stream_arn=self.mapping.source_arn,
                shard_id=shard_id,
                records=inflight.pending,
                attempts=inflight.attempts,
                error="Unhandled",
                now=self.now(),
            )
            self.send_failure(self.mapping.on_failure, record)

    def _commit(self, shard_id: str, inflight: _Inflight) -> None:
        self.positions[shard_id] = inflight.records[-1]["dynamodb"]["SequenceNumber"]
        del self._inflight[shard_id]


def _forget_iterator(region: str, iterator: str) -> None:
    """moto keeps every shard iterator it hands out; drop spent ones so a long run does not grow."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][region].shard_iterators.pop(iterator, None)


def stamp_records_with(now: Callable[[], datetime]) -> None:
    """Stream records carry the virtual time, like every other timestamp a handler sees.

    moto stamps `ApproximateCreationDateTime` with its own `utcnow` (naive UTC) when a write happens.
    """
    from moto.dynamodb.models import table

    table.utcnow = lambda: now().replace(tzinfo=None)
