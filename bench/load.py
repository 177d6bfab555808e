"""Load on loopback: feedback posts (20% negative) from concurrent clients against the embedded runtime.

A fresh `python -m local` (no `--state`), 8 client threads, each with its own keep-alive connection,
posting a shuffled plan of positives, neutrals and negatives from both demo sources (negatives from new
customers, routed to team support-emea, whose lead is always on duty). Then the outbox is polled every
0.5 s until every negative's alert is in and nothing new arrived for 3 s.

- **Errors**: any answer other than 201, and any failed request.
- **Lost alerts**: a negative's case without the lead's alert email or alert SMS.
- **Duplicated alerts**: more than one alert message for one case, channel and recipient (another
  on-duty lead, at night, gets their own; that is not a duplicate).
- **Throughput**: posts per second from the first post sent to the last 201 received, and end to end,
  from the first post sent to the outbox poll that first held every alert.

**Where the time goes** comes from a second run of the same plan (smaller) with the runtime profiled:
cProfile in every thread of the runtime process (its HTTP threads and the dispatcher), timing thread CPU
(`time.thread_time`), so a thread waiting for the runtime's one invocation lock costs nothing. The hook
is a `sitecustomize` module on the runtime's PYTHONPATH: it wraps `threading.Thread.run`, and writes the
merged profile just before the runtime's `os._exit` after SIGTERM (`python -m cProfile -m local` would
write nothing: the runtime leaves through `os._exit`, and its work runs outside the main thread). The
profiled run's throughput is reported too, but not as the figure: the profiler slows the runtime.
"""

from __future__ import annotations

import json
import os
import pstats
import queue
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import ROOT, scenario
from bench.alerts_latency import Api, Lead, lead, negative_body, runtime

CLIENT_THREADS = 8
NEGATIVE_SHARE = 0.2
QUIET_SECONDS = 3.0
SETTLE_TIMEOUT_SECONDS = 300.0
POLL_SECONDS = 0.5
TOP = 15

PROFILE_HOOK = '''\
"""Benchmark hook (bench/load.py): profile every thread of this process, write the profile at exit."""
import os

_OUT = os.environ.get("RECOVERY_BENCH_PROFILE")
if _OUT:
    import cProfile
    import threading
    import time

    _profiles = []
    _guard = threading.Lock()
    _run = threading.Thread.run

    def _profiled_run(self):
        profile = cProfile.Profile(time.thread_time)
        with _guard:
            _profiles.append((self, profile))
        profile.enable()
        try:
            _run(self)
        finally:
            profile.disable()

    threading.Thread.run = _profiled_run
    _exit = os._exit

    def _dump_then_exit(code):
        try:
            import pstats

            with _guard:
                done = [profile for thread, profile in _profiles if not thread.is_alive()]
            if done:
                pstats.Stats(*done).dump_stats(_OUT)
        finally:
            _exit(code)

    os._exit = _dump_then_exit
'''


# ------------------------------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class Post:
    kind: str  # positive, neutral, negative
    source: str
    body: dict[str, Any]


def plan(total: int, negative_share: float, now: Any, seed: int = 23, prefix: str = "q") -> list[Post]:
    """`total` feedback, `negative_share` of them negatives from new customers routed to the lead's team,
    a tenth of the rest neutral; 70% from demo-web; shuffled."""
    rng = random.Random(seed)
    negatives = round(total * negative_share)
    kinds = ["negative"] * negatives + ["neutral"] * ((total - negatives) // 10)
    kinds += ["positive"] * (total - len(kinds))
    rng.shuffle(kinds)
    posts = []
    for index, kind in enumerate(kinds):
        occurred = now - timedelta(seconds=rng.randrange(3600))
        source = scenario.SOURCES[0] if rng.random() < 0.7 else scenario.SOURCES[1]
        if kind == "negative":
            body = negative_body(index, occurred, rng, prefix=prefix)
        elif kind == "neutral":
            body = scenario.neutral(index, occurred, rng)
            body["external_id"] = f"resp_{prefix}{index:05d}"
        else:
            body = scenario.positive(index, occurred, rng, prefix=prefix)
        posts.append(Post(kind, source, body))
    return posts


# ----------------------------------------------------------------------------------------- the checks
def check_alerts(entries: Iterable[dict[str, Any]], case_ids: Iterable[str], who: Lead) -> dict[str, Any]:
    """Lost and duplicated alerts in the outbox for the given cases."""
    expected = set(case_ids)
    per_message: Counter[tuple[str, str, str]] = Counter()
    unexpected = 0
    other_kinds: Counter[str] = Counter()
    for entry in entries:
        if entry.get("kind") != "alert":
            other_kinds[str(entry.get("kind"))] += 1
            continue
        case_id = str(entry.get("case_id"))
        if case_id not in expected:
            unexpected += 1
            continue
        per_message[(case_id, str(entry.get("channel")), str(entry.get("to")))] += 1
    lost = sorted(
        case_id
        for case_id in expected
        if not (per_message[(case_id, "email", who.email)] and per_message[(case_id, "sms", who.phone)])
    )
    duplicated = sorted({key for key, count in per_message.items() if count > 1})
    return {
        "cases": len(expected),
        "alert_messages": sum(per_message.values()),
        "lost": len(lost),
        "lost_cases": lost[:20],
        "duplicated": sum(per_message[key] - 1 for key in duplicated),
        "duplicated_messages": [list(key) for key in duplicated[:20]],
        "alerts_for_unknown_cases": unexpected,
        "other_kinds": dict(sorted(other_kinds.items())),
    }


# ---------------------------------------------------------------------------------------- the profile
def package_of(filename: str) -> str:
    """A profile entry's package: top-level package under site-packages, our own folders, the stdlib."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    path = filename.replace("\\", "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(ROOT).replace("\\", "/") + "/"
    if path.startswith(root):
        parts = path[len(root) :].split("/")
        if parts[0] == "layers":
            return parts[2] if len(parts) > 3 else parts[-1].removesuffix(".py")
        if parts[0] == "functions":
            return f"functions/{parts[1]}"
        return parts[0].removesuffix(".py")
    marker = "/lib/python3."
    if marker in path:
        rest = path.split(marker, 1)[1].split("/", 1)[1]
        return "stdlib:" + rest.split("/", 1)[0].removesuffix(".py")
    return path.rsplit("/", 1)[-1]


def _label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", str(ROOT).replace("\\", "/") + "/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return name if filename == "~" else f"{path}:{line}({name})"


# Plumbing: frames that wrap (nearly) every call below them and say nothing of where the time goes
# (threads, the HTTP server, decorators, botocore's and moto's request dispatch).
PLUMBING_PACKAGES = frozenset(
    {
        "stdlib:threading",
        "stdlib:socketserver",
        "stdlib:http",
        "stdlib:selectors",
        "stdlib:contextlib",
        "werkzeug",
        "botocore",
        "aws_lambda_powertools",
    }
)
PLUMBING_PATHS = ("moto/core/", "moto/utilities/", "pynamodb/connection/")


def is_plumbing(key: tuple[str, int, str]) -> bool:
    path = key[0].replace("\\", "/")
    return (
        package_of(key[0]) in PLUMBING_PACKAGES
        or any(part in path for part in PLUMBING_PATHS)
        or (key[0] == "~" and "acquire" in key[2])
    )


def profile_summary(stats: pstats.Stats, top: int = TOP) -> dict[str, Any]:
    """Top functions by cumulative CPU, self CPU by package, and the functions' handlers."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in raw.values()) or 1.0
    by_package: dict[str, float] = {}
    for key, row in raw.items():
        package = package_of(key[0])
        by_package[package] = by_package.get(package, 0.0) + row[2]
    ranked = sorted(raw.items(), key=lambda item: item[1][3], reverse=True)
    functions = []
    for key, (_, calls, own, cumulative, _) in ranked:
        if is_plumbing(key):
            continue
        functions.append(
            {
                "function": _label(key),
                "package": package_of(key[0]),
                "calls": calls,
                "cumulative_s": round(cumulative, 3),
                "cumulative_share": round(cumulative / total, 3),
                "self_s": round(own, 3),
            }
        )
        if len(functions) == top:
            break
    handlers = {
        package_of(key[0]): round(row[3] / total, 3)
        for key, row in raw.items()
        if key[0].replace("\\", "/").startswith(str(ROOT / "functions")) and key[2] == "lambda_handler"
    }
    return {
        "cpu_s": round(total, 2),
        "top_cumulative": functions,
        "self_by_package": [
            {"package": name, "self_s": round(seconds, 2), "share": round(seconds / total, 3)}
            for name, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:12]
        ],
        "handlers_cumulative_share": dict(sorted(handlers.items(), key=lambda item: -item[1])),
    }


# ----------------------------------------------------------------------------------------------- a run
def _drive(running: Any, posts: list[Post], progress: Callable[[str], None]) -> dict[str, Any]:
    keys = {source: running.source_key(source) for source in scenario.SOURCES}
    work: queue.Queue[int] = queue.Queue()
    for index in range(len(posts)):
        work.put(index)
    answers: list[tuple[int, str | None] | None] = [None] * len(posts)
    failures: list[str] = []
    guard = threading.Lock()
    done = 0

    def client() -> None:
        nonlocal done
        api = Api(running.api_url)
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                break
            post = posts[index]
            try:
                status, payload = api.request("POST", "/v1/feedback", post.body, key=keys[post.source])
                case_id = json.loads(payload).get("case_id") if status == 201 else None
                answers[index] = (status, case_id)
                if status != 201:
                    with guard:
                        failures.append(f"{post.kind} {post.body['external_id']}: {status} {payload[:200]!r}")
            except Exception as error:  # a failed request is an error, not a crash of the benchmark
                answers[index] = (0, None)
                with guard:
                    failures.append(f"{post.kind} {post.body['external_id']}: {error!r}")
            with guard:
                done += 1
                if done % max(1, len(posts) // 4) == 0:
                    progress(f"{done}/{len(posts)} posted")
        api.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, name=f"client-{n}") for n in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    posted = time.perf_counter()

    case_ids = [
        answer[1]
        for post, answer in zip(posts, answers, strict=True)
        if post.kind == "negative" and answer is not None and answer[1]
    ]
    negatives_without_case = sum(
        1
        for post, answer in zip(posts, answers, strict=True)
        if post.kind == "negative" and (answer is None or not answer[1])
    )
    who = lead()
    watcher = Api(running.api_url)
    all_in: float | None = None
    last_count, last_change = -1, time.perf_counter()
    while True:
        entries = watcher.json("GET", "/_local/outbox.json")
        now = time.perf_counter()
        if len(entries) != last_count:
            last_count, last_change = len(entries), now
        if all_in is None and check_alerts(entries, case_ids, who)["lost"] == 0:
            all_in = now
        if all_in is not None and now - last_change >= QUIET_SECONDS:
            break
        if now - posted > SETTLE_TIMEOUT_SECONDS:
            progress(f"WARNING: the outbox did not settle within {SETTLE_TIMEOUT_SECONDS:.0f} s")
            break
        time.sleep(POLL_SECONDS)
    watcher.close()
    checked = check_alerts(entries, case_ids, who)
    errors = len(failures) + negatives_without_case
    statuses = Counter(answer[0] if answer else 0 for answer in answers)
    return {
        "posts": len(posts),
        "kinds": dict(Counter(post.kind for post in posts)),
        "client_threads": CLIENT_THREADS,
        "errors": errors,
        "error_samples": failures[:10],
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "posting_s": round(posted - started, 2),
        "posts_per_s": round(len(posts) / (posted - started), 1),
        "alerts_in_s": round(all_in - started, 2) if all_in is not None else None,
        "end_to_end_posts_per_s": round(len(posts) / (all_in - started), 1) if all_in is not None else None,
        "outbox_messages": len(entries),
        **checked,
    }


def run_once(
    posts: int, progress: Callable[[str], None], profile_to: Path | None = None, seed: int = 23
) -> dict[str, Any]:
    environment: dict[str, str] = {}
    if profile_to is not None:  # the hook goes next to the profile, in the caller's temporary folder
        (profile_to.parent / "sitecustomize.py").write_text(PROFILE_HOOK, encoding="utf-8")
        environment = {
            "RECOVERY_BENCH_PROFILE": str(profile_to),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(profile_to.parent), os.environ.get("PYTHONPATH")])
            ),
        }
    with runtime(environment) as running:
        planned = plan(posts, NEGATIVE_SHARE, running.clock(), seed=seed)
        result = _drive(running, planned, progress)
    result["runtime_exit_code"] = running.exit_code
    if running.exit_code != 0:
        progress(f"WARNING: the runtime exited with {running.exit_code}")
        result["runtime_log_tail"] = running.log_tail
    return result


def measure(posts: int, profiled_posts: int, progress: Callable[[str], None]) -> dict[str, Any]:
    progress(f"{posts} posts, {NEGATIVE_SHARE:.0%} negative, {CLIENT_THREADS} client threads")
    result = run_once(posts, progress)
    progress(
        f"{result['posts_per_s']} posts/s ({result['end_to_end_posts_per_s']} end to end), "
        f"{result['errors']} errors, {result['lost']} lost, {result['duplicated']} duplicated alerts"
    )
    progress(f"profiled run: {profiled_posts} posts, cProfile in every runtime thread")
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        target = Path(folder) / "runtime.prof"
        profiled = run_once(profiled_posts, progress, profile_to=target, seed=29)
        summary = profile_summary(pstats.Stats(str(target))) if target.exists() else None
    if summary is None:
        progress("WARNING: the runtime wrote no profile")
    else:
        shares = ", ".join(f"{row['package']} {row['share']:.0%}" for row in summary["self_by_package"][:5])
        progress(f"CPU by package (self): {shares}")
    result["profiled_run"] = {
        key: profiled[key]
        for key in ("posts", "errors", "lost", "duplicated", "posts_per_s", "end_to_end_posts_per_s")
    }
    result["profile"] = summary
    return result
