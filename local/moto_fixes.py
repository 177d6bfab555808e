"""Fixes to moto for the runtime: cheap, exact rollback of DynamoDB transactions; Cognito ID tokens
that carry the user's attributes.

moto 5.2.5 backs up a table before each transaction by deep-copying all of it (items and stream
records), once per action, and rolls a cancelled one back by putting the copy in the table's place. That
makes every transaction cost more than the one before (the runtime's alerts slowed from 165 ms to over a
second within a hundred feedback), and a swapped-in copy strands stream readers on the old shard, with
records of the cancelled writes in it.

Here the backup is of the touched items only, and a cancelled transaction is undone in place: the items
put back as they were and the stream shard cut back to its length before, so the cancelled writes leave
no record. Everything else is moto's own code path.

A Cognito app client without `ReadAttributes` may read every attribute, so its ID tokens carry them
(`email` above all, which names the lead on a case's timeline); moto 5.2.5 reads none in that case.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_installed = False


@dataclass
class _Backup:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Any  # a deep copy of the item before the transaction, or None if it did not exist


class _NoTableCopies:
    """Stands in for the `copy` module inside moto's transaction code: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


@contextmanager
def _tables_not_copied() -> Iterator[None]:
    saved = dynamodb_models.copy
    dynamodb_models.copy = _NoTableCopies  # type: ignore[assignment]
    try:
        yield
    finally:
        dynamodb_models.copy = saved


def _backups(backend: Any, transact_items: list[dict[str, Any]]) -> tuple[list[_Backup], dict[str, int]]:
    backups: list[_Backup] = []
    streams: dict[str, int] = {}
    for entry in transact_items:
        kind, operation = next(iter(entry.items()))
        table_name = operation.get("TableName")
        if not table_name or table_name not in backend.tables:
            continue
        table: Table = backend.tables[table_name]
        key = operation["Item"] if kind == "Put" else operation.get("Key", {})
        if table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = (
            DynamoType(key[table.range_key_attr])
            if table.range_key_attr and table.range_key_attr in key
            else None
        )
        # A malformed key is left to moto's own validation, which reports it.
        try:
            current = table.get_item(hash_key, range_key)
        except Exception:  # noqa: S112
            continue
        backups.append(_Backup(table, hash_key, range_key, copy.deepcopy(current)))
        if table.stream_shard is not None:
            streams.setdefault(table_name, len(table.stream_shard.items))
    return backups, streams


def _restore(backend: Any, backups: list[_Backup], streams: dict[str, int]) -> None:
    for backup in reversed(backups):  # the first backup of an item is its state before the transaction
        items = backup.table.items
        if backup.range_key is not None:
            if backup.item is None:
                items.get(backup.hash_key, {}).pop(backup.range_key, None)
            else:
                items[backup.hash_key][backup.range_key] = backup.item
        elif backup.item is None:
            items.pop(backup.hash_key, None)
        else:
            items[backup.hash_key] = backup.item
    for table_name, length in streams.items():
        shard = backend.tables[table_name].stream_shard
        if shard is not None:
            del shard.items[length:]


def install() -> None:
    """Install the fixes (once)."""
    global _installed
    if _installed:
        return
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups, streams = _backups(self, transact_items)
        try:
            with _tables_not_copied():
                original(self, transact_items)
        except Exception:
            _restore(self, backups, streams)
            raise

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _read_every_attribute_by_default()
    _installed = True


def _read_every_attribute_by_default() -> None:
    original = CognitoIdpUserPool.get_user_extra_data_by_client_id

    def extra_data(self: Any, client_id: str, username: str) -> dict[str, Any]:
        client = self.clients.get(client_id)
        if client is None or client.extended_config.get("ReadAttributes"):
            return original(self, client_id, username)
        attributes = self._get_user(username).attributes
        return {item["Name"]: item["Value"] for item in attributes if item["Name"] != "sub"}

    CognitoIdpUserPool.get_user_extra_data_by_client_id = extra_data  # type: ignore[method-assign]
