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


def _statements(document: Any) -> list[tuple[int, dict[str, Any]]]:
    """A policy document's statements with their index (a lone statement may stand without a list)."""
    if not isinstance(document, dict):
        return []
    statements = _as_list(document.get("Statement", []))
    return [(index, statement) for index, statement in enumerate(statements) if isinstance(statement, dict)]


def _iam_statements(cfn: Any) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """Every statement of the IAM policies (roles' inline policies, policies, managed policies):
    (the resource that holds it, where it is, the statement)."""
    found = []
    for name, resource in _resources(cfn).items():
        properties = _properties(resource)
        documents: list[tuple[list[Any], Any]] = []
        if resource.get("Type") == "AWS::IAM::Role":
            for index, policy in enumerate(_as_list(properties.get("Policies", []))):
                if isinstance(policy, dict):
                    path = _path(cfn, name, "Properties", "Policies", index, "PolicyDocument")
                    documents.append((path, policy.get("PolicyDocument")))
        elif resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            path = _path(cfn, name, "Properties", "PolicyDocument")
            documents.append((path, properties.get("PolicyDocument")))
        for path, document in documents:
            for index, statement in _statements(document):
                found.append((name, [*path, "Statement", index], statement))
    return found


def _pattern_matches(pattern: Any, name: str) -> bool:
    """IAM's matching of an action or ARN pattern: `*` any run of characters, `?` one; actions ignore case."""
    if not isinstance(pattern, str):
        return False
    expression = re.escape(pattern.strip()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(expression, name, re.IGNORECASE) is not None


def _allows_action(statement: dict[str, Any], action: str) -> bool:
    """Whether an Allow statement grants `action` (through Action, or a NotAction that leaves it out)."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(_pattern_matches(p, action) for p in _as_list(statement["NotAction"]))
    return any(_pattern_matches(p, action) for p in _as_list(statement.get("Action", [])))


def _arn_patterns(value: Any) -> list[str]:
    """ARN patterns a Resource value can stand for; what the template fills in (`${...}`, a `Ref` in an
    `Fn::Join`) counts as `*`. A whole `Ref` or `Fn::GetAtt` is a resource of its own, so no pattern."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [pattern for item in value for pattern in _arn_patterns(item)]
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            return [_SUBSTITUTION_ANY.sub("*", text)] if isinstance(text, str) else []
        if key == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            if isinstance(separator, str) and isinstance(parts, list):
                return [separator.join(part if isinstance(part, str) else "*" for part in parts)]
        if key == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
            return _arn_patterns(argument[1]) + _arn_patterns(argument[2])
    return []


_SUBSTITUTION_ANY = re.compile(r"\$\{[^}]*\}")
NO_VALUE = object()


def _values(cfn: Any, value: Any) -> list[Any]:
    """The values `value` may take: itself, a parameter's default, either branch of an `Fn::If`;
    `NO_VALUE` for `AWS::NoValue`. Empty when the template does not say."""
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref" and argument == "AWS::NoValue":
            return [NO_VALUE]
        if key == "Ref" and isinstance(argument, str):
            spec = cfn.template.get("Parameters", {}).get(argument)
            return [spec["Default"]] if isinstance(spec, dict) and "Default" in spec else []
        if key == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
            return _values(cfn, argument[1]) + _values(cfn, argument[2])
        return []
    return [value]


def _seconds(cfn: Any, value: Any, default: float) -> list[float] | None:
    """The numbers a duration property may be (its default when absent), or None when one can't be read."""
    numbers = []
    candidates: list[Any] = [NO_VALUE] if value is None else _values(cfn, value)
    for candidate in candidates:
        if candidate is NO_VALUE:
            numbers.append(default)
            continue
        try:
            numbers.append(float(candidate))
        except (TypeError, ValueError):
            return None
    return numbers or None


def _seconds_text(value: float) -> str:
    return f"{value:g} s"


def _function_of(cfn: Any, value: Any) -> str | None:
    """The function a FunctionName or ARN names: the function itself, or the function of an alias."""
    resources = _resources(cfn)
    for name in sorted(_dependencies(value, set(resources), set())):
        resource = resources[name]
        if resource.get("Type") == "AWS::Lambda::Function":
            return name
        if resource.get("Type") == "AWS::Lambda::Alias":
            return _function_of(cfn, _properties(resource).get("FunctionName"))
    return None


def _service_principals(principal: Any) -> list[str]:
    """The service principals of a Principal, lower case; `*` for anyone."""
    if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
        return ["*"]
    if not isinstance(principal, dict):
        return []
    services = []
    for service in _as_list(principal.get("Service", [])):
        text = service.get("Fn::Sub") if isinstance(service, dict) else service
        if isinstance(text, str):
            services.append(text.replace("${AWS::URLSuffix}", "amazonaws.com").lower())
    return services


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    """The condition keys a statement tests, lower case (IAM compares them without regard to case)."""
    keys: set[str] = set()
    condition = statement.get("Condition")
    for test in condition.values() if isinstance(condition, dict) else []:
        if isinstance(test, dict):
            keys.update(str(key).lower() for key in test)
    return keys


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
        for name, role in _of_type(cfn, "AWS::IAM::Role").items():
            for index, arn in enumerate(_as_list(_properties(role).get("ManagedPolicyArns", []))):
                if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in BROAD_MANAGED_POLICIES:
                    path = _path(cfn, name, "Properties", "ManagedPolicyArns", index)
                    matches.append(RuleMatch(path, f"{name} attaches the broad managed policy {arn}"))
        for name, where, statement in _iam_statements(cfn):
            if statement.get("Effect") != "Allow":
                continue
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


SES_SEND_ACTIONS = (
    "ses:SendEmail",
    "ses:SendRawEmail",
    "ses:SendTemplatedEmail",
    "ses:SendBulkEmail",
    "ses:SendBulkTemplatedEmail",
)
# Any configuration set's ARN: a Resource pattern that matches it covers configuration sets.
SAMPLE_CONFIGURATION_SET_ARN = "arn:aws:ses:us-east-1:123456789012:configuration-set/any-set"
_CONFIGURATION_SET_VARIABLE = re.compile(r"CONFIG(URATION)?_?SET", re.IGNORECASE)


class SesSendCoversConfigurationSet(CloudFormationLintRule):
    """A send that names a configuration set (or goes through an identity's default set) is authorised by
    SES against the set's ARN as well as the identity's: a grant on `identity/...` alone sends nothing.

    Statements are checked in every role when the template declares an AWS::SES::ConfigurationSet, and
    otherwise in the roles of functions whose environment names one (`..._CONFIGURATION_SET`)."""

    id = "E9006"
    shortdesc = "SES send permissions cover the configuration set"
    description = (
        "An IAM statement allowing ses:Send* also covers a configuration-set/... ARN when sends name "
        "a configuration set"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "iam", "ses"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        everywhere = bool(_of_type(cfn, "AWS::SES::ConfigurationSet"))
        roles = set() if everywhere else _roles_of_functions_naming_a_configuration_set(cfn)
        policy_roles = _policy_roles(cfn)
        matches = []
        for name, where, statement in _iam_statements(cfn):
            if not everywhere and not ({name} | policy_roles.get(name, set())) & roles:
                continue
            actions = [action for action in SES_SEND_ACTIONS if _allows_action(statement, action)]
            if not actions or _covers_configuration_sets(statement):
                continue
            message = (
                f"{name} allows {', '.join(actions)} without a configuration-set/... resource: SES "
                "authorises a send against its configuration set as well as its identity, so it is refused"
            )
            matches.append(RuleMatch(where, message))
        return matches


def _covers_configuration_sets(statement: dict[str, Any]) -> bool:
    if "NotResource" in statement:
        excluded = _arn_patterns(statement["NotResource"])
        return not any(_pattern_matches(p, SAMPLE_CONFIGURATION_SET_ARN) for p in excluded)
    patterns = _arn_patterns(statement.get("Resource", []))
    return any(_pattern_matches(p, SAMPLE_CONFIGURATION_SET_ARN) for p in patterns)


def _roles_of_functions_naming_a_configuration_set(cfn: Any) -> set[str]:
    roles = set()
    for function in _of_type(cfn, "AWS::Lambda::Function").values():
        properties = _properties(function)
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        if any(_CONFIGURATION_SET_VARIABLE.search(str(key)) for key in variables):
            role = _logical_id(properties.get("Role"))
            if role:
                roles.add(role)
    return roles


def _policy_roles(cfn: Any) -> dict[str, set[str]]:
    """The roles each AWS::IAM::Policy or ManagedPolicy is attached to."""
    attached: dict[str, set[str]] = {}
    for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, policy in _of_type(cfn, resource_type).items():
            roles = {_logical_id(role) for role in _as_list(_properties(policy).get("Roles", []))}
            attached[name] = {role for role in roles if role}
    return attached


class EventSourceQueueVisibility(CloudFormationLintRule):
    """A queue that feeds a function hides a message for at least 6 times the function's timeout (AWS's
    advice): otherwise a batch still running, or waiting out a throttle, is handed out again."""

    id = "E9007"
    shortdesc = "Event source queue visibility at least 6x the function timeout"
    description = (
        "An SQS queue that is an AWS::Lambda::EventSourceMapping's source has VisibilityTimeout >= 6 x "
        "the function's Timeout (defaults: 30 s and 3 s)"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "sqs", "resilience"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        queues = _of_type(cfn, "AWS::SQS::Queue")
        resources = _resources(cfn)
        matches = []
        for name, mapping in _of_type(cfn, "AWS::Lambda::EventSourceMapping").items():
            properties = _properties(mapping)
            queue = _logical_id(properties.get("EventSourceArn"))
            function = _function_of(cfn, properties.get("FunctionName"))
            if queue not in queues or function is None:
                continue
            path = _path(cfn, queue, "Properties")
            visibility = _seconds(cfn, _properties(queues[queue]).get("VisibilityTimeout"), 30)
            timeout = _seconds(cfn, _properties(resources[function]).get("Timeout"), 3)
            if visibility is None or timeout is None:
                unread = "VisibilityTimeout" if visibility is None else f"{function}'s Timeout"
                message = f"{queue} feeds {function} ({name}), but {unread} is not a number to compare"
                matches.append(RuleMatch(path, message))
            elif min(visibility) < 6 * max(timeout):
                message = (
                    f"{queue}'s VisibilityTimeout ({_seconds_text(min(visibility))}) is under 6 x the "
                    f"Timeout of {function} ({_seconds_text(max(timeout))}), which it feeds through {name}: "
                    f"make it at least {_seconds_text(6 * max(timeout))}"
                )
                matches.append(RuleMatch(path, message))
        return matches


HTTP_API_LIMIT_MS = 30_000
_ANY_METHOD = "x-amazon-apigateway-any-method"
_OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", _ANY_METHOD)


class HttpFunctionTimesOutFirst(CloudFormationLintRule):
    """A function behind an HTTP API stops before the API gives up on it (30 s, or the integration's
    timeoutInMillis): then the caller gets the function's answer, not a bare 504, and no work goes on
    after nobody waits for it."""

    id = "E9008"
    shortdesc = "HTTP-routed functions time out before the API"
    description = (
        "A function an AWS::ApiGatewayV2 integration invokes has Timeout under 30 s and under the "
        "integration's TimeoutInMillis"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "api", "lambda"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        resources = _resources(cfn)
        # function -> the strictest limit (ms) of the routes that invoke it, and that route
        limits: dict[str, tuple[float, str]] = {}

        def integration(uri: Any, timeout_ms: Any, route: str) -> None:
            function = _function_of(cfn, uri)
            if function is None:
                return
            given = _seconds(cfn, timeout_ms, HTTP_API_LIMIT_MS)
            limit = min([HTTP_API_LIMIT_MS, *(given or [])])
            if function not in limits or limit < limits[function][0]:
                limits[function] = (limit, route)

        for api_name, api in _of_type(cfn, "AWS::ApiGatewayV2::Api").items():
            body = _properties(api).get("Body")
            paths = body.get("paths") if isinstance(body, dict) else None
            for route_path, operations in (paths or {}).items():
                for method, operation in (operations or {}).items():
                    if method.lower() not in _OPENAPI_METHODS or not isinstance(operation, dict):
                        continue
                    settings = operation.get("x-amazon-apigateway-integration") or {}
                    route = f"{api_name} {'ANY' if method.lower() == _ANY_METHOD else method.upper()}"
                    integration(settings.get("uri"), settings.get("timeoutInMillis"), f"{route} {route_path}")
        for name, resource in _of_type(cfn, "AWS::ApiGatewayV2::Integration").items():
            properties = _properties(resource)
            integration(properties.get("IntegrationUri"), properties.get("TimeoutInMillis"), name)

        matches = []
        for function, (limit_ms, route) in sorted(limits.items()):
            timeout = _seconds(cfn, _properties(resources[function]).get("Timeout"), 3)
            path = _path(cfn, function, "Properties")
            if timeout is None:
                message = f"{function} serves {route}, but its Timeout is not a number this rule can read"
                matches.append(RuleMatch(path, message))
            elif max(timeout) * 1000 >= limit_ms:
                message = (
                    f"{function} may run {_seconds_text(max(timeout))}, but the HTTP API gives up on {route} "
                    f"after {_seconds_text(limit_ms / 1000)}: set its Timeout below that, so the function "
                    "stops first"
                )
                matches.append(RuleMatch(path, message))
        return matches


class ServicePolicyHasSourceCondition(CloudFormationLintRule):
    """A queue or topic policy that lets an AWS service (or anyone) send names whose resources may: an
    `aws:SourceArn` or `aws:SourceAccount` condition. Without it any account's rule, topic or bucket of
    that service can write into the queue (the confused deputy)."""

    id = "E9009"
    shortdesc = "Queue and topic policies for services carry a source condition"
    description = (
        "An AWS::SQS::QueuePolicy (or AWS::SNS::TopicPolicy) statement allowing a service principal or `*` "
        "sqs:SendMessage (sns:Publish) has an aws:SourceArn or aws:SourceAccount condition"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "iam", "sqs", "sns"]

    SOURCE_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})
    POLICIES = {"AWS::SQS::QueuePolicy": "sqs:SendMessage", "AWS::SNS::TopicPolicy": "sns:Publish"}

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for resource_type, action in self.POLICIES.items():
            for name, policy in _of_type(cfn, resource_type).items():
                document = _properties(policy).get("PolicyDocument")
                for index, statement in _statements(document):
                    principals = _service_principals(statement.get("Principal"))
                    if not principals or not _allows_action(statement, action):
                        continue
                    if _condition_keys(statement) & self.SOURCE_KEYS:
                        continue
                    who = "anyone" if "*" in principals else ", ".join(principals)
                    path = _path(cfn, name, "Properties", "PolicyDocument", "Statement", index)
                    message = (
                        f"{name} allows {who} {action} with no aws:SourceArn or aws:SourceAccount "
                        "condition: any account's resources of that service could use it"
                    )
                    matches.append(RuleMatch(path, message))
        return matches


class StreamMappingBisects(CloudFormationLintRule):
    """A stream batch that fails is retried whole and holds back its shard: the mapping splits it
    (BisectBatchOnFunctionError) and takes the function's list of failed records
    (ReportBatchItemFailures), so one bad record neither blocks nor repeats the others."""

    id = "E9010"
    shortdesc = "Stream mappings bisect and report partial batch failures"
    description = (
        "Every AWS::Lambda::EventSourceMapping from a DynamoDB or Kinesis stream has "
        "BisectBatchOnFunctionError true and FunctionResponseTypes with ReportBatchItemFailures"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "resilience", "streams"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for name, mapping in _of_type(cfn, "AWS::Lambda::EventSourceMapping").items():
            properties = _properties(mapping)
            kind = _stream_kind(cfn, properties.get("EventSourceArn"))
            if kind is None:
                continue
            missing = []
            if not _is_true(properties.get("BisectBatchOnFunctionError")):
                missing.append("BisectBatchOnFunctionError: true")
            if "ReportBatchItemFailures" not in _as_list(properties.get("FunctionResponseTypes", [])):
                missing.append("FunctionResponseTypes: [ReportBatchItemFailures]")
            if missing:
                message = f"{name} reads a {kind} stream without {' and '.join(missing)}"
                matches.append(RuleMatch(_path(cfn, name, "Properties"), message))
        return matches


def _stream_kind(cfn: Any, source: Any) -> str | None:
    """'DynamoDB' or 'Kinesis' when a mapping's EventSourceArn is such a stream."""
    resources = _resources(cfn)
    kinds = {
        "AWS::DynamoDB::Table": "DynamoDB",
        "AWS::DynamoDB::GlobalTable": "DynamoDB",
        "AWS::Kinesis::Stream": "Kinesis",
        "AWS::Kinesis::StreamConsumer": "Kinesis",
    }
    for name in _dependencies(source, set(resources), set()):
        kind = kinds.get(str(resources[name].get("Type")))
        if kind:
            return kind
    text = " ".join(_arn_patterns(source))
    if ":kinesis:" in text:
        return "Kinesis"
    if ":dynamodb:" in text and "/stream/" in text:
        return "DynamoDB"
    return None


# Topics that may go without a key of their own carry this in their Metadata:
#   Metadata: { recovery-loop: { personal-data: none } }
NO_PERSONAL_DATA = ("recovery-loop", "personal-data", "none")


class ServiceTopicKey(CloudFormationLintRule):
    """An SNS topic an AWS service publishes to (CloudWatch alarms, SES events, S3 or EventBridge
    notifications, a topic policy granting a service sns:Publish) is encrypted with a customer-managed key
    whose policy lets that service use it, or carries no personal data and says so. With the AWS-managed
    key (alias/aws/sns) the service may not use the key, and nothing it publishes arrives."""

    id = "E9011"
    shortdesc = "Topics AWS services publish to use a key those services may use"
    description = (
        "An SNS topic a service publishes to has KmsMasterKeyId naming an AWS::KMS::Key or Alias of the "
        "template whose KeyPolicy allows that service kms:GenerateDataKey* and kms:Decrypt, or no key and "
        "Metadata recovery-loop.personal-data: none"
    )
    source_url = SOURCE
    tags = ["recovery-loop", "sns", "kms"]

    KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")

    def match(self, cfn: Any) -> list[RuleMatch]:
        return _guarded(self._check, cfn, report=False)

    def _check(self, cfn: Any) -> list[RuleMatch]:
        resources = _resources(cfn)
        matches = []
        for topic, publishers in sorted(_service_publishers(cfn).items()):
            resource = resources[topic]
            path = _path(cfn, topic, "Properties")
            key_id = _properties(resource).get("KmsMasterKeyId")
            services = sorted(publishers)
            via = "; ".join(f"{service} ({_some(publishers[service])})" for service in services)
            if key_id is None:
                if not _marked_without_personal_data(resource):
                    message = (
                        f"{topic} is published to by {via} and has neither a customer-managed key "
                        "(KmsMasterKeyId) nor Metadata recovery-loop.personal-data: none"
                    )
                    matches.append(RuleMatch(path, message))
                continue
            key = _customer_key(cfn, key_id)
            if key is None:
                if isinstance(key_id, str) and "alias/aws/" in key_id:
                    problem = f"is the AWS-managed key {key_id}, whose key policy no service may use"
                else:
                    problem = "names no AWS::KMS::Key or Alias of this template (its policy is unknown)"
                message = f"{topic} is published to by {via}, but its KmsMasterKeyId {problem}"
                matches.append(RuleMatch(path, message))
                continue
            for service in services:
                missing = [a for a in self.KEY_ACTIONS if not _key_allows(resources[key], service, a)]
                if missing:
                    message = (
                        f"{key}'s KeyPolicy does not allow {service} {' and '.join(missing)}, which it needs "
                        f"to publish to {topic} ({_some(publishers[service])})"
                    )
                    matches.append(RuleMatch(_path(cfn, key, "Properties", "KeyPolicy"), message))
        return matches


def _service_publishers(cfn: Any) -> dict[str, dict[str, set[str]]]:
    """topic -> service principal -> the resources through which that service publishes to it."""
    topics = set(_of_type(cfn, "AWS::SNS::Topic"))
    publishers: dict[str, dict[str, set[str]]] = {}

    def publishes(service: str, target: Any, via: str) -> None:
        topic = _logical_id(target)
        if topic in topics:
            publishers.setdefault(topic, {}).setdefault(service, set()).add(via)

    for name, alarm in _of_type(cfn, "AWS::CloudWatch::Alarm").items():
        properties = _properties(alarm)
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in _as_list(properties.get(key, [])):
                publishes("cloudwatch.amazonaws.com", action, name)
    for name, destination in _of_type(cfn, "AWS::SES::ConfigurationSetEventDestination").items():
        sns = (_properties(destination).get("EventDestination") or {}).get("SnsDestination") or {}
        publishes("ses.amazonaws.com", sns.get("TopicARN"), name)
    for name, rule in _of_type(cfn, "AWS::SES::ReceiptRule").items():
        for action in _as_list((_properties(rule).get("Rule") or {}).get("Actions", [])):
            for settings in action.values() if isinstance(action, dict) else []:
                if isinstance(settings, dict):
                    publishes("ses.amazonaws.com", settings.get("TopicArn"), name)
    for name, bucket in _of_type(cfn, "AWS::S3::Bucket").items():
        notifications = _properties(bucket).get("NotificationConfiguration") or {}
        for configuration in _as_list(notifications.get("TopicConfigurations", [])):
            if isinstance(configuration, dict):
                publishes("s3.amazonaws.com", configuration.get("Topic"), name)
    for name, rule in _of_type(cfn, "AWS::Events::Rule").items():
        for target in _as_list(_properties(rule).get("Targets", [])):
            if isinstance(target, dict):
                publishes("events.amazonaws.com", target.get("Arn"), name)
    for name, policy in _of_type(cfn, "AWS::SNS::TopicPolicy").items():
        properties = _properties(policy)
        for _, statement in _statements(properties.get("PolicyDocument")):
            if not _allows_action(statement, "sns:Publish"):
                continue
            for service in _service_principals(statement.get("Principal")):
                if service != "*":
                    for topic in _as_list(properties.get("Topics", [])):
                        publishes(service, topic, name)
    return publishers


def _some(names: set[str], shown: int = 3) -> str:
    """A few names, and how many more: a finding stays one readable line."""
    ordered = sorted(names)
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(ordered[:shown]) + more


def _marked_without_personal_data(resource: dict[str, Any]) -> bool:
    section, key, value = NO_PERSONAL_DATA
    metadata = resource.get("Metadata")
    marker = metadata.get(section) if isinstance(metadata, dict) else None
    return isinstance(marker, dict) and str(marker.get(key)).lower() == value


def _customer_key(cfn: Any, key_id: Any) -> str | None:
    """The AWS::KMS::Key of the template a KmsMasterKeyId names, directly or through an alias."""
    resources = _resources(cfn)
    name = _logical_id(key_id)
    resource = resources.get(name or "", {})
    if resource.get("Type") == "AWS::KMS::Alias":
        name = _logical_id(_properties(resource).get("TargetKeyId"))
        resource = resources.get(name or "", {})
    return name if resource.get("Type") == "AWS::KMS::Key" else None


def _key_allows(key: dict[str, Any], service: str, action: str) -> bool:
    """Whether a key policy allows the service principal `action` (`kms:GenerateDataKey*`: every
    GenerateDataKey variant SNS may call, so the pattern must cover kms:GenerateDataKey)."""
    wanted = action.rstrip("*")
    for _, statement in _statements(_properties(key).get("KeyPolicy")):
        if service in _service_principals(statement.get("Principal")) and _allows_action(statement, wanted):
            return True
    return False
