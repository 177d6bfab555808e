"""Items read by a 30-day report broken down into 10 groups (agents), for 1k, 10k and 100k feedback.

In-process on moto, one fresh stack per size (the template's table; `bench/harness.py`), the demo teams
seeded from `config/`, and the history of `bench/history.py` counted into the table by the stream
function's own code. The report is asked of the reports function's handler, as a lead of the team would
ask it over HTTP: `GET /v1/reports/summary?team=support-emea&from=..&to=..&by=agent`, with the JWT claims
API Gateway passes on.

Counting is as `sweep_reads.py` counts: botocore after-call hooks on the client every model uses, the
ScannedCount of every Query and Scan, the items of every GetItem and BatchGetItem. Nothing is timed.

The budget: the same at every size. A report reads one counter item per team and UTC hour of the range
(720 for 30 days, 719 or 721 across a DST change) plus the team configuration, whatever the feedback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench import ROOT, harness, history
from bench.sweep_reads import counting_reads

GROUPS = len(history.AGENTS)


def _event(path: str, query: dict[str, str]) -> dict[str, Any]:
    """An API Gateway v2 GET with the claims the LeadJwt authorizer passes for a lead of the team."""
    request = harness.event("ingest_feedback_positive.json")
    request["routeKey"] = "GET /v1/reports/{report}"
    request["rawPath"] = path
    request["rawQueryString"] = "&".join(f"{key}={value}" for key, value in query.items())
    request["queryStringParameters"] = query
    request["pathParameters"] = {"report": path.rsplit("/", 1)[-1]}
    request["headers"] = {"accept": "application/json"}
    request.pop("body", None)
    request["isBase64Encoded"] = False
    context = {**request["requestContext"], "routeKey": request["routeKey"]}
    context["http"] = {**context["http"], "method": "GET", "path": path}
    context["authorizer"] = {
        "jwt": {
            "claims": {
                "sub": "bench-lead",
                "email": "kari@example.com",
                "cognito:groups": f"[team-{history.TEAM}]",
                "token_use": "id",
            },
            "scopes": None,
        }
    }
    request["requestContext"] = context
    return request


def measure_one(size: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from recovery.store import models
    from tools.seed import seed_alerting

    today = datetime.now(UTC).date()
    date_from, date_to = history.period(today)
    with harness.sandbox() as box:
        if not seed_alerting(ROOT / "config"):
            raise RuntimeError("the teams and routing were not seeded")
        seeded = history.seed(size, today, progress)
        reports = box.load("reports")
        query = {
            "team": history.TEAM,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "by": "agent",
        }
        event = _event("/v1/reports/summary", query)
        harness.invoke(reports, event)  # warm: the configuration is cached after the first request
        with counting_reads(models.dynamodb_client()) as log:
            answer = harness.invoke(reports, event)
    if answer.get("statusCode") != 200:
        raise RuntimeError(f"the report answered {answer.get('statusCode')}: {str(answer.get('body'))[:300]}")
    document = json.loads(answer["body"])
    groups = len(document.get("groups") or [])
    if groups != GROUPS:
        raise RuntimeError(f"the report broke down into {groups} groups, not {GROUPS}")
    volume = document["metrics"]["volume"]
    if volume != size:
        raise RuntimeError(f"the report counted {volume} feedback of {size}")
    queries = [call for call in log.calls if call["operation"] == "Query"]
    counter_items = sum(call["items"] for call in queries)
    result = {
        "feedback": size,
        "stream_batches": seeded["batches"],
        "records": seeded["records"],
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "groups": groups,
        "items_read": log.items,
        "counter_items_read": counter_items,
        "other_items_read": log.items - counter_items,
        "queries": len(queries),
        "query_pages": len(queries),
        "reads_by_operation": log.by_operation(),
        "dynamodb_calls": len(log.calls),
        "dynamodb_calls_made": log.made,
        "report_volume": volume,
    }
    progress(
        f"{size:,} feedback: the report read {counter_items} counter items in {len(queries)} Query pages, "
        f"{log.items - counter_items} other items"
    )
    return result


def measure(sizes: tuple[int, ...], progress: Callable[[str], None]) -> dict[str, Any]:
    return {
        "days": history.DAYS,
        "groups": GROUPS,
        "sizes": {str(size): measure_one(size, progress) for size in sizes},
    }


def budgets(results: dict[str, Any]) -> list[Any]:
    """One row per size; the limit is the smallest size's figure (the same at every size)."""
    from bench.report import Budget

    rows = list(results["sizes"].items())
    first = rows[0][1]["counter_items_read"] if rows else None
    return [
        Budget(
            f"report_items_read_{size}",
            f"items read by a {results['days']}-day report, {results['groups']} groups, "
            f"{int(size):,} feedback",
            row["counter_items_read"],
            "items",
            first,
            f"moto; reports handler, `summary?by=agent` as a lead; ScannedCount of the counter Query "
            f"({row['queries']} pages; botocore after-call hooks); besides: {row['other_items_read']} "
            f"configuration item(s), re-read when the 60 s configuration cache expired during a slow "
            f"request; limit: the same as at {rows[0][0]} feedback",
        )
        for size, row in rows
    ]
