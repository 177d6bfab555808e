"""Storage for working cases: the queue, a case with its timeline and history, and versioned changes.

Every change to a case is one transaction: the case update (conditional on the version the lead saw, and on
its status) together with its timeline event and any item the change brings (a follow-up), so the timeline
never misses a change and a stale write changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.store.errors import transient_as_domain
from recovery.store.models import (
    CaseEventItem,
    CaseItem,
    CustomerItem,
    FeedbackItem,
    FollowUpItem,
    _Item,
    get_item,
)

HISTORY_LIMIT = 50  # earlier feedback and cases shown on a case


class StaleCase(Exception):
    """The case changed since the lead read it (HTTP 412)."""


class BadCursor(ValueError):
    """A cursor that is not one this list handed out (HTTP 400)."""


@dataclass(frozen=True)
class Page:
    items: list[CaseItem]
    next_cursor: str | None


def queue_partition(team: str, status: str) -> str:
    return f"QUEUE#{team}#{status}"


def queue_sort_key(priority: int, deadline: datetime, case_id: str) -> str:
    from recovery import clock

    return f"P{int(priority)}#{clock.iso(deadline)}#{case_id}"


def history_partition(team: str, occurred_at: datetime) -> str:
    """The `history` index partition of a team's cases from one month (UTC) of interactions."""
    return f"HIST#{team}#{occurred_at.astimezone(UTC).strftime('%Y-%m')}"


def history_sort_key(occurred_at: datetime, case_id: str) -> str:
    from recovery import clock

    return f"{clock.iso(occurred_at)}#{case_id}"


def _encode_cursor(key: dict[str, Any]) -> str:
    plain = {name: value["S"] for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, partition: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor("the cursor is not valid") from error
    expected = {"pk", "sk", "queue_pk", "queue_sk"}
    if (
        not isinstance(plain, dict)
        or set(plain) != expected
        or not all(isinstance(v, str) for v in plain.values())
    ):
        raise BadCursor("the cursor is not valid")
    if plain["queue_pk"] != partition:
        # A cursor can only continue the list it came from: never another team's queue.
        raise BadCursor("the cursor belongs to another list")
    return {name: {"S": value} for name, value in plain.items()}


class CaseStore:
    def get(self, case_id: str) -> CaseItem | None:
        with transient_as_domain():
            return get_item(CaseItem, f"CASE#{case_id}", "CASE")

    def queue(self, team: str, status: str, priority: int | None, limit: int, cursor: str | None) -> Page:
        """One page of a team's cases in a status, by priority then deadline: one Query on `queue`."""
        partition = queue_partition(team, status)
        start = _decode_cursor(cursor, partition) if cursor else None
        condition = CaseItem.queue_sk.startswith(f"P{priority}#") if priority is not None else None
        with transient_as_domain():
            result = CaseItem.queue_index.query(
                partition, condition, limit=limit, last_evaluated_key=start, page_size=limit
            )
            items = list(result)
            last = result.last_evaluated_key
        return Page(items, _encode_cursor(last) if last and len(items) == limit else None)

    def timeline(self, case_id: str) -> list[CaseEventItem]:
        with transient_as_domain():
            return list(CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#")))

    def feedback(self, pk: str) -> FeedbackItem | None:
        with transient_as_domain():
            return get_item(FeedbackItem, pk, "FB")

    def customer(self, customer_key: str) -> CustomerItem | None:
        with transient_as_domain():
            return get_item(CustomerItem, f"CUST#{customer_key}", "CUST")

    def followup(self, case_id: str) -> FollowUpItem | None:
        with transient_as_domain():
            return get_item(FollowUpItem, f"FUP#{case_id}", "FUP")

    def history(self, customer_key: str) -> tuple[list[FeedbackItem], list[CaseItem]]:
        """The customer's feedback and cases, newest first: keys from `by_customer`, then a BatchGet."""
        with transient_as_domain():
            keys = list(
                CaseItem.customer_index.query(
                    f"CUST#{customer_key}", scan_index_forward=False, limit=HISTORY_LIMIT * 2
                )
            )
            feedback_keys = [(item.pk, item.sk) for item in keys if str(item.sk) == "FB"]
            case_keys = [(item.pk, item.sk) for item in keys if str(item.sk) == "CASE"]
            feedback = list(FeedbackItem.batch_get(feedback_keys[:HISTORY_LIMIT])) if feedback_keys else []
            cases = list(CaseItem.batch_get(case_keys[:HISTORY_LIMIT])) if case_keys else []
        feedback.sort(key=lambda item: item.occurred_at, reverse=True)
        cases.sort(key=lambda item: item.opened_at, reverse=True)
        return feedback, cases

    def change(
        self,
        case: CaseItem,
        expected_version: int,
        condition: Condition | None,
        actions: list[Action],
        event: CaseEventItem,
        puts: list[tuple[_Item, Condition | None]] = (),  # type: ignore[assignment]
        updates: list[tuple[_Item, list[Action], Condition | None]] = (),  # type: ignore[assignment]
    ) -> None:
        """Apply `actions` to the case only if it is still at `expected_version` (and `condition` holds),
        with its timeline event and the other items, all or nothing. Raises StaleCase otherwise."""
        case.version = expected_version
        try:
            with transient_as_domain(), TransactWrite(connection=_connection()) as transaction:
                transaction.update(case, actions=actions, condition=condition)
                transaction.save(event, condition=CaseEventItem.sk.does_not_exist())
                for item, put_condition in puts:
                    transaction.save(item, condition=put_condition)
                for item, item_actions, update_condition in updates:
                    transaction.update(item, actions=item_actions, condition=update_condition)
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise StaleCase("the case changed since it was read; read it again") from error
            raise

    def record(self, case_id: str, kind: str, at: datetime, actor: str | None, **detail: Any) -> None:
        """Append an event outside a change (what happened after a committed change, e.g. a delivery)."""
        with transient_as_domain():
            new_event(case_id, kind, at, actor, **detail).save(condition=CaseEventItem.sk.does_not_exist())

    def update_case(self, case: CaseItem, actions: list[Action], condition: Condition | None = None) -> None:
        """A change the lead did not make (an approval decision), guarded by the version read."""
        with transient_as_domain():
            case.update(actions=actions, condition=condition)


def new_event(case_id: str, kind: str, at: datetime, actor: str | None, **detail: Any) -> CaseEventItem:
    """A timeline event. The random suffix keeps two events of one kind in the same instant apart."""
    return CaseEventItem(
        f"CASE#{case_id}",
        f"EVT#{at.isoformat()}#{kind}#{secrets.token_hex(3)}",
        case_id=case_id,
        kind=kind,
        at=at,
        actor=actor,
        detail=detail,
    )


def _connection() -> Connection:
    return CaseItem._get_connection().connection
