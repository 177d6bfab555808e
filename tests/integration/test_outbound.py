"""Outbound case events on moto: stream -> bus rule (the template's pattern) -> SQS -> outbound function
-> a local HTTP receiver that verifies the Standard Webhooks signature, and a Zendesk stub."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import lambda_events
from recovery import clock
from recovery.notify import webhooks
from recovery.services.outbound_webhooks import parse_outbound
from recovery.store.models import CaseEventItem, CaseItem, DeliveryItem
from recovery.store.outbound import OutboundStore
from tests.integration.conftest import Api
from tests.support import REGION, ROOT, Context, Stack, StreamReader, event, load_function, template
from tools.seed import ConfigError, seed_alerting, seed_outbound

SECRET = "whsec_" + base64.b64encode(b"outbound-test-secret-0123456789ab").decode()
ROUTED_TEAM = "support-emea"  # config/teams.yaml: the default team; the sample matches no rule


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread, recording each POST; `stop()` makes it unreachable."""

    def __init__(self, answer: dict[str, Any] | None = None, port: int = 0) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self.answer = json.dumps(answer or {"ok": True}).encode()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.posts.append((self.path, headers, body))
                self.send_response(201)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


class Pipeline:
    """The template's outbound rule on the moto bus, targeting a queue; the outbound function reads it."""

    def __init__(self, stack: Stack) -> None:
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.queue = self.sqs.create_queue(QueueName="outbound", Attributes={"VisibilityTimeout": "0"})[
            "QueueUrl"
        ]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        rule = template()["Resources"]["OutboundRule"]["Properties"]
        events = boto3.client("events", region_name=REGION)
        events.put_rule(
            Name="outbound", EventBusName=stack.bus, EventPattern=json.dumps(rule["EventPattern"])
        )
        events.put_targets(Rule="outbound", EventBusName=stack.bus, Targets=[{"Id": "q", "Arn": self.arn}])
        self.reader = StreamReader(stack.table)
        self.stream = load_function("stream")
        self.outbound = load_function("outbound")

    def publish(self) -> None:
        """The stream function turns the table's new changes into events on the bus."""
        self.stream.lambda_handler({"Records": self.reader.read()}, Context())

    def run(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One poll as the event source mapping does it: the records handed over, and the answer;
        records that did not fail are deleted, failed ones stay for a later attempt."""
        messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        records = [lambda_events.sqs_record(m, self.arn, REGION) for m in messages]
        if not records:
            return [], {}
        result = self.outbound.lambda_handler({"Records": records}, Context())
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        for record in records:
            if record["messageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=record["receiptHandle"])
        return records, result


@pytest.fixture
def pipeline(stack: Stack) -> Pipeline:
    return Pipeline(stack)


def configure(*endpoints: dict[str, Any]) -> None:
    OutboundStore().put_document({"endpoints": list(endpoints)}, clock.now(), by="test")


def open_case(api: Api, external_id: str = "resp_out_1", **interaction: Any) -> str:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body.update(external_id=external_id)
    merged = {**body["interaction"], **interaction}
    body["interaction"] = {key: value for key, value in merged.items() if value is not None}
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201
    return str(answer["case_id"])


def test_a_new_case_becomes_a_signed_post_the_receiver_verifies(
    api: Api, pipeline: Pipeline, receiver: Receiver
) -> None:
    # GIVEN an endpoint subscribed to every case event, and the teams and routing of config/
    configure({"id": "crm", "url": f"{receiver.url}/hooks/recovery", "secret": SECRET})
    assert seed_alerting(ROOT / "config")
    # WHEN a negative with no team of its own opens a case and its event travels bus -> queue -> outbound
    case_id = open_case(api, team=None)
    pipeline.publish()
    records, result = pipeline.run()
    # THEN the receiver got one POST whose Standard Webhooks signature verifies over the exact bytes
    assert len(records) == 1 and result == {"batchItemFailures": []}
    ((path, headers, body),) = receiver.posts
    assert path == "/hooks/recovery"
    assert webhooks.verify(SECRET, headers, body)
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-signature"].startswith("v1,")
    payload = json.loads(body)
    assert payload["type"] == "case.opened" and payload["data"]["case_id"] == case_id
    # AND it names the team the case is routed to, though no alert has routed it yet
    assert CaseItem.get(f"CASE#{case_id}", "CASE").team is None
    assert payload["data"]["team"] == ROUTED_TEAM
    # AND no personal data travelled: the sample's customer and comment are not in the body
    sample = json.loads(event("ingest_feedback_negative.json")["body"])
    assert sample["customer"]["email"] not in body.decode() and sample["comment"] not in body.decode()
    # AND a tampered body or another secret would not verify
    assert not webhooks.verify(SECRET, headers, body + b" ")
    other = "whsec_" + base64.b64encode(b"another-secret-0123456789abcdefgh").decode()
    assert not webhooks.verify(other, headers, body)


def test_events_reach_only_their_subscribers(pipeline: Pipeline, receiver: Receiver) -> None:
    # GIVEN an endpoint that wants resolutions only
    configure({"id": "crm", "url": receiver.url, "secret": SECRET, "events": ["CaseResolved"]})
    bus = boto3.client("events", region_name=REGION)
    base = event("alert_case_opened.json")["detail"]
    # WHEN an acknowledgement and a resolution of the same case are published
    for detail_type in ("CaseAcknowledged", "CaseResolved"):
        bus.put_events(
            Entries=[
                {
                    "EventBusName": pipeline.outbound.settings.event_bus_name,
                    "Source": "recovery.loop",
                    "DetailType": detail_type,
                    "Detail": json.dumps({**base, "event_id": f"e-{detail_type}"}),
                }
            ]
        )
    pipeline.run()
    # THEN only the resolution was posted
    assert [json.loads(body)["type"] for _, _, body in receiver.posts] == ["case.resolved"]


def test_a_receiver_that_is_down_gets_it_later_once(api: Api, pipeline: Pipeline) -> None:
    # GIVEN an endpoint whose receiver is down, and one that is up
    down = Receiver()
    port = down.port
    down.stop()
    up = Receiver()
    configure(
        {"id": "crm", "url": f"http://127.0.0.1:{port}/in", "secret": SECRET},
        {"id": "audit", "url": up.url, "secret": SECRET},
    )
    case_id = open_case(api)
    pipeline.publish()
    # WHEN the function runs: the record fails and stays on the queue
    records, result = pipeline.run()
    assert [item["itemIdentifier"] for item in result["batchItemFailures"]] == [records[0]["messageId"]]
    rows = {row.contact_id: row.state for row in DeliveryItem.scan(DeliveryItem.channel == "webhook")}
    assert rows == {"crm": "failed", "audit": "sent"}
    # AND the receiver comes back, and SQS redelivers the message (twice, as SQS may)
    back = Receiver(port=port)
    try:
        pipeline.run()
        pipeline.sqs.send_message(QueueUrl=pipeline.queue, MessageBody=records[0]["body"])
        pipeline.run()
        # THEN each receiver has the event exactly once, and the queue is empty
        assert [json.loads(body)["data"]["case_id"] for _, _, body in back.posts] == [case_id]
        assert [json.loads(body)["data"]["case_id"] for _, _, body in up.posts] == [case_id]
        assert all(webhooks.verify(SECRET, headers, body) for _, headers, body in back.posts)
        assert pipeline.run() == ([], {})
    finally:
        back.stop()
        up.stop()


def test_the_zendesk_preset_opens_a_ticket_and_links_it(api: Api, pipeline: Pipeline, stack: Stack) -> None:
    # GIVEN a Zendesk stub and the agent's API token in Secrets Manager
    zendesk = Receiver(
        answer={"ticket": {"id": 35436, "url": "https://x.zendesk.com/api/v2/tickets/35436.json"}}
    )
    name = "recovery-loop/test/outbound/zendesk"
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=name, SecretString=json.dumps({"email": "agent@example.com", "api_token": "zd-token"})
    )
    configure({"id": "zendesk", "preset": "zendesk", "url": zendesk.url, "credentials_secret": name})
    try:
        # WHEN a case opens and its event is delivered, then delivered again
        case_id = open_case(api)
        pipeline.publish()
        records, result = pipeline.run()
        assert result == {"batchItemFailures": []}
        pipeline.sqs.send_message(QueueUrl=pipeline.queue, MessageBody=records[0]["body"])
        pipeline.run()
        # THEN one ticket was created with the agent's token
        ((path, headers, body),) = zendesk.posts
        assert path == "/api/v2/tickets.json"
        login = base64.b64decode(headers["authorization"].removeprefix("Basic ")).decode()
        assert login == "agent@example.com/token:zd-token"
        ticket = json.loads(body)["ticket"]
        assert ticket["external_id"] == case_id and ticket["priority"] in ("urgent", "high")
        # AND the case holds the ticket link, with a timeline event
        case = CaseItem.get(f"CASE#{case_id}", "CASE")
        assert case.external_links == {
            "zendesk": {"kind": "zendesk_ticket", "id": "35436", "url": f"{zendesk.url}/agent/tickets/35436"}
        }
        kinds = [e.kind for e in CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))]
        assert kinds.count("external_link") == 1
    finally:
        zendesk.stop()


def test_seeding_stores_the_endpoints_and_refuses_a_bad_one(stack: Stack, tmp_path: Path) -> None:
    # GIVEN an outbound.yaml with one endpoint
    (tmp_path / "outbound.yaml").write_text(
        f"endpoints:\n  - id: crm\n    url: https://crm.example.com/in\n    secret: {SECRET}\n"
    )
    # WHEN it is seeded THEN the endpoint is stored and read back validated
    assert seed_outbound(tmp_path)
    [stored] = parse_outbound(OutboundStore().document()).endpoints
    assert stored.id == "crm" and stored.secret == SECRET
    # AND a plain-http URL elsewhere is refused, naming the file and the key
    (tmp_path / "outbound.yaml").write_text("endpoints:\n  - {id: crm, url: 'http://x.example', secret: x}\n")
    with pytest.raises(ConfigError, match=r"outbound.yaml: endpoints/0/url"):
        seed_outbound(tmp_path)
    # AND the shipped config/outbound.yaml is valid (and lists no endpoint)
    assert seed_outbound(ROOT / "config") is False
