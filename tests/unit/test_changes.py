"""Counter deltas and domain events derived from table changes (no AWS)."""

from __future__ import annotations

from recovery.domain.changes import Change, CounterKey, counter_deltas, domain_events

FB = {
    "pk": "FB#web#r1",
    "sk": "FB",
    "status": "scored",
    "verdict": "positive",
    "occurred_at": "2026-11-22T10:15:00.000000+0000",
    "team": "emea",
    "channel": "chat",
    "source": "web",
    "content_hash": "a",
    "feedback_id": "fb_1",
}


def change(name: str, old: dict | None, new: dict | None, event_id: str = "e1") -> Change:
    return Change(event_id, name, "FB#web#r1", old, new)  # type: ignore[arg-type]


def test_insert_counts_every_dimension_once() -> None:
    deltas = counter_deltas([change("INSERT", None, FB)])
    hour = "2026-11-22T10"
    assert deltas == {
        CounterKey("all", "all", hour): {"volume": 1},
        CounterKey("channel", "chat", hour): {"volume": 1},
        CounterKey("source", "web", hour): {"volume": 1},
        CounterKey("team", "emea", hour): {"volume": 1},
    }


def test_modify_applies_only_the_difference() -> None:
    worse = {**FB, "verdict": "negative", "case_id": "cs_1", "content_hash": "b"}
    deltas = counter_deltas([change("MODIFY", FB, worse)])
    assert deltas[CounterKey("team", "emea", "2026-11-22T10")] == {"cases": 1, "negatives": 1}


def test_held_counts_nothing_until_scored() -> None:
    held = {**FB, "status": "held", "verdict": None}
    assert counter_deltas([change("INSERT", None, held)]) == {}
    assert counter_deltas([change("MODIFY", held, FB)])[CounterKey("all", "all", "2026-11-22T10")] == {
        "volume": 1
    }


def test_unchanged_rewrite_moves_nothing_and_publishes_nothing() -> None:
    assert counter_deltas([change("MODIFY", FB, dict(FB))]) == {}
    assert domain_events([change("MODIFY", FB, dict(FB))]) == []


def test_feedback_events_are_grouped_case_events_are_not() -> None:
    case = {"pk": "CASE#cs_1", "sk": "CASE", "case_id": "cs_1", "priority": 2, "status": "open"}
    changes = [change("INSERT", None, {**FB, "feedback_id": f"fb_{i}"}, f"e{i}") for i in range(150)]
    changes.append(Change("e-case", "INSERT", "CASE#cs_1", None, case))
    events = domain_events(changes)
    assert [e.detail_type for e in events] == ["CaseOpened", "FeedbackReceived", "FeedbackReceived"]
    assert [len(e.detail["feedback"]) for e in events[1:]] == [100, 50]
    assert events[0].detail["priority"] == "P2"


def test_retention_expiry_keeps_what_was_counted() -> None:
    # GIVEN counted feedback WHEN TTL removes it after the retention period THEN counters stay
    assert counter_deltas([change("REMOVE", FB, None)]) == {}
    # while an insert and an erasure's in-place rewrite in the same batch still count once
    erased = {**FB, "detail": "{}"}
    assert counter_deltas([change("INSERT", None, FB), change("MODIFY", FB, erased)])[
        CounterKey("all", "all", "2026-11-22T10")
    ] == {"volume": 1}
