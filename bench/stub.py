"""AWS stubbed at the botocore level: the request is built, serialised and signed, then a `before-send`
handler answers it with canned JSON, so our code runs fully and nothing leaves the process."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.awsrequest import AWSResponse

_HEADERS = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "bench-stub"}


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class AwsStub:
    """Answers DynamoDB, Secrets Manager and EventBridge calls.

    GetItem returns the item stored under its `pk` in `items` (wire format) or nothing; a Query finds
    nothing; every write succeeds; GetSecretValue returns `secret`; PutEvents accepts every entry.
    """

    def __init__(self, items: Mapping[str, Mapping[str, Any]], secret: str) -> None:
        self.items = dict(items)
        self.secret = secret
        self.calls: Counter[str] = Counter()

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse:
        service, operation = event_name.split(".", 2)[1:]
        self.calls[f"{service}:{operation}"] += 1
        body = request.body or b"{}"
        params = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        payload = self._answer(service, operation, params)
        return AWSResponse(request.url, 200, _HEADERS, _Body(json.dumps(payload).encode("utf-8")))

    def _answer(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if service == "dynamodb":
            if operation == "GetItem":
                item = self.items.get(params["Key"]["pk"]["S"])
                return {"Item": item} if item is not None else {}
            if operation in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"):
                return {}
            if operation == "BatchWriteItem":
                return {"UnprocessedItems": {}}
            if operation == "Query":
                return {"Items": [], "Count": 0, "ScannedCount": 0}
        if service == "secrets-manager" and operation == "GetSecretValue":
            return {"ARN": params["SecretId"], "Name": "pii", "SecretString": self.secret, "VersionId": "v1"}
        if service == "eventbridge" and operation == "PutEvents":
            entries = params.get("Entries") or []
            return {
                "FailedEntryCount": 0,
                "Entries": [{"EventId": f"bench-{i}"} for i in range(len(entries))],
            }
        raise AssertionError(f"the stub has no answer for {service}:{operation}")

    def attach(self, events: Any) -> None:
        """On a client's `meta.events` or a session's `events` (clients created later inherit it)."""
        events.register("before-send", self, unique_id="bench-aws-stub")

    def attach_everywhere(self) -> None:
        """boto3's default session and every pynamodb model's own client."""
        import boto3

        from recovery.store import models

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        self.attach(boto3.DEFAULT_SESSION.events)
        for model in models.MODELS:
            self.attach(model._get_connection().connection.client.meta.events)

    def attach_at_sdk_boundary(self, *clients: Any) -> None:
        """Replace each client's `_make_api_call`: the SDK builds, signs and parses nothing.

        This is the budget's "AWS stubbed": what remains is our code and the libraries we call with
        our data (Powertools, pydantic, pynamodb), not the AWS SDK's wire work, which any handler making
        the same calls pays alike.
        """
        for client in clients:
            service = client.meta.service_model.service_id.hyphenize()

            def call(operation: str, params: dict[str, Any], _service: str = service) -> dict[str, Any]:
                self.calls[f"{_service}:{operation}"] += 1
                return self._answer(_service, operation, params)

            client._make_api_call = call

    def per_request(self, requests: int) -> dict[str, float]:
        return {name: round(count / requests, 3) for name, count in sorted(self.calls.items())}
