"""Pressing a Slack button locally (local/slack_press.py): the block_actions payload Slack sends, signed as
Slack signs it (checked with slack_sdk's SignatureVerifier), posted to the interactions route."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import Clock, SignatureVerifier
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from local import slack_press

SECRET = "local-signing-secret"
RESPONSE_URL = "http://127.0.0.1:3000/_local/slack/response"


def test_the_signature_is_the_one_slack_sdk_verifies() -> None:
    body = slack_press.form_body(slack_press.payload("cs_case1", "ack", "U0KARI", RESPONSE_URL))
    request = slack_press.signed_request("http://127.0.0.1:3000/v1/slack/interactions", SECRET, body)
    headers = {name.lower(): value for name, value in request.header_items()}
    # THEN slack_sdk's verifier accepts it with the signing secret, and refuses it with another or changed
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    assert not SignatureVerifier(SECRET).is_valid_request(body + b"x", headers)
    assert abs(int(headers["x-slack-request-timestamp"]) - time.time()) < 60


def test_the_signature_follows_slacks_published_example() -> None:
    # Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack)
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert slack_press.signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == expected


def test_the_payload_is_a_block_actions_press_of_the_case() -> None:
    body = slack_press.form_body(
        slack_press.payload(
            "cs_case1", "ack", "U0KARI", RESPONSE_URL, channel="C0EMEA", message_ts="1.000100"
        )
    )
    # THEN one form field, `payload`, holding the JSON Slack sends for a button
    fields = parse_qs(body.decode())
    assert list(fields) == ["payload"]
    document = json.loads(fields["payload"][0])
    assert document["type"] == "block_actions"
    assert document["user"]["id"] == "U0KARI"
    assert document["response_url"] == RESPONSE_URL
    assert document["channel"]["id"] == document["container"]["channel_id"] == "C0EMEA"
    assert document["container"]["message_ts"] == document["message"]["ts"] == "1.000100"
    [action] = document["actions"]
    assert (action["type"], action["action_id"], action["value"]) == ("button", "ack", "cs_case1")


VIRTUAL_NOW = "2030-01-02T03:04:05Z"  # the runtime's clock, moved far from the real one
VIRTUAL_SECONDS = 1893553445
OUTBOX = [
    {"channel": "email", "case_id": "cs_case7", "subject": "New case", "to": "kari@example.com"},
    {
        "channel": "slack",
        "case_id": "cs_case7",
        "subject": "chat.postMessage 1893553000.000001",
        "to": "C0EMEA",
    },
    {
        "channel": "slack",
        "case_id": "cs_case7",
        "subject": "chat.postMessage 1893553100.000002",
        "to": "C0APAC",
    },
    {"channel": "slack", "case_id": "cs_case7", "subject": "chat.update 1893553100.000002", "to": "C0APAC"},
    {
        "channel": "slack",
        "case_id": "cs_other",
        "subject": "chat.postMessage 1893553200.000003",
        "to": "C0EMEA",
    },
]


@pytest.fixture
def interactions() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for the runtime: its clock, its outbox, and an interactions route that keeps each
    request and answers 200."""
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/_local/clock":
            answer = Response(json.dumps({"now": VIRTUAL_NOW}), content_type="application/json")
        elif request.path == "/_local/outbox.json":
            answer = Response(json.dumps(OUTBOX), content_type="application/json")
        else:
            seen.append({"path": request.path, "headers": dict(request.headers), "body": request.get_data()})
            answer = Response("", status=200)
        return answer(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


class _VirtualClock(Clock):
    def now(self) -> float:
        return VIRTUAL_SECONDS


def test_press_posts_the_signed_payload_to_the_interactions_route(
    interactions: tuple[str, list[dict[str, Any]]],
) -> None:
    api_url, seen = interactions
    runtime = {"api_url": api_url, "slack": {"signing_secret": SECRET, "response_url": RESPONSE_URL}}
    # WHEN the button is pressed against the runtime named by the start line
    status, _ = slack_press.press(runtime, "cs_case7", "ack", "U0KARI")
    # THEN the route got one form post, signed at the runtime's time (which its verifier reads), about that
    # case and on the case's latest posted Slack message
    assert status == 200
    [request] = seen
    assert request["path"] == "/v1/slack/interactions"
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-slack-request-timestamp"] == str(VIRTUAL_SECONDS)
    assert SignatureVerifier(SECRET, clock=_VirtualClock()).is_valid_request(request["body"], headers)
    assert not SignatureVerifier(SECRET).is_valid_request(request["body"], headers)  # real time: too far
    document = json.loads(parse_qs(request["body"].decode())["payload"][0])
    assert document["actions"][0]["value"] == "cs_case7"
    assert document["container"]["channel_id"] == document["channel"]["id"] == "C0APAC"
    assert document["container"]["message_ts"] == "1893553100.000002"
    # AND its response_url names that message, as Slack's does
    assert document["response_url"] == f"{RESPONSE_URL}/C0APAC/1893553100.000002"


def test_press_without_a_posted_message_uses_the_default_channel(
    interactions: tuple[str, list[dict[str, Any]]],
) -> None:
    api_url, seen = interactions
    runtime = {"api_url": api_url, "slack": {"signing_secret": SECRET, "response_url": RESPONSE_URL}}
    slack_press.press(runtime, "cs_unknown", "take", "U0KARI")
    document = json.loads(parse_qs(seen[0]["body"].decode())["payload"][0])
    assert document["container"]["channel_id"] == "C0EMEA"
    assert document["container"]["message_ts"] == f"{VIRTUAL_SECONDS}.000000"
    assert document["response_url"] == RESPONSE_URL


def test_cli_prints_the_answer_and_says_what_is_missing(
    interactions: tuple[str, list[dict[str, Any]]], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    api_url, seen = interactions
    runtime_file = tmp_path / "runtime.json"
    start_line = {"api_url": api_url, "slack": {"signing_secret": SECRET, "response_url": RESPONSE_URL}}
    runtime_file.write_text(json.dumps(start_line))
    argv = ["press", "cs_case7", "ack", "--user", "U0KARI", "--runtime-file", str(runtime_file)]
    assert slack_press.main(argv) == 0
    assert capsys.readouterr().out.splitlines()[0] == "200"
    assert len(seen) == 1
    # a start line from before Slack: a clear message, nothing sent
    runtime_file.write_text(json.dumps({"api_url": api_url}))
    with pytest.raises(SystemExit) as exited:
        slack_press.main(argv)
    assert exited.value.code == 2
    assert "slack.signing_secret" in capsys.readouterr().err
    assert len(seen) == 1
