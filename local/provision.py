"""Creating what the template declares inside moto, with boto3 (not moto's CloudFormation).

Every step is "ensure": a resource that already exists (restored with `--state`) is looked up, not
created again, so a restart never doubles anything and a resource the template gained is added. Names
are deterministic (`<stack>-<logical id>` unless the template names it) for the same reason.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from local.aws import AwsClients, api_members, error_code
from local.refs import ACCOUNT_ID, STACK_NAME, Names, pseudo_parameters, resolve
from local.template import Template

log = logging.getLogger(__name__)

# Resource types the runtime creates in moto, in dependency order.
_ORDER = (
    "AWS::SecretsManager::Secret",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::Events::EventBus",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::Events::Rule",
    "AWS::Scheduler::Schedule",
    "AWS::SNS::Subscription",
)


def physical_name(logical_id: str, given: Any = None, limit: int = 64) -> str:
    if given:
        return str(given)
    return f"{STACK_NAME}-{logical_id}"[:limit]


class Provisioner:
    def __init__(self, template: Template, clients: AwsClients) -> None:
        self.template = template
        self.clients = clients
        self.region = clients.region
        self.names = Names(
            refs={**pseudo_parameters(self.region), **template.parameters}, conditions=template.conditions
        )

    def run(self) -> Names:
        self._name_passive_resources()
        for resource_type in _ORDER:
            for logical_id, properties in self.template.of_type(resource_type).items():
                create = getattr(self, "_" + resource_type.split("::", 1)[1].replace("::", "_").lower())
                create(logical_id, properties)
        self._apply_redrive_policies()
        return self.names

    # ------------------------------------------------------------------ names only
    def _name_passive_resources(self) -> None:
        """Resources moto does not need (functions, roles, log groups, alarms...) still answer Ref."""
        for logical_id, resource in self.template.resources.items():
            resource_type = resource.get("Type", "")
            properties = resource.get("Properties", {})
            if resource_type == "AWS::Lambda::Function":
                name = physical_name(logical_id, self._maybe(properties.get("FunctionName")))
                arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}"
                self._set(logical_id, name, Arn=arn)
            elif resource_type == "AWS::Logs::LogGroup":
                name = self._maybe(properties.get("LogGroupName")) or physical_name(logical_id)
                arn = f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{name}:*"
                self._set(logical_id, name, Arn=arn)
            elif resource_type == "AWS::ApiGatewayV2::Api":
                self._set(logical_id, "local", ApiId="local", ApiEndpoint="http://127.0.0.1")
            elif resource_type not in _ORDER:
                service = resource_type.split("::")[1].lower() if "::" in resource_type else "local"
                name = physical_name(logical_id)
                arn = f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{logical_id}"
                if resource_type == "AWS::IAM::Role":
                    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
                self._set(
                    logical_id, arn if resource_type.startswith("AWS::Lambda::Layer") else name, Arn=arn
                )

    # ------------------------------------------------------------------ resources
    def _secretsmanager_secret(self, logical_id: str, properties: dict[str, Any]) -> None:
        client = self.clients.secrets
        name = physical_name(logical_id, self._resolve(properties.get("Name")))
        try:
            arn = client.describe_secret(SecretId=name)["ARN"]
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            arn = client.create_secret(
                Name=name,
                Description=str(self._resolve(properties.get("Description", ""))),
                SecretString=self._secret_value(properties),
            )["ARN"]
        self._set(logical_id, arn, Id=arn)

    def _secret_value(self, properties: dict[str, Any]) -> str:
        if "SecretString" in properties:
            return str(self._resolve(properties["SecretString"]))
        spec = dict(properties.get("GenerateSecretString", {}))
        allowed = api_members(self.clients.secrets, "GetRandomPassword")
        password: str = self.clients.secrets.get_random_password(
            **{key: value for key, value in spec.items() if key in allowed}
        )["RandomPassword"]
        if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
            document = json.loads(spec["SecretStringTemplate"])
            document[spec["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    def _sqs_queue(self, logical_id: str, properties: dict[str, Any]) -> None:
        client = self.clients.sqs
        fifo = bool(properties.get("FifoQueue"))
        default = physical_name(logical_id, limit=75) + (".fifo" if fifo else "")
        name = physical_name(logical_id, self._resolve(properties.get("QueueName")) or default, 80)
        try:
            url = client.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as error:
            if "NonExistentQueue" not in error_code(error) and error_code(error) != "QueueDoesNotExist":
                raise
            attributes = {
                key: _attribute_text(self._resolve(value))
                for key, value in properties.items()
                if key not in ("QueueName", "Tags", "RedrivePolicy")
            }
            url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._set(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _apply_redrive_policies(self) -> None:
        """Redrive policies name other queues, so they are set once every queue exists."""
        for logical_id, properties in self.template.of_type("AWS::SQS::Queue").items():
            if "RedrivePolicy" in properties:
                policy = self._resolve(properties["RedrivePolicy"])
                self.clients.sqs.set_queue_attributes(
                    QueueUrl=self.names.ref(logical_id),
                    Attributes={"RedrivePolicy": _attribute_text(policy)},
                )

    def _sns_topic(self, logical_id: str, properties: dict[str, Any]) -> None:
        fifo = bool(properties.get("FifoTopic"))
        default = physical_name(logical_id, limit=250) + (".fifo" if fifo else "")
        name = physical_name(logical_id, self._resolve(properties.get("TopicName")) or default, 256)
        attributes = {
            key: _attribute_text(self._resolve(properties[key]))
            for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
            if key in properties
        }
        # CreateTopic is idempotent: it answers the existing ARN.
        arn = self.clients.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self._set(logical_id, arn, TopicName=name, TopicArn=arn)
        for subscription in properties.get("Subscription", []):
            self._subscribe(arn, self._resolve(subscription))

    def _s3_bucket(self, logical_id: str, properties: dict[str, Any]) -> None:
        """A bucket (the inbound mail bucket). Names are lower case, as S3 requires."""
        name = physical_name(logical_id, self._resolve(properties.get("BucketName")), 63).lower()
        try:
            self.clients.s3.head_bucket(Bucket=name)
        except ClientError as error:
            if error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            request: dict[str, Any] = {"Bucket": name}
            if self.region != "us-east-1":
                request["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            self.clients.s3.create_bucket(**request)
        arn = f"arn:aws:s3:::{name}"
        self._set(logical_id, name, Arn=arn, DomainName=f"{name}.s3.amazonaws.com")

    def _sns_subscription(self, logical_id: str, properties: dict[str, Any]) -> None:
        spec = self._resolve(properties)
        self._subscribe(spec["TopicArn"], spec)
        self._set(logical_id, physical_name(logical_id))

    def _subscribe(self, topic_arn: str, spec: dict[str, Any]) -> None:
        if spec.get("Protocol") == "lambda":
            return  # the runtime delivers to subscribed functions itself (local.inbound.SnsFanout)
        self.clients.sns.subscribe(TopicArn=topic_arn, Protocol=spec["Protocol"], Endpoint=spec["Endpoint"])

    def _dynamodb_table(self, logical_id: str, properties: dict[str, Any]) -> None:
        client = self.clients.dynamodb
        spec = self._resolve(properties)
        name = physical_name(logical_id, spec.get("TableName"), 255)
        try:
            description = client.describe_table(TableName=name)["Table"]
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            description = client.create_table(**self._table_request(name, spec))["TableDescription"]
            ttl = spec.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self._add_missing_indexes(name, spec, description)
        self._set(logical_id, name, Arn=description["TableArn"], StreamArn=description.get("LatestStreamArn"))

    def _table_request(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        allowed = api_members(self.clients.dynamodb, "CreateTable")
        request = {key: value for key, value in spec.items() if key in allowed}
        request["TableName"] = name
        request["GlobalSecondaryIndexes"] = [
            _index(index) for index in spec.get("GlobalSecondaryIndexes", [])
        ]
        request["LocalSecondaryIndexes"] = [_index(index) for index in spec.get("LocalSecondaryIndexes", [])]
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if not request[key]:
                del request[key]
        if "StreamSpecification" in spec:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": spec["StreamSpecification"]["StreamViewType"],
            }
        if "SSESpecification" in spec:
            request["SSESpecification"] = {"Enabled": bool(spec["SSESpecification"].get("SSEEnabled"))}
        request.pop("Tags", None)
        return request

    def _add_missing_indexes(self, name: str, spec: dict[str, Any], description: dict[str, Any]) -> None:
        """A GSI added to the template after the state was saved is created on the restored table."""
        existing = {index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])}
        for index in spec.get("GlobalSecondaryIndexes", []):
            if index["IndexName"] in existing:
                continue
            log.info("adding index %s to table %s", index["IndexName"], name)
            self.clients.dynamodb.update_table(
                TableName=name,
                AttributeDefinitions=spec["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": _index(index)}],
            )

    def _events_eventbus(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = physical_name(logical_id, self._resolve(properties.get("Name")), 256)
        try:
            arn = self.clients.events.describe_event_bus(Name=name)["Arn"]
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            arn = self.clients.events.create_event_bus(Name=name)["EventBusArn"]
        self._set(logical_id, name, Arn=arn, Name=name)

    def _events_rule(self, logical_id: str, properties: dict[str, Any]) -> None:
        spec = self._resolve(properties)
        name = physical_name(logical_id, spec.get("Name"))
        bus = bus_name(spec.get("EventBusName") or "default")
        request: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": spec.get("State", "ENABLED")}
        if "EventPattern" in spec:
            pattern = spec["EventPattern"]
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "ScheduleExpression" in spec:
            request["ScheduleExpression"] = spec["ScheduleExpression"]
        if "Description" in spec:
            request["Description"] = spec["Description"]
        # PutRule and PutTargets overwrite, so a restored rule picks up template changes.
        arn = self.clients.events.put_rule(**request)["RuleArn"]
        targets = [_target(target) for target in spec.get("Targets", [])]
        if targets:
            self.clients.events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        self._set(logical_id, name, Arn=arn)

    def _scheduler_schedule(self, logical_id: str, properties: dict[str, Any]) -> None:
        spec = self._resolve(properties)
        name = physical_name(logical_id, spec.get("Name"))
        allowed = api_members(self.clients.scheduler, "CreateSchedule")
        request = {key: value for key, value in spec.items() if key in allowed}
        request["Name"] = name
        try:
            self.clients.scheduler.get_schedule(Name=name, GroupName=request.get("GroupName", "default"))
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            self.clients.scheduler.create_schedule(**request)
        group = request.get("GroupName", "default")
        arn = f"arn:aws:scheduler:{self.region}:{ACCOUNT_ID}:schedule/{group}/{name}"
        self._set(logical_id, name, Arn=arn)

    def _cognito_userpool(self, logical_id: str, properties: dict[str, Any]) -> None:
        client = self.clients.cognito
        spec = self._resolve(properties)
        name = physical_name(logical_id, spec.get("UserPoolName"), 128)
        pools = client.list_user_pools(MaxResults=60)["UserPools"]
        pool_id = next((pool["Id"] for pool in pools if pool["Name"] == name), None)
        if pool_id is None:
            allowed = api_members(client, "CreateUserPool")
            request = {key: value for key, value in spec.items() if key in allowed}
            request.pop("UserPoolTags", None)
            pool_id = client.create_user_pool(PoolName=name, **request)["UserPool"]["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool_id}"
        arn = f"arn:aws:cognito-idp:{self.region}:{ACCOUNT_ID}:userpool/{pool_id}"
        self._set(logical_id, pool_id, Arn=arn, ProviderName=provider, ProviderURL=f"https://{provider}")

    def _cognito_userpoolclient(self, logical_id: str, properties: dict[str, Any]) -> None:
        client = self.clients.cognito
        spec = self._resolve(properties)
        pool_id = spec["UserPoolId"]
        name = physical_name(logical_id, spec.get("ClientName"), 128)
        existing = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
        client_id = next((item["ClientId"] for item in existing if item["ClientName"] == name), None)
        if client_id is None:
            allowed = api_members(client, "CreateUserPoolClient")
            request = {key: value for key, value in spec.items() if key in allowed}
            request["ClientName"] = name
            client_id = client.create_user_pool_client(**request)["UserPoolClient"]["ClientId"]
        self._set(logical_id, client_id, ClientId=client_id, Name=name)

    def _cognito_userpoolgroup(self, logical_id: str, properties: dict[str, Any]) -> None:
        spec = self._resolve(properties)
        name = physical_name(logical_id, spec.get("GroupName"), 128)
        try:
            self.clients.cognito.get_group(GroupName=name, UserPoolId=spec["UserPoolId"])
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            allowed = api_members(self.clients.cognito, "CreateGroup")
            request = {key: value for key, value in spec.items() if key in allowed}
            request["GroupName"] = name
            self.clients.cognito.create_group(**request)
        self._set(logical_id, name)

    # ------------------------------------------------------------------ helpers
    def _set(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        self.names.refs[logical_id] = ref
        for attribute, value in attributes.items():
            if value is not None:
                self.names.attrs[(logical_id, attribute)] = value

    def _resolve(self, value: Any) -> Any:
        return resolve(value, self.names)

    def _maybe(self, value: Any) -> Any:
        """Resolve a naming property that may refer to what is not named yet; None if it cannot."""
        try:
            return self._resolve(value)
        except LookupError:
            return None


def bus_name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("event-bus/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def _index(index: dict[str, Any]) -> dict[str, Any]:
    keep = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
    return {key: index[key] for key in keep if key in index}


def _target(target: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "Id",
        "Arn",
        "Input",
        "InputPath",
        "InputTransformer",
        "DeadLetterConfig",
        "RetryPolicy",
        "SqsParameters",
        "RoleArn",
    )
    result = {key: target[key] for key in keep if key in target}
    if isinstance(result.get("Input"), dict):
        result["Input"] = json.dumps(result["Input"])
    return result


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def put_parameters(template: Template, names: Names, ssm: Any) -> None:
    """`AWS::SSM::Parameter` resources. Apart from the rest, because a parameter may hold the API's own
    URL (the functions an HttpApi routes to read the public base URL from one; see template.yaml), which
    is known only once the API listens."""
    for logical_id, properties in template.of_type("AWS::SSM::Parameter").items():
        name = str(resolve(properties["Name"], names))
        value = str(resolve(properties["Value"], names))
        ssm.put_parameter(Name=name, Value=value, Type=str(properties.get("Type", "String")), Overwrite=True)
        names.refs[logical_id] = name
