"""The Slack interactions route's answer time: a signed Acknowledge press on an alerted case, through the
real handler on moto (its role enforced), timed from the call to the whole answer. The answer includes
the acknowledgement's writes and the pressed message's replacement through its response_url (a server on
127.0.0.1 standing in for Slack). Slack shows an error when an interaction is not answered within 3 s."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from bench import ROOT, harness
from bench.alerts_latency import percentile

LIMIT_S = 3.0
WARMUP = 2
SIGNING_SECRET = "bench-signing-secret-0123456789"
KARI = "U0KARI"  # Kari's Slack user in config/teams.yaml


class _ResponseUrl(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: Any) -> None:
        return None


def _request(case_id: str, response_url: str, now: float) -> dict[str, Any]:
    from tests.support import event

    payload = {
        "type": "block_actions",
        "user": {"id": KARI},
        "container": {"type": "message", "channel_id": "C0EMEA", "message_ts": "1764900000.000100"},
        "channel": {"id": "C0EMEA"},
        "response_url": response_url,
        "actions": [{"action_id": "ack", "type": "button", "value": case_id}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(now))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    request = event("ingest_feedback_negative.json")
    path = "/v1/slack/interactions"
    request.update(routeKey=f"POST {path}", rawPath=path, body=body, isBase64Encoded=False)
    request["requestContext"]["http"].update(method="POST", path=path)
    request["requestContext"]["routeKey"] = f"POST {path}"
    request["headers"] = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }
    return request


def measure(samples: int, progress: Callable[[str], None]) -> dict[str, Any]:
    import boto3

    from bench.sweep_reads import _alerts, _open
    from recovery import clock
    from recovery.notify.senders import RecordingSender
    from recovery.store.models import CaseItem
    from tests.support import environment
    from tools.seed import seed_alerting

    server = ThreadingHTTPServer(("127.0.0.1", 0), _ResponseUrl)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prefix = f"http://127.0.0.1:{server.server_address[1]}/_local/slack/response/"
    times: list[float] = []
    statuses: dict[int, int] = {}
    try:
        with harness.sandbox() as box:
            if not seed_alerting(ROOT / "config"):
                raise RuntimeError("the teams and routing were not seeded")
            boto3.session.Session(region_name=harness.REGION).client("secretsmanager").create_secret(
                Name="recovery-loop/test/slack",
                SecretString=json.dumps({"bot_token": "xoxb-bench", "signing_secret": SIGNING_SECRET}),
            )
            ingest = box.load("ingest")
            alerts = _alerts(RecordingSender())
            settings = {"SLACK_SECRET": "recovery-loop/test/slack", "SLACK_RESPONSE_URL_PREFIXES": prefix}
            with environment(settings):
                slack = box.load("slack")
                for index in range(WARMUP + samples):
                    case_id = _open(ingest, index, clock.now(), prefix="k")
                    alerts.alert(case_id)
                    request = _request(case_id, prefix + str(index), clock.now().timestamp())
                    started = time.perf_counter()
                    response = harness.invoke(slack, request)
                    elapsed = time.perf_counter() - started
                    if CaseItem.get(f"CASE#{case_id}", "CASE").status != "acknowledged":
                        raise RuntimeError(f"the press did not acknowledge: {response}")
                    if index >= WARMUP:
                        times.append(elapsed)
                        statuses[response["statusCode"]] = statuses.get(response["statusCode"], 0) + 1
    finally:
        server.shutdown()
        server.server_close()
    worst = max(times)
    progress(
        f"slack press answer p95 {percentile(times, 0.95) * 1000:.0f} ms, max {worst * 1000:.0f} ms over "
        f"{samples} presses ({worst / LIMIT_S:.1%} of Slack's {LIMIT_S:.0f} s), {statuses}"
    )
    return {
        "samples": samples,
        "warmup": WARMUP,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "max_ms": round(worst * 1000, 1),
        "limit_s": LIMIT_S,
        "share_of_limit": round(worst / LIMIT_S, 4),
    }


def budgets(results: dict[str, Any]) -> list[Any]:
    from bench.report import Budget

    return [
        Budget(
            "slack_press_answer_max",
            "Slack interactions answer, signed Acknowledge press, handler on moto, "
            f"max of {results['samples']}",
            round(results["max_ms"] / 1000, 3),
            "s",
            results["limit_s"],
            f"POST /v1/slack/interactions in-process (role enforced), call to whole answer, response_url "
            f"on 127.0.0.1 included; {results['share_of_limit']:.1%} of Slack's 3 s; statuses "
            f"{results['statuses']}; p50 {results['p50_ms']:.0f} ms, p95 {results['p95_ms']:.0f} ms",
        )
    ]
