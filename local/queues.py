"""SQS queue -> function, as a Lambda event source mapping does it.

Messages are received, handed over in the Lambda SQS event shape and deleted when the function
succeeds. A failure leaves them on the queue: they come back after the visibility timeout, and the
queue's own RedrivePolicy moves them to its dead-letter queue, exactly as in AWS.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from local import lambda_events
from local.aws import AwsClients
from local.functions import FunctionError, FunctionHost
from local.streams import Mapping

log = logging.getLogger(__name__)


@dataclass
class QueuePoller:
    mapping: Mapping
    queue_url: str
    clients: AwsClients
    host: FunctionHost
    lock: threading.RLock

    def poll(self) -> bool:
        messages = self._receive()
        if not messages:
            return False
        records = [
            lambda_events.sqs_record(m, self.mapping.source_arn, self.clients.region) for m in messages
        ]
        matched = [record for record in records if self.mapping.accepts(_filterable(record))]
        # Messages that match no filter are deleted unseen, as Lambda does.
        done = [record for record in records if record not in matched]
        if matched:
            done += self._invoke(matched)
        self._delete(done)
        return True

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.mapping.batch_size:
            with self.lock:
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
            with self.lock:
                self.clients.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS messages on the body parsed as JSON when it is JSON."""
    try:
        body = json.loads(record["body"])
    except ValueError:
        return record
    return {**record, "body": body}
