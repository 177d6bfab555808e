"""A team's closing target (48 hours and 80% unless set) and its business hours (its leads' duty)."""

from __future__ import annotations

from typing import Any

import pytest

from recovery.domain.routing import ConfigError, parse_config

OFFICE = {"timezone": "Europe/Oslo", "windows": [{"days": ["mon"], "start": "09:00", "end": "17:00"}]}


def config(**team: Any) -> Any:
    levels = team.pop("levels", None) or {1: [contact("kari")]}
    return parse_config(
        {"teams": [{"id": "t", "name": "T", "levels": levels, **team}], "routing": {"default_team": "t"}}
    )


def contact(contact_id: str, **more: Any) -> dict[str, Any]:
    return {
        "id": contact_id,
        "name": contact_id,
        "email": f"{contact_id}@example.com",
        "channels": ["email"],
        **more,
    }


def test_the_target_defaults_to_48_hours_and_80_percent() -> None:
    target = config().team("t").closing_target
    assert (target.hours, target.share) == (48, 0.8)


def test_a_team_sets_its_own_target() -> None:
    target = config(closing_target={"hours": 24, "share": 1}).team("t").closing_target
    assert (target.hours, target.share) == (24, 1.0)


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ({"hours": 0}, "teams/0/closing_target/hours"),
        ({"hours": 721}, "teams/0/closing_target/hours"),
        ({"hours": 1.5}, "teams/0/closing_target/hours"),
        ({"share": 0}, "teams/0/closing_target/share"),
        ({"share": 1.01}, "teams/0/closing_target/share"),
        ({"share": "most"}, "teams/0/closing_target/share"),
        ({"days": 2}, "teams/0/closing_target/days"),
    ],
)
def test_a_bad_target_is_refused_naming_its_key(target: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=f"^{key}: "):
        config(closing_target=target)


def test_business_hours_are_the_leads_duty_only() -> None:
    team = config(
        levels={1: [contact("kari", on_duty=OFFICE), contact("mark")], 2: [contact("ingrid", on_duty=OFFICE)]}
    ).team("t")
    hours = team.business_hours()
    assert len(hours) == 2
    assert hours[0] is not None and hours[0].timezone == "Europe/Oslo"
    assert hours[1] is None  # a lead without hours is always on duty
