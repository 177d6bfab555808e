"""The benchmark's cost model arithmetic, against hand-computed figures."""

from __future__ import annotations

import pytest

from bench import cost

NO_PLATFORM = cost.Assumptions(platform_log_bytes_per_invocation=0, platform_log_events_per_invocation=0)


def test_billed_duration_scales_cpu_to_the_memory_share_and_adds_latency_per_round_trip() -> None:
    assumptions = cost.Assumptions(latency_ms_per_round_trip=10)
    assert cost.billed_ms(1.0, 1, 1769, assumptions) == 11  # a full vCPU: 1 ms + 10 ms
    assert cost.billed_ms(1.0, 1, 3008, assumptions) == 11  # never more than one vCPU's worth
    assert cost.billed_ms(1.0, 2, 512, assumptions) == 24  # 1 / (512 / 1769) = 3.455 ms + 20 ms, rounded up
    assert cost.billed_ms(0.0, 0, 512, assumptions) == 1  # Lambda bills at least 1 ms


def test_log_bytes_add_platform_lines_and_per_event_overhead() -> None:
    assumptions = cost.Assumptions(
        platform_log_bytes_per_invocation=300,
        platform_log_events_per_invocation=3,
        log_event_overhead_bytes=26,
    )
    assert cost.log_bytes(600, 2, assumptions) == 600 + 300 + (2 + 3) * 26


def test_the_platform_lines_are_the_stated_examples() -> None:
    assumptions = cost.Assumptions()
    assert assumptions.platform_log_events_per_invocation == 3
    assert assumptions.platform_log_bytes_per_invocation == sum(len(line) for line in cost.PLATFORM_LINES)


def test_cost_per_million_itemised() -> None:
    ingest = cost.IngestUsage(
        round_trips=1, write_units=2, read_units=0.5, billed_ms=16, log_bytes=1024**3 / 1e6
    )
    stream = cost.StreamUsage(
        invocations=0.01, billed_ms=0.5, counter_write_units=0.38, event_chunks=0.01, log_bytes=0
    )
    items = cost.cost_per_million(ingest, stream, memory_mb=512)
    gb_second = 0.0000133334
    expected = {
        "http_api": 1.00,
        "lambda_requests": 1.01 * 0.20,
        "lambda_duration_ingest": 16 / 1000 * 0.5 * gb_second * 1e6,  # = 0.1067
        "lambda_duration_stream": 0.5 / 1000 * 0.5 * gb_second * 1e6,
        "dynamodb_writes_request_path": 2 * 0.625,
        "dynamodb_reads_request_path": 0.5 * 0.125,
        "dynamodb_writes_counters": 0.38 * 0.625,
        "dynamodb_streams": 0.0,
        "eventbridge_events": 0.01 * 1.00,
        "cloudwatch_logs": 0.50,  # one GB per million feedback
    }
    for key, value in expected.items():
        assert items[key] == pytest.approx(value), key
    assert items["total"] == pytest.approx(sum(expected.values()))
    assert items["total"] == pytest.approx(3.3720, abs=1e-4)


def test_a_mix_weights_each_figure() -> None:
    positive = cost.IngestUsage(round_trips=1, write_units=2, read_units=0, billed_ms=16, log_bytes=1000)
    negative = cost.IngestUsage(round_trips=2, write_units=10, read_units=0.5, billed_ms=30, log_bytes=1000)
    mixed = cost.weighted(positive, negative, 0.2)
    assert mixed.round_trips == pytest.approx(1.2)
    assert mixed.write_units == pytest.approx(3.6)
    assert mixed.read_units == pytest.approx(0.1)
    assert mixed.billed_ms == pytest.approx(18.8)
    assert mixed.log_bytes == pytest.approx(1000)


def test_prices_carry_their_date() -> None:
    described = cost.describe(cost.Prices(), NO_PLATFORM)
    assert described["prices"]["date"] == "2024-11-01"
    assert described["prices"]["dynamodb_per_million_write_units"] == 0.625
