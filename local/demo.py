"""The demo set-up: source keys and webhook secrets, the admin key, the console login, config seeding.

Keys are generated once and kept with `--state`, so a restart prints the same ones.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import logging
import secrets
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from local.aws import AwsClients, error_code
from local.state import RuntimeState

log = logging.getLogger(__name__)

CONSOLE_USERNAME = "lead@example.com"


def source_ids(config_dir: Path) -> list[str]:
    """The `id` of every source in `config/sources.yaml` (a YAML list of mappings)."""
    path = config_dir / "sources.yaml"
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(document, dict):  # tolerate {"sources": [...]}
        document = document.get("sources", [])
    return [str(item["id"]) for item in document if isinstance(item, dict) and "id" in item]


def ensure_credentials(state: RuntimeState, ids: list[str]) -> RuntimeState:
    """Keep what was generated before; generate what is missing."""
    for source_id in ids:
        state.source_keys.setdefault(source_id, f"rlk_{source_id}_{secrets.token_urlsafe(24)}")
        state.source_secrets.setdefault(
            source_id, "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        )
    if not state.admin_key:
        state.admin_key = "rla_" + secrets.token_urlsafe(32)
    if not state.console_password:
        # Cognito's default policy wants upper, lower, digit and symbol.
        state.console_password = "Rl1!" + secrets.token_urlsafe(18)
    return state


def seed(config_dir: Path, state: RuntimeState, ids: list[str]) -> None:
    """Call `recovery.seed.seed_from_dir` if the shared package has it (run inside a function scope)."""
    if importlib.util.find_spec("recovery") is None or importlib.util.find_spec("recovery.seed") is None:
        log.info("recovery.seed is not there yet; config is not seeded")
        return
    seed_module = importlib.import_module("recovery.seed")
    seed_from_dir = seed_module.seed_from_dir
    arguments: dict[str, Any] = {}
    if "admin_key" in inspect.signature(seed_from_dir).parameters:
        arguments["admin_key"] = state.admin_key
    seed_from_dir(
        config_dir,
        {source_id: state.source_keys[source_id] for source_id in ids},
        {source_id: state.source_secrets[source_id] for source_id in ids},
        **arguments,
    )


def ensure_console_user(clients: AwsClients, user_pool_id: str, password: str) -> None:
    """The demo lead in the template's user pool, with a permanent password."""
    cognito = clients.cognito
    try:
        cognito.admin_get_user(UserPoolId=user_pool_id, Username=CONSOLE_USERNAME)
        return
    except ClientError as error:
        if error_code(error) != "UserNotFoundException":
            raise
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
