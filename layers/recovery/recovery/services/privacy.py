"""A customer's data: export everything held about them, or erase it (redacted in place).

The customer is named as the survey tool knows them (id, email or phone) and hashed exactly as intake
hashes it, so the same person is found. What is held: the customer item, every feedback and case the
`by_customer` index lists, each case's partition (the case, its timeline, anything else kept there) and
each case's follow-up.

Erasure keeps the facts and drops the person: contact details, comments, notes, messages and answers go;
scores, verdicts, tags, statuses, times and counters stay. Every case gets an `erased` event. Items are
written in batches, each write conditional and idempotent, and the customer item last: an interrupted
erase is simply run again (the customer's own details, kept until the end, still find what is left).
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from recovery.domain.feedback import Customer
from recovery.domain.identity import PiiHasher
from recovery.errors import Conflict, RecoveryError
from recovery.observability import logger
from recovery.store.customer_messages import scheduled_pk
from recovery.store.privacy import Key, PrivacyStore, Stored, stored_time

MARKER = "[erased]"
# Keys whose string values are free text, at any depth of any item (a note's `text`, a resolution's
# `summary`, a message's `subject`, a scheduled message's `payload`, ...).
FREE_TEXT = frozenset(
    {"text", "summary", "comment", "subject", "reason", "body", "html", "message", "note", "payload"}
)
CONTACT = ("name", "email", "phone", "locale", "timezone", "value")  # removed from the customer item
FEEDBACK_KEPT = frozenset({"score", "position", "signals", "tags", "product"})  # the rest of `detail` goes
# Top-level attributes never redacted: keys and index keys, and what counters and routing are built from,
# so an agent who shares the customer's name keeps their counters.
PROTECTED = frozenset(
    {
        "pk",
        "sk",
        "cust_pk",
        "cust_sk",
        "due_pk",
        "due_at",
        "queue_pk",
        "queue_sk",
        "hist_pk",
        "hist_sk",
        "tags",  # a case's tags (copied from the feedback): labels, not personal data; counters group by them
        "source",
        "team",
        "channel",
        "agent",
        "status",
        "verdict",
        "kind",
        "case_id",
        "feedback_id",
        "customer_key",
        "customer_value",  # a case's value figure: counters are built from it, and it names nobody
        "content_hash",
        "version",
    }
)
KINDS = ("feedback", "case", "event", "followup", "scheduled_message", "other")
# Customer messages waiting for the customer's contact hours: `SMSG#<case id>#<kind>` (customer_messages).
SCHEDULED_KINDS = ("customer_ack",)
WRITE_BATCH = 25  # items per progress step of an erase
MAX_ATTEMPTS = 3  # rewrites of one item that changed under us before giving up (409; run it again)
_MIN_CONTAINED = 3  # shorter names are matched only as a whole value: "Al" is inside "alerted"
_MIN_QUOTED = 12  # comments shorter than this are too common to search for elsewhere
# A `reason` may be a lead's words (reopen) or the system's code (`case_resolved`): a code is no free text.
_CODE = re.compile(r"[a-z][a-z0-9]*(?:[_:.-][a-z0-9]+)*")


class Lookup(StrEnum):
    id = "id"
    email = "email"
    phone = "phone"


class BadLookup(RecoveryError):
    """The customer was named in a way that cannot match anyone (unknown `by`, malformed email or phone)."""


class CustomerNotFound(RecoveryError):
    """Nothing is held about the customer."""


def identify(value: str, by: str | None) -> Customer:
    """The customer as intake would have seen them: `value` is their id, email or phone (`by`)."""
    try:
        lookup = Lookup(by or "id")
    except ValueError:
        raise BadLookup("by must be one of id, email, phone") from None
    try:
        return Customer.model_validate({lookup.value: value})
    except ValidationError as error:
        detail = error.errors()[0].get("msg", "invalid") if error.errors() else "invalid"
        raise BadLookup(f"{lookup.value}: {str(detail).removeprefix('Value error, ')}") from None


# ---------------------------------------------------------------- redaction (pure)
@dataclass(frozen=True)
class Needles:
    """The customer's own details and words: any string that is, or contains, one of them is redacted,
    wherever it sits (a safety net for fields added after this module)."""

    exact: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def of(
        cls, names: Iterable[str] = (), contacts: Iterable[str] = (), quotes: Iterable[str] = ()
    ) -> Needles:
        exact: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        for name in filter(None, (str(value).strip() for value in names)):
            exact.add(name.casefold())
            if len(name) >= _MIN_CONTAINED:
                patterns.append(re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE))
        for contact in filter(None, (str(value).strip() for value in contacts)):
            exact.add(contact.casefold())
            patterns.append(re.compile(re.escape(contact), re.IGNORECASE))
            if contact.startswith("+"):  # a phone number written without its plus
                patterns.append(re.compile(rf"(?<!\d){re.escape(contact[1:])}(?!\d)"))
        for quote in filter(None, (str(value).strip() for value in quotes)):
            if len(quote) >= _MIN_QUOTED:
                patterns.append(re.compile(re.escape(quote), re.IGNORECASE))
        return cls(frozenset(exact), tuple(patterns))

    def found_in(self, text: str) -> bool:
        return text.strip().casefold() in self.exact or any(pattern.search(text) for pattern in self.patterns)


def kind_of(values: Mapping[str, Any]) -> str:
    pk, sk = str(values.get("pk", "")), str(values.get("sk", ""))
    if pk.startswith("CUST#") and sk == "CUST":
        return "customer"
    if pk.startswith("FB#") and sk == "FB":
        return "feedback"
    if pk.startswith("CASE#") and sk == "CASE":
        return "case"
    if pk.startswith("CASE#") and sk.startswith("EVT#"):
        return "event"
    if pk.startswith("FUP#"):
        return "followup"
    if pk.startswith("SMSG#"):
        return "scheduled_message"
    return "other"


def redact(values: Mapping[str, Any], needles: Needles) -> dict[str, Any]:
    """The item with its personal data and free text gone; unchanged when nothing is left to erase.
    (The customer item's contact details are removed by `redact_customer`.)"""
    redacted: dict[str, Any] = {}
    for name, value in values.items():
        if name in PROTECTED:
            redacted[name] = value
        elif name == "detail" and kind_of(values) == "feedback" and isinstance(value, Mapping):
            kept = {key: item for key, item in value.items() if key in FEEDBACK_KEPT}
            redacted[name] = _scrub(kept, needles)
        else:
            redacted[name] = _scrub_field(name, value, needles)
    return redacted


def redact_customer(values: Mapping[str, Any], needles: Needles) -> dict[str, Any]:
    redacted = redact(values, needles)
    for name in CONTACT:
        redacted.pop(name, None)
    return redacted


def _scrub_field(name: str, value: Any, needles: Needles) -> Any:
    if name in FREE_TEXT and isinstance(value, str) and _is_free_text(name, value):
        return MARKER
    return _scrub(value, needles)


def _is_free_text(name: str, value: str) -> bool:
    if value in ("", MARKER):
        return False
    return not (name == "reason" and _CODE.fullmatch(value))


def _scrub(value: Any, needles: Needles) -> Any:
    if isinstance(value, str):
        return MARKER if value != MARKER and needles.found_in(value) else value
    if isinstance(value, Mapping):
        return {key: _scrub_field(str(key), item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, set | frozenset):
        return {_scrub(item, needles) for item in value}
    return value


# ---------------------------------------------------------------- what is held
@dataclass
class Holdings:
    customer_key: str
    customer: Stored | None
    items: dict[Key, Stored] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Stored]:
        return [item for item in self.items.values() if kind_of(item.values) == kind]

    def case_ids(self) -> list[str]:
        return [str(item.values["pk"]).removeprefix("CASE#") for item in self.of_kind("case")]

    def needles(self, lookup: Customer) -> Needles:
        contact = self.customer.values if self.customer else {}
        quotes = [_field(item.values.get("detail"), "comment") for item in self.of_kind("feedback")]
        quotes += [_field(item.values.get("answer"), "comment") for item in self.of_kind("followup")]
        return Needles.of(
            names=[str(contact["name"])] if contact.get("name") else [],
            contacts=[
                str(v) for v in (contact.get("email"), contact.get("phone"), lookup.email, lookup.phone) if v
            ],
            quotes=[str(quote) for quote in quotes if isinstance(quote, str)],
        )


@dataclass(frozen=True)
class Erasure:
    customer_key: str
    erased_at: datetime | None
    redacted: dict[str, int]
    erased_events: int

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_key": self.customer_key,
            "erased_at": self.erased_at.isoformat() if self.erased_at else None,
            "redacted": self.redacted,
            "redacted_total": sum(self.redacted.values()),
            "erased_events": self.erased_events,
        }


class Privacy:
    def __init__(self, store: PrivacyStore, hasher: Callable[[], PiiHasher]) -> None:
        self._store = store
        self._hasher = hasher
        self._pii: PiiHasher | None = None

    def customer_key(self, lookup: Customer) -> str:
        if self._pii is None:  # the key comes from Secrets Manager: once per container, on first use
            self._pii = self._hasher()
        return self._pii.customer_key(lookup)

    def holdings(self, lookup: Customer) -> Holdings:
        """Everything held about the customer; CustomerNotFound when that is nothing."""
        key = self.customer_key(lookup)
        customer_pk = f"CUST#{key}"
        customer = self._store.get((customer_pk, "CUST"))
        keys = self._store.customer_keys(customer_pk)
        if customer is None and not keys:
            raise CustomerNotFound("no data is held about this customer")
        held = Holdings(key, customer)
        held.items = {item.key: item for item in self._store.items(keys)}
        case_ids = set(held.case_ids())
        case_ids |= {
            str(item.values["case_id"]) for item in held.of_kind("feedback") if item.values.get("case_id")
        }
        by_case = [(f"FUP#{case_id}", "FUP") for case_id in sorted(case_ids)]
        by_case += [
            (scheduled_pk(case_id, kind), "SMSG") for case_id in sorted(case_ids) for kind in SCHEDULED_KINDS
        ]
        held.items |= {
            item.key: item for item in self._store.items(k for k in by_case if k not in held.items)
        }
        for case_id in sorted(case_ids):
            held.items |= {item.key: item for item in self._store.partition(f"CASE#{case_id}")}
        return held

    def export(self, lookup: Customer) -> dict[str, Any]:
        held = self.holdings(lookup)
        cases = []
        for case in sorted(held.of_kind("case"), key=lambda item: str(item.values.get("opened_at", ""))):
            events = [item for item in held.of_kind("event") if item.values["pk"] == case.values["pk"]]
            cases.append({"case": _plain(case.values), "timeline": [_plain(item.values) for item in events]})
        return {
            "customer_key": held.customer_key,
            "customer": _plain(held.customer.values) if held.customer else None,
            "feedback": [_plain(item.values) for item in held.of_kind("feedback")],
            "cases": cases,
            "followups": [_plain(item.values) for item in held.of_kind("followup")],
            "scheduled_messages": [_plain(item.values) for item in held.of_kind("scheduled_message")],
            "other": [_plain(item.values) for item in held.of_kind("other")],
        }

    def erase(self, lookup: Customer, now: datetime) -> Erasure:
        held = self.holdings(lookup)
        needles = held.needles(lookup)
        planned = [item for item in held.items.values() if redact(item.values, needles) != item.values]
        redacted: Counter[str] = Counter({kind: 0 for kind in KINDS})
        per_case: Counter[str] = Counter()
        for step, batch in enumerate(_batches(planned, WRITE_BATCH), start=1):
            for item in batch:
                if self._rewrite(item, needles, redact):
                    redacted[kind_of(item.values)] += 1
                    pk = str(item.values["pk"])
                    if pk.startswith("CASE#"):
                        per_case[pk.removeprefix("CASE#")] += 1
            logger.info(
                "erase progress",
                extra={
                    "customer_key": held.customer_key,
                    "batch": step,
                    "written": min(step * WRITE_BATCH, len(planned)),
                    "planned": len(planned),
                },
            )

        already = {
            str(item.values["pk"]) for item in held.of_kind("event") if item.values.get("kind") == "erased"
        }
        erased_events = 0
        for case_id in held.case_ids():
            if per_case[case_id] or f"CASE#{case_id}" not in already:
                self._store.append_event(case_id, "erased", now, "admin", redacted=per_case[case_id])
                erased_events += 1

        # Last: until here the customer's own details are what finds the rest on a rerun.
        redacted["customer"], erased_at = self._erase_customer(held, needles, now)
        logger.info(
            "customer erased",
            extra={
                "customer_key": held.customer_key,
                "redacted": dict(redacted),
                "erased_events": erased_events,
            },
        )
        return Erasure(held.customer_key, erased_at, dict(redacted), erased_events)

    def _erase_customer(self, held: Holdings, needles: Needles, now: datetime) -> tuple[int, datetime | None]:
        if held.customer is None:
            # Positives only: no customer item was ever written. A tombstone records the erasure.
            created = self._store.create_tombstone(f"CUST#{held.customer_key}", now)
            return (1 if created else 0), now

        def redacted(values: Mapping[str, Any], needles: Needles) -> dict[str, Any]:
            after = redact_customer(values, needles)
            if after != values or not values.get("erased_at"):
                after["erased_at"] = after["updated_at"] = stored_time(now)
            return after

        changed = self._rewrite(held.customer, needles, redacted)
        current = self._store.get(held.customer.key) if changed else held.customer
        stamp = (current.values if current else {}).get("erased_at")
        return (1 if changed else 0), _parse_time(stamp)

    def _rewrite(
        self,
        item: Stored,
        needles: Needles,
        redaction: Callable[[Mapping[str, Any], Needles], dict[str, Any]],
    ) -> bool:
        """Redact one item in place; True if it was written. An item changed meanwhile is read again and
        redacted again; an item gone meanwhile (TTL) is left."""
        current: Stored | None = item
        for _ in range(MAX_ATTEMPTS):
            if current is None:
                return False
            after = redaction(current.values, needles)
            if after == current.values:
                return False
            if self._store.rewrite(current, after):
                return True
            current = self._store.get(item.key)
        raise Conflict("the customer's data kept changing during the erase; run it again")


def _field(document: Any, name: str) -> Any:
    return document.get(name) if isinstance(document, Mapping) else None


def _batches(items: list[Stored], size: int) -> Iterator[list[Stored]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plain(value: Any) -> Any:
    """Stored values as JSON: sets as sorted lists, bytes as base64."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
