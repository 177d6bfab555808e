"""The weekly digest on moto: counters of a known week and the four before it (stored in the v2 format),
cases waiting in the queue, the real reports reading them, and a recording sender standing in for SES."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from recovery.domain.identity import PiiHasher
from recovery.domain.routing import parse_config
from recovery.notify.senders import RecordingSender, SentMessage
from recovery.services.alerts import CachedConfig
from recovery.services.digest import DigestFailed, DigestRun
from recovery.services.reports import Reports
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.cases import CaseStore, queue_partition, queue_sort_key
from recovery.store.counters import CounterReader
from recovery.store.models import CaseItem, DeliveryItem
from tests.integration.conftest import Clock, clock_at
from tests.support import REGION, Stack

# Monday 23 November 2026, 08:10 in Oslo (UTC+1): Oslo's digest hour; 02:10 in New York.
OSLO_MONDAY_0810 = datetime(2026, 11, 23, 7, 10, tzinfo=UTC)
NEW_YORK_MONDAY_0810 = datetime(2026, 11, 23, 13, 10, tzinfo=UTC)
PUBLIC_URL = "http://127.0.0.1:3000"

TEAMS = {
    "teams": [
        {
            "id": "emea",
            "name": "Support EMEA",
            "timezone": "Europe/Oslo",
            "levels": {
                1: [
                    {
                        "id": "kari",
                        "name": "Kari",
                        "email": "kari@example.com",
                        "channels": ["email"],
                        "language": "nb",
                    },
                    {
                        "id": "mark",
                        "name": "Mark",
                        "email": "mark@example.com",
                        "channels": ["email"],
                        "language": "en",
                    },
                ],
                2: [{"id": "ingrid", "name": "Ingrid", "email": "ingrid@example.com", "channels": ["email"]}],
            },
        },
        {
            "id": "nyc",
            "name": "Support NYC",
            "timezone": "America/New_York",
            "levels": {
                1: [
                    {
                        "id": "ada",
                        "name": "Ada",
                        "email": "ada@example.com",
                        "channels": ["email"],
                        "language": "de",
                    }
                ]
            },
        },
    ],
    "routing": {"default_team": "emea"},
}

# The week of 16-22 November (Oslo), in two hours at its very edges, plus an hour just after it.
WEEK = {
    "2026-11-15T23": {  # Monday 16th, 00:00 in Oslo: the week's first hour
        "volume": 150, "negatives": 20, "cases": 20, "alerted": 20,
        "alert_s:15": 10, "alert_s:30": 10,
        "acked": 15, "ack_in_sla": 12, "resolved": 12, "resolve_in_sla": 9,
        "followup_sent": 6, "answered": 5, "recovered": 4, "comp:EUR": "45.50", "comp_n": 2,
    },
    "2026-11-22T22": {  # Sunday 22nd, 23:00 in Oslo: the week's last hour
        "volume": 50, "negatives": 10, "cases": 10, "alerted": 10,
        "alert_s:30": 4, "alert_s:60": 4, "alert_s:120": 2,
        "acked": 10, "ack_in_sla": 8, "resolved": 8, "resolve_in_sla": 6,
        "followup_sent": 4, "answered": 3, "recovered": 2, "comp:EUR": "14.50", "comp_n": 1,
    },
    "2026-11-22T23": {"volume": 999, "negatives": 999},  # Monday 23rd, 00:00 in Oslo: not the week
}  # fmt: skip
# The four weeks before, one hour each (Wednesdays at noon), oldest first.
PREVIOUS = [
    ("2026-10-21T12", {"volume": 100, "negatives": 10, "alerted": 10, "alert_s:15": 5, "alert_s:120": 5,
                       "acked": 10, "ack_in_sla": 5, "comp:EUR": "40.00", "comp_n": 1}),
    ("2026-10-28T12", {"volume": 120, "negatives": 12, "alerted": 10, "alert_s:15": 5, "alert_s:120": 5,
                       "acked": 10, "ack_in_sla": 5}),
    ("2026-11-04T12", {"volume": 140, "negatives": 14, "alerted": 10, "alert_s:15": 5, "alert_s:120": 5,
                       "acked": 10, "ack_in_sla": 5}),
    ("2026-11-11T12", {"volume": 160, "negatives": 16, "alerted": 10, "alert_s:15": 5, "alert_s:120": 5,
                       "acked": 10, "ack_in_sla": 5}),
]  # fmt: skip

ANOMALIES = [
    {"dimension": "tag", "value": "checkout", "since": "2026-11-20T08:00:00+00:00", "open": True,
     "rate": 0.4, "limit": 0.2,
     "marker": {"component": "web", "version": "2.3.1", "at": "2026-11-20T07:30:00+00:00"}},
    {"dimension": "agent", "value": "mark", "since": "2026-11-10T08:00:00+00:00", "open": False,
     "rate": 0.3, "limit": 0.2, "marker": None},
]  # fmt: skip


def put_counters(stack: Stack, team: str, hour: str, counts: dict[str, Any]) -> None:
    """A counter item exactly as the stream function stores it (v2): `STAT#<team>` / `H#<hour>`."""
    item: dict[str, Any] = {"pk": {"S": f"STAT#{team}"}, "sk": {"S": f"H#{hour}"}}
    item |= {"team": {"S": team}, "hour": {"S": hour}}
    item |= {name: {"N": str(value)} for name, value in counts.items()}
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=stack.table, Item=item)


def put_case(case_id: str, team: str, status: str, priority: int, deadline: datetime) -> None:
    """A routed case waiting in its team's queue: by its ack deadline when open, resolve when acked."""
    opened = OSLO_MONDAY_0810 - timedelta(days=1)
    CaseItem(
        f"CASE#{case_id}",
        "CASE",
        case_id=case_id,
        feedback_pk=f"FB#demo-web#{case_id}",
        feedback_id=case_id,
        source="demo-web",
        status=status,
        priority=priority,
        team=team,
        customer_key="c",
        opened_at=opened,
        occurred_at=opened,
        ack_due_at=deadline if status == "open" else opened + timedelta(minutes=15),
        resolve_due_at=deadline if status == "acknowledged" else opened + timedelta(days=3),
        alert_state="sent",
        queue_pk=queue_partition(team, status),
        queue_sk=queue_sort_key(priority, deadline, case_id),
        cust_pk="CUSTX#c",
        cust_sk=case_id,
    ).save()


@pytest.fixture
def virtual_clock() -> Iterator[Clock]:
    with clock_at(OSLO_MONDAY_0810) as moment:
        yield moment


@pytest.fixture
def seeded(stack: Stack) -> Stack:
    ConfigStore().put(parse_config(TEAMS), OSLO_MONDAY_0810, None)
    for hour, counts in WEEK.items():
        put_counters(stack, "emea", hour, counts)
    for hour, counts in PREVIOUS:
        put_counters(stack, "emea", hour, counts)
    at = OSLO_MONDAY_0810
    put_case("open-late", "emea", "open", 2, at - timedelta(minutes=5))
    put_case("open-soon", "emea", "open", 3, at + timedelta(minutes=10))
    put_case("open-later", "emea", "open", 1, at + timedelta(hours=3))
    put_case("open-last", "emea", "open", 4, at + timedelta(hours=20))
    put_case("acked-soon", "emea", "acknowledged", 2, at + timedelta(minutes=40))
    put_case("acked-later", "emea", "acknowledged", 1, at + timedelta(hours=5))
    put_case("acked-last", "emea", "acknowledged", 3, at + timedelta(days=2))
    put_case("other-team", "nyc", "open", 1, at - timedelta(hours=1))
    return stack


@pytest.fixture
def digest(seeded: Stack, virtual_clock: Clock, sender: RecordingSender) -> DigestRun:
    return digest_run(sender)


def digest_run(sender: RecordingSender, suppressed: Callable[[str], bool] = lambda _: False) -> DigestRun:
    config = CachedConfig(ConfigStore())
    reports = Reports(CounterReader(), lambda: config.get().teams)
    hasher = PiiHasher(b"k" * 32)
    return DigestRun(
        config,
        reports.metrics,
        lambda team_id: ANOMALIES if team_id == "emea" else [],
        CaseStore(),
        AlertStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        PUBLIC_URL,
        lambda name, value, unit: None,
        suppressed=suppressed,
        sleep=lambda _: None,
    )


def to(sender: RecordingSender, address: str) -> SentMessage:
    (message,) = [message for message in sender.sent if message.to == address]
    return message


def half_up(seconds: float) -> int:
    return math.floor(seconds + 0.5)


def pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def test_each_lead_gets_one_digest_with_the_weeks_numbers(digest: DigestRun, sender: RecordingSender) -> None:
    # GIVEN a known week and four before it, cases in the queue and an open anomaly
    # WHEN the digest runs at Monday 08:10 in Oslo
    summary = digest.run(OSLO_MONDAY_0810)
    # THEN Oslo's two leads get one email each, in their own language; New York (02:10) gets nothing
    assert sorted(message.to for message in sender.sent) == ["kari@example.com", "mark@example.com"]
    assert summary["teams"] == ["emea"] and summary["sent"] == 2
    assert all(message.channel == "email" and message.tags["kind"] == "digest" for message in sender.sent)
    english = to(sender, "mark@example.com")
    assert english.subject == "Weekly digest: Support EMEA, 2026-11-16 to 2026-11-22"

    # The numbers, computed here from the counters seeded above (the hour after the week left out).
    volume, negatives = 150 + 50, 20 + 10
    before_volume = [100, 120, 140, 160]
    # alert buckets this week: 10 x <=15 s, 14 x <=30 s, 4 x <=60 s, 2 x <=120 s; p90 = rank 27 of 30,
    # the 3rd of 4 in the 30-60 s bucket: 30 + 30 * 3/4 s
    p90, p90_before = 30 + 30 * 3 / 4, 60 + 60 * (9 - 5) / 5  # before: rank 9 of 10, 4th of 5 in 60-120 s
    lines = {
        "Feedback": (f"{volume}", f"{sum(before_volume) / 4:.0f}", f"+{100 * (volume / 130 - 1):.0f}%"),
        "Negative feedback": (f"{negatives}", "13", f"+{100 * (negatives / 13 - 1):.0f}%"),
        "Negative rate": (pct(negatives / volume), pct(0.1), f"+{100 * (negatives / volume - 0.1):.1f} pp"),
        "Alerted within 1 minute": (pct(28 / 30), pct(0.5), f"+{100 * (28 / 30 - 0.5):.1f} pp"),
        # with the histogram bucket the p90 lies in: its resolution
        "Time to alert (p90)": (
            f"{half_up(p90)} s, in the bucket 30 s–1 min",
            "1.8 min",
            f"−{half_up(p90_before - p90)} s",
        ),
        "Acknowledged within SLA": (pct(20 / 25), pct(0.5), f"+{100 * (20 / 25 - 0.5):.1f} pp"),
        "Resolved within SLA": (pct(15 / 20), "—", "—"),
        "Follow-up response rate": (pct(8 / 10), "—", "—"),
        "Recovery rate": (pct(6 / 8), "—", "—"),
        "Compensation (EUR)": ("60.00 EUR", "10.00 EUR", f"+{100 * (60 / 10 - 1):.0f}%"),
    }
    for label, (value, baseline, change) in lines.items():
        assert f"- {label}: {value} (4-week mean: {baseline}; Change: {change})\n" in english.text, label

    # The open anomaly (not the closed one), with its likely cause, in Oslo time.
    assert (
        "Tag checkout: negative rate 40.0%, above the control limit of 20.0%, since 2026-11-20 09:00 CET."
        in english.text
    )
    assert "Likely cause: release web 2.3.1 (2026-11-20 08:30 CET)." in english.text
    assert "Agent mark" not in english.text

    # The five nearest deadlines of both queues, in order, each linked to the console; no other team's.
    listed = [line.split()[3].rstrip(":") for line in english.text.splitlines() if line.startswith("- P")]
    assert listed == ["open-late", "open-soon", "acked-soon", "open-later", "acked-later"]
    assert "- P2 Case open-late: acknowledge by 2026-11-23 08:05 CET (overdue)" in english.text
    assert "- P2 Case acked-soon: resolve by 2026-11-23 08:50 CET\n" in english.text
    assert f'href="{PUBLIC_URL}/console/#/cases/acked-later"' in english.html

    # Kari reads the same in Norwegian, with Norwegian number formats.
    norwegian = to(sender, "kari@example.com")
    assert norwegian.subject == "Ukesoversikt: Support EMEA, 2026-11-16 til 2026-11-22"
    assert (
        "- Andel negative: 15,0\u00a0% (Snitt 4 uker: 10,0\u00a0%; Endring: +5,0\u00a0pp)" in norwegian.text
    )
    assert listed == [
        line.split()[3].rstrip(":") for line in norwegian.text.splitlines() if line.startswith("- P")
    ]


def test_a_second_run_the_same_hour_sends_nothing(digest: DigestRun, sender: RecordingSender) -> None:
    # GIVEN the digest went out at 08:10
    digest.run(OSLO_MONDAY_0810)
    # WHEN the schedule's retry runs again at 08:40
    again = digest.run(OSLO_MONDAY_0810 + timedelta(minutes=30))
    # THEN nobody gets a second one, and one delivery row per lead says it was sent
    assert len(sender.sent) == 2 and again["sent"] == 0 and again["skipped"] == 2
    rows = [DeliveryItem.get(pk, "DLV") for pk in _delivery_keys()]
    assert sorted((row.contact_id, row.kind, row.state) for row in rows) == [
        ("kari", "digest", "sent"),
        ("mark", "digest", "sent"),
    ]


def _delivery_keys() -> list[str]:
    hasher = PiiHasher(b"k" * 32)
    return [
        f"DLV#digest-emea-2026-11-16#1#email#{hasher.digest('address', address)}"
        for address in ("kari@example.com", "mark@example.com")
    ]


@pytest.mark.parametrize(
    "moment",
    [
        OSLO_MONDAY_0810 - timedelta(hours=1),  # Monday 07:10 in Oslo
        OSLO_MONDAY_0810 + timedelta(days=1),  # Tuesday 08:10 in Oslo
    ],
)
def test_no_digest_outside_monday_eight(digest: DigestRun, sender: RecordingSender, moment: datetime) -> None:
    # GIVEN the same data / WHEN the run comes an hour early, or a day late / THEN it sends nothing
    summary = digest.run(moment)
    assert sender.sent == [] and summary["teams"] == []


def test_teams_in_two_zones_get_theirs_at_their_own_eight(digest: DigestRun, sender: RecordingSender) -> None:
    # GIVEN teams in Oslo (UTC+1) and New York (UTC-5)
    received: dict[str, list[str]] = {}
    # WHEN the schedule fires every hour from Sunday 00:00 to Tuesday 00:00 UTC
    for hour in range(72):
        moment = datetime(2026, 11, 22, tzinfo=UTC) + timedelta(hours=hour)
        before = len(sender.sent)
        digest.run(moment)
        for message in sender.sent[before:]:
            received.setdefault(message.to, []).append(moment.isoformat())
    # THEN each lead gets exactly one digest, at 08:00 on their team's clock
    assert received == {
        "kari@example.com": ["2026-11-23T07:00:00+00:00"],
        "mark@example.com": ["2026-11-23T07:00:00+00:00"],
        "ada@example.com": ["2026-11-23T13:00:00+00:00"],
    }
    # New York's week is its own: no counters there, and no cases but its own
    ada = to(sender, "ada@example.com")
    assert ada.subject == "Wochenbericht: Support NYC, 2026-11-16 bis 2026-11-22"
    assert "other-team" in ada.text and "open-late" not in ada.text


def test_a_failed_send_goes_out_on_the_next_run_and_only_that(
    digest: DigestRun, sender: RecordingSender
) -> None:
    # GIVEN the first lead's email is refused for good
    sender.fail_next(1, transient=False)
    first = digest.run(OSLO_MONDAY_0810)
    assert first["failed"] == 1 and first["sent"] == 1
    # WHEN the run is retried
    second = digest.run(OSLO_MONDAY_0810 + timedelta(minutes=5))
    # THEN only the failed one is sent, so each lead has exactly one digest
    assert second["sent"] == 1 and second["skipped"] == 1
    assert sorted(message.to for message in sender.sent) == ["kari@example.com", "mark@example.com"]


def test_a_team_whose_numbers_cannot_be_read_does_not_stop_the_others(
    digest: DigestRun, sender: RecordingSender, seeded: Stack
) -> None:
    # GIVEN the New York team's reading fails
    def metrics(team_id: str, *period: Any) -> dict[str, Any]:
        raise RuntimeError("counters unavailable")

    digest._week_metrics = metrics
    # WHEN New York's hour comes / THEN the run raises for a retry, and nothing was sent
    with pytest.raises(DigestFailed, match="nyc"):
        digest.run(NEW_YORK_MONDAY_0810)
    assert sender.sent == []


def test_a_suppressed_address_gets_no_digest(
    seeded: Stack, virtual_clock: Clock, sender: RecordingSender
) -> None:
    # GIVEN Mark's address bounced before
    hasher = PiiHasher(b"k" * 32)
    bounced = hasher.digest("address", "mark@example.com")
    digest = digest_run(sender, suppressed=lambda address_hash: address_hash == bounced)
    # WHEN the digest runs
    summary = digest.run(OSLO_MONDAY_0810)
    # THEN only Kari's goes out, and Mark's row says why
    assert [message.to for message in sender.sent] == ["kari@example.com"]
    assert summary["suppressed"] == 1
    assert DeliveryItem.get(_delivery_keys()[1], "DLV").state == "suppressed"


def test_the_run_is_wired_from_the_functions_environment(seeded: Stack, virtual_clock: Clock) -> None:
    # GIVEN the reports function's environment, with SES's sender verified
    from recovery.wiring.reports import build_digest_run

    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="alerts@example.com")
    run = build_digest_run()
    # WHEN it runs an hour early, then at Oslo's 08:10
    early = run.run(OSLO_MONDAY_0810 - timedelta(hours=1))
    on_time = run.run(OSLO_MONDAY_0810)
    # THEN the first sends nothing, the second both leads' digests through SES
    assert early["teams"] == [] and early["sent"] == 0
    assert on_time["teams"] == ["emea"] and on_time["sent"] == 2
