"""What a resolve keeps for the on-time share: the team's target hours and its business seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recovery.domain.routing import Team, parse_config
from recovery.services.cases import closing_time

OPENED = datetime(2026, 11, 20, 15, tzinfo=UTC)  # Friday 16:00 in Oslo
RESOLVED = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday 10:00 in Oslo
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE = {"timezone": "Europe/Oslo", "windows": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]}


def team(**extra: object) -> Team:
    lead = {"id": "kari", "name": "Kari", "email": "kari@example.com", "channels": ["email"], **extra}
    document = {
        "teams": [{"id": "t", "name": "T", "closing_target": {"hours": 24}, "levels": {1: [lead]}}],
        "routing": {"default_team": "t"},
    }
    return parse_config(document).team("t")


def test_a_team_with_office_hours_keeps_its_target_and_the_business_seconds() -> None:
    assert closing_time(team(on_duty=OFFICE), OPENED, RESOLVED) == (24, 2 * 3600)


def test_leads_always_on_duty_make_business_hours_the_wall_clock() -> None:
    assert closing_time(team(), OPENED, RESOLVED) == (24, 66 * 3600)


def test_a_team_no_longer_configured_has_the_default_target_on_the_wall_clock() -> None:
    assert closing_time(None, OPENED, OPENED + timedelta(hours=5, seconds=30)) == (48, 5 * 3600 + 30)
