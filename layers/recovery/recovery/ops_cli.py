"""Operations commands.

    python -m recovery.ops_cli replay-dlq --env dev|--stack NAME [--dry-run] [--max N]
    python -m recovery.ops_cli replay-dlq --queue-url URL [--bus NAME] [--to-queue URL] [--function NAME]
    python -m recovery.ops_cli add-lead --pool POOL_ID --email ADDRESS [--team ID ...] [--admin]

`add-lead` creates a console user in the stack's user pool (output UserPoolId) and puts them in the
groups `team-<id>` (made if missing) and, with `--admin`, `admin`. Cognito emails a temporary password;
the first sign-in in the console asks for a new one. Run it again to add a team to an existing user.

`replay-dlq` moves what a dead-letter queue holds back into processing; with `--env` or `--stack` it
goes through every DLQ of the stack (the stack outputs name them):
- Events (the alert DLQ: CaseOpened events that failed every retry) are put back on the bus. Consumers
  are idempotent (delivery rows), so replaying twice sends nothing twice.
- Case events in the outbound DLQ (an endpoint refused them after every retry) go back on the outbound
  queue (`--to-queue`), not the bus, so only the outbound function sees them again.
- Scheduled runs that failed (sweep, follow-ups) are dropped: the next run does their work.
- Failed asynchronous invocations (the deliveries function's SNS payloads, in the alert DLQ) are
  invoked again with the same payload (`--function`).
- Stream-batch failure records (the stream DLQ) point at a range of the table's stream. The batch is read
  again from the stream (records stay 24 hours) and handed back as-is through the stream function's own
  handler via Lambda invoke (`--function NAME`); past 24 hours the sweep has already caught every case.
A message is deleted from the queue only after its replay succeeded. Progress is printed as it goes.
`--dry-run` lists each message and what would be done with it, and moves nothing (the messages are
visible again when it ends).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from dataclasses import dataclass
from typing import Any


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


def _replay_stream_batch(streams: Any, lambdas: Any, function: str, body: dict[str, Any]) -> int:
    info = body["DDBStreamBatchInfo"]
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    last = int(info["endSequenceNumber"])
    while iterator and len(records) < int(info.get("batchSize", 100)):
        page = streams.get_records(ShardIterator=iterator, Limit=100)
        batch = [r for r in page["Records"] if int(r["dynamodb"]["SequenceNumber"]) <= last]
        records += batch
        if len(batch) < len(page["Records"]) or not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    for record in records:
        record["eventSourceARN"] = info["streamArn"]
    payload = json.dumps({"Records": records}, default=lambda value: int(value.timestamp()))
    answer = lambdas.invoke(FunctionName=function, Payload=payload.encode("utf-8"))
    if answer.get("FunctionError"):
        raise RuntimeError(f"the stream function failed again: {answer['Payload'].read()[:300]!r}")
    return len(records)


@dataclass(frozen=True)
class Targets:
    """Where one queue's messages go back to."""

    bus: str | None = None  # events: back on the bus
    function: str | None = None  # stream batches and failed invocations: invoked again
    to_queue: str | None = None  # events of a queue consumer (outbound): back on its queue, not the bus


def kind_of(body: Any) -> str:
    """What a DLQ message holds: a stream batch, a scheduled run, an event, or an invocation payload."""
    if not isinstance(body, dict):
        return "invocation"
    if "DDBStreamBatchInfo" in body:
        return "stream batch"
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
    from recovery.stack_outputs import StackError, resolve

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
    cognito = boto3.client("cognito-idp")
    try:
        cognito.admin_get_user(UserPoolId=args.pool, Username=email)
        print(f"{email} exists; adding groups")
    except cognito.exceptions.UserNotFoundException:
        cognito.admin_create_user(
            UserPoolId=args.pool,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            DesiredDeliveryMediums=["EMAIL"],
        )
        print(f"created {email}; Cognito emailed a temporary password")
    groups = [f"team-{team}" for team in args.team] + (["admin"] if args.admin else [])
    for group in groups:
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(GroupName=group, UserPoolId=args.pool)
        cognito.admin_add_user_to_group(UserPoolId=args.pool, Username=email, GroupName=group)
        print(f"in group {group}")
    if not groups:
        print("warning: in no team group, the user sees no case", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recovery.ops_cli", description=__doc__.splitlines()[0])
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
    lead.add_argument("--pool", required=True, help="stack output UserPoolId")
    lead.add_argument("--email", required=True)
    lead.add_argument("--team", action="append", default=[], help="a team id; repeat for more teams")
    lead.add_argument("--admin", action="store_true", help="also in the admin group (sees every team)")
    args = parser.parse_args(argv)
    if args.command == "add-lead":
        return add_lead(args)
    return replay_dlq(args)


if __name__ == "__main__":
    raise SystemExit(main())
