"""Items read by one sweep, with 1k, 10k and 100k other items in the table and 10 cases due.

In-process on moto, one fresh stack per size (the template's table with its GSIs; `tests/support.py`),
the demo teams and routing seeded from `config/`, and `recovery.services.alerts.Alerts` built as the sweep
function builds it, with a recording sender standing in for SES and SNS.

- **Other items**: copies of the items a real negative leaves behind once it is alerted and
  acknowledged (feedback, case, customer, timeline entries, delivery rows, the link), each with its own
  keys, written with the low-level client's BatchWriteItem, 25 per call. None carries the due index's
  keys: they are what the sweep must not read.
- **Due**: 10 cases opened through the real ingest handler: 5 alerted and left unacknowledged past
  their 15-minute deadline (each escalates to level 2), and 5 whose CaseOpened was lost, older than the
  alert grace period (each gets its first alert). The virtual clock then stands 31 s after the last.
- **Counting**: botocore `after-call` hooks on the client every model uses
  (`recovery.store.models.dynamodb_client()`): the ScannedCount of every Query and Scan, the item of
  every GetItem, the items of every BatchGetItem and TransactGetItems. While the sweep runs,
  `BaseClient._make_api_call` is counted too, so a DynamoDB call from another client shows up as a
  mismatch. Nothing is timed: moto's Query scans the whole table.

The figure counts everything the sweep reads: the due index (the 10 due keys) and the reads of the
work it then does for each due case (the case, its feedback and customer, the config once).
"""

from __future__ import annotations

import copy
import inspect
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.client import BaseClient

from bench import ROOT, harness, scenario

SIZES = (1_000, 10_000, 100_000)
DUE_ESCALATIONS = 5
DUE_LOST_ALERTS = 5
BATCH = 25
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})


def items_read(operation: str, response: dict[str, Any]) -> int:
    """Items a DynamoDB read call read, from its response: what DynamoDB bills the read for."""
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "GetItem":
        return 1 if "Item" in response else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in (response.get("Responses") or {}).values())
    if operation == "TransactGetItems":
        return sum(1 for entry in response.get("Responses") or () if "Item" in entry)
    return 0


@dataclass
class ReadLog:
    calls: list[dict[str, Any]] = field(default_factory=list)
    made: int = 0

    @property
    def items(self) -> int:
        return sum(call["items"] for call in self.calls)

    def by_operation(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for call in self.calls:
            if call["operation"] not in READ_OPERATIONS:
                continue
            row = found.setdefault(call["operation"], {"calls": 0, "items": 0})
            row["calls"] += 1
            row["items"] += call["items"]
        return found


@contextmanager
def counting_reads(client: Any) -> Iterator[ReadLog]:
    log = ReadLog()

    def after_call(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        entry: dict[str, Any] = {"operation": model.name, "items": items_read(model.name, parsed)}
        if model.name == "Query":
            entry["count"] = parsed.get("Count")
            entry["scanned_count"] = parsed.get("ScannedCount")
        log.calls.append(entry)

    original = BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            log.made += 1
        return original(self, operation_name, api_params)

    client.meta.events.register("after-call.dynamodb", after_call, unique_id="bench-sweep-reads")
    BaseClient._make_api_call = counted
    try:
        yield log
    finally:
        BaseClient._make_api_call = original
        client.meta.events.unregister("after-call.dynamodb", unique_id="bench-sweep-reads")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _alerts(sender: Any) -> Any:
    from recovery.domain.identity import PiiHasher
    from recovery.services.alerts import Alerts, CachedConfig
    from recovery.services.owner_notices import Reminders
    from recovery.store.alerting import AlertStore, ConfigStore
    from recovery.store.feedback import FeedbackStore
    from recovery.store.links import LinkStore
    from recovery.store.notices import NoticeStore

    hasher = PiiHasher(b"b" * 32)
    return Alerts(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        lambda name, value, unit: None,
        sleep=lambda _: None,
        reminders=Reminders(NoticeStore(), lambda name, value, unit: None),  # idle acknowledged cases
    )


def _open(ingest: Any, index: int, occurred: datetime, prefix: str) -> str:
    import random

    body = scenario.negative(index, occurred, random.Random(index), prefix=prefix)
    body["customer"]["id"] = f"cust-{prefix}{index:05d}"
    status, answer = harness.post(ingest, body)
    if status != 201 or not answer.get("case_id"):
        raise RuntimeError(f"ingest answered {status}: {answer}")
    return str(answer["case_id"])


def _templates(table: str, client: Any) -> list[dict[str, Any]]:
    """Every item in the (still small) table except configuration: sources and teams."""
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        found += [item for item in page["Items"] if not item["pk"]["S"].startswith("CFG#")]
    return found


def _copy(template: dict[str, Any], number: int) -> dict[str, Any]:
    """A template item under new keys: every string naming the template's ids gets a fresh one."""
    item = copy.deepcopy(template)
    for name in ("due_pk", "due_at"):
        item.pop(name, None)
    tag = f"f{number:06d}"
    for name, value in item.items():
        if "S" in value and "#" in value["S"]:
            head, _, rest = value["S"].partition("#")
            value["S"] = f"{head}#{tag}#{rest}"
        elif name in ("case_id", "feedback_id") and "S" in value:
            value["S"] = f"{value['S']}-{tag}"
    return item


def _count(client: Any, table: str, **index: str) -> int:
    pages = client.get_paginator("scan").paginate(TableName=table, Select="COUNT", **index)
    return sum(int(page["Count"]) for page in pages)


def _fill(table: str, client: Any, templates: list[dict[str, Any]], count: int) -> int:
    kinds = itertools.cycle(templates)
    written = 0
    while written < count:
        batch = [
            {"PutRequest": {"Item": _copy(next(kinds), written + offset)}}
            for offset in range(min(BATCH, count - written))
        ]
        pending: dict[str, Any] = {table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        written += len(batch)
    return written


def measure_one(size: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery import clock as recovery_clock
    from recovery.notify.senders import RecordingSender
    from recovery.store import models
    from tools.seed import seed_alerting

    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    start = today if today <= datetime.now(UTC) else today - timedelta(days=1)
    moment = Clock(start)
    with harness.sandbox() as box:
        recovery_clock.set_source(moment)
        client = boto3.session.Session(region_name=harness.REGION).client("dynamodb")
        if not seed_alerting(ROOT / "config"):
            raise RuntimeError("the teams and routing were not seeded")
        ingest = box.load("ingest")
        sender = RecordingSender()
        alerts = _alerts(sender)

        # The template: one negative, alerted and acknowledged through its link.
        template_case = _open(ingest, 0, start - timedelta(minutes=5), prefix="t")
        alerts.alert(template_case)
        email = next(message for message in sender.sent if message.channel == "email")
        code = email.text.split("/a/")[1].split()[0].strip()
        verdict, _ = alerts.acknowledge(code, moment.now)
        if verdict.name != "OK":
            raise RuntimeError(f"the template case was not acknowledged: {verdict}")
        templates = _templates(box.stack.table, client)

        # 5 alerted, then left unacknowledged past their deadline; 5 whose event was lost. Opened before
        # the table fills: moto copies the whole table for every action of a TransactWriteItems.
        escalations = [
            _open(ingest, index, start - timedelta(minutes=5), prefix="e")
            for index in range(1, DUE_ESCALATIONS + 1)
        ]
        for case_id in escalations:
            alerts.alert(case_id)
        moment.now = start + timedelta(minutes=16)
        lost = [
            _open(ingest, index, moment.now - timedelta(minutes=5), prefix="l")
            for index in range(1, DUE_LOST_ALERTS + 1)
        ]
        written = _fill(box.stack.table, client, templates, size)
        moment.now += timedelta(seconds=31)
        total = _count(client, box.stack.table)
        indexed = _count(client, box.stack.table, IndexName="due")

        sent_before = len(sender.sent)
        with counting_reads(models.dynamodb_client()) as log:
            outcome = alerts.sweep(moment.now)

    if sorted(outcome.alerted) != sorted(lost) or sorted(outcome.escalated) != sorted(escalations):
        raise RuntimeError(
            f"the sweep did not act on the 10 due cases: alerted {outcome.alerted}, "
            f"escalated {outcome.escalated}, breached {outcome.breached}"
        )
    return read_summary(
        log,
        size=size,
        written=written,
        total=total,
        indexed=indexed,
        due=DUE_ESCALATIONS + DUE_LOST_ALERTS,
        reported=("sweep_items_read_reported", outcome.items_read),
        messages_sent=len(sender.sent) - sent_before,
        progress=progress,
    )


def read_summary(
    log: Any,
    *,
    size: int,
    written: int,
    total: int,
    indexed: int,
    due: int,
    reported: tuple[str, int],
    messages_sent: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """One table size's figures for a scheduled run (the sweep, the follow-up run): what the call hooks
    counted, what the run reported, and a progress line."""
    queries = [call for call in log.calls if call["operation"] == "Query"]
    result = {
        "other_items": written,
        "table_items": total,
        "due_index_items": indexed,
        "due": due,
        "items_read": log.items,
        "index_items_read": sum(call["items"] for call in queries),
        "queries": len(queries),
        "reads_by_operation": log.by_operation(),
        reported[0]: reported[1],
        "messages_sent": messages_sent,
        "writes": sum(1 for call in log.calls if call["operation"] not in READ_OPERATIONS),
        "dynamodb_calls": len(log.calls),
        "dynamodb_calls_made": log.made,
    }
    if log.made != len(log.calls):
        result["hook_mismatch"] = f"{log.made} DynamoDB calls made, {len(log.calls)} seen by the hooks"
    progress(
        f"{size} other items ({total} in the table, {indexed} in the due index): {log.items} items read "
        f"({result['index_items_read']} from the due index in {len(queries)} queries)"
    )
    return result


def measure(sizes: tuple[int, ...], progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery.store.alerting import AlertStore

    page = inspect.signature(AlertStore.due).parameters["page"].default
    by_size = {str(size): measure_one(size, progress) for size in sizes}
    return {"page_size": page, "due": DUE_ESCALATIONS + DUE_LOST_ALERTS, "sizes": by_size}
