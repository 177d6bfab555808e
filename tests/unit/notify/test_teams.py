"""Posting to a Teams workflow: the URL from its secret, https only (or the local runtime's 127.0.0.1),
a 429 waited out as Retry-After asks, failures sorted transient or permanent, the URL never in an error."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from recovery.notify.senders import SendFailed
from recovery.notify.teams import RETRY_AFTER_CAP, WorkflowTeams, retry_after, usable_url

MESSAGE = {"type": "message", "attachments": []}


@dataclass
class Workflow:
    """A workflow trigger on 127.0.0.1: `answers` (status, headers) first, then 202 Accepted."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def workflow() -> Iterator[Workflow]:
    found = Workflow()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            found.bodies.append(json.loads(raw))
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
    found.url = f"http://127.0.0.1:{server.server_address[1]}/workflows/abc?sig=SECRET-SIG"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def poster(url: str | None, waits: list[float]) -> WorkflowTeams:
    return WorkflowTeams(lambda name: url if name == "support-emea" else None, sleep=waits.append)


def test_the_card_is_posted_to_the_url_in_the_secret(workflow: Workflow) -> None:
    assert poster(workflow.url, []).post("support-emea", MESSAGE) == "http_202"
    assert workflow.bodies == [MESSAGE]


def test_a_429_waits_as_long_as_retry_after_asks_then_posts(workflow: Workflow) -> None:
    waits: list[float] = []
    workflow.answers = [(429, {"Retry-After": "3"}), (429, {"Retry-After": "2"})]
    assert poster(workflow.url, waits).post("support-emea", MESSAGE) == "http_202"
    assert waits == [3.0, 2.0] and len(workflow.bodies) == 3


def test_a_429_that_persists_is_transient(workflow: Workflow) -> None:
    workflow.answers = [(429, {"Retry-After": "1"})] * 3
    with pytest.raises(SendFailed) as raised:
        poster(workflow.url, []).post("support-emea", MESSAGE)
    assert raised.value.transient and raised.value.code == "http_429"


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (408, True), (400, False), (404, False)]
)
def test_failures_are_sorted_and_never_show_the_url(workflow: Workflow, status: int, transient: bool) -> None:
    workflow.answers = [(status, {})]
    with pytest.raises(SendFailed) as raised:
        poster(workflow.url, []).post("support-emea", MESSAGE)
    assert raised.value.transient is transient and raised.value.code == f"http_{status}"
    assert "SECRET-SIG" not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_a_missing_secret_or_a_plain_http_url_is_permanent() -> None:
    with pytest.raises(SendFailed) as missing:
        poster(None, []).post("support-emea", MESSAGE)
    assert (missing.value.transient, missing.value.code) == (False, "not_configured")
    with pytest.raises(SendFailed) as plain:
        poster("http://prod.logic.azure.com/workflows/abc?sig=SECRET-SIG", []).post("support-emea", MESSAGE)
    assert (plain.value.transient, plain.value.code) == (False, "bad_url")
    assert "SECRET-SIG" not in str(plain.value)


def test_an_unreachable_workflow_is_transient() -> None:
    with pytest.raises(SendFailed) as raised:
        poster("http://127.0.0.1:9/workflows/abc", []).post("support-emea", MESSAGE)
    assert raised.value.transient


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("https://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke", True),
        ("http://127.0.0.1:3000/_local/teams/support-emea", True),
        ("http://localhost:3000/_local/teams/support-emea", False),
        ("http://example.com/hook", False),
        ("https://user:pw@example.com/hook", False),
        ("file:///etc/passwd", False),
        ("https://", False),
    ],
)
def test_only_https_or_the_local_runtime(url: str, usable: bool) -> None:
    assert usable_url(url) is usable


def test_retry_after_reads_seconds_and_is_capped() -> None:
    assert retry_after("2") == 2.0
    assert retry_after("600") == RETRY_AFTER_CAP
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 1.0
    assert retry_after(None) == 1.0
    assert retry_after("-5") == 1.0
