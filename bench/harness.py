"""The functions under moto: the template's resources, seeded sources, and API Gateway v2 events."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench.calls import Recorder
from bench.sizing import TableSchema
from tests.support import REGION, Context, Stack, create_stack, environment, event, load_function, template

# Source id -> its API key (the keys are bench-only; sources store their SHA-256).
KEYS = {
    "demo-web": "rlk_demo-web_bench-key-000000000000000000000000",
    "demo-support": "rlk_demo-support_bench-key-11111111111111111111",
}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


class CountingSink(io.TextIOBase):
    """A stdout stand-in that keeps only how much was written: bytes and lines."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        self.lines += text.count("\n")
        return len(text)

    def reset(self) -> None:
        self.bytes = 0
        self.lines = 0


# The functions print JSON logs and EMF metrics to stdout; under the benchmark they go here.
DISCARD = CountingSink()


def table_schema() -> TableSchema:
    """Keys and global secondary indexes of the template's Table resource."""
    return TableSchema.from_properties(template()["Resources"]["Table"]["Properties"])


@dataclass
class Sandbox:
    stack: Stack
    recorder: Recorder

    def load(self, name: str) -> ModuleType:
        """Import functions/<name>/app.py as a fresh container would, then hook its clients."""
        with redirect_stdout(DISCARD):  # loggers bind to the stdout of their creation
            module = load_function(name)
        self.recorder.attach_models()
        return module


@contextmanager
def sandbox(recorder_schema: TableSchema | None = None) -> Iterator[Sandbox]:
    """moto, the template's table, bus, secret and DLQ, and two sources with keys."""
    from moto import mock_aws

    from recovery import clock
    from recovery.services.intake import hash_key
    from recovery.store import models, secrets
    from recovery.store.sources import SourceStore

    with environment(CREDENTIALS), mock_aws():
        stack = create_stack()
        with environment(stack.env()):
            secrets.secret_bytes.cache_clear()
            models.bind(stack.table, REGION)
            store = SourceStore()
            for source_id, key in KEYS.items():
                store.put(source_id, source_id.replace("-", " ").title(), [hash_key(key)], None)
            recorder = Recorder(recorder_schema or table_schema(), REGION)
            recorder.attach_default_session()
            try:
                yield Sandbox(stack, recorder)
            finally:
                clock.reset()
                secrets.secret_bytes.cache_clear()


def api_event(
    body: dict[str, Any], source_id: str = "demo-web", path: str = "/v1/feedback"
) -> dict[str, Any]:
    """An API Gateway v2 POST event from events/ingest_feedback_positive.json."""
    request = event("ingest_feedback_positive.json")
    request["routeKey"] = f"POST {path}"
    request["rawPath"] = path
    request["requestContext"] = {**request["requestContext"], "routeKey": request["routeKey"]}
    request["requestContext"]["http"] = {**request["requestContext"]["http"], "path": path}
    request["headers"] = {"content-type": "application/json", "authorization": f"Bearer {KEYS[source_id]}"}
    request["body"] = json.dumps(body, ensure_ascii=False)
    return request


def post(module: ModuleType, body: dict[str, Any], source_id: str = "demo-web") -> tuple[int, dict[str, Any]]:
    """Call the ingest handler; (status, JSON body)."""
    with redirect_stdout(DISCARD):
        response = module.lambda_handler(api_event(body, source_id), Context())
    return response["statusCode"], json.loads(response.get("body") or "{}")


def invoke(module: ModuleType, request: dict[str, Any]) -> Any:
    with redirect_stdout(DISCARD):
        return module.lambda_handler(request, Context())
