"""The daily digest on moto with the demo teams and the virtual clock: a lead who moved P2 cases to the
digest is not messaged when one opens, and reads it in their own morning, in their language, once."""

from __future__ import annotations

from datetime import UTC, datetime

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.daily_digest import DailyDigestRun
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.cases import CaseStore
from recovery.store.models import DeliveryItem
from tests.integration.conftest import Api, Clock
from tests.integration.test_alert_tiers import with_tiers
from tests.integration.test_alerts import open_case

# Tuesday 24 November 2026: 08:00 in Oslo (UTC+1) is 07:00 UTC; 08:00 in Tokyo was 23:00 UTC the day before.
OSLO_0800 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
TOKYO_0800 = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def daily(sender: RecordingSender) -> DailyDigestRun:
    hasher = PiiHasher(b"k" * 32)
    return DailyDigestRun(
        CachedConfig(ConfigStore()),
        CaseStore(),
        AlertStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        lambda *_: None,
        sleep=lambda _: None,
    )


def test_a_digest_only_case_reaches_the_lead_in_their_morning_once_in_their_language(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN Kari (Oslo, Norwegian) reads P2-P4 cases in her 08:00 digest, Yuki (Tokyo) P4 cases in his
    with_tiers(kari={"P2": ["digest"], "P3": ["digest"], "P4": ["digest"]}, yuki={"P4": ["digest"]})
    # AND a P2 case opened on Monday at 11:00 in Oslo: Kari is not messaged, level 2 is
    case_id = open_case(api)
    alerts.alert(case_id)
    assert "kari@example.com" not in {m.to for m in sender.sent}
    sender.sent.clear()
    run = daily(sender)
    # WHEN the hourly run fires at 06:00 in Oslo: nobody's digest hour
    virtual_clock.set(OSLO_0800.replace(hour=5))
    assert run.run(clock.now())["contacts"] == [] and sender.sent == []
    # THEN at 08:00 in Oslo Kari gets her digest (Yuki's is 08:00 in Tokyo, not now)
    virtual_clock.set(OSLO_0800)
    assert run.run(clock.now())["contacts"] == ["support-emea/kari"]
    [mail] = sender.sent
    assert mail.channel == "email" and mail.to == "kari@example.com"
    assert mail.subject == "Daglig oversikt: Support EMEA, 2026-11-24"
    assert "Hei Kari Nordmann," in mail.text and "Åpne saker i Support EMEA 2026-11-24" in mail.text
    assert "P2 * " in mail.text and case_id in mail.text
    assert f"http://127.0.0.1:3000/console/#/cases/{case_id}" in mail.text
    assert "åpen i 21\u00a0t" in mail.text  # opened Monday 10:00 UTC, read Tuesday 07:00 UTC
    assert "Europe/Oslo" in mail.text and "P2, P3, P4" in mail.text
    assert "a***@example.com" in mail.text and "a***@example.com" in mail.html  # masked, both parts
    assert "<bdi>Support EMEA</bdi>" in mail.html  # the weekly digest's autoescaped, isolated names
    # AND a repeated run within the hour, or the retry, sends her nothing more
    virtual_clock.set(OSLO_0800.replace(minute=40))
    assert run.run(clock.now())["skipped"] == 1 and len(sender.sent) == 1
    rows = [row for row in DeliveryItem.scan() if row.pk.startswith("DLV#daily-")]
    assert [(row.channel, row.state, row.contact_id) for row in rows] == [("email", "sent", "kari")]
    # AND Yuki gets his at 08:00 in Tokyo, in Japanese wording where it has some (English here)
    virtual_clock.set(TOKYO_0800)
    assert run.run(clock.now())["contacts"] == ["support-apac/yuki"]
    assert sender.sent[-1].to == "yuki@example.com"
