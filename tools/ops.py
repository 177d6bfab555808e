"""Operations commands.

    python -m tools.ops replay-dlq --env dev|--stack NAME [--dry-run] [--max N]
    python -m tools.ops replay-dlq --queue-url URL [--bus NAME] [--to-queue URL] [--function NAME]
    python -m tools.ops add-lead --pool POOL_ID --email ADDRESS [--team ID ...] [--admin]
    python -m tools.ops add-lead --email ADDRESS [--team ID ...] [--admin]      (the runtime of `make run`)

`add-lead` creates a console user in the stack's user pool (output UserPoolId) and puts them in the
groups `team-<id>` (made if missing) and, with `--admin`, `admin`. Cognito emails a temporary password;
the first sign-in in the console asks for a new one. Run it again to add a team to an existing user.
Without `--pool` it works on the embedded runtime whose `.local/runtime.json` is in the working directory
(or `--runtime FILE`): the user goes into its only user pool, through its moto server, with a permanent
password that is printed once (nothing is emailed locally).

`replay-dlq` moves what a dead-letter queue holds back into processing; with `--env` or `--stack` it
goes through every DLQ of the stack (the stack outputs name them):
- Events (the alert DLQ: CaseOpened events that failed every retry) are put back on the bus. Consumers
  are idempotent (delivery rows), so replaying twice sends nothing twice.
- Case events in the outbound DLQ (an endpoint refused them after every retry) go back on the outbound
  queue (`--to-queue`), not the bus, so only the outbound function sees them again.
- Scheduled runs that failed (sweep, follow-ups) are dropped: the next run does their work.
- Failed asynchronous invocations (the deliveries function's SNS payloads, in the alert DLQ) are
  invoked again with the same payload (`--function`).
- The stream DLQ holds two kinds, both handed back through the stream function (`--function NAME`,
  Lambda invoke), which counts each record once however often it sees it:
  - parked records: a record the function could not read, whole, with the reason. It is invoked with
    that record alone, marked as coming from the DLQ, so a record that still can't be read is reported
    back (the message stays) instead of being parked again;
  - Lambda's OnFailure records (`DDBStreamBatchInfo`): a pointer to records that failed every retry. The
    records are read again from the table's stream and invoked as Lambda would. The stream keeps records
    24 hours: past that the message says the records are gone and stays (the sweep has alerted every
    case; their counters can't be rebuilt from the pointer).
A message is deleted from the queue only after its replay succeeded (for the stream function: no
`batchItemFailures`). Progress is printed as it goes. `--dry-run` lists each message and what would be
done with it, and moves nothing (the messages are visible again when it ends).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recovery.notify.dead_letters import FROM_DEAD_LETTER_QUEUE, PARKED_RECORD
from tools import cli

STREAM_GONE = frozenset({"TrimmedDataAccessException", "ResourceNotFoundException"})
EMPTY_PAGES = 5  # GetRecords may answer empty pages before it reaches the records of a shard


def _replay_event(events: Any, bus: str, body: dict[str, Any]) -> None:
    entry = {
        "EventBusName": bus,
        "Source": body["source"],
        "DetailType": body["detail-type"],
        "Detail": json.dumps(body.get("detail", {})),
    }
    response = events.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"the bus refused the event: {response['Entries'][0].get('ErrorCode')}")


class RecordsGone(RuntimeError):
    """The stream no longer holds the records an OnFailure record points at."""


def _stream_records(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of an OnFailure pointer, read again from the table's stream."""
    from botocore.exceptions import ClientError

    first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    records: list[dict[str, Any]] = []
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
        empty = 0
        while iterator and empty < EMPTY_PAGES:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            empty = 0 if page["Records"] else empty + 1
            for record in page["Records"]:
                if int(record["dynamodb"]["SequenceNumber"]) > last:
                    iterator = None
                    break
                records.append(record)
            else:
                iterator = page.get("NextShardIterator")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in STREAM_GONE:
            raise
        records = []
    if not records or int(records[0]["dynamodb"]["SequenceNumber"]) != first:
        arrived = info.get("approximateArrivalOfFirstRecord", "?")
        raise RecordsGone(
            f"the stream no longer holds these records (it keeps them 24 hours; the first arrived "
            f"{arrived}): their events and counters can't be replayed from this pointer; the sweep has "
            "alerted every case"
        )
    return records


def _lambda_json(value: Any) -> Any:
    """boto3's stream record values as Lambda sends them: epoch seconds and base64 text."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _invoke_stream_function(lambdas: Any, function: str, event: dict[str, Any]) -> None:
    payload = json.dumps(event, default=_lambda_json)
    answer = lambdas.invoke(FunctionName=function, Payload=payload.encode("utf-8"))
    body = answer["Payload"].read()
    if answer.get("FunctionError"):
        raise RuntimeError(f"the stream function failed again: {body[:300]!r}")
    failures = (json.loads(body or b"null") or {}).get("batchItemFailures") or []
    if failures:
        raise RuntimeError(
            f"the stream function could not finish from sequence number {failures[0].get('itemIdentifier')} "
            "(see its log)"
        )


def _replay_stream_batch(streams: Any, lambdas: Any, function: str, body: dict[str, Any]) -> int:
    info = body["DDBStreamBatchInfo"]
    records = _stream_records(streams, info)
    for record in records:
        record["eventSourceARN"] = info["streamArn"]
    _invoke_stream_function(lambdas, function, {"Records": records})
    return len(records)


def _replay_parked_record(lambdas: Any, function: str, body: dict[str, Any]) -> None:
    _invoke_stream_function(lambdas, function, {"Records": [body["record"]], FROM_DEAD_LETTER_QUEUE: True})


@dataclass(frozen=True)
class Targets:
    """Where one queue's messages go back to."""

    bus: str | None = None  # events: back on the bus
    function: str | None = None  # stream batches and failed invocations: invoked again
    to_queue: str | None = None  # events of a queue consumer (outbound): back on its queue, not the bus


def kind_of(body: Any) -> str:
    """What a DLQ message holds: a stream batch, a parked stream record, a scheduled run, an event, or an
    invocation payload."""
    if not isinstance(body, dict):
        return "invocation"
    if "DDBStreamBatchInfo" in body:
        return "stream batch"
    if body.get("kind") == PARKED_RECORD:
        return "parked record"
    if body.get("source") == "aws.events" or body.get("detail-type") == "Scheduled Event":
        return "scheduled run"
    if "detail-type" in body and "source" in body:
        return "event"
    return "invocation"


def _replay_one(kind: str, message: dict[str, Any], body: Any, targets: Targets, clients: Any) -> None:
    if kind == "event":
        if targets.to_queue:
            clients("sqs").send_message(QueueUrl=targets.to_queue, MessageBody=message["Body"])
        elif targets.bus:
            _replay_event(clients("events"), targets.bus, body)
        else:
            raise RuntimeError("--bus (or --to-queue) is needed to replay events")
        return
    if not targets.function:
        raise RuntimeError(f"--function is needed to replay a failed {kind}")
    if kind == "stream batch":
        _replay_stream_batch(clients("dynamodbstreams"), clients("lambda"), targets.function, body)
        return
    if kind == "parked record":
        _replay_parked_record(clients("lambda"), targets.function, body)
        return
    answer = clients("lambda").invoke(FunctionName=targets.function, Payload=message["Body"].encode("utf-8"))
    if answer.get("FunctionError"):
        raise RuntimeError(f"the function failed again: {answer['Payload'].read()[:300]!r}")


def replay_queue(
    queue_url: str, targets: Targets, dry_run: bool = False, limit: int | None = None, clients: Any = None
) -> tuple[int, int, int]:
    """Replay (or, dry, list) one queue's messages: (replayed, dropped, kept). A message is deleted only
    after its replay worked; a scheduled run is dropped, as the next run does its work."""
    if clients is None:
        import boto3

        made: dict[str, Any] = {}

        def clients(service: str) -> Any:
            if service not in made:
                made[service] = boto3.client(service)
            return made[service]

    sqs = clients("sqs")
    waiting = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    total = int(waiting["Attributes"].get("ApproximateNumberOfMessages", 0))
    print(f"{queue_url}: about {total} message(s){' (dry run: nothing moves)' if dry_run else ''}")
    replayed = dropped = 0
    kept: list[str] = []  # receipt handles to make visible again at the end (not now: this run would loop)
    untouched: list[str] = []
    seen = 0
    while limit is None or seen < limit:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            break
        room = len(messages) if limit is None else limit - seen
        untouched += [message["ReceiptHandle"] for message in messages[room:]]  # past --max
        for message in messages[:room]:
            seen += 1
            try:
                body = json.loads(message["Body"])
            except ValueError:
                body = message["Body"]  # not JSON: an invocation payload, handed back as it is
            kind = kind_of(body)
            progress = f"({seen}/{max(total, seen)})"
            if dry_run:
                verb = "would drop" if kind == "scheduled run" else "would replay"
                print(f"{verb} {kind} {message['MessageId']} {_summary(kind, body)} {progress}")
                kept.append(message["ReceiptHandle"])
                continue
            if kind == "scheduled run":
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                dropped += 1
                print(f"dropped {kind} {message['MessageId']}: the next run does its work {progress}")
                continue
            try:
                _replay_one(kind, message, body, targets, clients)
            except Exception as error:
                kept.append(message["ReceiptHandle"])
                print(f"kept {kind} {message['MessageId']}: {error} {progress}", file=sys.stderr)
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            replayed += 1
            print(f"replayed {kind} {message['MessageId']} {_summary(kind, body)} {progress}")
    for handle in kept + untouched:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    if dry_run:
        print(f"dry run: {seen} message(s) listed, none moved")
        return 0, 0, 0
    print(f"done: {replayed} replayed, {dropped} dropped, {len(kept)} kept in the queue")
    return replayed, dropped, len(kept)


def _summary(kind: str, body: Any) -> str:
    if kind == "event":
        detail = body.get("detail") or {}
        return f"{body['detail-type']} {detail.get('case_id', '')}".strip()
    if kind == "stream batch":
        info = body["DDBStreamBatchInfo"]
        return (
            f"{info.get('batchSize', '?')} record(s) from {info.get('approximateArrivalOfFirstRecord', '?')}"
        )
    if kind == "parked record":
        record = body.get("record") or {}
        key = ((record.get("dynamodb") or {}).get("Keys") or {}).get("pk", {}).get("S", "?")
        parked = f"parked {body.get('parkedAt', '?')}: {body.get('reason', '?')}"
        return f"{record.get('eventName', '?')} {key} {parked}"
    if kind == "scheduled run":
        return str(body.get("time", ""))
    return ""


# Every DLQ of the template, by stack output: (queue, bus, function, back-to queue).
STACK_DLQS = (
    ("StreamDLQUrl", None, "StreamFunctionName", None),
    ("AlertDLQUrl", "EventBusName", "DeliveriesFunctionName", None),
    ("OutboundDLQUrl", None, None, "OutboundQueueUrl"),
)


def replay_dlq(args: argparse.Namespace) -> int:
    if args.queue_url:
        targets = Targets(bus=args.bus, function=args.function, to_queue=args.to_queue)
        _, _, kept = replay_queue(args.queue_url, targets, args.dry_run, args.max)
        return 1 if kept else 0
    from tools.stack_outputs import StackError, resolve

    try:
        outputs = resolve(args.stack, args.env)
        queues = [
            (
                outputs[queue],
                Targets(
                    bus=outputs[bus] if bus else None,
                    function=outputs[function] if function else None,
                    to_queue=outputs[to_queue] if to_queue else None,
                ),
            )
            for queue, bus, function, to_queue in STACK_DLQS
        ]
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    kept = 0
    for url, targets in queues:
        kept += replay_queue(url, targets, args.dry_run, args.max)[2]
    return 1 if kept else 0


def add_lead(args: argparse.Namespace) -> int:
    import boto3

    from recovery.domain import contacts

    try:
        email = contacts.email(args.email)
    except ValueError as error:
        print(f"--email: {error}", file=sys.stderr)
        return 2
    local = args.pool is None
    if local:
        cognito, pool = _local_pool(args.runtime)
    else:
        cognito, pool = boto3.client("cognito-idp"), args.pool
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    try:
        cognito.admin_get_user(UserPoolId=pool, Username=email)
        print(f"{email} exists; adding groups")
    except cognito.exceptions.UserNotFoundException:
        if local:
            password = "Rl1!" + secrets.token_urlsafe(18)  # meets the pool's policy: 12+, all four classes
            cognito.admin_create_user(
                UserPoolId=pool, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
            )
            cognito.admin_set_user_password(
                UserPoolId=pool, Username=email, Password=password, Permanent=True
            )
            print(f"created {email} with the password {password} (shown once)")
        else:
            cognito.admin_create_user(
                UserPoolId=pool, Username=email, UserAttributes=attributes, DesiredDeliveryMediums=["EMAIL"]
            )
            print(f"created {email}; Cognito emailed a temporary password")
    groups = [f"team-{team}" for team in args.team] + (["admin"] if args.admin else [])
    for group in groups:
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(GroupName=group, UserPoolId=pool)
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
        print(f"in group {group}")
    if not groups:
        print("warning: in no team group, the user sees no case", file=sys.stderr)
    return 0


def _local_pool(runtime_file: str) -> tuple[Any, str]:
    """The embedded runtime's Cognito (its moto server; any credentials sign) and its one user pool."""
    import boto3

    path = Path(runtime_file)
    if not path.is_file():
        raise cli.Failure(f"no {runtime_file}: start `make run` first, or give --pool for a deployed stack")
    moto_url = json.loads(path.read_text(encoding="utf-8"))["moto_url"]
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto checks none
    )
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    if len(pools) != 1:
        raise cli.Failure(f"the runtime at {moto_url} has {len(pools)} user pools; give --pool")
    return cognito, str(pools[0]["Id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    replay = sub.add_parser("replay-dlq", help="move a dead-letter queue's messages back into processing")
    where = replay.add_mutually_exclusive_group(required=True)
    where.add_argument("--env", help="every DLQ of this samconfig.toml environment's stack (dev, prod)")
    where.add_argument("--stack", help="every DLQ of this stack")
    where.add_argument("--queue-url", help="one queue (stack outputs *DLQUrl)")
    replay.add_argument("--bus", help="event bus name (stack output EventBusName), for events")
    replay.add_argument("--to-queue", help="send events to this queue instead of the bus (OutboundQueueUrl)")
    replay.add_argument("--function", help="function to invoke again: stream batches, failed invocations")
    replay.add_argument("--max", type=int, help="stop after this many messages")
    replay.add_argument("--dry-run", action="store_true", help="list what would be replayed, change nothing")
    lead = sub.add_parser("add-lead", help="add a console user to the user pool and their team groups")
    lead.add_argument("--pool", help="stack output UserPoolId; without it, the runtime of `make run`")
    lead.add_argument(
        "--runtime", default=".local/runtime.json", help="the runtime's start line, without --pool"
    )
    lead.add_argument("--email", required=True)
    lead.add_argument("--team", action="append", default=[], help="a team id; repeat for more teams")
    lead.add_argument("--admin", action="store_true", help="also in the admin group (sees every team)")
    args = parser.parse_args(argv)
    if args.command == "add-lead":
        return add_lead(args)
    return replay_dlq(args)


if __name__ == "__main__":
    cli.run(main)
