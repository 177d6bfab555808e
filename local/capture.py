"""Watching what functions ask of AWS, through botocore's event hooks.

The hooks are added to botocore's built-in handler list before any session exists (as moto itself
does), so they fire for every client, whichever session or module created it. They see the API
parameters, which moto's backends do not keep: message tags, HTML bodies, SMS attributes.
"""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from botocore import handlers

from local.outbox import Outbox

_PARAMS = "local_capture_params"
_SENDS = ("ses.SendEmail", "ses.SendRawEmail", "sesv2.SendEmail", "sns.Publish")


class Capture:
    def __init__(self) -> None:
        self.outbox: Outbox | None = None
        self.now: Callable[[], datetime] | None = None

    def install(self) -> None:
        """Register the hooks; must run before the first boto3/botocore session is created."""
        handlers.BUILTIN_HANDLERS.append(("before-parameter-build.events.PutEvents", self._stamp_event_time))
        for operation in _SENDS:
            handlers.BUILTIN_HANDLERS.append((f"before-parameter-build.{operation}", self._remember))
            handlers.BUILTIN_HANDLERS.append((f"after-call.{operation}", self._record))
        self._watch_webhooks()

    def _watch_webhooks(self) -> None:
        """Outbound webhooks leave through the stdlib's `urlopen` (shared by every function's own copy
        of the `recovery` package); each signed POST a receiver accepted is shown in the outbox as
        channel and kind `webhook`."""
        capture = self
        urlopen = urllib.request.urlopen

        def recorded(request: Any, *args: Any, **kwargs: Any) -> Any:
            response = urlopen(request, *args, **kwargs)
            outbound = isinstance(request, urllib.request.Request) and request.get_method() == "POST"
            marked = outbound and (request.has_header("Webhook-id") or request.has_header("Idempotency-key"))
            if marked and capture.outbox is not None:
                body = request.data if isinstance(request.data, bytes) else b""
                capture.outbox.record(
                    channel="webhook",
                    to=request.full_url,
                    subject=request.get_header("Webhook-id") or request.get_header("Idempotency-key"),
                    text=body.decode("utf-8", "replace"),
                    kind="webhook",
                    case_id=_posted_case(body),
                )
            return response

        urllib.request.urlopen = recorded  # type: ignore[assignment]

    def _stamp_event_time(self, params: dict[str, Any], **_: Any) -> None:
        """Events carry the virtual time, as if EventBridge had received them now."""
        if self.now is None:
            return
        for entry in params.get("Entries", []):
            entry.setdefault("Time", self.now())

    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params

    def _record(self, http_response: Any, context: dict[str, Any], event_name: str, **_: Any) -> None:
        params = context.get(_PARAMS)
        if self.outbox is None or params is None or getattr(http_response, "status_code", 500) >= 300:
            return
        operation = event_name.split(".", 1)[1]
        message = _describe(operation, params)
        if message is not None:
            self.outbox.record(**message)


def _describe(operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    if operation == "sns.Publish":
        if "PhoneNumber" not in params:
            return None  # topic publishes are not messages to a person
        attributes = params.get("MessageAttributes", {})
        return {
            "channel": "sms",
            "to": params["PhoneNumber"],
            "text": params.get("Message"),
            "kind": _string_attribute(attributes, "kind"),
            "case_id": _string_attribute(attributes, "case_id"),
        }
    if operation == "ses.SendEmail":
        body = params.get("Message", {}).get("Body", {})
        return {
            "channel": "email",
            "to": ", ".join(params.get("Destination", {}).get("ToAddresses", [])),
            "subject": params.get("Message", {}).get("Subject", {}).get("Data"),
            "text": body.get("Text", {}).get("Data"),
            "html_body": body.get("Html", {}).get("Data"),
            **_tags(params.get("Tags", [])),
        }
    if operation == "ses.SendRawEmail":
        parsed = _mime(params.get("RawMessage", {}).get("Data", b""))
        return {
            **parsed,
            **_destinations(params.get("Destinations"), parsed),
            **_tags(params.get("Tags", [])),
        }
    if operation == "sesv2.SendEmail":
        content = params.get("Content", {})
        tags = _tags(params.get("EmailTags", []))
        to = ", ".join(params.get("Destination", {}).get("ToAddresses", []))
        if "Raw" in content:
            parsed = _mime(content["Raw"].get("Data", b""))
            return {**parsed, **({"to": to} if to else {}), **tags}
        simple = content.get("Simple", {})
        body = simple.get("Body", {})
        return {
            "channel": "email",
            "to": to,
            "subject": simple.get("Subject", {}).get("Data"),
            "text": body.get("Text", {}).get("Data"),
            "html_body": body.get("Html", {}).get("Data"),
            **tags,
        }
    return None


def _posted_case(body: bytes) -> str | None:
    """The case a webhook (`data.case_id`) or a helpdesk ticket (`ticket.external_id`) is about."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    found = (document.get("data") or {}).get("case_id") or (document.get("ticket") or {}).get("external_id")
    return str(found) if found else None


def _string_attribute(attributes: dict[str, Any], name: str) -> str | None:
    value = attributes.get(name)
    return value.get("StringValue") if isinstance(value, dict) else None


def _tags(tags: list[dict[str, str]]) -> dict[str, str | None]:
    values = {tag.get("Name"): tag.get("Value") for tag in tags}
    return {"kind": values.get("kind"), "case_id": values.get("case_id")}


def _destinations(destinations: list[str] | None, parsed: dict[str, Any]) -> dict[str, Any]:
    return {"to": ", ".join(destinations)} if destinations else {"to": parsed.get("to", "")}


def _mime(data: bytes | str) -> dict[str, Any]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return {
        "channel": "email",
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")) or None,
        "text": _lines(text.get_content()) if text is not None else None,
        "html_body": _lines(html_part.get_content()) if html_part is not None else None,
        "reply_to": str(message.get("Reply-To", "")) or None,
    }


def _lines(content: str) -> str:
    """MIME bodies travel with CRLF line ends; the outbox shows text as it was written."""
    return content.replace("\r\n", "\n")
