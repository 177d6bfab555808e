"""IAM as AWS enforces it: every AWS call a function makes is authorised against that function's role.

moto checks no permission, so a statement missing from template.yaml would only show on the first real
deploy. Here each function's role comes from the SAM-expanded template (SAM policy templates expanded by
the translator, AWS managed policies from moto's copy of them), and botocore hooks authorise every call
made while a function runs: its import, its handler, and what Lambda does with its role (reading a
stream or queue, parking a failed batch). The resource ARNs are those AWS checks (local.iam_requests);
the policies are evaluated by moto's IAM policy engine. A call the role does not allow fails as on AWS,
with a ClientError whose code is the service's AccessDenied code, and the runtime logs the function, the
action and the resource, so the missing statement is obvious.

What the engine cannot evaluate is refused or treated strictly, never waved through: `NotResource` and
`NotPrincipal` stop the runtime at start; an Allow with a `Condition` grants nothing here, and a Deny
with one denies always. Resource policies (queue and topic policies), KMS key policies and service
principals are not evaluated: lint rules cover them (lint_rules/).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore import handlers
from botocore.awsrequest import AWSResponse
from moto.iam.access_control import IAMPolicy, PermissionResult

from local.iam_requests import Call, Lookups, Request, requests
from local.refs import ACCOUNT_ID, Names, resolve
from local.template import Template, TemplateError

log = logging.getLogger(__name__)

SEEN_FILE_VARIABLE = "RECOVERY_IAM_SEEN"  # a JSON-lines file every authorisation is appended to
_PARAMS = "local_iam_params"

# The error each service answers a denied call with (code, HTTP status).
_DENIED = {
    "dynamodb": ("AccessDeniedException", 400),
    "dynamodbstreams": ("AccessDeniedException", 400),
    "ses": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "sqs": ("AccessDenied", 403),
}
_DENIED_DEFAULT = ("AccessDeniedException", 400)


class PolicyError(TemplateError):
    """A role's policy uses what the local engine cannot evaluate faithfully."""


@dataclass(frozen=True)
class Statement:
    """A statement as written in the template, for reports; `policy` names where it comes from, and
    `managed` is true for an AWS managed policy (what SAM attaches for Lambda itself: logs, X-Ray, event
    sources)."""

    policy: str
    managed: bool
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    """A function's execution role: the function's logical id, the role's and the function's names."""

    function: str
    name: str
    session: str
    documents: tuple[str, ...]  # normalised policy documents (JSON), ready for the engine
    statements: tuple[Statement, ...]

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{self.name}/{self.session}"

    def decide(self, request: Request) -> str:
        """`allowed`, `implicit` (nothing allows it) or `explicit` (a Deny matches), as IAM decides."""
        allowed = False
        for document in self.documents:
            result = _engine(document).is_action_permitted(request.action.lower(), request.resource)
            if result == PermissionResult.DENIED:
                return "explicit"
            allowed = allowed or result == PermissionResult.PERMITTED
        return "allowed" if allowed else "implicit"


@cache
def _engine(document: str) -> IAMPolicy:
    return IAMPolicy(document)


# ---------------------------------------------------------------------------------------------- roles
def roles(template: Template, names: Names) -> dict[str, Role]:
    """Every function's role, by the function's logical id, with the template's values resolved."""
    found = {}
    for logical_id, function in template.functions.items():
        role_id = _role_of(function.properties.get("Role"))
        role = template.resources.get(role_id or "", {})
        if role.get("Type") != "AWS::IAM::Role":
            raise PolicyError(f"{logical_id}: its Role is not an AWS::IAM::Role of the template")
        assert role_id is not None
        documents = [
            (f"{role_id}.{policy.get('PolicyName', '?')}", policy["PolicyDocument"])
            for policy in role.get("Properties", {}).get("Policies", [])
        ]
        documents += [
            (f"{policy_id}", resource["Properties"]["PolicyDocument"])
            for policy_id, resource in template.resources.items()
            if resource.get("Type") == "AWS::IAM::Policy"
            and {"Ref": role_id} in resource.get("Properties", {}).get("Roles", [])
        ]
        arns = role.get("Properties", {}).get("ManagedPolicyArns", [])
        resolved = [(source, resolve(document, names), False) for source, document in documents]
        resolved += [
            (source, resolve(document, names), aws)
            for source, document, aws in _managed(template, arns, names)
        ]
        found[logical_id] = Role(
            function=logical_id,
            name=str(names.ref(role_id)),
            session=str(names.ref(logical_id)),
            documents=tuple(json.dumps(_normalised(source, document)) for source, document, _ in resolved),
            statements=tuple(
                statement
                for source, document, aws in resolved
                for statement in _statements(source, aws, document)
            ),
        )
    return found


def _role_of(reference: Any) -> str | None:
    if isinstance(reference, dict) and "Fn::GetAtt" in reference:
        target = reference["Fn::GetAtt"]
        return str(target.split(".")[0] if isinstance(target, str) else target[0])
    return None


def _managed(template: Template, arns: list[Any], names: Names) -> list[tuple[str, Any, bool]]:
    """Each managed policy's name, document, and whether AWS manages it."""
    found = []
    for arn in arns:
        if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in template.resources:
            policy = template.resources[arn["Ref"]]
            if policy.get("Type") == "AWS::IAM::ManagedPolicy":
                found.append((str(arn["Ref"]), policy["Properties"]["PolicyDocument"], False))
                continue
        name = str(resolve(arn, names)).rsplit("/", 1)[-1]
        managed = _aws_managed_policies()
        if name not in managed:
            raise PolicyError(f"the managed policy {name} is not known to the embedded runtime")
        found.append((name, managed[name]["Document"], True))
    return found


@cache
def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data  # large; read once

    policies: dict[str, Any] = json.loads(aws_managed_policies_data)
    return policies


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _statements(policy: str, managed: bool, document: dict[str, Any]) -> list[Statement]:
    return [
        Statement(
            policy,
            managed,
            str(statement.get("Effect")),
            tuple(str(action) for action in _as_list(statement.get("Action", []))),
            tuple(str(resource) for resource in _as_list(statement.get("Resource", []))),
        )
        for statement in _as_list(document.get("Statement", []))
    ]


def _normalised(source: str, document: dict[str, Any]) -> dict[str, Any]:
    """The document as moto's engine evaluates it right: actions in lower case (IAM matches them
    without regard to case), wildcards `*` and `?` kept and everything else literal, conditions strict."""
    kept = []
    for raw in _as_list(document.get("Statement", [])):
        statement = dict(raw)
        for unsupported in ("NotResource", "NotPrincipal", "Principal"):
            if unsupported in statement:
                raise PolicyError(f"{source}: {unsupported} in a role's policy is not evaluated locally")
        if "Condition" in statement:
            if statement.get("Effect") == "Allow":
                log.warning("%s: an Allow with a Condition grants nothing in the embedded runtime", source)
                continue
            del statement["Condition"]  # a Deny with a condition denies always here
        for key in ("Action", "NotAction"):
            if key in statement:
                statement[key] = [_pattern(str(action).lower()) for action in _as_list(statement[key])]
        if "Resource" in statement:
            statement["Resource"] = [_pattern(str(resource)) for resource in _as_list(statement["Resource"])]
        kept.append(statement)
    return {"Version": "2012-10-17", "Statement": kept}


def _pattern(text: str) -> str:
    """An IAM wildcard pattern in the form moto's engine matches (it turns `*` into `.*`, nothing else)."""
    return "".join(
        "*" if part == "*" else "." if part == "?" else re.escape(part) for part in re.split(r"([*?])", text)
    )


# ---------------------------------------------------------------------------------------------- enforcement
class Enforcer:
    """The botocore hooks, and who is calling: the role of the function running now, or nobody (the
    runtime's own provisioning and a test's setup act as the account itself)."""

    def __init__(self) -> None:
        self._role: Role | None = None
        self._installed = False
        self._write = threading.Lock()
        self.lookups = Lookups(_secret_arn, _verified_identities)

    def install(self) -> None:
        """Register the hooks; must run before the first boto3/botocore session is created."""
        if self._installed:
            return
        handlers.BUILTIN_HANDLERS.append(("before-parameter-build", self._remember))
        handlers.BUILTIN_HANDLERS.append(("before-call", self._authorise))
        self._installed = True

    @contextmanager
    def acting_as(self, role: Role | None) -> Iterator[None]:
        previous, self._role = self._role, role
        try:
            yield
        finally:
            self._role = previous

    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params

    def _authorise(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        role = self._role
        if role is None:
            return None
        service = model.service_model.service_name
        region = str(context.get("client_region") or os.environ.get("AWS_REGION") or "us-east-1")
        call = Call(service, model.name, context.get(_PARAMS) or {}, region)
        for request in requests(call, self.lookups):
            decision = role.decide(request)
            self._record(role, request, decision)
            if decision != "allowed":
                return self._deny(role, call, request, decision)
        return None

    def _deny(
        self, role: Role, call: Call, request: Request, decision: str
    ) -> tuple[AWSResponse, dict[str, Any]]:
        log.error(
            "IAM: %s may not %s on %s (%s); its role in template.yaml needs a statement for it",
            role.function,
            request.action,
            request.resource,
            "an explicit Deny" if decision == "explicit" else "no statement allows it",
        )
        why = (
            "with an explicit deny in an identity-based policy"
            if decision == "explicit"
            else f"because no identity-based policy allows the {request.action} action"
        )
        code, status = _DENIED.get(call.service, _DENIED_DEFAULT)
        message = (
            f"User: {role.principal} is not authorized to perform: {request.action} "
            f"on resource: {request.resource} {why}"
        )
        metadata = {"HTTPStatusCode": status, "RequestId": "local-iam", "HTTPHeaders": {}}
        response = AWSResponse(f"https://{call.service}.{call.region}.amazonaws.com/", status, {}, None)
        return response, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}

    def _record(self, role: Role, request: Request, decision: str) -> None:
        path = os.environ.get(SEEN_FILE_VARIABLE)
        if not path:
            return
        line = json.dumps(
            {
                "function": role.function,
                "action": request.action,
                "resource": request.resource,
                "decision": decision,
            }
        )
        with self._write, open(path, "a", encoding="utf-8") as seen:
            seen.write(line + "\n")


def _secret_arn(region: str, name: str) -> str | None:
    from moto.secretsmanager.models import secretsmanager_backends

    secret = secretsmanager_backends[ACCOUNT_ID][region].secrets.get(name)
    return str(secret.arn) if secret is not None else None


def _verified_identities(region: str) -> set[str]:
    from moto.ses.models import ses_backends

    return set(ses_backends[ACCOUNT_ID][region].email_identities)


ENFORCER = Enforcer()
install = ENFORCER.install
acting_as = ENFORCER.acting_as
