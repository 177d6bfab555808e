"""Outbound webhooks end to end: an endpoint configured through the admin CLI gets a signed `case.opened`;
while it is down the acknowledgement fails, and once it is back SQS redelivers on the virtual clock, so
`case.acknowledged` arrives once and nothing is lost."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from recovery.notify.webhooks import verify
from tests.e2e import test_closed_loop_http
from tests.e2e.conftest import RuntimeProcess
from tests.e2e.conftest import admin_cli as cli
from tests.e2e.test_alerts_http import negative, wait_for
from tests.e2e.test_closed_loop_http import advance, change, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
loop = test_closed_loop_http.loop  # the fixture: a runtime on a Monday morning


class Receiver:
    """A CRM's webhook endpoint on 127.0.0.1: it checks each signature and keeps what it accepted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.secret = ""
        self.accepted: list[dict[str, Any]] = []
        self.refused = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                if receiver.secret and verify(receiver.secret, headers, body):
                    receiver.accepted.append({"id": headers["webhook-id"], **json.loads(body)})
                    self.send_response(204)
                else:
                    receiver.refused += 1
                    self.send_response(401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of(self, case_id: str, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.accepted if m["type"] == kind and m["data"]["case_id"] == case_id]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    listening = Receiver(free_port())
    listening.start()
    yield listening
    listening.stop()


def test_signed_case_events_survive_a_receiver_outage(
    loop: RuntimeProcess, receiver: Receiver, tmp_path: Path
) -> None:
    # GIVEN an endpoint configured through the admin API, its secret generated and shown once
    document = tmp_path / "outbound.yaml"
    document.write_text(
        json.dumps({"endpoints": [{"id": "crm", "url": f"http://127.0.0.1:{receiver.port}/hooks"}]})
    )
    put = cli(loop, "outbound", "put", str(document))
    assert put.returncode == 0, put.stderr
    receiver.secret = json.loads(put.stdout)["generated_secrets"]["crm"]
    shown = cli(loop, "outbound", "get")
    assert shown.returncode == 0 and receiver.secret not in shown.stdout
    assert json.loads(shown.stdout)["endpoints"][0]["secret_fingerprint"].startswith("sha256:")

    # WHEN a negative comes in  THEN the receiver gets a signed case.opened
    key = loop["sources"][0]["key"]
    created = requests.post(
        loop.url("/v1/feedback"), json=negative(), headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    assert wait_for(lambda: receiver.of(case_id, "case.opened"), timeout=20), receiver.accepted
    assert receiver.refused == 0

    # WHEN the receiver is down while the lead acknowledges the case
    receiver.stop()
    auth = sign_in(loop)
    assert change(loop, auth, case_id, "ack", {})["status"] == "acknowledged"
    failed = wait_for(lambda: "outbound delivery failed" in loop.logs(), timeout=20)
    assert failed, loop.logs()[-3000:]
    assert not receiver.of(case_id, "case.acknowledged")

    # AND it is back, and the virtual clock passes the queue's visibility timeout (360 s: 6x the function's)
    receiver.start()
    advance(loop, 370)

    # THEN case.acknowledged arrives, once, and case.opened is not sent again
    assert wait_for(lambda: receiver.of(case_id, "case.acknowledged"), timeout=20), receiver.accepted
    advance(loop, 800)
    assert len(receiver.of(case_id, "case.acknowledged")) == 1
    assert len(receiver.of(case_id, "case.opened")) == 1
    assert receiver.refused == 0
