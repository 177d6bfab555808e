"""Load demo and example configuration from `config/` into the table.

Used by the embedded runtime at start, and by ops to seed a fresh deployment. Not imported by any
Lambda function (it needs PyYAML).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recovery import clock
from recovery.domain.classify import Thresholds
from recovery.domain.routing import Config, parse_config
from recovery.domain.routing import ConfigError as RoutingConfigError
from recovery.intake import hash_key
from recovery.settings import Settings
from recovery.store import models
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import ConfigStore
from recovery.store.sources import SourceStore

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ConfigError(ValueError):
    """A config file is invalid; the message names the file and the key."""


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=SOURCE_ID.pattern)
    name: str = Field(min_length=1, max_length=100)
    thresholds: Thresholds = Field(default_factory=Thresholds)


def load_sources(config_dir: Path) -> list[SourceConfig]:
    path = config_dir / "sources.yaml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: expected a list of sources")
    sources: list[SourceConfig] = []
    for index, entry in enumerate(raw):
        try:
            sources.append(SourceConfig.model_validate(entry))
        except ValidationError as error:
            first = error.errors()[0]
            where = "/".join(str(part) for part in first["loc"])
            raise ConfigError(f"{path}: source {index}: {where}: {first['msg']}") from error
    ids = [source.id for source in sources]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: source ids must be unique")
    return sources


def seed_from_dir(
    config_dir: Path,
    source_keys: dict[str, str],
    source_secrets: dict[str, str],
    only: set[str] | None = None,
    admin_key: str | None = None,
) -> None:
    """Write teams and routing (if none are stored), the admin key's hash, and every source in
    `config_dir` (or those in `only`) with the hash of its key; keys themselves are never stored."""
    settings = Settings.from_env()
    models.bind(settings.table_name, settings.region)
    seed_alerting(config_dir)
    if admin_key:
        AdminKeyStore().put([hash_key(admin_key)], clock.now())
    store = SourceStore()
    for source in load_sources(config_dir):
        if only is not None and source.id not in only:
            continue
        key = source_keys.get(source.id)
        store.put(
            source.id,
            source.name,
            [hash_key(key)] if key else [],
            source.thresholds.model_dump(exclude_none=True),
            webhook_secret=source_secrets.get(source.id),
        )


def load_alerting(config_dir: Path) -> Config | None:
    """Teams and routing from `teams.yaml`, validated whole (None when the file is absent)."""
    path = config_dir / "teams.yaml"
    if not path.exists():
        return None
    try:
        return parse_config(yaml.safe_load(path.read_text(encoding="utf-8")))
    except RoutingConfigError as error:
        raise ConfigError(f"{path}: {error}") from error


def seed_alerting(config_dir: Path, replace: bool = False) -> bool:
    """Store teams and routing unless some are stored already (or `replace`); True when written."""
    config = load_alerting(config_dir)
    if config is None:
        return False
    store = ConfigStore()
    if store.get() is not None and not replace:
        return False
    store.put(config, clock.now(), by="seed")
    return True


def new_source_key(source_id: str) -> str:
    """A source API key: `rlk_<source id>_<192 random bits>`."""
    return f"rlk_{source_id}_{secrets.token_urlsafe(24)}"


def main(argv: list[str] | None = None) -> int:
    """Seed a deployed table from a config directory; prints each source's new key once."""
    parser = argparse.ArgumentParser(prog="python -m recovery.seed", description=main.__doc__)
    parser.add_argument("--config", type=Path, default=Path("config"), help="directory with sources.yaml")
    parser.add_argument("--source", action="append", help="only these source ids (repeatable)")
    args = parser.parse_args(argv)
    try:
        chosen = [s for s in load_sources(args.config) if not args.source or s.id in args.source]
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    keys = {source.id: new_source_key(source.id) for source in chosen}
    seed_from_dir(args.config, keys, {}, only=set(keys))
    print(json.dumps({"sources": [{"id": sid, "key": key} for sid, key in keys.items()]}, indent=2))
    print("Store these keys now: only their hashes are kept.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
