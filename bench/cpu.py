"""Budget 5: our CPU per request with AWS stubbed, against a minimal handler with the same resolver and
body model (bench/baseline_app.py).

Runs in a fresh worker process (`python -m bench.cpu CONFIG OUT`), without moto, with the environment a
deployed function has (Tracer off: there is no X-Ray daemon to talk to). AWS is stubbed twice (bench/stub.py):
at the SDK boundary (`client._make_api_call`), the budget's figure, where no AWS SDK wire work happens on
either side; and at botocore's `before-send`, for context, where requests are still built, serialised,
signed and parsed (one such call costs several times the whole baseline handler).
CPU is `time.process_time()` over many calls per round; rounds alternate baseline and ours, starting
with each in turn, and the figure is the ratio of the medians.

The worker also captures what the handlers print (JSON logs, EMF metrics) for the cost model, and times
the stream function on the stream records of the counter benchmark.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.lambda_env import function_env


def run(
    iterations: int, rounds: int, stream_iterations: int, stream_records: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Start the worker and return its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as folder:
        config = Path(folder) / "config.json"
        out = Path(folder) / "out.json"
        config.write_text(
            json.dumps(
                {
                    "iterations": iterations,
                    "rounds": rounds,
                    "stream_iterations": stream_iterations,
                    "stream_records": stream_records,
                }
            ),
            encoding="utf-8",
        )
        env = {
            **function_env("ingest"),
            # Set per invocation by Lambda when tracing is active; the logger adds it to every line.
            "_X_AMZN_TRACE_ID": "Root=1-6740a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
        }
        subprocess.run(
            [sys.executable, "-W", "ignore", "-m", "bench.cpu", str(config), str(out)],
            env=env,
            cwd=ROOT,
            check=True,
        )
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result


# ---------------------------------------------------------------------------------------------- worker
class DeployedContext:
    """A Lambda context shaped like a deployed function's (its fields end up in every log line)."""

    function_name = "recovery-loop-dev-IngestFunction-AbCdEf123456"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
    aws_request_id = "3f0c1a5e-8b2d-4c7e-9f10-2a3b4c5d6e7f"
    log_group_name = "/recovery-loop/dev/ingest"
    log_stream_name = "2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def _progress(text: str) -> None:
    sys.__stdout__.write(f"  {text}\n")  # type: ignore[union-attr]  # sys.stdout is the counting sink
    sys.__stdout__.flush()  # type: ignore[union-attr]


def _cpu_per_call(handler: Callable[..., Any], request: dict[str, Any], context: Any, count: int) -> float:
    """Mean CPU seconds per call over `count` consecutive calls."""
    gc.collect()
    start = time.process_time()
    for _ in range(count):
        handler(request, context)
    return (time.process_time() - start) / count


def _interleaved(
    contenders: dict[str, Callable[..., Any]],
    request: dict[str, Any],
    context: Any,
    iterations: int,
    rounds: int,
) -> dict[str, Any]:
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for number in range(rounds):
        order = names if number % 2 == 0 else names[::-1]
        for name in order:
            samples[name].append(_cpu_per_call(contenders[name], request, context, iterations))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    paired = [ours / base for ours, base in zip(samples["ours"], samples["baseline"], strict=True)]
    return {
        "ours_us": round(medians["ours"] * 1e6, 1),
        "baseline_us": round(medians["baseline"] * 1e6, 1),
        "ratio": round(medians["ours"] / medians["baseline"], 3),
        "paired_ratio_range": [round(min(paired), 3), round(max(paired), 3)],
        "baseline_with_put_us": round(medians["baseline_with_put"] * 1e6, 1),
        "ratio_to_baseline_with_put": round(medians["ours"] / medians["baseline_with_put"], 3),
        "rounds_us": {name: [round(value * 1e6, 1) for value in values] for name, values in samples.items()},
    }


# Where our handler's CPU goes, from a cProfile pass: cumulative times of nested functions, made
# exclusive by subtracting the next one in: (label, file suffix, function).
_NESTED = (
    ("handler", "functions/ingest/app.py", "lambda_handler"),
    ("resolver", "aws_lambda_powertools/event_handler/api_gateway.py", "resolve"),
    ("route", "functions/ingest/app.py", "post_feedback"),
    ("intake", "recovery/services/intake.py", "receive"),
    ("botocore", "botocore/client.py", "_make_api_call"),
)
_ALSO = (
    ("of which logger.info in the route (JSON, masking)", "aws_lambda_powertools/logging/logger.py", "info"),
    ("of which the key check (_gate)", "functions/ingest/app.py", "_gate"),
    (
        "of which EMF metrics flush",
        "aws_lambda_powertools/metrics/provider/cloudwatch_emf/cloudwatch.py",
        "flush_metrics",
    ),
    ("of which pynamodb model serialisation", "pynamodb/models.py", "serialize"),
)
PROFILE_LABELS = {
    "handler": "decorators, key check, metrics flush (outside the resolver)",
    "resolver": "Powertools routing, body validation, response (outside the route)",
    "route": "route function without intake (log line, metric, result model)",
    "intake": "intake without AWS calls (hashing, classification, items, pynamodb)",
    "botocore": "botocore API calls (serialise, sign, stubbed send, parse)",
}


def _profile(
    handler: Callable[..., Any], request: dict[str, Any], context: Any, count: int
) -> dict[str, float]:
    """Exclusive shares of the handler's CPU (cProfile inflates many small calls: read as proportions)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        handler(request, context)
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(suffix: str, function: str) -> float:
        return sum(
            row[3] for (path, _, name), row in stats.items() if path.endswith(suffix) and name == function
        )

    nested = [cumulative(suffix, function) for _, suffix, function in _NESTED]
    total = nested[0]
    shares = {}
    for index, (key, _, _) in enumerate(_NESTED):
        inner = nested[index + 1] if index + 1 < len(nested) else 0.0
        shares[PROFILE_LABELS[key]] = round((nested[index] - inner) / total, 3)
    for label, suffix, function in _ALSO:
        shares[label] = round(cumulative(suffix, function) / total, 3)
    return shares


def _printed(
    sink: Any, handler: Callable[..., Any], request: dict[str, Any], context: Any, count: int = 10
) -> dict:
    sink.reset()
    for _ in range(count):
        handler(request, context)
    return {"bytes": round(sink.bytes / count, 1), "lines": round(sink.lines / count, 2)}


def _worker(config_path: str, out_path: str) -> None:
    from bench.harness import KEYS, CountingSink, api_event

    # Loggers bind to the stdout of their creation, EMF metrics print to the current one: count both.
    sink = CountingSink()
    sys.stdout = sink
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    iterations, rounds = config["iterations"], config["rounds"]

    import random

    from bench.scenario import negative, positive
    from bench.stub import AwsStub
    from recovery.services.intake import hash_key
    from recovery.store.models import SourceItem
    from recovery.store.sources import source_pk
    from tests.support import load_function, load_module

    now = datetime.now(UTC)
    source = SourceItem(
        source_pk("demo-web"),
        "CFG",
        source_id="demo-web",
        name="Demo web",
        key_hashes=[hash_key(KEYS["demo-web"])],
        thresholds=None,
        enabled=True,
        updated_at=now,
    )
    stub = AwsStub({source.pk: source.serialize()}, secret="bench-pii-key-0123456789abcdef0123456789")
    stub.attach_everywhere()  # the default session first: clients made at import inherit the stub
    ingest = load_function("ingest")
    baseline = load_module(ROOT / "bench" / "baseline_app.py", "bench_baseline_app")
    stub.attach_everywhere()

    context = DeployedContext()
    rng = random.Random(3)
    requests = {
        "positive": api_event(positive(1, now - timedelta(minutes=5), rng)),
        "negative": api_event(negative(2, now - timedelta(minutes=5), rng)),
    }
    contenders = {
        "baseline": baseline.lambda_handler,
        "ours": ingest.lambda_handler,
        "baseline_with_put": baseline.lambda_handler_with_put,
    }
    expected = {"baseline": 200, "ours": 201, "baseline_with_put": 200}
    for kind, request in requests.items():
        for name, handler in contenders.items():
            status = handler(request, context)["statusCode"]
            assert status == expected[name], f"{name} answered {status} to a {kind}"
            for _ in range(max(50, iterations // 10)):  # warm caches, pydantic and botocore paths
                handler(request, context)

    result: dict[str, Any] = {
        "iterations": iterations,
        "rounds": rounds,
        "ingest": {},
        "printed": {},
        "stubbed_calls": {},
    }
    # First with AWS stubbed on the wire (botocore builds, signs and parses every call), for context...
    result["ingest_wire"] = {}
    for kind, request in requests.items():
        _progress(f"CPU, {kind}, stubbed on the wire: {rounds} rounds of {iterations} calls, interleaved")
        result["ingest_wire"][kind] = _interleaved(contenders, request, context, iterations, rounds)
    # ...then at the SDK boundary, the budget's figure: no SDK wire work on either side.
    from recovery.store import models

    stub.attach_at_sdk_boundary(models.dynamodb_client(), baseline.dynamodb)
    for kind, request in requests.items():
        _progress(
            f"CPU, {kind}, stubbed at the SDK boundary: {rounds} rounds of {iterations} calls, interleaved"
        )
        result["ingest"][kind] = _interleaved(contenders, request, context, iterations, rounds)
        stub.calls.clear()
        result["printed"][kind] = _printed(sink, ingest.lambda_handler, request, context)
        result["stubbed_calls"][kind] = stub.per_request(10)
        result["printed"][f"baseline_{kind}"] = _printed(sink, baseline.lambda_handler, request, context)
        result.setdefault("profile_shares", {})[kind] = _profile(ingest.lambda_handler, request, context, 300)

    # The stream function on real stream records (from the counter benchmark), AWS stubbed likewise.
    _progress(f"CPU, stream function: {config['stream_iterations']} calls x 3 per record set")
    stream = load_function("stream")
    stub.attach_at_sdk_boundary(models.dynamodb_client(), stream.processor._bus._client)
    result["stream"] = {}
    for name, records in config["stream_records"].items():
        request = {"Records": records}
        stream.lambda_handler(request, context)
        samples = [
            _cpu_per_call(stream.lambda_handler, request, context, config["stream_iterations"])
            for _ in range(3)
        ]
        stub.calls.clear()
        printed = _printed(sink, stream.lambda_handler, request, context, count=3)
        result["stream"][name] = {
            "records": len(records),
            "cpu_ms": round(statistics.median(samples) * 1e3, 3),
            "printed": printed,
            "stubbed_calls": stub.per_request(3),
        }
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
