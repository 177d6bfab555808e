"""`python -m bench [--quick]`: measure every budget, print a table, write JSON and the README table."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bench import ROOT


@dataclass(frozen=True)
class Sizes:
    ingest_requests: int  # positives, and as many first negatives
    repeat_negatives: int
    stream_feedback: int
    cpu_iterations: int
    cpu_rounds: int
    stream_iterations: int
    cold_runs: int
    alert_latency_samples: int
    sweep_table_sizes: tuple[int, ...]
    load_posts: int
    load_profiled_posts: int
    console_open_cases: int = 1000
    console_samples: int = 30
    hook_samples: int = 100
    report_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    dashboard_feedback: int = 100_000
    dashboard_samples: int = 5
    slack_press_samples: int = 30


FULL = Sizes(50, 10, 100, 2000, 5, 10, 15, 100, (1_000, 10_000, 100_000), 2000, 200)
QUICK = Sizes(
    10, 3, 100, 300, 3, 3, 5, 30, (1_000, 10_000), 300, 100, 300, 10, 30, (1_000, 10_000), 10_000, 5, 10
)
PARTS = ("all", "intake", "alerts", "connectors", "reports")
MIX_NEGATIVE_SHARE = 0.2


def progress(text: str) -> None:
    print(f"  {text}", flush=True)


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
    }


def cost_model(
    ingest: dict[str, Any], streams: dict[str, Any], cpu: dict[str, Any], memory: int
) -> dict[str, Any]:
    from bench import cost
    from bench.lambda_env import platform_logs_kept

    prices, assumptions = cost.Prices(), cost.Assumptions()
    if not platform_logs_kept():
        assumptions = cost.without_platform_logs(assumptions)

    def request_usage(kind: str, counted: dict[str, Any]) -> cost.IngestUsage:
        round_trips = counted["round_trips"]["mean"]
        printed = cpu["printed"][kind]
        return cost.IngestUsage(
            round_trips=round_trips,
            write_units=counted["write_units"]["mean"],
            read_units=counted["read_units"]["mean"],
            billed_ms=cost.billed_ms(cpu["ingest"][kind]["ours_us"] / 1000, round_trips, memory, assumptions),
            log_bytes=cost.log_bytes(printed["bytes"], printed["lines"], assumptions),
        )

    def stream_usage(name: str) -> cost.StreamUsage:
        counted, timed = streams[name], cpu["stream"][name]
        once = counted["one_invocation"]
        feedback = counted["feedback"]
        return cost.StreamUsage(
            invocations=once["invocations"] / feedback,
            billed_ms=cost.billed_ms(timed["cpu_ms"], once["round_trips"], memory, assumptions) / feedback,
            counter_write_units=once["write_units"] / feedback,
            event_chunks=once["event_chunks_64kb"] / feedback,
            log_bytes=cost.log_bytes(timed["printed"]["bytes"], timed["printed"]["lines"], assumptions)
            / feedback,
        )

    positive = request_usage("positive", ingest["kinds"]["positive"])
    negative = request_usage("negative", ingest["negative_all"])
    mixed = cost.weighted(positive, negative, MIX_NEGATIVE_SHARE)
    scenarios = {
        "all_positive": (positive, stream_usage("all_positive")),
        "negative_20pct": (mixed, stream_usage("mix")),
    }
    return {
        **cost.describe(prices, assumptions),
        "memory_mb": memory,
        "usage_per_feedback": {
            name: {
                "request_path": {key: round(value, 4) for key, value in vars(request).items()},
                "stream": {key: round(value, 4) for key, value in vars(stream).items()},
            }
            for name, (request, stream) in scenarios.items()
        },
        "per_million": {
            name: {
                key: round(value, 4)
                for key, value in cost.cost_per_million(request, stream, memory, prices).items()
            }
            for name, (request, stream) in scenarios.items()
        },
    }


def budgets(results: dict[str, Any]) -> list[Any]:
    rows = intake_budgets(results) if "ingest" in results else []
    rows += alert_budgets(results) if "alert_latency" in results else []
    if "hook_latency" in results:
        from bench import hook_latency

        rows += hook_latency.budgets(results["hook_latency"])
    if "slack_press" in results:
        from bench import slack_press

        rows += slack_press.budgets(results["slack_press"])
    if "report_reads" in results:
        from bench import report_reads

        rows += report_reads.budgets(results["report_reads"])
    if "dashboard" in results:
        from bench import dashboard_first_byte

        rows += dashboard_first_byte.budgets(results["dashboard"])
    return rows


def intake_budgets(results: dict[str, Any]) -> list[Any]:
    from bench.report import Budget

    ingest, streams, cpu, cold, costs = (
        results[key] for key in ("ingest", "counters", "cpu", "cold_start", "cost")
    )
    kinds = ingest["kinds"]
    mix = streams["mix"]
    per_million = costs["per_million"]
    how_counted = "max over {n} warm requests under moto, botocore before-call hooks on every client"
    how_units = (
        "max over {n} requests; DynamoDB sizing rules on the request parameters, GSIs from template.yaml"
    )
    return [
        Budget(
            "round_trips_positive",
            "AWS round trips, positive, warm",
            kinds["positive"]["round_trips"]["max"],
            "calls",
            1,
            how_counted.format(n=kinds["positive"]["requests"]),
        ),
        Budget(
            "round_trips_negative",
            "AWS round trips, negative (incl. repeat failures), warm",
            ingest["negative_all"]["round_trips"]["max"],
            "calls",
            2,
            how_counted.format(n=ingest["negative_all"]["requests"]),
        ),
        Budget(
            "write_units_positive",
            "request-path write units, positive",
            kinds["positive"]["write_units"]["max"],
            "units",
            2,
            how_units.format(n=kinds["positive"]["requests"]),
        ),
        Budget(
            "write_units_negative",
            "request-path write units, negative (incl. repeat failures)",
            ingest["negative_all"]["write_units"]["max"],
            "units",
            10,
            how_units.format(n=ingest["negative_all"]["requests"]),
        ),
        Budget(
            "counter_write_units_per_feedback",
            "counter write units per feedback, stream batch of 100",
            mix["one_invocation"]["write_units_per_feedback"],
            "units",
            0.5,
            "stream function on the records of {feedback} feedback ({negatives} negative, {teams} teams, "
            "{channels} channels, {sources} sources, {utc_hours} h), one invocation; "
            "write units / feedback".format(
                feedback=mix["feedback"], negatives=mix["negatives"], **mix["mix"]
            ),
        ),
        Budget(
            "cost_per_million_all_positive",
            "core-path cost per million feedback, all positive",
            per_million["all_positive"]["total"],
            "$",
            3.0,
            "cost model over the counts above, list prices (see Cost model)",
        ),
        Budget(
            "cost_per_million_negative_20pct",
            "core-path cost per million feedback, 20% negative",
            per_million["negative_20pct"]["total"],
            "$",
            None,
            "same model, 20% negatives (counters and events from the 20% stream batch)",
        ),
        Budget(
            "cpu_ratio_positive",
            "CPU per request vs minimal handler, positive",
            cpu["ingest"]["positive"]["ratio"],
            "x",
            2.0,
            f"process_time, AWS stubbed at the SDK boundary, median of {cpu['rounds']} interleaved "
            f"rounds of {cpu['iterations']} calls (stubbed on the wire instead: "
            f"{cpu['ingest_wire']['positive']['ratio']}x)",
        ),
        Budget(
            "cpu_ratio_negative",
            "CPU per request vs minimal handler, negative",
            cpu["ingest"]["negative"]["ratio"],
            "x",
            None,
            "reported: the 2x limit is read as the common, positive path; a negative does three items' "
            "work (GetItem, then a 3-item TransactWriteItems); on the wire: "
            f"{cpu['ingest_wire']['negative']['ratio']}x",
        ),
        Budget(
            "cold_start_ratio_tracer_off",
            "cold start vs boto3 + one client, Tracer off",
            cold["ratio_tracer_off"],
            "x",
            1.5,
            f"median wall time of import and module setup, {cold['runs']} fresh interpreters each, "
            "interleaved",
        ),
        Budget(
            "cold_start_ratio_tracer_on",
            "cold start vs boto3 + one client, Tracer on",
            cold["ratio_tracer_on"],
            "x",
            None,
            "as above, POWERTOOLS_TRACE_DISABLED=false",
        ),
    ]


def alert_budgets(results: dict[str, Any]) -> list[Any]:
    from bench.report import Budget

    latency, sweep, load = (results[key] for key in ("alert_latency", "sweep_reads", "load"))
    figures = latency["latency"]
    rows = [
        Budget(
            "alert_latency_p95",
            "alert latency, 201 to the lead's email and SMS in the outbox, p95",
            latency["p95_s"],
            "s",
            1.0,
            f"absolute wall time, by the budget's definition (a product latency, not a CPU ratio): "
            f"{latency['samples']} negatives posted one at a time to a fresh embedded runtime on loopback, "
            f"outbox polled every {latency['poll_interval_ms']:.0f} ms; p50 {figures['p50_ms']:.0f} ms, "
            f"max {figures['max_ms']:.0f} ms",
        )
    ]
    limit = sweep["due"] + sweep["page_size"]
    for size, row in sweep["sizes"].items():
        rows.append(
            Budget(
                f"sweep_items_read_{size}",
                f"items read by one sweep, {int(size):,} other items, {row['due']} due",
                row["items_read"],
                "items",
                limit,
                f"moto; ScannedCount of every Query plus every item read by GetItem (botocore after-call "
                f"hooks); {row['index_items_read']} from the due index, the rest the due cases' own "
                f"reads; limit {sweep['due']} + one page of {sweep['page_size']}",
            )
        )
    if "followup_reads" in results:
        from bench import followup_reads

        rows += followup_reads.budgets(results["followup_reads"])
    if "console_queue" in results:
        from bench import console_queue

        rows += console_queue.budgets(results["console_queue"])
    problems = load["errors"] + load["lost"] + load["duplicated"]
    rows += [
        Budget(
            "load_errors_lost_duplicated",
            f"load on loopback, {load['posts']:,} posts (20% negative): errors + lost + duplicated alerts",
            problems,
            "count",
            0,
            f"{load['client_threads']} client threads against a fresh embedded runtime; {load['errors']} "
            f"errors, {load['lost']} lost, {load['duplicated']} duplicated alerts over {load['cases']} cases",
        ),
        Budget(
            "load_throughput",
            f"load on loopback, {load['posts']:,} posts: throughput, end to end",
            load["end_to_end_posts_per_s"] or 0.0,
            "/s",
            None,
            f"posts per second from the first post to the outbox holding every alert (posting alone: "
            f"{load['posts_per_s']}/s); where the time goes: see below",
        ),
    ]
    return rows


def alert_context(results: dict[str, Any]) -> list[str]:
    latency, sweep, load = (results[key] for key in ("alert_latency", "sweep_reads", "load"))
    post, figures = latency["post_round_trip"], latency["latency"]
    lines = [
        f"- Alert latency: p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
        f"max {figures['max_ms']:.0f} ms over {latency['samples']} negatives (after "
        f"{latency['warmup']} warm-up); the feedback POST itself took p50 {post['p50_ms']:.0f} ms, "
        f"p95 {post['p95_ms']:.0f} ms. Median by tenth of the run, first to last: "
        + ", ".join(f"{value:.0f}" for value in latency["by_tenth_p50_ms"])
        + " ms.",
        "- Sweep reads by table size: "
        + "; ".join(
            f"{int(size):,} other items: {row['items_read']} "
            f"({row['index_items_read']} index, {row['items_read'] - row['index_items_read']} GetItem)"
            for size, row in sweep["sizes"].items()
        )
        + ".",
        f"- Load: {load['posts']:,} posts in {load['posting_s']:.0f} s ({load['posts_per_s']}/s), every "
        f"alert in the outbox after {load['alerts_in_s']:.0f} s; {load['alert_messages']} alert messages for "
        f"{load['cases']} cases."
        + (
            f" This run posted {load['posts']:,} instead of {FULL.load_posts:,} (`--load-posts`): moto "
            "copies the whole table, stream records included, for every action of a TransactWriteItems, "
            "so each post costs the runtime more than the last and the full size takes many minutes."
            if load["posts"] < FULL.load_posts
            else ""
        ),
    ]
    if "followup_reads" in results:
        from bench import followup_reads

        lines.insert(2, followup_reads.context(results["followup_reads"]))
    profile = load.get("profile")
    if profile:
        profiled = load["profiled_run"]
        handlers = ", ".join(
            f"{name.removeprefix('functions/')} {share:.0%}"
            for name, share in profile["handlers_cumulative_share"].items()
        )
        packages = ", ".join(f"{row['package']} {row['share']:.0%}" for row in profile["self_by_package"][:6])
        top = "; ".join(
            f"`{row['function']}` {row['cumulative_share']:.0%}" for row in profile["top_cumulative"][:5]
        )
        lines += [
            f"- Where the runtime's CPU goes (cProfile in every runtime thread, thread CPU time, a run of "
            f"{profiled['posts']} posts at {profiled['posts_per_s']}/s under the profiler): by handler "
            f"(cumulative) {handlers}; self time by package {packages}.",
            f"- Largest cumulative CPU, plumbing left out (all 15 in the JSON): {top}.",
        ]
    return lines


def readme_block(document: dict[str, Any], rows: list[Any]) -> str:
    from bench.report import table

    run, results = document["run"], document["results"]
    host = run["machine"]
    items = results["cost"]["per_million"]
    cold = results["cold_start"]
    cold_ms = {name: values["wall"] for name, values in cold["median_ms"].items()}
    positive, negative = results["cpu"]["ingest"]["positive"], results["cpu"]["ingest"]["negative"]
    mix = results["counters"]["mix"]
    first_batch = mix["batches_of_100_records"]["batches"][0]
    dirty = " (uncommitted changes)" if run["dirty"] else ""
    imports = ", ".join(
        f"{row['package']} {row['ms']:.0f} ms"
        for row in cold["import_profile_tracer_off"]["top_packages_self_ms"][:6]
    )
    shares = "; ".join(
        f"{label} {share:.0%}"
        for label, share in results["cpu"]["profile_shares"]["positive"].items()
        if not label.startswith("of which")
    )
    lines = [
        f"Run {run['timestamp']} at commit `{run['commit'][:12]}`{dirty}, Python {host['python']} on "
        f"{host['platform']}, {host['cpu_count']} CPUs, {run['duration_s']:.0f} s. "
        "All figures: [`results/latest.json`](results/latest.json).",
        "",
        table(rows),
        "",
        "Context from the same run:",
        "",
        "- Counters in steady state: the first 100-record batch of the same stream held "
        f"{first_batch['feedback']} feedback (case records share the batch) and cost "
        f"{mix['batches_of_100_records']['first_batch_write_units_per_feedback']} units per feedback. "
        "A feedback alone in its batch (quiet traffic) costs "
        f"{mix['one_feedback_alone']['write_units_per_feedback']} units.",
        "- PutEvents entries per feedback: "
        f"{results['counters']['all_positive']['put_events_entries_per_feedback']} all positive, "
        f"{mix['put_events_entries_per_feedback']} at 20% negative.",
        f"- CPU per positive: ours {positive['ours_us']:.0f} µs, the minimal handler "
        f"{positive['baseline_us']:.0f} µs, the minimal handler plus one stubbed boto3 PutItem "
        f"{positive['baseline_with_put_us']:.0f} µs "
        f"(ours is {positive['ratio_to_baseline_with_put']:.2f}x that). Per negative: ours "
        f"{negative['ours_us']:.0f} µs, the minimal handler {negative['baseline_us']:.0f} µs.",
        f"- Where a positive request's CPU goes (cProfile, exclusive shares): {shares}.",
        f"- Cold start medians: boto3 and one client {cold_ms['baseline']:.0f} ms; ours "
        f"{cold_ms['ours_tracer_off']:.0f} ms with Tracer off, "
        f"{cold_ms['ours_tracer_on']:.0f} ms with Tracer on.",
        f"- Largest import costs, self time by package: {imports}.",
        *(alert_context(results) if "load" in results else []),
        "",
        "Cost per million feedback, itemised (US dollars):",
        "",
        "| item | all positive | 20% negative |",
        "|---|---|---|",
    ]
    for key in items["all_positive"]:
        label = "**total**" if key == "total" else key.replace("_", " ")
        lines.append(f"| {label} | {items['all_positive'][key]:.3f} | {items['negative_20pct'][key]:.3f} |")
    return "\n".join(lines)


def run_intake(sizes: Sizes, results: dict[str, Any]) -> None:
    """Budgets 1-5: round trips, write units, counters, CPU, cold start, cost."""
    from bench import cold_start, cpu, ingest_calls, stream_units
    from bench.lambda_env import memory_mb

    print("1. round trips and write units per feedback (ingest under moto)", flush=True)
    results["ingest"] = ingest_calls.measure(sizes.ingest_requests, sizes.repeat_negatives, progress)
    for kind, row in results["ingest"]["kinds"].items():
        trips, units, reads = row["round_trips"], row["write_units"], row["read_units"]
        progress(
            f"{kind}: round trips max {trips['max']}, write units max {units['max']} (mean {units['mean']}), "
            f"read units mean {reads['mean']}"
        )

    print("2. counter write units per feedback (stream function under moto)", flush=True)
    streams = {
        "mix": stream_units.measure(
            sizes.stream_feedback, int(sizes.stream_feedback * MIX_NEGATIVE_SHARE), progress
        ),
        "all_positive": stream_units.measure(sizes.stream_feedback, 0, progress),
    }
    records = {name: result.pop("records_sample") for name, result in streams.items()}
    results["counters"] = streams
    for name, row in streams.items():
        progress(
            f"{name}: {row['one_invocation']['write_units_per_feedback']} units per feedback, "
            f"{row['put_events_entries_per_feedback']} PutEvents entries per feedback"
        )

    print("3. CPU per request with AWS stubbed, against a minimal handler (fresh process)", flush=True)
    results["cpu"] = cpu.run(sizes.cpu_iterations, sizes.cpu_rounds, sizes.stream_iterations, records)
    for kind, row in results["cpu"]["ingest"].items():
        progress(f"{kind}: ours {row['ours_us']} µs, baseline {row['baseline_us']} µs, ratio {row['ratio']}")

    print("4. cold start (fresh interpreters)", flush=True)
    results["cold_start"] = cold_start.run(sizes.cold_runs, progress)
    cold = results["cold_start"]
    progress(f"ratio Tracer off {cold['ratio_tracer_off']}, Tracer on {cold['ratio_tracer_on']}")

    print("5. cost model", flush=True)
    memory = memory_mb()
    results["cost"] = cost_model(results["ingest"], streams, results["cpu"], memory)
    for name, items in results["cost"]["per_million"].items():
        progress(f"{name}: ${items['total']:.2f} per million feedback")

    mismatches = results["ingest"]["hook_mismatches"] + [
        line for row in streams.values() for line in row["hook_mismatches"]
    ]
    for line in mismatches:
        print(f"WARNING: a client escaped the call hooks, counts may be low: {line}", flush=True)


def run_alerts(sizes: Sizes, results: dict[str, Any]) -> None:
    """Budgets 6-8: alert latency, sweep and follow-up run reads, load on loopback."""
    from bench import alerts_latency, console_queue, followup_reads, load, sweep_reads

    print("6. alert latency, 201 to the lead's email and SMS (embedded runtime)", flush=True)
    results["alert_latency"] = alerts_latency.measure(sizes.alert_latency_samples, progress)
    figures = results["alert_latency"]["latency"]
    progress(
        f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, max {figures['max_ms']:.0f} ms"
    )

    print("7. items read by one sweep, by table size (under moto)", flush=True)
    results["sweep_reads"] = sweep_reads.measure(sizes.sweep_table_sizes, progress)
    for line in (row.get("hook_mismatch") for row in results["sweep_reads"]["sizes"].values()):
        if line:
            print(f"WARNING: a client escaped the call hooks, counts may be low: {line}", flush=True)

    print("7b. items read by one follow-up run, by table size (under moto)", flush=True)
    results["followup_reads"] = followup_reads.measure(sizes.sweep_table_sizes, progress)
    for line in (row.get("hook_mismatch") for row in results["followup_reads"]["sizes"].values()):
        if line:
            print(f"WARNING: a client escaped the call hooks, counts may be low: {line}", flush=True)

    print("8. load on loopback (embedded runtime)", flush=True)
    results["load"] = load.measure(sizes.load_posts, sizes.load_profiled_posts, progress)

    print("9. console queue API, first byte (embedded runtime)", flush=True)
    results["console_queue"] = console_queue.measure(
        sizes.console_open_cases, sizes.console_samples, progress
    )


def run_connectors(sizes: Sizes, results: dict[str, Any]) -> None:
    """Budget 10: the hook route's answer time; 10b: the Slack interactions route's."""
    from bench import hook_latency

    print("10. hook route answer time (embedded runtime)", flush=True)
    results["hook_latency"] = hook_latency.measure(sizes.hook_samples, progress)

    from bench import slack_press

    print("10b. Slack interactions answer time, signed press (handler on moto)", flush=True)
    results["slack_press"] = slack_press.measure(sizes.slack_press_samples, progress)


def run_reports(sizes: Sizes, results: dict[str, Any]) -> None:
    """Budgets 11-12: items read by a 30-day report by feedback count; the dashboard's first byte."""
    from bench import dashboard_first_byte, report_reads

    print("11. items read by a 30-day report with 10 groups, by feedback count (under moto)", flush=True)
    results["report_reads"] = report_reads.measure(sizes.report_sizes, progress)

    print("12. dashboard data, first byte (embedded runtime)", flush=True)
    results["dashboard"] = dashboard_first_byte.measure(
        sizes.dashboard_feedback, sizes.dashboard_samples, progress
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller samples; writes a -quick result file only"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a budget is over its limit"
    )
    parser.add_argument(
        "--only",
        choices=PARTS,
        default="all",
        help="run only the intake (1-5), alert and case (6-9), connector (10) or report (11-12) budgets; "
        "result file only",
    )
    parser.add_argument(
        "--load-posts", type=int, default=None, metavar="N", help="posts in the load run (default 2000)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.load_posts is not None:
        sizes = replace(sizes, load_posts=args.load_posts)
    partial = args.quick or args.only != "all"
    started = time.perf_counter()
    stamp = datetime.now(UTC)
    results: dict[str, Any] = {}

    from bench.report import console_table, update_readme, write_json

    print(f"Recovery Loop benchmarks{' (quick)' if args.quick else ''}", flush=True)
    if args.only in ("all", "intake"):
        run_intake(sizes, results)
    if args.only in ("all", "alerts"):
        run_alerts(sizes, results)
    if args.only in ("all", "connectors"):
        run_connectors(sizes, results)
    if args.only in ("all", "reports"):
        run_reports(sizes, results)

    rows = budgets(results)
    duration = time.perf_counter() - started
    document = {
        "run": {
            "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": _git("rev-parse", "HEAD"),
            "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
            "quick": args.quick,
            "command": " ".join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)]),
            "duration_s": round(duration, 1),
            "sizes": vars(sizes),
            "machine": machine(),
        },
        "budgets": [row.as_dict() for row in rows],
        "results": results,
    }
    name = stamp.strftime("%Y-%m-%dT%H-%M-%SZ") + ("-quick" if args.quick else "")
    name += "" if args.only == "all" else f"-{args.only}"
    path = write_json(document, name, latest=not partial)
    if not partial:
        update_readme(readme_block(document, rows))

    print()
    print(console_table(rows))
    print()
    failed = [row for row in rows if row.passed is False]
    print(f"{len(failed)} of {sum(1 for row in rows if row.limit is not None)} budgets over their limit.")
    print(
        f"Results: {path.relative_to(ROOT)}"
        + ("" if partial else " and bench/results/latest.json; bench/README.md")
    )
    print(f"Took {duration:.0f} s.")
    return 1 if args.check and failed else 0
