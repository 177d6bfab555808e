"""Resolving CloudFormation intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Sub`, ...) to local values.

The runtime needs concrete values for environment variables, rule targets and event source ARNs. moto's
CloudFormation cannot deploy this template (see DESIGN.md), so the runtime answers `Ref` and `GetAtt`
itself from the resources it created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
STACK_NAME = "recovery-loop-local"

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class UnresolvedReference(LookupError):
    """A Ref or GetAtt names something the runtime does not know."""


def pseudo_parameters(region: str) -> dict[str, Any]:
    return {
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": STACK_NAME,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
        "AWS::NotificationARNs": [],
    }


@dataclass
class Names:
    """What `Ref` and `Fn::GetAtt` answer, filled in as resources are created; `conditions` are the
    template's conditions, evaluated with the parameters' defaults (for `Fn::If`)."""

    refs: dict[str, Any] = field(default_factory=dict)
    attrs: dict[tuple[str, str], Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        if name not in self.refs:
            raise UnresolvedReference(f"Ref {name}")
        return self.refs[name]

    def get_att(self, resource: str, attribute: str) -> Any:
        if (resource, attribute) not in self.attrs:
            raise UnresolvedReference(f"Fn::GetAtt {resource}.{attribute}")
        return self.attrs[(resource, attribute)]


class PlaceholderNames(Names):
    """Names that answer every reference: what is not known gets a name (and an ARN) of its own. For
    reading a template's policies without creating anything (tests, reports); nothing checks them."""

    def ref(self, name: str) -> Any:
        return self.refs.get(name, f"{STACK_NAME}-{name}")

    def get_att(self, resource: str, attribute: str) -> Any:
        if (resource, attribute) in self.attrs:
            return self.attrs[(resource, attribute)]
        if attribute == "Arn":
            return f"arn:aws:local:us-east-1:{ACCOUNT_ID}:{STACK_NAME}-{resource}"
        return f"{STACK_NAME}-{resource}"


def resolve(value: Any, names: Names) -> Any:
    """Resolve every intrinsic function inside `value` (recursively)."""
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref":
            return names.ref(argument)
        if key == "Fn::GetAtt":
            resource, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return names.get_att(resource, attribute)
        if key == "Fn::Sub":
            return _sub(argument, names)
        if key == "Fn::If":
            # Only the chosen branch is resolved: the other may name a resource that does not exist here.
            condition, when_true, when_false = argument
            if condition not in names.conditions:
                raise UnresolvedReference(f"Fn::If {condition}")
            return resolve(when_true if names.conditions[condition] else when_false, names)
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in resolve(items, names))
        if key == "Fn::Select":
            index, items = argument
            return resolve(items, names)[int(resolve(index, names))]
        if key == "Fn::Split":
            separator, text = argument
            return str(resolve(text, names)).split(separator)
        if key.startswith("Fn::") or key == "Condition":
            raise UnresolvedReference(f"{key} is not supported by the embedded runtime")
    return {key: resolve(item, names) for key, item in value.items()}


def _sub(argument: Any, names: Names) -> str:
    if isinstance(argument, str):
        template, variables = argument, {}
    else:
        template, raw_variables = argument
        variables = {key: resolve(item, names) for key, item in raw_variables.items()}

    def replace(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("!"):
            return "${" + expression[1:] + "}"
        if expression in variables:
            return str(variables[expression])
        if "." in expression and not expression.startswith("AWS::"):
            resource, attribute = expression.split(".", 1)
            return str(names.get_att(resource, attribute))
        return str(names.ref(expression))

    return _SUB_VARIABLE.sub(replace, template)


def as_env_value(value: Any) -> str:
    """CloudFormation turns environment values into strings; YAML booleans become true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(as_env_value(item) for item in value)
    return str(value)
