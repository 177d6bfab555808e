"""The runtime's local Slack Web API and response_url (local/slack_api.py), served by the runtime's own WSGI
app on 127.0.0.1 and called through slack_sdk, as the functions call Slack."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from werkzeug.serving import make_server

from local import slack_api
from local.http_api import Router
from local.outbox import Outbox
from local.server import LocalApp

CREDENTIALS = slack_api.Credentials(bot_token="xoxb-local-test", signing_secret="local-signing-secret")
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Rating 1* from a customer"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "ack",
                "value": "cs_case1",
                "text": {"type": "plain_text", "text": "Ack"},
            }
        ],
    },
]


def metadata(kind: str, case_id: str = "cs_case1") -> dict[str, Any]:
    return {"event_type": "recovery_case", "event_payload": {"case_id": case_id, "kind": kind}}


class Served:
    def __init__(self, outbox: Outbox, slack: slack_api.SlackApi, base: str) -> None:
        self.outbox = outbox
        self.slack = slack
        self.base = base

    def client(self, token: str | None = CREDENTIALS.bot_token) -> WebClient:
        return WebClient(token=token, base_url=slack_api.api_url(self.base))

    def slack_entries(self) -> list[dict[str, Any]]:
        return [entry for entry in self.outbox.entries() if entry["channel"] == "slack"]


@pytest.fixture
def served() -> Iterator[Served]:
    outbox = Outbox(lambda: NOW)
    slack = slack_api.SlackApi(CREDENTIALS, outbox, lambda: NOW)
    app = LocalApp(Router([]), None, None, None, outbox, slack=slack)  # type: ignore[arg-type]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield Served(outbox, slack, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()


def test_post_message_is_answered_as_slack_and_recorded_in_the_outbox(served: Served) -> None:
    # WHEN a function posts an alert through slack_sdk (a JSON body, the bot token as Bearer)
    answer = served.client().chat_postMessage(
        channel="C0EMEA", text="Rating 1 from a customer", blocks=BLOCKS, metadata=metadata("alert")
    )
    # THEN Slack's answer: ok, the channel, a ts and the message
    assert answer["ok"] is True
    assert answer["channel"] == "C0EMEA"
    assert answer["ts"] == f"{int(NOW.timestamp())}.000000"
    assert answer["message"]["text"] == "Rating 1 from a customer"
    assert answer["message"]["blocks"] == BLOCKS
    assert answer["message"]["metadata"] == metadata("alert")
    # AND the outbox shows it: channel slack, to the Slack channel, kind and case from the metadata
    [entry] = served.slack_entries()
    assert entry["to"] == "C0EMEA"
    assert (entry["kind"], entry["case_id"]) == ("alert", "cs_case1")
    assert entry["subject"] == f"chat.postMessage {answer['ts']}"
    assert entry["text"].startswith("Rating 1 from a customer\n\n")
    assert json.loads(entry["text"].split("\n\n", 1)[1]) == BLOCKS


def test_each_message_gets_its_own_ts_even_within_one_instant(served: Served) -> None:
    # GIVEN a clock that does not move, WHEN three messages are posted
    client = served.client()
    stamps = [client.chat_postMessage(channel="C0EMEA", text=f"m{n}")["ts"] for n in range(3)]
    # THEN each has its own ts, increasing
    assert len(set(stamps)) == 3
    assert stamps == sorted(stamps, key=float)


def test_form_bodies_are_read_as_slack_reads_them(served: Served) -> None:
    # WHEN the method is called with form fields (blocks and metadata as JSON strings, the token a field)
    answer = served.client(token=None).api_call(
        "chat.postMessage",
        data={
            "token": CREDENTIALS.bot_token,
            "channel": "C0EMEA",
            "text": "from a form",
            "metadata": json.dumps(metadata("escalation", "cs_case9")),
        },
    )
    # THEN it is accepted and recorded with the metadata's kind and case
    assert answer["ok"] is True
    [entry] = served.slack_entries()
    assert (entry["to"], entry["kind"], entry["case_id"], entry["text"]) == (
        "C0EMEA",
        "escalation",
        "cs_case9",
        "from a form",
    )


@pytest.mark.parametrize(("token", "error"), [("xoxb-someone-else", "invalid_auth"), (None, "not_authed")])
def test_a_call_without_the_provisioned_token_is_refused(
    served: Served, token: str | None, error: str
) -> None:
    # WHEN another token (or none) is sent, THEN Slack's error, which slack_sdk raises, and nothing recorded
    with pytest.raises(SlackApiError) as raised:
        served.client(token=token).chat_postMessage(channel="C0EMEA", text="x", metadata=metadata("alert"))
    assert raised.value.response["ok"] is False
    assert raised.value.response["error"] == error
    assert served.slack_entries() == []


def test_update_changes_a_posted_message_and_is_recorded(served: Served) -> None:
    client = served.client()
    posted = client.chat_postMessage(channel="C0EMEA", text="alert", metadata=metadata("alert"))
    # WHEN the message is updated
    updated = client.chat_update(
        channel="C0EMEA", ts=posted["ts"], text="Acknowledged by Kari", metadata=metadata("acknowledged")
    )
    # THEN the same ts is answered and the update is in the outbox with its kind
    assert (updated["ok"], updated["channel"], updated["ts"]) == (True, "C0EMEA", posted["ts"])
    assert updated["message"]["text"] == "Acknowledged by Kari"
    last = served.slack_entries()[-1]
    assert (last["subject"], last["kind"], last["case_id"]) == (
        f"chat.update {posted['ts']}",
        "acknowledged",
        "cs_case1",
    )


def test_update_of_an_unknown_message_is_refused(served: Served) -> None:
    with pytest.raises(SlackApiError) as raised:
        served.client().chat_update(channel="C0EMEA", ts="1.000001", text="x")
    assert raised.value.response["error"] == "message_not_found"
    assert served.slack_entries() == []


def test_a_restored_outbox_keeps_the_messages_an_update_may_name() -> None:
    # GIVEN the outbox of a saved state holding a posted message
    outbox = Outbox(lambda: NOW)
    first = slack_api.SlackApi(CREDENTIALS, outbox, lambda: NOW)
    answer = first.answer(
        "POST",
        "/_local/slack/api/chat.postMessage",
        {"Authorization": f"Bearer {CREDENTIALS.bot_token}", "Content-Type": "application/json"},
        json.dumps({"channel": "C0EMEA", "text": "alert"}).encode(),
    )
    ts = json.loads(answer.body)["ts"]
    restored = slack_api.SlackApi(CREDENTIALS, Outbox(lambda: NOW, outbox.entries()), lambda: NOW)
    # WHEN the restarted runtime is asked to update it, THEN it knows it, and a new post gets a later ts
    headers = {"Authorization": f"Bearer {CREDENTIALS.bot_token}", "Content-Type": "application/json"}
    update = {"channel": "C0EMEA", "ts": ts, "text": "done"}
    path = "/_local/slack/api/chat.update"
    assert json.loads(restored.answer("POST", path, headers, json.dumps(update).encode()).body)["ok"] is True
    again = restored.answer(
        "POST",
        "/_local/slack/api/chat.postMessage",
        headers,
        json.dumps({"channel": "C0EMEA", "text": "x"}).encode(),
    )
    assert float(json.loads(again.body)["ts"]) > float(ts)


def test_auth_test_names_the_bot(served: Served) -> None:
    answer = served.client().auth_test()
    assert answer["ok"] is True
    assert answer["user_id"] == slack_api.BOT_USER_ID


def test_response_url_updates_are_recorded(served: Served) -> None:
    posted = served.client().chat_postMessage(channel="C0EMEA", text="alert", metadata=metadata("alert"))
    url = f"{slack_api.response_url(served.base)}/C0EMEA/{posted['ts']}"  # a press on that message
    # WHEN an interaction handler answers through the response_url (slack_sdk's WebhookClient)
    answer = WebhookClient(url).send_dict({"replace_original": True, "text": "Case cs_case1: Acknowledged"})
    tagged = WebhookClient(url).send_dict(
        {"replace_original": True, "text": "Acknowledged", "metadata": metadata("acknowledged", "cs_case2")}
    )
    plain = WebhookClient(slack_api.response_url(served.base)).send(
        text="Only you", response_type="ephemeral"
    )
    # THEN it answers ok, and each is in the outbox, to the response_url
    assert (answer.status_code, json.loads(answer.body)) == (200, {"ok": True})
    assert tagged.status_code == plain.status_code == 200
    _, first, second, third = served.slack_entries()
    # the case of the message pressed, unless the update's metadata names one
    assert (first["to"], first["kind"], first["case_id"]) == (url, "response", "cs_case1")
    assert first["subject"] == "response_url replace_original"
    assert first["text"] == "Case cs_case1: Acknowledged"
    assert (second["kind"], second["case_id"]) == ("acknowledged", "cs_case2")
    assert (third["to"], third["kind"], third["case_id"]) == (
        slack_api.response_url(served.base),
        "response",
        None,
    )
    assert third["subject"] == "response_url ephemeral"


@pytest.mark.parametrize("path", ["/C0EMEA/1.000001", "/C0EMEA", "/c0emea/1.5", "/C0EMEA/1.000001/x"])
def test_a_response_url_of_no_posted_message_is_not_found(served: Served, path: str) -> None:
    request = urllib.request.Request(
        slack_api.response_url(served.base) + path,
        data=b'{"text": "x"}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 404
    assert served.slack_entries() == []


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b'{"text": "x"}', 415),
        ("application/json", b"{not json", 400),
        ("application/json", b"[1]", 400),
        ("application/json", b'{"replace_original": true}', 400),
    ],
)
def test_a_bad_response_url_body_is_a_problem(
    served: Served, content_type: str, body: bytes, status: int
) -> None:
    request = urllib.request.Request(
        slack_api.response_url(served.base), data=body, headers={"Content-Type": content_type}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == status
    assert raised.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(raised.value.read())["detail"]
    assert served.slack_entries() == []


def test_other_paths_and_methods_are_not_found_or_not_allowed(served: Served) -> None:
    for method, path, status in (
        ("POST", "/_local/slack/api/conversations.list", 404),
        ("GET", "/_local/slack/api/chat.postMessage", 405),
        ("GET", "/_local/slack/response", 405),
    ):
        request = urllib.request.Request(served.base + path, method=method)
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=10)
        assert raised.value.code == status, path


def test_only_this_machine_is_answered() -> None:
    slack = slack_api.SlackApi(CREDENTIALS, Outbox(lambda: NOW), lambda: NOW)
    headers = {"Authorization": f"Bearer {CREDENTIALS.bot_token}", "Content-Type": "application/json"}
    body = json.dumps({"channel": "C0EMEA", "text": "x"}).encode()
    answer = slack.answer("POST", "/_local/slack/api/chat.postMessage", headers, body, client="192.0.2.7")
    assert answer.status == 403
    assert (
        slack.answer("POST", "/_local/slack/api/chat.postMessage", headers, body, client="::1").status == 200
    )


@mock_aws
def test_the_secret_is_created_once_and_a_placeholder_replaced() -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    # WHEN the runtime starts without the secret, THEN it creates one with a bot token and signing secret
    created = slack_api.ensure_secret(secrets, "dev")
    stored = json.loads(secrets.get_secret_value(SecretId="recovery-loop/dev/slack")["SecretString"])
    assert stored == {"bot_token": created.bot_token, "signing_secret": created.signing_secret}
    assert created.bot_token.startswith("xoxb-")
    # AND a restart (the secret kept with --state) keeps them
    assert slack_api.ensure_secret(secrets, "dev") == created
    # AND a value without them (a template's placeholder) is replaced
    secrets.put_secret_value(SecretId="recovery-loop/dev/slack", SecretString='{"bot_token": ""}')
    replaced = slack_api.ensure_secret(secrets, "dev")
    assert replaced.bot_token and replaced != created
    assert json.loads(secrets.get_secret_value(SecretId="recovery-loop/dev/slack")["SecretString"]) == {
        "bot_token": replaced.bot_token,
        "signing_secret": replaced.signing_secret,
    }


def test_the_start_line_names_the_urls() -> None:
    line = slack_api.start_line("http://127.0.0.1:3000", "dev", CREDENTIALS)
    assert line == {
        "signing_secret": CREDENTIALS.signing_secret,
        "api_url": "http://127.0.0.1:3000/_local/slack/api/",
        "response_url": "http://127.0.0.1:3000/_local/slack/response",
        "secret": "recovery-loop/dev/slack",
    }
