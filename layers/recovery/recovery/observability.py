"""Logger and Metrics for every function (JSON logs with personal data masked), and the Tracer.

The Tracer is built on first use: importing the X-Ray SDK costs cold-start time, and the ingest function
does without it (Lambda's active tracing still records its invocations).
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any, Protocol

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
# Phone numbers reach us in E.164, so a "+" starts them; a bare digit run (a timestamp, an account id in
# an ARN) is left alone.
_PHONE = re.compile(r"\+\d[\d\s().-]{5,}(\d{2})")
_SECRET = re.compile(r"\b(rl[ak]_[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+|\b(whsec_)[A-Za-z0-9+/=]+|(Bearer )\S+")


def mask(text: str) -> str:
    """Mask email addresses, phone numbers and keys inside free text."""
    text = _SECRET.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(r"***\1", text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(item) for item in value]
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with personal data and secrets masked in every field."""

    def serialize(self, log: Any) -> str:
        return super().serialize(_mask_value(log) if isinstance(log, dict) else log)


# The template sets POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE for every function; the
# defaults only matter where this module is imported outside a function (tools, tests).
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "recovery-loop")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RecoveryLoop")

logger = Logger(service=SERVICE, logger_formatter=MaskingFormatter())
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)


class RecordMetric(Protocol):
    """How a service counts or times something (`record_metric` in a function; a list in a test)."""

    def __call__(self, name: str, value: float, unit: str) -> None: ...


def record_metric(name: str, value: float, unit: str) -> None:
    """A metric on the function's metrics (flushed with its invocation's EMF record)."""
    metrics.add_metric(name=name, unit=MetricUnit(unit), value=value)


def count_feedback(status: str, verdict: str | None) -> None:
    """The dashboard's feedback rate and negatives, the same from every intake path (API, hooks, page).

    Only new responses count: an updated or duplicate delivery is the same feedback again.
    """
    if status != "created":
        return
    metrics.add_metric(name="FeedbackAccepted", unit=MetricUnit.Count, value=1)
    if verdict == "negative":
        metrics.add_metric(name="FeedbackNegative", unit=MetricUnit.Count, value=1)


@cache
def tracer() -> Tracer:
    return Tracer(service=SERVICE)
