"""Refuse a deploy whose samconfig.toml environment still holds the shipped placeholders.

    python -m tools.samconfig_check --env dev [--config samconfig.toml]
    (`make deploy ENV=...` runs it first; exit 2 names each placeholder and changes nothing)

A stack deployed with `example.com` values half works: SES waits for DNS records nobody can add, the
alarm mail goes nowhere, and the custom domain needs a certificate that does not exist. It is cheaper to
stop before `sam build`.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import tomllib
from pathlib import Path

# example.com and its subdomains (RFC 2606), in an address, a domain or a URL; and the certificate ARN's
# `replace-me`.
_PLACEHOLDER = re.compile(r"(^|[@./])example\.com($|[/:])|replace-me", re.IGNORECASE)


class SamconfigError(ValueError):
    """The file or the environment cannot be read (exit 2, like a placeholder)."""


def overrides(config: dict[str, object], env: str) -> dict[str, str]:
    """The `parameter_overrides` of `[<env>.deploy.parameters]`, as name -> value."""
    section = config.get(env)
    deploy = section.get("deploy", {}) if isinstance(section, dict) else None
    parameters = deploy.get("parameters", {}) if isinstance(deploy, dict) else None
    if not isinstance(parameters, dict):
        raise SamconfigError(f"samconfig.toml has no [{env}.deploy.parameters] section")
    raw = parameters.get("parameter_overrides", "")
    items = raw if isinstance(raw, list) else shlex.split(str(raw))
    found: dict[str, str] = {}
    for item in items:
        name, _, value = str(item).partition("=")
        found[name.strip()] = value
    return found


def placeholders(config: dict[str, object], env: str) -> list[str]:
    """`Name=value` for every override of `env` that still holds a placeholder, in file order."""
    return [f"{name}={value}" for name, value in overrides(config, env).items() if _PLACEHOLDER.search(value)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.samconfig_check", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--env", required=True, help="the samconfig.toml environment (dev, prod)")
    parser.add_argument("--config", type=Path, default=Path("samconfig.toml"))
    args = parser.parse_args(argv)
    try:
        config = tomllib.loads(args.config.read_text(encoding="utf-8"))
        found = placeholders(config, args.env)
    except (OSError, tomllib.TOMLDecodeError, SamconfigError) as error:
        print(f"deploy refused: {error}", file=sys.stderr)
        return 2
    if not found:
        return 0
    print(
        f"deploy refused: {args.config} [{args.env}.deploy.parameters] parameter_overrides still hold "
        "placeholders:",
        file=sys.stderr,
    )
    for item in found:
        print(f"  {item}", file=sys.stderr)
    print(
        "Set your own values there (docs/operations.md, 'Before the first deploy'); nothing was deployed.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
