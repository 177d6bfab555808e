"""Storage for owner notices (docs/notices.md): the timeline event a notice is about, the reminder written
once from the due index, and a customer found unreachable by a bounce or complaint, written once per SES
notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.domain.identity import due_partition
from recovery.domain.notices import REMINDER_DUE_KIND
from recovery.domain.records import Case, CaseEvent
from recovery.store.alerting import AlertStore
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, get_item
from recovery.store.records import case_item, case_of, event_of


class NoticeStore(AlertStore):
    """A case's reads and delivery rows (`AlertStore`), its timeline events by key, and the reminder."""

    def get_event(self, case_id: str, sk: str) -> CaseEvent | None:
        """One timeline event by its key; None when absent (or `sk` is not a timeline key)."""
        if not sk.startswith("EVT#"):
            return None
        with transient_as_domain():
            item = get_item(CaseEventItem, f"CASE#{case_id}", sk)
        return event_of(item) if item is not None else None

    def remind(self, case: Case, now: datetime, detail: dict[str, Any]) -> bool:
        """The `ack_reminder` event, once: the case leaves the reminder's due index and the event is
        written in one transaction, only while the case is acknowledged and still due for it (an action
        since took it out). No version condition (a lead's concurrent write must not fail for it); the
        case's version moves on. False when it was no longer due."""
        actions: list[Action] = [CaseItem.due_pk.remove(), CaseItem.due_at.remove()]
        condition = (CaseItem.status == "acknowledged") & (
            CaseItem.due_pk == due_partition(REMINDER_DUE_KIND, case.case_id)
        )
        event = CaseEventItem(
            f"CASE#{case.case_id}",
            f"EVT#{now.isoformat()}#ack_reminder",
            case_id=case.case_id,
            kind="ack_reminder",
            at=now,
            actor="system",
            detail=detail,
        )
        connection = CaseItem._get_connection().connection
        try:
            with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                transaction.update(
                    case_item(case), actions=actions, condition=condition, add_version_condition=False
                )
                transaction.save(event, condition=CaseEventItem.sk.does_not_exist())
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                return False
            raise
        return True


class UnreachableStore:
    """What the deliveries function writes on a case: the customer can't be reached on a channel."""

    def case(self, case_id: str) -> Case | None:
        with transient_as_domain():
            item = get_item(CaseItem, f"CASE#{case_id}", "CASE")
        return case_of(item) if item is not None else None

    def record_unreachable(self, case_id: str, at: datetime, distinct: str, detail: dict[str, Any]) -> bool:
        """The `customer_unreachable` event, once per `distinct` (the SES notification's id hashed) at
        `at` (the notification's own time): a redelivered notification writes nothing. False then."""
        event = CaseEventItem(
            f"CASE#{case_id}",
            f"EVT#{at.isoformat()}#customer_unreachable#{distinct}",
            case_id=case_id,
            kind="customer_unreachable",
            at=at,
            actor="system",
            detail=detail,
        )
        try:
            with transient_as_domain():
                event.save(condition=CaseEventItem.sk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
