"""`GET /v1/reports/{report}` for leads (JWT): their own team's, an admin's of any team or of all. JSON,
or CSV with `Accept: text/csv`. The period is local dates in the team's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from services import config, history, markers, reports

from recovery import clock
from recovery.domain import cases as rules
from recovery.domain.routing import Config
from recovery.observability import logger, metrics
from recovery.services.reports import (
    ALL,
    BY,
    CONTROL_DIMENSIONS,
    DEFAULT_DAYS,
    INTERVALS,
    MAX_DAYS,
    Group,
    to_csv,
)
from recovery.store.history import STEPS, WHEN, CaseFilter, parse_score
from recovery.web import auth, http, requests
from recovery.web.case_views import summary as case_summary

router = Router()

REPORTS = ("summary", "trend", "dashboard", "cases", "anomalies", "markers")
TEXT_FILTERS = ("agent", "tag", "channel", "source", "cause")
GROUP_VALUE = 200  # characters of a tag or agent a control-chart group may name


@router.get("/v1/reports/<report>")
def report(report: str) -> Response[str]:
    if report not in REPORTS:
        return http.problem(404, "Not found", f"no report {report!r}; use {', '.join(REPORTS)}")
    query = requests.Query(router.current_event)
    team = _team(rules.lead_from_claims(auth.claims(router.current_event), _config()), query.get("team"))
    zone = reports.scope(team).timezone
    date_from, date_to = _period(query, zone)
    if report == "summary":
        document = reports.summary(team, date_from, date_to, query.choice("by", BY))
    elif report == "trend":
        interval = query.choice("interval", INTERVALS) or "day"
        document = reports.trend(team, date_from, date_to, interval)  # type: ignore[arg-type]
    elif report == "dashboard":
        document = reports.dashboard(team, date_from, date_to, _group(query))
    elif report == "cases":
        document = _cases(team, zone, date_from, date_to, query)
    elif report == "anomalies":
        document = {"team": team, "anomalies": reports.open_anomalies(team)}
    else:
        listed = markers.between(*_instants(date_from, date_to, zone))
        document = {"from": date_from.isoformat(), "to": date_to.isoformat(), "markers": listed}
    metrics.add_metric(name="ReportsServed", unit=MetricUnit.Count, value=1)
    logger.info("report served", extra={"report": report, "team": team, "items_read": reports.items_read})
    if requests.accepts(router.current_event, "text/csv"):
        headers = {**http.NO_STORE, "Content-Disposition": f'attachment; filename="{report}.csv"'}
        return Response(200, "text/csv; charset=utf-8", to_csv(document), headers=headers)
    return http.json_response(200, document)


def _cases(team: str, zone: str, date_from: date, date_to: date, query: requests.Query) -> dict[str, Any]:
    """The drill-down: the cases behind a chart, filtered like the chart's group."""
    if team == ALL:
        raise http.invalid("/team", "the drill-down reads one team's cases: name it with team=")
    texts: dict[str, Any] = {name: value for name in TEXT_FILTERS if (value := query.get(name))}
    where = CaseFilter(
        **texts,
        hour=query.whole("hour", 23),
        weekday=query.whole("weekday", 6),
        step=query.choice("step", STEPS),
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


def _group(query: requests.Query) -> Group | None:
    """`group=<tag|agent>:<value>`: whose control chart the dashboard draws (default the team's)."""
    text = query.get("group")
    if text is None:
        return None
    dimension, _, value = text.partition(":")
    fits = 0 < len(value) <= GROUP_VALUE and value.isprintable()
    if dimension not in CONTROL_DIMENSIONS or not fits:
        raise http.invalid(
            "/group", f"group must be tag:<tag> or agent:<agent>, at most {GROUP_VALUE} characters"
        )
    return Group(dimension, value)


def _score(query: requests.Query) -> dict[str, Any]:
    """`score=<type>:<value>` with `when=before|after`: the cases with that rating."""
    text, when = query.get("score"), query.get("when")
    if text is None:
        if when is not None:
            raise http.invalid("/when", "when goes with score=")
        return {}
    try:
        score = parse_score(text)
    except ValueError:
        detail = "score must be <type>:<value>, e.g. nps:9, thumbs:up or custom:0.3, within the type's scale"
        raise http.invalid("/score", detail) from None
    if when not in WHEN:
        raise http.invalid("/when", "when must be before or after (the original or the follow-up rating)")
    return {"score": score, "when": when}


def _config() -> Config | None:
    try:
        return config.get()
    except LookupError:
        return None


def _team(lead: rules.Lead, asked: str | None) -> str:
    """The team a lead may read: their own (403 for another); an admin any team, or "all"."""
    found = _config()
    known = [team.id for team in found.teams] if found else []
    # The teams a lead reads, as the cases API lists them: an admin every configured team.
    visible = known if lead.admin else sorted(team for team in lead.teams if team in known or not known)
    if asked is None:
        if lead.admin:
            return ALL
        if len(visible) != 1:
            detail = "name a team with team=: you lead " + (", ".join(visible) if visible else "no team")
            raise http.invalid("/team", detail)
        return visible[0]
    if asked == ALL and not lead.admin:
        raise http.Problem(403, "Forbidden", "only admins read every team")
    if asked != ALL and not lead.may_see(asked):
        raise http.Problem(403, "Forbidden", f"you are not a lead of team {asked!r}")
    return asked


def _period(query: requests.Query, zone: str) -> tuple[date, date]:
    """`from` and `to`, local dates in the team's zone; by default the 30 days ending today."""
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    date_to = query.date("to") or today
    date_from = query.date("from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_to < date_from:
        raise http.invalid("/to", "to is before from")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise http.invalid("/from", f"a report covers at most {MAX_DAYS} days")
    return date_from, date_to


def _instants(date_from: date, date_to: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants the local dates begin and end (end exclusive)."""
    place = ZoneInfo(zone)
    start = datetime.combine(date_from, time(0), tzinfo=place).astimezone(UTC)
    return start, datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=place).astimezone(UTC)
