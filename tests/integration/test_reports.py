"""Reports over a known history: feedback through the real intake, cases alerted, worked and resolved
through the real alerts and cases API, follow-ups sent and answered through the real run and page, and
the stream function over the table's stream records. Every metric is then checked against a value
computed in this file from the seeded plan, never from the counters."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recovery import clock
from recovery.domain.metrics import histogram, percentile, percentile_bucket
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.customer_contact import CustomerMessenger
from recovery.services.follow_up import FollowUps
from recovery.services.stream_processor import StreamProcessor
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.follow_up import FollowUpStore
from recovery.store.links import LinkStore
from tests.integration.conftest import Api, Clock
from tests.integration.test_cases import ADMIN, KARI, YUKI, CasesApi
from tests.integration.test_followups import address_hash, call_page
from tests.integration.test_stream import RecordingBus
from tests.support import Context, Stack, StreamReader, event, load_function

OSLO = ZoneInfo("Europe/Oslo")
PERIOD = "from=2026-11-22&to=2026-11-23"


@dataclass
class Planned:
    """One feedback of the seeded history and what is done with it."""

    name: str
    score: int
    occurred_at: str
    agent: str | None
    channel: str | None
    tags: list[str] = field(default_factory=list)
    team: str = "support-emea"
    customer: str | None = None  # defaults to one of its own
    alert_after: int | None = None  # seconds from intake to the alert
    ack_after: int | None = None  # seconds from intake to the acknowledgement
    breach: bool = False  # left past every escalation level before it is acknowledged
    compensation: tuple[str, str, str] | None = None  # (type, amount, currency)
    resolve_after: int | None = None  # seconds from intake to the resolve
    cause: str | None = None
    answer: int | None = None  # the follow-up answer; None: no response
    value: tuple[str, str] | None = None  # the customer's value (amount, currency)
    case_id: str | None = None
    opened_at: datetime | None = None

    @property
    def negative(self) -> bool:
        return self.score <= 6


PLAN = [
    Planned("p1", 9, "2026-11-23T07:10:00Z", "mark", "chat", value=("999", "EUR")),  # positive: not at risk
    Planned("p2", 10, "2026-11-23T08:10:00Z", "anna", "email", ["billing"]),
    Planned("p3", 9, "2026-11-22T15:10:00Z", "anna", "email"),
    Planned("p4", 10, "2026-11-23T09:10:00Z", None, None),
    Planned("p5", 9, "2026-11-23T09:20:00Z", "yuki-agent", "chat", team="support-apac"),
    Planned(
        "n1", 3, "2026-11-23T07:05:00Z", "mark", "chat", ["wait-time"], customer="c-ada",
        alert_after=10, ack_after=300, compensation=("refund", "20.00", "EUR"),
        resolve_after=7200, cause="wait_time", answer=9, value=("1200.50", "EUR"),
    ),
    Planned(
        "n2", 3, "2026-11-23T07:30:00Z", "mark", "chat", ["wait-time", "billing"],
        alert_after=45, ack_after=3300, breach=True, compensation=("gift", "200.00", "NOK"),
        resolve_after=10800, cause="billing", answer=5, value=("50000", "NOK"),
    ),
    Planned(
        "n3", 3, "2026-11-23T08:05:00Z", "anna", "email", ["billing"],
        alert_after=90, ack_after=600, compensation=("discount", "10.00", "EUR"),
        resolve_after=5400, cause="billing", answer=2,
    ),
    Planned(
        "n4", 3, "2026-11-22T15:05:00Z", "anna", "email",
        alert_after=10, ack_after=300, resolve_after=30 * 3600, cause="wait_time",
    ),
    Planned(
        "n5", 3, "2026-11-23T09:05:00Z", "mark", "chat", ["wait-time"], customer="c-ada", alert_after=20,
        value=("1200.50", "EUR"),
    ),
]  # fmt: skip
OUTCOMES = {9: "recovered", 5: "improved", 2: "not_recovered"}  # from a 3, as the follow-up page judges


class ReportsApi(CasesApi):
    def report(
        self, name: str, query: str = PERIOD, accept: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        headers = {"accept": accept} if accept else {}
        return self.call("GET", f"/v1/reports/{name}", headers=headers, query=query)


@pytest.fixture
def seeded(
    stack: Stack, api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> Iterator[ReportsApi]:
    cases = load_function("cases")
    cases.cases._sender = sender
    cases.cases._sleep = lambda _: None
    cases.cases._messenger._sender = sender
    cases.cases._messenger._sleep = lambda _: None
    lead = CasesApi(cases)
    for planned in PLAN:
        _seed(planned, api, alerts, lead, virtual_clock)
    _follow_up(sender, virtual_clock)
    stream = load_function("stream")
    stream.processor = StreamProcessor(stream.processor._counters, RecordingBus())
    records = StreamReader(stack.table).read()
    for start in range(0, len(records), 100):
        stream.lambda_handler({"Records": records[start : start + 100]}, Context())
    yield ReportsApi(load_function("reports"), KARI)


def _seed(planned: Planned, api: Api, alerts: Alerts, lead: CasesApi, virtual_clock: Clock) -> None:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body.update(
        external_id=f"resp-{planned.name}",
        occurred_at=planned.occurred_at,
        score={"type": "nps", "value": planned.score},
        tags=planned.tags,
    )
    body["customer"] = {
        "id": planned.customer or f"c-{planned.name}",
        "email": f"{planned.customer or planned.name}@example.com",
        "locale": "en-GB",
        "timezone": "Europe/London",
    }
    if planned.value:
        body["customer"]["value"] = {"amount": planned.value[0], "currency": planned.value[1]}
    body["interaction"] = {"id": f"t-{planned.name}", "team": planned.team}
    if planned.agent:
        body["interaction"]["agent"] = planned.agent
    if planned.channel:
        body["interaction"]["channel"] = planned.channel
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201, answer
    if not planned.negative:
        return
    planned.case_id, planned.opened_at = str(answer["case_id"]), clock.now()
    virtual_clock.advance(seconds=planned.alert_after or 0)
    assert alerts.alert(planned.case_id).sent > 0
    if planned.ack_after is None:
        return
    if planned.breach:  # one sweep per ack window: level 2, level 3, then breached
        for _ in range(3):
            virtual_clock.now = planned.opened_at + (virtual_clock.now - planned.opened_at)
            virtual_clock.advance(minutes=15)
            alerts.sweep(clock.now())
    virtual_clock.now = planned.opened_at
    virtual_clock.advance(seconds=planned.ack_after)
    etag = lead.get(planned.case_id)[1]
    status, headers, answer = lead.post(planned.case_id, "ack", None, etag)
    assert status == 200, answer
    etag = headers["etag"]
    if planned.compensation:
        kind, amount, currency = planned.compensation
        action = {
            "type": "compensation",
            "compensation": {"type": kind, "amount": amount, "currency": currency},
        }
        status, headers, answer = lead.post(planned.case_id, "actions", action, etag)
        assert status == 200, answer
        etag = headers["etag"]
    virtual_clock.now = planned.opened_at
    virtual_clock.advance(seconds=planned.resolve_after or 0)
    resolve = {"root_cause": planned.cause, "summary": "sorted"}
    status, _, answer = lead.post(planned.case_id, "resolve", resolve, etag)
    assert status == 200, answer


def _follow_up(sender: RecordingSender, virtual_clock: Clock) -> None:
    """Run the follow-ups every 6 hours until all are sent, answer the planned ones, then let the
    answer window of the rest close."""
    links = LinkStore()
    messenger = CustomerMessenger(
        AlertStore(), links, sender, address_hash, "http://127.0.0.1:3000", sleep=lambda _: None
    )
    runner = FollowUps(
        FollowUpStore(),
        CachedConfig(ConfigStore()),
        links,
        messenger,
        "http://127.0.0.1:3000",
        lambda *_: None,
    )
    page = load_function("follow_up_page")
    for _ in range(24):
        virtual_clock.advance(hours=6)
        runner.run(clock.now())
    codes = {
        message.tags.get("case_id"): message.text.split("/f/")[1].split()[0].strip()
        for message in sender.sent
        if message.tags.get("kind") == "followup"
    }
    for planned in PLAN:
        if planned.answer is not None:
            status, _ = call_page(
                page, "POST", codes[planned.case_id], {"score": str(planned.answer), "satisfied": "yes"}
            )
            assert status == 200
    for _ in range(12):
        virtual_clock.advance(days=1)
        runner.run(clock.now())


# ------------------------------------------------------------------------------------- expected values
def team_plan(team: str = "support-emea") -> list[Planned]:
    return [planned for planned in PLAN if planned.team == team]


def expected(plan: list[Planned]) -> dict[str, Any]:
    """Every metric, from the plan alone."""
    negatives = [p for p in plan if p.negative]
    alerted = [p.alert_after for p in negatives if p.alert_after is not None]
    acked = [p for p in negatives if p.ack_after is not None]
    resolved = [p for p in negatives if p.resolve_after is not None]
    answered = [p for p in resolved if p.answer is not None]
    recovered = [p for p in answered if OUTCOMES[p.answer or 0] == "recovered"]
    totals: dict[str, dict[str, Decimal]] = {}
    for p in negatives:
        if p.compensation:
            kind, amount, currency = p.compensation
            totals.setdefault(currency, {}).setdefault(kind, Decimal(0))
            totals[currency][kind] += Decimal(amount)
    customers = [p.customer or p.name for p in negatives]

    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    return {
        "volume": len(plan),
        "negatives": len(negatives),
        "negative_rate": share(len(negatives), len(plan)),
        "cases": len(negatives),
        "repeats": len(customers) - len(set(customers)),
        "repeat_rate": share(len(customers) - len(set(customers)), len(negatives)),
        "alerted": len(alerted),
        "alerted_within_1m": share(sum(1 for s in alerted if s <= 60), len(alerted)),
        "alert_p50_s": percentile(histogram(alerted), 0.5),
        "alert_p90_s": percentile(histogram(alerted), 0.9),
        "alert_p90_bucket": bucket(histogram(alerted)),
        "acked": len(acked),
        "ack_p50_s": percentile(histogram([p.ack_after or 0 for p in acked]), 0.5),
        "ack_p90_s": percentile(histogram([p.ack_after or 0 for p in acked]), 0.9),
        "ack_p90_bucket": bucket(histogram([p.ack_after or 0 for p in acked])),
        "ack_in_sla_rate": share(sum(1 for p in acked if not p.breach), len(acked)),
        "resolved": len(resolved),
        "resolve_p50_s": percentile(histogram([p.resolve_after or 0 for p in resolved]), 0.5),
        "resolve_p90_s": percentile(histogram([p.resolve_after or 0 for p in resolved]), 0.9),
        "resolve_p90_bucket": bucket(histogram([p.resolve_after or 0 for p in resolved])),
        "resolve_in_sla_rate": share(
            sum(1 for p in resolved if (p.resolve_after or 0) <= 24 * 3600), len(resolved)
        ),
        # Kari, a lead, is always on duty: support-emea's business hours are the wall clock here (both
        # clocks apart: tests/integration/test_reports_closing.py)
        "closed": len(resolved),
        "closed_in_target_rate": share(
            sum(1 for p in resolved if (p.resolve_after or 0) <= 48 * 3600), len(resolved)
        ),
        "closed_in_target_business_rate": share(
            sum(1 for p in resolved if (p.resolve_after or 0) <= 48 * 3600), len(resolved)
        ),
        "followup_sent": len(resolved),
        "answered": len(answered),
        "followup_response_rate": share(len(answered), len(resolved)),
        "recovered": len(recovered),
        "improved": sum(1 for p in answered if OUTCOMES[p.answer or 0] == "improved"),
        "not_recovered": sum(1 for p in answered if OUTCOMES[p.answer or 0] == "not_recovered"),
        "no_response": len(resolved) - len(answered),
        "recovery_rate": share(len(recovered), len(answered)),
        "score_before_mean": {"nps": sum(p.score for p in answered) / len(answered)} if answered else {},
        "score_after_mean": {"nps": sum(p.answer or 0 for p in answered) / len(answered)} if answered else {},
        "nps_before_recovered": _nps([p.score for p in recovered]),
        "nps_after_recovered": _nps([p.answer or 0 for p in recovered]),
        "compensation": {
            currency: {
                "total": f"{sum(kinds.values()):.2f}",
                "by_type": {kind: f"{value:.2f}" for kind, value in sorted(kinds.items())},
            }
            for currency, kinds in sorted(totals.items())
        },
        "cost_per_recovered": {
            currency: f"{sum(kinds.values()) / len(recovered):.2f}" if recovered else None
            for currency, kinds in sorted(totals.items())
        },
        "value": value_at_stake(negatives, recovered, totals),
    }


def value_at_stake(
    negatives: list[Planned], recovered: list[Planned], compensation: dict[str, dict[str, Decimal]]
) -> dict[str, dict[str, str]]:
    """Per currency: every case's customer value (repeat failures too), that of the recovered, the
    compensation given and net = retained - compensation."""
    sums: dict[str, dict[str, Decimal]] = {}
    for group, cases in (("at_risk", negatives), ("retained", recovered)):
        for p in cases:
            if p.value:
                entry = sums.setdefault(p.value[1], {})
                entry[group] = entry.get(group, Decimal(0)) + Decimal(p.value[0])
    seen: set[str] = set()
    for p in negatives:
        customer = p.customer or p.name
        if p.value and customer in seen:
            entry = sums.setdefault(p.value[1], {})
            entry["at_risk_repeat"] = entry.get("at_risk_repeat", Decimal(0)) + Decimal(p.value[0])
        seen.add(customer)
    for currency, kinds in compensation.items():
        sums.setdefault(currency, {})["compensation"] = sum(kinds.values(), Decimal(0))
    zero = Decimal(0)
    return {
        currency: {
            "at_risk": f"{found.get('at_risk', zero):.2f}",
            "retained": f"{found.get('retained', zero):.2f}",
            "compensation": f"{found.get('compensation', zero):.2f}",
            "net": f"{found.get('retained', zero) - found.get('compensation', zero):.2f}",
            "at_risk_repeat": f"{found.get('at_risk_repeat', zero):.2f}",
        }
        for currency, found in sorted(sums.items())
    }


def bucket(durations: dict[float, int]) -> dict[str, float | None] | None:
    """The histogram bucket holding the p90, as reports name it."""
    found = percentile_bucket(durations, 0.9)
    return None if found is None else {"from_s": found.lower, "to_s": found.upper}


def _nps(scores: list[int]) -> float | None:
    if not scores:
        return None
    return 100 * (sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6)) / len(scores)


def local(planned: Planned) -> datetime:
    return datetime.fromisoformat(planned.occurred_at.replace("Z", "+00:00")).astimezone(OSLO)


def same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for name, value in want.items():
        assert got[name] == (pytest.approx(value) if isinstance(value, float) else value), name


# ------------------------------------------------------------------------------------------------ tests
def test_every_metric_equals_the_seeded_history(seeded: ReportsApi) -> None:
    # WHEN Kari reads her team's summary over the two days
    status, _, summary = seeded.report("summary")
    # THEN every metric equals the value computed from the plan
    assert status == 200, summary
    assert (summary["team"], summary["timezone"]) == ("support-emea", "Europe/Oslo")
    want = expected(team_plan())
    assert set(summary["metrics"]) == set(want)
    same(summary["metrics"], want)
    # and the plan is not trivial: each kind of figure has something in it
    assert want["repeats"] == 1 and want["no_response"] == 1 and len(want["compensation"]) == 2
    assert 0 < want["ack_in_sla_rate"] < 1 and 0 < want["resolve_in_sla_rate"] < 1


def test_breakdowns_equal_the_seeded_history(seeded: ReportsApi) -> None:
    for by in ("agent", "tag", "channel", "cause"):
        _check_breakdown(seeded, by)
    for by in ("hour", "weekday"):
        status, _, summary = seeded.report("summary", f"{PERIOD}&by={by}")
        assert status == 200, summary
        for group in summary["groups"]:
            plan = [
                p
                for p in team_plan()
                if (local(p).hour if by == "hour" else local(p).weekday()) == group["value"]
            ]
            same(group["metrics"], {name: expected(plan)[name] for name in ("volume", "negatives", "acked")})
        assert sum(group["metrics"]["volume"] for group in summary["groups"]) == len(team_plan())


def _local_group(planned: Planned, by: str) -> int:
    return local(planned).hour if by == "hour" else local(planned).weekday()


def _check_breakdown(seeded: ReportsApi, by: str) -> None:
    status, _, summary = seeded.report("summary", f"{PERIOD}&by={by}")
    assert status == 200, summary

    def members(planned: Planned) -> list[str]:
        if by == "tag":
            return planned.tags
        if by == "cause":
            return [planned.cause] if planned.cause and planned.resolve_after is not None else []
        return [getattr(planned, by) or "none"]

    values = sorted({value for planned in team_plan() for value in members(planned)})
    assert [group["value"] for group in summary["groups"]] == values, by
    for group in summary["groups"]:
        want = expected([planned for planned in team_plan() if group["value"] in members(planned)])
        same(
            group["metrics"],
            {name: want[name] for name in ("acked", "resolved", "recovered", "recovery_rate")},
        )
        if by != "cause":  # a cause is known only once a case is resolved: it has no feedback figures
            same(group["metrics"], {name: want[name] for name in ("volume", "negatives", "negative_rate")})
            # compensation per type is counted for the whole team and per comptype group only
            totals = {
                currency: entry["total"] for currency, entry in group["metrics"]["compensation"].items()
            }
            assert totals == {currency: entry["total"] for currency, entry in want["compensation"].items()}


def test_dashboard_funnel_pareto_and_heatmap(seeded: ReportsApi) -> None:
    status, _, board = seeded.report("dashboard")
    assert status == 200, board
    want = expected(team_plan())
    assert [step["count"] for step in board["funnel"]] == [
        want[name]
        for name in ("negatives", "alerted", "acked", "resolved", "followup_sent", "answered", "recovered")
    ]
    causes = [p.cause for p in team_plan() if p.resolve_after is not None]
    assert [(row["cause"], row["count"]) for row in board["causes"]] == sorted(
        {(cause, causes.count(cause)) for cause in causes}, key=lambda row: (-row[1], row[0])
    )
    cells = {
        (cell["weekday"], cell["hour"]): cell["negatives"] for cell in board["heatmap"] if cell["negatives"]
    }
    planned = {}
    for p in team_plan():
        if p.negative:
            key = (local(p).weekday(), local(p).hour)
            planned[key] = planned.get(key, 0) + 1
    assert cells == planned
    assert board["headline"]["volume"] == {
        "value": want["volume"],
        "previous": 0,
        "change": want["volume"],
        "relative": None,
    }


def test_drill_down_returns_exactly_the_cases_behind_a_cell(seeded: ReportsApi) -> None:
    # WHEN Kari drills into Mark's 08:00 (Oslo) cases
    status, _, found = seeded.report("cases", f"{PERIOD}&agent=mark&hour=8")
    # THEN she gets exactly the seeded ones
    assert status == 200, found
    want = {p.case_id for p in team_plan() if p.negative and p.agent == "mark" and local(p).hour == 8}
    assert {case["id"] for case in found["cases"]} == want and len(want) == 2
    assert found["next_cursor"] is None and found["items_read"] == sum(1 for p in team_plan() if p.negative)
    # and a funnel step narrows it further
    status, _, found = seeded.report("cases", f"{PERIOD}&step=recovered")
    assert {case["id"] for case in found["cases"]} == {p.case_id for p in PLAN if p.answer == 9}
    # and a cursor made for another team is refused
    status, _, problem = seeded.report("cases", f"{PERIOD}&cursor=eyJ0ZWFtIjoieCJ9")
    assert status == 400 and problem["errors"][0]["pointer"] == "/cursor"


def test_a_lead_sees_only_their_team_and_an_admin_all(seeded: ReportsApi) -> None:
    # GIVEN Yuki leads APAC: EMEA's report is forbidden to her
    status, _, problem = ReportsApi(seeded.module, YUKI).report("summary", f"{PERIOD}&team=support-emea")
    assert status == 403 and "support-emea" in problem["detail"]
    assert seeded.report("summary", f"{PERIOD}&team=all")[0] == 403
    # and her own default team is APAC
    status, _, own = ReportsApi(seeded.module, YUKI).report("summary")
    assert status == 200 and own["team"] == "support-apac"
    same(own["metrics"], {"volume": len(team_plan("support-apac"))})
    # WHEN an admin asks for every team THEN the sum is in UTC
    status, _, everything = ReportsApi(seeded.module, ADMIN).report("summary", f"{PERIOD}&team=all")
    assert status == 200 and (everything["team"], everything["timezone"]) == ("all", "UTC")
    assert everything["metrics"]["volume"] == len(PLAN)


def test_csv_and_bad_parameters(seeded: ReportsApi) -> None:
    status, headers, text = seeded.report("summary", f"{PERIOD}&by=agent", accept="text/csv")
    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["value"]: int(row["volume"]) for row in rows} == {"anna": 4, "mark": 4, "none": 1}
    for report, query, pointer in (
        ("summary", "from=2026-13-01", "/from"),
        ("summary", "from=2026-11-23&to=2026-11-01", "/to"),
        ("dashboard", "from=2024-01-01&to=2026-11-23", "/from"),
        ("summary", f"{PERIOD}&by=planet", "/by"),
        ("trend", f"{PERIOD}&interval=year", "/interval"),
        ("cases", f"{PERIOD}&hour=24", "/hour"),
        ("cases", f"{PERIOD}&step=delighted", "/step"),
    ):
        status, headers, problem = seeded.report(report, query)
        assert status == 400 and headers["content-type"] == "application/problem+json", query
        assert problem["errors"][0]["pointer"] == pointer, query
    assert seeded.report("nonsense")[0] == 404
    # a trend by day holds each local day
    status, _, trend = seeded.report("trend", f"{PERIOD}&interval=day")
    assert status == 200, trend
    days = {p["period"]: p["metrics"]["volume"] for p in trend["points"]}
    assert days == {
        day: sum(1 for p in team_plan() if local(p).date().isoformat() == day)
        for day in ("2026-11-22", "2026-11-23")
    }
    # and nobody signed in gets 401
    status, _, problem = ReportsApi(seeded.module, None).report("summary")
    assert status == 401 and problem["status"] == 401


def test_an_admin_breaks_every_team_down_by_team(seeded: ReportsApi) -> None:
    # WHEN an admin asks for every team, by team
    status, _, found = ReportsApi(seeded.module, ADMIN).report("summary", f"{PERIOD}&team=all&by=team")
    # THEN each team's metrics equal its own seeded history
    assert status == 200, found
    assert [group["value"] for group in found["groups"]] == ["smoke", "support-apac", "support-emea"]
    for group in found["groups"]:
        same(group["metrics"], expected(team_plan(group["value"])))


def test_a_groups_control_chart_and_causes_by_category(seeded: ReportsApi) -> None:
    # WHEN the dashboard is asked for the control chart of the tag "wait-time"
    status, _, board = seeded.report("dashboard", f"{PERIOD}&group=tag:wait-time")
    assert status == 200, board
    # THEN its daily points count only that tag's feedback
    tagged = [p for p in team_plan() if "wait-time" in p.tags]
    points = board["control"]["points"]
    assert board["control"]["group"] == {"dimension": "tag", "value": "wait-time"}
    assert {p["day"]: (p["volume"], p["negatives"]) for p in points} == {
        day: (
            sum(1 for p in tagged if local(p).date().isoformat() == day),
            sum(1 for p in tagged if p.negative and local(p).date().isoformat() == day),
        )
        for day in ("2026-11-22", "2026-11-23")
    }
    # AND the groups to pick from are the team's tags and agents
    agents = {p.agent or "none" for p in team_plan()}
    tags = {tag for p in team_plan() for tag in p.tags}
    assert board["control_groups"] == sorted(
        [{"dimension": "agent", "value": a} for a in agents]
        + [{"dimension": "tag", "value": t} for t in tags],
        key=lambda group: (group["dimension"], group["value"]),
    )
    # AND the root causes (wait time, billing) are both in the "process" category
    causes: dict[str, int] = {}
    for p in team_plan():
        if p.cause and p.resolve_after is not None:
            causes[p.cause] = causes.get(p.cause, 0) + 1
    assert board["causes_by_category"] == [
        {
            "category": "process",
            "count": sum(causes.values()),
            "causes": [
                {"cause": c, "count": n} for c, n in sorted(causes.items(), key=lambda i: (-i[1], i[0]))
            ],
        }
    ]


def test_drill_down_by_score_lists_the_cases_with_that_rating(seeded: ReportsApi) -> None:
    answered = [p for p in team_plan() if p.answer is not None]
    for score, when, want in (
        ("nps:3", "before", {p.case_id for p in answered if p.score == 3}),
        ("nps:9", "after", {p.case_id for p in answered if p.answer == 9}),
        ("nps:5", "after", {p.case_id for p in answered if p.answer == 5}),
        ("nps:7", "after", set()),
    ):
        # WHEN a lead clicks a score bar
        status, _, found = seeded.report("cases", f"{PERIOD}&score={score}&when={when}")
        # THEN exactly the answered cases with that rating are listed
        assert status == 200, found
        assert {case["id"] for case in found["cases"]} == want, (score, when)
    assert len({p.case_id for p in answered if p.score == 3}) == 3


def test_bad_group_score_and_when_name_the_parameter(seeded: ReportsApi) -> None:
    for report, query, pointer in (
        ("dashboard", f"{PERIOD}&group=planet:mars", "/group"),
        ("dashboard", f"{PERIOD}&group=tag:", "/group"),
        ("dashboard", f"{PERIOD}&group=" + "tag:" + "x" * 201, "/group"),
        ("cases", f"{PERIOD}&score=nps:11&when=after", "/score"),
        ("cases", f"{PERIOD}&score=stars:up&when=after", "/score"),
        ("cases", f"{PERIOD}&score=nps:9", "/when"),
        ("cases", f"{PERIOD}&score=nps:9&when=later", "/when"),
        ("cases", f"{PERIOD}&when=after", "/when"),
    ):
        status, headers, problem = seeded.report(report, query)
        assert status == 400 and headers["content-type"] == "application/problem+json", query
        assert problem["errors"][0]["pointer"] == pointer, query


def test_value_at_stake_sums_by_currency(seeded: ReportsApi) -> None:
    # WHEN Kari reads her team's summary
    status, _, summary = seeded.report("summary")
    assert status == 200, summary
    # THEN per currency: every case's customer value (c-ada's repeat failure again), the recovered
    # customer's, the compensation given, and net; the positive's value is not at stake
    want = expected(team_plan())["value"]
    assert summary["value"] == summary["metrics"]["value"] == want
    assert want == {
        "EUR": {
            "at_risk": "2401.00",
            "retained": "1200.50",
            "compensation": "30.00",
            "net": "1170.50",
            "at_risk_repeat": "1200.50",
        },
        "NOK": {
            "at_risk": "50000.00",
            "retained": "0.00",
            "compensation": "200.00",
            "net": "-200.00",
            "at_risk_repeat": "0.00",
        },
    }
    # and the dashboard shows the same beside its funnel, and the CSV export flattens it per agent
    assert seeded.report("dashboard")[2]["value"] == want
    _, _, text = seeded.report("summary", f"{PERIOD}&by=agent", accept="text/csv")
    mark = next(row for row in csv.DictReader(io.StringIO(text)) if row["value"] == "mark")
    assert (mark["value.EUR.at_risk"], mark["value.EUR.retained"], mark["value.NOK.net"]) == (
        "2401.00",
        "1200.50",
        "-200.00",
    )
