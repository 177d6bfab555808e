"""A survey-tool source as stored, as the store hands it to the flows: frozen, with the stored names.

Apart from `domain.records` on purpose: intake reads a source on every request, and this one small
class is all it needs of stored records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoredSource:
    """`CFG#SOURCE#<id>`: keys as hashes, the webhook secret, the connector spec and page settings, and
    what a rotation keeps valid for its window. `updated_at` is what a rotation is conditional on."""

    source_id: str
    name: str
    updated_at: datetime | None
    key_hashes: tuple[str, ...] = ()
    webhook_secret: str | None = None
    thresholds: dict[str, Any] | None = None
    enabled: bool = True
    page: dict[str, Any] | None = None
    spec: dict[str, Any] | None = None
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    previous_key_hashes: tuple[str, ...] = field(default=())
    previous_keys_until: datetime | None = None


@dataclass(frozen=True)
class SourceListing:
    """One row of the sources' listing: enough to name a source and its preset."""

    source_id: str
    name: str
    preset: str | None
