"""SQS queue -> function, as a Lambda event source mapping does it.

Messages are received, handed over in the Lambda SQS event shape and deleted when the function
succeeds. A failure leaves them on the queue: they come back after the queue's visibility timeout, and
the queue's own RedrivePolicy moves them to its dead-letter queue, exactly as in AWS.

Receiving, deleting and reading the queue's attributes act with the function's role, as the mapping does
in AWS (the policy SAM attaches for an SQS event grants them); hiding a failed message again is the
runtime's own doing, not Lambda's, so it is not authorised.

The visibility timeout runs on the virtual clock, as every other wait in the runtime does: moto times
it by the wall clock, so a failed message is hidden there for longer than any test waits
(`HOLD_SECONDS`) and made visible again once the virtual clock has passed its timeout.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from local import iam, lambda_events
from local.aws import AwsClients
from local.functions import FunctionError, FunctionHost
from local.streams import Mapping

log = logging.getLogger(__name__)
HOLD_SECONDS = 42_000  # near SQS's limit of 12 hours from the receive, by the wall clock
DEFAULT_VISIBILITY_SECONDS = 30  # SQS's default


@dataclass
class QueuePoller:
    mapping: Mapping
    queue_url: str
    clients: AwsClients
    host: FunctionHost
    lock: threading.RLock
    now: Callable[[], datetime]
    # receipt handle -> virtual time its failed message becomes visible again
    hidden: dict[str, datetime] = field(default_factory=dict)
    _visibility: timedelta | None = None

    @property
    def role(self) -> iam.Role | None:
        function = self.host.find(self.mapping.function)
        return function.role if function else None

    def poll(self) -> bool:
        released = self._release_due()
        messages = self._receive()
        if not messages:
            return released
        records = [
            lambda_events.sqs_record(m, self.mapping.source_arn, self.clients.region) for m in messages
        ]
        matched = [record for record in records if self.mapping.accepts(_filterable(record))]
        # Messages that match no filter are deleted unseen, as Lambda does.
        done = [record for record in records if record not in matched]
        if matched:
            succeeded = self._invoke(matched)
            done += succeeded
            self._hide([record for record in matched if record not in succeeded])
        self._delete(done)
        return True

    def _hide(self, failed: list[dict[str, Any]]) -> None:
        """Failed messages come back one visibility timeout later on the virtual clock."""
        if not failed:
            return
        visible_at = self.now() + self._visibility_timeout()
        for record in failed:
            with self.lock:
                self.clients.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=HOLD_SECONDS,
                )
            self.hidden[record["receiptHandle"]] = visible_at

    def _release_due(self) -> bool:
        now = self.now()
        due = [handle for handle, visible_at in self.hidden.items() if visible_at <= now]
        for handle in due:
            del self.hidden[handle]
            try:
                with self.lock:
                    self.clients.sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
                    )
            except ClientError as error:  # gone meanwhile (expired, or purged): nothing to bring back
                log.warning("could not make a failed message visible again: %s", error)
        return bool(due)

    def _visibility_timeout(self) -> timedelta:
        if self._visibility is None:
            with self.lock, iam.acting_as(self.role):
                attributes = self.clients.sqs.get_queue_attributes(
                    QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"]
                )["Attributes"]
            seconds = int(attributes.get("VisibilityTimeout", DEFAULT_VISIBILITY_SECONDS))
            self._visibility = timedelta(seconds=seconds)
        return self._visibility

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.mapping.batch_size:
            with self.lock, iam.acting_as(self.role):
                response = self.clients.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.mapping.batch_size - len(messages)),
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    WaitTimeSeconds=0,
                )
            received = response.get("Messages", [])
            if not received:
                break
            messages += received
        return messages

    def _invoke(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records that succeeded."""
        try:
            result = self.host.invoke(self.mapping.function, {"Records": records})
        except FunctionError:
            return []
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return records
        if not self.mapping.report_item_failures:
            log.warning(
                "%s returned batchItemFailures but its mapping lacks FunctionResponseTypes: "
                "[ReportBatchItemFailures], so AWS (and this runtime) deletes the whole batch",
                self.mapping.function,
            )
            return records
        failed = {item.get("itemIdentifier") for item in failures}
        if not failed <= {record["messageId"] for record in records}:
            return []  # an unknown identifier fails the whole batch
        return [record for record in records if record["messageId"] not in failed]

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            entries = [
                {"Id": str(index), "ReceiptHandle": r["receiptHandle"]} for index, r in enumerate(chunk)
            ]
            with self.lock, iam.acting_as(self.role):
                self.clients.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS messages on the body parsed as JSON when it is JSON."""
    try:
        body = json.loads(record["body"])
    except ValueError:
        return record
    return {**record, "body": body}
