"""Storage for working cases: the queue, a case with its timeline and history, and versioned changes.

Every change to a case is one transaction: the case update (conditional on the version the lead saw, and on
its status) together with its timeline event and any item the change brings (a follow-up), so the timeline
never misses a change and a stale write changes nothing. Each change is an intent (`acknowledge`, `note`,
`add_compensation`, `assign`, `resolve`, `reopen`, `decide_compensation`) that answers the case as it now
is; the services say what the timeline records (`kind`, `detail`).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.domain.follow_up import FollowUpPlan
from recovery.domain.identity import due_partition
from recovery.domain.notices import REMINDER_DUE_KIND, reminder_due
from recovery.domain.records import Case, CaseEvent, Customer, Feedback, FollowUp
from recovery.store.errors import transient_as_domain
from recovery.store.follow_up import cancel_update, follow_up_put
from recovery.store.models import (
    CaseEventItem,
    CaseItem,
    CustomerItem,
    FeedbackItem,
    FollowUpItem,
    _Item,
    get_item,
)
from recovery.store.records import case_item, case_of, customer_of, event_of, feedback_of, follow_up_of

HISTORY_LIMIT = 50  # earlier feedback and cases shown on a case


class StaleCase(Exception):
    """The case changed since the lead read it (HTTP 412)."""


class BadCursor(ValueError):
    """A cursor that is not one this list handed out (HTTP 400)."""


@dataclass(frozen=True)
class Page:
    items: list[Case]
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


def acknowledge_actions(case: Case, by: str, now: datetime) -> list[Action]:
    """Acknowledged by `by` (a link's tap or the console): out of the ack deadline's due index, so no more
    escalation, and into the reminder's (docs/notices.md: reminded once if nothing is done by half the
    resolve SLA); into the team's acknowledged queue by the resolve deadline; owned by `by` unless owned
    already."""
    from recovery import clock

    remind_at = reminder_due(case.opened_at, case.resolve_due_at, now)
    actions: list[Action] = [
        CaseItem.status.set("acknowledged"),
        CaseItem.acked_at.set(now),
        CaseItem.acked_by.set(by),
        *(
            [CaseItem.due_pk.remove(), CaseItem.due_at.remove()]  # no more escalation, no reminder
            if remind_at is None
            else [
                CaseItem.due_pk.set(due_partition(REMINDER_DUE_KIND, case.case_id)),
                CaseItem.due_at.set(clock.iso(remind_at)),
            ]
        ),
        CaseItem.queue_pk.set(queue_partition(case.team or "unrouted", "acknowledged")),
        CaseItem.queue_sk.set(queue_sort_key(int(case.priority), case.resolve_due_at, case.case_id)),
    ]
    if case.owner is None:
        actions.append(CaseItem.owner.set(by))
    return actions


def _acted(case: Case) -> list[Action]:
    """Something was done on an acknowledged case: its reminder (the only due work an acknowledged case
    has) is no longer due. The change is conditional on the status it was read in, so an open case's
    acknowledgement deadline is never touched."""
    if case.status != "acknowledged":
        return []
    return [CaseItem.due_pk.remove(), CaseItem.due_at.remove()]


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
    def get(self, case_id: str) -> Case | None:
        with transient_as_domain():
            item = get_item(CaseItem, f"CASE#{case_id}", "CASE")
        return case_of(item) if item is not None else None

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
        return Page(
            [case_of(item) for item in items], _encode_cursor(last) if last and len(items) == limit else None
        )

    def people(self, cases: Sequence[Case]) -> tuple[dict[str, Feedback], dict[str, Customer]]:
        """What a page of the queue shows besides the cases: each case's feedback (by its key) and
        customer (by customer key). Two BatchGets, however long the page: never one read per case."""
        feedback_keys = list(dict.fromkeys((case.feedback_pk, "FB") for case in cases))
        customer_keys = list(dict.fromkeys((f"CUST#{case.customer_key}", "CUST") for case in cases))
        with transient_as_domain():
            feedback = list(FeedbackItem.batch_get(feedback_keys)) if feedback_keys else []
            customers = list(CustomerItem.batch_get(customer_keys)) if customer_keys else []
        by_feedback = {record.key: record for record in map(feedback_of, feedback)}
        by_customer = {record.key: record for record in map(customer_of, customers)}
        return by_feedback, by_customer

    def timeline(self, case_id: str) -> list[CaseEvent]:
        with transient_as_domain():
            found = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
            return [event_of(item) for item in found]

    def feedback(self, pk: str) -> Feedback | None:
        with transient_as_domain():
            item = get_item(FeedbackItem, pk, "FB")
        return feedback_of(item) if item is not None else None

    def customer(self, customer_key: str) -> Customer | None:
        with transient_as_domain():
            item = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
        return customer_of(item) if item is not None else None

    def followup(self, case_id: str) -> FollowUp | None:
        with transient_as_domain():
            item = get_item(FollowUpItem, f"FUP#{case_id}", "FUP")
        return follow_up_of(item) if item is not None else None

    def history(self, customer_key: str) -> tuple[list[Feedback], list[Case]]:
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
        return [feedback_of(item) for item in feedback], [case_of(item) for item in cases]

    # ------------------------------------------------------------------------------------- changes
    # Each applies its actions to the case only if it is still at `version` and in the status it was read
    # in, with its timeline event (`kind`, `detail`), all or nothing, and answers the case as it now is.
    # Raises StaleCase when the case moved on.
    def acknowledge(
        self, case: Case, version: int, actor: str, now: datetime, detail: dict[str, Any]
    ) -> Case:
        return self._change(
            case, version, acknowledge_actions(case, actor, now), "acknowledged", actor, now, detail
        )

    def note(
        self, case: Case, version: int, kind: str, actor: str, now: datetime, detail: dict[str, Any]
    ) -> Case:
        """Something done on the case (a note, a call, a message to the customer): the case keeps its
        owner (or gets `actor`), and its version moves, so a lead's view of it is now stale."""
        actions: list[Action] = [CaseItem.owner.set(case.owner or actor), *_acted(case)]
        return self._change(case, version, actions, kind, actor, now, detail)

    def add_compensation(
        self,
        case: Case,
        version: int,
        compensations: Sequence[Mapping[str, Any]],
        kind: str,
        actor: str,
        now: datetime,
        detail: dict[str, Any],
    ) -> Case:
        """`compensations`: the case's list with the new entry at its end."""
        actions: list[Action] = [CaseItem.compensations.set(compensations), *_acted(case)]
        return self._change(case, version, actions, kind, actor, now, detail)

    def assign(
        self, case: Case, version: int, to: str, actor: str, now: datetime, detail: dict[str, Any]
    ) -> Case:
        return self._change(case, version, [CaseItem.owner.set(to)], "assigned", actor, now, detail)

    def resolve(
        self,
        case: Case,
        version: int,
        resolution: dict[str, Any],
        actor: str,
        now: datetime,
        detail: dict[str, Any],
        follow_up: FollowUpPlan | None = None,
        existing: FollowUp | None = None,
        closing: tuple[int, int] | None = None,
    ) -> Case:
        """Resolved, out of the due index, into the resolved queue; with the follow-up `follow_up` plans,
        unless the case's follow-up (`existing`) went out already: at most one per case. `closing`: the
        team's closing target in hours and the business seconds the case took, kept on the case."""
        actions: list[Action] = [
            CaseItem.status.set("resolved"),
            CaseItem.resolved_at.set(now),
            CaseItem.resolution.set(resolution),
            CaseItem.due_pk.remove(),
            CaseItem.due_at.remove(),
            CaseItem.queue_pk.set(queue_partition(case.team or "unrouted", "resolved")),
            CaseItem.queue_sk.set(queue_sort_key(int(case.priority), now, case.case_id)),
        ]
        if closing is not None:
            actions += [CaseItem.target_hours.set(closing[0]), CaseItem.resolve_business_s.set(closing[1])]
        put = follow_up_put(follow_up, existing) if follow_up is not None else None
        puts = [put] if put is not None else []
        return self._change(case, version, actions, "resolved", actor, now, detail, puts=puts)

    def reopen(
        self,
        case: Case,
        version: int,
        actor: str,
        now: datetime,
        detail: dict[str, Any],
        follow_up: FollowUp | None = None,
        puts: Sequence[tuple[_Item, Condition | None]] = (),
    ) -> Case:
        """Acknowledged again; a follow-up not sent yet is cancelled with it (it would ask about a
        resolution that no longer stands). `puts`: more items the same transaction writes (the reply
        that reopens it)."""
        actions: list[Action] = [
            CaseItem.status.set("acknowledged"),
            CaseItem.resolved_at.remove(),
            CaseItem.target_hours.remove(),
            CaseItem.resolve_business_s.remove(),
            CaseItem.queue_pk.set(queue_partition(case.team or "unrouted", "acknowledged")),
            CaseItem.queue_sk.set(queue_sort_key(int(case.priority), case.resolve_due_at, case.case_id)),
        ]
        cancel = cancel_update(follow_up)
        updates = [cancel] if cancel is not None else []
        return self._change(
            case, version, actions, "reopened", actor, now, detail, puts=puts, updates=updates
        )

    def decide_compensation(
        self,
        case: Case,
        compensations: Sequence[Mapping[str, Any]],
        kind: str,
        actor: str,
        now: datetime,
        detail: dict[str, Any],
    ) -> Case:
        """An approver's decision: over the version read, whatever the status (a decision stands)."""
        actions: list[Action] = [CaseItem.compensations.set(compensations)]
        return self._change(
            case, int(case.version or 0), actions, kind, actor, now, detail, same_status=False
        )

    def _change(
        self,
        case: Case,
        version: int,
        actions: list[Action],
        kind: str,
        actor: str,
        now: datetime,
        detail: dict[str, Any],
        puts: Sequence[tuple[_Item, Condition | None]] = (),
        updates: Sequence[tuple[_Item, list[Action], Condition | None]] = (),
        same_status: bool = True,
    ) -> Case:
        condition = CaseItem.status == case.status if same_status else None
        event = new_event(case.case_id, kind, now, actor, **detail)
        self._transact(case_item(case), version, condition, actions, event, puts, updates)
        updated = self.get(case.case_id)
        assert updated is not None
        return updated

    @staticmethod
    def _transact(
        case: CaseItem,
        expected_version: int,
        condition: Condition | None,
        actions: list[Action],
        event: CaseEventItem,
        puts: Sequence[tuple[_Item, Condition | None]],
        updates: Sequence[tuple[_Item, list[Action], Condition | None]],
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
