"""Reports for leads (JWT): `GET /v1/reports/{report}` as JSON, or CSV with `Accept: text/csv`; release
markers from a deploy pipeline (`POST /v1/markers`, admin key); and the hourly anomaly check and weekly
digest (`{"job": "anomalies" | "digest"}` from the schedules)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery import clock
from recovery.domain import cases as rules
from recovery.domain import keys
from recovery.domain.routing import Config
from recovery.errors import TransientFailure
from recovery.observability import logger, metrics
from recovery.services.alerts import CachedConfig
from recovery.services.markers import BadMarker, build_markers
from recovery.services.reports import (
    ALL,
    BY,
    CONTROL_DIMENSIONS,
    DEFAULT_DAYS,
    INTERVALS,
    MAX_DAYS,
    BadPeriod,
    Group,
    Reports,
    UnknownTeam,
    to_csv,
)
from recovery.services.reports import build_reports as _build_reports
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import ConfigStore
from recovery.store.cases import BadCursor
from recovery.store.history import STEPS, WHEN, CaseFilter, CaseHistory, parse_score
from recovery.web import http
from recovery.web.case_views import summary as case_summary

config = CachedConfig(ConfigStore())
reports: Reports = _build_reports(config)
markers = build_markers()
history = CaseHistory()
admin_keys = AdminKeyStore()
app = APIGatewayHttpResolver()

REPORTS = ("summary", "trend", "dashboard", "cases", "anomalies", "markers")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT_FILTERS = ("agent", "tag", "channel", "source", "cause")
_GROUP_VALUE = 200  # characters of a tag or agent a control-chart group may name


class _Answer(Exception):
    def __init__(self, response: Response[str]) -> None:
        self.response = response


# ---------------------------------------------------------------------------------------- reports
@app.get("/v1/reports/<report>")
def report(report: str) -> Response[str]:
    if report not in REPORTS:
        return http.problem(404, "Not found", f"no report {report!r}; use {', '.join(REPORTS)}")
    query = app.current_event.query_string_parameters or {}
    team = _team(_lead(), query.get("team"))
    zone = reports.scope(team).timezone
    date_from, date_to = _period(query, zone)
    if report == "summary":
        by = _choice(query, "by", BY)
        document = reports.summary(team, date_from, date_to, by)
    elif report == "trend":
        interval = _choice(query, "interval", INTERVALS) or "day"
        document = reports.trend(team, date_from, date_to, interval)  # type: ignore[arg-type]
    elif report == "dashboard":
        document = reports.dashboard(team, date_from, date_to, _group(query))
    elif report == "cases":
        document = _cases(team, zone, date_from, date_to, query)
    elif report == "anomalies":
        found = reports.open_anomalies(team)
        document = {"team": team, "anomalies": found}
    else:
        start, end = _instants(date_from, date_to, zone)
        listed = markers.between(start, end)
        document = {"from": date_from.isoformat(), "to": date_to.isoformat(), "markers": listed}
    metrics.add_metric(name="ReportsServed", unit=MetricUnit.Count, value=1)
    logger.info("report served", extra={"report": report, "team": team, "items_read": reports.items_read})
    if _wants_csv():
        headers = {"Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{report}.csv"'}
        return Response(200, "text/csv; charset=utf-8", to_csv(document), headers=headers)
    return Response(
        200, "application/json", json.dumps(document, default=str), headers={"Cache-Control": "no-store"}
    )


def _cases(team: str, zone: str, date_from: date, date_to: date, query: dict[str, str]) -> dict[str, Any]:
    """The drill-down: the cases behind a chart, filtered like the chart's group."""
    if team == ALL:
        raise _Answer(_bad("/team", "the drill-down reads one team's cases: name it with team="))
    where = CaseFilter(
        **{name: query[name] for name in _TEXT_FILTERS if query.get(name)},
        hour=_whole(query, "hour", 23),
        weekday=_whole(query, "weekday", 6),
        step=_choice(query, "step", STEPS),
        **_score(query),
        timezone=zone,
    )
    start, end = _instants(date_from, date_to, zone)
    page = history.cases(team, start, end, where, query.get("cursor"))
    now = clock.now()
    return {
        "cases": [case_summary(case, now) for case in page.items],
        "next_cursor": page.next_cursor,
        "items_read": page.items_read,
    }


def _group(query: dict[str, str]) -> Group | None:
    """`group=<tag|agent>:<value>`: whose control chart the dashboard draws (default the team's)."""
    text = query.get("group")
    if text is None:
        return None
    dimension, _, value = text.partition(":")
    fits = 0 < len(value) <= _GROUP_VALUE and value.isprintable()
    if dimension not in CONTROL_DIMENSIONS or not fits:
        detail = f"group must be tag:<tag> or agent:<agent>, at most {_GROUP_VALUE} characters"
        raise _Answer(_bad("/group", detail))
    return Group(dimension, value)


def _score(query: dict[str, str]) -> dict[str, Any]:
    """`score=<type>:<value>` with `when=before|after`: the cases with that rating."""
    text, when = query.get("score"), query.get("when")
    if text is None:
        if when is not None:
            raise _Answer(_bad("/when", "when goes with score="))
        return {}
    try:
        score = parse_score(text)
    except ValueError:
        detail = "score must be <type>:<value>, e.g. nps:9, thumbs:up or custom:0.3, within the type's scale"
        raise _Answer(_bad("/score", detail)) from None
    if when not in WHEN:
        raise _Answer(_bad("/when", "when must be before or after (the original or the follow-up rating)"))
    return {"score": score, "when": when}


def _lead() -> rules.Lead:
    context = app.current_event.raw_event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    return rules.lead_from_claims(claims, _config())


def _config() -> Config | None:
    try:
        return config.get()
    except LookupError:
        return None


def _visible_teams(lead: rules.Lead) -> list[str]:
    """The teams a lead reads, as the cases API lists them: an admin every configured team."""
    found = _config()
    known = [team.id for team in found.teams] if found else []
    return known if lead.admin else sorted(team for team in lead.teams if team in known or not known)


def _team(lead: rules.Lead, asked: str | None) -> str:
    """The team a lead may read: their own (403 for another); an admin any team, or "all"."""
    visible = _visible_teams(lead)
    if asked is None:
        if lead.admin:
            return ALL
        if len(visible) != 1:
            detail = "name a team with team=: you lead " + (", ".join(visible) if visible else "no team")
            raise _Answer(_bad("/team", detail))
        return visible[0]
    if asked == ALL and not lead.admin:
        raise _Answer(http.problem(403, "Forbidden", "only admins read every team"))
    if asked != ALL and not lead.may_see(asked):
        raise _Answer(http.problem(403, "Forbidden", f"you are not a lead of team {asked!r}"))
    return asked


def _period(query: dict[str, str], zone: str) -> tuple[date, date]:
    """`from` and `to`, local dates in the team's zone; by default the 30 days ending today."""
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    date_to = _date(query, "to") or today
    date_from = _date(query, "from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_to < date_from:
        raise _Answer(_bad("/to", "to is before from"))
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise _Answer(_bad("/from", f"a report covers at most {MAX_DAYS} days"))
    return date_from, date_to


def _date(query: dict[str, str], name: str) -> date | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _Answer(_bad(f"/{name}", f"{name} must be a date, YYYY-MM-DD")) from None


def _choice(query: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = query.get(name)
    if value is not None and value not in allowed:
        raise _Answer(_bad(f"/{name}", f"{name} must be one of {', '.join(allowed)}"))
    return value


def _whole(query: dict[str, str], name: str, highest: int) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    if not text.isdigit() or not 0 <= int(text) <= highest:
        raise _Answer(_bad(f"/{name}", f"{name} must be a whole number from 0 to {highest}"))
    return int(text)


def _instants(date_from: date, date_to: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants the local dates begin and end (end exclusive)."""
    place = ZoneInfo(zone)
    start = datetime.combine(date_from, time(0), tzinfo=place).astimezone(UTC)
    return start, datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=place).astimezone(UTC)


def _wants_csv() -> bool:
    accept = app.current_event.headers.get("accept") or app.current_event.headers.get("Accept") or ""
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


def _bad(pointer: str, detail: str) -> Response[str]:
    return http.problem(
        400, "Invalid request", detail, [{"pointer": pointer, "detail": detail, "in": "query"}]
    )


# ---------------------------------------------------------------------------------------- markers
@app.post("/v1/markers")
def record_marker() -> Response[str]:
    try:
        document = json.loads(http.decoded_body(app.current_event.raw_event))
    except json.JSONDecodeError:
        return http.problem(400, "Malformed JSON", "the body is not valid JSON")
    marker = markers.record(document, clock.now())
    logger.info("marker recorded", extra={"component": marker["component"], "version": marker["version"]})
    return Response(201, "application/json", json.dumps(marker), headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------------------- errors
@app.exception_handler(_Answer)
def answer(error: _Answer) -> Response[str]:
    return error.response


@app.exception_handler(rules.NotSignedIn)
def not_signed_in(error: rules.NotSignedIn) -> Response[str]:
    return http.problem(401, "Unauthorized", str(error), headers={"WWW-Authenticate": "Bearer"})


@app.exception_handler(UnknownTeam)
def unknown_team(error: UnknownTeam) -> Response[str]:
    return http.problem(404, "Not found", str(error.args[0]))


@app.exception_handler(BadPeriod)
def bad_period(error: BadPeriod) -> Response[str]:
    return _bad("/from", str(error))


@app.exception_handler(BadCursor)
def bad_cursor(error: BadCursor) -> Response[str]:
    return _bad("/cursor", str(error))


@app.exception_handler(BadMarker)
def bad_marker(error: BadMarker) -> Response[str]:
    return http.problem(
        400, "Invalid marker", error.reason, [{"pointer": error.pointer, "detail": error.reason}]
    )


@app.exception_handler(TransientFailure)
def transient(error: TransientFailure) -> Response[str]:
    return http.problem(
        503, "Service unavailable", "a storage call failed; retry", headers={"Retry-After": "2"}
    )


# ---------------------------------------------------------------------------------------- jobs
def _jobs() -> dict[str, Callable[[datetime], dict[str, Any]]]:
    """The scheduled jobs, built on first use (a report request never needs them)."""
    from recovery.services.anomalies import build_anomaly_run
    from recovery.services.digest import build_digest_run

    return {"anomalies": build_anomaly_run().run, "digest": build_digest_run().run}


def _run_job(name: Any) -> dict[str, Any]:
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


def _gate(event: dict[str, Any]) -> None:
    """POST /v1/markers has no JWT: a deploy pipeline calls it with the admin key."""
    headers = http.lower_headers(event)
    http.require_json(event, headers)
    key = keys.bearer(headers.get("authorization"))
    if key is None or not keys.matches(key, admin_keys.hashes()):
        raise http.Refused(
            401, "Unauthorized", "missing or unknown admin key", {"WWW-Authenticate": "Bearer"}
        )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "job" in event:
        return _run_job(event["job"])
    if str(event.get("routeKey", "")).startswith("POST "):
        try:
            _gate(event)
        except http.Refused as refused:
            return http.as_event_response(
                http.problem(refused.status, refused.title, refused.detail, headers=refused.headers)
            )
    return app.resolve(event, context)
