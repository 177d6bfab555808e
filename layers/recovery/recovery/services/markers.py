"""Release and change markers: a deploy pipeline records that a component went out at a version, charts
draw them, and an anomaly in a tag or component soon after one names it as the likely cause.

`record` validates the document from `POST /v1/markers` whole and refuses the first bad field with
`BadMarker(pointer, reason)` (a JSON Pointer such as `/tags/2`), which the API answers as a 400 problem
document.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery import clock
from recovery.store.markers import MarkerRecords, StoredMarker

NAME_MAX = 100
TAGS_MAX = 20
TAG_MAX = 60
NOTE_MAX = 500
FUTURE_LIMIT = timedelta(days=1)  # a marker may be announced ahead of a deploy, not further
FIELDS = frozenset({"component", "version", "at", "tags", "note"})


class BadMarker(ValueError):
    """A marker refused; `pointer` names the field (`/version`), `reason` says what is wrong."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer or '/'}: {reason}")
        self.pointer = pointer
        self.reason = reason


def _text(document: Mapping[str, Any], name: str, longest: int) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise BadMarker(f"/{name}", "required, a string")
    return _checked(value, f"/{name}", longest)


def _checked(value: str, pointer: str, longest: int) -> str:
    if not 1 <= len(value) <= longest:
        raise BadMarker(pointer, f"must be 1 to {longest} characters")
    if not value.isprintable() or value != value.strip():
        raise BadMarker(pointer, "only printable characters, with no leading or trailing space")
    return value


def _at(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise BadMarker("/at", "an ISO 8601 time with a zone, such as 2026-11-23T09:00:00Z")
    try:
        at = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadMarker("/at", "an ISO 8601 time with a zone, such as 2026-11-23T09:00:00Z") from error
    if at.tzinfo is None or at.utcoffset() is None:
        raise BadMarker("/at", "needs a zone (Z or an offset such as +01:00)")
    at = at.astimezone(UTC).replace(microsecond=0)
    if at > now + FUTURE_LIMIT:
        raise BadMarker("/at", "more than a day in the future")
    return at


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadMarker("/tags", "a list of strings")
    if len(value) > TAGS_MAX:
        raise BadMarker("/tags", f"at most {TAGS_MAX} tags")
    tags: list[str] = []
    for index, tag in enumerate(value):
        if not isinstance(tag, str):
            raise BadMarker(f"/tags/{index}", "a string")
        tags.append(_checked(tag, f"/tags/{index}", TAG_MAX))
    return list(dict.fromkeys(tags))  # each once, in the order given


def _note(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadMarker("/note", "a string")
    if len(value) > NOTE_MAX:
        raise BadMarker("/note", f"at most {NOTE_MAX} characters")
    return value.strip() or None


def document_of(marker: StoredMarker) -> dict[str, Any]:
    """A marker as the reports and the dashboard show it."""
    return {
        "component": marker.component,
        "version": marker.version,
        "at": clock.iso(marker.at),
        "tags": list(marker.tags),
        "note": marker.note,
    }


class Markers:
    def __init__(self, store: MarkerRecords) -> None:
        self._store = store

    def record(self, document: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Validate and store one marker; answers it with its `id`. Raises BadMarker on bad input."""
        if not isinstance(document, dict):
            raise BadMarker("", "a JSON object")
        unknown = sorted(set(document) - FIELDS)
        if unknown:
            raise BadMarker(f"/{unknown[0]}", "not a marker field (component, version, at, tags, note)")
        component = _text(document, "component", NAME_MAX)
        version = _text(document, "version", NAME_MAX)
        at = _at(document.get("at"), now.astimezone(UTC).replace(microsecond=0))
        tags = _tags(document.get("tags"))
        note = _note(document.get("note"))
        stored = self._store.put(component, version, at, tags, note, now)
        return {"id": stored.marker_id, **document_of(stored)}

    def between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The markers from `start` to `end` (inclusive), oldest first."""
        return [document_of(marker) for marker in self.stored_between(start, end)]

    def stored_between(self, start: datetime, end: datetime) -> list[StoredMarker]:
        return self._store.between(start, end)
