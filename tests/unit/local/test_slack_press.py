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
from slack_sdk.signature import SignatureVerifier
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from local import slack_press

SECRET = "local-signing-secret"
RESPONSE_URL = "http://127.0.0.1:3000/_local/slack/response"


def test_the_signature_is_the_one_slack_sdk_verifies() -> None:
    body = slack_press.form_body(slack_press.payload("case-1", "ack", "U0KARI", RESPONSE_URL))
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
        slack_press.payload("case-1", "ack", "U0KARI", RESPONSE_URL, channel="C0EMEA", message_ts="1.000100")
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
    assert (action["type"], action["action_id"], action["value"]) == ("button", "ack", "case-1")


@pytest.fixture
def interactions() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for the interactions route: keeps each request and answers 200."""
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        seen.append({"path": request.path, "headers": dict(request.headers), "body": request.get_data()})
        return Response("", status=200)(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_press_posts_the_signed_payload_to_the_interactions_route(
    interactions: tuple[str, list[dict[str, Any]]],
) -> None:
    api_url, seen = interactions
    runtime = {"api_url": api_url, "slack": {"signing_secret": SECRET, "response_url": RESPONSE_URL}}
    # WHEN the button is pressed against the runtime named by the start line
    status, _ = slack_press.press(runtime, "case-7", "ack", "U0KARI")
    # THEN the route got one form post that slack_sdk's verifier accepts, about that case
    assert status == 200
    [request] = seen
    assert request["path"] == "/v1/slack/interactions"
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid_request(request["body"], headers)
    document = json.loads(parse_qs(request["body"].decode())["payload"][0])
    assert document["actions"][0]["value"] == "case-7"


def test_cli_prints_the_answer_and_says_what_is_missing(
    interactions: tuple[str, list[dict[str, Any]]], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    api_url, seen = interactions
    runtime_file = tmp_path / "runtime.json"
    runtime_file.write_text(
        json.dumps({"api_url": api_url, "slack": {"signing_secret": SECRET, "response_url": RESPONSE_URL}})
    )
    argv = ["press", "case-7", "ack", "--user", "U0KARI", "--runtime-file", str(runtime_file)]
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
