"""Load demo and example configuration from `config/` into the table.

Used by the embedded runtime at start, and by ops to seed a fresh deployment (`make seed`).

The `recovery` modules are imported when a function runs, not with this module: the embedded runtime
calls `seed_from_dir` inside a function's module scope (local/functions.py `run_in_scope`), and it must
use that scope's `recovery` (its settings, its bound models), not one imported earlier elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tools import cli

if TYPE_CHECKING:
    from recovery.domain.routing import Config
    from recovery.sources.config import SourceSpec


class ConfigError(ValueError):
    """A config file is invalid; the message names the file and the key."""


def load_sources(config_dir: Path) -> list[SourceSpec]:
    """Every source in `sources.yaml`, validated whole: presets resolved, signatures and mappings checked."""
    from recovery.sources.config import ConfigError as SourcesConfigError
    from recovery.sources.config import parse_sources

    path = config_dir / "sources.yaml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return parse_sources(raw)
    except SourcesConfigError as error:
        raise ConfigError(f"{path}: {error}") from error


def seed_from_dir(
    config_dir: Path,
    source_keys: dict[str, str],
    source_secrets: dict[str, str],
    only: set[str] | None = None,
    admin_key: str | None = None,
) -> None:
    """Write teams and routing (if none are stored), the admin key's hash, and every source in
    `config_dir` (or those in `only`) with the hash of its key; keys themselves are never stored."""
    from recovery import clock
    from recovery.services.intake import hash_key
    from recovery.settings import Settings
    from recovery.store import models
    from recovery.store.admin import AdminKeyStore
    from recovery.store.sources import SourceStore

    settings = Settings.from_env()
    models.bind(settings.table_name, settings.region)
    seed_alerting(config_dir)
    seed_outbound(config_dir)
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
            spec=source.model_dump(mode="json", exclude_none=True) if source.has_hook else None,
            page=source.page_settings,
        )


def seed_outbound(config_dir: Path) -> bool:
    """Store the outbound endpoints of `outbound.yaml`, validated whole; True when written."""
    from recovery import clock
    from recovery.services.outbound_webhooks import OutboundConfigError, parse_outbound
    from recovery.store.outbound import OutboundStore

    path = config_dir / "outbound.yaml"
    if not path.exists():
        return False
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        config = parse_outbound(document)
    except OutboundConfigError as error:
        raise ConfigError(f"{path}: {error}") from error
    if not config.endpoints:
        return False
    OutboundStore().put_document(config.model_dump(mode="json"), clock.now(), by="seed")
    return True


def load_alerting(config_dir: Path) -> Config | None:
    """Teams and routing from `teams.yaml`, validated whole (None when the file is absent)."""
    from recovery.domain.routing import ConfigError as RoutingConfigError
    from recovery.domain.routing import parse_config

    path = config_dir / "teams.yaml"
    if not path.exists():
        return None
    try:
        return parse_config(yaml.safe_load(path.read_text(encoding="utf-8")))
    except RoutingConfigError as error:
        raise ConfigError(f"{path}: {error}") from error


def seed_alerting(config_dir: Path, replace: bool = False) -> bool:
    """Store teams and routing unless some are stored already (or `replace`); True when written."""
    from recovery import clock
    from recovery.store.alerting import ConfigStore

    config = load_alerting(config_dir)
    if config is None:
        return False
    store = ConfigStore()
    if store.get() is not None and not replace:
        return False
    store.put(config, clock.now(), by="seed")
    return True


def main(argv: list[str] | None = None) -> int:
    """Seed a deployed table from a config directory; prints each source's new key once."""
    from recovery.services.inbound_hooks import new_source_key

    parser = argparse.ArgumentParser(prog="python -m tools.seed", description=main.__doc__)
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
    cli.run(main)
