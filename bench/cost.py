"""The core-path cost model: a small, explicit formula over measured counts and stated list prices.

Core path = HTTP API request, ingest function, its DynamoDB reads and writes, the stream function
(invocations per batch, counter writes, events on the bus) and the CloudWatch Logs both functions write.
Left out (not per feedback, or not on the core path): storage and backups (per GB-month), X-Ray traces
(sampled; about $5 per million traces recorded), custom-metric charges (per metric per month), alerts
and follow-ups for negatives (SES/SNS, downstream of the bus), Secrets Manager (one call per container).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

MILLION = 1_000_000
GB = 1024**3

# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB.
FULL_VCPU_MEMORY_MB = 1769

# Lambda's own lines per invocation (text log format, tracing active), as they appear in CloudWatch Logs.
_REQUEST_ID = "3f0c1a5e-8b2d-4c7e-9f10-2a3b4c5d6e7f"
PLATFORM_LINES = (
    f"START RequestId: {_REQUEST_ID} Version: $LATEST\n",
    f"END RequestId: {_REQUEST_ID}\n",
    f"REPORT RequestId: {_REQUEST_ID}\tDuration: 18.52 ms\tBilled Duration: 19 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 112 MB\t\nXRAY TraceId: 1-6740a1b2-0123456789abcdef01234567\t"
    "SegmentId: 0123456789abcdef\tSampled: true\t\n",
)


@dataclass(frozen=True)
class Prices:
    """AWS list prices, us-east-1, arm64, on-demand, first pricing tier."""

    date: str = "2024-11-01"
    note: str = (
        "AWS list prices for us-east-1 in effect from 2024-11-01 (the DynamoDB on-demand price cut); "
        "first tier, no free tier; not re-checked at run time"
    )
    http_api_per_million_requests: float = 1.00
    lambda_per_million_requests: float = 0.20
    lambda_per_gb_second_arm64: float = 0.0000133334
    dynamodb_per_million_write_units: float = 0.625
    dynamodb_per_million_read_units: float = 0.125
    eventbridge_per_million_events_64kb: float = 1.00
    dynamodb_streams_read_by_lambda: float = 0.0
    logs_ingestion_per_gb: float = 0.50


@dataclass(frozen=True)
class Assumptions:
    """What the model cannot measure here, stated."""

    latency_ms_per_round_trip: float = 10.0
    full_vcpu_memory_mb: int = FULL_VCPU_MEMORY_MB
    platform_log_bytes_per_invocation: int = sum(len(line.encode()) for line in PLATFORM_LINES)
    platform_log_events_per_invocation: int = len(PLATFORM_LINES)
    log_event_overhead_bytes: int = 26  # counted per event, as PutLogEvents counts batch size (conservative)
    text: tuple[str, ...] = field(
        default=(
            "Billed duration = measured CPU of our code (AWS stubbed) scaled to the CPU share Lambda "
            "gives the function's memory (memory / 1,769 MB of one vCPU), plus a fixed allowance per AWS "
            "round trip for real network latency, rounded up to the next millisecond; this machine's CPU "
            "speed is taken as equal to Graviton's",
            "HTTP API requests are under 512 KB, so one billed request each",
            "DynamoDB on-demand; reads are eventually consistent (0.5 unit per started 4 KB)",
            "DynamoDB Streams reads by Lambda are free",
            "EventBridge bills each PutEvents entry per started 64 KB",
            "CloudWatch Logs: bytes our handlers print (JSON logs and EMF metrics, captured at the "
            "deployed log level INFO) plus Lambda's START/END/REPORT lines, plus a per-event overhead; "
            "1 GB = 2^30 bytes",
        )
    )


def without_platform_logs(assumptions: Assumptions) -> Assumptions:
    """The template's SystemLogLevel drops Lambda's START/END/REPORT lines."""
    note = "Lambda's START/END/REPORT lines are not written: the template sets SystemLogLevel WARN"
    return replace(
        assumptions,
        platform_log_bytes_per_invocation=0,
        platform_log_events_per_invocation=0,
        text=(*assumptions.text, note),
    )


def billed_ms(cpu_ms: float, round_trips: float, memory_mb: int, assumptions: Assumptions) -> int:
    """Lambda's billed duration for one invocation (1 ms granularity)."""
    share = min(1.0, memory_mb / assumptions.full_vcpu_memory_mb)
    return max(1, math.ceil(cpu_ms / share + round_trips * assumptions.latency_ms_per_round_trip))


def log_bytes(printed_bytes: float, printed_events: float, assumptions: Assumptions) -> float:
    """Bytes ingested by CloudWatch Logs for one invocation."""
    events = printed_events + assumptions.platform_log_events_per_invocation
    return (
        printed_bytes
        + assumptions.platform_log_bytes_per_invocation
        + events * assumptions.log_event_overhead_bytes
    )


@dataclass(frozen=True)
class IngestUsage:
    """Per feedback on the request path."""

    round_trips: float
    write_units: float
    read_units: float
    billed_ms: float
    log_bytes: float


@dataclass(frozen=True)
class StreamUsage:
    """Per feedback, amortised over the stream batches that carried it."""

    invocations: float
    billed_ms: float
    counter_write_units: float
    event_chunks: float
    log_bytes: float


def weighted(positive: IngestUsage, negative: IngestUsage, negative_share: float) -> IngestUsage:
    """The mean usage of a mix with `negative_share` negatives."""
    values = {
        item.name: (1 - negative_share) * getattr(positive, item.name)
        + negative_share * getattr(negative, item.name)
        for item in fields(IngestUsage)
    }
    return IngestUsage(**values)


def cost_per_million(
    ingest: IngestUsage, stream: StreamUsage, memory_mb: int, prices: Prices | None = None
) -> dict[str, float]:
    """Itemised US dollars per million feedback, and the total."""
    prices = prices or Prices()
    gb_seconds_per_ms = memory_mb / 1024 / 1000
    items = {
        "http_api": prices.http_api_per_million_requests,
        "lambda_requests": (1 + stream.invocations) * prices.lambda_per_million_requests,
        "lambda_duration_ingest": ingest.billed_ms
        * gb_seconds_per_ms
        * prices.lambda_per_gb_second_arm64
        * MILLION,
        "lambda_duration_stream": stream.billed_ms
        * gb_seconds_per_ms
        * prices.lambda_per_gb_second_arm64
        * MILLION,
        "dynamodb_writes_request_path": ingest.write_units * prices.dynamodb_per_million_write_units,
        "dynamodb_reads_request_path": ingest.read_units * prices.dynamodb_per_million_read_units,
        "dynamodb_writes_counters": stream.counter_write_units * prices.dynamodb_per_million_write_units,
        "dynamodb_streams": 0.0 * prices.dynamodb_streams_read_by_lambda,
        "eventbridge_events": stream.event_chunks * prices.eventbridge_per_million_events_64kb,
        "cloudwatch_logs": (ingest.log_bytes + stream.log_bytes)
        / GB
        * prices.logs_ingestion_per_gb
        * MILLION,
    }
    items["total"] = sum(items.values())
    return items


def describe(prices: Prices, assumptions: Assumptions) -> dict[str, Any]:
    return {"prices": asdict(prices), "assumptions": asdict(assumptions)}
