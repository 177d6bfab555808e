"""Which clock a team contact reads: their own zone, else their on-duty hours', else the team's."""

from __future__ import annotations

from typing import Any

import pytest

from recovery.domain.routing import ConfigError, parse_config


def config(*contacts: dict[str, Any], timezone: str = "Europe/Oslo") -> Any:
    return parse_config(
        {
            "teams": [{"id": "t", "name": "T", "timezone": timezone, "levels": {1: list(contacts)}}],
            "routing": {"default_team": "t"},
        }
    )


def contact(contact_id: str, **more: Any) -> dict[str, Any]:
    return {
        "id": contact_id,
        "name": contact_id,
        "email": f"{contact_id}@example.com",
        "channels": ["email"],
        **more,
    }


def test_a_contact_reads_their_own_zone_then_their_on_duty_zone_then_the_teams() -> None:
    on_duty = {"timezone": "Asia/Tokyo", "windows": [{"days": ["mon"], "start": "09:00", "end": "17:00"}]}
    team = config(
        contact("own", timezone="America/Chicago", on_duty=on_duty),
        contact("duty", on_duty=on_duty),
        contact("none"),
    ).team("t")
    assert [team.zone_for(c) for c in team.level(1)] == ["America/Chicago", "Asia/Tokyo", "Europe/Oslo"]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", ""])
def test_a_contacts_zone_must_be_an_iana_zone(zone: str) -> None:
    with pytest.raises(ConfigError, match=r"teams/0/levels/1/0/timezone: not an IANA time zone"):
        config(contact("a", timezone=zone))
