"""A deployed stack's outputs, for the ops commands (bootstrap, replay-dlq, smoke).

The stack is named directly (`--stack recovery-loop-dev`) or by its `samconfig.toml` environment
(`--env dev`), which also gives its region.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMCONFIG = Path("samconfig.toml")


class StackError(RuntimeError):
    """The stack or an output it should have is missing; the message says which."""


@dataclass(frozen=True)
class StackOutputs:
    name: str
    region: str | None
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        try:
            return self.values[key]
        except KeyError:
            raise StackError(
                f"stack {self.name} has no output {key!r} (deploy the current template)"
            ) from None

    def get(self, key: str) -> str | None:
        return self.values.get(key)


def environment_stack(env: str, samconfig: Path = SAMCONFIG) -> tuple[str, str | None]:
    """(stack name, region) of a `samconfig.toml` environment's deploy parameters."""
    if not samconfig.exists():
        raise StackError(f"{samconfig} not found: run from the repository, or name the stack with --stack")
    document: dict[str, Any] = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    parameters = document.get(env, {}).get("deploy", {}).get("parameters")
    if not parameters or "stack_name" not in parameters:
        known = sorted(
            name for name, section in document.items() if isinstance(section, dict) and "deploy" in section
        )
        raise StackError(f"no environment {env!r} in {samconfig} (known: {', '.join(known)})")
    return str(parameters["stack_name"]), parameters.get("region")


def read_outputs(stack: str, region: str | None = None, cloudformation: Any = None) -> StackOutputs:
    """The outputs of a deployed stack (CloudFormation DescribeStacks)."""
    if cloudformation is None:
        import boto3

        cloudformation = boto3.client("cloudformation", region_name=region)
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise StackError(f"stack {stack}: {error.response['Error'].get('Message', error)}") from error
    outputs = {row["OutputKey"]: row["OutputValue"] for row in found[0].get("Outputs", [])}
    return StackOutputs(stack, region or cloudformation.meta.region_name, outputs)


def resolve(stack: str | None, env: str | None, samconfig: Path = SAMCONFIG) -> StackOutputs:
    """The outputs of `--stack`, else of `--env`'s stack in samconfig.toml."""
    if stack:
        return read_outputs(stack)
    if not env:
        raise StackError("name the stack: --stack NAME or --env dev|prod")
    name, region = environment_stack(env, samconfig)
    return read_outputs(name, region)
