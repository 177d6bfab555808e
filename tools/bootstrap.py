"""First-run setup of a deployed stack: the first admin, the admin key, a first team and a first source.

    python -m tools.bootstrap --env dev --admin-email ops@example.com [--admin-name NAME]
        [--team-id support --team-name Support | --teams config/teams.yaml]
        [--source-id web --source-name "Web survey" | --source-file source.yaml]
    (or --stack NAME instead of --env; `make bootstrap ENV=dev ARGS="--admin-email ..."`)

It reads the stack's outputs (CloudFormation DescribeStacks) and creates only what is missing:
- the admin: a Cognito user in the `admin` group, with a temporary password (changed at first sign-in);
- the admin key (`rla_...`), stored only as its hash, as the admin routes check it;
- teams and routing: from `--teams`, else one team whose level-1 lead is the admin;
- a first source: an API source (`Authorization: Bearer <key>` on `POST /v1/feedback`), or from
  `--source-file` (a preset or signature and mapping, which also gets a hook URL and secret).
Every URL is printed, and every secret it created, once. Running it again changes nothing and says what
exists already; secrets are not printed again (only their hashes are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recovery import clock
from recovery.domain import contacts
from recovery.domain.keys import hash_key
from recovery.domain.routing import ConfigError, parse_config
from recovery.errors import Conflict
from recovery.services.inbound_hooks import BadSourceRequest, SourceAdmin, new_source_key
from recovery.store import models
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import ConfigStore
from recovery.store.hook_log import HookLog
from recovery.store.sources import SourceStore
from tools import cli
from tools.stack_outputs import StackError, StackOutputs, resolve

ADMIN_GROUP = "admin"


@dataclass(frozen=True)
class Options:
    admin_email: str
    admin_name: str = "Administrator"
    team_id: str = "support"
    team_name: str = "Support"
    teams_file: Path | None = None
    source_id: str = "web"
    source_name: str = "Web survey"
    source_file: Path | None = None


@dataclass
class Report:
    """What a run did: one line per step, and the secrets it created (printed once, at the end)."""

    steps: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [*self.steps, "", "URLs:"]
        out += [f"  {name}: {value}" for name, value in self.urls.items()]
        if self.secrets:
            out += ["", "Secrets (shown this once; store them now, only their hashes are kept):"]
            out += [f"  {name}: {value}" for name, value in self.secrets.items()]
        else:
            out += ["", "No new secrets: everything existed already."]
        return out


def temporary_password() -> str:
    """Meets the user pool's policy: 12+ characters with lower, upper, digit and symbol."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(16))
    return f"{body}a7Z!"


def bootstrap(outputs: StackOutputs, options: Options, cognito: Any) -> Report:
    """Create what is missing; the stores must be bound to the stack's table (models.bind)."""
    report = Report()
    api = outputs["ApiUrl"].rstrip("/")
    report.urls |= {
        "API": api,
        "console": f"{api}/console",
        "feedback (POST, Bearer source key)": f"{api}/v1/feedback",
        "health": f"{api}/v1/health",
    }
    _admin_user(cognito, outputs["UserPoolId"], options, report)
    _admin_key(report)
    _teams(options, report)
    _source(api, options, report)
    return report


def _admin_user(cognito: Any, pool: str, options: Options, report: Report) -> None:
    email = contacts.email(options.admin_email)
    report.urls["console sign-in"] = email
    with contextlib.suppress(cognito.exceptions.GroupExistsException):
        cognito.create_group(GroupName=ADMIN_GROUP, UserPoolId=pool)
    try:
        cognito.admin_get_user(UserPoolId=pool, Username=email)
        report.steps.append(f"admin user {email}: exists, password unchanged")
    except cognito.exceptions.UserNotFoundException:
        password = temporary_password()
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            TemporaryPassword=password,
            MessageAction="SUPPRESS",  # printed here instead; Cognito's email may not be set up yet
        )
        report.steps.append(f"admin user {email}: created (a new password is asked at first sign-in)")
        report.secrets["admin temporary password"] = password
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]
    if ADMIN_GROUP not in {group["GroupName"] for group in groups}:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=ADMIN_GROUP)
        report.steps.append(f"admin user {email}: added to group {ADMIN_GROUP}")


def _admin_key(report: Report) -> None:
    store = AdminKeyStore()
    if store.hashes():
        report.steps.append("admin key: exists (not shown again)")
        return
    key = "rla_" + secrets.token_urlsafe(32)
    store.put([hash_key(key)], clock.now())
    report.steps.append("admin key: created")
    report.secrets["admin key (Bearer token of the admin API)"] = key


def _teams(options: Options, report: Report) -> None:
    store = ConfigStore()
    found = store.get()
    if found is not None:
        teams = ", ".join(team.id for team in found[0].teams)
        report.steps.append(f"teams and routing: exist (teams {teams}); change them with `make admin`")
        return
    if options.teams_file is not None:
        try:
            config = parse_config(yaml.safe_load(options.teams_file.read_text(encoding="utf-8")))
        except ConfigError as error:
            raise ConfigError(f"{options.teams_file}: {error}") from error
    else:
        lead = {
            "id": "admin",
            "name": options.admin_name,
            "email": options.admin_email,
            "channels": ["email"],
        }
        document = {
            "teams": [{"id": options.team_id, "name": options.team_name, "levels": {1: [lead]}}],
            "routing": {"rules": [], "default_team": options.team_id},
        }
        config = parse_config(document)
    store.put(config, clock.now(), by="bootstrap")
    report.steps.append(f"teams and routing: created (teams {', '.join(team.id for team in config.teams)})")


def _source(api: str, options: Options, report: Report) -> None:
    sources = SourceStore()
    admin = SourceAdmin(sources, HookLog(), api)
    document: dict[str, Any] = {"id": options.source_id, "name": options.source_name}
    if options.source_file is not None:
        document = dict(yaml.safe_load(options.source_file.read_text(encoding="utf-8")))
    source_id = str(document.get("id", ""))
    existing = sources.get(source_id)
    if existing is not None:
        hook = f", hook {admin.hook_url(source_id)}" if existing.spec else ""
        report.steps.append(f"source {source_id}: exists (key not shown again{hook})")
        if existing.spec:
            report.urls[f"hook of {source_id}"] = admin.hook_url(source_id)
        return
    if options.source_file is not None:
        answer = admin.add(document)  # validates the connector; a hook source gets a signing secret
        report.urls[f"hook of {source_id}"] = answer["hook_url"]
        if answer["secret"] is None:  # the vendor fixes it: the answer says how to supply it
            report.steps.append(f"source {source_id}: {answer['next']}")
        else:
            report.secrets[f"webhook secret of {source_id}"] = answer["secret"]
        key = answer["key"]
    else:
        key = new_source_key(source_id)
        if not sources.create(source_id, options.source_name, [hash_key(key)], None, None, None):
            raise Conflict(f"a source with id {source_id!r} exists already")
    report.steps.append(f"source {source_id}: created")
    report.secrets[f"API key of source {source_id}"] = key


def main(
    argv: list[str] | None = None,
    cognito: Any = None,
    read: Callable[[str | None, str | None], StackOutputs] = resolve,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument("--env", help="samconfig.toml environment (dev, prod): its stack and region")
    parser.add_argument("--stack", help="stack name, instead of --env")
    parser.add_argument("--admin-email", required=True, help="the first admin's email (their user name)")
    parser.add_argument("--admin-name", default="Administrator")
    parser.add_argument("--team-id", default="support", help="the first team (unless --teams)")
    parser.add_argument("--team-name", default="Support")
    parser.add_argument("--teams", type=Path, help="teams and routing as YAML (see config/teams.yaml)")
    parser.add_argument("--source-id", default="web", help="the first source (unless --source-file)")
    parser.add_argument("--source-name", default="Web survey")
    parser.add_argument(
        "--source-file", type=Path, help="a source as YAML: a preset or signature and mapping"
    )
    args = parser.parse_args(argv)
    options = Options(
        admin_email=args.admin_email,
        admin_name=args.admin_name,
        team_id=args.team_id,
        team_name=args.team_name,
        teams_file=args.teams,
        source_id=args.source_id,
        source_name=args.source_name,
        source_file=args.source_file,
    )
    try:
        outputs = read(args.stack, args.env)
        models.bind(outputs["TableName"], outputs.region or "us-east-1")
        if cognito is None:
            import boto3

            cognito = boto3.client("cognito-idp", region_name=outputs.region)
        report = bootstrap(outputs, options, cognito)
    except (StackError, ValueError, ConfigError, BadSourceRequest, Conflict, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"stack {outputs.name} ({outputs.region})")
    print("\n".join(report.lines()))
    return 0


if __name__ == "__main__":
    cli.run(main)
