"""A local stand-in for Microsoft Teams workflow webhooks, so Teams alerts can be tried.

A team's `teams_webhook` names the secret `recovery-loop/<Environment>/teams/<name>` holding its
workflow's URL (docs/teams.md). The runtime serves `<api_url>/_local/teams/<name>` for any name and, at
start, points the demo secret `recovery-loop/<Environment>/teams/support-emea` there (created, or its
value replaced when the runtime's address changed).

Each card posted is answered `202 Accepted`, as a workflow trigger answers, and recorded in the outbox
as channel `teams`: `to` is the webhook's name, `subject` the card's fallback text, `text` the card as
JSON, and `kind` and `case_id` from the message's top-level `recovery_case` field (which a real workflow
ignores). Only this machine may post (loopback), and only a JSON message carrying an Adaptive Card is
taken, so a malformed card fails here as it would fail to show in Teams. No request here takes the
functions' lock: the function posting is the one holding it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from local.outbox import Outbox
from local.vendor_api import Answer, _loopback

PREFIX = "/_local/teams/"
MAX_BODY_BYTES = 1_000_000
DEMO_WEBHOOK = "support-emea"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CASE_FIELD = "recovery_case"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def secret_name(environment: str, webhook: str = DEMO_WEBHOOK) -> str:
    return f"recovery-loop/{environment}/teams/{webhook}"


def webhook_url(base: str, webhook: str = DEMO_WEBHOOK) -> str:
    return f"{base}{PREFIX}{webhook}"


def ensure_secret(client: Any, environment: str, base: str) -> str:
    """The demo workflow's secret, holding this runtime's stand-in URL. Call with the functions' lock held.
    Answers the URL."""
    name, url = secret_name(environment), webhook_url(base)
    try:
        found = client.get_secret_value(SecretId=name).get("SecretString")
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(
            Name=name, SecretString=url, Description="The runtime's local Teams workflow (local/teams_api.py)"
        )
        return url
    if found != url:
        client.put_secret_value(SecretId=name, SecretString=url)
    return url


class TeamsApi:
    """Answers `/_local/teams/<name>` and records each card into `outbox`."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    @staticmethod
    def handles(raw_path: str) -> bool:
        return raw_path.startswith(PREFIX)

    def answer(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes, client: str = "127.0.0.1"
    ) -> Answer:
        if not _loopback(client):  # the recorded cards are not for the network
            return _problem(403, "the local Teams workflows answer requests from this machine only")
        name = raw_path[len(PREFIX) :]
        if _NAME.fullmatch(name) is None:
            return _problem(404, f"{raw_path} does not exist; a local workflow is {PREFIX}<name>")
        if method != "POST":
            return _problem(405, f"{method} is not supported on {raw_path}; a workflow takes POST")
        if len(body) > MAX_BODY_BYTES:
            return _problem(413, f"the message is over {MAX_BODY_BYTES} bytes")
        lowered = {key.lower(): value for key, value in headers.items()}
        if lowered.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _problem(415, "a workflow takes Content-Type: application/json")
        try:
            message = json.loads(body)
        except ValueError:
            return _problem(400, "the body is not JSON")
        card = _card(message)
        if card is None:
            return _problem(
                400, f'a message is {{"type": "message", "attachments": [{{"contentType": '
                f'"{CARD_CONTENT_TYPE}", "content": {{"type": "AdaptiveCard", ...}}}}]}}'
            )  # fmt: skip
        about = message.get(CASE_FIELD)
        about = about if isinstance(about, dict) else {}
        self.outbox.record(
            channel="teams",
            to=name,
            subject=_text(card.get("fallbackText")),
            text=json.dumps(card, ensure_ascii=False, indent=2),
            kind=_text(about.get("kind")),
            case_id=_text(about.get("case_id")),
        )
        return Answer(202, b"", "text/plain")


def _card(message: Any) -> dict[str, Any] | None:
    """The message's Adaptive Card, or None when it carries none."""
    if not isinstance(message, dict) or message.get("type") != "message":
        return None
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1 or not isinstance(attachments[0], dict):
        return None
    content = attachments[0].get("content")
    if attachments[0].get("contentType") != CARD_CONTENT_TYPE or not isinstance(content, dict):
        return None
    return content if content.get("type") == "AdaptiveCard" else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _problem(status: int, detail: str) -> Answer:
    titles = {
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Request Entity Too Large",
        415: "Unsupported Media Type",
    }
    document = {"type": "about:blank", "title": titles[status], "status": status, "detail": detail}
    return Answer(status, json.dumps(document).encode("utf-8"), "application/problem+json")
