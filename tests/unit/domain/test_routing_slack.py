"""Slack ids in the teams configuration: a team's channel and a contact's Slack user."""

from __future__ import annotations

from typing import Any

import pytest

from recovery.domain.routing import ConfigError, parse_config


def config(team: dict[str, Any] | None = None, **lead: Any) -> Any:
    return parse_config(
        {
            "teams": [
                {
                    "id": "t",
                    "name": "T",
                    "levels": {
                        1: [
                            {
                                "id": "kari",
                                "name": "Kari",
                                "email": "kari@example.com",
                                "channels": ["email"],
                                **lead,
                            }
                        ],
                        2: [
                            {
                                "id": "ola",
                                "name": "Ola",
                                "email": "ola@example.com",
                                "channels": ["email"],
                                "slack_user": "W0OLA123",
                            }
                        ],
                    },
                    **(team or {}),
                }
            ],
            "routing": {"default_team": "t"},
        }
    )


def test_a_team_may_name_a_slack_channel_and_a_contact_a_slack_user() -> None:
    team = config({"slack_channel": "C0EMEA"}, slack_user="U0KARI").team("t")
    assert team.slack_channel == "C0EMEA"
    assert team.contact_by_slack_user("U0KARI") is team.level(1)[0]
    assert team.contact_by_slack_user("W0OLA123") is team.level(2)[0]
    assert team.contact_by_slack_user("U0NOBODY") is None


def test_slack_ids_are_optional() -> None:
    team = config().team("t")
    assert team.slack_channel is None
    assert team.level(1)[0].slack_user is None
    assert team.contact_by_slack_user("U0KARI") is None


@pytest.mark.parametrize(
    ("team", "lead", "key"),
    [
        ({"slack_channel": "#emea"}, {}, "teams/0/slack_channel"),
        ({"slack_channel": "U0KARI"}, {}, "teams/0/slack_channel"),
        ({"slack_channel": "c0emea"}, {}, "teams/0/slack_channel"),
        ({}, {"slack_user": "@kari"}, "teams/0/levels/1/0/slack_user"),
        ({}, {"slack_user": "C0EMEA"}, "teams/0/levels/1/0/slack_user"),
        ({}, {"slack_user": "U0"}, "teams/0/levels/1/0/slack_user"),
    ],
)
def test_a_malformed_slack_id_is_refused_naming_the_key(
    team: dict[str, Any], lead: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError, match=f"^{key}: "):
        config(team, **lead)
