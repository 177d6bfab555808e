"""In-memory stores for unit tests, beside the ports they stand in for: each keeps what the real store
keeps, with the same answers (a claim succeeds once per key, markers come back oldest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from recovery.domain.records import Delivery
from recovery.store.markers import StoredMarker


class MemoryDeliveryRows:
    """`recovery.store.alerting.DeliveryRows` in memory: a row is claimed when absent or left failed."""

    def __init__(self) -> None:
        self.rows: dict[str, Delivery] = {}

    def claim_delivery(
        self, pk: str, case_id: str, level: int, channel: str, contact_id: str, kind: str, now: datetime
    ) -> Delivery | None:
        found = self.rows.get(pk)
        if found is not None and found.state != "failed":
            return None
        row = Delivery(pk, case_id, level, channel, contact_id, kind, "sending", now)
        self.rows[pk] = row
        return row

    def finish_delivery(self, row: Delivery, state: str, now: datetime, **fields: Any) -> None:
        changes = {name: value for name, value in fields.items() if value is not None}
        self.rows[row.key] = replace(self.rows[row.key], state=state, updated_at=now, **changes)


class MemoryMarkers:
    """`recovery.store.markers.MarkerRecords` in memory; ids count up from `id0`."""

    def __init__(self) -> None:
        self.stored: list[StoredMarker] = []

    def put(
        self,
        component: str,
        version: str,
        at: datetime,
        tags: Sequence[str],
        note: str | None,
        now: datetime,
    ) -> StoredMarker:
        marker = StoredMarker(f"id{len(self.stored)}", component, version, at, tuple(tags), note)
        self.stored.append(marker)
        return marker

    def between(self, start: datetime, end: datetime) -> list[StoredMarker]:
        return sorted((m for m in self.stored if start <= m.at <= end), key=lambda m: m.at)
