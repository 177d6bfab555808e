"""The drill-down's filter by score: parsing `score=<type>:<value>` and matching a case's rating."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from recovery.domain.records import Case
from recovery.store.history import CaseFilter, parse_score


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("nps:0", ("nps", "0")),
        ("nps:09", ("nps", "9")),
        ("csat:5", ("csat", "5")),
        ("ces:7", ("ces", "7")),
        ("thumbs:down", ("thumbs", "down")),
        ("custom:0.3", ("custom", "0.3")),
        ("custom:1", ("custom", "1.0")),
    ],
)
def test_a_score_reads_as_the_distributions_name_it(text: str, want: tuple[str, str]) -> None:
    assert parse_score(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "nps:11",
        "stars:0",
        "csat:",
        "nps:-1",
        "nps:٣",
        "thumbs:sideways",
        "custom:1.5",
        "custom:nan",
        "x:1",
        "nps",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_score(text)


def _case(outcome: str | None, before: int, after: int | None) -> Case:
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    return Case(
        case_id="cs_1",
        feedback_pk="FB#web#r1",
        feedback_id="fb_1",
        source="web",
        status="resolved",
        priority=2,
        customer_key="k1",
        opened_at=at,
        occurred_at=at,
        ack_due_at=at,
        resolve_due_at=at,
        alert_state="sent",
        outcome=outcome,
        rating_before={"type": "nps", "value": before},
        rating_after=None if after is None else {"type": "nps", "value": after},
    )


def test_the_filter_matches_the_rating_before_or_after_of_answered_cases() -> None:
    # GIVEN a case rated 3, recovered with a 9
    answered = _case("recovered", 3, 9)
    # THEN it is behind the bar "3 before" and "9 after", and no other
    assert CaseFilter(score=("nps", "3"), when="before").accepts(answered)
    assert CaseFilter(score=("nps", "9"), when="after").accepts(answered)
    assert not CaseFilter(score=("nps", "9"), when="before").accepts(answered)
    assert not CaseFilter(score=("nps", "3"), when="after").accepts(answered)
    # AND a case that never answered is in neither distribution
    assert not CaseFilter(score=("nps", "3"), when="before").accepts(_case("no_response", 3, None))


def test_a_funnel_step_lists_only_cases_through_every_step_before_it() -> None:
    # GIVEN a resolved, recovered case that was acknowledged but never alerted (an alert that failed)
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    unalerted = replace(_case("recovered", 3, 9), acked_at=at, followup_sent_at=at)
    alerted = replace(unalerted, alerted_at=at)
    # THEN it is behind the funnel's "negative" bar only, as the funnel counts it
    assert CaseFilter(step="negative").accepts(unalerted)
    assert not CaseFilter(step="acknowledged").accepts(unalerted)
    assert not CaseFilter(step="recovered").accepts(unalerted)
    # AND once alerted, behind every bar down to "recovered"
    assert CaseFilter(step="recovered").accepts(alerted)
