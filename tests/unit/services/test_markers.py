"""Release markers: what `POST /v1/markers` accepts and refuses, with an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recovery.services.markers import BadMarker, Markers
from recovery.store.fakes import MemoryMarkers

NOW = datetime(2026, 11, 23, 10, 0, 30, 123456, tzinfo=UTC)


@pytest.fixture
def store() -> MemoryMarkers:
    return MemoryMarkers()


def test_a_full_marker_is_recorded_in_utc(store: MemoryMarkers) -> None:
    # GIVEN a deploy pipeline's marker with an offset time, tags and a note
    document = {
        "component": "checkout-service",
        "version": "v2.4.0+build.7",
        "at": "2026-11-23T10:40:00+01:00",
        "tags": ["checkout", "billing", "checkout"],
        "note": "  new payment provider ",
    }
    # WHEN it is recorded
    answer = Markers(store).record(document, NOW)
    # THEN it is stored and answered in UTC, tags once each, the note trimmed
    assert answer == {
        "id": "id0",
        "component": "checkout-service",
        "version": "v2.4.0+build.7",
        "at": "2026-11-23T09:40:00Z",
        "tags": ["checkout", "billing"],
        "note": "new payment provider",
    }
    assert store.stored[0].at == datetime(2026, 11, 23, 9, 40, tzinfo=UTC)


def test_the_time_defaults_to_now(store: MemoryMarkers) -> None:
    answer = Markers(store).record({"component": "app", "version": "5.2.0"}, NOW)
    assert answer["at"] == "2026-11-23T10:00:30Z" and answer["tags"] == [] and answer["note"] is None


@pytest.mark.parametrize(
    ("document", "pointer", "reason"),
    [
        ({"version": "1"}, "/component", "required"),
        ({"component": "", "version": "1"}, "/component", "1 to 100"),
        ({"component": "a" * 101, "version": "1"}, "/component", "1 to 100"),
        ({"component": "app\n", "version": "1"}, "/component", "printable"),
        ({"component": "app", "version": 2}, "/version", "string"),
        ({"component": "app", "version": " 1"}, "/version", "leading"),
        ({"component": "app", "version": "1", "at": "yesterday"}, "/at", "ISO 8601"),
        ({"component": "app", "version": "1", "at": "2026-11-23T09:00:00"}, "/at", "zone"),
        ({"component": "app", "version": "1", "at": "2026-11-24T10:01:00Z"}, "/at", "future"),
        ({"component": "app", "version": "1", "tags": "checkout"}, "/tags", "list"),
        ({"component": "app", "version": "1", "tags": [str(n) for n in range(21)]}, "/tags", "at most 20"),
        ({"component": "app", "version": "1", "tags": ["ok", "x" * 61]}, "/tags/1", "1 to 60"),
        ({"component": "app", "version": "1", "tags": ["ok", 3]}, "/tags/1", "string"),
        ({"component": "app", "version": "1", "note": "n" * 501}, "/note", "500"),
        ({"component": "app", "version": "1", "owner": "me"}, "/owner", "not a marker field"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    store: MemoryMarkers, document: dict[str, Any], pointer: str, reason: str
) -> None:
    # WHEN a marker with one bad field is recorded
    with pytest.raises(BadMarker) as refused:
        Markers(store).record(document, NOW)
    # THEN it is refused naming that field and why, and nothing is stored
    assert refused.value.pointer == pointer and reason in refused.value.reason
    assert store.stored == []


def test_a_body_that_is_not_an_object_is_refused(store: MemoryMarkers) -> None:
    with pytest.raises(BadMarker) as refused:
        Markers(store).record(["app"], NOW)  # type: ignore[arg-type]
    assert refused.value.pointer == "" and "object" in refused.value.reason


def test_up_to_a_day_ahead_is_accepted(store: MemoryMarkers) -> None:
    at = (NOW + timedelta(hours=23)).isoformat()
    assert Markers(store).record({"component": "app", "version": "1", "at": at}, NOW)["at"] == (
        "2026-11-24T09:00:30Z"
    )


def test_between_answers_the_dashboard_shape_oldest_first(store: MemoryMarkers) -> None:
    markers = Markers(store)
    markers.record({"component": "b", "version": "2", "at": "2026-11-23T08:00:00Z"}, NOW)
    markers.record({"component": "a", "version": "1", "at": "2026-11-23T07:00:00Z", "tags": ["x"]}, NOW)
    markers.record({"component": "c", "version": "3", "at": "2026-11-20T07:00:00Z"}, NOW)
    found = markers.between(datetime(2026, 11, 23, tzinfo=UTC), NOW)
    assert found == [
        {"component": "a", "version": "1", "at": "2026-11-23T07:00:00Z", "tags": ["x"], "note": None},
        {"component": "b", "version": "2", "at": "2026-11-23T08:00:00Z", "tags": [], "note": None},
    ]
