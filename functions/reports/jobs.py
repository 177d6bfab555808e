"""The scheduled jobs (`{"job": "anomalies" | "digest" | "daily_digest"}` from the schedules): the hourly
anomaly check, the weekly digest and the contacts' daily digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from recovery import clock
from recovery.observability import logger


def _jobs() -> dict[str, Callable[[datetime], dict[str, Any]]]:
    """The scheduled jobs, built on first use (a report request never needs them)."""
    from recovery.wiring.reports import build_anomaly_run, build_daily_digest_run, build_digest_run

    return {
        "anomalies": build_anomaly_run().run,
        "digest": build_digest_run().run,
        "daily_digest": build_daily_digest_run().run,
    }


def run(name: Any) -> dict[str, Any]:
    jobs = _jobs()
    if name not in jobs:
        raise ValueError(f"unknown job {name!r}")
    try:
        result = jobs[name](clock.now())
    except LookupError:  # no teams configured yet: nothing to check or send
        logger.info("job skipped", extra={"job": name, "reason": "no teams configured"})
        return {"job": name, "skipped": "no teams configured"}
    logger.info("job done", extra={"job": name, **result})
    return {"job": name, **result}
