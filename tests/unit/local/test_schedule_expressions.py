from datetime import UTC, datetime, timedelta

import pytest

from local.schedule_expressions import aws_cron_to_croniter, parse_schedule

START = datetime(2026, 11, 23, 0, 0, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("aws", "expected"),
    [
        ("0 9 ? * MON-FRI *", ("0 9 * * MON-FRI", "*")),
        ("0 9 ? * 2-6 *", ("0 9 * * 1-5", "*")),  # AWS counts weekdays from Sunday = 1
        ("0 9 ? * 1,7 *", ("0 9 * * 0,6", "*")),
        ("0 9 ? * 2#1 *", ("0 9 * * 1#1", "*")),
        ("0 9 ? * 6L *", ("0 9 * * L5", "*")),
        ("0/15 * * * ? 2027", ("0/15 * * * *", "2027")),
        ("0 8 L * ? *", ("0 8 L * *", "*")),
    ],
)
def test_aws_cron_becomes_croniter_syntax(aws: str, expected: tuple[str, str]) -> None:
    assert aws_cron_to_croniter(aws) == expected


@pytest.mark.parametrize(
    "aws",
    ["0 9 * * * *", "0 9 * *", "0 9 ? * 8 *", "0 9 15W * ? *", "0 25 ? * MON *", "0 9 ? * FUNDAY *"],
)
def test_invalid_or_unsupported_cron_is_refused(aws: str) -> None:
    with pytest.raises(ValueError):
        aws_cron_to_croniter(aws)


def test_rate_counts_from_the_anchor() -> None:
    schedule = parse_schedule("rate(5 minutes)", START)
    first = schedule.next_after(START)
    assert first == START + timedelta(minutes=5)
    assert schedule.next_after(first) == START + timedelta(minutes=10)
    # exactly one firing in any five-minute window
    window_start = START + timedelta(minutes=7)
    inside = schedule.next_after(window_start)
    assert inside is not None and window_start < inside <= window_start + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("text", "seconds"), [("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)]
)
def test_rate_units(text: str, seconds: int) -> None:
    assert parse_schedule(text, START).next_after(START) == START + timedelta(seconds=seconds)


def test_cron_follows_the_calendar_in_utc() -> None:
    schedule = parse_schedule("cron(0 9 ? * MON-FRI *)", START)
    first = schedule.next_after(START)
    assert first == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert schedule.next_after(friday) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # skips the weekend


def test_cron_in_a_time_zone() -> None:
    schedule = parse_schedule("cron(0 9 * * ? *)", START, "Europe/Oslo")
    assert schedule.next_after(START) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_cron_year_field_limits_firings() -> None:
    assert parse_schedule("cron(0 8 1 * ? 2025)", START).next_after(START) is None
    assert parse_schedule("cron(0 8 1 1 ? 2028-2030)", START).next_after(START) == datetime(
        2028, 1, 1, 8, 0, tzinfo=UTC
    )


def test_at_fires_once() -> None:
    schedule = parse_schedule("at(2026-12-01T10:00:00)", START)
    moment = schedule.next_after(START)
    assert moment == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert schedule.next_after(moment) is None


@pytest.mark.parametrize("text", ["rate(0 minutes)", "rate(5 weeks)", "every 5 minutes", "cron(0 9 * *)"])
def test_unknown_expressions_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text, START)
