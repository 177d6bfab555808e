"""Items read by one follow-up run, with 1k, 10k and 100k other items in the table and 10 follow-ups due.

In-process on moto, one fresh stack per size (the template's table with its GSIs; `tests/support.py`),
the demo teams seeded from `config/`, and `recovery.services.follow_up.Followups` built as the follow-up
function builds it, with a recording sender standing in for SES and SNS.

- **Other items**: copies of the items a real case leaves behind once its follow-up went out and its
  answer window closed (feedback, case, customer, timeline entries, delivery rows, links, the follow-up
  itself), each with its own keys, written with the low-level client's BatchWriteItem, 25 per call.
  None carries the due index's keys: they are what the run must not read.
- **Due**: 10 cases opened through the real ingest handler and resolved in the table with their planned
  follow-up (as the cases API resolves them): 5 whose follow-up is due to be sent, and 5 whose follow-up
  went out 7 days earlier and whose answer window has just closed (each becomes `no_response`).
- **Counting**: as `sweep_reads.py`: botocore `after-call` hooks on the client every model uses, the
  ScannedCount of every Query and Scan, the item of every GetItem; `BaseClient._make_api_call` counted
  too, so a DynamoDB call from another client shows up as a mismatch. Nothing is timed.

The figure counts everything the run reads: the due index (the 10 due keys) and the reads of the work
it does for each (the follow-up, its case, the customer, the suppression list, the teams once).
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench import ROOT, harness, scenario
from bench.sweep_reads import Clock, _count, _fill, _templates, counting_reads, read_summary

SIZES = (1_000, 10_000, 100_000)
DUE_SENDS = 5
DUE_NO_RESPONSE = 5


def _followups(sender: Any) -> Any:
    from recovery.domain.identity import PiiHasher
    from recovery.services.alerts import CachedConfig
    from recovery.services.customer_contact import CustomerMessenger
    from recovery.services.follow_up import FollowUps
    from recovery.store.alerting import AlertStore, ConfigStore
    from recovery.store.follow_up import FollowUpStore
    from recovery.store.links import LinkStore
    from recovery.store.suppressions import SuppressionStore

    hasher = PiiHasher(b"b" * 32)
    links = LinkStore()
    messenger = CustomerMessenger(
        AlertStore(),
        links,
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        suppressed=SuppressionStore().is_suppressed,
        sleep=lambda _: None,
    )
    return FollowUps(
        FollowUpStore(),
        CachedConfig(ConfigStore()),
        links,
        messenger,
        "http://127.0.0.1:3000",
        lambda name, value, unit: None,
    )


def _resolved(ingest: Any, index: int, now: datetime, prefix: str) -> str:
    """A negative through ingest, then resolved with its follow-up planned, as the cases API does."""
    from recovery.services.follow_up import plan_follow_up
    from recovery.store.alerting import ConfigStore
    from recovery.store.follow_up import FollowUpStore, follow_up_put
    from recovery.store.models import CaseItem, FeedbackItem

    body = scenario.negative(index, now - timedelta(minutes=30), random.Random(index), prefix=prefix)
    body["customer"]["id"] = f"cust-{prefix}{index:05d}"
    body["customer"]["email"] = f"customer.{prefix}{index}@example.com"
    status, answer = harness.post(ingest, body)
    if status != 201 or not answer.get("case_id"):
        raise RuntimeError(f"ingest answered {status}: {answer}")
    case_id = str(answer["case_id"])
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    case.update(
        actions=[
            CaseItem.status.set("resolved"),
            CaseItem.team.set("support-emea"),
            CaseItem.resolved_at.set(now),
        ]
    )
    found = ConfigStore().get()
    team = found[0].team("support-emea") if found else None
    resolved = FollowUpStore().get_case(case_id)
    if resolved is None:
        raise RuntimeError("the case is gone")
    planned = plan_follow_up(
        resolved,
        FollowUpStore().get_customer(case.customer_key),
        team,
        FeedbackItem.get(case.feedback_pk, "FB").detail["score"],
        now,
    )
    put = follow_up_put(planned, None) if planned is not None else None
    if put is None:
        raise RuntimeError("no follow-up was planned for the case")
    put[0].save(condition=put[1])
    return case_id


def measure_one(size: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery import clock as recovery_clock
    from recovery.notify.senders import RecordingSender
    from recovery.store import models
    from tools.seed import seed_alerting

    # Mondays at 10:00 UTC (11:00 in Oslo): every follow-up falls inside the customers' contact hours.
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=today.weekday() + 21)
    moment = Clock(start)
    with harness.sandbox() as box:
        recovery_clock.set_source(moment)
        client = boto3.session.Session(region_name=harness.REGION).client("dynamodb")
        if not seed_alerting(ROOT / "config"):
            raise RuntimeError("the teams and routing were not seeded")
        ingest = box.load("ingest")
        sender = RecordingSender()
        followups = _followups(sender)

        # The template: one case whose follow-up went out and whose answer window closed.
        template_case = _resolved(ingest, 0, moment.now, prefix="t")
        # 5 resolved now, sent in 3 days, their answer window closing 7 days after that.
        closing = [
            _resolved(ingest, index, moment.now, prefix="n") for index in range(1, DUE_NO_RESPONSE + 1)
        ]
        moment.now = start + timedelta(days=3, minutes=5)
        sent = followups.run(moment.now)
        if sorted(sent.sent) != sorted([template_case, *closing]):
            raise RuntimeError(f"the follow-ups were not sent: {sent}")
        moment.now += timedelta(days=7, minutes=5)
        if followups.close_unanswered(template_case, moment.now) is not True:
            raise RuntimeError("the template's answer window did not close")
        templates = _templates(box.stack.table, client)

        # 5 resolved 3 days before the run (due now); opened before the table fills (moto copies the
        # whole table for every action of a TransactWriteItems).
        moment.now -= timedelta(days=3, minutes=10)
        sends = [_resolved(ingest, index, moment.now, prefix="s") for index in range(1, DUE_SENDS + 1)]
        moment.now += timedelta(days=3, minutes=10)
        written = _fill(box.stack.table, client, templates, size)
        total = _count(client, box.stack.table)
        indexed = _count(client, box.stack.table, IndexName="due")

        sent_before = len(sender.sent)
        with counting_reads(models.dynamodb_client()) as log:
            outcome = followups.run(moment.now)

    if sorted(outcome.sent) != sorted(sends) or sorted(outcome.no_response) != sorted(closing):
        raise RuntimeError(f"the run did not act on the 10 due follow-ups: {outcome.as_dict()}")
    return read_summary(
        log,
        size=size,
        written=written,
        total=total,
        indexed=indexed,
        due=DUE_SENDS + DUE_NO_RESPONSE,
        reported=("run_items_read_reported", outcome.items_read),
        messages_sent=len(sender.sent) - sent_before,
        progress=progress,
    )


def measure(sizes: tuple[int, ...], progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery.store.follow_up import FollowUpStore

    page = inspect.signature(FollowUpStore.due).parameters["page"].default
    by_size = {str(size): measure_one(size, progress) for size in sizes}
    return {"page_size": page, "due": DUE_SENDS + DUE_NO_RESPONSE, "sizes": by_size}


def budgets(results: dict[str, Any]) -> list[Any]:
    """The budget rows for `bench/run.py`: one per table size, limit 10 due plus one index page."""
    from bench.report import Budget

    limit = results["due"] + results["page_size"]
    return [
        Budget(
            f"followup_items_read_{size}",
            f"items read by one follow-up run, {int(size):,} other items, {row['due']} due",
            row["items_read"],
            "items",
            limit,
            f"moto; ScannedCount of every Query plus every item read by GetItem (botocore after-call "
            f"hooks); {row['index_items_read']} from the due index, the rest the due follow-ups' own "
            f"reads; limit {results['due']} + one page of {results['page_size']}",
        )
        for size, row in results["sizes"].items()
    ]


def context(results: dict[str, Any]) -> str:
    return (
        "- Follow-up run reads by table size: "
        + "; ".join(
            f"{int(size):,} other items: {row['items_read']} "
            f"({row['index_items_read']} index, {row['items_read'] - row['index_items_read']} GetItem)"
            for size, row in results["sizes"].items()
        )
        + "."
    )
