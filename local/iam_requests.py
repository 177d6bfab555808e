"""What AWS authorises for one API call: the IAM actions and the resource ARNs each is checked against.

An IAM policy is only as good as the ARNs it is evaluated on, so this module models, for every call the
project makes, the resource AWS itself names in an AccessDenied message:
- DynamoDB: the table, or `table/<name>/index/<index>` for a Query or Scan of an index; a transaction is
  authorised item by item, as the PutItem, UpdateItem, DeleteItem, ConditionCheckItem or GetItem each
  item asks for; a batch as BatchGetItem or BatchWriteItem on each table it names.
- DynamoDB Streams: the stream ARN.
- SES: the sending identity (the address when it is verified on its own, else its domain) and, when
  the call names one, the configuration set. SES checks both.
- SNS: the topic or endpoint ARN; an SMS to a phone number has no resource, so it is `*`.
- S3: the object (`arn:aws:s3:::<bucket>/<key>`) for an object call, else the bucket.
- Secrets Manager: the secret's full ARN (a name is looked up); SSM: `parameter/<name>`.
- EventBridge: the bus of each entry (`default` when none is named); Scheduler: the schedule.
- SQS: the queue's ARN from its URL or name; a batch send or delete is the single action's permission.
- Cognito: the user pool for the Admin* calls. Sign-in calls (InitiateAuth, RespondToAuthChallenge...)
  are not authorised by IAM at all, nor is sts:GetCallerIdentity.
Any other call is checked as its action on `*`, which only a statement with `Resource: "*"` allows.
docs/local-runtime.md has this table for people.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlparse

from local.refs import ACCOUNT_ID

# botocore's service name -> the prefix its IAM actions carry, where the two differ.
_PREFIX = {"dynamodbstreams": "dynamodb", "sesv2": "ses"}

# Calls no identity policy governs: signing in needs no credentials; who-am-I is always allowed.
UNAUTHENTICATED = frozenset(
    {
        "cognito-idp:InitiateAuth",
        "cognito-idp:RespondToAuthChallenge",
        "cognito-idp:SignUp",
        "cognito-idp:ConfirmSignUp",
        "cognito-idp:ForgotPassword",
        "cognito-idp:ConfirmForgotPassword",
        "cognito-idp:ChangePassword",
        "cognito-idp:GetUser",
        "cognito-idp:GlobalSignOut",
        "cognito-idp:RevokeToken",
        "sts:GetCallerIdentity",
    }
)

# Batch operations that IAM authorises as their single counterpart.
_SINGLE = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

_TRANSACT_WRITE = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
}


@dataclass(frozen=True)
class Request:
    """One authorisation AWS makes: an action on a resource."""

    action: str
    resource: str


@dataclass(frozen=True)
class Call:
    service: str  # botocore's service name: dynamodb, sesv2, cognito-idp...
    operation: str  # botocore's operation name: GetItem, SendRawEmail...
    params: dict[str, Any]
    region: str

    @property
    def action(self) -> str:
        return f"{_PREFIX.get(self.service, self.service)}:{self.operation}"

    def arn(self, service: str, resource: str, account: str = ACCOUNT_ID) -> str:
        return f"arn:aws:{service}:{self.region}:{account}:{resource}"


# Lookups the runtime answers from moto's state: a secret's ARN by name, SES's verified identities.
SecretArn = Callable[[str, str], str | None]
VerifiedIdentities = Callable[[str], set[str]]


@dataclass(frozen=True)
class Lookups:
    secret_arn: SecretArn
    verified_identities: VerifiedIdentities


def requests(call: Call, lookups: Lookups) -> list[Request]:
    """Every authorisation the call needs; empty when IAM does not govern it."""
    if call.action in UNAUTHENTICATED:
        return []
    model = _MODELS.get(call.service)
    resources = model(call, lookups) if model else None
    if resources is None:
        return [Request(_SINGLE.get(call.action, call.action), "*")]
    return [
        item if isinstance(item, Request) else Request(_SINGLE.get(call.action, call.action), item)
        for item in resources
    ]


Resources = Iterable[str | Request] | None


def _dynamodb(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if call.operation in ("TransactWriteItems", "TransactGetItems"):
        found: list[str | Request] = []
        for item in params.get("TransactItems", []):
            for kind, spec in item.items():
                action = "GetItem" if kind == "Get" else _TRANSACT_WRITE.get(kind, kind)
                found.append(Request(f"dynamodb:{action}", _table(call, spec.get("TableName", ""))))
        return found
    if call.operation in ("BatchGetItem", "BatchWriteItem"):
        return [_table(call, name) for name in params.get("RequestItems", {})]
    if "TableName" not in params:
        return None
    table = _table(call, params["TableName"])
    if call.operation in ("Query", "Scan") and params.get("IndexName"):
        return [f"{table}/index/{params['IndexName']}"]
    return [table]


def _table(call: Call, name_or_arn: str) -> str:
    return name_or_arn if name_or_arn.startswith("arn:") else call.arn("dynamodb", f"table/{name_or_arn}")


def _streams(call: Call, lookups: Lookups) -> Resources:
    arn = call.params.get("StreamArn")
    return [str(arn)] if arn else None  # GetRecords names only its iterator: checked on `*`


def _ses(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if call.operation not in ("SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail"):
        return None
    identity = params.get("SourceArn") or params.get("FromArn")
    found: list[str | Request] = []
    if identity:
        found.append(str(identity))
    else:
        source = params.get("Source") or _raw_from(params)
        found.append(_identity(call, lookups, source))
    if params.get("ConfigurationSetName"):
        found.append(call.arn("ses", f"configuration-set/{params['ConfigurationSetName']}"))
    return found


def _sesv2(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if call.operation not in ("SendEmail", "SendBulkEmail"):
        return None
    found: list[str | Request] = []
    if params.get("FromEmailAddressIdentityArn"):
        found.append(str(params["FromEmailAddressIdentityArn"]))
    else:
        source = params.get("FromEmailAddress") or _raw_from(params.get("Content", {}).get("Raw", {}))
        found.append(_identity(call, lookups, source))
    if params.get("ConfigurationSetName"):
        found.append(call.arn("ses", f"configuration-set/{params['ConfigurationSetName']}"))
    return found


def _raw_from(params: dict[str, Any]) -> str:
    raw = (params.get("RawMessage") or params).get("Data", b"")
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    message = email.message_from_bytes(data, policy=email.policy.default)
    return str(message.get("From", ""))


def _identity(call: Call, lookups: Lookups, source: str) -> str:
    """The identity SES sends as: the address if it is verified itself, else its domain."""
    address = parseaddr(source)[1].lower()
    domain = address.rpartition("@")[2]
    verified = {identity.lower() for identity in lookups.verified_identities(call.region)}
    name = address if address in verified or domain not in verified else domain
    return call.arn("ses", f"identity/{name}")


def _sns(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if call.operation == "Publish":
        target = params.get("TopicArn") or params.get("TargetArn")
        return [str(target)] if target else ["*"]  # an SMS to a phone number has no ARN
    if call.operation == "CreateTopic":
        return [call.arn("sns", str(params.get("Name", "")))]
    for key in ("TopicArn", "ResourceArn", "SubscriptionArn"):
        if key in params:
            return [str(params[key])]
    return None


def _sqs(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if "QueueUrl" in params:
        path = [part for part in urlparse(str(params["QueueUrl"])).path.split("/") if part]
        if len(path) >= 2:
            return [call.arn("sqs", path[-1], account=path[-2])]
    if "QueueName" in params:
        owner = str(params.get("QueueOwnerAWSAccountId") or ACCOUNT_ID)
        return [call.arn("sqs", str(params["QueueName"]), account=owner)]
    return None


def _s3(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    bucket = params.get("Bucket")
    if not bucket:
        return None
    if "Key" in params:
        return [f"arn:aws:s3:::{bucket}/{params['Key']}"]
    return [f"arn:aws:s3:::{bucket}"]


def _secretsmanager(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    secret = params.get("SecretId") or params.get("Name")
    if not secret:
        return None
    secret = str(secret)
    if secret.startswith("arn:"):
        return [secret]
    return [lookups.secret_arn(call.region, secret) or call.arn("secretsmanager", f"secret:{secret}")]


def _ssm(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    names = params.get("Names") or ([params["Name"]] if "Name" in params else None)
    if names is None and "Path" in params:
        names = [params["Path"]]
    if names is None:
        return None
    return [
        name if name.startswith("arn:") else call.arn("ssm", "parameter/" + name.lstrip("/"))
        for name in names
    ]


def _events(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if call.operation == "PutEvents":
        buses = {str(entry.get("EventBusName") or "default") for entry in params.get("Entries", [])}
        return [_bus(call, bus) for bus in sorted(buses)] or [_bus(call, "default")]
    if "Rule" in params or (call.operation in ("PutRule", "DescribeRule", "DeleteRule") and "Name" in params):
        rule = str(params.get("Rule") or params.get("Name"))
        bus = str(params.get("EventBusName") or "default")
        bus_name = bus.rsplit("/", 1)[-1]
        path = f"rule/{rule}" if bus_name == "default" else f"rule/{bus_name}/{rule}"
        return [call.arn("events", path)]
    if "EventBusName" in params:
        return [_bus(call, str(params["EventBusName"]))]
    return None


def _bus(call: Call, name_or_arn: str) -> str:
    return name_or_arn if name_or_arn.startswith("arn:") else call.arn("events", f"event-bus/{name_or_arn}")


def _scheduler(call: Call, lookups: Lookups) -> Resources:
    params = call.params
    if "Name" not in params:
        return None
    group = str(params.get("GroupName") or "default")
    return [call.arn("scheduler", f"schedule/{group}/{params['Name']}")]


def _cognito(call: Call, lookups: Lookups) -> Resources:
    pool = call.params.get("UserPoolId")
    return [call.arn("cognito-idp", f"userpool/{pool}")] if pool else None


def _lambda(call: Call, lookups: Lookups) -> Resources:
    name = call.params.get("FunctionName")
    if not name:
        return None
    name = str(name)
    return [name if name.startswith("arn:") else call.arn("lambda", f"function:{name}")]


_MODELS: dict[str, Callable[[Call, Lookups], Resources]] = {
    "dynamodb": _dynamodb,
    "dynamodbstreams": _streams,
    "ses": _ses,
    "sesv2": _sesv2,
    "sns": _sns,
    "sqs": _sqs,
    "s3": _s3,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "events": _events,
    "scheduler": _scheduler,
    "cognito-idp": _cognito,
    "lambda": _lambda,
}
