"""The real alert function posting to Slack, its role from template.yaml enforced: the bot token from the
stack's Slack secret, the Web API served on 127.0.0.1 (as slack_sdk calls it: JSON POSTs with a bearer
token), the case posted once, updated in place on CaseAcknowledged, and a 429 waited out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import boto3
import pytest

from recovery import clock
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts
from recovery.store.models import DeliveryItem
from tests.integration.conftest import Api
from tests.integration.test_alerts import ack_code, open_case
from tests.integration.test_slack_alerts import CHANNEL, store_teams
from tests.support import REGION, Context, Stack, environment, event, load_function

TOKEN = "xoxb-test-token"
SECRET = "recovery-loop/test/slack"  # the template's recovery-loop/${Environment}/slack, Environment=test


@dataclass
class SlackCall:
    method: str
    authorization: str
    body: dict[str, Any]
    at: float


@dataclass
class SlackWebApi:
    """chat.postMessage and chat.update on 127.0.0.1: records each call; `answers` (status, headers) are
    used first, one per call, then every call succeeds."""

    calls: list[SlackCall] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    url: str = ""
    _ts: int = 0


@pytest.fixture
def web_api() -> Iterator[SlackWebApi]:
    api = SlackWebApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            method = self.path.removeprefix("/api/")
            api.calls.append(
                SlackCall(method, self.headers.get("authorization", ""), json.loads(raw), time.monotonic())
            )
            status, headers = api.answers.pop(0) if api.answers else (200, {})
            if status == 200:
                api._ts += 1
                sent = api.calls[-1].body
                answer = {
                    "ok": True,
                    "channel": sent.get("channel"),
                    "ts": sent.get("ts") or f"1764900000.{api._ts:06d}",
                }
            else:
                answer = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            body = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def alert_function(web_api: SlackWebApi, secret: bool = True) -> ModuleType:
    if secret:
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=SECRET, SecretString=json.dumps({"bot_token": TOKEN, "signing_secret": "s" * 32})
        )
    with environment({"SLACK_SECRET": SECRET, "SLACK_API_URL": web_api.url}):
        module = load_function("alert")
    module.alerts._sender = RecordingSender()  # email and SMS are not what this test is about
    return module


def bus_event(kind: str, case_id: str) -> dict[str, Any]:
    document = event("alert_case_opened.json")
    document["detail-type"] = kind
    document["detail"]["case_id"] = case_id
    return document


@pytest.fixture
def teams(alerts: Alerts) -> None:
    store_teams()  # support-emea posts to C0EMEA


def test_the_alert_function_posts_once_and_updates_the_message_when_acknowledged(
    api: Api, stack: Stack, teams: None, alerts: Alerts, web_api: SlackWebApi
) -> None:
    module = alert_function(web_api)
    case_id = open_case(api)
    # WHEN CaseOpened arrives, twice (EventBridge delivers at least once)
    first = module.lambda_handler(bus_event("CaseOpened", case_id), Context())
    module.lambda_handler(bus_event("CaseOpened", case_id), Context())
    # THEN one message went to the team's channel, with the bot token from the secret
    assert first["sent"] == 2
    assert [call.method for call in web_api.calls] == ["chat.postMessage"]
    posted = web_api.calls[0]
    assert posted.authorization == f"Bearer {TOKEN}"
    assert posted.body["channel"] == CHANNEL and "thread_ts" not in posted.body
    assert posted.body["metadata"] == {
        "event_type": "recovery_case",
        "event_payload": {"case_id": case_id, "kind": "alert"},
    }
    actions = next(block for block in posted.body["blocks"] if block["type"] == "actions")
    assert [button["action_id"] for button in actions["elements"]] == ["ack", "take", "open"]
    # WHEN the lead acknowledges through the email's link and CaseAcknowledged arrives
    alerts.acknowledge(ack_code(module.alerts._sender), clock.now())
    answer = module.lambda_handler(bus_event("CaseAcknowledged", case_id), Context())
    # THEN the same message is updated in place, its buttons gone
    assert answer["slack"] == "updated"
    update = web_api.calls[-1]
    assert update.method == "chat.update"
    assert (update.body["channel"], update.body["ts"]) == (CHANNEL, "1764900000.000001")
    assert update.body["metadata"]["event_payload"] == {"case_id": case_id, "kind": "acknowledged"}
    assert not [block for block in update.body["blocks"] if block["type"] == "actions"]
    assert "Acknowledged by *Kari Nordmann*" in json.dumps(update.body["blocks"])


def test_a_429_is_retried_after_the_wait_slack_asks_for(
    api: Api, stack: Stack, teams: None, web_api: SlackWebApi
) -> None:
    module = alert_function(web_api)
    case_id = open_case(api)
    web_api.answers.append((429, {"Retry-After": "1"}))
    module.lambda_handler(bus_event("CaseOpened", case_id), Context())
    assert [call.method for call in web_api.calls] == ["chat.postMessage", "chat.postMessage"]
    waited = web_api.calls[1].at - web_api.calls[0].at
    assert 1.0 <= waited < 5.0
    row = DeliveryItem.get(f"DLV#{case_id}#1#slack#{CHANNEL}", "DLV")
    assert (row.state, row.message_id) == ("sent", "1764900000.000001")


def test_without_the_secret_alerting_goes_on_and_nothing_is_posted(
    api: Api, stack: Stack, teams: None, web_api: SlackWebApi
) -> None:
    module = alert_function(web_api, secret=False)
    first, second = open_case(api, "resp_1"), open_case(api, "resp_2")
    assert module.lambda_handler(bus_event("CaseOpened", first), Context())["sent"] == 2
    assert module.lambda_handler(bus_event("CaseOpened", second), Context())["sent"] == 2
    assert web_api.calls == []
    assert (
        module.lambda_handler(bus_event("CaseAcknowledged", first), Context())["slack"] == "not acknowledged"
    )
