"""Reports on synthetic hour items: every metric, breakdowns by counter dimension and by local hour and
weekday (across a DST change), trends, the dashboard's parts, and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from recovery.domain.cases import CATEGORY_OF_CAUSE, CAUSE_CATEGORIES, ROOT_CAUSES, cause_category
from recovery.services.reports import ALL, BadPeriod, Group, Reports, UnknownTeam, parse_name, to_csv


class Hours(dict[str, dict[str, Any]]):
    items_read = 0


class FakeReader:
    """Counter items per team, as CounterReader.hours returns them (hour keys within the range)."""

    def __init__(self, items: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self.items = items
        self.calls: list[tuple[str, str, str]] = []

    def hours(self, team: str, first_hour: str, last_hour: str) -> Hours:
        self.calls.append((team, first_hour, last_hour))
        found = Hours(
            {
                hour: dict(counts)
                for hour, counts in self.items.get(team, {}).items()
                if first_hour <= hour <= last_hour
            }
        )
        found.items_read = len(found)
        return found


TEAMS = [
    SimpleNamespace(id="support-emea", timezone="Europe/Oslo"),
    SimpleNamespace(id="support-apac", timezone="Asia/Tokyo"),
]
DAY = date(2026, 11, 23)  # a Monday; Oslo is UTC+1


def reports(items: Mapping[str, Mapping[str, Mapping[str, Any]]], **extra: Any) -> Reports:
    return Reports(FakeReader(items), lambda: TEAMS, **extra)  # type: ignore[arg-type]


FULL = {
    "volume": 10,
    "negatives": 4,
    "cases": 4,
    "repeats": 1,
    "alerted": 4,
    "alert_s:15": 2,
    "alert_s:30": 1,
    "alert_s:120": 1,
    "acked": 3,
    "ack_s:300": 1,
    "ack_s:600": 1,
    "ack_s:3600": 1,
    "ack_in_sla": 2,
    "resolved": 3,
    "resolve_s:7200": 2,
    "resolve_s:inf": 1,
    "resolve_in_sla": 2,
    "followup_sent": 3,
    "answered": 2,
    "recovered": 1,
    "not_recovered": 1,
    "no_response": 1,
    "before:nps:3": 1,
    "before:nps:5": 1,
    "after:nps:10": 1,
    "after:nps:4": 1,
    "rbefore:nps:3": 1,
    "rafter:nps:10": 1,
    "before:thumbs:down": 1,
    "after:thumbs:up": 3,
    "after:thumbs:down": 1,
    "comp:EUR": Decimal("30"),
    "comp:JPY": Decimal("800"),
    "comp_n": 3,
    "comp:EUR|comptype|refund": Decimal("20"),
    "comp:EUR|comptype|gift": Decimal("10"),
    "comp:JPY|comptype|refund": Decimal("800"),
    "resolved|cause|staffing": 2,
    "resolved|cause|software": 1,
    # the funnel: a stage counts the cases that passed every stage before it
    "funnel_alerted": 4,
    "funnel_acked": 3,
    "funnel_resolved": 3,
    "funnel_followup_sent": 3,
    "funnel_answered": 2,
    "funnel_recovered": 1,
}


def test_every_metric_from_one_hour() -> None:
    # GIVEN one Monday 10:00 UTC hour holding every kind of counter
    source = reports({"support-emea": {"2026-11-23T10": FULL}})
    # WHEN the day's metrics are read
    got = source.metrics("support-emea", DAY, DAY)
    # THEN each follows its definition
    assert (got["volume"], got["negatives"], got["negative_rate"]) == (10, 4, 0.4)
    assert (got["cases"], got["repeats"], got["repeat_rate"]) == (4, 1, 0.25)
    assert got["alerted_within_1m"] == 0.75  # 3 of 4 within 60 s
    assert got["alert_p50_s"] == 15.0  # rank 2 of 4: the end of the first bucket
    assert got["alert_p90_s"] == pytest.approx(60 + 60 * 0.6)  # rank 3.6: 60 % into (60, 120]
    # and each p90 names the bucket it lies in: its resolution; the open bucket has no upper end
    assert got["alert_p90_bucket"] == {"from_s": 60, "to_s": 120}
    assert got["resolve_p90_bucket"] == {"from_s": 172800, "to_s": None}
    assert got["ack_in_sla_rate"] == pytest.approx(2 / 3)
    assert got["ack_p50_s"] == pytest.approx(300 + 300 * 0.5)  # rank 1.5: half into (300, 600]
    assert got["resolve_p90_s"] == 172800  # the open bucket gives its lower bound
    assert got["resolve_in_sla_rate"] == pytest.approx(2 / 3)
    assert got["followup_response_rate"] == pytest.approx(2 / 3)
    assert got["recovery_rate"] == 0.5
    assert got["score_before_mean"] == {"nps": 4.0, "thumbs": 0.0}
    assert got["score_after_mean"] == {"nps": 7.0, "thumbs": 0.75}
    assert (got["nps_before_recovered"], got["nps_after_recovered"]) == (-100.0, 100.0)
    assert got["compensation"] == {
        "EUR": {"total": "30.00", "by_type": {"gift": "10.00", "refund": "20.00"}},
        "JPY": {"total": "800.00", "by_type": {"refund": "800.00"}},
    }
    assert got["cost_per_recovered"] == {"EUR": "30.00", "JPY": "800.00"}


def test_undefined_metrics_are_null_not_zero() -> None:
    # GIVEN no counters at all; WHEN read THEN counts are 0 and every rate is null
    got = reports({}).metrics("support-emea", DAY, DAY)
    assert got["volume"] == 0 and got["negative_rate"] is None and got["alert_p50_s"] is None
    assert got["alert_p90_bucket"] is None
    assert got["recovery_rate"] is None and got["nps_after_recovered"] is None and got["compensation"] == {}


def test_the_period_is_local_dates_in_the_teams_zone() -> None:
    # GIVEN hours just either side of Monday in Oslo (23:00 UTC Sunday is Monday 00:00 local)
    items = {
        "support-emea": {
            "2026-11-22T22": {"volume": 1},
            "2026-11-22T23": {"volume": 2},
            "2026-11-23T23": {"volume": 4},
        }
    }
    source = reports(items)
    # WHEN Monday is read THEN only the hours that start on Monday local time count
    assert source.metrics("support-emea", DAY, DAY)["volume"] == 2
    # and the one Query spans exactly those hours
    assert source._reader.calls == [("support-emea", "2026-11-22T23", "2026-11-23T22")]  # type: ignore[attr-defined]


def test_breakdown_by_counter_dimension_unquotes_values() -> None:
    # GIVEN counters of two agents, one whose name needs quoting
    counts = {
        "volume": 5,
        "negatives": 2,
        "volume|agent|mark": 3,
        "negatives|agent|mark": 2,
        "volume|agent|a%7Cb%20c": 2,
        "volume|tag|wait-time": 4,
    }
    summary = reports({"support-emea": {"2026-11-23T10": counts}}).summary(
        "support-emea", DAY, DAY, by="agent"
    )
    # THEN there is one group per agent, by name, each with its own metrics
    assert [group["value"] for group in summary["groups"]] == ["a|b c", "mark"]
    mark = summary["groups"][1]["metrics"]
    assert (mark["volume"], mark["negatives"], mark["negative_rate"]) == (3, 2, pytest.approx(2 / 3))
    assert summary["groups"][0]["metrics"]["negatives"] == 0
    assert summary["by"] == "agent" and summary["timezone"] == "Europe/Oslo"
    assert summary["metrics"]["volume"] == 5


def test_breakdown_by_compensation_type() -> None:
    summary = reports({"support-emea": {"2026-11-23T10": FULL}}).summary(
        "support-emea", DAY, DAY, by="comptype"
    )
    groups = {group["value"]: group["metrics"]["compensation"] for group in summary["groups"]}
    assert groups["refund"] == {
        "EUR": {"total": "20.00", "by_type": {"refund": "20.00"}},
        "JPY": {"total": "800.00", "by_type": {"refund": "800.00"}},
    }
    assert groups["gift"] == {"EUR": {"total": "10.00", "by_type": {"gift": "10.00"}}}


def test_hour_and_weekday_across_a_dst_change() -> None:
    # GIVEN 09:00 Oslo time on Friday before (UTC+1) and Monday after (UTC+2) the spring-forward of 29 March
    items = {
        "support-emea": {
            "2026-03-27T08": {"volume": 3, "negatives": 1},
            "2026-03-30T07": {"volume": 5, "negatives": 4},
            "2026-03-30T08": {"volume": 7},
        }
    }
    source = reports(items)
    first, last = date(2026, 3, 27), date(2026, 3, 30)
    # WHEN broken down by local hour and by weekday
    by_hour = source.summary("support-emea", first, last, by="hour")["groups"]
    by_day = source.summary("support-emea", first, last, by="weekday")["groups"]
    # THEN both 09:00 hours land on 9, and the 10:00 one on 10
    assert (
        len(by_hour) == 24
        and by_hour[9]["metrics"]["volume"] == 8
        and by_hour[9]["metrics"]["negatives"] == 5
    )
    assert by_hour[10]["metrics"]["volume"] == 7 and by_hour[8]["metrics"]["volume"] == 0
    assert [group["metrics"]["volume"] for group in by_day] == [12, 0, 0, 0, 3, 0, 0]
    # and the spring-forward Sunday has 23 hours in the Query range
    heat = source.dashboard("support-emea", first, last)["heatmap"]
    assert {(c["weekday"], c["hour"]): c["volume"] for c in heat if c["volume"]} == {
        (4, 9): 3,
        (0, 9): 5,
        (0, 10): 7,
    }


def test_trend_by_day_and_by_week() -> None:
    items = {
        "support-emea": {
            "2026-11-20T10": {"volume": 1},  # Friday
            "2026-11-23T10": {"volume": 2},  # Monday
            "2026-11-25T10": {"volume": 4},  # Wednesday
        }
    }
    source = reports(items)
    daily = source.trend("support-emea", date(2026, 11, 20), date(2026, 11, 25), "day")
    assert [(p["period"], p["metrics"]["volume"]) for p in daily["points"]] == [
        ("2026-11-20", 1),
        ("2026-11-21", 0),
        ("2026-11-22", 0),
        ("2026-11-23", 2),
        ("2026-11-24", 0),
        ("2026-11-25", 4),
    ]
    weekly = source.trend("support-emea", date(2026, 11, 20), date(2026, 11, 25), "week")
    # the first week starts at the report's first day, the next on its Monday
    assert [(p["period"], p["metrics"]["volume"]) for p in weekly["points"]] == [
        ("2026-11-20", 1),
        ("2026-11-23", 6),
    ]


def test_dashboard_parts() -> None:
    # GIVEN this Monday and the Sunday before (the previous one-day period)
    items = {
        "support-emea": {
            "2026-11-22T10": {"volume": 10, "negatives": 2},
            "2026-11-23T10": FULL,
        }
    }
    marker = {
        "component": "checkout",
        "version": "2.1",
        "at": "2026-11-23T09:00:00Z",
        "tags": [],
        "note": None,
    }
    anomaly = {
        "dimension": "tag",
        "value": "checkout",
        "since": "x",
        "open": True,
        "rate": 0.5,
        "limit": 0.2,
        "marker": None,
    }
    windows: list[tuple[datetime, datetime]] = []
    source = reports(
        items,
        markers=lambda start, end: windows.append((start, end)) or [marker],
        anomalies=lambda team: [anomaly] if team == "support-emea" else [],
    )
    board = source.dashboard("support-emea", DAY, DAY)
    # THEN the headline compares with the day before
    assert board["previous"] == {"from": "2026-11-22", "to": "2026-11-22"}
    assert board["headline"]["negative_rate"] == {
        "value": 0.4,
        "previous": 0.2,
        "change": 0.2,
        "relative": 1.0,
    }
    assert board["headline"]["volume"]["relative"] == 0.0
    # a duration names its unit and the bucket its value lies in
    assert board["headline"]["alert_p90_s"]["unit"] == "s"
    assert board["headline"]["alert_p90_s"]["bucket"] == {"from_s": 60, "to_s": 120}
    assert "unit" not in board["headline"]["volume"]
    # the funnel counts each step
    assert [(s["step"], s["count"]) for s in board["funnel"]] == [
        ("negative", 4),
        ("alerted", 4),
        ("acknowledged", 3),
        ("resolved", 3),
        ("followed_up", 3),
        ("answered", 2),
        ("recovered", 1),
    ]
    assert board["scores"]["nps"] == {"before": {"3": 1, "5": 1}, "after": {"10": 1, "4": 1}}
    assert len(board["heatmap"]) == 168
    # the Pareto of causes is descending with a running share
    assert board["causes"] == [
        {"cause": "staffing", "count": 2, "share": pytest.approx(2 / 3), "cumulative": pytest.approx(2 / 3)},
        {"cause": "software", "count": 1, "share": pytest.approx(1 / 3), "cumulative": pytest.approx(1.0)},
    ]
    # the control chart: the period's pooled rate and the 3-sigma limit for the day's volume
    point = board["control"]["points"][0]
    assert point["centre"] == 0.4 and point["limit"] == pytest.approx(
        min(1.0, 0.4 + 3 * (0.4 * 0.6 / 10) ** 0.5)
    )
    assert board["markers"] == [marker] and board["anomalies"] == [anomaly]
    # markers are asked for the local day's instants
    assert windows == [(datetime(2026, 11, 22, 23, tzinfo=UTC), datetime(2026, 11, 23, 23, tzinfo=UTC))]


def test_all_teams_sums_each_partition_in_utc() -> None:
    items = {
        "support-emea": {"2026-11-23T10": {"volume": 2}},
        "support-apac": {"2026-11-23T23": {"volume": 3}},
        "unknown": {"2026-11-23T11": {"volume": 100}},
    }
    source = reports(items)
    summary = source.summary(ALL, DAY, DAY)
    assert summary["team"] == "all" and summary["timezone"] == "UTC"
    assert summary["metrics"]["volume"] == 5
    assert source.items_read == 2


def test_unknown_team_and_bad_periods_are_refused() -> None:
    with pytest.raises(UnknownTeam):
        reports({}).metrics("nobody", DAY, DAY)
    with pytest.raises(BadPeriod):
        reports({}).metrics("support-emea", DAY, date(2026, 11, 1))
    with pytest.raises(BadPeriod):
        reports({}).metrics("support-emea", date(2025, 1, 1), DAY)


def test_parse_name() -> None:
    assert parse_name("comp:EUR|comptype|refund") == ("comp:EUR", "comptype", "refund")
    assert parse_name("alert_s:inf") == ("alert_s:inf", None, None)
    assert parse_name("volume|tag|a%5Bb%5D") == ("volume", "tag", "a[b]")


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_one_row_per_group_with_dotted_metric_columns() -> None:
    counts = dict(FULL)
    counts.update({"volume|agent|mark": 3, "volume|agent|=HYPERLINK(1)": 1})
    summary = reports({"support-emea": {"2026-11-23T10": counts}}).summary(
        "support-emea", DAY, DAY, by="agent"
    )
    text = to_csv(summary)
    rows = _read_csv(text)
    assert text.splitlines()[0].startswith("team,from,to,by,value,volume,negatives,negative_rate")
    assert [row["value"] for row in rows] == ["'=HYPERLINK(1)", "mark"]
    assert rows[1]["volume"] == "3" and rows[1]["negative_rate"] == "0.0" and rows[1]["repeat_rate"] == ""
    whole = _read_csv(
        to_csv(reports({"support-emea": {"2026-11-23T10": FULL}}).summary("support-emea", DAY, DAY))
    )
    assert len(whole) == 1 and whole[0]["compensation.EUR.total"] == "30.00"
    assert (
        whole[0]["compensation.EUR.by_type.refund"] == "20.00" and whole[0]["score_after_mean.nps"] == "7.0"
    )


def test_csv_of_a_trend_and_of_a_list() -> None:
    trend = reports({"support-emea": {"2026-11-23T10": {"volume": 2}}}).trend(
        "support-emea", DAY, date(2026, 11, 24)
    )
    rows = _read_csv(to_csv(trend))
    assert [(row["period"], row["volume"]) for row in rows] == [("2026-11-23", "2"), ("2026-11-24", "0")]
    listed = _read_csv(to_csv({"cases": [{"id": "cs_1", "status": "open"}], "next_cursor": None}))
    assert listed == [{"id": "cs_1", "status": "open"}]


def test_all_teams_broken_down_by_team() -> None:
    # GIVEN two teams with feedback on the same UTC day
    items = {
        "support-emea": {"2026-11-23T10": {"volume": 4, "negatives": 1}},
        "support-apac": {"2026-11-23T02": {"volume": 2, "negatives": 2}},
    }
    # WHEN an admin asks for every team by team
    summary = reports(items).summary(ALL, DAY, DAY, by="team")
    # THEN each team is a group with its own metrics, and the whole is their sum
    assert summary["by"] == "team" and summary["metrics"]["volume"] == 6
    assert [
        (g["value"], g["metrics"]["volume"], g["metrics"]["negative_rate"]) for g in summary["groups"]
    ] == [
        ("support-apac", 2, 1.0),
        ("support-emea", 4, 0.25),
    ]
    # AND as CSV, one row per team
    rows = _read_csv(to_csv(summary))
    assert [(row["by"], row["value"], row["volume"]) for row in rows] == [
        ("team", "support-apac", "2"),
        ("team", "support-emea", "4"),
    ]


def test_control_chart_of_a_tag_and_the_groups_to_pick_from() -> None:
    # GIVEN a tag whose value needs quoting, an agent, and the team's own figures on two days
    items = {
        "support-emea": {
            "2026-11-23T10": {
                "volume": 10,
                "negatives": 2,
                "volume|tag|check%20out": 4,
                "negatives|tag|check%20out": 3,
                "volume|agent|mark": 5,
            },
            "2026-11-24T10": {"volume": 6, "negatives": 1, "volume|tag|check%20out": 2},
        }
    }
    source = reports(items)
    # WHEN the dashboard is asked for the tag's control chart
    board = source.dashboard("support-emea", DAY, date(2026, 11, 24), Group("tag", "check out"))
    # THEN the chart is the tag's daily p-chart: its counts, its pooled centre, its limits
    chart = board["control"]
    assert chart["group"] == {"dimension": "tag", "value": "check out"}
    assert [(p["volume"], p["negatives"], p["rate"]) for p in chart["points"]] == [(4, 3, 0.75), (2, 0, 0.0)]
    assert chart["points"][0]["centre"] == 0.5
    assert chart["points"][1]["limit"] == pytest.approx(min(1.0, 0.5 + 3 * (0.25 / 2) ** 0.5))
    # AND the document lists the groups a chart can be drawn for
    assert board["control_groups"] == [
        {"dimension": "agent", "value": "mark"},
        {"dimension": "tag", "value": "check out"},
    ]
    # AND without a group the chart is the team's
    team_chart = source.dashboard("support-emea", DAY, date(2026, 11, 24))["control"]
    assert team_chart["group"] == {"dimension": "team", "value": "support-emea"}
    assert [p["volume"] for p in team_chart["points"]] == [10, 6]


def test_root_causes_by_cause_and_effect_category() -> None:
    # GIVEN resolved cases with causes from three categories (one not a known root cause)
    counts = {
        "resolved": 9,
        "resolved|cause|wait_time": 3,
        "resolved|cause|billing": 1,
        "resolved|cause|staff_behaviour": 2,
        "resolved|cause|communication": 2,
        "resolved|cause|mystery": 1,
        "opened|cause|delivery": 1,  # not resolved: not counted
    }
    source = reports({"support-emea": {"2026-11-23T10": counts}})
    # WHEN the dashboard and the summary by category are read
    board = source.dashboard("support-emea", DAY, DAY)
    summary = source.summary("support-emea", DAY, DAY, by="category")
    # THEN categories are most frequent first (ties by name), each with its causes
    assert board["causes_by_category"] == [
        {
            "category": "people",
            "count": 4,
            "causes": [{"cause": "communication", "count": 2}, {"cause": "staff_behaviour", "count": 2}],
        },
        {
            "category": "process",
            "count": 4,
            "causes": [{"cause": "wait_time", "count": 3}, {"cause": "billing", "count": 1}],
        },
        {"category": "other", "count": 1, "causes": [{"cause": "mystery", "count": 1}]},
    ]
    # AND the summary groups by category with case figures
    assert [(g["value"], g["metrics"]["resolved"]) for g in summary["groups"]] == [
        ("other", 1),
        ("partners", 0),
        ("people", 4),
        ("process", 4),
    ]


def test_every_root_cause_has_a_category() -> None:
    assert set(CATEGORY_OF_CAUSE) == set(ROOT_CAUSES)
    assert set(CATEGORY_OF_CAUSE.values()) <= set(CAUSE_CATEGORIES)
    assert cause_category("delivery") == "partners" and cause_category("unheard-of") == "other"
