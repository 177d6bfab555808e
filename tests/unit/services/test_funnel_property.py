"""The dashboard's funnel never widens: over any sequence of feedback and case changes, counted record
by record as the stream function counts them, no funnel step outnumbers the step before it, for any
team, and the negatives are at least the cases (no AWS)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.changes import Change, counter_deltas
from recovery.services.reports import FUNNEL

TEAMS = (None, "emea", "nordic")
AT = "2026-11-22T10:15:00+00:00"
LATER = "2026-11-22T10:16:00+00:00"

# (operation, response 0..2, team or verdict or outcome)
steps = st.lists(
    st.tuples(
        st.sampled_from(["ingest", "update", "alert", "ack", "resolve", "reopen", "follow_up", "answer"]),
        st.integers(0, 2),
        st.sampled_from([None, "emea", "nordic", "negative", "positive", "recovered", "improved", "none"]),
    ),
    max_size=30,
)


class World:
    """Feedback and case images as the table holds them, and the counters every change moved."""

    def __init__(self) -> None:
        self.feedback: dict[int, dict[str, Any]] = {}
        self.cases: dict[int, dict[str, Any]] = {}
        self.counters: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def _count(self, kind: str, key: int, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        pk = f"FB#web#r{key}" if kind == "FB" else f"CASE#cs_{key}"
        name = "MODIFY" if old else "INSERT"
        for (team, _hour), counts in counter_deltas([Change("e", name, pk, old, new)]).items():  # type: ignore[arg-type]
            for counter, amount in counts.items():
                self.counters[team][counter] += int(amount)

    def _feedback(self, key: int, new: dict[str, Any]) -> None:
        old = self.feedback.get(key)
        self.feedback[key] = new
        self._count("FB", key, old, new)

    def _case(self, key: int, **changes: Any) -> None:
        old = self.cases[key]
        self.cases[key] = {**old, **changes}
        self._count("CASE", key, old, self.cases[key])

    def _open(self, key: int, feedback: dict[str, Any]) -> None:
        # the feedback and its case are committed in one transaction, two stream records
        self._feedback(key, {**feedback, "case_id": f"cs_{key}"})
        case = {
            "pk": f"CASE#cs_{key}",
            "sk": "CASE",
            "case_id": f"cs_{key}",
            "status": "open",
            "team": feedback["team"],
            "source": "web",
            "occurred_at": AT,
            "opened_at": AT,
            "level": 1,
        }
        self.cases[key] = case
        self._count("CASE", key, None, case)

    def apply(self, operation: str, key: int, value: str | None) -> None:
        case = self.cases.get(key)
        status = case["status"] if case else None
        if operation in ("ingest", "update"):
            if (key in self.feedback) != (operation == "update"):
                return
            negative = value == "negative" or (operation == "ingest" and value in TEAMS)
            team = self.feedback[key]["team"] if key in self.feedback else value if value in TEAMS else None
            feedback = {
                "pk": f"FB#web#r{key}",
                "sk": "FB",
                "status": "scored",
                "verdict": "negative" if negative else "positive",
                "occurred_at": AT,
                "team": team,
                "source": "web",
                "case_id": case["case_id"] if case else None,
                "content_hash": f"{operation}-{value}",
            }
            if negative and case is None:
                self._open(key, feedback)
            else:
                self._feedback(key, feedback)
        elif case is None:
            return
        elif operation == "alert" and status == "open" and value in ("emea", "nordic"):
            # the first alert routes the case (a rule may pick another team than the response named)
            self._case(key, team=value, alerted_at=LATER)
        elif operation == "ack" and status == "open":  # a lead may acknowledge before any alert went
            self._case(key, status="acknowledged", acked_at=LATER)
        elif operation == "resolve" and status == "acknowledged":
            self._case(key, status="resolved", resolved_at=LATER)
        elif operation == "reopen" and status == "resolved":
            self._case(key, status="acknowledged", resolved_at=None)
        elif operation == "follow_up" and status == "resolved":
            self._case(key, followup_sent_at=LATER)
        elif operation == "answer" and case.get("followup_sent_at") and value in ("recovered", "improved"):
            self._case(key, outcome=value)


def funnel(counts: dict[str, int]) -> list[int]:
    return [counts.get(counter, 0) for _, counter in FUNNEL]


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_funnel_never_widens(sequence: list[tuple[str, int, str | None]]) -> None:
    world = World()
    for operation, key, value in sequence:
        world.apply(operation, key, value)
        everyone: dict[str, int] = defaultdict(int)
        for counts in world.counters.values():
            for counter, amount in counts.items():
                everyone[counter] += amount
        for name, counts in [*world.counters.items(), ("all", everyone)]:
            steps_counted = funnel(counts)
            assert all(n >= 0 for n in steps_counted), (name, steps_counted)
            assert steps_counted == sorted(steps_counted, reverse=True), (name, steps_counted)
            assert counts.get("negatives", 0) >= counts.get("cases", 0) >= counts.get(FUNNEL[1][1], 0)
            assert counts.get("volume", 0) >= counts.get("negatives", 0)


def test_a_case_routed_by_a_rule_counts_its_negative_for_that_team() -> None:
    # GIVEN a negative naming no team, WHEN a rule routes its case to "nordic" at the first alert
    world = World()
    world.apply("ingest", 0, None)
    world.apply("alert", 0, "nordic")
    # THEN "nordic" has the negative and the alert, and "unrouted" keeps nothing
    assert funnel(world.counters["nordic"])[:2] == [1, 1]
    assert not any(world.counters["unrouted"].values())
