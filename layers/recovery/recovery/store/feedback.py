"""Feedback, case and customer writes for intake: one conditional put, or one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseItem, CustomerItem, FeedbackItem, Fields, get_item, put_fields

CONDITION_FAILED = "ConditionalCheckFailed"
_ABSENT = FeedbackItem.pk.does_not_exist()


@dataclass(frozen=True)
class TransactionOutcome:
    committed: bool
    feedback_exists: bool = False
    customer_changed: bool = False


class FeedbackStore:
    """The only place intake's items are read and written."""

    def get_feedback(self, pk: str) -> FeedbackItem | None:
        with transient_as_domain():
            return get_item(FeedbackItem, pk, "FB")

    def get_customer(self, pk: str) -> CustomerItem | None:
        with transient_as_domain():
            return get_item(CustomerItem, pk, "CUST")

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
        case: CaseItem,
        customer: CustomerItem,
        expected_hash: str | None = None,
    ) -> TransactionOutcome:
        """Feedback, its case and the customer's history, all or nothing.

        `expected_hash` is None for a new response (the put requires that none exists), or the content
        hash of the stored response being updated. The customer's version guards the history.
        """
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
                transaction.save(customer)
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
