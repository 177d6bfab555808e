"""Identifiers and keyed hashes. No personal data ever appears in a table key."""

from __future__ import annotations

import hashlib
import hmac

from recovery.domain.feedback import Customer


def _short(digest: bytes, length: int) -> str:
    # Hex: C-fast and unambiguous; 24 hex digits are 96 bits.
    return digest.hex()[:length]


def content_hash(canonical: bytes) -> str:
    """A stable hash of a canonical serialisation."""
    return hashlib.sha256(canonical).hexdigest()


def feedback_pk(source_id: str, response_id: str) -> str:
    return f"FB#{source_id}#{response_id}"


def feedback_id(pk: str) -> str:
    """Deterministic, so a retried delivery answers with the same id."""
    return "fb_" + _short(hashlib.sha256(pk.encode("utf-8")).digest(), 24)


def case_id(pk: str) -> str:
    """Deterministic per response: a race between two deliveries can never open two cases."""
    return "cs_" + _short(hashlib.sha256(b"case:" + pk.encode("utf-8")).digest(), 24)


class PiiHasher:
    """Keyed hashes (HMAC-SHA256) of customer identifiers, addresses and phone numbers."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the PII hash key must be at least 16 bytes")
        self._key = key

    def digest(self, kind: str, value: str) -> str:
        return hmac.digest(self._key, f"{kind}:{value}".encode(), "sha256").hex()[:32]  # 128 bits

    def customer_key(self, customer: Customer) -> str:
        """Prefer the source's customer id, then the email address, then the phone number."""
        if customer.id:
            return self.digest("id", customer.id)
        if customer.email:
            return self.digest("email", customer.email.lower())
        assert customer.phone is not None  # the model requires one of the three
        return self.digest("phone", customer.phone)


DUE_SHARDS = 1  # partitions per kind of work in the due index; raise it past ~500 cases a second


def due_partition(kind: str, case_id: str) -> str:
    """The sparse due index partition for a case's scheduled work (`alert`, `ack`, ...)."""
    shard = int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % DUE_SHARDS
    return shard_partition(kind, shard)


def shard_partition(kind: str, shard: int) -> str:
    """One partition of the sparse due index: `DUE#<kind>#<shard>`."""
    return f"DUE#{kind}#{shard}"
