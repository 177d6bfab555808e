from datetime import UTC, datetime

from local.delivery import target_input
from local.lambda_events import bus_event, scheduled_event, sqs_record, stream_failure_record, stream_record

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026"


def boto3_stream_record() -> dict:
    return {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 22, 9, 59, 59, 500000, tzinfo=UTC),
            "Keys": {"pk": {"S": "FB#1"}},
            "NewImage": {"pk": {"S": "FB#1"}, "blob": {"B": b"\x00\x01"}, "set": {"BS": [b"\x02"]}},
            "OldImage": {"pk": {"S": "FB#1"}},
            "SequenceNumber": "100",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def test_stream_record_has_the_lambda_shape() -> None:
    record = stream_record(boto3_stream_record(), STREAM, "us-east-1")
    assert record["eventSource"] == "aws:dynamodb" and record["eventSourceARN"] == STREAM
    assert record["eventName"] == "MODIFY" and record["awsRegion"] == "us-east-1"
    dynamodb = record["dynamodb"]
    assert dynamodb["ApproximateCreationDateTime"] == float(int(NOW.timestamp()) - 1)  # epoch seconds, whole
    assert dynamodb["NewImage"]["blob"] == {"B": "AAE="}  # base64 text, as Lambda sends it
    assert dynamodb["NewImage"]["set"] == {"BS": ["Ag=="]}
    assert dynamodb["SequenceNumber"] == "100" and dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_stream_failure_record_points_at_the_batch() -> None:
    records = [stream_record(boto3_stream_record(), STREAM, "us-east-1")]
    failure = stream_failure_record(
        function_arn="arn:fn",
        stream_arn=STREAM,
        shard_id="s1",
        records=records,
        attempts=11,
        error="Unhandled",
        now=NOW,
    )
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 11
    info = failure["DDBStreamBatchInfo"]
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]) == ("s1", "100", "100")
    assert info["batchSize"] == 1 and info["streamArn"] == STREAM


def test_sqs_record_has_the_lambda_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "Body": "hello",
        "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "alert"}},
    }
    record = sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    assert record["messageId"] == "m1" and record["receiptHandle"] == "rh" and record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":q")
    assert record["messageAttributes"]["kind"]["stringValue"] == "alert"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"


def test_bus_event_from_moto_uses_iso_time() -> None:
    moto_message = {
        "version": "0",
        "id": "id-1",
        "detail-type": "CaseOpened",
        "source": "recovery",
        "account": "123456789012",
        "time": NOW.timestamp(),
        "region": "us-east-1",
        "resources": [],
        "detail": {"case_id": "C-1"},
        "ingestion-time": 1,
    }
    event = bus_event(moto_message, NOW)
    assert event["time"] == "2026-11-22T10:00:00Z"
    assert "ingestion-time" not in event and event["detail"] == {"case_id": "C-1"}


def test_scheduled_event_shape() -> None:
    event = scheduled_event("arn:aws:events:us-east-1:123456789012:rule/r", NOW, "us-east-1")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2026-11-22T10:00:00Z" and event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/r"]


def test_target_input_variants() -> None:
    event = {"detail": {"case": {"id": "C-1"}}, "source": "s"}
    assert target_input({}, event) is event
    assert target_input({"Input": '{"fixed": 1}'}, event) == {"fixed": 1}
    assert target_input({"InputPath": "$.detail.case"}, event) == {"id": "C-1"}
