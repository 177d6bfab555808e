"""Delivering to targets: asynchronous Lambda invocation with its retries, and the AWS-side targets.

EventBridge rules, schedules and failure destinations all end here. A function invoked asynchronously is
retried as Lambda does (EventInvokeConfig's MaximumRetryAttempts, 2 by default) and then its failure goes
to the function's OnFailure destination or dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from local import iam, lambda_events
from local.aws import AwsClients
from local.clock import iso
from local.functions import FunctionError, FunctionHost
from local.provision import bus_name
from local.refs import Names, resolve
from local.template import Template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AsyncPolicy:
    """How Lambda treats a function's asynchronous invocations."""

    max_retries: int = 2
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter: str | None = None


def async_policies(template: Template, names: Names) -> dict[str, AsyncPolicy]:
    """Per function logical id, from EventInvokeConfig and the function's DeadLetterConfig."""
    policies: dict[str, AsyncPolicy] = {}
    function_by_name = {names.refs.get(logical_id): logical_id for logical_id in template.functions}
    configs: dict[str, dict[str, Any]] = {}
    for properties in template.of_type("AWS::Lambda::EventInvokeConfig").values():
        spec = resolve(properties, names)
        logical_id = function_by_name.get(spec.get("FunctionName"))
        if logical_id:
            configs[logical_id] = spec
    for logical_id, function in template.functions.items():
        spec = configs.get(logical_id, {})
        destinations = spec.get("DestinationConfig", {})
        dead_letter = resolve(function.properties.get("DeadLetterConfig", {}), names).get("TargetArn")
        policies[logical_id] = AsyncPolicy(
            max_retries=int(spec.get("MaximumRetryAttempts", 2)),
            on_success=destinations.get("OnSuccess", {}).get("Destination"),
            on_failure=destinations.get("OnFailure", {}).get("Destination"),
            dead_letter=dead_letter,
        )
    return policies


class Deliverer:
    def __init__(
        self,
        host: FunctionHost,
        clients: AwsClients,
        lock: threading.RLock,
        policies: dict[str, AsyncPolicy],
        now: Callable[[], datetime],
    ) -> None:
        self.host = host
        self.clients = clients
        self.lock = lock
        self.policies = policies
        self.now = now
        self._queue_urls: dict[str, str] = {}

    def invoke_async(self, logical_id: str, event: Any, fallback_dead_letter: str | None = None) -> bool:
        """Invoke as Lambda's asynchronous mode does; True when the function succeeded."""
        policy = self.policies.get(logical_id, AsyncPolicy())
        attempts = 0
        while True:
            attempts += 1
            try:
                result = self.host.invoke(logical_id, event)
            except FunctionError as error:
                if attempts <= policy.max_retries:
                    continue
                self._after_failure(logical_id, event, attempts, error.cause, policy, fallback_dead_letter)
                return False
            if policy.on_success:
                config = self.host.find(logical_id)
                with iam.acting_as(config.role if config else None):
                    self.send(policy.on_success, self._success_record(logical_id, event, result))
            return True

    def _after_failure(
        self,
        logical_id: str,
        event: Any,
        attempts: int,
        error: BaseException,
        policy: AsyncPolicy,
        fallback_dead_letter: str | None,
    ) -> None:
        config = self.host.find(logical_id)
        arn = config.arn if config else logical_id
        if policy.on_failure or policy.dead_letter:
            # Lambda sends to a function's own destination or dead-letter queue with the function's role.
            try:
                with iam.acting_as(config.role if config else None):
                    if policy.on_failure:
                        record = lambda_events.async_failure_record(
                            function_arn=arn, event=event, attempts=attempts, error=error, now=self.now()
                        )
                        self.send(policy.on_failure, record)
                    elif policy.dead_letter:
                        self.send(policy.dead_letter, event, {"ErrorMessage": str(error), "ErrorCode": "200"})
            except ClientError as denied:
                log.error("%s failed %d times and its failure was lost: %s", logical_id, attempts, denied)
        elif fallback_dead_letter:
            log.warning(
                "%s failed %d times; its event goes to the rule target's dead-letter queue. In AWS that "
                "queue only receives events EventBridge could not deliver: give the function an "
                "EventInvokeConfig OnFailure destination to keep function failures.",
                logical_id,
                attempts,
            )
            self.send(
                fallback_dead_letter, event, {"ERROR_CODE": "FunctionError", "ERROR_MESSAGE": str(error)}
            )
        else:
            log.error(
                "%s failed %d times and has no failure destination; the event is dropped",
                logical_id,
                attempts,
            )

    def _success_record(self, logical_id: str, event: Any, result: Any) -> dict[str, Any]:
        config = self.host.find(logical_id)
        return {
            "version": "1.0",
            "timestamp": iso(self.now()),
            "requestContext": {
                "functionArn": f"{config.arn if config else logical_id}:$LATEST",
                "condition": "Success",
                "approximateInvokeCount": 1,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "responsePayload": result,
        }

    def to_target(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        """Deliver an EventBridge event (or scheduled event) to one rule target."""
        payload = target_input(target, event)
        arn = str(target.get("Arn", ""))
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        function = self.host.find(arn)
        if function is not None:
            self.invoke_async(function.logical_id, payload, dead_letter)
            return
        if ":event-bus/" in arn:
            self._forward(arn, event)
            return
        try:
            self.send(arn, payload, message_group=(target.get("SqsParameters") or {}).get("MessageGroupId"))
        except Exception:
            log.exception("could not deliver to %s", arn)
            if dead_letter:
                self.send(dead_letter, payload)

    def _forward(self, bus_arn: str, event: dict[str, Any]) -> None:
        """A rule whose target is another bus passes the event on unchanged."""
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event.get("detail", {})),
            "Resources": event.get("resources", []),
            "EventBusName": bus_name(bus_arn),
        }
        with self.lock:
            self.clients.events.put_events(Entries=[entry])

    def send(
        self,
        arn: str,
        document: Any,
        attributes: dict[str, str] | None = None,
        message_group: str | None = None,
    ) -> None:
        """Send a JSON document to an SQS queue, SNS topic, event bus or function by ARN."""
        body = document if isinstance(document, str) else lambda_events.dumps(document)
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        with self.lock:
            if service == "sqs":
                request: dict[str, Any] = {"QueueUrl": self.queue_url(arn), "MessageBody": body}
                if attributes:
                    request["MessageAttributes"] = {
                        key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
                    }
                if arn.endswith(".fifo"):
                    request["MessageGroupId"] = message_group or "default"
                    request["MessageDeduplicationId"] = uuid.uuid4().hex
                self.clients.sqs.send_message(**request)
            elif service == "sns":
                self.clients.sns.publish(TopicArn=arn, Message=body)
            elif service == "events":
                detail = document if isinstance(document, dict) else {"payload": body}
                self.clients.events.put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": "Lambda Function Invocation Result",
                            "Detail": json.dumps(detail, default=str),
                            "EventBusName": bus_name(arn),
                        }
                    ]
                )
            elif service == "lambda" and (function := self.host.find(arn)) is not None:
                self.invoke_async(function.logical_id, document)
            else:
                raise ValueError(f"cannot deliver to {arn}")

    def queue_url(self, arn: str) -> str:
        if arn not in self._queue_urls:
            _, _, _, _, account, name = arn.split(":", 5)
            # Lambda and EventBridge send to a queue by its ARN; finding its URL is the runtime's own step.
            with self.lock, iam.acting_as(None):
                response = self.clients.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self._queue_urls[arn] = response["QueueUrl"]
        return self._queue_urls[arn]


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """Apply a target's Input, InputPath or InputTransformer to the event, as EventBridge does."""
    if target.get("Input") is not None:
        raw = target["Input"]
        return json.loads(raw) if isinstance(raw, str) else raw
    if target.get("InputPath"):
        return _json_path(event, target["InputPath"])
    if target.get("InputTransformer"):
        from moto.events.utils import EventTemplateParser

        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
    return event


def _json_path(document: Any, path: str) -> Any:
    """The simple JSONPath EventBridge accepts in InputPath: `$`, `$.detail`, `$.detail.case.id`."""
    value = document
    for part in [part for part in path.lstrip("$").split(".") if part]:
        value = value.get(part) if isinstance(value, dict) else None
    return value
