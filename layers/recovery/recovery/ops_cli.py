"""Operations commands.

    python -m recovery.ops_cli replay-dlq --queue-url URL [--bus NAME] [--dry-run] [--max N]
    python -m recovery.ops_cli add-lead --pool POOL_ID --email ADDRESS [--team ID ...] [--admin]

`add-lead` creates a console user in the stack's user pool (output UserPoolId) and puts them in the
groups `team-<id>` (made if missing) and, with `--admin`, `admin`. Cognito emails a temporary password;
the first sign-in in the console asks for a new one. Run it again to add a team to an existing user.

`replay-dlq` moves what a dead-letter queue holds back into processing:
- EventBridge events (the alert DLQ: CaseOpened events that failed every retry, failed sweeps) are put
  back on the bus. Consumers are idempotent (delivery rows), so replaying twice sends nothing twice.
- Stream-batch failure records (the stream DLQ) point at a range of the table's stream. The batch is read
  again from the stream (records stay 24 hours) and handed back as-is through the stream function's own
  handler via Lambda invoke (`--function NAME`); past 24 hours the sweep has already caught every case.
A message is deleted from the queue only after its replay succeeded. Progress is printed as it goes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
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


def replay_dlq(args: argparse.Namespace) -> int:
    import boto3

    sqs = boto3.client("sqs")
    events = boto3.client("events")
    replayed = failed = 0
    kept: list[str] = []  # receipt handles of messages whose replay failed
    while args.max is None or replayed + failed < args.max:
        messages = sqs.receive_message(
            QueueUrl=args.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            body = json.loads(message["Body"])
            kind = "stream batch" if "DDBStreamBatchInfo" in body else "event"
            try:
                if args.dry_run:
                    print(f"would replay {kind} {message['MessageId']}")
                    continue
                if kind == "event":
                    if not args.bus:
                        raise RuntimeError("--bus is needed to replay events")
                    _replay_event(events, args.bus, body)
                else:
                    if not args.function:
                        raise RuntimeError("--function is needed to replay stream batches")
                    _replay_stream_batch(
                        boto3.client("dynamodbstreams"), boto3.client("lambda"), args.function, body
                    )
            except Exception as error:
                failed += 1
                kept.append(message["ReceiptHandle"])
                print(f"kept {kind} {message['MessageId']}: {error}", file=sys.stderr)
                continue
            sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
            replayed += 1
            print(f"replayed {kind} {message['MessageId']} ({replayed} so far)")
        if args.dry_run:
            break
    for handle in kept:  # visible again at once, for the next run (not this one: it would loop)
        sqs.change_message_visibility(QueueUrl=args.queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    print(f"done: {replayed} replayed, {failed} kept in the queue")
    return 1 if failed else 0


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
    replay.add_argument("--queue-url", required=True)
    replay.add_argument("--bus", help="event bus name (stack output EventBusName), for events")
    replay.add_argument("--function", help="stream function name, for stream batches")
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
