"""A local stand-in for the Slack Web API and for Slack's `response_url`, so Slack alerts can be tried.

The functions post alerts with `chat.postMessage` and change them with `chat.update` (slack_sdk's
WebClient, its `base_url` from `SLACK_API_URL`), authenticated with the bot token of the secret
`recovery-loop/<Environment>/slack`. The runtime serves:

- `<api_url>/_local/slack/api/<method>`: `chat.postMessage`, `chat.update` and `auth.test`, with form or
  JSON bodies as slack_sdk sends them, answering Slack-shaped JSON (`{"ok": true, ...}` or
  `{"ok": false, "error": "invalid_auth"}`);
- `<api_url>/_local/slack/response/<channel>/<ts>`: the `response_url` a local button press on that
  message names (`python -m local slack press`); it takes the JSON update an interaction handler posts
  there and answers `{"ok": true}`. `<api_url>/_local/slack/response` alone takes one about no message.

Each accepted message is recorded in the outbox as channel `slack` (`to` is the Slack channel id, or
the `response_url`), `kind` and `case_id` from the message's `metadata.event_payload` (a `response_url`
update without metadata: the case of the message pressed). The runtime creates
the secret at start with a random bot token and signing secret unless it exists (a restored `--state`
keeps them). No request here takes the functions' lock: the function posting is the one holding it.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from local.outbox import Outbox
from local.vendor_api import Answer, _loopback

PREFIX = "/_local/slack/"
API_PREFIX = "/_local/slack/api/"
RESPONSE_PATH = "/_local/slack/response"
MAX_BODY_BYTES = 1_000_000
_METHODS = ("chat.postMessage", "chat.update", "auth.test")
_PRESSED = re.compile(r"/(?P<channel>[A-Z0-9]{1,64})/(?P<ts>\d{1,12}\.\d{1,8})")  # under RESPONSE_PATH
TEAM_ID = "T0LOCAL"
BOT_USER_ID = "U0RECOVERY"
BOT_ID = "B0RECOVERY"


@dataclass(frozen=True)
class Credentials:
    bot_token: str
    signing_secret: str


def secret_name(environment: str) -> str:
    """The Slack secret the functions read (their `SLACK_SECRET`)."""
    return f"recovery-loop/{environment}/slack"


def _credentials_in(text: str) -> Credentials | None:
    try:
        document = json.loads(text or "null")
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    token, signing = document.get("bot_token"), document.get("signing_secret")
    if isinstance(token, str) and token and isinstance(signing, str) and signing:
        return Credentials(token, signing)
    return None


def _fresh() -> Credentials:
    return Credentials(f"xoxb-local-{secrets.token_hex(16)}", secrets.token_hex(16))


def ensure_secret(client: Any, environment: str) -> Credentials:
    """The Slack secret, created with a new bot token and signing secret unless it holds both (a
    template's placeholder value is replaced). Call with the functions' lock held."""
    name = secret_name(environment)
    try:
        found = _credentials_in(client.get_secret_value(SecretId=name).get("SecretString") or "")
    except client.exceptions.ResourceNotFoundException:
        credentials = _fresh()
        client.create_secret(
            Name=name,
            SecretString=json.dumps(
                {"bot_token": credentials.bot_token, "signing_secret": credentials.signing_secret}
            ),
            Description="Slack bot token and signing secret the runtime's local Slack API accepts",
        )
        return credentials
    if found is not None:
        return found
    credentials = _fresh()
    value = {"bot_token": credentials.bot_token, "signing_secret": credentials.signing_secret}
    client.put_secret_value(SecretId=name, SecretString=json.dumps(value))
    return credentials


def api_url(base: str) -> str:
    """The Slack Web API's base URL for slack_sdk (`SLACK_API_URL`): it ends with a slash."""
    return f"{base}{API_PREFIX}"


def response_url(base: str) -> str:
    """The local response_url's prefix (a press on a message adds `/<channel>/<ts>`)."""
    return f"{base}{RESPONSE_PATH}"


def start_line(base: str, environment: str, credentials: Credentials) -> dict[str, str]:
    """The start line's `slack`."""
    return {
        "signing_secret": credentials.signing_secret,
        "api_url": api_url(base),
        "response_url": response_url(base),
        "secret": secret_name(environment),
    }


class SlackApi:
    """Answers `/_local/slack/...` requests and records the messages into `outbox`."""

    def __init__(self, credentials: Credentials, outbox: Outbox, now: Callable[[], datetime]) -> None:
        self.credentials = credentials
        self.outbox = outbox
        self.now = now
        self._lock = threading.Lock()
        self._last_ts = 0
        # (channel, ts) of the messages posted -> their case, so chat.update and a response_url find them;
        # a restored outbox has them
        self._messages: dict[tuple[str, str], str | None] = {}
        for entry in outbox.entries():
            method, _, ts = (entry.get("subject") or "").partition(" ")
            if entry.get("channel") == "slack" and method == "chat.postMessage" and ts:
                self._messages[(entry.get("to") or "", ts)] = entry.get("case_id")
                self._last_ts = max(self._last_ts, _micros(ts))

    @staticmethod
    def handles(raw_path: str) -> bool:
        return raw_path.startswith(PREFIX)

    def answer(
        self,
        method: str,
        raw_path: str,
        headers: Mapping[str, str],
        body: bytes,
        client: str = "127.0.0.1",
        base: str = "",
    ) -> Answer:
        if not _loopback(client):  # the bot token and the recorded messages are not for the network
            return _problem(403, "the local Slack API answers requests from this machine only")
        lowered = {key.lower(): value for key, value in headers.items()}
        if raw_path == RESPONSE_PATH or raw_path.startswith(RESPONSE_PATH + "/"):
            pressed = (
                _PRESSED.fullmatch(raw_path[len(RESPONSE_PATH) :]) if raw_path != RESPONSE_PATH else None
            )
            if raw_path != RESPONSE_PATH and pressed is None:
                return _problem(
                    404, f"{raw_path} does not exist; a response_url is {RESPONSE_PATH}/<channel>/<ts>"
                )
            if method != "POST":
                return _problem(405, f"{method} is not supported on {raw_path}")
            message = (pressed["channel"], pressed["ts"]) if pressed else None
            if message is not None and message not in self._messages:
                return _problem(404, f"no message {message[1]} was posted to {message[0]} here")
            case_id = self._messages[message] if message is not None else None
            return self._response(lowered, body, base + raw_path, case_id)
        name = raw_path[len(API_PREFIX) :] if raw_path.startswith(API_PREFIX) else None
        if name not in _METHODS:
            detail = f"{raw_path} does not exist; the local Slack API answers {', '.join(_METHODS)}"
            return _problem(404, f"{detail} under {API_PREFIX}, and {RESPONSE_PATH}")
        if method != "POST":
            return _problem(405, f"{method} is not supported on {raw_path}; Slack's methods take POST")
        if len(body) > MAX_BODY_BYTES:
            return _slack_error("request_too_large")
        try:
            arguments = _arguments(lowered.get("content-type", ""), body)
        except ValueError:
            return _slack_error("invalid_json")
        token = _bearer(lowered) or _text(arguments.get("token"))
        if token is None:
            return _slack_error("not_authed")
        if not hmac.compare_digest(token.encode(), self.credentials.bot_token.encode()):
            return _slack_error("invalid_auth")
        if name == "auth.test":
            return _ok(
                {"url": "https://recovery-loop-local.slack.com/", "team": "Recovery Loop (local)",
                 "user": "recovery-loop", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
            )  # fmt: skip
        return self._message(name, arguments)

    # ------------------------------------------------------------------ chat.*
    def _message(self, name: str | None, arguments: dict[str, Any]) -> Answer:
        channel = _text(arguments.get("channel"))
        if channel is None:
            return _slack_error("channel_not_found")
        text = _text(arguments.get("text"))
        try:
            blocks = _structured(arguments.get("blocks"), list)
            metadata = _structured(arguments.get("metadata"), dict)
        except ValueError:
            return _slack_error("invalid_arguments")
        if text is None and not blocks:
            return _slack_error("no_text")
        with self._lock:
            if name == "chat.update":
                ts = _text(arguments.get("ts"))
                if ts is None or (channel, ts) not in self._messages:
                    return _slack_error("message_not_found")
                payload = _payload(metadata)
            else:
                ts = self._next_ts()
                payload = _payload(metadata)
                self._messages[(channel, ts)] = payload.get("case_id")
            self.outbox.record(
                channel="slack",
                to=channel,
                subject=f"{name} {ts}",
                text=_shown(text, blocks),
                kind=payload.get("kind"),
                case_id=payload.get("case_id"),
            )
        message: dict[str, Any] = {"type": "message", "text": text or "", "user": BOT_USER_ID, "ts": ts}
        message.update({"bot_id": BOT_ID, "team": TEAM_ID})
        if blocks:
            message["blocks"] = blocks
        if metadata:
            message["metadata"] = metadata
        if name == "chat.update":
            return _ok({"channel": channel, "ts": ts, "text": text or "", "message": message})
        return _ok({"channel": channel, "ts": ts, "message": message})

    def _next_ts(self) -> str:
        """Slack's message id: the time in seconds with six decimals, unique and increasing here."""
        now = int(self.now().timestamp() * 1_000_000)
        self._last_ts = max(now, self._last_ts + 1)
        seconds, micros = divmod(self._last_ts, 1_000_000)
        return f"{seconds}.{micros:06d}"

    # ------------------------------------------------------------------ response_url
    def _response(self, headers: Mapping[str, str], body: bytes, url: str, case_id: str | None) -> Answer:
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _problem(415, "a response_url takes a JSON body (Content-Type: application/json)")
        if len(body) > MAX_BODY_BYTES:
            return _problem(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
        try:
            document = json.loads(body)
        except ValueError:
            return _problem(400, "the body is not JSON")
        if not isinstance(document, dict):
            return _problem(400, "the body must be a JSON object")
        text = _text(document.get("text"))
        blocks = document.get("blocks") if isinstance(document.get("blocks"), list) else None
        if text is None and not blocks and not document.get("delete_original"):
            return _problem(400, "send text or blocks (or delete_original)")
        metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else None
        payload = _payload(metadata)
        action = "delete_original" if document.get("delete_original") else None
        if action is None and document.get("replace_original") is not None:
            action = "replace_original" if document.get("replace_original") else "new message"
        self.outbox.record(
            channel="slack",
            to=url,
            subject=f"response_url {action or document.get('response_type') or 'message'}",
            text=_shown(text, blocks),
            kind=payload.get("kind") or "response",
            case_id=payload.get("case_id") or case_id,
        )
        return _json(200, {"ok": True})


def _micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
    except ValueError:
        return 0


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _arguments(content_type: str, body: bytes) -> dict[str, Any]:
    """A method's arguments: a JSON object, or form fields (slack_sdk sends both kinds)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        document = json.loads(body or b"{}")
        if not isinstance(document, dict):
            raise ValueError("not an object")
        return document
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[-1] for key, values in fields.items()}


def _structured(value: Any, kind: type) -> Any:
    """`blocks` or `metadata`: an object in a JSON body, a JSON string in a form."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}")
    return value


def _payload(metadata: dict[str, Any] | None) -> dict[str, str]:
    """`kind` and `case_id` of `metadata.event_payload`, as text."""
    payload = (metadata or {}).get("event_payload")
    if not isinstance(payload, dict):
        return {}
    return {key: str(payload[key]) for key in ("kind", "case_id") if payload.get(key) not in (None, "")}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _shown(text: str | None, blocks: list[Any] | None) -> str:
    """The outbox's text: the message's text, then its blocks as JSON."""
    parts = [text] if text else []
    if blocks:
        parts.append(json.dumps(blocks, indent=2, ensure_ascii=False))
    return "\n\n".join(parts)


def _ok(document: dict[str, Any]) -> Answer:
    return _json(200, {"ok": True, **document})


def _slack_error(error: str) -> Answer:
    """Slack answers most refusals with 200 and `ok: false`; slack_sdk raises SlackApiError on it."""
    return _json(200, {"ok": False, "error": error})


def _json(status: int, document: Any) -> Answer:
    return Answer(status, json.dumps(document).encode("utf-8"))


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
