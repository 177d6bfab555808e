"""A synthetic history for the report benchmarks: `total` feedback over 30 days for one team, with the case
each negative opened and what became of it, as the table stream would deliver them.

Every feedback and case is built as the pynamodb item the real code writes (`FeedbackItem`, `CaseItem`),
serialised as DynamoDB does and read back as the stream function's images, then counted by the same code
the stream function runs (`recovery.domain.changes.counter_deltas`, `recovery.store.counters.CounterStore`),
100 records a batch. No feedback row is written: the reports read counters only, and these are the counters
`total` feedback leave behind.

Feedback is spread evenly over the UTC hours of the 30 local days (hour `i % hours`), so every hour holds
some at each size from 720 up: a report over the range reads the same hours at 1k as at 100k.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

TEAM = "support-emea"
ZONE = "Europe/Oslo"  # the team's zone in config/teams.yaml
DAYS = 30
AGENTS = tuple(f"agent-{number:02d}" for number in range(10))  # the report's 10 breakdown groups
TAGS = ("wait-time", "billing", "delivery", "rude", "app-crash")
CHANNELS = ("chat", "phone", "email")
SOURCES = ("demo-web", "demo-support")
CAUSES = ("wait_time", "billing", "delivery", "staff_behaviour", "technical")
NEGATIVE_SHARE = 0.2
BATCH = 100

_deserializer = TypeDeserializer()


def period(today: date) -> tuple[date, date]:
    """The 30 local days ending yesterday."""
    return today - timedelta(days=DAYS), today - timedelta(days=1)


def _image(item: Any) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.serialize().items()}


def _changes(total: int, hours: list[str], seed: int) -> Iterator[Any]:
    from recovery.domain.changes import Change
    from recovery.domain.metrics import hour_start
    from recovery.store.models import CaseItem, FeedbackItem

    rng = random.Random(seed)
    for index in range(total):
        occurred = hour_start(hours[index % len(hours)]) + timedelta(seconds=rng.randrange(3600))
        negative = rng.random() < NEGATIVE_SHARE
        agent, channel, source = rng.choice(AGENTS), rng.choice(CHANNELS), rng.choice(SOURCES)
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2)))
        score = {"type": "nps", "value": rng.randrange(0, 7) if negative else rng.randrange(7, 11)}
        feedback_id = f"fb_bench{index:08d}"
        case_id = f"cs_bench{index:08d}" if negative else None
        feedback = FeedbackItem(
            f"FB#{source}#r{index}",
            "FB",
            feedback_id=feedback_id,
            source=source,
            content_hash=f"h{index}",
            status="scored",
            score_type="nps",
            verdict="negative" if negative else "positive",
            priority=2 if negative else None,
            case_id=case_id,
            channel=channel,
            agent=agent,
            team=TEAM,
            detail={"score": score, "tags": tags},
            occurred_at=occurred,
            received_at=occurred,
            updated_at=occurred,
            cust_pk=f"CUST#bench{index}",
            cust_sk=f"FB#{index}",
        )
        yield Change(f"ev-fb-{index}", "INSERT", feedback.pk, None, _image(feedback))
        if case_id is None:
            continue
        opened = occurred + timedelta(seconds=rng.randrange(5, 60))
        case = CaseItem(
            f"CASE#{case_id}",
            "CASE",
            case_id=case_id,
            feedback_pk=feedback.pk,
            feedback_id=feedback_id,
            source=source,
            status="open",
            priority=2,
            team=TEAM,
            channel=channel,
            agent=agent,
            customer_key=f"bench{index}",
            opened_at=opened,
            occurred_at=occurred,
            ack_due_at=opened + timedelta(minutes=15),
            resolve_due_at=opened + timedelta(hours=24),
            alert_state="pending",
            level=1,
            cust_pk=f"CUST#bench{index}",
            cust_sk=f"CASE#{index}",
        )
        if hasattr(CaseItem, "tags"):
            case.tags = tags
        opened_image = _image(case)
        yield Change(f"ev-cs-{index}-0", "INSERT", case.pk, None, opened_image)
        case.alert_state, case.alerted_at = "sent", opened + timedelta(seconds=rng.randrange(1, 20))
        case.status, case.acked_at = "acknowledged", opened + timedelta(minutes=rng.randrange(1, 40))
        case.sla_breached = case.acked_at > case.ack_due_at
        if rng.random() < 0.8:
            case.status, case.resolved_at = "resolved", case.acked_at + timedelta(hours=rng.randrange(1, 30))
            case.resolution = {"root_cause": rng.choice(CAUSES), "summary": "", "by": "bench"}
            if rng.random() < 0.3:
                amount = str(Decimal(rng.randrange(100, 5000)) / 100)
                case.compensations = [
                    {"id": "c1", "type": "refund", "amount": amount, "currency": "EUR", "status": "granted"}
                ]
            if rng.random() < 0.6 and hasattr(CaseItem, "followup_sent_at"):
                case.followup_sent_at = case.resolved_at + timedelta(days=3)
                after = rng.randrange(0, 11)
                case.outcome = (
                    "recovered" if after >= 9 else ("improved" if after > score["value"] else "not_recovered")
                )
                case.rating_before, case.rating_after = score, {"type": "nps", "value": after}
        yield Change(f"ev-cs-{index}-1", "MODIFY", case.pk, opened_image, _image(case))


def seed(total: int, today: date, progress: Callable[[str], None], seed_value: int = 7) -> dict[str, Any]:
    """Count `total` feedback's history into the bound table's counters; returns what was counted.

    The records are counted 100 a batch by the stream function's code (`counter_deltas`), and the sums
    written as the counter items `CounterStore` leaves behind, with BatchWriteItem: under moto every
    action of a TransactWriteItems copies the whole table, which would make seeding 100k feedback take
    hours without changing a single item the report reads.
    """
    from boto3.dynamodb.types import TypeSerializer

    from recovery.domain.changes import counter_deltas
    from recovery.domain.metrics import utc_hours
    from recovery.store import models
    from recovery.store.counters import counter_pk, hour_sk
    from recovery.store.models import CounterItem

    hours = utc_hours(*period(today), ZONE)
    totals: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    batch: list[Any] = []
    batches = records = 0

    def flush() -> None:
        nonlocal batches
        for team_hour, amounts in counter_deltas(batch).items():
            for name, amount in amounts.items():
                totals[team_hour][name] += amount
        batches += 1
        batch.clear()

    for change in _changes(total, hours, seed_value):
        batch.append(change)
        records += 1
        if len(batch) == BATCH:
            flush()
            if batches % 200 == 0:
                progress(f"{total:,} feedback: {batches} stream batches counted")
    if batch:
        flush()

    serializer = TypeSerializer()
    client = models.dynamodb_client()
    table = CounterItem.Meta.table_name
    puts = []
    for (team, hour), amounts in totals.items():
        item = {"pk": counter_pk(team), "sk": hour_sk(hour), "team": team, "hour": hour, **amounts}
        typed = {name: serializer.serialize(value) for name, value in item.items()}
        puts.append({"PutRequest": {"Item": typed}})
    for start in range(0, len(puts), 25):
        pending: dict[str, Any] = {table: puts[start : start + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return {"feedback": total, "records": records, "batches": batches, "counter_items": len(puts)}
