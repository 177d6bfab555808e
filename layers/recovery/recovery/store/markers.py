"""Release and change markers in the table: one partition, sorted by time.

| item   | pk     | sk                           |
|--------|--------|------------------------------|
| marker | MARKER | <at, ISO UTC to the second>#<random id> |

A time range is one Query on that partition (all pages); the random id keeps two markers of the same
second apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recovery import clock
from recovery.store.errors import transient_as_domain
from recovery.store.models import MarkerItem

PK = "MARKER"


@dataclass(frozen=True)
class StoredMarker:
    marker_id: str
    component: str
    version: str
    at: datetime
    tags: tuple[str, ...]
    note: str | None


def _stored(item: MarkerItem) -> StoredMarker:
    return StoredMarker(
        item.marker_id, item.component, item.version, item.at, tuple(item.tags or ()), item.note
    )


class MarkerRecords(Protocol):
    """What the markers service keeps markers in: `MarkerStore`, or `store.fakes.MemoryMarkers`."""

    def put(
        self, component: str, version: str, at: datetime, tags: Sequence[str], note: str | None, now: datetime
    ) -> StoredMarker: ...

    def between(self, start: datetime, end: datetime) -> list[StoredMarker]: ...


class MarkerStore:
    def put(
        self,
        component: str,
        version: str,
        at: datetime,
        tags: Sequence[str],
        note: str | None,
        now: datetime,
    ) -> StoredMarker:
        marker_id = secrets.token_hex(8)
        item = MarkerItem(
            PK,
            f"{clock.iso(at)}#{marker_id}",
            marker_id=marker_id,
            component=component,
            version=version,
            at=at,
            tags=list(tags),
            note=note,
            recorded_at=now,
        )
        with transient_as_domain():
            item.save(condition=MarkerItem.sk.does_not_exist())
        return _stored(item)

    def between(self, start: datetime, end: datetime) -> list[StoredMarker]:
        """Markers with `start <= at <= end` (to the second), oldest first: one Query, every page."""
        # "~" sorts after "#" and every id character, so markers of the last second are included.
        condition = MarkerItem.sk.between(clock.iso(start), clock.iso(end) + "~")
        with transient_as_domain():
            return [_stored(item) for item in MarkerItem.query(PK, condition)]
