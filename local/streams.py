"""DynamoDB stream -> function, as a Lambda event source mapping does it.

Records are read through the DynamoDB Streams API, filtered by the mapping's FilterCriteria and handed
over in batches of up to BatchSize. What happens when a batch fails follows the mapping's settings, as
AWS documents them (docs/local-runtime.md, "Stream failures"):
- The function raises (or answers a complete failure): with BisectBatchOnFunctionError the batch is
  split in two and each half is tried on its own, without using up a retry; a single record, or any
  batch without bisect, is tried again, up to MaximumRetryAttempts retries.
- With ReportBatchItemFailures the answer `{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}`
  checkpoints before the lowest sequence number named: the records before it are done, the rest is tried
  again (a split when bisect is on, else a retry). An empty list or no key is success; an identifier that
  is missing, empty or not in the batch fails the whole batch.
- A record older than MaximumRecordAgeInSeconds is not handed over any more.
Records given up go to the OnFailure destination as a pointer (`DDBStreamBatchInfo`, Lambda's shape), and
the shard moves on. A failing batch is tried once per dispatcher tick. Positions are kept so a restart
with `--state` resumes where it stopped.

The poller's AWS calls are its own methods: `_shards`, `_read`, `_iterator`, `_last_sequence_number`
(DynamoDB Streams) and `_send_to_destination` (the OnFailure destination). Each acts with the function's
role, as the mapping does in AWS: reading the stream needs what SAM's AWSLambdaDynamoDBExecutionRole
grants, and the OnFailure destination needs sqs:SendMessage (or sns:Publish) in the role itself.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from moto.events.models import EventPattern

from local import iam, lambda_events
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
    bisect: bool = False  # BisectBatchOnFunctionError
    max_record_age: int = _FOREVER  # MaximumRecordAgeInSeconds; -1: as long as the stream keeps them

    def accepts(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(_pattern(raw).matches_event(record) for raw in self.filters)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def _pattern(raw: str) -> EventPattern:
    return EventPattern.load(raw)


@dataclass
class _Inflight:
    records: list[dict[str, Any]]  # the whole batch read from the shard (what the filters drop included)
    pending: list[list[dict[str, Any]]]  # what still has to succeed, in shard order: the batch or its parts
    attempts: int = 0  # invocations of pending[0]


@dataclass(frozen=True)
class _Failed:
    """How an invocation failed: from which record on (0: all of it), and whether the function erred
    (raised, or answered a complete failure) rather than naming a checkpoint."""

    start: int
    function_error: bool


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

    @property
    def role(self) -> iam.Role | None:
        function = self.host.find(self.mapping.function)
        return function.role if function else None

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
            self._inflight[shard_id] = _Inflight(converted, [matched] if matched else [])
            self._attempt(shard_id)
        return progressed

    def _shards(self) -> list[str]:
        with self.lock, iam.acting_as(self.role):
            description = self.clients.streams.describe_stream(StreamArn=self.mapping.source_arn)
        return [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]

    def _read(self, shard_id: str) -> list[dict[str, Any]]:
        # A fresh iterator after the last sequence number done, every time: moto rolls back a cancelled
        # transaction by swapping in a copy of the table and its stream shard, and a kept iterator would
        # go on reading the discarded shard (phantom records of the cancelled writes included). Iterator
        # and read happen under one hold of the lock, so no handler can swap the shard in between.
        with self.lock, iam.acting_as(self.role):
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
        with self.lock, iam.acting_as(self.role):
            return str(self.clients.streams.get_shard_iterator(**request)["ShardIterator"])

    def _last_sequence_number(self, shard_id: str) -> str:
        """The newest record's sequence number now, or "" when the shard holds none."""
        last = ""
        with self.lock, iam.acting_as(self.role):
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
        """Hand over what is pending, in order, until a batch fails (it is tried again next tick)."""
        inflight = self._inflight[shard_id]
        while inflight.pending:
            self._expire(shard_id, inflight)
            if not inflight.pending:
                break
            batch = inflight.pending[0]
            inflight.attempts += 1
            failed = self._invoke(batch)
            if failed is None:
                self._next(inflight)
                continue
            if failed.function_error and self.mapping.bisect and len(batch) > 1:
                # Split in two; splitting uses up no retry.
                half = len(batch) // 2
                inflight.pending[:1] = [batch[:half], batch[half:]]
                inflight.attempts = 0
                return
            if failed.start > 0:
                inflight.pending[0] = batch[failed.start :]  # the records before the checkpoint are done
                if self.mapping.bisect:
                    inflight.attempts = 0  # bisected at the checkpoint: the rest is a batch of its own
                    return
            retries = inflight.attempts - 1
            if self.mapping.max_retries != _FOREVER and retries >= self.mapping.max_retries:
                self._give_up(shard_id, inflight, "RetryAttemptsExhausted", failed.function_error)
                continue
            return  # the same records again on the next tick
        self._commit(shard_id, inflight)

    def _next(self, inflight: _Inflight) -> None:
        inflight.pending.pop(0)
        inflight.attempts = 0

    def _expire(self, shard_id: str, inflight: _Inflight) -> None:
        """Records older than MaximumRecordAgeInSeconds are not handed over: they go to the destination."""
        if self.mapping.max_record_age == _FOREVER:
            return
        oldest_kept = self.now().timestamp() - self.mapping.max_record_age
        batch = inflight.pending[0]
        expired = list(itertools.takewhile(lambda r: _created(r) < oldest_kept, batch))
        if not expired:
            return
        inflight.pending[0] = expired
        self._give_up(shard_id, inflight, "RecordAgeExceeded", function_error=False)
        if len(expired) < len(batch):
            inflight.pending.insert(0, batch[len(expired) :])

    def _invoke(self, records: list[dict[str, Any]]) -> _Failed | None:
        """None on success, else how it failed."""
        try:
            result = self.host.invoke(self.mapping.function, {"Records": records})
        except FunctionError:
            return _Failed(0, function_error=True)
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
        named = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
        if not all(identifier in sequence_numbers for identifier in named):
            return _Failed(0, function_error=True)  # an identifier missing or unknown: a complete failure
        return _Failed(min(sequence_numbers.index(identifier) for identifier in named), function_error=False)

    def _give_up(self, shard_id: str, inflight: _Inflight, condition: str, function_error: bool) -> None:
        records = inflight.pending[0]
        log.error(
            "%s: %d record(s) given up (%s after %d invocation(s)); sending a pointer to the failure "
            "destination",
            self.mapping.logical_id,
            len(records),
            condition,
            inflight.attempts,
        )
        if self.mapping.on_failure:
            function = self.host.find(self.mapping.function)
            record = lambda_events.stream_failure_record(
                function_arn=function.arn if function else self.mapping.function,
                stream_arn=self.mapping.source_arn,
                shard_id=shard_id,
                records=records,
                attempts=inflight.attempts,
                condition=condition,
                error="Unhandled" if function_error else None,
                now=self.now(),
            )
            self._send_to_destination(self.mapping.on_failure, record)
        self._next(inflight)

    def _send_to_destination(self, destination: str, record: dict[str, Any]) -> None:
        try:
            with iam.acting_as(self.role):
                self.send_failure(destination, record)
        except ClientError as denied:
            log.error(
                "%s: records given up could not reach %s: %s", self.mapping.logical_id, destination, denied
            )

    def _commit(self, shard_id: str, inflight: _Inflight) -> None:
        self.positions[shard_id] = inflight.records[-1]["dynamodb"]["SequenceNumber"]
        del self._inflight[shard_id]


def _created(record: dict[str, Any]) -> float:
    return float(record["dynamodb"].get("ApproximateCreationDateTime", float("inf")))


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
