"""DynamoDB item sizes and capacity units, computed from request parameters with DynamoDB's sizing rules.

Pure functions: no AWS, no moto. Items are in the wire format (`{"name": {"S": "..."}}`).

Rules (DynamoDB developer guide, "Item sizes and formats" and "Read/write capacity mode"):
- an item's size is the sum over its attributes of the UTF-8 length of the name plus the value's size;
- S: UTF-8 length; B: bytes; BOOL and NULL: 1 byte;
- N: about (significant digits / 2) + 1 bytes (base-100 digits plus an exponent byte), one more if negative;
- SS, NS, BS: the sum of the elements;
- L and M: 3 bytes plus, per element, 1 byte plus the element's size (plus the key's UTF-8 length in M);
- one write unit per started KB of the larger of the item before and after the write, at least one;
- TransactWriteItems actions cost twice that;
- each global secondary index whose key attributes the item carries is written too, for the size of the
  projected item (KEYS_ONLY: table and index keys; INCLUDE: those plus the listed attributes; ALL: the
  whole item). Index writes are not doubled inside a transaction (the assumption stated in the README).
- one read unit per started 4 KB for a strongly consistent read, half that for an eventually consistent one.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KB = 1024
READ_UNIT_BYTES = 4 * KB

Item = Mapping[str, Mapping[str, Any]]


def number_size(text: str) -> int:
    """Bytes DynamoDB stores for an N value such as "-12.50" or "1E+3"."""
    mantissa = text.strip().lower().split("e", 1)[0]
    negative = mantissa.startswith("-")
    digits = mantissa.lstrip("+-").replace(".", "").strip("0")
    return math.ceil(len(digits) / 2) + 1 + (1 if negative else 0)


def _binary_size(value: Any) -> int:
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    return len(base64.b64decode(value))  # the JSON wire format carries binary as base64


def value_size(value: Mapping[str, Any]) -> int:
    """Size of one attribute value, without its name."""
    if len(value) != 1:
        raise ValueError(f"an attribute value has exactly one type: {value!r}")
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return number_size(str(inner))
    if kind == "B":
        return _binary_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(element).encode("utf-8")) for element in inner)
    if kind == "NS":
        return sum(number_size(str(element)) for element in inner)
    if kind == "BS":
        return sum(_binary_size(element) for element in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(element) for name, element in inner.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: Item) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Write units of one standard write of an item of `size` bytes."""
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None
    projection: str  # KEYS_ONLY, INCLUDE or ALL
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    hash_key: str
    range_key: str | None
    indexes: tuple[Index, ...] = field(default_factory=tuple)

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> TableSchema:
        """From an `AWS::DynamoDB::Table` resource's Properties (or CreateTable arguments)."""

        def keys(schema: Any) -> tuple[str, str | None]:
            by_type = {entry["KeyType"]: entry["AttributeName"] for entry in schema}
            return by_type["HASH"], by_type.get("RANGE")

        hash_key, range_key = keys(properties["KeySchema"])
        indexes = []
        for definition in properties.get("GlobalSecondaryIndexes") or ():
            index_hash, index_range = keys(definition["KeySchema"])
            projection = definition.get("Projection") or {}
            indexes.append(
                Index(
                    name=definition["IndexName"],
                    hash_key=index_hash,
                    range_key=index_range,
                    projection=projection.get("ProjectionType", "ALL"),
                    non_key_attributes=tuple(projection.get("NonKeyAttributes") or ()),
                )
            )
        return cls(hash_key, range_key, tuple(indexes))

    def key_of(self, item: Item) -> dict[str, Any]:
        names = [self.hash_key] + ([self.range_key] if self.range_key else [])
        return {name: item[name] for name in names}


def _in_index(item: Item | None, index: Index) -> bool:
    return (
        item is not None and index.hash_key in item and (index.range_key is None or index.range_key in item)
    )


def projected(item: Item, index: Index, table: TableSchema) -> dict[str, Any]:
    """The item as the index stores it."""
    if index.projection == "ALL":
        return dict(item)
    names = {table.hash_key, index.hash_key}
    names |= {name for name in (table.range_key, index.range_key) if name}
    if index.projection == "INCLUDE":
        names |= set(index.non_key_attributes)
    return {name: value for name, value in item.items() if name in names}


def index_write_units(old: Item | None, new: Item | None, index: Index, table: TableSchema) -> int:
    """Write units one table write causes in one global secondary index."""
    was, now = _in_index(old, index), _in_index(new, index)
    if not was and not now:
        return 0
    if now and not was:
        assert new is not None
        return write_units(item_size(projected(new, index, table)))
    if was and not now:
        assert old is not None
        return write_units(item_size(projected(old, index, table)))  # removed from the index
    assert old is not None and new is not None
    before, after = projected(old, index, table), projected(new, index, table)
    same_key = all(old.get(name) == new.get(name) for name in (index.hash_key, index.range_key) if name)
    if same_key:
        if before == after:
            return 0  # nothing the index holds changed: no index write
        return write_units(max(item_size(before), item_size(after)))
    return write_units(item_size(before)) + write_units(item_size(after))  # delete, then put


@dataclass(frozen=True)
class WriteCost:
    """Units of one written item: in the table and in each index that the write touches."""

    table_units: int
    index_units: Mapping[str, int]
    size: int

    @property
    def total(self) -> int:
        return self.table_units + sum(self.index_units.values())


def write_cost(
    old: Item | None, new: Item | None, table: TableSchema, transactional: bool = False
) -> WriteCost:
    """Units of writing `new` over `old` (None: absent before, or deleted).

    The table is charged for the larger of the two images; a transaction doubles that.
    """
    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
    units = write_units(size) * (2 if transactional else 1)
    indexes = {index.name: index_write_units(old, new, index, table) for index in table.indexes}
    return WriteCost(units, {name: units for name, units in indexes.items() if units}, size)


def condition_check_cost(item: Item | None) -> int:
    """A ConditionCheck inside TransactWriteItems is charged like a transactional write of the item."""
    return write_units(item_size(item) if item else 0) * 2


def eventbridge_entry_size(entry: Mapping[str, Any]) -> int:
    """Size of one PutEvents entry, as EventBridge computes it for quotas and billing."""
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        if entry.get(name):
            size += len(str(entry[name]).encode("utf-8"))
    size += sum(len(str(resource).encode("utf-8")) for resource in entry.get("Resources") or ())
    return size


def eventbridge_chunks(size: int) -> int:
    """EventBridge bills custom events per started 64 KB chunk."""
    return max(1, math.ceil(size / (64 * KB)))
