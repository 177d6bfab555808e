"""The project's own cfn-lint rules: `cfn-lint --append-rules lint_rules template.yaml` (run by `make test`).

The rules judge what CloudFormation deploys, so they expand the SAM shorthand first with
aws-sam-translator (cfn-lint 1.x checks SAM templates against SAM's schema and no longer expands them):
SAM's EventBridgeRule and Schedule events become `AWS::Events::Rule` targets, stream and SQS events
event source mappings, SNS events subscriptions, and every function gets its generated role. A finding
on a generated resource points at the SAM resource it came from.

cfn-lint loads this file by path (not as a package), so it imports nothing from the repository.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# Services that hold or move data: a wildcard action on any of them is too broad.
DATA_SERVICES = frozenset(
    {
        "dynamodb",
        "s3",
        "sqs",
        "sns",
        "secretsmanager",
        "kms",
        "ssm",
        "kinesis",
        "firehose",
        "rds",
        "rds-data",
        "elasticfilesystem",
        "glue",
        "athena",
        "es",
        "cognito-idp",
    }
)
# AWS managed policies that grant the same wildcards.
BROAD_MANAGED_POLICIES = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonS3FullAccess",
        "AmazonSQSFullAccess",
        "AmazonSNSFullAccess",
        "SecretsManagerReadWrite",
        "AmazonKinesisFullAccess",
    }
)
SOURCE = "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/custom_rules.md"


class ExpansionFailed(Exception):
    """aws-sam-translator refused the template (cfn-lint's own rules say why)."""


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


_EXPANDED: dict[int, tuple[Any, dict[str, dict[str, Any]]]] = {}


def _resources(cfn: Any) -> dict[str, dict[str, Any]]:
    """The template's resources as CloudFormation deploys them (SAM expanded), by logical id."""
    cached = _EXPANDED.get(id(cfn))
    if cached is None or cached[0] is not cfn.template:
        _EXPANDED[id(cfn)] = cached = (cfn.template, _expand(cfn))
    return cached[1]


def _expand(cfn: Any) -> dict[str, dict[str, Any]]:
    template = copy.deepcopy(cfn.template)
    transforms = template.get("Transform", [])
    if SAM_TRANSFORM not in (transforms if isinstance(transforms, list) else [transforms]):
        resources = template.get("Resources", {})
    else:
        from samtranslator.translator.transform import transform

        logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle chatter

        _code_as_s3(template)
        region = (getattr(cfn, "regions", None) or ["us-east-1"])[0]
        previous = os.environ.get("AWS_DEFAULT_REGION")
        os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from here
        try:
            resources = transform(template, {}, _NoManagedPolicies()).get("Resources", {})
        except Exception as error:  # the translator's own exception types vary by release
            raise ExpansionFailed(str(error)) from error
        finally:
            if previous is None:
                os.environ.pop("AWS_DEFAULT_REGION", None)
            else:
                os.environ["AWS_DEFAULT_REGION"] = previous
    return {name: r for name, r in resources.items() if isinstance(r, dict)}


def _code_as_s3(template: dict[str, Any]) -> None:
    """The translator accepts only S3 locations for code; `sam build` replaces local paths the same way."""
    sections = [
        r.get("Properties", {}) for r in template.get("Resources", {}).values() if isinstance(r, dict)
    ]
    sections.append(template.get("Globals", {}).get("Function", {}))
    for properties in sections:
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            value = properties.get(key) if isinstance(properties, dict) else None
            if isinstance(value, str) and not value.startswith("s3://"):
                properties[key] = f"s3://local/{value.strip('/') or 'code'}"


def _guarded(check: Any, cfn: Any, report: bool) -> list[RuleMatch]:
    """Run a check on the expanded template; one rule (`report`) says when there is none to check."""
    try:
        return list(check(cfn))
    except ExpansionFailed as failed:
        message = f"the SAM template could not be expanded, so the guardrails did not run: {failed}"
        return [RuleMatch(["Transform"], message)] if report else []


def _path(cfn: Any, name: str, *rest: Any) -> list[Any]:
    """Where a finding goes: the resource itself, or the SAM resource that generated it."""
    source = cfn.template.get("Resources", {})
    if name in source:
        return ["Resources", name, *rest]
    owners = [owner for owner in source if name.startswith(owner)]
    return ["Resources", max(owners, key=len)] if owners else ["Resources"]


def _of_type(cfn: Any, resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in _resources(cfn).items() if r.get("Type") == resource_type}


def _properties(resource: dict[str, Any]) -> dict[str, Any]:
    properties = resource.get("Properties", {})
    return properties if isinstance(properties, dict) else {}


def _logical_id(value: Any) -> str | None:
    """The resource a `Ref`, `Fn::GetAtt` or `Fn::Sub "${X.Arn}"` names, if any."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (key, argument), *_ = value.items()
    if key == "Ref" and isinstance(argument, str):
        return argument
    if key == "Fn::GetAtt":
        if isinstance(argument, str):
            return argument.split(".", 1)[0]
        if isinstance(argument, list) and argument:
            return str(argument[0])
    if key == "Fn::Sub" and isinstance(argument, str) and argument.startswith("${"):
        return argument[2:].split(".", 1)[0].split("}", 1)[0]
    return None


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class FunctionLogRetention(CloudFormationLintRule):
    """Every function logs to its own log group with a retention (Lambda's default keeps logs forever)."""

    id = "E9001"
    shortdesc = "Function log group with retention"
    description = (
        "Every AWS::Lambda::Function has LoggingConfig.LogGroup naming a log group with RetentionInDays"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "logs"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=True)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        groups = _of_type(cfn, "AWS::Logs::LogGroup")
        matches = []
        for name, function in _of_type(cfn, "AWS::Lambda::Function").items():
            path = _path(cfn, name, "Properties")
            reference = _logical_id(_properties(function).get("LoggingConfig", {}).get("LogGroup"))
            if reference is None or reference not in groups:
                message = f"{name} has no LoggingConfig.LogGroup referring to a log group of this template"
                matches.append(RuleMatch(path, message))
            elif "RetentionInDays" not in _properties(groups[reference]):
                message = f"{name}'s log group {reference} has no RetentionInDays"
                matches.append(RuleMatch(_path(cfn, reference, "Properties"), message))
        return matches


class AsyncTriggerFailurePath(CloudFormationLintRule):
    """Asynchronous triggers keep what they could not deliver, and someone hears of it.

    Rule targets and schedules need a DeadLetterConfig; stream mappings an OnFailure destination; SQS
    mappings a source queue with a redrive policy; functions invoked by SNS a DeadLetterQueue or an
    OnFailure destination. A queue that receives the failures needs an alarm on its depth.
    """

    id = "E9002"
    shortdesc = "Async trigger failure path with an alarm"
    description = (
        "Every asynchronous trigger has a DLQ or OnFailure destination, and a DLQ queue has an alarm"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "resilience"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        resources = _resources(cfn)
        queues = set(_of_type(cfn, "AWS::SQS::Queue"))
        alarmed = _alarmed_queues(cfn)
        matches: list[RuleMatch] = []

        def failure_path(path: list[Any], destination: Any, what: str) -> None:
            target = _logical_id(destination)
            if destination is None:
                matches.append(RuleMatch(path, f"{what} has no DLQ or OnFailure destination"))
            elif target in queues and target not in alarmed:
                message = f"{what} sends failures to {target}, which has no CloudWatch alarm on its depth"
                matches.append(RuleMatch(path, message))

        for name, rule in _of_type(cfn, "AWS::Events::Rule").items():
            for index, target in enumerate(_as_list(_properties(rule).get("Targets", []))):
                if not isinstance(target, dict):
                    continue
                path = _path(cfn, name, "Properties", "Targets", index)
                dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
                failure_path(path, dead_letter, f"{name} target {target.get('Id', index)}")
        for name, schedule in _of_type(cfn, "AWS::Scheduler::Schedule").items():
            target = _properties(schedule).get("Target", {})
            dead_letter = (
                (target.get("DeadLetterConfig") or {}).get("Arn") if isinstance(target, dict) else None
            )
            failure_path(_path(cfn, name, "Properties", "Target"), dead_letter, f"{name} target")
        for name, mapping in _of_type(cfn, "AWS::Lambda::EventSourceMapping").items():
            properties = _properties(mapping)
            path = _path(cfn, name, "Properties")
            source = _logical_id(properties.get("EventSourceArn"))
            if source in queues:
                redrive = _properties(resources[source]).get("RedrivePolicy") or {}
                failure_path(path, redrive.get("deadLetterTargetArn"), f"{name} (queue {source})")
            else:
                on_failure = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                    "Destination"
                )
                failure_path(path, on_failure, name)
        for name, subscription in _of_type(cfn, "AWS::SNS::Subscription").items():
            properties = _properties(subscription)
            if properties.get("Protocol") != "lambda":
                continue
            function = _logical_id(properties.get("Endpoint"))
            destination = _async_failure_destination(cfn, function)
            if destination is None:
                destination = (properties.get("RedrivePolicy") or {}).get("deadLetterTargetArn")
            failure_path(_path(cfn, name, "Properties"), destination, f"{name} (async invoke of {function})")
        return matches


def _alarmed_queues(cfn: Any) -> set[str]:
    queues = set()
    for alarm in _of_type(cfn, "AWS::CloudWatch::Alarm").values():
        properties = _properties(alarm)
        if properties.get("Namespace") != "AWS/SQS":
            continue
        for dimension in _as_list(properties.get("Dimensions", [])):
            if isinstance(dimension, dict) and dimension.get("Name") == "QueueName":
                queue = _logical_id(dimension.get("Value"))
                if queue:
                    queues.add(queue)
    return queues


def _async_failure_destination(cfn: Any, function: str | None) -> Any:
    """A function's DeadLetterConfig target, or the OnFailure destination of its EventInvokeConfig."""
    if function is None:
        return None
    resource = _resources(cfn).get(function, {})
    target = (_properties(resource).get("DeadLetterConfig") or {}).get("TargetArn")
    if target is not None:
        return target
    for config in _of_type(cfn, "AWS::Lambda::EventInvokeConfig").values():
        properties = _properties(config)
        if _logical_id(properties.get("FunctionName")) == function:
            on_failure = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination"
            )
            if on_failure is not None:
                return on_failure
    return None


class NoWildcardDataActions(CloudFormationLintRule):
    """IAM grants name their actions on data: no `*`, no `dynamodb:*`, no Allow with NotAction."""

    id = "E9003"
    shortdesc = "No wildcard action on data services"
    description = (
        "No IAM statement allows `*` or `<data service>:*`, and no broad AWS managed policy is attached"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "iam"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for name, resource in _resources(cfn).items():
            resource_type = resource.get("Type")
            properties = _properties(resource)
            documents: list[tuple[list[Any], Any]] = []
            if resource_type == "AWS::IAM::Role":
                for index, policy in enumerate(_as_list(properties.get("Policies", []))):
                    if isinstance(policy, dict):
                        path = _path(cfn, name, "Properties", "Policies", index, "PolicyDocument")
                        documents.append((path, policy.get("PolicyDocument")))
                for index, arn in enumerate(_as_list(properties.get("ManagedPolicyArns", []))):
                    if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in BROAD_MANAGED_POLICIES:
                        path = _path(cfn, name, "Properties", "ManagedPolicyArns", index)
                        matches.append(RuleMatch(path, f"{name} attaches the broad managed policy {arn}"))
            elif resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents.append(
                    (_path(cfn, name, "Properties", "PolicyDocument"), properties.get("PolicyDocument"))
                )
            for path, document in documents:
                if not isinstance(document, dict):
                    continue
                for index, statement in enumerate(_as_list(document.get("Statement", []))):
                    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                        continue
                    where = [*path, "Statement", index]
                    if "NotAction" in statement:
                        matches.append(RuleMatch(where, f"{name} allows NotAction: everything but a list"))
                    for action in _as_list(statement.get("Action", [])):
                        if isinstance(action, str) and _wildcard_on_data(action):
                            matches.append(RuleMatch(where, f"{name} allows the wildcard action {action!r}"))
        return matches


def _wildcard_on_data(action: str) -> bool:
    if action.strip() == "*":
        return True
    service, _, verb = action.partition(":")
    return service.lower() in DATA_SERVICES and verb.strip() == "*"


class TableProtection(CloudFormationLintRule):
    """Tables keep point-in-time recovery and deletion protection: a bad deploy or a slip can be undone."""

    id = "E9004"
    shortdesc = "Table point-in-time recovery and deletion protection"
    description = "Every AWS::DynamoDB::Table enables PointInTimeRecovery and DeletionProtectionEnabled"
    source_url = SOURCE
    tags = ["recovery-loop", "dynamodb"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for name, table in _of_type(cfn, "AWS::DynamoDB::Table").items():
            properties = _properties(table)
            path = _path(cfn, name, "Properties")
            recovery = properties.get("PointInTimeRecoverySpecification") or {}
            if not _is_true(recovery.get("PointInTimeRecoveryEnabled")):
                matches.append(RuleMatch(path, f"{name} does not enable point-in-time recovery"))
            if not _is_true(properties.get("DeletionProtectionEnabled")):
                matches.append(RuleMatch(path, f"{name} does not enable deletion protection"))
        return matches


def _dependencies(value: Any, names: set[str], found: set[str]) -> set[str]:
    """The resources `value` refers to: `Ref`, `Fn::GetAtt`, `${X}` / `${X.Attr}` in `Fn::Sub`, both
    branches of an `Fn::If` (which one deploys depends on parameters)."""
    if isinstance(value, list):
        for item in value:
            _dependencies(item, names, found)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                found.add(argument)
            elif key == "Fn::GetAtt":
                found.add(argument.split(".", 1)[0] if isinstance(argument, str) else str(argument[0]))
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                found.update(match.split(".", 1)[0] for match in _SUBSTITUTION.findall(str(text)))
                if isinstance(argument, list) and len(argument) > 1:
                    _dependencies(argument[1], names, found)
            else:
                _dependencies(argument, names, found)
    return found & names


_SUBSTITUTION = re.compile(r"\$\{([^}!][^}]*)\}")


def dependency_cycle(resources: dict[str, dict[str, Any]]) -> list[str] | None:
    """One cycle among the resources (each waits for the next, the last for the first), or None."""
    names = set(resources)
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        graph[name] = _dependencies(resource.get("Properties", {}), names, set()) | (
            set(_as_list(depends)) & names
        )
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(following) == 1:
                return path[path.index(following) :]
            elif not state.get(following):
                state[following] = 1
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


class NoCircularDependency(CloudFormationLintRule):
    """CloudFormation refuses a stack whose resources wait for each other. SAM makes one easily: an
    HttpApi's definition holds the ARN of every function it routes to, so such a function can't name the
    API (its endpoint, say) in its own environment. `sam validate --lint` doesn't see it: it lints the SAM
    shorthand."""

    id = "E9005"
    shortdesc = "No circular dependency once SAM is expanded"
    description = "The expanded template's resources must not refer to each other in a cycle"
    source_url = SOURCE
    tags = ["recovery-loop", "deploy"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        cycle = dependency_cycle(_resources(cfn))
        if cycle is None:
            return []
        message = "circular dependency: " + " -> ".join([*cycle, cycle[0]])
        return [RuleMatch(_path(cfn, cycle[0]), message)]
