"""The hourly anomaly check on moto: five weeks of ordinary noise written as v2 counter items, planted
spikes on top, and a recording sender standing in for SES."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from recovery import clock
from recovery.domain import anomaly
from recovery.domain.changes import counter_name
from recovery.domain.routing import Team, parse_config
from recovery.notify.senders import RecordingSender, SentMessage
from recovery.services.anomalies import AnomalyRun
from recovery.services.markers import Markers
from recovery.store.alerting import AlertStore
from recovery.store.anomalies import AnomalyStore
from recovery.store.counters import CounterReader, counter_pk, hour_sk
from recovery.store.markers import MarkerStore
from recovery.store.models import CounterItem
from tests.integration.conftest import Clock, clock_at
from tests.support import REGION, Stack

TEAM = "support-emea"
ZONE = "Europe/Oslo"
AGENTS = [f"agent-{index:02d}" for index in range(11)] + ["mark"]
TAGS = [f"topic-{index}" for index in range(9)] + ["app"]
RATE = 0.08
DAY_VOLUME = 360  # responses an hour, 08:00 to 18:00 Oslo time; a tenth of it at night
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 09:00 to 10:00 in Oslo is 08:00 to 09:00 UTC
HISTORY_START = MONDAY - timedelta(weeks=5)


def team() -> Team:
    def lead(contact_id: str, name: str, language: str = "en") -> dict[str, Any]:
        email = f"{contact_id}@example.com"
        return {"id": contact_id, "name": name, "email": email, "language": language, "channels": ["email"]}

    return parse_config(
        {
            "teams": [
                {
                    "id": TEAM,
                    "name": "Support EMEA",
                    "timezone": ZONE,
                    "levels": {
                        1: [
                            lead("kari", "Kari", "nb"),
                            lead("lena", "Lena"),
                            {"id": "sam", "name": "Sam", "phone": "+4791234567", "channels": ["sms"]},
                        ],
                        2: [lead("ingrid", "Ingrid")],
                    },
                }
            ],
            "routing": {"default_team": TEAM},
        }
    ).teams[0]


# ------------------------------------------------------------------------------------------ the data
def _names(dimension: str | None, value: str | None) -> tuple[str, str]:
    return counter_name("volume", dimension, value), counter_name("negatives", dimension, value)


TEAM_NAMES = _names(None, None)
AGENT_NAMES = [_names("agent", name) for name in AGENTS]
TAG_NAMES = [_names("tag", name) for name in TAGS]


def noise_hour(rng: random.Random, hour: datetime) -> Counter[str]:
    """One ordinary hour: each response has a random agent and tag, and is negative at RATE."""
    local = hour.astimezone(anomaly_zone())
    volume = DAY_VOLUME if 8 <= local.hour < 18 else DAY_VOLUME // 10
    counters: Counter[str] = Counter()
    for _ in range(volume):
        negative = rng.random() < RATE
        for names in (TEAM_NAMES, rng.choice(AGENT_NAMES), rng.choice(TAG_NAMES)):
            counters[names[0]] += 1
            counters[names[1]] += negative
    return counters


def anomaly_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONE)


def planted_hour(agent: tuple[str, int] | None = None, tag: tuple[str, int] | None = None) -> Counter[str]:
    """A daytime hour with exact counts: 30 responses per agent and 36 per tag, about RATE negative, and
    optionally one agent or one tag with the given number of negatives."""
    agent_negatives = {name: 2 + index % 2 for index, name in enumerate(AGENTS)}  # 30 of 360
    if agent is not None:
        agent_negatives[agent[0]] = agent[1]
    total = sum(agent_negatives.values())
    tag_negatives = dict.fromkeys(TAGS, 0)
    if tag is not None:
        extra = tag[1] - total // len(TAGS)
        for index in range(extra):  # the tag's extra negatives are spread over the agents
            agent_negatives[AGENTS[index % len(AGENTS)]] += 1
        total = sum(agent_negatives.values())
        tag_negatives[tag[0]] = tag[1]
    others = [name for name in TAGS if tag is None or name != tag[0]]
    left = total - sum(tag_negatives.values())
    for index, name in enumerate(others):
        tag_negatives[name] = left // len(others) + (index < left % len(others))
    counters: Counter[str] = Counter({"volume": 360, "negatives": total})
    for name, negatives in agent_negatives.items():
        counters[counter_name("volume", "agent", name)] = 30
        counters[counter_name("negatives", "agent", name)] = negatives
    for name, negatives in tag_negatives.items():
        counters[counter_name("volume", "tag", name)] = 36
        counters[counter_name("negatives", "tag", name)] = negatives
    return counters


def write_hours(hours: dict[datetime, Counter[str]]) -> None:
    """Hour items in the v2 format, as the stream function leaves them. Put directly: moto copies the
    whole table for every transaction, which would make five weeks of history take minutes."""
    client = boto3.client("dynamodb", region_name=REGION)
    requests = []
    for hour, counters in hours.items():
        key = anomaly.hour_key(hour)
        item = {"pk": {"S": counter_pk(TEAM)}, "sk": {"S": hour_sk(key)}, "team": {"S": TEAM}}
        item["hour"] = {"S": key}
        item.update({name: {"N": str(amount)} for name, amount in counters.items() if amount})
        requests.append({"PutRequest": {"Item": item}})
    for start in range(0, len(requests), 25):
        client.batch_write_item(RequestItems={CounterItem.Meta.table_name: requests[start : start + 25]})


def write_noise(seed: int, until: datetime) -> dict[datetime, Counter[str]]:
    """Ordinary hours from HISTORY_START up to (not including) `until`."""
    rng = random.Random(seed)
    hours: dict[datetime, Counter[str]] = {}
    hour = HISTORY_START
    while hour < until:
        hours[hour] = noise_hour(rng, hour)
        hour += anomaly.HOUR
    write_hours(hours)
    return hours


def expected_limit(
    history: dict[datetime, Counter[str]], hour: datetime, volume_name: str, negatives_name: str, volume: int
) -> tuple[float, float]:
    """The centre and limit, computed here from the written history: the same Oslo hour on the 20
    weekdays before."""
    local = hour.astimezone(anomaly_zone())
    baseline = [
        moment
        for moment in history
        if moment.astimezone(anomaly_zone()).hour == local.hour
        and moment.astimezone(anomaly_zone()).weekday() < 5
        and hour - timedelta(weeks=4) <= moment < hour
    ]
    assert len(baseline) == 20
    centre = sum(history[m][negatives_name] for m in baseline) / sum(
        history[m][volume_name] for m in baseline
    )
    return centre, centre + 3 * (centre * (1 - centre) / volume) ** 0.5


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def run_clock(stack: Stack) -> Iterator[Clock]:
    with clock_at(MONDAY) as moment:
        yield moment


@pytest.fixture
def checker(run_clock: Clock, sender: RecordingSender) -> AnomalyRun:
    return AnomalyRun(
        CounterReader(),
        AnomalyStore(),
        Markers(MarkerStore()),
        lambda: [team()],
        AlertStore(),
        sender,
        lambda address: f"h-{address}",
        "http://127.0.0.1:3000",
        sleep=lambda _: None,
    )


def run_at(checker: AnomalyRun, run_clock: Clock, moment: datetime) -> dict[str, Any]:
    run_clock.now = moment
    return checker.run(moment)


def emails(sender: RecordingSender) -> list[SentMessage]:
    return [message for message in sender.sent if message.tags.get("kind") == "anomaly"]


# ------------------------------------------------------------------------------------------ the tests
def test_a_spike_on_one_agents_morning_shift_alerts_the_leads_once(
    checker: AnomalyRun, run_clock: Clock, sender: RecordingSender
) -> None:
    # GIVEN five weeks of noise, and Monday 09:00 to 10:00 in Oslo where Mark's shift goes wrong: 15 of
    # his 30 responses negative, everyone else ordinary
    spike = MONDAY + timedelta(hours=8)
    history = write_noise(seed=1, until=spike)
    write_hours({spike: planted_hour(agent=("mark", 15))})

    # WHEN the hourly check runs just after 10:00 Oslo time
    summary = run_at(checker, run_clock, spike + timedelta(hours=1, seconds=30))

    # THEN the leads with email get one message each, about Mark only, in their own language
    assert summary["alerted"] == 1 and summary["breached"] == 1
    sent = emails(sender)
    assert sorted(message.to for message in sent) == ["kari@example.com", "lena@example.com"]
    english = next(message for message in sent if message.to == "lena@example.com")
    norwegian = next(message for message in sent if message.to == "kari@example.com")
    assert english.subject == "Anomaly: negative rate up for agent mark (Support EMEA)"
    assert "Avvik" in (norwegian.subject or "") and "agent mark" in norwegian.text
    # ... with the hour in Oslo time, the rate and the limit computed here from the history
    centre, limit = expected_limit(history, spike, "volume|agent|mark", "negatives|agent|mark", volume=30)
    assert "2026-11-23 09:00–10:00 CET (Europe/Oslo)" in english.text
    assert "Negative rate: 50.0% (15/30)" in english.text
    assert f"Control limit: {limit * 100:.1f}%" in english.text
    assert f"the usual rate for this hour is {centre * 100:.1f}%" in english.text
    assert "Likely cause: No release marker in the 6 hours before" in english.text
    assert "http://127.0.0.1:3000/console/#/dashboard" in english.text
    assert 'href="http://127.0.0.1:3000/console/#/dashboard"' in (english.html or "")
    # ... and it reads one state item and the hour with its 20 baseline hours
    assert summary["items_read"] == 1 + 1 + 20

    # WHEN the schedule fires again within the same hour
    again = run_at(checker, run_clock, spike + timedelta(hours=1, minutes=40))
    # THEN nothing is judged or sent twice
    assert again["already_judged"] == 1 and again["alerted"] == 0 and len(emails(sender)) == 2

    # WHEN the next hour breaches too
    write_hours({spike + anomaly.HOUR: planted_hour(agent=("mark", 15))})
    later = run_at(checker, run_clock, spike + timedelta(hours=2, seconds=5))
    # THEN the anomaly is still open, with no repeat
    assert later["breached"] == 1 and later["alerted"] == 0 and len(emails(sender)) == 2
    assert [(a["value"], a["open"]) for a in checker.open_anomalies(TEAM)] == [("mark", True)]

    # WHEN two ordinary hours follow
    for offset in (2, 3):
        write_hours({spike + offset * anomaly.HOUR: planted_hour()})
        run_at(checker, run_clock, spike + timedelta(hours=offset + 1, seconds=5))
    # THEN it is closed, and kept in the history
    shown = checker.open_anomalies(TEAM)
    assert [(a["dimension"], a["value"], a["open"], a["since"]) for a in shown] == [
        ("agent", "mark", False, "2026-11-23T08:00:00Z")
    ]
    assert shown[0]["rate"] == 0.5 and shown[0]["limit"] == pytest.approx(limit, abs=1e-4)

    # WHEN Mark's shift goes wrong again later
    write_hours({spike + 4 * anomaly.HOUR: planted_hour(agent=("mark", 14))})
    again = run_at(checker, run_clock, spike + timedelta(hours=5, seconds=5))
    # THEN the leads are alerted again, and the dashboard lists the new one first
    assert again["alerted"] == 1 and len(emails(sender)) == 4
    assert [(a["since"], a["open"]) for a in checker.open_anomalies(TEAM)] == [
        ("2026-11-23T12:00:00Z", True),
        ("2026-11-23T08:00:00Z", False),
    ]


def test_a_tag_jump_right_after_a_release_names_the_release(
    checker: AnomalyRun, run_clock: Clock, sender: RecordingSender
) -> None:
    # GIVEN five weeks of noise, a release of the app at 12:40 Oslo time (and an unrelated one), and the
    # app tag at 14 of 36 negative in the hour from 13:00
    jump = MONDAY + timedelta(hours=12)
    history = write_noise(seed=2, until=jump)
    markers = Markers(MarkerStore())
    markers.record({"component": "app", "version": "5.2.0", "at": "2026-11-23T11:40:00Z"}, clock.now())
    markers.record({"component": "billing-api", "version": "1.9", "at": "2026-11-23T11:50:00Z"}, clock.now())
    write_hours({jump: planted_hour(tag=("app", 14))})

    # WHEN the hourly check runs
    summary = run_at(checker, run_clock, jump + timedelta(hours=1, minutes=2))

    # THEN the tag alone breaks out, once per lead, and the alert names the app release
    assert summary["alerted"] == 1
    sent = emails(sender)
    assert len(sent) == 2
    english = next(message for message in sent if message.to == "lena@example.com")
    _, limit = expected_limit(history, jump, "volume|tag|app", "negatives|tag|app", volume=36)
    assert english.subject == "Anomaly: negative rate up for tag “app” (Support EMEA)"
    assert "Negative rate: 38.9% (14/36)" in english.text
    assert f"Control limit: {limit * 100:.1f}%" in english.text
    assert "Likely cause: Release app 5.2.0 at 2026-11-23 12:40 CET" in english.text
    assert checker.open_anomalies(TEAM) == [
        {
            "dimension": "tag",
            "value": "app",
            "since": "2026-11-23T12:00:00Z",
            "open": True,
            "rate": round(14 / 36, 4),
            "limit": round(limit, 4),
            "marker": {"component": "app", "version": "5.2.0", "at": "2026-11-23T11:40:00Z"},
        }
    ]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_noise_of_the_same_volume_raises_nothing(
    checker: AnomalyRun, run_clock: Clock, sender: RecordingSender, seed: int
) -> None:
    # GIVEN five weeks of noise and a whole ordinary Monday
    write_noise(seed=seed, until=MONDAY + timedelta(days=1))
    # WHEN the check runs every hour of that Monday
    summaries = [
        run_at(checker, run_clock, MONDAY + timedelta(hours=hour, minutes=1)) for hour in range(1, 25)
    ]
    # THEN groups were judged, and nothing was alerted
    assert sum(summary["checked"] for summary in summaries) > 100
    assert sum(summary["breached"] for summary in summaries) == 0
    assert emails(sender) == [] and checker.open_anomalies(TEAM) == []


def test_a_retried_run_sends_no_email_twice(
    checker: AnomalyRun, run_clock: Clock, sender: RecordingSender
) -> None:
    # GIVEN a spike, and a run that sent its emails but died before saving its state
    spike = MONDAY + timedelta(hours=8)
    write_noise(seed=6, until=spike)
    write_hours({spike: planted_hour(agent=("mark", 16))})
    store = AnomalyStore()
    saved = store.save
    store.save = lambda state, now: True  # type: ignore[method-assign]
    checker._store = store
    run_at(checker, run_clock, spike + timedelta(hours=1, seconds=1))
    assert len(emails(sender)) == 2
    # WHEN the run is retried
    store.save = saved  # type: ignore[method-assign]
    summary = run_at(checker, run_clock, spike + timedelta(hours=1, seconds=20))
    # THEN it judges the hour again but sends nothing more
    assert summary["alerted"] == 1 and summary["sent"] == 0 and len(emails(sender)) == 2
    assert [a["value"] for a in checker.open_anomalies(TEAM)] == ["mark"]


def test_a_state_saved_meanwhile_by_another_run_wins(run_clock: Clock) -> None:
    # GIVEN two runs that read the same state
    store = AnomalyStore()
    assert store.save(store.get(TEAM), clock.now())
    first, second = store.get(TEAM), store.get(TEAM)
    # WHEN both save
    first.last_hour = "2026-11-23T08"
    second.last_hour = "2026-11-23T09"
    # THEN only the first save counts
    assert store.save(first, clock.now()) and not store.save(second, clock.now())
    assert store.get(TEAM).last_hour == "2026-11-23T08"
