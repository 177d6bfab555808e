"""Pre-aggregated counters (v2, docs/counters.md): one item per team and UTC hour of the interaction.

Writes: the stream function applies each record's deltas exactly once, however Lambda cuts and redelivers
its batches (a bisected half, the suffix from a reported checkpoint, a replay from the DLQ). Deltas go in
transactions (`Part`) that each hold whole records and a marker naming those records; the markers live
under the records' creation minute (`BATCH#<minute>`), so a later delivery of any of those records finds
them with one strongly consistent Query per minute and skips what was applied (`counted`, `plan_parts`).
Each marker must not exist yet, so a part applied twice (a retried call) changes nothing either. One
update per (team, hour) item; an item with many counters is updated in chunks of `CHUNK` attributes,
which keeps each UpdateExpression far under DynamoDB's 4 KB limit. A transaction holds at most 100
operations and never the same item twice; a record too big for one transaction alone gets parts of its
own, the last of which marks it counted.

Reads: `CounterReader` returns the raw counters of a team's hours, including every name the model
doesn't declare, and counts the items it read.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.operand import Path, Value
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.domain.changes import Amount, TeamHour, counter_name, parse_name
from recovery.store.errors import transient_as_domain
from recovery.store.models import BatchMarkerItem, CounterItem

__all__ = [
    "Counted",
    "CounterReader",
    "CounterStore",
    "HourCounts",
    "Part",
    "counter_name",
    "counter_pk",
    "parse_name",
    "plan_parts",
]

TRANSACTION_LIMIT = 100
CHUNK = 100  # counters per UpdateExpression: ~1.5 KB of "#n :v" placeholders, under the 4 KB limit
BATCH_GET_LIMIT = 100
# Longer than the stream DLQ keeps a message (14 days), so a record replayed from it meets its marker.
MARKER_LIFETIME = timedelta(days=15)
# A marker names its records by 64 bits of SHA-256 as hex text (text, so any tool can print a stream
# record): 100 records take 1.6 KB.
DIGEST_HEX = 16
PLAIN = frozenset({"pk", "sk", "team", "hour"})  # attributes of a counter item that are not counters
Counts = dict[str, Amount]


def counter_pk(team: str) -> str:
    return f"STAT#{team}"


def hour_sk(hour: str) -> str:
    return f"H#{hour}"


Operation = tuple[TeamHour, list[tuple[str, Amount]]]


def plan(deltas: Mapping[TeamHour, Mapping[str, Amount]]) -> list[list[Operation]]:
    """The transactions a batch's deltas take, in a fixed order (a retried batch plans the same parts).

    An item's n-th chunk goes into the n-th round of parts, so no part touches one item twice.
    """
    rounds: list[list[Operation]] = []
    for team_hour in sorted(deltas):
        names = sorted(deltas[team_hour].items())
        for index, start in enumerate(range(0, len(names), CHUNK)):
            if index == len(rounds):
                rounds.append([])
            rounds[index].append((team_hour, names[start : start + CHUNK]))
    size = TRANSACTION_LIMIT - 1  # one slot for the marker
    parts = [round_[start : start + size] for round_ in rounds for start in range(0, len(round_), size)]
    return parts or [[]]


def _actions(team_hour: TeamHour, amounts: Sequence[tuple[str, Amount]]) -> list[Action]:
    team, hour = team_hour
    actions: list[Action] = [CounterItem.team.set(team), CounterItem.hour.set(hour)]
    # Names are arbitrary strings (`comp:EUR|tag|a%7Cb.c`): a one-element Path is one placeholder, never
    # split on dots; values go pre-serialised, as pynamodb can't infer a Decimal's type.
    actions += [Path([name]).add(Value({"N": str(amount)})) for name, amount in amounts]
    return actions


@dataclass(frozen=True)
class Counted:
    """One stream record's own counter movement. `created` is the record's ApproximateCreationDateTime:
    the same on every delivery of the record, so it says under which minute its marker is."""

    event_id: str
    created: datetime
    deltas: Mapping[TeamHour, Mapping[str, Amount]]


@dataclass(frozen=True)
class Part:
    """One transaction: counter updates and the marker `BATCH#<minute>` / `key` that names the records
    this part completes."""

    minute: str
    key: str
    operations: tuple[Operation, ...]
    completes: tuple[str, ...]  # event ids


def minute_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def marker_pk(minute: str) -> str:
    return f"BATCH#{minute}"


def record_digest(event_id: str) -> str:
    return hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:DIGEST_HEX]


def _key(event_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(event_ids).encode("utf-8")).hexdigest()[:40]


@dataclass
class _Draft:
    """Records gathered into one transaction: one minute, at most 99 items, at most CHUNK names each."""

    minute: str
    records: list[Counted] = field(default_factory=list)
    names: dict[TeamHour, set[str]] = field(default_factory=dict)

    def fits(self, deltas: Mapping[TeamHour, Mapping[str, Amount]]) -> bool:
        if len(self.names.keys() | deltas.keys()) > TRANSACTION_LIMIT - 1:
            return False
        return all(
            len(self.names.get(item, set()) | amounts.keys()) <= CHUNK for item, amounts in deltas.items()
        )

    def add(self, record: Counted) -> None:
        self.records.append(record)
        for item, amounts in record.deltas.items():
            self.names.setdefault(item, set()).update(amounts)

    def part(self) -> Part:
        totals: dict[TeamHour, dict[str, Amount]] = defaultdict(lambda: defaultdict(int))
        for record in self.records:
            for item, amounts in record.deltas.items():
                for name, amount in amounts.items():
                    totals[item][name] += amount
        operations = tuple(
            (item, sorted((name, amount) for name, amount in totals[item].items() if amount))
            for item in sorted(totals)
            if any(totals[item].values())
        )
        event_ids = tuple(record.event_id for record in self.records)
        # Even with nothing left to add (one record took back what another added), the marker is written:
        # the records are counted, and a later delivery of one of them alone must not count it again.
        return Part(self.minute, _key(event_ids), operations, event_ids)


def plan_parts(records: Sequence[Counted], counted: Set[str]) -> list[Part]:
    """The transactions that apply `records` not yet `counted`, in stream order.

    A part holds whole records of one creation minute, so the marker that names them is found from any
    one of them. A record that does not fit one transaction on its own gets parts of its own, keyed by
    the record alone (a later delivery plans the same ones and skips those applied), the last of which
    marks it counted.
    """
    parts: list[Part] = []
    draft: _Draft | None = None
    for record in records:
        if record.event_id in counted or not record.deltas:
            continue
        minute = minute_of(record.created)
        if not _Draft(minute).fits(record.deltas):
            if draft is not None:
                parts.append(draft.part())
                draft = None
            parts += _alone(record, minute)
            continue
        if draft is not None and (draft.minute != minute or not draft.fits(record.deltas)):
            parts.append(draft.part())
            draft = None
        if draft is None:
            draft = _Draft(minute)
        draft.add(record)
    if draft is not None:
        parts.append(draft.part())
    return parts


def _alone(record: Counted, minute: str) -> list[Part]:
    planned = plan(record.deltas)
    key = _key([record.event_id])
    return [
        Part(
            minute,
            f"{key}#{index}",
            tuple(operations),
            (record.event_id,) if index == len(planned) - 1 else (),
        )
        for index, operations in enumerate(planned)
    ]


class CounterStore:
    def counted(self, records: Sequence[Counted]) -> set[str]:
        """The event ids among `records` that an earlier delivery counted: the markers of the records'
        creation minutes, one strongly consistent Query per minute."""
        wanted = {record_digest(record.event_id): record.event_id for record in records}
        found: set[str] = set()
        for minute in sorted({minute_of(record.created) for record in records}):
            with transient_as_domain():
                for marker in BatchMarkerItem.query(
                    marker_pk(minute), consistent_read=True, attributes_to_get=["event_ids"]
                ):
                    found |= marker.event_ids or set()
        return {event_id for digest, event_id in wanted.items() if digest in found}

    def apply(self, part: Part, now: datetime) -> bool:
        """Apply one part with its marker; False when the marker exists (this part was applied before)."""
        marker = BatchMarkerItem(
            marker_pk(part.minute),
            part.key,
            applied_at=now,
            records=len(part.completes),
            event_ids={record_digest(event_id) for event_id in part.completes} or None,
            expires_at=now + MARKER_LIFETIME,
        )
        connection = CounterItem._get_connection().connection
        try:
            with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                transaction.save(marker, condition=BatchMarkerItem.pk.does_not_exist())
                for team_hour, amounts in part.operations:
                    item = CounterItem(counter_pk(team_hour[0]), hour_sk(team_hour[1]))
                    transaction.update(item, actions=_actions(team_hour, amounts))
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                return False
            raise
        return True


class HourCounts(dict[str, Counts]):
    """Counters by hour key (`2026-11-22T10`, UTC): `{hour: {counter name: int | Decimal}}`.

    Counts are ints; compensation amounts (`comp:<CURRENCY>...`) stay Decimal. Hours with no item are
    absent. `items_read` is how many counter items the read returned (benchmarks and tests)."""

    def __init__(self, hours: Mapping[str, Counts] | None = None, items_read: int = 0) -> None:
        super().__init__(hours or {})
        self.items_read = items_read


def _amount(name: str, raw: str) -> Amount:
    number = Decimal(raw)
    if name.startswith("comp:") or number != number.to_integral_value():
        return number
    return int(number)


def _counts(item: Mapping[str, Mapping[str, Any]]) -> tuple[str, Counts]:
    """(hour, counters) of one raw (wire-format) counter item."""
    hour = item["hour"]["S"] if "hour" in item else str(item["sk"]["S"]).removeprefix("H#")
    counts = {
        name: _amount(name, value["N"]) for name, value in item.items() if name not in PLAIN and "N" in value
    }
    return hour, counts


class CounterReader:
    """Reads counter items as they are stored, every counter name included."""

    def hours(self, team: str, first_hour: str, last_hour: str) -> HourCounts:
        """Every counted hour of a team from `first_hour` to `last_hour` (UTC hour keys, inclusive): one
        Query on `STAT#<team>`, all pages."""
        found = HourCounts()
        connection = CounterItem._get_connection()
        start: Any = None
        condition = CounterItem.sk.between(hour_sk(first_hour), hour_sk(last_hour))
        while True:
            with transient_as_domain():
                page = connection.query(
                    counter_pk(team), range_key_condition=condition, exclusive_start_key=start
                )
            for item in page.get("Items", []):
                hour, counts = _counts(item)
                found[hour] = counts
                found.items_read += 1
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def get(self, team: str, hour_keys: Sequence[str]) -> HourCounts:
        """Exactly these hours of a team (BatchGet, 100 keys a request, unprocessed keys retried);
        hours never counted are absent."""
        found = HourCounts()
        connection = CounterItem._get_connection()
        wanted = sorted(set(hour_keys))
        table = CounterItem.Meta.table_name
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys: list[Any] = [
                {"pk": {"S": counter_pk(team)}, "sk": {"S": hour_sk(hour)}}
                for hour in wanted[start : start + BATCH_GET_LIMIT]
            ]
            while keys:
                with transient_as_domain():
                    page = connection.batch_get_item(keys)
                for item in page.get("Responses", {}).get(table, []):
                    hour, counts = _counts(item)
                    found[hour] = counts
                    found.items_read += 1
                keys = page.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        return found
