"""The value at stake in reports: per currency, at risk, retained, compensation and net, as decimal
strings, in the summary, its groups, the dashboard and the CSV export."""

from __future__ import annotations

from decimal import Decimal

from recovery.services.reports import to_csv
from tests.unit.services.test_reports import DAY, _read_csv, reports

HOUR = {
    "volume": 4,
    "negatives": 3,
    "cases": 3,
    "value_risk:EUR": Decimal("2400.50"),
    "value_risk_repeat:EUR": 1200,  # the reader gives whole amounts as int
    "value_kept:EUR": 1200,
    "value_risk:NOK": 50000,
    "comp:EUR": Decimal("30"),
    "comp:JPY": Decimal("800"),
    "value_risk:EUR|agent|mark": Decimal("1200.50"),
    "value_kept:EUR|agent|mark": Decimal("1200.50"),
    "comp:EUR|agent|mark": Decimal("20"),
    "volume|agent|mark": 2,
}
WANT = {
    "EUR": {
        "at_risk": "2400.50",
        "retained": "1200.00",
        "compensation": "30.00",
        "net": "1170.00",
        "at_risk_repeat": "1200.00",
    },
    "JPY": {
        "at_risk": "0.00",
        "retained": "0.00",
        "compensation": "800.00",
        "net": "-800.00",
        "at_risk_repeat": "0.00",
    },
    "NOK": {
        "at_risk": "50000.00",
        "retained": "0.00",
        "compensation": "0.00",
        "net": "0.00",
        "at_risk_repeat": "0.00",
    },
}


def test_summary_sums_value_by_currency_with_net_after_compensation() -> None:
    # GIVEN two hours of one day (the sums cross hours) WHEN the summary is read
    half = {name: n for name, n in HOUR.items() if name.startswith("value_risk:NOK")}
    items = {"support-emea": {"2026-11-23T10": HOUR, "2026-11-23T11": half}}
    summary = reports(items).summary("support-emea", DAY, DAY)
    # THEN each currency stands alone; NOK is counted in both hours
    want = {**WANT, "NOK": {**WANT["NOK"], "at_risk": "100000.00"}}
    assert summary["value"] == want
    assert summary["metrics"]["value"] == want


def test_a_group_carries_its_own_value() -> None:
    summary = reports({"support-emea": {"2026-11-23T10": HOUR}}).summary("support-emea", DAY, DAY, by="agent")
    mark = next(group for group in summary["groups"] if group["value"] == "mark")
    assert mark["metrics"]["value"] == {
        "EUR": {
            "at_risk": "1200.50",
            "retained": "1200.50",
            "compensation": "20.00",
            "net": "1180.50",
            "at_risk_repeat": "0.00",
        }
    }


def test_no_value_and_no_compensation_is_an_empty_mapping() -> None:
    summary = reports({"support-emea": {"2026-11-23T10": {"volume": 1}}}).summary("support-emea", DAY, DAY)
    assert summary["value"] == {}


def test_dashboard_shows_the_value_beside_the_funnel() -> None:
    board = reports({"support-emea": {"2026-11-23T10": HOUR}}).dashboard("support-emea", DAY, DAY)
    assert board["value"] == WANT


def test_csv_flattens_the_value_per_currency() -> None:
    rows = _read_csv(
        to_csv(reports({"support-emea": {"2026-11-23T10": HOUR}}).summary("support-emea", DAY, DAY))
    )
    assert len(rows) == 1
    assert rows[0]["value.EUR.at_risk"] == "2400.50" and rows[0]["value.EUR.net"] == "1170.00"
    assert rows[0]["value.JPY.net"] == "-800.00"  # a negative net is a number, not a formula
    assert rows[0]["value.NOK.retained"] == "0.00"
