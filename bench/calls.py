"""Counting AWS calls and the DynamoDB capacity they consume, through botocore's event hooks.

A `Recorder` registers `before-call`/`after-call` handlers on every client in play: each pynamodb model's
own botocore client and the default boto3 session (so clients the functions create later inherit them).
While capturing, it also counts `BaseClient._make_api_call` invocations, so a client that escaped the
hooks shows up as a mismatch instead of silently lowering the count.

For DynamoDB writes it reads the item before (and after an update) through a separate, unhooked client,
so write units follow the larger image and index writes follow what the index held before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.client import BaseClient

from bench import sizing
from bench.sizing import Item, TableSchema

WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


@dataclass(frozen=True)
class Write:
    action: str  # Put, Update, Delete, ConditionCheck
    table: str
    key: dict[str, Any]
    item: dict[str, Any] | None  # the new image for a Put
    transactional: bool

    @property
    def key_id(self) -> str:
        return self.table + "|" + json.dumps(self.key, sort_keys=True)


def writes_of(operation: str, params: dict[str, Any], schema: TableSchema) -> list[Write]:
    """The items a DynamoDB write request touches."""
    if operation == "PutItem":
        return [Write("Put", params["TableName"], schema.key_of(params["Item"]), params["Item"], False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [Write(operation.removesuffix("Item"), params["TableName"], params["Key"], None, False)]
    if operation == "TransactWriteItems":
        writes = []
        for action in params["TransactItems"]:
            ((kind, body),) = action.items()
            item = body.get("Item")
            key = schema.key_of(item) if item is not None else body["Key"]
            writes.append(Write(kind, body["TableName"], key, item, True))
        return writes
    if operation == "BatchWriteItem":
        writes = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    writes.append(Write("Put", table, schema.key_of(item), item, False))
                else:
                    writes.append(Write("Delete", table, request["DeleteRequest"]["Key"], None, False))
        return writes
    return []


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None = None
    before: dict[str, Item | None] = field(default_factory=dict)
    after: dict[str, Item | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass(frozen=True)
class ItemUnits:
    operation: str
    action: str
    kind: str  # the key prefix: FB, CASE, CUST, STAT, BATCH...
    size: int
    table_units: int
    index_units: dict[str, int]

    @property
    def total(self) -> int:
        return self.table_units + sum(self.index_units.values())


def item_units(call: Call, schema: TableSchema) -> list[ItemUnits]:
    """Write units of every item a DynamoDB call wrote."""
    if call.service != "dynamodb" or call.operation not in WRITE_OPERATIONS:
        return []
    found = []
    for write in writes_of(call.operation, call.params, schema):
        old = call.before.get(write.key_id)
        pk = next(iter(write.key.get(schema.hash_key, {}).values()), "")
        kind = str(pk).split("#", 1)[0]
        if write.action == "ConditionCheck":
            units = sizing.condition_check_cost(old)
            found.append(
                ItemUnits(call.operation, write.action, kind, sizing.item_size(old or {}), units, {})
            )
            continue
        new = write.item if write.action == "Put" else call.after.get(write.key_id)
        cost = sizing.write_cost(old, new, schema, transactional=write.transactional)
        found.append(
            ItemUnits(call.operation, write.action, kind, cost.size, cost.table_units, dict(cost.index_units))
        )
    return found


def read_units(call: Call) -> float:
    """Read units of a DynamoDB read call, from the items it returned."""
    if call.service != "dynamodb" or call.response is None:
        return 0.0
    consistent = bool(call.params.get("ConsistentRead"))
    if call.operation == "GetItem":
        item = call.response.get("Item")
        return sizing.read_units(sizing.item_size(item) if item else 0, consistent)
    if call.operation in ("Query", "Scan"):
        total = sum(sizing.item_size(item) for item in call.response.get("Items") or ())
        return sizing.read_units(total, consistent)
    return 0.0


def write_units(calls: list[Call], schema: TableSchema) -> int:
    return sum(units.total for call in calls for units in item_units(call, schema))


class Recorder:
    def __init__(self, schema: TableSchema, region: str) -> None:
        self.schema = schema
        # Its own session: the hooks below are never registered on it, so its reads are not counted.
        self._reader = boto3.session.Session(region_name=region).client("dynamodb")
        self._calls: list[Call] | None = None
        self._hooked: set[int] = set()
        self.mismatches: list[str] = []

    # ------------------------------------------------------------------ wiring
    def attach(self, events: Any) -> None:
        """Hook an event emitter: a client's `meta.events` or a session's `events`."""
        if id(events) in self._hooked:
            return
        self._hooked.add(id(events))
        events.register("before-call", self._before_call, unique_id=f"bench-before-{id(self)}")
        events.register("after-call", self._after_call, unique_id=f"bench-after-{id(self)}")

    def attach_models(self) -> None:
        """Every pynamodb model's botocore client (each model has its own connection and client)."""
        from recovery.store import models

        for model in models.MODELS:
            self.attach(model._get_connection().connection.client.meta.events)

    def attach_default_session(self) -> None:
        """boto3's default session: clients created from it later (boto3.client(...)) inherit the hooks."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        self.attach(boto3.DEFAULT_SESSION.events)

    @contextmanager
    def capture(self) -> Iterator[list[Call]]:
        calls: list[Call] = []
        made = 0
        original = BaseClient._make_api_call
        reader = self._reader

        def counting(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            nonlocal made
            if client is not reader:
                made += 1
            return original(client, operation_name, api_params)

        self._calls = calls
        BaseClient._make_api_call = counting
        try:
            yield calls
        finally:
            BaseClient._make_api_call = original
            self._calls = None
            if made != len(calls):
                self.mismatches.append(
                    f"{made} API calls made, {len(calls)} seen by hooks: {[c.name for c in calls]}"
                )

    # ------------------------------------------------------------------ hooks
    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self._calls is None:
            return
        service = model.service_model.service_name
        body = params.get("body") or b""
        try:
            api_params = json.loads(body) if body else {}
        except (TypeError, ValueError):
            api_params = {}
        call = Call(service, model.name, api_params)
        self._calls.append(call)
        if service == "dynamodb" and model.name in WRITE_OPERATIONS:
            for write in writes_of(model.name, api_params, self.schema):
                call.before[write.key_id] = self._get(write)

    def _after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if self._calls is None or not self._calls:
            return
        call = self._calls[-1]
        call.response = parsed
        if call.service == "dynamodb" and call.operation in WRITE_OPERATIONS:
            for write in writes_of(call.operation, call.params, self.schema):
                if write.action == "Update":
                    call.after[write.key_id] = self._get(write)

    def _get(self, write: Write) -> Item | None:
        response = self._reader.get_item(TableName=write.table, Key=write.key, ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item
