"""Intake: classify one response and store it, with its case when it is negative.

A positive or neutral response is one conditional put. A negative reads the customer's recent
negatives, then commits feedback, case and history in one transaction. A response already stored is
a duplicate (unchanged) or an update (re-classified, never a second case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from recovery import clock
from recovery.domain import identity, keys
from recovery.domain.classify import Classification, Priority, Thresholds, classify, is_repeat
from recovery.domain.feedback import FeedbackIn, IntakeResult, Score, Status, canonical_json
from recovery.domain.keys import hash_key as hash_key  # re-exported: seeding, tests and tools use it
from recovery.errors import Conflict, Unauthorized
from recovery.store.feedback import FeedbackStore, Fields
from recovery.store.sources import SourceStore

if TYPE_CHECKING:
    from recovery.domain.routing import Config

ACK_SLA = timedelta(minutes=15)
RESOLVE_SLA = timedelta(hours=24)
MAX_ATTEMPTS = 3
MAX_DELIVERY_IDS = 20  # the latest delivery ids a response keeps, for dedupe
_SCORE = TypeAdapter[Any](Score)
_STATUS_CODES: dict[str, int] = {"created": 201, "held": 202, "duplicate": 200, "updated": 200}


@dataclass(frozen=True)
class Source:
    source_id: str
    name: str
    key_hashes: tuple[str, ...]
    thresholds: Thresholds
    # After a key rotation the previous keys stay valid until `previous_keys_until`.
    previous_key_hashes: tuple[str, ...] = ()
    previous_keys_until: datetime | None = None

    def valid_key_hashes(self, now: datetime) -> tuple[str, ...]:
        if self.previous_keys_until is not None and now < self.previous_keys_until:
            return self.key_hashes + self.previous_key_hashes
        return self.key_hashes


class SourceDirectory:
    """Authenticates source keys against their stored hashes; caches sources for a minute."""

    TTL = timedelta(seconds=60)

    def __init__(self, store: SourceStore) -> None:
        self._store = store
        self._cache: dict[str, tuple[datetime, Source | None]] = {}

    def get(self, source_id: str) -> Source | None:
        now = clock.now()
        cached = self._cache.get(source_id)
        if cached and now - cached[0] < self.TTL:
            return cached[1]
        item = self._store.get(source_id)
        source = (
            Source(
                source_id=item.source_id,
                name=item.name,
                key_hashes=tuple(item.key_hashes or ()),
                thresholds=Thresholds.model_validate(item.thresholds or {}),
                previous_key_hashes=tuple(item.previous_key_hashes or ()),
                previous_keys_until=item.previous_keys_until,
            )
            if item is not None and item.enabled
            else None
        )
        self._cache[source_id] = (now, source)
        return source

    def authenticate(self, authorization: str | None) -> Source:
        """`Bearer rlk_<source id>_<secret>` -> the source; Unauthorized otherwise."""
        key = keys.bearer(authorization)
        if key is None or not key.startswith("rlk_"):
            raise Unauthorized("missing bearer key")
        source_id = key[4:].partition("_")[0]  # source ids never contain "_"; secrets may
        source = self.get(source_id) if source_id else None
        hashes = source.valid_key_hashes(clock.now()) if source else ()
        if not keys.matches(key, hashes) or source is None:
            raise Unauthorized("unknown key")
        return source


class CachedRules:
    """The routing rules (teams and routing configuration), read at most once a minute per container, and
    only when a negative opens a case: a rule may raise its priority (`routing.raised_priority`)."""

    TTL = timedelta(seconds=60)

    def __init__(self, load: Callable[[], Config | None]) -> None:
        self._load = load
        self._cached: tuple[datetime, Config | None] | None = None

    def __call__(self) -> Config | None:
        now = clock.now()
        if self._cached is None or now - self._cached[0] >= self.TTL:
            self._cached = (now, self._load())
        return self._cached[1]


@dataclass(frozen=True)
class Outcome:
    status_code: int
    result: IntakeResult


class Intake:
    def __init__(
        self,
        store: FeedbackStore,
        hasher: Callable[[], identity.PiiHasher],
        retention: timedelta,
        rules: Callable[[], Config | None] | None = None,
    ) -> None:
        self._store = store
        self._rules = rules
        self._hasher = hasher
        self._pii: identity.PiiHasher | None = None
        self._retention = retention

    def receive(self, source: Source, feedback: FeedbackIn, delivery_id: str | None = None) -> Outcome:
        """`delivery_id` is the vendor's id for this delivery (a webhook's event id): a delivery already
        seen for the response is a duplicate even when the response changed since."""
        for _ in range(MAX_ATTEMPTS):
            outcome = self._attempt(source, feedback, delivery_id)
            if outcome is not None:
                return outcome
        raise Conflict("the response changed concurrently; retry")

    def receive_many(self, source: Source, items: Sequence[FeedbackIn]) -> list[Outcome]:
        return [self.receive(source, item) for item in items]

    # ----------------------------------------------------------------- internals
    # A feedback item travels as a plain mapping of its attribute values (`Fields`): the common case, a
    # new positive, is then serialised straight from it, without a model instance (see store.models).
    def _attempt(self, source: Source, feedback: FeedbackIn, delivery_id: str | None) -> Outcome | None:
        now = clock.now()
        digest = identity.content_hash(canonical_json(feedback))
        response_id = feedback.external_id or f"h_{digest[:40]}"
        pk = identity.feedback_pk(source.source_id, response_id)
        if self._pii is None:  # the key comes from Secrets Manager: once per container, on first use
            self._pii = self._hasher()
        customer_key = self._pii.customer_key(feedback.customer)
        item = self._feedback_fields(source, feedback, pk, digest, customer_key, now)
        if delivery_id:
            item["detail"]["deliveries"] = [delivery_id]

        verdict = classify(feedback.score, feedback.comment, source.thresholds) if feedback.score else None
        if verdict is None or not verdict.opens_case:
            self._apply(item, verdict)
            if self._store.put_new_feedback(item):
                return self._answer(item, "held" if verdict is None else "created")
            return self._update(source, feedback, item, now, delivery_id)

        outcome = self._open_case(feedback, item, verdict, customer_key, now, expected_hash=None)
        if outcome == "exists":
            return self._update(source, feedback, item, now, delivery_id)
        if outcome == "retry":
            return None
        return self._answer(item, "created")

    def _update(
        self, source: Source, feedback: FeedbackIn, item: Fields, now: datetime, delivery_id: str | None
    ) -> Outcome | None:
        existing = self._store.feedback_fields(item["pk"])
        if existing is None:
            return None  # removed meanwhile (TTL or erasure): start again
        # A redelivered older event must not undo a later one (a score sent again after its comment).
        seen = list((existing.get("detail") or {}).get("deliveries") or ())
        if existing["content_hash"] == item["content_hash"] or (delivery_id and delivery_id in seen):
            return self._answer(existing, "duplicate")
        if delivery_id:
            seen.append(delivery_id)
        item["detail"].pop("deliveries", None)
        if seen:
            item["detail"]["deliveries"] = seen[-MAX_DELIVERY_IDS:]

        # A later event without a score keeps the score it already had.
        stored_score = (existing.get("detail") or {}).get("score")
        score = feedback.score or (_SCORE.validate_python(stored_score) if stored_score else None)
        if score is not None and feedback.score is None:
            item["score_type"] = score.type
            item["detail"]["score"] = score.model_dump(mode="json")
        verdict = classify(score, feedback.comment, source.thresholds) if score else None
        item["feedback_id"] = existing["feedback_id"]
        item["received_at"] = existing["received_at"]
        item["revision"] = int(existing.get("revision") or 1) + 1
        item["case_id"] = existing.get("case_id")

        if verdict is not None and verdict.opens_case and item["case_id"] is None:
            customer_key = item["cust_pk"].removeprefix("CUST#")
            outcome = self._open_case(feedback, item, verdict, customer_key, now, existing["content_hash"])
            return None if outcome != "committed" else self._answer(item, "updated")

        # An opened case keeps the priority it was opened with; the case workflow owns it from then.
        kept = int(existing["priority"]) if item["case_id"] and existing.get("priority") else None
        self._apply(item, verdict, keep_priority=kept)
        if not self._store.replace_feedback(item, existing["content_hash"]):
            return None
        return self._answer(item, "updated")

    def _open_case(
        self,
        feedback: FeedbackIn,
        item: Fields,
        verdict: Classification,
        customer_key: str,
        now: datetime,
        expected_hash: str | None,
    ) -> str:
        customer = self._store.customer_fields(customer_key)
        history = list(customer.get("recent_negatives") or ()) if customer is not None else []
        occurred: datetime = item["occurred_at"]
        earlier = [datetime.fromisoformat(entry["at"]) for entry in history]
        if is_repeat(earlier, occurred):
            verdict = verdict.as_repeat_failure()
        verdict = self._raised(item, verdict)
        self._apply(item, verdict)
        case_id = identity.case_id(item["pk"])
        item["case_id"] = case_id

        window_start = occurred - timedelta(days=90)
        history = [entry for entry in history if datetime.fromisoformat(entry["at"]) >= window_start]
        history.append({"at": occurred.isoformat(), "case_id": case_id})
        if customer is None:
            customer = {"pk": f"CUST#{customer_key}", "sk": "CUST"}
        contact = feedback.customer
        for field in ("name", "email", "phone", "locale", "timezone"):
            if getattr(contact, field) is not None:
                customer[field] = getattr(contact, field)
        if contact.value is not None:
            customer["value"] = contact.value.model_dump(mode="json")
        customer["recent_negatives"] = history
        customer["updated_at"] = now

        result = self._store.commit_negative(
            item,
            customer,
            expected_hash,
            case_id=case_id,
            priority=int(verdict.priority or 4),
            repeat_failure=verdict.repeat_failure,
            opened_at=now,
            ack_due_at=now + ACK_SLA,
            resolve_due_at=now + RESOLVE_SLA,
        )
        if result.committed:
            return "committed"
        if result.feedback_exists and expected_hash is None:
            return "exists"
        return "retry"

    def _raised(self, item: Fields, verdict: Classification) -> Classification:
        """The negative's priority, raised by the routing rules that match it and name a priority (a
        customer's value above a threshold, say); the rule's name is kept on the feedback."""
        config = self._rules() if self._rules is not None else None
        if config is None or verdict.priority is None:
            return verdict
        from recovery.domain.routing import Subject, raised_priority, value_of

        subject = Subject(
            team=item["team"],
            channel=item["channel"],
            tags=tuple(item["detail"].get("tags") or ()),
            source=item["source"],
            priority=verdict.priority.label,
            score_type=item["score_type"],
            value=value_of(item["detail"].get("customer_value")),
        )
        raised = raised_priority(config, subject)
        if raised is None:
            return verdict
        item["detail"]["priority_rule"] = raised[1]
        return replace(verdict, priority=Priority[raised[0]])

    @staticmethod
    def _apply(item: Fields, verdict: Classification | None, keep_priority: int | None = None) -> None:
        item["status"] = "held" if verdict is None else "scored"
        item["verdict"] = verdict.verdict if verdict else None
        priority = verdict.priority if verdict else None
        item["priority"] = (
            keep_priority if keep_priority is not None else (int(priority) if priority else None)
        )
        if verdict is not None:
            item["detail"]["position"] = verdict.position
            item["detail"]["signals"] = sorted(signal.value for signal in verdict.signals)

    def _feedback_fields(
        self,
        source: Source,
        feedback: FeedbackIn,
        pk: str,
        digest: str,
        customer_key: str,
        now: datetime,
    ) -> Fields:
        interaction = feedback.interaction
        value = feedback.customer.value
        occurred = feedback.occurred_at or now
        detail = {
            key: value
            for key, value in (
                ("score", feedback.score.model_dump(mode="json") if feedback.score else None),
                ("comment", feedback.comment),
                ("tags", list(feedback.tags)),
                ("metadata", dict(feedback.metadata)),
                ("interaction_id", interaction.id),
                ("product", interaction.product),
                ("locale", feedback.customer.locale),
                ("customer_value", value.model_dump(mode="json") if value else None),
            )
            if value
        }
        return {
            "pk": pk,
            "sk": "FB",
            "feedback_id": identity.feedback_id(pk),
            "source": source.source_id,
            "content_hash": digest,
            "status": "held",
            "score_type": feedback.score.type if feedback.score else None,
            "verdict": None,
            "priority": None,
            "case_id": None,
            "channel": interaction.channel,
            "agent": interaction.agent,
            "team": interaction.team,
            "detail": detail,
            "occurred_at": occurred,
            "received_at": now,
            "updated_at": now,
            "revision": 1,
            "cust_pk": f"CUST#{customer_key}",
            "cust_sk": f"FB#{clock.iso(occurred)}#{pk}",
            "expires_at": now + self._retention,
        }

    @staticmethod
    def _answer(item: Mapping[str, Any], status: Status) -> Outcome:
        priority = item.get("priority")
        # Built from our own stored values: no validation needed.
        result = IntakeResult.model_construct(
            feedback_id=item["feedback_id"],
            verdict=item.get("verdict"),
            priority=f"P{int(priority)}" if priority else None,  # type: ignore[arg-type]
            case_id=item.get("case_id"),
            status=status,
        )
        return Outcome(_STATUS_CODES[status], result)
