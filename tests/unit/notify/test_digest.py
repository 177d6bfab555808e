"""The weekly digest's pure parts: which week a run covers, the figures against the four weeks before,
the nearest deadlines, and the email in six languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from recovery.domain.metrics import PeriodChange
from recovery.domain.records import Case
from recovery.notify.digest import (
    DigestContext,
    Figure,
    NearCase,
    change_text,
    duration_text,
    percent_text,
    render_digest,
    tone,
)
from recovery.notify.render import LANGUAGES
from recovery.services.digest import compensation_figures, digest_week, nearest_cases, week_figures

NOW = datetime(2026, 11, 23, 7, 10, tzinfo=UTC)  # Monday 08:10 in Oslo


# --- the week ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (NOW, "Europe/Oslo", (date(2026, 11, 16), date(2026, 11, 22))),
        (NOW, "UTC", None),  # 07:10 in UTC: an hour early
        (datetime(2026, 11, 23, 8, 59, tzinfo=UTC), "UTC", (date(2026, 11, 16), date(2026, 11, 22))),
        (
            datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
            "America/New_York",
            (date(2026, 11, 16), date(2026, 11, 22)),
        ),
        (datetime(2026, 11, 24, 7, 10, tzinfo=UTC), "Europe/Oslo", None),  # Tuesday
        (datetime(2026, 11, 22, 23, 0, tzinfo=UTC), "Asia/Tokyo", (date(2026, 11, 16), date(2026, 11, 22))),
    ],
)
def test_a_digest_covers_the_last_local_week_at_monday_eight(
    moment: datetime, zone: str, expected: tuple[date, date] | None
) -> None:
    # GIVEN a moment and a team's zone / WHEN the digest week is asked for / THEN Mon-Sun before, or None
    assert digest_week(moment, zone) == expected


def test_the_digest_hour_comes_once_a_week_in_every_zone() -> None:
    # GIVEN every hour of a week, for zones with whole, half and DST offsets
    for zone in ("UTC", "Europe/Oslo", "Asia/Kolkata", "America/St_Johns", "Pacific/Auckland"):
        hours = [datetime(2026, 11, 16, tzinfo=UTC) + timedelta(hours=n) for n in range(7 * 24)]
        # WHEN each is checked / THEN exactly one hour is a digest hour
        assert sum(digest_week(hour, zone) is not None for hour in hours) == 1, zone


# --- the figures -------------------------------------------------------------------------------------


def test_each_figure_is_compared_with_the_mean_of_the_four_weeks_before() -> None:
    # GIVEN a week and four earlier ones, one of them without any acknowledgement
    current = {"volume": 200, "negative_rate": 0.15, "ack_in_sla_rate": 0.9, "alert_p90_s": 40.0}
    previous: list[dict[str, Any]] = [
        {"volume": 100, "negative_rate": 0.1, "ack_in_sla_rate": 0.8, "alert_p90_s": 50.0},
        {"volume": 120, "negative_rate": 0.1, "ack_in_sla_rate": None, "alert_p90_s": 60.0},
        {"volume": 140, "negative_rate": 0.2, "ack_in_sla_rate": 0.6, "alert_p90_s": 70.0},
        {"volume": 160, "negative_rate": 0.2, "ack_in_sla_rate": 0.7, "alert_p90_s": 80.0},
    ]
    # WHEN the figures are computed
    figures = {figure.metric: figure for figure in week_figures(current, previous)}
    # THEN each has the mean of the weeks that have a value, and the change on it
    assert figures["volume"].baseline == 130
    assert figures["volume"].change.relative == pytest.approx(70 / 130)
    assert figures["negative_rate"].baseline == pytest.approx(0.15)
    assert figures["ack_in_sla_rate"].baseline == pytest.approx(0.7)  # the week without one left out
    assert figures["ack_in_sla_rate"].change.absolute == pytest.approx(0.2)
    assert figures["alert_p90_s"].change.absolute == pytest.approx(-25.0)
    assert figures["recovery_rate"].value is None and figures["recovery_rate"].change == (None, None)


def test_compensation_is_compared_per_currency_counting_weeks_without_any_as_nothing_given() -> None:
    # GIVEN euros this week and in one week before, yen only before
    current = {"compensation": {"EUR": {"total": "60.00", "by_type": {}}}}
    previous = [
        {"compensation": {"EUR": {"total": "40.00", "by_type": {}}}},
        {"compensation": {}},
        {"compensation": {"JPY": {"total": "8000.00", "by_type": {}}}},
        {"compensation": {}},
    ]
    # WHEN the figures are computed
    figures = {figure.currency: figure for figure in compensation_figures(current, previous)}
    # THEN the mean is over all four weeks, and a currency not given this week counts 0
    assert figures["EUR"].value == Decimal("60.00") and figures["EUR"].baseline == Decimal("10")
    assert figures["EUR"].change.relative == pytest.approx(5.0)
    assert figures["JPY"].value == 0 and figures["JPY"].baseline == Decimal("2000")


def due_case(case_id: str, priority: int, ack_due_at: datetime, resolve_due_at: datetime) -> Case:
    """A case with the deadlines and priority the digest's nearest cases read."""
    return Case(
        case_id=case_id,
        feedback_pk=f"FB#web#{case_id}",
        feedback_id=f"fb_{case_id}",
        source="web",
        status="open",
        priority=priority,
        customer_key="k1",
        opened_at=NOW,
        occurred_at=NOW,
        ack_due_at=ack_due_at,
        resolve_due_at=resolve_due_at,
        alert_state="sent",
    )


def test_the_nearest_deadlines_come_first_whatever_the_queue() -> None:
    # GIVEN open cases (ack deadlines) and acknowledged ones (resolve deadlines), one overdue
    at = NOW
    open_cases = [
        due_case("o1", 3, at + timedelta(minutes=30), at + timedelta(days=1)),
        due_case("o2", 1, at - timedelta(minutes=5), at + timedelta(days=1)),
        due_case("o3", 2, at + timedelta(hours=5), at + timedelta(minutes=1)),
    ]
    acked = [
        due_case("a1", 2, at - timedelta(days=2), at + timedelta(minutes=10)),
        due_case("a2", 4, at - timedelta(days=2), at + timedelta(hours=2)),
        due_case("a3", 1, at - timedelta(days=2), at + timedelta(hours=9)),
    ]
    # WHEN the five nearest are picked
    found = nearest_cases(open_cases, acked, lambda case_id: f"https://x.example/c/{case_id}")
    # THEN by deadline, each with the step it is due for and its link
    assert [(case.case_id, case.step) for case in found] == [
        ("o2", "ack"),
        ("a1", "resolve"),
        ("o1", "ack"),
        ("a2", "resolve"),
        ("o3", "ack"),
    ]
    assert found[0].url == "https://x.example/c/o2"


# --- numbers in the reader's language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "share", "expected"),
    [("en", 0.125, "12.5%"), ("de", 0.125, "12,5\u00a0%"), ("tr", 0.125, "%12,5"), ("ja", 1.0, "100.0%")],
)
def test_percentages_read_as_the_lead_writes_them(language: str, share: float, expected: str) -> None:
    assert percent_text(share, language) == expected


@pytest.mark.parametrize(
    ("language", "seconds", "expected"),
    [
        ("en", 45, "45 s"),
        ("en", 180, "3 min"),
        ("en", 150, "2.5 min"),
        ("en", 5400, "1.5 h"),
        ("de", 150, "2,5\u00a0min"),
        ("ja", 45, "45秒"),
        ("zh", 180, "3分钟"),
        ("tr", 45, "45 sn"),
        ("nb", 7200, "2\u00a0t"),
    ],
)
def test_durations_read_in_seconds_minutes_or_hours(language: str, seconds: float, expected: str) -> None:
    assert duration_text(seconds, language) == expected


def test_changes_are_points_for_shares_durations_for_times_and_relative_for_counts() -> None:
    share = Figure("negative_rate", "share", 0.15, 0.125, PeriodChange(0.025, 0.2), "down")
    seconds = Figure("alert_p90_s", "seconds", 40.0, 55.0, PeriodChange(-15.0, -15 / 55), "down")
    count = Figure("volume", "count", 200, 130, PeriodChange(70, 70 / 130))
    assert change_text(share, "en") == "+2.5 pp"
    assert change_text(seconds, "en") == "−15 s"
    assert change_text(count, "en") == "+54%"
    assert change_text(count, "tr") == "+%54"
    # a worse negative rate is bad news, a faster alert good news, volume neither
    assert (tone(share), tone(seconds), tone(count)) == ("bad", "good", "neutral")


# --- the email ---------------------------------------------------------------------------------------


def context(language: str, **changes: Any) -> DigestContext:
    values: dict[str, Any] = {
        "team": "Support <EMEA>",
        "recipient_name": "Kari",
        "language": language,
        "timezone": "Europe/Oslo",
        "week_from": date(2026, 11, 16),
        "week_to": date(2026, 11, 22),
        "now": NOW,
        "figures": [Figure("negative_rate", "share", 0.15, 0.125, PeriodChange(0.025, 0.2), "down")],
        "compensation": [
            Figure("compensation", "money", Decimal("60.00"), Decimal("10"), PeriodChange(50, 5), None, "EUR")
        ],
        "anomalies": [
            {
                "dimension": "tag",
                "value": "<checkout>",
                "since": "2026-11-20T09:00:00Z",
                "open": True,
                "rate": 0.4,
                "limit": 0.2,
                "marker": {"component": "checkout", "version": "2.3.1", "at": "2026-11-20T08:30:00Z"},
            }
        ],
        "cases": [
            NearCase(
                "c-1", 1, "ack", NOW - timedelta(minutes=5), "http://127.0.0.1:3000/console/#/cases/c-1"
            ),
            NearCase(
                "c-2", 2, "resolve", NOW + timedelta(hours=2), "http://127.0.0.1:3000/console/#/cases/c-2"
            ),
        ],
        "console_url": "http://127.0.0.1:3000/console/",
    }
    values.update(changes)
    return DigestContext(**values)


def test_the_digest_shows_numbers_anomalies_and_cases_with_links() -> None:
    # GIVEN a week with one anomaly after a release and two cases near their deadline
    # WHEN it is rendered in English
    rendered = render_digest(context("en"))
    # THEN the text and HTML carry the figures, the anomaly with its marker, and each case's link
    assert rendered.subject == "Weekly digest: Support <EMEA>, 2026-11-16 to 2026-11-22"
    text = rendered.text
    assert "Negative rate: 15.0% (4-week mean: 12.5%; Change: +2.5 pp)" in text
    assert "Compensation (EUR): 60.00 EUR (4-week mean: 10.00 EUR; Change: +500%)" in text
    assert (
        "Tag <checkout>: negative rate 40.0%, above the control limit of 20.0%, since 2026-11-20 10:00 CET."
        in text
    )
    assert "Likely cause: release checkout 2.3.1 (2026-11-20 09:30 CET)." in text
    assert "P1 Case c-1: acknowledge by 2026-11-23 08:05 CET (overdue)" in text
    assert "P2 Case c-2: resolve by 2026-11-23 10:10 CET\n" in text
    assert "http://127.0.0.1:3000/console/#/cases/c-2" in text
    assert 'href="http://127.0.0.1:3000/console/#/cases/c-1"' in rendered.html


def test_names_from_outside_never_become_markup() -> None:
    rendered = render_digest(context("en"))
    assert "<checkout>" not in rendered.html and "&lt;checkout&gt;" in rendered.html
    assert "Support &lt;EMEA&gt;" in rendered.html


def test_a_quiet_week_says_so() -> None:
    rendered = render_digest(context("en", anomalies=[], cases=[], compensation=[]))
    assert "No open anomalies." in rendered.text
    assert "No open or acknowledged cases." in rendered.text
    assert "No compensation was given" in rendered.text


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_has_its_own_wording_and_formats(language: str) -> None:
    # GIVEN the same digest / WHEN rendered in each language
    rendered = render_digest(context(language))
    english = render_digest(context("en"))
    # THEN it is complete, in that language (only English reads English), with the reader's percentages
    assert f'<html lang="{language}">' in rendered.html
    assert (rendered.subject == english.subject) == (language == "en")
    assert percent_text(0.15, language) in rendered.text
    assert "{" not in rendered.text and "{" not in rendered.subject


def test_an_unsupported_language_reads_english() -> None:
    assert render_digest(context("fr-FR")).subject == render_digest(context("en")).subject


def test_the_time_to_alert_names_the_bucket_it_lies_in() -> None:
    # GIVEN a week whose alerts' p90 lies in the histogram bucket 0-15 s, as the reports name it
    current = {"alert_p90_s": 13.2, "alert_p90_bucket": {"from_s": 0, "to_s": 15}}
    (figure,) = [f for f in week_figures(current, []) if f.metric == "alert_p90_s"]
    assert figure.bucket == (0.0, 15.0)
    # WHEN the digest is rendered THEN the figure reads with its unit and its resolution, in each language
    rendered = render_digest(context("en", figures=[figure]))
    assert "Time to alert (p90): 13 s, in the bucket 0 s–15 s" in rendered.text
    assert "in the bucket 0 s–15 s" in rendered.html
    assert "の区間" in render_digest(context("ja", figures=[figure])).text
    # AND a p90 in the open last bucket is "at least" its lower end; other figures name no bucket
    open_ended = week_figures(
        {"alert_p90_s": 172800.0, "alert_p90_bucket": {"from_s": 172800, "to_s": None}}, []
    )
    assert "at least 48 h" in render_digest(context("en", figures=open_ended)).text
    assert all(f.bucket is None for f in week_figures(current, []) if f.metric != "alert_p90_s")
