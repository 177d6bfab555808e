"""The runtime's moto fix: a cancelled transaction is undone in place, stream included; a good one applies."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_fixes
from tests.support import REGION, StreamReader, create_stack, environment


@pytest.fixture
def table() -> Iterator[str]:
    credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}
    with environment(credentials), mock_aws():
        moto_fixes.install()
        yield create_stack().table


def put(pk: str, condition: str | None = None) -> dict[str, object]:
    operation: dict[str, object] = {
        "TableName": os.environ["TABLE"],
        "Item": {"pk": {"S": pk}, "sk": {"S": "X"}},
    }
    if condition:
        operation["ConditionExpression"] = condition
    return {"Put": operation}


def test_cancelled_transaction_leaves_items_and_stream_as_they_were(table: str) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    os.environ["TABLE"] = table
    client.transact_write_items(TransactItems=[put("A#1"), put("A#2")])
    reader = StreamReader(table)
    assert len(reader.read(prefixes=("A#",))) == 2
    # WHEN a transaction writes B#1 and then fails its condition on A#1
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[put("B#1"), put("A#1", "attribute_not_exists(pk)")])
    # THEN B#1 is not there and no stream record tells of it
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "B#1"}, "sk": {"S": "X"}})
    assert reader.read(prefixes=("A#", "B#")) == []
    # AND the next write is read normally, nothing skipped
    client.transact_write_items(TransactItems=[put("C#1")])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in reader.read(prefixes=("C#",))] == ["C#1"]


def test_a_transaction_costs_the_same_however_full_the_table(table: str) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    os.environ["TABLE"] = table

    def timed() -> float:
        start = time.process_time()
        for index in range(20):
            client.transact_write_items(TransactItems=[put(f"T#{time.time_ns()}#{index}")])
        return time.process_time() - start

    small = timed()
    for start in range(0, 3000, 25):
        client.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"pk": {"S": f"F#{start + i}"}, "sk": {"S": "X"}}}}
                    for i in range(25)
                ]
            }
        )
    # A ratio within the same run: moto's own deep copy made this grow with the table (about 30x here).
    assert timed() < small * 3
