from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.intake import hash_key
from recovery.store import models, secrets
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.store.sources import SourceStore
from tests.support import REGION, ROOT, Context, Stack, create_stack, environment, event, load_function
from tools.seed import seed_alerting

KEY = "rlk_demo-web_integration-test-key-000000000000"
OTHER_KEY = "rlk_demo-support_integration-test-key-11111111111"


@pytest.fixture
def stack() -> Iterator[Stack]:
    creds = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    with environment(creds), mock_aws():
        created = create_stack()
        with environment(created.env()):
            secrets.secret_bytes.cache_clear()
            models.bind(created.table, REGION)
            store = SourceStore()
            store.put("demo-web", "Demo web", [hash_key(KEY)], None)
            store.put(
                "demo-support",
                "Support",
                [hash_key(OTHER_KEY)],
                {"csat": {"negative_max": 3, "positive_min": 5}},
            )
            yield created
    clock.reset()


@pytest.fixture
def ingest(stack: Stack) -> ModuleType:
    return load_function("ingest")


class Api:
    """Calls the ingest handler with API Gateway v2 events built from events/*.json."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def post(
        self,
        path: str,
        body: Any,
        key: str | None = KEY,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        template = event("ingest_feedback_negative.json")
        template["routeKey"] = f"POST {path}"
        template["rawPath"] = path
        template["requestContext"]["http"]["path"] = path
        template["requestContext"]["routeKey"] = template["routeKey"]
        template["headers"] = {"content-type": "application/json", **(headers or {})}
        if key is not None:
            template["headers"]["authorization"] = f"Bearer {key}"
        template["body"] = raw if raw is not None else json.dumps(body)
        return self._call(template)

    def get(self, path: str) -> tuple[int, dict[str, str], Any]:
        template = event("ingest_health.json")
        template["routeKey"] = f"GET {path}"
        template["rawPath"] = path
        template["requestContext"]["http"]["path"] = path
        return self._call(template)

    def _call(self, request: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        response = self.module.lambda_handler(request, Context())
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        body = response.get("body")
        if headers.get("content-type", "").endswith("json") and body:
            body = json.loads(body)
        return response["statusCode"], headers, body


@pytest.fixture
def api(ingest: ModuleType) -> Api:
    return Api(ingest)


def table_items(stack: Stack) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=REGION)
    return client.scan(TableName=stack.table)["Items"]


# 11:00 in Oslo on a Monday: Kari (always on) is on duty, Mark (22:00-06:00) is not.
DAYTIME = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self.now = moment


@contextmanager
def clock_at(start: datetime) -> Iterator[Clock]:
    """Every handler's clock reads `start` (and whatever the test moves it to) until the block ends."""
    moment = Clock(start)
    clock.set_source(moment)
    try:
        yield moment
    finally:
        clock.reset()


@pytest.fixture
def virtual_clock() -> Iterator[Clock]:
    with clock_at(DAYTIME) as moment:
        yield moment


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def metrics() -> list[tuple[str, float]]:
    return []


@pytest.fixture
def alerts(stack: Stack, virtual_clock: Clock, sender: RecordingSender, metrics: list[Any]) -> Alerts:
    assert seed_alerting(ROOT / "config")
    hasher = PiiHasher(b"k" * 32)
    return Alerts(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        lambda name, value, unit: metrics.append((name, value)),
        sleep=lambda _: None,
    )
