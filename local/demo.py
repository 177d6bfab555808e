"""The demo set-up: source keys and webhook secrets, the admin key, the console login, config seeding.

Keys are generated once and kept with `--state`, so a restart prints the same ones.
"""

from __future__ import annotations

import base64
import importlib.util
import logging
import secrets
from collections.abc import Mapping
from pathlib import Path

import yaml
from botocore.exceptions import ClientError

from local.aws import AwsClients, error_code
from local.state import RuntimeState
from tools.seed import seed_from_dir

log = logging.getLogger(__name__)

# The demo login is Kari, a level-1 contact of support-emea in config/teams.yaml, so the timeline names her.
CONSOLE_USERNAME = "kari@example.com"
CONSOLE_TEAM = "support-emea"


def team_group(team_id: str) -> str:
    """Team membership is the Cognito group `team-<team id>` (teams are configuration, not template)."""
    return f"team-{team_id}"


def source_ids(config_dir: Path) -> list[str]:
    """The `id` of every source in `config/sources.yaml` (a YAML list of mappings)."""
    path = config_dir / "sources.yaml"
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(document, dict):  # tolerate {"sources": [...]}
        document = document.get("sources", [])
    return [str(item["id"]) for item in document if isinstance(item, dict) and "id" in item]


def team_ids(config_dir: Path) -> list[str]:
    """The `id` of every team in `config/teams.yaml` (`{"teams": [...]}`)."""
    path = config_dir / "teams.yaml"
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    teams = document.get("teams", []) if isinstance(document, dict) else []
    return [str(team["id"]) for team in teams if isinstance(team, dict) and "id" in team]


def whsec_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def scheme_secrets(config_dir: Path, ids: list[str]) -> dict[str, str]:
    """New webhook secrets for the sources `ids`, each in the form its signature scheme takes, as
    `sources add` and `sources rotate` give it (`whsec_...` for Standard Webhooks, URL-safe text
    otherwise). Imports the shared package: call it inside a function scope."""
    from recovery.sources import config, signatures

    path = config_dir / "sources.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    entries = document.get("sources", []) if isinstance(document, dict) else document or []
    fresh: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("id") in ids:
            spec = config.parse_source(entry)
            if spec.has_hook:
                fresh[spec.id] = signatures.new_secret(config.resolve(spec).signature)
    return fresh


def ensure_credentials(
    state: RuntimeState, ids: list[str], fresh_secrets: Mapping[str, str] | None = None
) -> RuntimeState:
    """Keep what was generated before; generate what is missing. A source's new webhook secret is taken
    from `fresh_secrets` (see `scheme_secrets`), else made in the Standard Webhooks form."""
    for source_id in ids:
        state.source_keys.setdefault(source_id, f"rlk_{source_id}_{secrets.token_urlsafe(24)}")
        if source_id not in state.source_secrets:
            state.source_secrets[source_id] = (fresh_secrets or {}).get(source_id) or whsec_secret()
    if not state.admin_key:
        state.admin_key = "rla_" + secrets.token_urlsafe(32)
    if not state.console_password:
        # Cognito's default policy wants upper, lower, digit and symbol.
        state.console_password = "Rl1!" + secrets.token_urlsafe(18)
    return state


def seed(config_dir: Path, state: RuntimeState, ids: list[str]) -> None:
    """Call `tools.seed.seed_from_dir` if the layers hold the shared package (run inside a function scope,
    whose `recovery` modules the seeding imports when it runs)."""
    if importlib.util.find_spec("recovery") is None:
        log.info("the layers hold no recovery package; config is not seeded")
        return
    seed_from_dir(
        config_dir,
        {source_id: state.source_keys[source_id] for source_id in ids},
        {source_id: state.source_secrets[source_id] for source_id in ids},
        admin_key=state.admin_key,
    )


def ensure_team_groups(clients: AwsClients, user_pool_id: str, teams: list[str]) -> None:
    """A group `team-<id>` in the pool for every team; existing groups are left as they are."""
    for team_id in teams:
        try:
            clients.cognito.create_group(UserPoolId=user_pool_id, GroupName=team_group(team_id))
        except ClientError as error:
            if error_code(error) != "GroupExistsException":
                raise


def ensure_console_user(clients: AwsClients, user_pool_id: str, password: str) -> None:
    """The demo lead in the template's user pool, with a permanent password, a lead of the demo team.

    An existing user (restored with `--state`) keeps the password it was given, which is the one the
    state also keeps, so a restart prints a login that still works.
    """
    cognito = clients.cognito
    ensure_team_groups(clients, user_pool_id, [CONSOLE_TEAM])
    try:
        cognito.admin_get_user(UserPoolId=user_pool_id, Username=CONSOLE_USERNAME)
    except ClientError as error:
        if error_code(error) != "UserNotFoundException":
            raise
        _create_console_user(clients, user_pool_id, password)
    cognito.admin_add_user_to_group(
        UserPoolId=user_pool_id, Username=CONSOLE_USERNAME, GroupName=team_group(CONSOLE_TEAM)
    )


def _create_console_user(clients: AwsClients, user_pool_id: str, password: str) -> None:
    cognito = clients.cognito
    cognito.admin_create_user(
        UserPoolId=user_pool_id,
        Username=CONSOLE_USERNAME,
        UserAttributes=[
            {"Name": "email", "Value": CONSOLE_USERNAME},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=CONSOLE_USERNAME, Password=password, Permanent=True
    )
