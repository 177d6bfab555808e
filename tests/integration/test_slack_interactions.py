"""The Slack interactions function on moto, with its role from template.yaml enforced: a signed press
acknowledges or takes the case as the contact, the pressed message is replaced through a response_url
served on 127.0.0.1, and nothing else changes anything."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from recovery import clock
from recovery.services.alerts import Alerts
from recovery.services.stream_processor import read_record
from recovery.store.alerting import ConfigStore
from recovery.store.models import CaseEventItem, CaseItem
from tests.integration.conftest import Api, table_items
from tests.integration.test_alerts import open_case
from tests.support import REGION, Context, Stack, StreamReader, environment, event, load_function

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
KARI = "U0KARI"
MARK = "U0MARK"


class ResponseUrl:
    """Slack's response_url, on 127.0.0.1: records each POST and answers 200 `ok` (or `status`)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                server.posts.append((self.path, json.loads(body)))
                self.send_response(server.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.prefix = f"http://127.0.0.1:{self.server.server_address[1]}/_local/slack/response/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def response_url() -> Iterator[ResponseUrl]:
    server = ResponseUrl()
    yield server
    server.stop()


@pytest.fixture
def slack(stack: Stack, alerts: Alerts, response_url: ResponseUrl) -> Iterator[ModuleType]:
    # `alerts` seeds config/'s teams; Kari and Mark of support-emea get Slack user ids.
    stored = ConfigStore().get()
    assert stored is not None
    config, version = stored
    emea = config.team("support-emea")
    levels = {
        level: [
            contact.model_copy(update={"slack_user": {"kari": KARI, "mark": MARK}.get(contact.id)})
            for contact in contacts
        ]
        for level, contacts in emea.levels.items()
    }
    teams = [
        team.model_copy(update={"levels": levels}) if team.id == emea.id else team for team in config.teams
    ]
    ConfigStore().put(config.model_copy(update={"teams": teams}), clock.now(), "test", version)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="recovery-loop/test/slack",
        SecretString=json.dumps({"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET}),
    )
    settings = {
        "SLACK_SECRET": "recovery-loop/test/slack",
        "SLACK_RESPONSE_URL_PREFIXES": response_url.prefix,
    }
    with environment(settings):
        yield load_function("slack")


PRESSES = itertools.count(1)


def unseen(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's items but the remembered Slack requests (`SEEN#slack#...`)."""
    return [item for item in items if not item["pk"]["S"].startswith("SEEN#")]


def payload(case_id: str, action: str = "ack", user: str = KARI, url: str = "") -> dict[str, Any]:
    """A block_actions interaction as Slack sends one per press (each with its own action_ts)."""
    pressed = f"1764900100.{next(PRESSES):06d}"
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "kari", "team_id": "T0TEST"},
        "team": {"id": "T0TEST"},
        "container": {"type": "message", "message_ts": "1764900000.000100", "channel_id": "C0EMEA"},
        "channel": {"id": "C0EMEA", "name": "support-emea"},
        "response_url": url,
        "actions": [
            {"action_id": action, "block_id": "b", "type": "button", "value": case_id, "action_ts": pressed}
        ],
    }


def signed(body: bytes, secret: str = SIGNING_SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = str(int(clock.now().timestamp()) if at is None else at)
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": "v0=" + digest}


def press(
    module: ModuleType,
    document: dict[str, Any] | str,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
) -> tuple[int, str, Any]:
    text = document if isinstance(document, str) else json.dumps(document)
    body = urlencode({"payload": text}).encode()
    request = event("ingest_feedback_negative.json")
    path = "/v1/slack/interactions"
    sent = base64.b64encode(body).decode() if base64_body else body.decode()
    request.update(routeKey=f"POST {path}", rawPath=path, body=sent, isBase64Encoded=base64_body)
    request["requestContext"]["http"].update(method="POST", path=path)
    request["requestContext"]["routeKey"] = f"POST {path}"
    request["headers"] = {
        "content-type": "application/x-www-form-urlencoded",
        **(signed(body) if headers is None else headers),
    }
    response = module.lambda_handler(request, Context())
    answer = response.get("body") or ""
    media = (response.get("headers") or {}).get("Content-Type", "")
    return response["statusCode"], media, json.loads(answer) if "json" in media and answer else answer


def timeline(case_id: str) -> list[tuple[str, str]]:
    items = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    return [(item.kind, item.actor or "") for item in items]


def test_a_signed_ack_press_acknowledges_as_the_contact_and_updates_the_message(
    slack: ModuleType, api: Api, alerts: Alerts, stack: Stack, response_url: ResponseUrl
) -> None:
    # GIVEN a routed, alerted case of support-emea, and the table's stream from here on
    case_id = open_case(api)
    alerts.alert(case_id)
    reader = StreamReader(stack.table)
    url = response_url.prefix + "T0TEST/1/abc"
    # WHEN Kari presses Acknowledge in Slack
    status, _, body = press(slack, payload(case_id, "ack", url=url))
    # THEN Slack gets an empty 200; the case is acknowledged by Kari, on the timeline as the console's is
    assert status == 200 and body == ""
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    assert (case.status, case.acked_by, case.owner) == ("acknowledged", "kari", "kari")
    assert [entry for entry in timeline(case_id) if entry[0] == "acknowledged"] == [("acknowledged", "kari")]
    # AND the stream carries the change that becomes CaseAcknowledged on the bus
    records = reader.read(("CASE#",))
    kinds = [e.detail_type for n, r in enumerate(records) for e in read_record(n, r).events]
    assert "CaseAcknowledged" in kinds
    # AND the pressed message was replaced through the response_url
    ((path, message),) = response_url.posts
    assert path == "/_local/slack/response/T0TEST/1/abc"
    assert message["replace_original"] is True
    assert "Acknowledged by Kari Nordmann at" in message["text"] and message["blocks"]


def test_the_same_signed_request_twice_acts_once(
    slack: ModuleType, api: Api, alerts: Alerts, response_url: ResponseUrl
) -> None:
    # GIVEN an alerted case, and one signed Acknowledge press
    case_id = open_case(api)
    alerts.alert(case_id)
    document = payload(case_id, "ack", url=response_url.prefix + "x")
    body = urlencode({"payload": json.dumps(document)}).encode()
    headers = signed(body)
    # WHEN Slack delivers it twice (a retry, or a replay within the 5 minutes)
    first = press(slack, document, headers)
    entries = timeline(case_id)
    second = press(slack, document, headers)
    # THEN the first acts, the replay is refused (401) and wrote nothing: one acknowledgement on the timeline
    assert (first[0], second[0]) == (200, 401)
    assert second[2]["detail"] == "this Slack request was handled already"
    assert timeline(case_id) == entries
    assert [kind for kind, _ in entries].count("acknowledged") == 1


def test_a_replayed_take_cannot_win_a_case_back(
    slack: ModuleType, api: Api, alerts: Alerts, response_url: ResponseUrl
) -> None:
    # GIVEN Kari's signed Take it press, then Mark's
    case_id = open_case(api)
    alerts.alert(case_id)
    kari = payload(case_id, "take", url=response_url.prefix + "x")
    kari_headers = signed(urlencode({"payload": json.dumps(kari)}).encode())
    assert press(slack, kari, kari_headers)[0] == 200
    assert press(slack, payload(case_id, "take", MARK, response_url.prefix + "y"))[0] == 200
    # WHEN someone sends Kari's signed request again, within its 5 minutes
    replayed = press(slack, kari, kari_headers)
    # THEN it is refused, and the case stays Mark's
    assert replayed[0] == 401
    assert CaseItem.get(f"CASE#{case_id}", "CASE").owner == "mark"


def test_take_assigns_the_case_to_the_contact_once(
    slack: ModuleType, api: Api, alerts: Alerts, response_url: ResponseUrl
) -> None:
    # GIVEN a case Kari acknowledged (so she owns it)
    case_id = open_case(api)
    alerts.alert(case_id)
    assert press(slack, payload(case_id, "ack", url=response_url.prefix + "x"))[0] == 200
    # WHEN Mark presses Take it, twice
    assert press(slack, payload(case_id, "take", MARK, response_url.prefix + "y"))[0] == 200
    assert press(slack, payload(case_id, "take", MARK, response_url.prefix + "y"))[0] == 200
    # THEN the case is Mark's, assigned once, by Mark; it stays acknowledged by Kari
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    assert (case.status, case.acked_by, case.owner) == ("acknowledged", "kari", "mark")
    assert [entry for entry in timeline(case_id) if entry[0] == "assigned"] == [("assigned", "mark")]
    assert "Taken by Mark Night" in response_url.posts[-1][1]["text"]


def test_an_unknown_slack_user_changes_nothing(
    slack: ModuleType, api: Api, alerts: Alerts, stack: Stack, response_url: ResponseUrl
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    before = table_items(stack)
    status, media, body = press(slack, payload(case_id, "ack", "U0STRANGER", response_url.prefix + "x"))
    assert (status, media) == (200, "application/json")
    assert body == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": "You are not a lead of this team, so this changed nothing.",
    }
    # (only the signed request itself is remembered, so it cannot be replayed)
    assert unseen(table_items(stack)) == unseen(before) and response_url.posts == []


@pytest.mark.parametrize(
    "headers",
    [
        {},  # unsigned
        {"x-slack-request-timestamp": "1", "x-slack-signature": "v0=" + "0" * 64},  # stale and forged
    ],
)
def test_an_unsigned_or_forged_press_is_refused_and_changes_nothing(
    slack: ModuleType, api: Api, alerts: Alerts, stack: Stack, headers: dict[str, str]
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    before = table_items(stack)
    status, media, body = press(slack, payload(case_id), headers)
    assert (status, media) == (401, "application/problem+json")
    assert body["status"] == 401
    assert table_items(stack) == before


def test_a_signed_press_with_another_secret_is_refused(slack: ModuleType, api: Api, alerts: Alerts) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    document = payload(case_id)
    body = urlencode({"payload": json.dumps(document)}).encode()
    status, _, _ = press(slack, document, signed(body, "another-secret"))
    assert status == 401
    assert CaseItem.get(f"CASE#{case_id}", "CASE").status == "open"


def test_a_response_url_outside_the_allowed_prefixes_is_not_posted_to_and_the_press_still_acts(
    slack: ModuleType, api: Api, alerts: Alerts, response_url: ResponseUrl
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    elsewhere = response_url.prefix.replace("/_local/slack/response/", "/elsewhere/")
    assert press(slack, payload(case_id, "ack", url=elsewhere))[0] == 200
    assert response_url.posts == []
    assert CaseItem.get(f"CASE#{case_id}", "CASE").status == "acknowledged"


def test_a_failing_response_url_does_not_fail_the_press(
    slack: ModuleType, api: Api, alerts: Alerts, response_url: ResponseUrl
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    response_url.status = 500
    assert press(slack, payload(case_id, "ack", url=response_url.prefix + "x"))[0] == 200
    assert CaseItem.get(f"CASE#{case_id}", "CASE").status == "acknowledged"


def test_a_malformed_payload_is_400_naming_the_field(slack: ModuleType, api: Api, alerts: Alerts) -> None:
    case_id = open_case(api)
    document = payload(case_id)
    document["actions"][0]["value"] = "not-a-case"
    status, media, body = press(slack, document)
    assert (status, media) == (400, "application/problem+json")
    assert body["errors"][0]["pointer"] == "/payload/actions/0/value"
    status, _, body = press(slack, "{not json")
    assert status == 400 and "JSON" in body["title"]


def test_other_payload_types_are_ignored(slack: ModuleType) -> None:
    assert press(slack, {"type": "view_submission", "user": {"id": KARI}})[:2] == (200, "text/plain")


def test_a_body_api_gateway_passed_as_base64_is_verified_on_its_decoded_bytes(
    slack: ModuleType, api: Api, alerts: Alerts, response_url: ResponseUrl
) -> None:
    # HTTP APIs hand a form body to Lambda base64-encoded; Slack signed the bytes it sent
    case_id = open_case(api)
    alerts.alert(case_id)
    status, _, _ = press(slack, payload(case_id, "ack", url=response_url.prefix + "x"), base64_body=True)
    assert status == 200
    assert CaseItem.get(f"CASE#{case_id}", "CASE").status == "acknowledged"
