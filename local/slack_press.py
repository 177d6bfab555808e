"""Pressing a Slack alert's button locally: `python -m local slack press <case_id> <action> --user <id>`.

Builds the `block_actions` interaction Slack would send when a person presses a button on an alert
(form-encoded `payload=<json>`, the button's `action_id` and the case id as its `value`, the local
`response_url`), signs it as Slack signs requests (`X-Slack-Signature: v0=` + hex HMAC-SHA256 of
`v0:<timestamp>:<body>` with the signing secret, `X-Slack-Request-Timestamp` the runtime's virtual
time), posts it to `<api_url>/v1/slack/interactions` of the running runtime (read from
`.local/runtime.json`) and prints the status and the answer. The press is on the case's latest Slack
message in the outbox (its channel and ts), unless told otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from local.clock import parse_iso

INTERACTIONS_PATH = "/v1/slack/interactions"
RUNTIME_FILE = Path(".local") / "runtime.json"
TIMEOUT_SECONDS = 30
DEFAULT_CHANNEL = "C0EMEA"


def payload(
    case_id: str,
    action_id: str,
    user: str,
    response_url: str,
    channel: str = DEFAULT_CHANNEL,
    message_ts: str | None = None,
    action_ts: float | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload as Slack sends it for a button pressed on a message."""
    pressed = f"{action_ts if action_ts is not None else time.time():.6f}"
    ts = message_ts or pressed
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0LOCAL"},
        "api_app_id": "A0LOCAL",
        "token": "local",  # Slack's deprecated verification token; the signature is what counts
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{int(float(pressed))}.local.trigger",
        "team": {"id": "T0LOCAL", "domain": "recovery-loop-local"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": channel.lower()},
        "message": {"type": "message", "ts": ts, "bot_id": "B0RECOVERY", "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "actions",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": case_id,
                "action_ts": pressed,
            }
        ],
    }


def form_body(document: dict[str, Any]) -> bytes:
    """The request body: the payload as JSON in the form field `payload`."""
    return urlencode({"payload": json.dumps(document, separators=(",", ":"))}).encode("utf-8")


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_request(
    url: str, signing_secret: str, body: bytes, now: float | None = None
) -> urllib.request.Request:
    timestamp = str(int(now if now is not None else time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(signing_secret, timestamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url} is not an http(s) URL")
    return urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked


def _get_json(url: str) -> Any:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url} is not an http(s) URL")
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - checked
        return json.loads(response.read())


def runtime_now(api_url: str) -> float:
    """The runtime's virtual time: Slack's request timestamp must be within 5 minutes of the clock the
    interactions route reads, and `POST /_local/clock` may have moved it."""
    return parse_iso(str(_get_json(api_url + "/_local/clock")["now"])).timestamp()


def posted_alert(api_url: str, case_id: str) -> tuple[str, str] | None:
    """The channel and ts of the case's latest Slack message in the outbox (`chat.postMessage <ts>`)."""
    for entry in reversed(_get_json(api_url + "/_local/outbox.json")):
        method, _, ts = (entry.get("subject") or "").partition(" ")
        if (
            entry.get("channel") == "slack"
            and entry.get("case_id") == case_id
            and method == "chat.postMessage"
        ):
            return str(entry.get("to") or ""), ts
    return None


def press(
    runtime: dict[str, Any],
    case_id: str,
    action_id: str,
    user: str,
    channel: str | None = None,
    message_ts: str | None = None,
) -> tuple[int, str]:
    """Press the button against a running runtime (its start line) at the runtime's time, on the case's
    latest Slack message unless `channel` and `message_ts` say otherwise; answers status and body."""
    slack = runtime.get("slack")
    if not isinstance(slack, dict) or not slack.get("signing_secret"):
        raise ValueError("the runtime's start line has no slack.signing_secret: restart it with this version")
    api_url = str(runtime["api_url"])
    now = runtime_now(api_url)
    if channel is None or message_ts is None:
        found = posted_alert(api_url, case_id)
        channel = channel or (found[0] if found else DEFAULT_CHANNEL)
        message_ts = message_ts or (found[1] if found else None)
    # Like Slack's, the response_url names the interaction's message: its channel and ts
    pressed = f"{slack['response_url']}/{channel}/{message_ts}" if message_ts else slack["response_url"]
    document = payload(case_id, action_id, user, pressed, channel, message_ts, action_ts=now)
    request = signed_request(api_url + INTERACTIONS_PATH, slack["signing_secret"], form_body(document), now)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - checked
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local slack",
        description="Talk to the running runtime as Slack would.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pressing = commands.add_parser("press", help="press a button of a case's Slack alert")
    pressing.add_argument("case_id", help="the case the alert is about (the button's value)")
    pressing.add_argument("action", help="the button's action_id, e.g. ack")
    pressing.add_argument("--user", required=True, help="the Slack user id pressing it, e.g. U0KARI")
    pressing.add_argument(
        "--channel",
        default=None,
        help="the alert's channel (default: the case's latest Slack message, or C0EMEA)",
    )
    pressing.add_argument(
        "--message-ts", default=None, help="the alert's ts (default: the case's latest Slack message)"
    )
    pressing.add_argument(
        "--runtime-file", type=Path, default=RUNTIME_FILE, help="the start line (default .local/runtime.json)"
    )
    args = parser.parse_args(argv)
    try:
        runtime = json.loads(args.runtime_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        parser.exit(2, f"cannot read {args.runtime_file} ({error}); is the runtime running (make run)?\n")
    try:
        status, body = press(runtime, args.case_id, args.action, args.user, args.channel, args.message_ts)
    except ValueError as error:
        parser.exit(2, f"{error}\n")
    except OSError as error:
        parser.exit(1, f"could not reach {runtime.get('api_url')}: {error}\n")
    print(status)
    print(body)
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
