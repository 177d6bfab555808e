"""The event documents Lambda hands to functions, built from what moto returns.

Shapes follow the AWS documentation and the sample events in /events (sam local generate-event): the
handlers must not be able to tell the runtime from AWS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from local.clock import iso, iso_seconds
from local.refs import ACCOUNT_ID


def stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB Streams record as boto3 parsed it -> the record inside a Lambda stream event.

    boto3 turns timestamps into datetimes and binary attributes into bytes; Lambda sends epoch seconds
    and base64 text.
    """
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    for image in ("Keys", "NewImage", "OldImage"):
        if image in dynamodb:
            dynamodb[image] = _json_safe(dynamodb[image])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [_json_safe(item) for item in value]
    return value


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage result -> the record inside a Lambda SQS event."""
    attributes = {key: str(value) for key, value in message.get("Attributes", {}).items()}
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": _json_safe(value["BinaryValue"]) if "BinaryValue" in value else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": _json_safe(value.get("BinaryListValues", [])),
            "dataType": value.get("DataType"),
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def bus_event(moto_message: dict[str, Any], now: datetime) -> dict[str, Any]:
    """moto's event message -> the EventBridge envelope a target receives.

    moto stamps `time` as epoch seconds (or leaves what PutEvents gave); EventBridge sends ISO 8601.
    """
    event = {
        "version": "0",
        "id": moto_message.get("id") or str(uuid.uuid4()),
        "detail-type": moto_message["detail-type"],
        "source": moto_message["source"],
        "account": moto_message.get("account", ACCOUNT_ID),
        "time": _event_time(moto_message.get("time"), now),
        "region": moto_message["region"],
        "resources": list(moto_message.get("resources") or []),
        "detail": moto_message.get("detail", {}),
    }
    return event


def _event_time(value: Any, now: datetime) -> str:
    if isinstance(value, int | float):
        return iso_seconds(datetime.fromtimestamp(value, tz=now.tzinfo))
    if isinstance(value, datetime):
        return iso_seconds(value)
    if isinstance(value, str) and value:
        return value
    return iso_seconds(now)


def scheduled_event(rule_arn: str, moment: datetime, region: str) -> dict[str, Any]:
    """The "Scheduled Event" an EventBridge schedule delivers, `time` being the scheduled time."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": iso_seconds(moment),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def stream_failure_record(
    *,
    function_arn: str,
    stream_arn: str,
    shard_id: str,
    records: list[dict[str, Any]],
    attempts: int,
    now: datetime,
    condition: str = "RetryAttemptsExhausted",
    error: str | None = "Unhandled",
) -> dict[str, Any]:
    """What Lambda sends to a stream mapping's OnFailure destination: a pointer to the records given up.

    `condition` is why (retries used up, or the records grew older than the mapping's maximum age);
    `error` the function error of the last invocation, None when it answered without one."""
    created = [r["dynamodb"].get("ApproximateCreationDateTime", now.timestamp()) for r in records]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if error is not None:
        response["functionError"] = error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso(now),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": iso(datetime.fromtimestamp(created[0], tz=now.tzinfo)),
            "approximateArrivalOfLastRecord": iso(datetime.fromtimestamp(created[-1], tz=now.tzinfo)),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def async_failure_record(
    *, function_arn: str, event: Any, attempts: int, error: BaseException, now: datetime
) -> dict[str, Any]:
    """What Lambda sends to an asynchronous invocation's OnFailure destination."""
    return {
        "version": "1.0",
        "timestamp": iso(now),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []},
    }


def dumps(document: Any) -> str:
    return json.dumps(document, default=str)
