"""Storage for follow-ups: the due index, the follow-up's state changes, the customer's cap, the outcome.

Every state change is conditional on the state it leaves, so two runs (or a run and an answer) racing
on one follow-up change it once. The customer's count of recent follow-ups is updated under the
customer's version, so two runs can't both pass the cap.

For the cases API, `follow_up_put` and `cancel_update` are what a resolve and a reopen add to the case's
own transaction (`CaseStore.resolve`, `CaseStore.reopen`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery import clock
from recovery.domain.follow_up import FollowUpPlan
from recovery.domain.identity import due_partition, shard_partition
from recovery.domain.records import Case, Customer, FollowUp
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, CustomerItem, FollowUpItem, get_item
from recovery.store.records import (
    case_item,
    case_of,
    customer_item,
    customer_of,
    follow_up_item,
    follow_up_of,
)

FOLLOWUP_SK = "FUP"
DUE_KIND = "followup"  # due to be sent: `DUE#followup#<shard>`
NO_RESPONSE_KIND = "noresponse"  # sent, the answer window open: `DUE#noresponse#<shard>`
_CONDITION_FAILED = "ConditionalCheckFailedException"
_CAP_ATTEMPTS = 5  # optimistic retries when the customer changes under us


def follow_up_pk(case_id: str) -> str:
    return f"FUP#{case_id}"


def _event(case_id: str, kind: str, at: datetime, actor: str = "system", **detail: Any) -> CaseEventItem:
    # The kind in the key keeps events of one instant apart; a follow-up changes state once per kind.
    return CaseEventItem(
        f"CASE#{case_id}",
        f"EVT#{at.isoformat()}#{kind}",
        case_id=case_id,
        kind=kind,
        at=at,
        actor=actor,
        detail=detail,
    )


def new_follow_up(plan: FollowUpPlan) -> FollowUpItem:
    """The planned follow-up as an item: scheduled, in the due index at its time."""
    return FollowUpItem(
        follow_up_pk(plan.case_id),
        FOLLOWUP_SK,
        case_id=plan.case_id,
        customer_key=plan.customer_key,
        team=plan.team,
        state="scheduled",
        scheduled_for=plan.scheduled_for,
        score=dict(plan.score),
        attempts=0,
        due_pk=due_partition(DUE_KIND, plan.case_id),
        due_at=clock.iso(plan.scheduled_for),
        cust_pk=f"CUST#{plan.customer_key}",
        cust_sk=f"FUP#{clock.iso(plan.resolved_at)}#{plan.case_id}",
    )


def follow_up_put(plan: FollowUpPlan, existing: FollowUp | None) -> tuple[FollowUpItem, Condition] | None:
    """`(item, condition)` for the resolve transaction: a new follow-up, or one replacing a cancelled
    one; None when the case had one that went out already (at most one per case)."""
    item = new_follow_up(plan)
    if existing is None:
        return item, FollowUpItem.pk.does_not_exist()
    if existing.state != "cancelled":
        return None
    item.version = existing.version  # replaces exactly the cancelled one it read
    return item, FollowUpItem.state == "cancelled"


def cancel_actions() -> list[Action]:
    return [FollowUpItem.state.set("cancelled"), FollowUpItem.due_pk.remove(), FollowUpItem.due_at.remove()]


def cancel_update(existing: FollowUp | None) -> tuple[FollowUpItem, list[Action], Condition] | None:
    """`(item, actions, condition)` for the reopen transaction: scheduled -> cancelled, out of the due
    index; None when nothing is scheduled."""
    if existing is None or existing.state != "scheduled":
        return None
    return follow_up_item(existing), cancel_actions(), FollowUpItem.state == "scheduled"


class FollowUpStore:
    def get(self, case_id: str) -> FollowUp | None:
        with transient_as_domain():
            item = get_item(FollowUpItem, follow_up_pk(case_id), FOLLOWUP_SK)
        return follow_up_of(item) if item is not None else None

    def get_case(self, case_id: str) -> Case | None:
        with transient_as_domain():
            item = get_item(CaseItem, f"CASE#{case_id}", "CASE")
        return case_of(item) if item is not None else None

    def get_customer(self, customer_key: str) -> Customer | None:
        with transient_as_domain():
            item = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
        return customer_of(item) if item is not None else None

    def due(self, kind: str, shard: int, until: str, page: int = 100) -> list[str]:
        """Case ids whose follow-up work of `kind` (DUE_KIND: to send; NO_RESPONSE_KIND: the answer window
        closes) is due at or before `until` in one shard of the sparse due index (keys only; the caller
        reads each item)."""
        with transient_as_domain():
            found = CaseItem.due_index.query(
                shard_partition(kind, shard), CaseItem.due_at <= until, page_size=page
            )
            return [str(item.pk).removeprefix("FUP#") for item in found if str(item.pk).startswith("FUP#")]

    # ------------------------------------------------------------------------------- state changes
    # Each is conditional on the state it leaves: False when another run (or the answer) changed it first.
    def cancel(self, item: FollowUp) -> bool:
        """Cancelled (the case is no longer resolved), out of the due index."""
        return self._change(item, FollowUpItem.state == item.state, cancel_actions())

    def claim(self, item: FollowUp, now: datetime, lease: timedelta) -> bool:
        """This run sends it: scheduled -> sending, or a "sending" whose run took it more than `lease`
        ago (and died) taken over."""
        taken = (FollowUpItem.state == "scheduled") | (
            (FollowUpItem.state == "sending") & (FollowUpItem.claimed_at < clock.iso(now - lease))
        )
        actions: list[Action] = [
            FollowUpItem.state.set("sending"),
            FollowUpItem.claimed_at.set(clock.iso(now)),
        ]
        return self._change(item, taken, actions)

    def mark_sent(self, item: FollowUp, channel: str, now: datetime, answer_by: datetime) -> bool:
        """Sent on `channel`: due again when the answer window closes, at `answer_by`."""
        actions: list[Action] = [
            FollowUpItem.state.set("sent"),
            FollowUpItem.channel.set(channel),
            FollowUpItem.sent_at.set(now),
            FollowUpItem.due_pk.set(due_partition(NO_RESPONSE_KIND, item.case_id)),
            FollowUpItem.due_at.set(clock.iso(answer_by)),
        ]
        return self._change(item, FollowUpItem.state == "sending", actions)

    def skip(self, item: FollowUp, reason: str) -> bool:
        """Not sent, for good (`reason`: the cap, an opt-out, failures...), out of the due index."""
        actions: list[Action] = [
            FollowUpItem.state.set("skipped"),
            FollowUpItem.skip_reason.set(reason),
            FollowUpItem.due_pk.remove(),
            FollowUpItem.due_at.remove(),
        ]
        return self._change(item, FollowUpItem.state == "sending", actions)

    def reschedule(self, item: FollowUp, when: datetime, attempts: int) -> bool:
        """Scheduled again for `when` (a deferred SMS, or a retry after a failed send)."""
        actions: list[Action] = [
            FollowUpItem.state.set("scheduled"),
            FollowUpItem.scheduled_for.set(when),
            FollowUpItem.due_at.set(clock.iso(when)),
            FollowUpItem.attempts.set(attempts),
            FollowUpItem.claimed_at.remove(),
        ]
        return self._change(item, FollowUpItem.state == "sending", actions)

    def close_unanswered(self, item: FollowUp, case: Case | None, outcome: str, now: datetime) -> bool:
        """The answer window closed: the follow-up is `no_response`, and the case's outcome `outcome` (with
        the original rating), with a timeline event, in one transaction."""
        actions: list[Action] = [
            FollowUpItem.state.set("no_response"),
            FollowUpItem.due_pk.remove(),
            FollowUpItem.due_at.remove(),
        ]
        if case is None:
            return self._change(item, FollowUpItem.state == "sent", actions)
        case_actions: list[Action] = [CaseItem.outcome.set(outcome)]
        if item.score:
            case_actions.append(CaseItem.rating_before.set(item.score))
        # What the owner's notice says (docs/notices.md): the channel it went by and when.
        sent: dict[str, Any] = {
            "channel": item.channel,
            "sent_at": item.sent_at.isoformat() if item.sent_at else None,
        }
        return self._close(
            item,
            FollowUpItem.state == "sent",
            actions,
            case,
            case_actions,
            "followup_no_response",
            now,
            **sent,
        )

    def record_answer(
        self,
        item: FollowUp,
        case: Case,
        answer: dict[str, Any],
        outcome: str,
        before: dict[str, Any],
        after: dict[str, Any],
        delta: float,
        now: datetime,
        detail: dict[str, Any],
    ) -> bool:
        """The customer's answer: the follow-up answered, the case's outcome and ratings, and a timeline
        event (`detail`), in one transaction. False when it was answered or closed meanwhile."""
        actions: list[Action] = [
            FollowUpItem.state.set("answered"),
            FollowUpItem.answered_at.set(now),
            FollowUpItem.answer.set(answer),
            FollowUpItem.due_pk.remove(),
            FollowUpItem.due_at.remove(),
        ]
        case_actions: list[Action] = [
            CaseItem.outcome.set(outcome),
            CaseItem.rating_before.set(before),
            CaseItem.rating_after.set(after),
            CaseItem.rating_delta.set(delta),
        ]
        return self._close(
            item,
            FollowUpItem.state == "sent",
            actions,
            case,
            case_actions,
            "followup_answered",
            now,
            actor="customer",  # the customer answered: the timeline says so
            **detail,
        )

    def mark_case_sent(self, case: Case, now: datetime) -> bool:
        """Stamp the case's `followup_sent_at` once (reports count it); a retried run keeps the first
        stamp. One UpdateItem; False when it was stamped before or the case is gone."""
        try:
            with transient_as_domain():
                case_item(case).update(
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
        self, customer: Customer, now: datetime, fits: Callable[[list[str]], list[str] | None]
    ) -> tuple[bool, Customer]:
        """Add `now` to the customer's recent follow-ups if `fits` allows it.

        `fits(sent)` returns the new list (old entries dropped, `now` added) or None when the cap is
        reached. The write is conditional on the customer's version: on a concurrent change the customer
        is read again and `fits` asked again, so two runs can't both take the last place. Answers whether
        it was counted, and the customer as it now is.
        """
        current: Customer | None = customer
        for _ in range(_CAP_ATTEMPTS):
            if current is None:
                return False, customer
            updated = fits(list(current.followups_sent))
            if updated is None:
                return False, current
            item = customer_item(current)
            try:
                with transient_as_domain():
                    item.update(actions=[CustomerItem.followups_sent.set(updated)])
            except UpdateError as error:
                if error.cause_response_code != _CONDITION_FAILED:
                    raise
                current = self.get_customer(customer.key)
                continue
            return True, customer_of(item)
        raise RuntimeError("the customer kept changing; the follow-up waits for the next run")

    def uncount_follow_up(self, customer: Customer, stamp: str) -> None:
        """Give back a place taken by `count_follow_up` when nothing was sent after all."""
        current: Customer | None = customer
        for _ in range(_CAP_ATTEMPTS):
            if current is None or stamp not in current.followups_sent:
                return
            remaining = [entry for entry in current.followups_sent if entry != stamp]
            try:
                with transient_as_domain():
                    customer_item(current).update(actions=[CustomerItem.followups_sent.set(remaining)])
            except UpdateError as error:
                if error.cause_response_code != _CONDITION_FAILED:
                    raise
                current = self.get_customer(customer.key)
                continue
            return

    def record(self, case_id: str, kind: str, at: datetime, **detail: Any) -> None:
        """Append to the case's timeline, outside any transaction."""
        with transient_as_domain():
            _event(case_id, kind, at, **detail).save()

    # ------------------------------------------------------------------------------------------------
    @staticmethod
    def _change(item: FollowUp, condition: Condition, actions: list[Action]) -> bool:
        """A conditional update of the follow-up; False when the condition no longer holds."""
        try:
            with transient_as_domain():
                follow_up_item(item).update(actions=actions, condition=condition, add_version_condition=False)
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    @staticmethod
    def _close(
        item: FollowUp,
        condition: Condition,
        actions: list[Action],
        case: Case,
        case_actions: list[Action],
        event_kind: str,
        now: datetime,
        actor: str = "system",
        **detail: Any,
    ) -> bool:
        """Close the follow-up and write its outcome on the case, with a timeline event, in one
        transaction. False when the follow-up's condition no longer holds (answered or closed meanwhile)."""
        connection = FollowUpItem._get_connection().connection
        try:
            with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                transaction.update(
                    follow_up_item(item), actions=actions, condition=condition, add_version_condition=False
                )
                # The case's version moves on (its ETag changes), but a lead's concurrent change must not
                # make the customer's answer fail: no version condition.
                transaction.update(
                    case_item(case),
                    actions=case_actions,
                    condition=CaseItem.pk.exists(),
                    add_version_condition=False,
                )
                transaction.save(
                    _event(case.case_id, event_kind, now, actor, **detail),
                    condition=CaseEventItem.sk.does_not_exist(),
                )
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                return False
            raise
        return True
