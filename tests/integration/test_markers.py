"""Release markers in the table (moto): stored under one partition, a time range read with one Query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.client import BaseClient

from recovery.services.markers import BadMarker, Markers
from recovery.store.markers import MarkerStore
from recovery.store.models import MarkerItem, dynamodb_client
from recovery.wiring.reports import build_markers
from tests.support import Stack

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def count_calls(client: BaseClient, calls: list[str]) -> None:
    def record(model: Any, params: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("provide-client-params.dynamodb.*", record)


def test_a_range_of_markers_is_one_query(stack: Stack) -> None:
    # GIVEN markers on both sides of a range, two in the same second
    markers = Markers(MarkerStore())
    for component, at in [
        ("before", "2026-11-23T05:59:59Z"),
        ("first", "2026-11-23T06:00:00Z"),
        ("same-second-a", "2026-11-23T09:30:00Z"),
        ("same-second-b", "2026-11-23T09:30:00Z"),
        ("last", "2026-11-23T10:00:00Z"),
        ("after", "2026-11-23T10:00:01Z"),
    ]:
        markers.record({"component": component, "version": "1.0", "at": at}, NOW)
    calls: list[str] = []
    count_calls(dynamodb_client(), calls)
    # WHEN the range 06:00 to 10:00 is read
    found = markers.between(datetime(2026, 11, 23, 6, tzinfo=UTC), NOW)
    # THEN it holds exactly the markers inside, oldest first, read by one Query
    assert found[0]["component"] == "first"
    assert sorted(marker["component"] for marker in found) == [
        "first",
        "last",
        "same-second-a",
        "same-second-b",
    ]
    assert found[-1]["component"] == "last"
    assert calls == ["Query"]


def test_the_item_is_keyed_by_time_and_id(stack: Stack) -> None:
    answer = build_markers().record({"component": "app", "version": "5.2.0", "tags": ["app"]}, NOW)
    item = MarkerItem.get("MARKER", f"2026-11-23T10:00:00Z#{answer['id']}")
    assert (item.component, item.version, item.tags, item.at) == ("app", "5.2.0", ["app"], NOW)


def test_a_refused_marker_writes_nothing(stack: Stack) -> None:
    markers = Markers(MarkerStore())
    with pytest.raises(BadMarker):
        markers.record({"component": "app", "version": "1", "at": "soon"}, NOW)
    assert markers.between(datetime(2026, 1, 1, tzinfo=UTC), NOW) == []
