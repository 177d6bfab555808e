"""The alert benchmarks' pure helpers: percentiles, the outbox checks, items read, profile grouping."""

from __future__ import annotations

import pytest

from bench import ROOT
from bench.alerts_latency import Lead, has_both, percentile
from bench.load import check_alerts, package_of
from bench.report import Budget, fmt, verdict
from bench.sweep_reads import items_read

KARI = Lead("kari@example.com", "+4791234567")


def alert(case_id: str, channel: str, to: str, kind: str = "alert") -> dict[str, str]:
    return {"case_id": case_id, "channel": channel, "to": to, "kind": kind}


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0, 1.0, 2.0], 0.95) == 3.0
    assert percentile([7.0], 0.5) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_both_messages_of_the_lead_are_needed() -> None:
    email, sms = alert("c1", "email", KARI.email), alert("c1", "sms", KARI.phone)
    assert has_both([email, sms], "c1", KARI)
    assert not has_both([email], "c1", KARI)
    assert not has_both([email, alert("c2", "sms", KARI.phone)], "c1", KARI)
    assert not has_both([email, alert("c1", "sms", KARI.phone, kind="escalation")], "c1", KARI)
    assert not has_both([email, alert("c1", "sms", "+4741234567")], "c1", KARI)


def test_lost_and_duplicated_alerts() -> None:
    entries = [
        alert("c1", "email", KARI.email),
        alert("c1", "sms", KARI.phone),
        alert("c1", "email", "mark@example.com"),  # another on-duty lead: not a duplicate
        alert("c2", "email", KARI.email),  # c2's SMS is missing: lost
        alert("c3", "email", KARI.email),
        alert("c3", "email", KARI.email),  # twice: one duplicate
        alert("c3", "sms", KARI.phone),
        alert("c9", "sms", KARI.phone),  # not one of ours
        alert("c1", "email", "ingrid@example.com", kind="escalation"),
    ]
    found = check_alerts(entries, ["c1", "c2", "c3"], KARI)
    assert (found["lost"], found["lost_cases"]) == (1, ["c2"])
    assert found["duplicated"] == 1
    assert found["duplicated_messages"] == [["c3", "email", KARI.email]]
    assert found["alerts_for_unknown_cases"] == 1
    assert found["alert_messages"] == 7
    assert found["other_kinds"] == {"escalation": 1}


def test_items_read_from_responses() -> None:
    assert items_read("Query", {"Count": 2, "ScannedCount": 5, "Items": [{}, {}]}) == 5
    assert items_read("Query", {"Count": 0}) == 0
    assert items_read("GetItem", {"Item": {"pk": {"S": "CASE#1"}}}) == 1
    assert items_read("GetItem", {}) == 0
    assert items_read("BatchGetItem", {"Responses": {"t": [{}, {}], "u": [{}]}}) == 3
    assert items_read("TransactGetItems", {"Responses": [{"Item": {}}, {}]}) == 1
    assert items_read("PutItem", {"Attributes": {}}) == 0


def test_profile_entries_group_by_package() -> None:
    site = "/venv/lib/python3.11/site-packages"
    assert package_of(f"{site}/moto/dynamodb/models/table.py") == "moto"
    assert package_of(f"{site}/six.py") == "six"
    assert package_of("/usr/lib/python3.11/copy.py") == "stdlib:copy"
    assert package_of("/usr/lib/python3.11/json/encoder.py") == "stdlib:json"
    assert package_of(f"{ROOT}/layers/recovery/recovery/services/alerts.py") == "recovery"
    assert package_of(f"{ROOT}/functions/alert/app.py") == "functions/alert"
    assert package_of(f"{ROOT}/local/dispatcher.py") == "local"
    assert package_of("~") == "builtins"


def test_seconds_and_rates_format() -> None:
    assert fmt(0.4321, "s") == "0.43 s"
    assert fmt(12.34, "/s") == "12.3/s"
    assert verdict(Budget("a", "a", 1.2, "s", 1.0, "")) == "FAIL (20% over)"
    assert verdict(Budget("b", "b", 0, "count", 0, "")) == "pass"
    assert verdict(Budget("c", "c", 2, "count", 0, "")) == "FAIL"
