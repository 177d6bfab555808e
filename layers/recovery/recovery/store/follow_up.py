"""Storage for follow-ups: the due index, the follow-up's state changes, the customer's cap, the outcome.

Every state change is conditional on the state it leaves, so two runs (or a run and an answer) racing
on one follow-up change it once. The customer's count of recent follow-ups is updated under the
customer's version, so two runs can't both pass the cap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, CustomerItem, FollowUpItem, get_item

FOLLOWUP_SK = "FUP"
_CONDITION_FAILED = "ConditionalCheckFailedException"
_CAP_ATTEMPTS = 5  # optimistic retries when the customer changes under us


def follow_up_pk(case_id: str) -> str:
    return f"FUP#{case_id}"


def _event(case_id: str, kind: str, at: datetime, **detail: Any) -> CaseEventItem:
    # The kind in the key keeps events of one instant apart; a follow-up changes state once per kind.
    return CaseEventItem(
        f"CASE#{case_id}",
        f"EVT#{at.isoformat()}#{kind}",
        case_id=case_id,
        kind=kind,
        at=at,
        actor="system",
        detail=detail,
    )


class FollowUpStore:
    def get(self, case_id: str) -> FollowUpItem | None:
        with transient_as_domain():
            return get_item(FollowUpItem, follow_up_pk(case_id), FOLLOWUP_SK)

    def get_case(self, case_id: str) -> CaseItem | None:
        with transient_as_domain():
            return get_item(CaseItem, f"CASE#{case_id}", "CASE")

    def get_customer(self, customer_key: str) -> CustomerItem | None:
        with transient_as_domain():
            return get_item(CustomerItem, f"CUST#{customer_key}", "CUST")

    def due(self, partition: str, until: str, page: int = 100) -> list[str]:
        """Case ids whose follow-up work is due at or before `until` in one partition of the sparse due
        index (keys only; the caller reads each item)."""
        with transient_as_domain():
            found = CaseItem.due_index.query(partition, CaseItem.due_at <= until, page_size=page)
            return [str(item.pk).removeprefix("FUP#") for item in found if str(item.pk).startswith("FUP#")]

    def change(self, item: FollowUpItem, condition: Condition, actions: Sequence[Action]) -> bool:
        """A conditional update of the follow-up; False when the condition no longer holds."""
        try:
            with transient_as_domain():
                item.update(actions=list(actions), condition=condition, add_version_condition=False)
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def mark_case_sent(self, case: CaseItem, now: datetime) -> bool:
        """Stamp the case's `followup_sent_at` once (reports count it); a retried run keeps the first
        stamp. One UpdateItem; False when it was stamped before or the case is gone."""
        try:
            with transient_as_domain():
                case.update(
                    actions=[CaseItem.followup_sent_at.set(now)],
                    condition=CaseItem.pk.exists() & CaseItem.followup_sent_at.does_not_exist(),
                    add_version_condition=False,
                )
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def count_follow_up(
        self, customer: CustomerItem, now: datetime, fits: Callable[[list[str]], list[str] | None]
    ) -> tuple[bool, CustomerItem]:
        """Add `now` to the customer's recent follow-ups if `fits` allows it.

        `fits(sent)` returns the new list (old entries dropped, `now` added) or None when the cap is
        reached. The write is conditional on the customer's version: on a concurrent change the customer
        is read again and `fits` asked again, so two runs can't both take the last place.
        """
        current: CustomerItem | None = customer
        for _ in range(_CAP_ATTEMPTS):
            if current is None:
                return False, customer
            updated = fits(list(current.followups_sent or []))
            if updated is None:
                return False, current
            try:
                with transient_as_domain():
                    current.update(actions=[CustomerItem.followups_sent.set(updated)])
            except UpdateError as error:
                if error.cause_response_code != _CONDITION_FAILED:
                    raise
                current = self.get_customer(str(customer.pk).removeprefix("CUST#"))
                continue
            return True, current
        raise RuntimeError("the customer kept changing; the follow-up waits for the next run")

    def uncount_follow_up(self, customer: CustomerItem, stamp: str) -> None:
        """Give back a place taken by `count_followup` when nothing was sent after all."""
        current: CustomerItem | None = customer
        for _ in range(_CAP_ATTEMPTS):
            if current is None or stamp not in (current.followups_sent or []):
                return
            remaining = [entry for entry in current.followups_sent if entry != stamp]
            try:
                with transient_as_domain():
                    current.update(actions=[CustomerItem.followups_sent.set(remaining)])
            except UpdateError as error:
                if error.cause_response_code != _CONDITION_FAILED:
                    raise
                current = self.get_customer(str(customer.pk).removeprefix("CUST#"))
                continue
            return

    def close(
        self,
        item: FollowUpItem,
        condition: Condition,
        actions: Sequence[Action],
        case: CaseItem,
        case_actions: Sequence[Action],
        event_kind: str,
        now: datetime,
        **detail: Any,
    ) -> bool:
        """Close the follow-up and write its outcome on the case, with a timeline event, in one
        transaction. False when the follow-up's condition no longer holds (answered or closed meanwhile)."""
        connection = FollowUpItem._get_connection().connection
        try:
            with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                transaction.update(
                    item, actions=list(actions), condition=condition, add_version_condition=False
                )
                # The case's version moves on (its ETag changes), but a lead's concurrent change must not
                # make the customer's answer fail: no version condition.
                transaction.update(
                    case,
                    actions=list(case_actions),
                    condition=CaseItem.pk.exists(),
                    add_version_condition=False,
                )
                transaction.save(
                    _event(case.case_id, event_kind, now, **detail),
                    condition=CaseEventItem.sk.does_not_exist(),
                )
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                return False
            raise
        return True

    def record(self, case_id: str, kind: str, at: datetime, **detail: Any) -> None:
        """Append to the case's timeline, outside any transaction."""
        with transient_as_domain():
            _event(case_id, kind, at, **detail).save()
