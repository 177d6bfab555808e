"""The real alert function posting to a Microsoft Teams workflow, its role from template.yaml enforced:
the workflow URL read from the secret under recovery-loop/<env>/teams/, a local HTTP server standing in
for the workflow, the card posted once, a 429 waited out, and no secret outside that prefix readable."""

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
from recovery.domain import links
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts
from recovery.store.models import DeliveryItem
from tests.integration.conftest import Api
from tests.integration.test_alerts import open_case
from tests.integration.test_teams_alerts import WEBHOOK, store_teams
from tests.support import REGION, Context, Stack, environment, event, load_function

PREFIX = "recovery-loop/test/teams/"  # the template's recovery-loop/${Environment}/teams/, Environment=test


@dataclass
class Workflow:
    """A Teams workflow trigger on 127.0.0.1: records each POST; `answers` (status, headers) are used
    first, one per call, then every call is accepted (202)."""

    posts: list[tuple[dict[str, Any], float]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def workflow() -> Iterator[Workflow]:
    found = Workflow()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            found.posts.append((json.loads(raw), time.monotonic()))
            status, headers = found.answers.pop(0) if found.answers else (202, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/workflows/abc/triggers/manual/run?sig=s3cr3t"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def alert_function(workflow: Workflow, secret: str = PREFIX + WEBHOOK, prefix: str = PREFIX) -> ModuleType:
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name=secret, SecretString=workflow.url)
    with environment({"TEAMS_SECRET_PREFIX": prefix}):
        module = load_function("alert")
    module.alerts._sender = RecordingSender()  # email and SMS are not what this test is about
    return module


def case_opened(case_id: str) -> dict[str, Any]:
    document = event("alert_case_opened.json")
    document["detail-type"] = "CaseOpened"
    document["detail"]["case_id"] = case_id
    return document


@pytest.fixture
def teams(alerts: Alerts) -> None:
    store_teams()  # support-emea posts to its workflow support-emea


def test_the_alert_function_posts_the_card_once_with_a_working_ack_link(
    api: Api, stack: Stack, teams: None, alerts: Alerts, workflow: Workflow
) -> None:
    module = alert_function(workflow)
    case_id = open_case(api)
    # WHEN CaseOpened arrives, twice (EventBridge delivers at least once)
    first = module.lambda_handler(case_opened(case_id), Context())
    module.lambda_handler(case_opened(case_id), Context())
    # THEN one card went to the workflow the secret names
    assert first["sent"] == 2
    assert len(workflow.posts) == 1
    message = workflow.posts[0][0]
    assert message["recovery_case"] == {"case_id": case_id, "kind": "alert"}
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"], card["lang"]) == ("AdaptiveCard", "1.5", "nb")
    ack, case_link = card["actions"]
    assert case_link["url"].endswith(f"/console/#/cases/{case_id}")
    row = DeliveryItem.get(f"DLV#{case_id}#1#teams#{WEBHOOK}", "DLV")
    assert (row.state, row.channel, row.kind) == ("sent", "teams", "alert")
    # AND its acknowledge button acknowledges the case, as Kari
    code = ack["url"].split("/a/", 1)[1]
    verdict, case = alerts.acknowledge(code, clock.now())
    assert verdict is links.Verdict.OK and case is not None and case.acked_by == "kari"


def test_a_429_is_retried_after_the_wait_the_workflow_asks_for(
    api: Api, stack: Stack, teams: None, workflow: Workflow
) -> None:
    module = alert_function(workflow)
    case_id = open_case(api)
    workflow.answers.append((429, {"Retry-After": "1"}))
    module.lambda_handler(case_opened(case_id), Context())
    assert len(workflow.posts) == 2
    waited = workflow.posts[1][1] - workflow.posts[0][1]
    assert 1.0 <= waited < 5.0
    assert DeliveryItem.get(f"DLV#{case_id}#1#teams#{WEBHOOK}", "DLV").state == "sent"


def test_the_role_reads_no_secret_outside_the_teams_prefix(
    api: Api, stack: Stack, teams: None, workflow: Workflow
) -> None:
    # GIVEN a function told to look for workflow URLs outside recovery-loop/<env>/teams/
    module = alert_function(workflow, secret="recovery-loop/test/support-emea", prefix="recovery-loop/test/")
    module.alerts._sleep = lambda _: None
    case_id = open_case(api)
    # WHEN a case opens THEN the leads are alerted, but the role may not read that secret: nothing posted
    assert module.lambda_handler(case_opened(case_id), Context())["sent"] == 2
    assert workflow.posts == []
    row = DeliveryItem.get(f"DLV#{case_id}#1#teams#{WEBHOOK}", "DLV")
    assert row.state == "failed" and "AccessDenied" in str(row.error)
    assert "s3cr3t" not in str(row.error)
