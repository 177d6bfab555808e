"""The Slack port: a stack without the Slack secret posts nothing and says so once; Slack's refusals are
SendFailed, transient or permanent as trying again can help or not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from recovery.notify.senders import SendFailed
from recovery.notify.slack import Posted, WebApiSlack
from recovery.notify.slack_blocks import SlackMessage, metadata

MESSAGE = SlackMessage(
    "text", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}], metadata("c_1", "alert")
)


def test_without_the_secret_nothing_is_posted_and_the_secret_is_asked_for_once() -> None:
    asked: list[int] = []

    def token() -> str | None:
        asked.append(1)
        return None

    slack = WebApiSlack(token, "http://127.0.0.1:9/api/")
    assert slack.enabled() is False and slack.enabled() is False
    assert asked == [1]
    with pytest.raises(SendFailed) as failed:
        slack.post("C0EMEA", MESSAGE)
    assert failed.value.code == "not_configured" and not failed.value.transient


def test_a_secret_that_cannot_be_read_turns_slack_off_for_the_call_only() -> None:
    answers: list[Any] = [RuntimeError("throttled"), "xoxb-1"]

    def token() -> str | None:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    slack = WebApiSlack(token, "http://127.0.0.1:9/api/")
    assert slack.enabled() is False
    assert slack.enabled() is True


@pytest.fixture
def answer() -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """A Slack Web API on 127.0.0.1 answering every POST with the (status, body) last put in the list."""
    answers: list[tuple[int, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            status, document = answers[-1]
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    answers.append((0, {"url": f"http://127.0.0.1:{server.server_address[1]}/api/"}))
    try:
        yield answers
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "error", "transient"),
    [
        (200, "channel_not_found", False),
        (200, "invalid_auth", False),
        (200, "internal_error", True),
        (503, "x", True),
    ],
)
def test_slacks_refusals_are_send_failures(
    answer: list[tuple[int, dict[str, Any]]], status: int, error: str, transient: bool
) -> None:
    slack = WebApiSlack(lambda: "xoxb-1", answer[0][1]["url"])
    answer.append((status, {"ok": False, "error": error}))
    with pytest.raises(SendFailed) as failed:
        slack.post("C0EMEA", MESSAGE)
    assert failed.value.transient is transient
    assert "xoxb" not in str(failed.value)


def test_a_post_answers_where_the_message_is(answer: list[tuple[int, dict[str, Any]]]) -> None:
    slack = WebApiSlack(lambda: "xoxb-1", answer[0][1]["url"].rstrip("/"))
    answer.append((200, {"ok": True, "channel": "C0EMEA", "ts": "1764900000.000100"}))
    assert slack.post("C0EMEA", MESSAGE) == Posted("C0EMEA", "1764900000.000100")
    slack.update("C0EMEA", "1764900000.000100", MESSAGE)
