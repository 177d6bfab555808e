"""The benchmark's DynamoDB sizing and write-unit calculator, against hand-computed examples."""

from __future__ import annotations

import base64

import pytest

from bench import sizing
from bench.calls import Call, item_units, writes_of
from bench.sizing import Index, TableSchema

SCHEMA = TableSchema.from_properties(
    {
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_customer",
                "KeySchema": [
                    {"AttributeName": "cust_pk", "KeyType": "HASH"},
                    {"AttributeName": "cust_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "queue",
                "KeySchema": [
                    {"AttributeName": "queue_pk", "KeyType": "HASH"},
                    {"AttributeName": "queue_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    }
)


def s(text: str) -> dict[str, str]:
    return {"S": text}


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 1), ("7", 2), ("100", 2), ("123", 3), ("12345", 4), ("-12.50", 4), ("1E+3", 2), ("0.001", 2)],
)
def test_number_size_counts_significant_digits_in_pairs(text: str, size: int) -> None:
    assert sizing.number_size(text) == size


def test_value_sizes_by_type() -> None:
    assert sizing.value_size(s("héllo")) == 6  # UTF-8 bytes, not characters
    assert sizing.value_size({"BOOL": True}) == 1
    assert sizing.value_size({"NULL": True}) == 1
    assert sizing.value_size({"B": base64.b64encode(b"abc").decode()}) == 3
    assert sizing.value_size({"B": b"abcd"}) == 4
    assert sizing.value_size({"SS": ["a", "bb"]}) == 3
    # list: 3 + per element (1 + size): (1 + 2) + (1 + 2)
    assert sizing.value_size({"L": [s("ab"), {"N": "5"}]}) == 9
    # map: 3 + per element (1 + name + size): 1 + 1 + 1
    assert sizing.value_size({"M": {"k": s("v")}}) == 6
    assert sizing.value_size({"L": []}) == 3


def test_item_size_adds_names_and_values() -> None:
    assert sizing.item_size({"pk": s("FB#a"), "sk": s("FB")}) == (2 + 4) + (2 + 2)


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (3000, 3)])
def test_write_units_per_started_kb(size: int, units: int) -> None:
    assert sizing.write_units(size) == units


def test_read_units_per_started_4kb_half_when_eventually_consistent() -> None:
    assert sizing.read_units(0) == 0.5
    assert sizing.read_units(4096) == 0.5
    assert sizing.read_units(4097) == 1.0
    assert sizing.read_units(4097, consistent=True) == 2.0


def feedback_item(padding: int) -> dict[str, dict[str, str]]:
    # pk 2+4, sk 2+2, cust_pk 7+6, cust_sk 7+5, pad 3+padding -> 38 + padding bytes
    return {
        "pk": s("FB#a"),
        "sk": s("FB"),
        "cust_pk": s("CUST#c"),
        "cust_sk": s("FB#t1"),
        "pad": s("x" * padding),
    }


def test_new_item_writes_table_and_only_the_indexes_it_has_keys_for() -> None:
    item = feedback_item(padding=962)  # 1000 bytes
    cost = sizing.write_cost(None, item, SCHEMA)
    assert cost.size == 1000
    assert (cost.table_units, dict(cost.index_units)) == (1, {"by_customer": 1})  # no queue keys
    assert cost.total == 2


def test_a_transaction_doubles_the_table_write_but_not_the_index_write() -> None:
    cost = sizing.write_cost(None, feedback_item(padding=1062), SCHEMA, transactional=True)  # 1100 bytes
    assert cost.table_units == 2 * 2
    assert dict(cost.index_units) == {"by_customer": 1}  # keys only: 38 bytes of keys


def test_an_all_projection_index_is_charged_for_the_whole_item() -> None:
    item = {**feedback_item(padding=1500), "queue_pk": s("Q#t"), "queue_sk": s("P1")}
    cost = sizing.write_cost(None, item, SCHEMA)
    assert cost.index_units["queue"] == sizing.write_units(sizing.item_size(item)) == 2


def test_index_writes_when_an_item_changes() -> None:
    index = SCHEMA.indexes[0]
    old = feedback_item(padding=10)
    assert (
        sizing.index_write_units(old, {**old, "pad": s("changed")}, index, SCHEMA) == 0
    )  # keys only, same keys
    assert sizing.index_write_units(old, {**old, "cust_sk": s("FB#t2")}, index, SCHEMA) == 2  # delete + put
    without = {name: value for name, value in old.items() if name != "cust_pk"}
    assert sizing.index_write_units(old, without, index, SCHEMA) == 1  # removed from the index
    queue = Index("queue", "queue_pk", "queue_sk", "ALL")
    listed = {**old, "queue_pk": s("Q"), "queue_sk": s("1")}
    assert (
        sizing.index_write_units(listed, {**listed, "pad": s("y")}, queue, SCHEMA) == 1
    )  # projection changed


def test_replacing_an_item_is_charged_for_the_larger_image() -> None:
    old, new = feedback_item(padding=1500), feedback_item(padding=10)
    assert sizing.write_cost(old, new, SCHEMA).table_units == 2


def test_units_of_a_negative_style_transaction() -> None:
    feedback = feedback_item(padding=500)
    customer = {"pk": s("CUST#c"), "sk": s("CUST"), "history": s("[]")}
    call = Call(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "t", "Item": feedback}},
                {"Put": {"TableName": "t", "Item": customer}},
                {"Update": {"TableName": "t", "Key": {"pk": s("STAT#a"), "sk": s("H#1")}}},
            ]
        },
    )
    writes = writes_of(call.operation, call.params, SCHEMA)
    call.after[writes[2].key_id] = {"pk": s("STAT#a"), "sk": s("H#1"), "volume": {"N": "3"}}
    units = item_units(call, SCHEMA)
    assert [(u.kind, u.table_units, u.index_units) for u in units] == [
        ("FB", 2, {"by_customer": 1}),
        ("CUST", 2, {}),
        ("STAT", 2, {}),
    ]
    assert sum(u.total for u in units) == 7


def test_eventbridge_entry_size_and_64kb_chunks() -> None:
    entry = {"Source": "abc", "DetailType": "de", "Detail": "{}", "EventBusName": "not counted"}
    assert sizing.eventbridge_entry_size(entry) == 3 + 2 + 2
    assert sizing.eventbridge_entry_size({**entry, "Time": "2026-01-01", "Resources": ["arn"]}) == 7 + 14 + 3
    assert sizing.eventbridge_chunks(64 * 1024) == 1
    assert sizing.eventbridge_chunks(64 * 1024 + 1) == 2
