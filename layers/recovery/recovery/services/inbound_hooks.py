"""Vendor webhooks (`POST /v1/hooks/{source_id}`) and the admin of sources.

A delivery is verified on its exact bytes, mapped by the source's connector, then goes through the same
intake as `POST /v1/feedback`. Every delivery to a known source, accepted or refused, is written to the
source's delivery log with its reason. Nothing here sleeps or retries: the vendor retries, and intake
dedupes on its delivery id and response id.

A refused delivery's bytes are kept beside its log line for a short while (`keep_for`, 72 hours by
default), so an admin can replay it once the source is fixed: verified against the source's current
secrets (a timestamp judged by the time it first arrived), mapped and taken in as if it had just arrived.
A URL token is kept only as its SHA-256, so the kept query never holds the credential itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from recovery import clock
from recovery.domain.classify import Thresholds, classify
from recovery.domain.keys import hash_key
from recovery.domain.source import StoredSource
from recovery.errors import Conflict, TransientFailure
from recovery.observability import logger
from recovery.services.intake import Intake, Source
from recovery.sources import config, explain, mapping, signatures
from recovery.sources.fetch import FetchInputError, enrich
from recovery.sources.presets import VENDOR_SECRETS
from recovery.store import hook_log
from recovery.store.hook_log import HookLog, KeptDelivery, LogEntry, LogPage
from recovery.store.sources import SourceStore

Outcome = Literal["created", "updated", "duplicate", "held", "ignored", "refused", "failed"]
MAX_BODY_BYTES = mapping.MAX_BODY_BYTES
SOURCE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
KEEP_FOR = timedelta(hours=72)  # how long a refused delivery's bytes are kept for replay, by default
_KEPT_OUTCOMES = ("refused", "failed")
_KEEP_MAX_BYTES = 380_000  # bytes, headers and query together stay under DynamoDB's 400 KB item limit
_TOKEN_HASH = "sha256:"  # noqa: S105 - a marker, not a secret


@dataclass(frozen=True)
class Delivery:
    """One request to a hook: the exact bytes, headers with lower-case names, the query string."""

    raw: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True)
class HookAnswer:
    status: int
    outcome: Outcome
    reason: str | None = None
    delivery_id: str | None = None
    feedback_id: str | None = None
    case_id: str | None = None
    verdict: str | None = None
    priority: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.outcome,
            "feedback_id": self.feedback_id,
            "case_id": self.case_id,
            "verdict": self.verdict,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class HookSource:
    """A source as its hook needs it: intake's view, the resolved connector, the secrets valid now."""

    source: Source
    connector: config.Connector
    secrets: tuple[str, ...]


class UnknownSource(LookupError):
    """No such source, or one with no hook configured."""


class BadSourceRequest(ValueError):
    """An admin request that cannot be carried out as asked (400); the message names the key."""


class UnknownEntry(LookupError):
    """No delivery log entry with this id, or its kept bytes are past their retention (404)."""


class NotReplayable(ValueError):
    """A log entry whose delivery was taken in: nothing was kept, there is nothing to replay (409)."""


@dataclass(frozen=True)
class Replayed:
    """What a replay did: the new log line's id and the answer the delivery got this time."""

    entry: str | None
    replay_of: str
    answer: HookAnswer

    def as_json(self) -> dict[str, Any]:
        answer = self.answer
        return {
            "entry": self.entry,
            "replay_of": self.replay_of,
            "http_status": answer.status,
            **answer.as_json(),
            "reason": answer.reason,
            "delivery_id": answer.delivery_id,
        }


def valid_secrets(item: StoredSource, now: datetime) -> tuple[str, ...]:
    """The current webhook secret, and the previous one while its rotation window lasts."""
    current = (item.webhook_secret,) if item.webhook_secret else ()
    if item.previous_secret and item.previous_secret_until and now < item.previous_secret_until:
        return (*current, item.previous_secret)
    return current


def intake_source(item: StoredSource) -> Source:
    return Source(
        source_id=item.source_id,
        name=item.name,
        key_hashes=item.key_hashes,
        thresholds=Thresholds.model_validate(item.thresholds or {}),
        previous_key_hashes=item.previous_key_hashes,
        previous_keys_until=item.previous_keys_until,
    )


def connector_of(item: StoredSource) -> config.Connector:
    """The stored spec, validated and resolved (the preset applied). Raises config.ConfigError."""
    return config.resolve(config.parse_source(item.spec))


class Connectors:
    """Sources as connectors: loaded from the table, deliveries mapped (with the fetch step when the
    source has one), and the dry run, which writes nothing."""

    def __init__(self, sources: SourceStore, fetch: Callable[..., Any] = enrich) -> None:
        self._sources = sources
        self._fetch = fetch

    def load(self, source_id: str, now: datetime) -> HookSource:
        """Raises UnknownSource, config.ConfigError (a stored spec that no longer validates)."""
        item = self._sources.get(source_id) if SOURCE_ID.fullmatch(source_id) else None
        if item is None or not item.enabled or not item.spec:
            raise UnknownSource(source_id)
        return HookSource(intake_source(item), connector_of(item), valid_secrets(item, now))

    def map(self, hook: HookSource, delivery: Delivery) -> mapping.Mapped:
        return mapping.apply(hook.connector, self.document(hook, delivery))

    def document(self, hook: HookSource, delivery: Delivery) -> dict[str, Any]:
        """What the mapping's expressions read: the parsed body, headers and query, after the fetch step."""
        spec = hook.connector.mapping
        document = mapping.document(
            delivery.raw, delivery.content_type, delivery.headers, delivery.query, spec.body
        )
        if hook.connector.fetch is not None:
            # The source's own event table decides what is worth a fetch, as it decides what is mapped.
            document = self._fetch(hook.connector.fetch, document, event=spec.event, events=spec.events)
        return dict(document)

    def dry_run(self, source_id: str, delivery: Delivery) -> dict[str, Any]:
        """Map a pasted delivery and classify it, writing nothing, with an explanation of each field
        (`sources.explain`); a delivery the mapping refuses is answered as its error and the explanation.
        The signature is not checked: a pasted body rarely carries one. Raises UnknownSource,
        mapping.MappingError (an unreadable body), FetchInputError."""
        hook = self.load(source_id, clock.now())
        document = self.document(hook, delivery)
        explanation = explain.explain(hook.connector.mapping, document)
        try:
            mapped = mapping.apply(hook.connector, document)
        except mapping.MappingError as error:
            refused = {"pointer": error.pointer, "reason": error.reason}
            return {"error": refused, "warnings": explanation["warnings"], "explanation": explanation}
        result: dict[str, Any] = {
            "action": mapped.action,
            "event": mapped.event,
            "delivery_id": mapped.delivery_id,
            "response_id": mapped.response_id,
            "feedback": mapped.feedback.model_dump(mode="json", exclude_none=True)
            if mapped.feedback
            else None,
            "verdict": None,
            "priority": None,
        }
        if mapped.feedback is not None and mapped.feedback.score is not None:
            verdict = classify(mapped.feedback.score, mapped.feedback.comment, hook.source.thresholds)
            result["verdict"] = verdict.verdict
            result["priority"] = f"P{int(verdict.priority)}" if verdict.priority else None
        result["warnings"] = explanation["warnings"]
        result["explanation"] = explanation
        return result


class Hooks:
    def __init__(
        self, connectors: Connectors, intake: Intake, log: HookLog, keep_for: timedelta = KEEP_FOR
    ) -> None:
        self._connectors = connectors
        self._intake = intake
        self._log = log
        self._keep_for = keep_for

    def deliver(self, source_id: str, delivery: Delivery) -> HookAnswer:
        """Verify, map and take in one delivery; log it. Raises UnknownSource (404, not logged) and
        TransientFailure when the source cannot be read (503)."""
        now = clock.now()
        try:
            hook = self._connectors.load(source_id, now)
        except config.ConfigError:
            logger.exception("stored source configuration is invalid", extra={"source": source_id})
            answer = HookAnswer(503, "failed", "the source's configuration is invalid")
            self._record(source_id, answer, now)
            return answer
        answer = self._handle(hook, delivery, now)
        self._record(source_id, answer, now, keep=self._kept(hook, delivery, answer, now))
        return answer

    def replay(self, source_id: str, entry: str) -> Replayed:
        """Take in a refused delivery again from its kept bytes, as if it had just arrived, and log the
        outcome as a new line. Its signature is checked against the source's current secrets, and a
        timestamp against the time it first arrived. Intake's dedupe makes a second replay, or one of a
        delivery the vendor resent meanwhile, a duplicate. Raises UnknownSource, UnknownEntry,
        NotReplayable, TransientFailure."""
        now = clock.now()
        hook: HookSource | None
        try:
            hook = self._connectors.load(source_id, now)
        except config.ConfigError:
            logger.exception("stored source configuration is invalid", extra={"source": source_id})
            hook = None
        kept = self._log.kept(source_id, entry, now)
        if kept is None:
            logged = self._log.entry(source_id, entry)
            if logged is not None and logged.outcome not in _KEPT_OUTCOMES:
                raise NotReplayable(
                    f"delivery {entry} was {logged.outcome}: only a refused delivery's body is kept"
                )
            if logged is not None and logged.body_until is None:
                raise NotReplayable(f"delivery {entry} was not kept (too large, or refused before it)")
            raise UnknownEntry(_no_entry(entry))
        if hook is None:
            answer = HookAnswer(503, "failed", "the source's configuration is invalid")
        else:
            delivery = _restored(hook, kept)
            answer = self._handle(hook, delivery, now, signed_at=kept.received_at)
        line = self._record(source_id, answer, now, replay_of=entry)
        logger.info(
            "delivery replayed",
            extra={"source": source_id, "entry": entry, "status": answer.status, "outcome": answer.outcome},
        )
        return Replayed(line, entry, answer)

    def kept_delivery(self, source_id: str, entry: str) -> Delivery:
        """A kept delivery for a dry run, without what proves it (signature headers, the URL token),
        which no answer shows. Raises UnknownSource, UnknownEntry, NotReplayable."""
        now = clock.now()
        hook = self._connectors.load(source_id, now)
        kept = self._log.kept(source_id, entry, now)
        if kept is None:
            logged = self._log.entry(source_id, entry)
            if logged is not None and logged.outcome not in _KEPT_OUTCOMES:
                raise NotReplayable(f"delivery {entry} was {logged.outcome}: its body was not kept")
            raise UnknownEntry(_no_entry(entry))
        scheme = hook.connector.signature
        hidden = {scheme.header} if isinstance(scheme, signatures.HmacScheme) else set()
        headers = {name: value for name, value in kept.headers.items() if name not in hidden}
        query = dict(kept.query)
        if isinstance(scheme, signatures.TokenScheme):
            query.pop(scheme.parameter, None)
        return Delivery(raw=kept.raw, headers=headers, query=query)

    # ----------------------------------------------------------------- internals
    def _handle(
        self, hook: HookSource, delivery: Delivery, now: datetime, signed_at: datetime | None = None
    ) -> HookAnswer:
        """`signed_at` is when the delivery first arrived (a replay): its timestamp is judged by it."""
        if len(delivery.raw) > MAX_BODY_BYTES:
            return HookAnswer(413, "refused", f"body larger than {MAX_BODY_BYTES // 1024} KiB")
        check = signatures.verify(
            hook.connector.signature,
            hook.secrets,
            delivery.raw,
            delivery.headers,
            delivery.query,
            signed_at or now,
        )
        if not check.ok:
            reason = check.reason or signatures.BAD_SIGNATURE
            if reason == signatures.NO_SECRET:
                reason = never_set(hook.source.source_id)
            return HookAnswer(401, "refused", reason)
        try:
            mapped = self._connectors.map(hook, delivery)
        except mapping.MappingError as error:
            return HookAnswer(400, "refused", f"{error.pointer}: {error.reason}")
        except FetchInputError as error:
            return HookAnswer(400, "refused", f"{error.pointer}: {error.reason}")
        except TransientFailure as error:  # the vendor API of a fetching source, or storage
            return HookAnswer(503, "failed", str(error) or "a transient failure")
        except ValueError:
            # A body no mapping rule foresaw must still get a 4xx, never a 5xx.
            return HookAnswer(400, "refused", "body: unreadable")
        if mapped.action == "ignore":
            unused = f"event {(mapped.event or '')[:60]!r} is not used"
            return HookAnswer(200, "ignored", unused, mapped.delivery_id)
        if mapped.feedback is None:
            # Intake never sees it, so intake can't dedupe it: the delivery id is remembered here.
            if mapped.delivery_id:
                try:
                    first = self._log.remember_held(hook.source.source_id, mapped.delivery_id, now)
                except TransientFailure:
                    return HookAnswer(503, "failed", "storage failed transiently", mapped.delivery_id)
                if not first:
                    return HookAnswer(200, "duplicate", None, mapped.delivery_id)
            return HookAnswer(202, "held", "no score and no respondent yet", mapped.delivery_id)
        try:
            outcome = self._intake.receive(hook.source, mapped.feedback, mapped.delivery_id)
        except TransientFailure:
            return HookAnswer(503, "failed", "storage failed transiently", mapped.delivery_id)
        except Conflict:
            return HookAnswer(503, "failed", "the response changed concurrently", mapped.delivery_id)
        result = outcome.result
        return HookAnswer(
            outcome.status_code,
            result.status,
            None,
            mapped.delivery_id,
            result.feedback_id,
            result.case_id,
            result.verdict,
            result.priority,
        )

    def _record(
        self,
        source_id: str,
        answer: HookAnswer,
        now: datetime,
        keep: KeptDelivery | None = None,
        replay_of: str | None = None,
    ) -> str | None:
        entry = LogEntry(
            received_at=now,
            status=answer.status,
            outcome=answer.outcome,
            reason=answer.reason,
            delivery_id=answer.delivery_id,
            feedback_id=answer.feedback_id,
            case_id=answer.case_id,
            body_until=now + self._keep_for if keep is not None else None,
            replay_of=replay_of,
        )
        try:
            return self._log.record(source_id, entry, keep)
        except TransientFailure:
            # The answer stands: a lost log line must not make the vendor resend an accepted delivery.
            logger.warning("delivery log write failed", extra={"source": source_id, "status": answer.status})
            return None

    def _kept(
        self, hook: HookSource, delivery: Delivery, answer: HookAnswer, now: datetime
    ) -> KeptDelivery | None:
        """What is kept of a refused delivery for replay; None for one taken in, or too large to keep."""
        if answer.outcome not in _KEPT_OUTCOMES or answer.status == 413 or self._keep_for <= timedelta(0):
            return None
        headers = dict(delivery.headers)
        query = dict(delivery.query)
        scheme = hook.connector.signature
        if isinstance(scheme, signatures.TokenScheme) and scheme.parameter in query:
            # The token is a credential: only its hash is kept, enough to re-check it against the secrets.
            digest = hashlib.sha256(query[scheme.parameter].encode("utf-8")).hexdigest()
            query[scheme.parameter] = _TOKEN_HASH + digest
        size = len(delivery.raw) + len(json.dumps(headers)) + len(json.dumps(query))
        if size > _KEEP_MAX_BYTES:
            return None
        return KeptDelivery("", now, delivery.raw, headers, query)


def _no_entry(entry: str) -> str:
    shown = entry if hook_log.ENTRY_ID.fullmatch(entry) else "with that id"
    return f"no delivery {shown} is kept: unknown, or past its retention"


def _restored(hook: HookSource, kept: KeptDelivery) -> Delivery:
    """A kept delivery as it arrived. A URL token was kept as its hash: a current secret with that hash
    stands in for it; with none, a value no secret matches does."""
    query = dict(kept.query)
    scheme = hook.connector.signature
    if isinstance(scheme, signatures.TokenScheme) and query.get(scheme.parameter, "").startswith(_TOKEN_HASH):
        digest = query[scheme.parameter][len(_TOKEN_HASH) :]
        query[scheme.parameter] = "(kept as a hash)"
        for secret in hook.secrets:
            if hmac.compare_digest(hashlib.sha256(secret.encode("utf-8")).hexdigest(), digest):
                query[scheme.parameter] = secret
    return Delivery(raw=kept.raw, headers=dict(kept.headers), query=query)


# --------------------------------------------------------------------- admin
class Rotation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what: Literal["secret", "key"]
    window_hours: int = Field(default=24, ge=0, le=24 * 30)
    secret: SecretStr | None = None  # a supplied webhook secret (what=secret); generated when absent


SECRET_MIN, SECRET_MAX = 16, 512
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


def supplied_secret(value: Any, scheme: signatures.Scheme | None, pointer: str = "/secret") -> str:
    """A webhook secret the team supplies (SurveyMonkey signs with `api_key&api_secret`), checked for
    the source's scheme. Raises BadSourceRequest; the message never quotes the value."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        raise BadSourceRequest(f"{pointer}: a string")
    if not SECRET_MIN <= len(value) <= SECRET_MAX:
        raise BadSourceRequest(f"{pointer}: {SECRET_MIN} to {SECRET_MAX} characters")
    if not _VISIBLE_ASCII.fullmatch(value):
        raise BadSourceRequest(f"{pointer}: printable ASCII characters only, no spaces")
    if isinstance(scheme, signatures.TokenScheme) and not _URL_SAFE.fullmatch(value):
        raise BadSourceRequest(f"{pointer}: a URL token may hold only letters, digits and . _ ~ -")
    whsec = isinstance(scheme, signatures.HmacScheme) and scheme.secret_encoding == "whsec"  # noqa: S105
    if whsec and not _whsec_valid(value):
        raise BadSourceRequest(f"{pointer}: this source's secrets are whsec_ and base64")
    return value


def _whsec_valid(secret: str) -> bool:
    """Whether a secret is `whsec_` and a key in base64 (the Standard Webhooks form)."""
    try:
        return secret.startswith("whsec_") and bool(base64.b64decode(secret[6:], validate=True))
    except (binascii.Error, ValueError):
        return False


def never_set(source_id: str) -> str:
    """The delivery log's reason when a source has no webhook secret yet (its vendor fixes the secret,
    and the team has not supplied it)."""
    return (
        f"{signatures.NO_SECRET}: the webhook secret was never set; supply the vendor's secret with "
        f"`sources rotate {source_id} --what secret --secret-env NAME`"
    )


def vendor_fixes_secret(preset: str | None, scheme: signatures.Scheme) -> bool:
    """Whether the vendor, not this service, decides the source's signing secret."""
    return preset in VENDOR_SECRETS and isinstance(scheme, signatures.HmacScheme)


def new_source_key(source_id: str) -> str:
    """A source API key: `rlk_<source id>_<192 random bits>`."""
    return f"rlk_{source_id}_{secrets.token_urlsafe(24)}"


class SourceAdmin:
    """Add, list and rotate sources; read their delivery logs. Secrets and keys are answered once."""

    def __init__(self, sources: SourceStore, log: HookLog, public_url: str) -> None:
        self._sources = sources
        self._log = log
        self._public_url = public_url.rstrip("/")

    def hook_url(
        self, source_id: str, scheme: signatures.Scheme | None = None, secret: str | None = None
    ) -> str:
        url = f"{self._public_url}/v1/hooks/{source_id}"
        if isinstance(scheme, signatures.TokenScheme):
            return f"{url}?{scheme.parameter}={secret or '<token>'}"
        return url

    def add(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and store a new source. Raises BadSourceRequest (400), Conflict (409: id taken)."""
        fields = dict(document)
        given = fields.pop("secret", None)
        try:
            spec = config.parse_source(fields, pointer="")  # errors read "/mapping/score/type: ..."
        except config.ConfigError as error:
            raise BadSourceRequest(str(error)) from error
        if not spec.has_hook:
            raise BadSourceRequest("/preset: a preset, or a signature and a mapping, is required")
        connector = config.resolve(spec)
        secret: str | None
        if given is not None:
            secret = supplied_secret(given, connector.signature)
        elif vendor_fixes_secret(spec.preset, connector.signature):
            secret = None  # one generated here would be useless: the vendor signs with its own
        else:
            secret = signatures.new_secret(connector.signature)
        key = new_source_key(spec.id)
        stored = spec.model_dump(mode="json", exclude_none=True)
        thresholds = spec.thresholds.model_dump(exclude_none=True)
        created = self._sources.create(
            spec.id, spec.name, [hash_key(key)], thresholds, secret, stored, spec.page_settings
        )
        if not created:
            raise Conflict(f"a source with id {spec.id!r} exists already")
        logger.info("source added", extra={"source": spec.id})
        answer: dict[str, Any] = {
            "id": spec.id,
            "name": spec.name,
            "hook_url": self.hook_url(spec.id, connector.signature, secret),
            "secret": secret,
            "key": key,
        }
        if secret is None:
            answer["next"] = (
                f"{spec.preset} fixes the webhook secret itself: supply it with "
                f"`sources rotate {spec.id} --what secret --secret-env NAME`; "
                "until then its deliveries are refused"
            )
        return answer

    def describe(self, source_id: str) -> dict[str, Any]:
        """A source's configuration as stored (what `add` was given, the preset not expanded), its hook
        URL and whether it has a webhook secret: never the secret or key. Raises UnknownSource."""
        item = self._sources.get(source_id) if SOURCE_ID.fullmatch(source_id) else None
        if item is None:
            raise UnknownSource(source_id)
        spec = item.spec or {}
        scheme: signatures.Scheme | None = None
        if spec:
            try:
                scheme = connector_of(item).signature
            except config.ConfigError:  # still described: the caller needs to see what is stored
                logger.warning("stored source configuration is invalid", extra={"source": source_id})
        return {
            "id": item.source_id,
            "name": item.name,
            "preset": spec.get("preset"),
            "options": spec.get("options") or {},
            "signature": spec.get("signature"),
            "mapping": spec.get("mapping"),
            "thresholds": item.thresholds or {},
            "page": item.page,
            "enabled": item.enabled,
            "hook_url": self.hook_url(item.source_id, scheme) if spec else None,
            "secret_set": bool(item.webhook_secret),
        }

    def listing(self) -> list[dict[str, Any]]:
        return [
            {
                "id": row.source_id,
                "name": row.name,
                "preset": row.preset,
                "hook_url": self.hook_url(row.source_id, None),
            }
            for row in self._sources.listing()
        ]

    def rotate(self, source_id: str, rotation: Rotation) -> dict[str, Any]:
        """A new secret (generated, or the one supplied) or key, the old one valid for `window_hours`
        more. Raises UnknownSource, BadSourceRequest, Conflict."""
        item = self._sources.get(source_id) if SOURCE_ID.fullmatch(source_id) else None
        if item is None:
            raise UnknownSource(source_id)
        if rotation.secret is not None and rotation.what != "secret":
            raise BadSourceRequest("/secret: only with what=secret")
        until = clock.now() + timedelta(hours=rotation.window_hours)
        answer: dict[str, Any] = {"id": source_id, "previous_valid_until": clock.iso(until)}
        if rotation.what == "secret":
            scheme = connector_of(item).signature if item.spec else None
            if rotation.secret is not None:
                secret = supplied_secret(rotation.secret, scheme)
            elif scheme is not None and vendor_fixes_secret((item.spec or {}).get("preset"), scheme):
                raise BadSourceRequest("/secret: this source's vendor fixes the secret; supply the vendor's")
            elif scheme is not None:
                secret = signatures.new_secret(scheme)
            else:
                secret = secrets.token_urlsafe(32)
            done = self._sources.rotate_secret(item, secret, until)
            answer |= {"secret": secret, "hook_url": self.hook_url(source_id, scheme, secret)}
        else:
            key = new_source_key(source_id)
            done = self._sources.rotate_key(item, hash_key(key), until)
            answer["key"] = key
        if not done:
            raise Conflict("the source changed meanwhile; rotate again")
        logger.info("source credential rotated", extra={"source": source_id, "what": rotation.what})
        return answer

    def deliveries(self, source_id: str, limit: int, cursor: str | None) -> LogPage:
        """Raises UnknownSource, hook_log.BadCursor."""
        if not SOURCE_ID.fullmatch(source_id) or self._sources.get(source_id) is None:
            raise UnknownSource(source_id)
        return self._log.read(source_id, limit, cursor)
