"""Feedback, case and customer writes for intake: one conditional put, or one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from recovery import clock
from recovery.domain import identity
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseItem, CustomerItem, FeedbackItem, Fields, get_item, put_fields

if TYPE_CHECKING:
    from recovery.domain.records import Customer, Feedback

CONDITION_FAILED = "ConditionalCheckFailed"
_ABSENT = FeedbackItem.pk.does_not_exist()


@dataclass(frozen=True)
class TransactionOutcome:
    committed: bool
    feedback_exists: bool = False
    customer_changed: bool = False


def new_case(
    feedback: Fields,
    case_id: str,
    priority: int,
    repeat_failure: bool,
    opened_at: datetime,
    ack_due_at: datetime,
    resolve_due_at: datetime,
) -> CaseItem:
    """The case a negative opens: open, its alert pending (in the due index at once), in its team's open
    queue, and under its customer; routing fields and tags come from its feedback."""
    team = feedback["team"] or "unrouted"
    customer_pk: str = feedback["cust_pk"]
    return CaseItem(
        f"CASE#{case_id}",
        "CASE",
        case_id=case_id,
        feedback_pk=feedback["pk"],
        feedback_id=feedback["feedback_id"],
        source=feedback["source"],
        status="open",
        priority=priority,
        repeat_failure=repeat_failure,
        team=feedback["team"],
        channel=feedback["channel"],
        agent=feedback["agent"],
        tags=list(feedback["detail"].get("tags", ())),  # counters break case metrics down by tag
        customer_value=feedback["detail"].get("customer_value"),  # counters sum it per currency
        customer_key=customer_pk.removeprefix("CUST#"),
        opened_at=opened_at,
        occurred_at=feedback["occurred_at"],
        ack_due_at=ack_due_at,
        resolve_due_at=resolve_due_at,
        alert_state="pending",
        level=1,
        due_pk=identity.due_partition("alert", case_id),
        due_at=clock.iso(opened_at),
        queue_pk=f"QUEUE#{team}#open",
        queue_sk=f"P{priority}#{clock.iso(ack_due_at)}#{case_id}",
        cust_pk=customer_pk,
        cust_sk=f"CASE#{clock.iso(opened_at)}#{case_id}",
    )


class FeedbackStore:
    """The only place intake's items are written. Intake reads and writes them as plain mappings of
    their attribute values (`Fields`), the cheapest form; other flows read records."""

    def feedback_fields(self, pk: str) -> Fields | None:
        """The stored response's attribute values; None when absent."""
        with transient_as_domain():
            item = get_item(FeedbackItem, pk, "FB")
        return item.attribute_values if item is not None else None

    def customer_fields(self, customer_key: str) -> Fields | None:
        """The customer's attribute values (with the version read); None when absent."""
        with transient_as_domain():
            item = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
        return item.attribute_values if item is not None else None

    def get_feedback(self, pk: str) -> Feedback | None:
        from recovery.store.records import feedback_of  # off intake's path: its import stays small

        with transient_as_domain():
            item = get_item(FeedbackItem, pk, "FB")
        return feedback_of(item) if item is not None else None

    def get_customer(self, customer_key: str) -> Customer | None:
        from recovery.store.records import customer_of

        with transient_as_domain():
            item = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
        return customer_of(item) if item is not None else None

    def put_new_feedback(self, item: Fields) -> bool:
        """One conditional put. False when the response is already stored."""
        return self._put(item, _ABSENT)

    def replace_feedback(self, item: Fields, expected_hash: str) -> bool:
        """Overwrite a stored response, only if nobody changed it since we read it."""
        return self._put(item, FeedbackItem.content_hash == expected_hash)

    @staticmethod
    def _put(item: Fields, condition: Condition) -> bool:
        try:
            with transient_as_domain():
                put_fields(FeedbackItem, item, condition)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def commit_negative(
        self,
        feedback: Fields,
        customer: Fields,
        expected_hash: str | None,
        *,
        case_id: str,
        priority: int,
        repeat_failure: bool,
        opened_at: datetime,
        ack_due_at: datetime,
        resolve_due_at: datetime,
    ) -> TransactionOutcome:
        """Feedback, the case it opens (`new_case`) and the customer's history, all or nothing.

        `customer` is the customer's attribute values as they are to be stored (with the version they were
        read at, none for a new customer). `expected_hash` is None for a new response (the put requires
        that none exists), or the content hash of the stored response being updated. The customer's
        version guards the history.
        """
        case = new_case(feedback, case_id, priority, repeat_failure, opened_at, ack_due_at, resolve_due_at)
        feedback_condition = (
            FeedbackItem.pk.does_not_exist()
            if expected_hash is None
            else FeedbackItem.content_hash == expected_hash
        )
        # Reuse the model's connection (and its botocore client) rather than building one per call.
        connection = FeedbackItem._get_connection().connection
        try:
            with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                transaction.save(FeedbackItem(**feedback), condition=feedback_condition)
                transaction.save(case, condition=CaseItem.pk.does_not_exist())
                transaction.save(CustomerItem(**customer))
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            codes = [reason.code if reason is not None else None for reason in reasons]
            if CONDITION_FAILED in codes:
                return TransactionOutcome(
                    committed=False,
                    feedback_exists=codes[0] == CONDITION_FAILED or codes[1:2] == [CONDITION_FAILED],
                    customer_changed=codes[2:3] == [CONDITION_FAILED],
                )
            raise
        return TransactionOutcome(committed=True)
