"""Counter deltas and domain events derived from table changes (no AWS)."""

from __future__ import annotations

from recovery.domain.changes import Change, counter_deltas, domain_events

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


TEAM_HOUR = ("emea", "2026-11-22T10")


def test_insert_counts_the_team_and_every_group_once() -> None:
    deltas = counter_deltas([change("INSERT", None, FB)])
    assert deltas == {
        TEAM_HOUR: {
            "volume": 1,
            "volume|agent|none": 1,
            "volume|channel|chat": 1,
            "volume|source|web": 1,
        }
    }


def test_modify_applies_only_the_difference() -> None:
    worse = {**FB, "verdict": "negative", "content_hash": "b"}
    deltas = counter_deltas([change("MODIFY", FB, worse)])
    assert {name: n for name, n in deltas[TEAM_HOUR].items() if "|" not in name} == {"negatives": 1}


def test_a_response_that_opens_a_case_is_counted_by_its_case() -> None:
    # GIVEN a response that becomes negative and opens a case, in the same batch as the case
    worse = {**FB, "verdict": "negative", "case_id": "cs_1", "content_hash": "b"}
    opened = {**CASE, "team": "emea", "channel": "chat", "source": "web", "occurred_at": FB["occurred_at"]}
    deltas = counter_deltas([change("MODIFY", FB, worse), case_change(None, opened)])
    # THEN the response moves from the feedback's counters to the case's: counted once, same team
    whole = {name: n for name, n in deltas[TEAM_HOUR].items() if "|" not in name}
    assert whole == {"negatives": 1, "cases": 1, "opened": 1}


def test_a_case_routed_by_its_alert_takes_its_negative_along() -> None:
    # GIVEN an unrouted case (its response named no team) WHEN its first alert routes it to "nordic"
    opened = {**CASE, "team": None, "occurred_at": FB["occurred_at"], "opened_at": FB["occurred_at"]}
    alerted = {**opened, "team": "nordic", "alerted_at": "2026-11-22T10:15:12+00:00"}
    deltas = counter_deltas([case_change(opened, alerted)])
    # THEN volume, negative, case and alert all leave "unrouted" and count for "nordic"
    unrouted = {n: v for n, v in deltas[("unrouted", "2026-11-22T10")].items() if "|" not in n}
    nordic = {n: v for n, v in deltas[("nordic", "2026-11-22T10")].items() if "|" not in n}
    assert unrouted == {"volume": -1, "negatives": -1, "cases": -1, "opened": -1}
    assert nordic["negatives"] == 1 and nordic["alerted"] == 1 and nordic["funnel_alerted"] == 1


def test_held_counts_nothing_until_scored() -> None:
    held = {**FB, "status": "held", "verdict": None}
    assert counter_deltas([change("INSERT", None, held)]) == {}
    assert counter_deltas([change("MODIFY", held, FB)])[TEAM_HOUR]["volume"] == 1


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
    assert (
        counter_deltas([change("INSERT", None, FB), change("MODIFY", FB, erased)])[TEAM_HOUR]["volume"] == 1
    )


CASE = {"pk": "CASE#cs_1", "sk": "CASE", "case_id": "cs_1", "priority": 2, "status": "open"}


def case_change(old: dict | None, new: dict, event_id: str = "e-case") -> Change:
    return Change(event_id, "MODIFY" if old else "INSERT", "CASE#cs_1", old, new)  # type: ignore[arg-type]


def test_acknowledging_a_case_publishes_case_acknowledged_once() -> None:
    # GIVEN an open case WHEN a lead acknowledges it
    acked = {**CASE, "status": "acknowledged", "acked_by": "kari"}
    events = domain_events([case_change(CASE, acked)])
    # THEN one CaseAcknowledged naming the previous status
    assert [e.detail_type for e in events] == ["CaseAcknowledged"]
    assert events[0].detail["case_id"] == "cs_1"
    assert events[0].detail["previous_status"] == "open"


def test_resolving_publishes_case_resolved_and_a_reopen_stays_a_status_change() -> None:
    # GIVEN an acknowledged case
    acked = {**CASE, "status": "acknowledged"}
    resolved = {**CASE, "status": "resolved"}
    # WHEN it is resolved, and later reopened
    resolving = domain_events([case_change(acked, resolved)])
    reopening = domain_events([case_change(resolved, {**CASE, "status": "open"})])
    # THEN CaseResolved, then CaseStatusChanged (no integration event for a reopen)
    assert [e.detail_type for e in resolving] == ["CaseResolved"]
    assert [e.detail_type for e in reopening] == ["CaseStatusChanged"]


def test_outcome_recovered_publishes_case_recovered_only_when_it_becomes_recovered() -> None:
    # GIVEN a resolved case
    resolved = {**CASE, "status": "resolved"}
    recovered = {**resolved, "outcome": "recovered", "rating_after": {"type": "nps", "value": 9}}
    # WHEN the follow-up answer makes the outcome recovered, then the case is rewritten unchanged
    first = domain_events([case_change(resolved, recovered)])
    again = domain_events([case_change(recovered, {**recovered, "version": 9})])
    improved = domain_events([case_change(resolved, {**resolved, "outcome": "improved"})])
    # THEN one CaseRecovered, nothing for the rewrite, nothing for another outcome
    assert [e.detail_type for e in first] == ["CaseRecovered"]
    assert first[0].detail["outcome"] == "recovered"
    assert again == []
    assert improved == []


def test_case_events_carry_no_personal_data() -> None:
    # GIVEN a case image holding contact data and free text
    personal = {
        **CASE,
        "status": "acknowledged",
        "customer_key": "c-42",
        "resolution": {"summary": "Called Ada at +4791234567"},
        "owner": "kari",
    }
    # WHEN it is acknowledged
    (event,) = domain_events([case_change(CASE, personal)])
    # THEN the detail holds ids and routing fields only
    flat = repr(event.detail)
    assert "Ada" not in flat and "+4791234567" not in flat and "c-42" not in flat
