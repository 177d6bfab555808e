"""Reading and rewriting everything held about one customer, whatever model wrote it.

Export and erasure must reach items of every kind, including kinds added after this module (a new item
that carries `cust_pk`, or a new item in a case's partition). So items travel here as plain values by
attribute name, not as model instances: DynamoDB strings, numbers, maps and lists as Python values, and
the JSON documents pynamodb stores as strings (`JSONAttribute`) decoded, so that redaction sees inside.

Reads: the `by_customer` index (keys only), then BatchGetItem; one Query per case partition. No Scan.
Writes: one conditional UpdateItem per item, setting the attributes that changed and removing the ones
that went; a versioned item must still be at the version read, so a concurrent change is never lost.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.connection.table import TableConnection
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path, Value
from pynamodb.expressions.update import Action

from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, CustomerItem, FeedbackItem

Key = tuple[str, str]
BATCH_GET_LIMIT = 100  # keys per BatchGetItem request
_CONDITION_FAILED = "ConditionalCheckFailedException"
_KEYS = ("pk", "sk")


@dataclass
class Stored:
    """One item as stored: `values` by attribute name, with the JSON-string attributes (`json_names`)
    decoded."""

    values: dict[str, Any]
    json_names: frozenset[str] = frozenset()

    @property
    def key(self) -> Key:
        return str(self.values["pk"]), str(self.values["sk"])


def _table() -> TableConnection:
    """The table connection `models.bind()` set up (raw reads and writes of any item)."""
    return FeedbackItem._get_connection()


class PrivacyStore:
    def get(self, key: Key) -> Stored | None:
        with transient_as_domain():
            found = _table().get_item(key[0], key[1], consistent_read=True).get("Item")
        return decode(found) if found else None

    def customer_keys(self, customer_pk: str) -> list[Key]:
        """Every item's key in the customer's `by_customer` partition."""
        keys: list[Key] = []
        with transient_as_domain():
            for ref in CaseItem.customer_index.query(customer_pk):
                keys.append((str(ref.pk), str(ref.sk)))
        return keys

    def items(self, keys: Iterable[Key]) -> list[Stored]:
        """The items of `keys` (those that exist), by BatchGetItem, pages of 100, unprocessed keys retried."""
        wanted = list(dict.fromkeys(keys))
        found: list[Stored] = []
        connection = _table()
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            pending: list[Any] = [
                {"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in wanted[start : start + BATCH_GET_LIMIT]
            ]
            while pending:
                with transient_as_domain():
                    answer = connection.batch_get_item(pending, consistent_read=True)
                table = connection.table_name
                found += [decode(item) for item in answer.get("Responses", {}).get(table, [])]
                pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        return found

    def partition(self, pk: str) -> list[Stored]:
        """Every item under one partition key (a case and its timeline), in key order."""
        connection = _table()
        found: list[Stored] = []
        start: Any = None
        while True:
            with transient_as_domain():
                page = connection.query(pk, consistent_read=True, exclusive_start_key=start)
            found += [decode(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def rewrite(self, before: Stored, after: Mapping[str, Any]) -> bool:
        """Write `after` over `before` in place: set what changed, remove what went. False when the
        item changed (or vanished) since it was read; nothing is written then. A versioned item's
        version moves on, so anyone holding the old one (an ETag) reads it again."""
        actions: list[Action] = []
        for name, value in after.items():
            if name in _KEYS or name == "version" or (name in before.values and before.values[name] == value):
                continue
            if value is None:
                actions.append(Path(name).remove())
            else:
                stored = json.dumps(value) if name in before.json_names else value
                actions.append(Path(name).set(Value(encode(stored))))
        actions += [Path(name).remove() for name in before.values if name not in after]
        if not actions:
            return True
        condition: Condition = Path("pk").exists()
        version = before.values.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            condition &= Path("version") == Value(encode(version))
            actions.append(Path("version").set(Value(encode(version + 1))))
        try:
            with transient_as_domain():
                _table().update_item(before.key[0], before.key[1], actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def create_tombstone(self, customer_pk: str, now: datetime) -> bool:
        """A customer item holding only `erased_at`, for a customer who never had one (positives only).
        False when one exists (a concurrent negative, or an erase already done)."""
        tombstone = CustomerItem(customer_pk, "CUST", erased_at=now, updated_at=now)
        try:
            with transient_as_domain():
                tombstone.save(condition=CustomerItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def append_event(self, case_id: str, kind: str, at: datetime, actor: str, **detail: Any) -> None:
        """Append to a case's timeline (`EVT#<time>#<kind>`); the same event twice is written once."""
        event = CaseEventItem(
            f"CASE#{case_id}",
            f"EVT#{at.isoformat()}#{kind}",
            case_id=case_id,
            kind=kind,
            at=at,
            actor=actor,
            detail=detail,
        )
        try:
            with transient_as_domain():
                event.save(condition=CaseEventItem.sk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != _CONDITION_FAILED:
                raise


# ---------------------------------------------------------------- DynamoDB values <-> Python values
def stored_time(moment: datetime) -> str:
    """A time as the models store it (pynamodb's UTCDateTimeAttribute)."""
    return str(UTCDateTimeAttribute().serialize(moment))


def decode(item: Mapping[str, Any]) -> Stored:
    values: dict[str, Any] = {}
    json_names: set[str] = set()
    for name, raw in item.items():
        value = _from_dynamodb(raw)
        if isinstance(value, str) and value[:1] in ("{", "[") and name not in _KEYS:
            try:
                value = json.loads(value)
                json_names.add(name)
            except ValueError:
                pass
        values[name] = value
    return Stored(values, frozenset(json_names))


def _from_dynamodb(raw: Mapping[str, Any]) -> Any:
    (kind, value), *_ = raw.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: _from_dynamodb(item) for name, item in value.items()}
    if kind == "L":
        return [_from_dynamodb(item) for item in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {_from_dynamodb({"N": item}) for item in value}
    if kind == "B":
        return value if isinstance(value, bytes) else base64.b64decode(value)
    return value  # BS: left as stored


def encode(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Mapping):
        return {"M": {name: encode(item) for name, item in value.items()}}
    if isinstance(value, set | frozenset):
        return (
            {"SS": sorted(value)}
            if all(isinstance(item, str) for item in value)
            else {"NS": sorted(map(str, value))}
        )
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, list | tuple):
        return {"L": [encode(item) for item in value]}
    raise TypeError(f"cannot store a {type(value).__name__}")
