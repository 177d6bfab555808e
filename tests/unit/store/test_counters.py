"""Counters v2: what feedback and case images contribute, counter names, and how a batch is planned
into transactions (no AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from recovery.domain.changes import Change, counter_deltas
from recovery.store.counters import (
    CHUNK,
    TRANSACTION_LIMIT,
    Counted,
    counter_name,
    minute_of,
    parse_name,
    plan,
    plan_parts,
)

HOUR = "2026-11-22T10"
TEAM_HOUR = ("emea", HOUR)
FB: dict[str, Any] = {
    "pk": "FB#web#r1",
    "sk": "FB",
    "status": "scored",
    "verdict": "negative",
    "case_id": "cs_1",
    "occurred_at": "2026-11-22T10:15:00.000000+0000",
    "team": "emea",
    "channel": "chat",
    "agent": "mark",
    "source": "web",
    "detail": json.dumps({"tags": ["wait-time", "a|b[0].c"]}),
}
CASE: dict[str, Any] = {
    "pk": "CASE#cs_1",
    "sk": "CASE",
    "case_id": "cs_1",
    "status": "open",
    "team": "emea",
    "channel": "chat",
    "agent": "mark",
    "source": "web",
    "tags": ["wait-time"],
    "repeat_failure": False,
    "sla_breached": False,
    "occurred_at": "2026-11-22T10:15:00.000000+0000",
    "opened_at": "2026-11-22T10:16:00.000000+0000",
    "ack_due_at": "2026-11-22T10:31:00.000000+0000",
    "level": 1,
    "resolve_due_at": "2026-11-23T10:16:00.000000+0000",
    "compensations": "[]",
}


def fb(old: dict[str, Any] | None, new: dict[str, Any] | None, name: str = "") -> Change:
    kind = name or ("MODIFY" if old and new else "INSERT" if new else "REMOVE")
    return Change("e1", kind, "FB#web#r1", old, new)  # type: ignore[arg-type]


def case(old: dict[str, Any] | None, new: dict[str, Any] | None, name: str = "") -> Change:
    kind = name or ("MODIFY" if old and new else "INSERT" if new else "REMOVE")
    return Change("e2", kind, "CASE#cs_1", old, new)  # type: ignore[arg-type]


def team_totals(changes: list[Change]) -> dict[str, Any]:
    """The whole-team counters (no group) a batch moves."""
    return {name: n for name, n in counter_deltas(changes).get(TEAM_HOUR, {}).items() if "|" not in name}


# --- names ----------------------------------------------------------------------------------------


def test_odd_tag_values_are_quoted_and_parse_back() -> None:
    # GIVEN a tag with the characters a name or a document path would split on
    odd = "a|b[0].c"
    # WHEN named and parsed
    name = counter_name("volume", "tag", odd)
    # THEN no raw `|`, `[` or `]` is in the value part, and parsing gives the tag back
    assert name == "volume|tag|a%7Cb%5B0%5D.c"
    assert parse_name(name) == ("volume", "tag", odd)
    assert parse_name("comp:EUR") == ("comp:EUR", None, None)
    assert counter_name("comp_n", "comptype", "refund") == "comp_n|comptype|refund"


# --- feedback metrics -----------------------------------------------------------------------------


def test_feedback_counts_the_team_and_each_group() -> None:
    # GIVEN a scored negative without a case, with an agent and two tags WHEN inserted
    deltas = counter_deltas([fb(None, {**FB, "case_id": None})])
    # THEN each metric counts once for the team and once per group, the odd tag quoted
    counts = deltas[TEAM_HOUR]
    for metric in ("volume", "negatives"):
        assert counts[metric] == 1
        for group in ("agent|mark", "channel|chat", "source|web", "tag|wait-time", "tag|a%7Cb%5B0%5D.c"):
            assert counts[f"{metric}|{group}"] == 1
    assert len(counts) == 2 * 6


def test_feedback_with_a_case_is_counted_by_the_case() -> None:
    # GIVEN a negative that opened a case WHEN the feedback is inserted THEN it counts nothing itself
    assert counter_deltas([fb(None, FB)]) == {}
    # AND its case counts volume, negative and case, under the case's team and groups
    deltas = counter_deltas([fb(None, FB), case(None, CASE)])[TEAM_HOUR]
    for metric in ("volume", "negatives", "cases", "opened"):
        assert deltas[metric] == 1
        assert deltas[f"{metric}|agent|mark"] == 1
        assert deltas[f"{metric}|tag|wait-time"] == 1


def test_feedback_without_team_agent_or_tags_is_unrouted_and_none() -> None:
    # GIVEN a positive with no team, agent, channel or tags
    bare = {**FB, "verdict": "positive", "case_id": None, "team": None, "agent": None, "channel": None}
    bare["detail"] = "{}"
    # WHEN inserted THEN it counts under `unrouted`, grouped by `none`, with no tag group
    assert counter_deltas([fb(None, bare)]) == {
        ("unrouted", HOUR): {
            "volume": 1,
            "volume|agent|none": 1,
            "volume|channel|none": 1,
            "volume|source|web": 1,
        }
    }


def test_feedback_update_moves_the_difference_and_removal_counts_nothing() -> None:
    # GIVEN a positive that becomes a negative with a case
    positive = {**FB, "verdict": "positive", "case_id": None}
    # WHEN modified THEN the feedback's own counts move to its case
    assert team_totals([fb(positive, FB)]) == {"volume": -1}
    assert team_totals([fb(positive, FB), case(None, CASE)]) == {
        "negatives": 1,
        "cases": 1,
        "opened": 1,
    }
    # AND a REMOVE (retention TTL) moves nothing
    assert counter_deltas([fb(FB, None)]) == {}


# --- case metrics ---------------------------------------------------------------------------------


def test_new_case_counts_opened_and_repeats() -> None:
    # GIVEN a new repeat-failure case WHEN inserted THEN opened and repeats count, per group too
    deltas = counter_deltas([case(None, {**CASE, "repeat_failure": True})])
    assert team_totals([case(None, {**CASE, "repeat_failure": True})]) == {
        "volume": 1,
        "negatives": 1,
        "cases": 1,
        "opened": 1,
        "repeats": 1,
    }
    assert deltas[TEAM_HOUR]["opened|tag|wait-time"] == 1
    assert deltas[TEAM_HOUR]["repeats|agent|mark"] == 1


def test_ack_then_resolve_then_reopen_moves_only_the_differences() -> None:
    # GIVEN a case alerted after 20 s
    opened = CASE
    alerted = {**opened, "alerted_at": "2026-11-22T10:16:20.000000+0000"}
    acked = {**alerted, "status": "acknowledged", "acked_at": "2026-11-22T10:21:00.000000+0000"}
    resolved = {
        **acked,
        "status": "resolved",
        "resolved_at": "2026-11-22T12:00:00.000000+0000",
        "resolution": json.dumps({"root_cause": "staffing", "summary": "x"}),
    }
    reopened = {**resolved, "status": "acknowledged", "resolved_at": None}

    # WHEN each step arrives as a MODIFY
    # THEN the alert counts with its bucket (20 s -> 30), the ack with its bucket (300 s) and in SLA
    # (each with its funnel stage)
    assert team_totals([case(opened, alerted)]) == {"alerted": 1, "alert_s:30": 1, "funnel_alerted": 1}
    assert team_totals([case(alerted, acked)]) == {
        "acked": 1,
        "ack_s:300": 1,
        "ack_in_sla": 1,
        "funnel_acked": 1,
    }
    # the resolve (1 h 44 min -> 7200) within its due time, under its root cause too
    assert team_totals([case(acked, resolved)]) == {
        "resolved": 1,
        "resolve_s:7200": 1,
        "resolve_in_sla": 1,
        "funnel_resolved": 1,
    }
    assert counter_deltas([case(acked, resolved)])[TEAM_HOUR]["resolved|cause|staffing"] == 1
    # and a reopen takes back exactly what the resolve added, cause group included
    back = counter_deltas([case(resolved, reopened)])[TEAM_HOUR]
    assert {name: n for name, n in back.items() if "|" not in name} == {
        "resolved": -1,
        "resolve_s:7200": -1,
        "resolve_in_sla": -1,
        "funnel_resolved": -1,
    }
    assert back["resolved|cause|staffing"] == -1
    assert counter_deltas([case(opened, alerted), case(alerted, acked), case(acked, resolved)]) == (
        counter_deltas([case(opened, resolved)])
    )


def test_breached_and_late_cases_count_outside_the_sla() -> None:
    # GIVEN a case acknowledged after its SLA breached and resolved after its due time
    late = {
        **CASE,
        "status": "resolved",
        "sla_breached": True,
        "acked_at": "2026-11-23T10:16:00.000000+0000",
        "resolved_at": "2026-11-25T11:00:00.000000+0000",
    }
    # WHEN inserted THEN acked and resolved count, neither in SLA; 3 days falls in the open bucket
    # (never alerted, it is in no funnel stage after the negative)
    assert team_totals([case(None, late)]) == {
        "volume": 1,
        "negatives": 1,
        "cases": 1,
        "opened": 1,
        "acked": 1,
        "ack_s:86400": 1,
        "resolved": 1,
        "resolve_s:inf": 1,
    }


def test_an_ack_counts_in_sla_only_by_the_first_deadline() -> None:
    # GIVEN acks just before and just after the team's deadline, and one after an escalation
    on_time = {**CASE, "status": "acknowledged", "acked_at": "2026-11-22T10:31:00.000000+0000"}
    late = {**on_time, "acked_at": "2026-11-22T10:31:30.000000+0000"}  # before the sweep escalated
    escalated = {**on_time, "level": 2, "ack_due_at": "2026-11-22T10:46:00.000000+0000"}
    # WHEN inserted THEN only the first counts in SLA
    assert team_totals([case(None, on_time)])["ack_in_sla"] == 1
    assert "ack_in_sla" not in team_totals([case(None, late)])
    assert "ack_in_sla" not in team_totals([case(None, escalated)])


def test_followup_outcome_and_score_distributions() -> None:
    # GIVEN a resolved case whose follow-up was sent
    resolved = {**CASE, "status": "resolved", "resolved_at": "2026-11-22T11:00:00.000000+0000"}
    sent = {**resolved, "followup_sent_at": "2026-11-25T09:00:00.000000+0000"}
    recovered = {
        **sent,
        "outcome": "recovered",
        "rating_before": json.dumps({"type": "nps", "value": 3}),
        "rating_after": json.dumps({"type": "nps", "value": 9}),
    }
    improved = {
        **sent,
        "outcome": "improved",
        "rating_before": {"type": "custom", "value": 2, "min": 0, "max": 10, "higher_is_better": False},
        "rating_after": {"type": "thumbs", "value": "up"},
    }
    silent = {**sent, "outcome": "no_response", "rating_before": json.dumps({"type": "nps", "value": 3})}

    # WHEN the follow-up is sent and then answered
    assert team_totals([case(resolved, sent)]) == {"followup_sent": 1}
    # THEN a recovery counts answered, recovered and both score distributions, also among the recovered
    assert team_totals([case(sent, recovered)]) == {
        "answered": 1,
        "recovered": 1,
        "before:nps:3": 1,
        "after:nps:9": 1,
        "rbefore:nps:3": 1,
        "rafter:nps:9": 1,
    }
    # an improvement has no r-distribution; custom scores count by position (1 - 0.2) to one decimal
    assert team_totals([case(sent, improved)]) == {
        "answered": 1,
        "improved": 1,
        "before:custom:0.8": 1,
        "after:thumbs:up": 1,
    }
    # no response is no answer: no distributions
    assert team_totals([case(sent, silent)]) == {"no_response": 1}


def test_compensation_is_exact_per_currency_and_type() -> None:
    # GIVEN compensations in two currencies; one pending, one declined
    given = [
        {"type": "refund", "amount": "12.50", "currency": "EUR", "status": "granted"},
        {"type": "gift", "amount": "0.10", "currency": "EUR", "status": "approved"},
        {"type": "refund", "amount": "0.20", "currency": "EUR", "status": "granted"},
        {"type": "refund", "amount": "500", "currency": "NOK", "status": "granted"},
        {"type": "refund", "amount": "99", "currency": "EUR", "status": "pending"},
        {"type": "credit", "amount": "7", "currency": "EUR", "status": "declined"},
    ]
    before = {**CASE, "compensations": json.dumps(given[:1])}
    after = {**CASE, "compensations": json.dumps(given)}
    # WHEN the case moves from one compensation to all of them
    deltas = counter_deltas([case(before, after)])[TEAM_HOUR]
    # THEN only given ones count, as exact Decimals, per currency, per type, and in the usual groups
    assert team_totals([case(before, after)]) == {
        "comp:EUR": Decimal("0.30"),
        "comp:NOK": Decimal("500"),
        "comp_n": 3,
    }
    assert deltas["comp:EUR|comptype|gift"] == Decimal("0.10")
    assert deltas["comp:EUR|comptype|refund"] == Decimal("0.20")
    assert deltas["comp_n|comptype|refund"] == 2
    assert deltas["comp:NOK|tag|wait-time"] == Decimal("500")
    assert "comp:EUR|comptype|credit" not in deltas
    # and comptype groups only the compensation metrics
    assert not [name for name in deltas if "|comptype|" in name and not name.startswith("comp")]


def test_case_metrics_count_under_the_hour_of_the_interaction() -> None:
    # GIVEN a case opened at 10:16 for an interaction at 09:59, resolved the next day
    early = {**CASE, "occurred_at": "2026-11-22T09:59:00.000000+0000"}
    resolved = {**early, "status": "resolved", "resolved_at": "2026-11-23T09:00:00.000000+0000"}
    # WHEN resolved THEN it counts under 09, the hour the case's cohort belongs to
    assert set(counter_deltas([case(early, resolved)])) == {("emea", "2026-11-22T09")}


def test_case_routed_later_moves_from_unrouted_to_the_team() -> None:
    # GIVEN a case opened without a team and routed by the first alert
    unrouted = {**CASE, "team": None}
    routed = {**CASE, "alerted_at": "2026-11-22T10:16:05.000000+0000"}
    # WHEN modified THEN its counts leave `unrouted` and arrive at the team
    deltas = counter_deltas([case(unrouted, routed)])
    assert deltas[("unrouted", HOUR)]["opened"] == -1
    assert deltas[TEAM_HOUR]["opened"] == 1 and deltas[TEAM_HOUR]["alert_s:15"] == 1


def test_case_events_and_removals_count_nothing() -> None:
    # GIVEN a timeline event under the case's key, and a case removal
    event = Change("e3", "INSERT", "CASE#cs_1", None, {**CASE, "sk": "EVT#2026-11-22T10:16:00#alerted"})
    # WHEN counted THEN neither moves a counter
    assert counter_deltas([event, case(CASE, None)]) == {}


# --- planning transactions ------------------------------------------------------------------------


def test_an_item_with_more_than_a_chunk_of_counters_is_split_across_parts() -> None:
    # GIVEN one item with 250 counters and 150 items with one counter each
    deltas: dict[tuple[str, str], dict[str, Any]] = {("big", HOUR): {f"m{i:03}": 1 for i in range(250)}}
    deltas |= {(f"t{i:03}", HOUR): {"volume": 1} for i in range(150)}
    # WHEN planned
    parts = plan(deltas)
    # THEN no part exceeds a transaction (with its marker) nor touches one item twice,
    for part in parts:
        assert len(part) <= TRANSACTION_LIMIT - 1
        assert len({team_hour for team_hour, _ in part}) == len(part)
        assert all(len(amounts) <= CHUNK for _, amounts in part)
    # every counter is planned exactly once, and the big item needed three chunks
    planned = [(team_hour, name) for part in parts for team_hour, amounts in part for name, _ in amounts]
    assert len(planned) == len(set(planned)) == 250 + 150
    assert sum(1 for part in parts for team_hour, _ in part if team_hour[0] == "big") == 3
    # and the same deltas always give the same plan (a retried batch finds its markers)
    assert plan(dict(reversed(list(deltas.items())))) == parts


def test_an_empty_batch_plans_one_empty_part() -> None:
    # GIVEN no deltas WHEN planned THEN one part (its marker still records the batch)
    assert plan({}) == [[]]


def test_stream_records_are_planned_whole_by_creation_minute_and_counted_ones_skipped() -> None:
    # GIVEN records over two creation minutes, 150 teams in the first, and one record already counted
    start = datetime(2026, 11, 22, 10, 5, 59, tzinfo=UTC)
    records = [Counted(f"e{i:03}", start, {(f"t{i:03}", HOUR): {"volume": 1}}) for i in range(150)]
    records += [
        Counted(f"f{i:03}", start + timedelta(seconds=1), {("t000", HOUR): {"volume": 1}}) for i in range(3)
    ]
    # WHEN planned
    parts = plan_parts(records, counted={"e007"})
    # THEN each part holds whole records of one minute, within a transaction, in stream order
    assert [part.minute for part in parts] == ["2026-11-22T10:05", "2026-11-22T10:05", "2026-11-22T10:06"]
    assert [len(part.completes) for part in parts] == [99, 50, 3]
    assert all(len(part.operations) <= TRANSACTION_LIMIT - 1 for part in parts)
    completed = [event_id for part in parts for event_id in part.completes]
    assert completed == [record.event_id for record in records if record.event_id != "e007"]
    # the three records of the second minute add up in one update, and every part is named by its records
    assert parts[2].operations == ((("t000", HOUR), [("volume", 3)]),)
    assert len({part.key for part in parts}) == 3 and minute_of(start) == parts[0].minute


def test_a_record_too_big_for_one_transaction_gets_parts_of_its_own_the_last_completing_it() -> None:
    # GIVEN a record with 250 counters on one item between two small records
    moment = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    big = Counted("big", moment, {("big", HOUR): {f"m{i:03}": 1 for i in range(250)}})
    small = [Counted(name, moment, {("t", HOUR): {"volume": 1}}) for name in ("a", "b")]
    # WHEN planned
    parts = plan_parts([small[0], big, small[1]], counted=set())
    # THEN the small ones keep their own parts, the big one has three chunks, and only its last part
    # marks it counted; planned again (a redelivery) it gets the same parts, so applied ones are skipped
    assert [part.completes for part in parts] == [("a",), (), (), ("big",), ("b",)]
    assert [part.key for part in plan_parts([big], counted=set())] == [part.key for part in parts[1:4]]
