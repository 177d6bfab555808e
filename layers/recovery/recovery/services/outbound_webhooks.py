"""Case events to a CRM or helpdesk: signed webhooks, and a Zendesk preset that opens a ticket.

- `parse_outbound(document)`: the endpoint document, validated whole; `OutboundConfigError` names the key.
- `Outbound.deliver(event)`: one EventBridge case event (as the SQS queue holds it) to every endpoint
  subscribed to its type. A delivery row per (event, endpoint) is claimed before posting, so a
  redelivered message posts nothing twice; an endpoint that fails raises `DeliveryIncomplete` after
  the others were tried, and SQS brings the message back later for the ones still missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from recovery import clock
from recovery.domain.changes import CASE_EVENT_TYPES
from recovery.notify.webhooks import Poster, PostFailed, new_secret, secret_key, signed_headers
from recovery.observability import logger
from recovery.store.outbound import OutboundStore

EventType = Literal["CaseOpened", "CaseAcknowledged", "CaseResolved", "CaseRecovered"]
# Standard Webhooks names events `<noun>.<verb>`.
WEBHOOK_TYPES = {name: "case." + name.removeprefix("Case").lower() for name in CASE_EVENT_TYPES}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ZENDESK_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}


class OutboundConfigError(ValueError):
    """The endpoint document is invalid; the message names the bad key."""


class DeliveryIncomplete(RuntimeError):
    """At least one endpoint did not get the event; the message is retried for those only."""


class Endpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    preset: Literal["webhook", "zendesk"] = "webhook"
    url: str = Field(max_length=2000)
    events: tuple[EventType, ...] = ("CaseOpened", "CaseAcknowledged", "CaseResolved", "CaseRecovered")
    secret: str | None = None  # webhook: whsec_..., the receiver's verification secret
    credentials_secret: str | None = None  # zendesk: Secrets Manager id of {"email", "api_token"}
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return url
        if parts.scheme == "http" and parts.hostname in LOOPBACK:
            return url  # a receiver on the same machine (the embedded runtime, tests)
        raise ValueError("must be an https URL (http only for 127.0.0.1)")

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: str | None) -> str | None:
        if secret is not None:
            secret_key(secret)
        return secret

    @model_validator(mode="after")
    def _preset_needs(self) -> Endpoint:
        if self.preset == "webhook" and self.secret is None:
            raise ValueError("secret: a webhook endpoint needs a whsec_ signing secret")
        if self.preset == "zendesk" and not self.credentials_secret:
            raise ValueError("credentials_secret: the zendesk preset needs its Secrets Manager id")
        return self


class OutboundConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    endpoints: tuple[Endpoint, ...] = ()

    @field_validator("endpoints")
    @classmethod
    def _unique(cls, endpoints: tuple[Endpoint, ...]) -> tuple[Endpoint, ...]:
        ids = [endpoint.id for endpoint in endpoints]
        if len(ids) != len(set(ids)):
            raise ValueError("endpoint ids must be unique")
        return endpoints


def parse_outbound(document: object) -> OutboundConfig:
    try:
        return OutboundConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise OutboundConfigError(f"{where}: {message}" if where else message) from error


def fingerprint(secret: str) -> str:
    """What the admin API shows instead of a secret: enough to tell two apart, useless to sign with."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def public_view(config: OutboundConfig) -> dict[str, Any]:
    """The document as the admin API returns it: each secret replaced by its fingerprint."""
    endpoints = []
    for endpoint in config.endpoints:
        shown = endpoint.model_dump(mode="json", exclude={"secret"}, exclude_none=True)
        if endpoint.secret is not None:
            shown["secret_fingerprint"] = fingerprint(endpoint.secret)
        endpoints.append(shown)
    return {"endpoints": endpoints}


def with_secrets(document: object, stored: OutboundConfig | None) -> tuple[object, dict[str, str]]:
    """A submitted document with each omitted webhook secret filled in: the stored one for a known
    endpoint id, a new one otherwise (returned so it can be shown once). A `secret_fingerprint`, as a
    GET shows it, is dropped, so what a GET returns can be sent back as it is."""
    if not isinstance(document, dict) or not isinstance(document.get("endpoints"), list):
        return document, {}
    known = {endpoint.id: endpoint.secret for endpoint in stored.endpoints} if stored else {}
    generated: dict[str, str] = {}
    endpoints: list[object] = []
    for entry in document["endpoints"]:
        if isinstance(entry, dict) and entry.get("preset", "webhook") == "webhook":
            entry = {name: value for name, value in entry.items() if name != "secret_fingerprint"}
            if entry.get("secret") is None and isinstance(entry.get("id"), str):
                secret = known.get(entry["id"])
                if secret is None:
                    secret = generated[entry["id"]] = new_secret()
                entry["secret"] = secret
        endpoints.append(entry)
    return {**document, "endpoints": endpoints}, generated


def message_id(detail_type: str, detail: Mapping[str, Any]) -> str:
    """The same case change always gives the same id, however often the stream or SQS redelivers it."""
    seed = f"{detail.get('event_id')}:{detail_type}:{detail.get('case_id')}"
    return "msg_" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


CredentialReader = Callable[[str], Mapping[str, str]]
# The team a case is routed to, by case id (None when it cannot be told): a case opens before its first
# alert routes it, so its CaseOpened event carries no team; the receiver still learns where it went.
TeamOf = Callable[[str], str | None]


def secrets_manager_credentials(secret_id: str) -> Mapping[str, str]:
    from recovery.store.secrets import secret_bytes

    value = json.loads(secret_bytes(secret_id))
    return {"email": str(value["email"]), "api_token": str(value["api_token"])}


class Outbound:
    def __init__(
        self,
        store: OutboundStore,
        poster: Poster,
        credentials: CredentialReader = secrets_manager_credentials,
        team_of: TeamOf = lambda _: None,
    ) -> None:
        self._store = store
        self._poster = poster
        self._credentials = credentials
        self._team_of = team_of

    def endpoints(self) -> tuple[Endpoint, ...]:
        document = self._store.document()
        return parse_outbound(document).endpoints if document else ()

    def deliver(self, event: Mapping[str, Any]) -> list[str]:
        """Post one case event to its subscribers; the endpoint ids it reached now."""
        detail_type = str(event.get("detail-type", ""))
        detail = event.get("detail") or {}
        case_id = str(detail.get("case_id") or "")
        if detail_type not in CASE_EVENT_TYPES or not case_id:
            logger.warning("not a case event; skipped", extra={"detail_type": detail_type})
            return []
        msg_id = message_id(detail_type, detail)
        if detail_type == "CaseOpened" and not detail.get("team"):
            detail = {**detail, "team": self._team_of(case_id)}
        reached: list[str] = []
        failed: list[str] = []
        for endpoint in self.endpoints():
            if not endpoint.enabled or detail_type not in endpoint.events:
                continue
            row = self._store.claim(case_id, endpoint.id, msg_id, detail_type, clock.now())
            if row is None:
                continue  # sent already (a redelivery), or being sent right now
            try:
                if endpoint.preset == "zendesk":
                    self._open_ticket(endpoint, msg_id, detail)
                else:
                    self._post_webhook(endpoint, msg_id, detail_type, event, detail)
            except Exception as error:
                # The row is left `failed` whatever went wrong, so the retry claims it again.
                reason = str(error) if isinstance(error, PostFailed) else type(error).__name__
                self._store.finish(row, "failed", clock.now(), error=reason)
                logger.warning(
                    "outbound delivery failed",
                    extra={"case_id": case_id, "endpoint": endpoint.id, "reason": reason},
                )
                failed.append(endpoint.id)
                continue
            self._store.finish(row, "sent", clock.now())
            reached.append(endpoint.id)
        if failed:
            raise DeliveryIncomplete(f"{msg_id} not delivered to {', '.join(failed)}")
        return reached

    def _post_webhook(
        self,
        endpoint: Endpoint,
        msg_id: str,
        detail_type: str,
        event: Mapping[str, Any],
        detail: Mapping[str, Any],
    ) -> None:
        payload = {
            "type": WEBHOOK_TYPES[detail_type],
            "timestamp": str(event.get("time") or clock.now().isoformat()),
            "data": dict(detail),
        }
        body = json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")
        assert endpoint.secret is not None  # checked when the document was parsed
        self._poster.post(endpoint.url, body, signed_headers(endpoint.secret, msg_id, body, clock.now()))

    def _open_ticket(self, endpoint: Endpoint, msg_id: str, detail: Mapping[str, Any]) -> None:
        assert endpoint.credentials_secret is not None  # checked when the document was parsed
        credentials = self._credentials(endpoint.credentials_secret)
        login = f"{credentials['email']}/token:{credentials['api_token']}".encode()
        case_id = str(detail["case_id"])
        ticket = {
            "ticket": {
                "subject": f"Recovery case {case_id} ({detail.get('priority') or 'P4'})",
                "comment": {"body": self._ticket_text(detail)},
                "priority": ZENDESK_PRIORITY.get(str(detail.get("priority")), "normal"),
                "external_id": case_id,
                "tags": ["recovery-loop", *([f"team-{detail['team']}"] if detail.get("team") else [])],
            }
        }
        body = json.dumps(ticket).encode("utf-8")
        base = endpoint.url.rstrip("/")
        headers = {
            "content-type": "application/json",
            "authorization": "Basic " + base64.b64encode(login).decode("ascii"),
            "idempotency-key": msg_id,
        }
        _, answer = self._poster.post(f"{base}/api/v2/tickets.json", body, headers)
        ticket_id = _ticket_id(answer)
        if ticket_id is None:
            raise PostFailed("Zendesk answered without a ticket id")
        link = {"kind": "zendesk_ticket", "id": ticket_id, "url": f"{base}/agent/tickets/{ticket_id}"}
        self._store.link(case_id, endpoint.id, link, clock.now())

    @staticmethod
    def _ticket_text(detail: Mapping[str, Any]) -> str:
        lines = [
            f"A customer recovery case was opened: {detail.get('case_id')}.",
            f"Priority {detail.get('priority')}, team {detail.get('team') or '-'}, "
            f"channel {detail.get('channel') or '-'}"
            + (", repeat failure" if detail.get("repeat_failure") else "")
            + ".",
        ]
        return "\n".join(lines)


def _ticket_id(answer: bytes) -> str | None:
    try:
        found = json.loads(answer or b"{}").get("ticket", {}).get("id")
    except (ValueError, AttributeError):
        return None
    return str(found) if found is not None and re.fullmatch(r"\d{1,20}", str(found)) else None
