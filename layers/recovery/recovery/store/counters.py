"""Pre-aggregated counters (v2, docs/counters.md): one item per team and UTC hour of the interaction.

Writes: the stream function applies a batch's deltas together with a batch marker that must not exist
yet, so a retried batch changes nothing. One update per (team, hour) item; an item with many counters is
updated in chunks of `CHUNK` attributes, which keeps each UpdateExpression far under DynamoDB's 4 KB
limit. A transaction holds at most 100 operations and never the same item twice, so a batch is split
into parts (each with its own marker) and the chunks of one item always land in different parts.

Reads: `CounterReader` returns the raw counters of a team's hours, including every name the model
doesn't declare, and counts the items it read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.operand import Path, Value
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.domain.changes import Amount, TeamHour, counter_name, parse_name
from recovery.store.errors import transient_as_domain
from recovery.store.models import BatchMarkerItem, CounterItem

__all__ = ["CounterReader", "CounterStore", "HourCounts", "counter_name", "counter_pk", "parse_name"]

TRANSACTION_LIMIT = 100
CHUNK = 100  # counters per UpdateExpression: ~1.5 KB of "#n :v" placeholders, under the 4 KB limit
BATCH_GET_LIMIT = 100
MARKER_LIFETIME = timedelta(days=3)  # longer than the 24 h a stream keeps records
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


class CounterStore:
    def apply(self, batch_id: str, deltas: Mapping[TeamHour, Mapping[str, Amount]], now: datetime) -> int:
        """Apply the deltas once; returns how many parts were applied now (0: all applied before)."""
        applied = 0
        for index, part in enumerate(plan(deltas)):
            marker = BatchMarkerItem(
                f"BATCH#{batch_id}#{index}",
                "BATCH",
                applied_at=now,
                records=len(part),
                expires_at=now + MARKER_LIFETIME,
            )
            connection = CounterItem._get_connection().connection
            try:
                with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                    transaction.save(marker, condition=BatchMarkerItem.pk.does_not_exist())
                    for team_hour, amounts in part:
                        item = CounterItem(counter_pk(team_hour[0]), hour_sk(team_hour[1]))
                        transaction.update(item, actions=_actions(team_hour, amounts))
            except TransactWriteError as error:
                reasons = error.cancellation_reasons or []
                if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                    continue  # this part was applied by an earlier delivery of the same batch
                raise
            applied += 1
        return applied


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
