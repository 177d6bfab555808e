"""A team's Microsoft Teams workflow: named by its secret, never by its URL."""

from __future__ import annotations

from typing import Any

import pytest

from recovery.domain.routing import ConfigError, parse_config


def config(**team: Any) -> Any:
    return parse_config(
        {
            "teams": [
                {
                    "id": "t",
                    "name": "T",
                    "levels": {
                        1: [
                            {"id": "kari", "name": "Kari", "email": "kari@example.com", "channels": ["email"]}
                        ]
                    },
                    **team,
                }
            ],
            "routing": {"default_team": "t"},
        }
    )


def test_a_team_may_name_its_teams_webhook_secret() -> None:
    assert config(teams_webhook="support-emea").team("t").teams_webhook == "support-emea"


def test_the_teams_webhook_is_optional() -> None:
    assert config().team("t").teams_webhook is None


@pytest.mark.parametrize(
    "name",
    [
        "https://prod-00.westeurope.logic.azure.com/workflows/abc",  # a URL belongs in the secret
        "Support-EMEA",
        "-emea",
        "emea/prod",
        "",
        "a" * 64,
    ],
)
def test_a_malformed_teams_webhook_name_is_refused_naming_the_key(name: str) -> None:
    with pytest.raises(ConfigError, match=r"^teams/0/teams_webhook: "):
        config(teams_webhook=name)
