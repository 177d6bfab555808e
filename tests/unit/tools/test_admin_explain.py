"""`alerting explain <team>`: the stored teams' alert tiers as a matrix, read through the admin API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import yaml

from recovery.domain.routing import parse_config
from tests.support import ROOT
from tests.unit.tools.test_cli import command


def demo_with_tiers() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    kari = document["teams"][0]["levels"][1][0]
    kari["tiers"] = {
        "P1": ["sms", "email", "slack"],
        "P2": ["email", "slack"],
        "P3": ["digest"],
        "P4": ["digest"],
    }
    kari["digest"] = {"daily": True, "at": "08:00"}
    return parse_config(document).model_dump(mode="json")


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    body = json.dumps(demo_with_tiers()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(f"{self.command} {self.path} {self.headers['Authorization']}")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_explain_prints_the_teams_matrix_from_the_stored_configuration(api: tuple[str, list[str]]) -> None:
    url, seen = api
    ran = command("tools.admin", "--url", url, "--key", "rla_x", "alerting", "explain", "support-emea")
    assert ran.returncode == 0, ran.stderr
    assert seen == ["GET /v1/admin/alerting Bearer rla_x"]
    lines = ran.stdout.splitlines()
    assert lines[0] == "support-emea (Support EMEA)"
    p1 = lines.index("  P1")
    assert (
        lines[p1 + 1]
        == "    level 1: kari (on-duty hours): sms, email, slack; mark (on-duty hours): email, sms"
    )
    p3 = lines.index("  P3")
    assert lines[p3 + 1] == "    level 1: mark (on-duty hours): email, sms | digest: kari"
    assert lines[p3 + 2] == "    level 2: ingrid: email, sms"


def test_explain_names_an_unknown_team(api: tuple[str, list[str]]) -> None:
    url, _ = api
    ran = command("tools.admin", "--url", url, "--key", "rla_x", "alerting", "explain", "nope")
    assert ran.returncode == 1
    assert ran.stderr.strip() == "error: no team 'nope' (teams: support-emea, support-apac, smoke)"
