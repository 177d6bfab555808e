"""The cases API on moto: the cases handler in-process, with API Gateway v2 events carrying the JWT
claims the authorizer passes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest

from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts
from recovery.store.models import CaseEventItem, CaseItem
from tests.integration.conftest import Api, table_items
from tests.integration.test_alerts import open_case
from tests.support import Context, Stack, event, load_function

KARI = {
    "sub": "s-kari",
    "email": "kari@example.com",
    "cognito:username": "kari@example.com",
    "cognito:groups": "[team-support-emea]",
}
YUKI = {
    "sub": "s-yuki",
    "email": "yuki@example.com",
    "cognito:username": "yuki",
    "cognito:groups": "[team-support-apac]",
}
ADMIN = {"sub": "s-admin", "cognito:username": "boss", "cognito:groups": "[admin]"}


class CasesApi:
    def __init__(self, module: ModuleType, claims: dict[str, Any] | None = KARI) -> None:
        self.module = module
        self.claims = claims
        self.tick: Any = lambda: None  # moves the virtual clock between changes, if a test wants

    def as_user(self, claims: dict[str, Any] | None) -> CasesApi:
        return CasesApi(self.module, claims)

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, query: str = ""
    ) -> tuple[int, dict[str, str], Any]:
        request = event("cases_get_case.json")
        request["routeKey"] = f"{method} {path}"
        request["rawPath"] = path
        request["rawQueryString"] = query
        request["queryStringParameters"] = (
            dict(part.split("=", 1) for part in query.split("&") if "=" in part) or None
        )
        request["requestContext"]["http"].update(method=method, path=path)
        request["requestContext"]["authorizer"] = (
            {"jwt": {"claims": self.claims, "scopes": None}} if self.claims else {}
        )
        request["headers"] = {"content-type": "application/json", **(headers or {})}
        request["body"] = json.dumps(body) if body is not None and not isinstance(body, str) else body
        request["pathParameters"] = None
        response = self.module.lambda_handler(request, Context())
        answer_headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        payload = response.get("body")
        if answer_headers.get("content-type", "").endswith("json") and payload:
            payload = json.loads(payload)
        return response["statusCode"], answer_headers, payload

    def get(self, case_id: str) -> tuple[int, str, Any]:
        status, headers, body = self.call("GET", f"/v1/cases/{case_id}")
        return status, headers.get("etag", ""), body

    def post(
        self, case_id: str, operation: str, body: Any, etag: str | None
    ) -> tuple[int, dict[str, str], Any]:
        self.tick()
        headers = {"if-match": etag} if etag is not None else {}
        return self.call("POST", f"/v1/cases/{case_id}/{operation}", body, headers)


@pytest.fixture
def cases_api(stack: Stack, alerts: Alerts, sender: RecordingSender) -> Iterator[CasesApi]:
    # `alerts` seeds the demo teams and routing; the cases function reads them.
    module = load_function("cases")
    module.cases._sender = sender  # SES and SNS stand-in, as for the alerts
    module.cases._sleep = lambda _: None
    module.cases._messenger._sender = sender
    module.cases._messenger._sleep = lambda _: None
    yield CasesApi(module)


@pytest.fixture
def routed_case(api: Api, alerts: Alerts) -> str:
    case_id = open_case(api)
    assert alerts.alert(case_id).sent > 0  # routed to support-emea and alerted: in the team's queue
    return case_id


def kinds(case_id: str) -> list[str]:
    return [item.kind for item in CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))]


def test_queue_lists_the_teams_open_cases_by_priority(cases_api: CasesApi, api: Api, alerts: Alerts) -> None:
    # GIVEN three routed cases of support-emea
    ids = [open_case(api, external_id=f"resp_{n}") for n in range(3)]
    for case_id in ids:
        alerts.alert(case_id)
    # WHEN Kari lists the open queue two at a time
    status, _, first = cases_api.call("GET", "/v1/cases", query="status=open&limit=2")
    assert status == 200, first
    status, _, second = cases_api.call(
        "GET", "/v1/cases", query=f"status=open&limit=2&cursor={first['next_cursor']}"
    )
    # THEN she sees all three once, ordered by priority then deadline, each with its countdown
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert sorted(listed) == sorted(ids) and len(listed) == 3
    keys = [(item["priority"], item["deadline"]) for item in first["items"] + second["items"]]
    assert keys == sorted(keys)
    assert second["next_cursor"] is None
    assert all(item["seconds_left"] > 0 for item in first["items"])


def test_queue_is_a_query_not_a_scan(cases_api: CasesApi, routed_case: str) -> None:
    from recovery.store import models

    calls: list[str] = []
    client = models.dynamodb_client()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    cases_api.call("GET", "/v1/cases", query="status=open")
    assert "Query" in calls and "Scan" not in calls


LONG = (
    "Ventet i 40 minutter i telefonkø, ble satt over tre ganger og til slutt lagt på uten at noen "
    "svarte på spørsmålet mitt om fakturaen"
)


def test_queue_items_say_who_and_what(cases_api: CasesApi, api: Api, alerts: Alerts) -> None:
    # GIVEN Ada's case (named, NPS 3), an unnamed customer's by email (stars 1, a long comment),
    # and an unnamed customer's with only a phone (thumbs down, no comment)
    named = open_case(api, external_id="resp_named")
    by_email = open_case(
        api,
        external_id="resp_mail",
        customer={"id": "c-77", "email": "ola.nordmann@example.com"},
        score={"type": "stars", "value": 1},
        comment=LONG,
    )
    by_phone = open_case(
        api,
        external_id="resp_phone",
        customer={"phone": "+4798765432"},
        score={"type": "thumbs", "value": "down"},
        comment=None,
    )
    for case_id in (named, by_email, by_phone):
        alerts.alert(case_id)
    from recovery.store import models

    calls: list[str] = []
    models.dynamodb_client().meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    # WHEN Kari lists the open queue
    status, _, page = cases_api.call("GET", "/v1/cases", query="status=open")
    assert status == 200, page
    items = {item["id"]: item for item in page["items"]}
    # THEN each row names the customer (or masks their contact), with the score and the comment's start
    assert items[named]["customer"] == {"name": "Ada", "contact": None}
    assert items[named]["score"] == {"type": "nps", "value": 3}
    assert items[named]["comment"] == "Ventet i 40 minutter og ingen svarte."
    assert items[by_email]["customer"] == {"name": None, "contact": "o***@example.com"}
    assert items[by_email]["score"] == {"type": "stars", "value": 1}
    excerpt = items[by_email]["comment"]
    assert excerpt.endswith("…") and len(excerpt) <= 120 and LONG.startswith(excerpt[:-1])
    assert LONG[len(excerpt) - 1] == " "  # cut on a word boundary
    assert items[by_phone]["customer"] == {"name": None, "contact": "+47 *** ** 432"}
    assert items[by_phone]["score"] == {"type": "thumbs", "value": "down"}
    assert items[by_phone]["comment"] is None
    # AND the page costs one Query and a BatchGet each for feedback and customers, not a read per case
    # (the one GetItem is the team configuration, read once per container)
    assert calls.count("Query") == 1 and calls.count("BatchGetItem") == 2
    assert calls.count("GetItem") <= 1 and "Scan" not in calls


def test_queue_items_without_their_feedback_or_customer_answer_null(
    cases_api: CasesApi, routed_case: str
) -> None:
    # GIVEN a case whose feedback (TTL) and customer item are gone
    from recovery.store.models import CustomerItem, FeedbackItem

    case = CaseItem.get(f"CASE#{routed_case}", "CASE")
    FeedbackItem.get(case.feedback_pk, "FB").delete()
    CustomerItem.get(f"CUST#{case.customer_key}", "CUST").delete()
    # WHEN it is listed THEN it is there, with nothing to say about who or what
    status, _, page = cases_api.call("GET", "/v1/cases", query="status=open")
    assert status == 200
    [item] = page["items"]
    assert item["id"] == routed_case
    assert (item["customer"], item["score"], item["comment"]) == ({"name": None, "contact": None}, None, None)


def test_a_lead_sees_only_their_team(cases_api: CasesApi, routed_case: str) -> None:
    # GIVEN an EMEA case; WHEN an APAC lead asks for it THEN it does not exist for them
    assert cases_api.as_user(YUKI).get(routed_case)[0] == 404
    status, _, problem = cases_api.as_user(YUKI).call("GET", "/v1/cases", query="team=support-emea")
    assert status == 403 and "support-emea" in problem["detail"]
    # and an admin sees it
    assert cases_api.as_user(ADMIN).get(routed_case)[0] == 200
    # and nobody signed in gets 401
    assert cases_api.as_user(None).get(routed_case)[0] == 401


def test_a_cursor_cannot_cross_into_another_list(cases_api: CasesApi, api: Api, alerts: Alerts) -> None:
    for n in range(2):
        alerts.alert(open_case(api, external_id=f"resp_c{n}"))
    _, _, first = cases_api.call("GET", "/v1/cases", query="status=open&limit=1")
    status, _, problem = cases_api.call(
        "GET", "/v1/cases", query=f"status=acknowledged&cursor={first['next_cursor']}"
    )
    assert status == 400 and problem["errors"][0]["pointer"] == "/cursor"
    status, _, problem = cases_api.call("GET", "/v1/cases", query="status=open&cursor=not-a-cursor")
    assert status == 400


def test_get_shows_timeline_feedback_customer_and_etag(cases_api: CasesApi, routed_case: str) -> None:
    status, etag, case = cases_api.get(routed_case)
    assert status == 200
    assert etag == f'"{case["version"]}"'
    assert case["feedback"]["score"]["type"] == "nps"
    assert case["customer"]["email"]
    assert [entry["kind"] for entry in case["timeline"]] == ["alerted"]
    assert case["allowed"] == ["ack", "actions", "assign", "messages"]
    assert case["checklist"] == dict.fromkeys(
        ("acknowledge_apologise", "understand", "fix", "follow_up"), False
    )


def test_get_shows_what_the_customer_was_worth_when_the_case_opened(
    cases_api: CasesApi, api: Api, alerts: Alerts
) -> None:
    # GIVEN a negative from a customer worth EUR 1,200, and one whose value is unknown
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    worth = open_case(
        api, "resp_worth", customer={**body["customer"], "value": {"amount": 1200, "currency": "EUR"}}
    )
    plain = open_case(api, "resp_plain")
    for case_id in (worth, plain):
        alerts.alert(case_id)
    # THEN the lead sees the value beside the customer, and nothing for the other
    assert cases_api.get(worth)[2]["customer"]["value"] == {"amount": "1200.00", "currency": "EUR"}
    assert cases_api.get(plain)[2]["customer"]["value"] is None


def test_the_whole_workflow_is_on_the_timeline(
    cases_api: CasesApi, routed_case: str, capsys: pytest.CaptureFixture[str], virtual_clock: Any
) -> None:
    cases_api.tick = lambda: virtual_clock.advance(seconds=30)  # type: ignore[attr-defined]
    _, etag, _ = cases_api.get(routed_case)
    status, headers, case = cases_api.post(routed_case, "ack", {}, etag)
    assert status == 200 and case["status"] == "acknowledged" and case["acked_by"] == "kari"
    assert '"TimeToAcknowledge"' in capsys.readouterr().out  # the EMF metric
    etag = headers["etag"]
    for action in (
        {"type": "apology", "text": "Sorry for the wait."},
        {"type": "contacted", "channel": "phone"},
        {"type": "note", "text": "Queue was understaffed on Monday."},
        {"type": "compensation", "compensation": {"type": "discount", "amount": "20.00", "currency": "EUR"}},
    ):
        status, headers, case = cases_api.post(routed_case, "actions", action, etag)
        assert status == 200, case
        etag = headers["etag"]
    assert case["compensations"][0]["status"] == "granted"
    status, headers, case = cases_api.post(routed_case, "assign", {"to": "mark"}, etag)
    assert status == 200 and case["owner"] == "mark"
    status, headers, case = cases_api.post(
        routed_case,
        "resolve",
        {"root_cause": "wait_time", "summary": "Staffed the Monday queue."},
        headers["etag"],
    )
    assert status == 200 and case["status"] == "resolved" and case["resolution"]["root_cause"] == "wait_time"
    assert kinds(routed_case) == [
        "alerted",
        "acknowledged",
        "apology",
        "contacted",
        "note",
        "compensation_granted",
        "assigned",
        "resolved",
    ]
    assert all(entry["actor"] == "kari" for entry in case["timeline"][1:])
    assert (
        case["checklist"]["acknowledge_apologise"]
        and case["checklist"]["understand"]
        and case["checklist"]["fix"]
    )
    # and reopening moves it back to acknowledged
    status, _, case = cases_api.post(routed_case, "reopen", {"reason": "Customer wrote again."}, _etag(case))
    assert status == 200 and case["status"] == "acknowledged"


def _etag(case: dict[str, Any]) -> str:
    return f'"{case["version"]}"'


def test_a_stale_if_match_gets_412_and_writes_nothing(
    cases_api: CasesApi, routed_case: str, stack: Stack
) -> None:
    _, etag, _ = cases_api.get(routed_case)
    assert cases_api.post(routed_case, "actions", {"type": "note", "text": "first"}, etag)[0] == 200
    before = len(table_items(stack))
    status, _, problem = cases_api.post(routed_case, "actions", {"type": "note", "text": "second"}, etag)
    assert status == 412 and "read it again" in problem["detail"]
    assert len(table_items(stack)) == before
    assert cases_api.post(routed_case, "actions", {"type": "note", "text": "x"}, None)[0] == 428


def test_invalid_transitions_get_409_with_a_reason(cases_api: CasesApi, routed_case: str) -> None:
    _, etag, _ = cases_api.get(routed_case)
    status, _, problem = cases_api.post(
        routed_case, "resolve", {"root_cause": "billing", "summary": "x"}, etag
    )
    assert status == 409 and "acknowledge the case before resolving" in problem["detail"]
    status, _, problem = cases_api.post(routed_case, "reopen", {"reason": "x"}, etag)
    assert status == 409 and "only a resolved case" in problem["detail"]
    _, headers, _ = cases_api.post(routed_case, "ack", {}, etag)
    status, _, problem = cases_api.post(routed_case, "ack", {}, headers["etag"])
    assert status == 409 and "already acknowledged" in problem["detail"]


def test_bad_bodies_get_400_with_pointers(cases_api: CasesApi, routed_case: str) -> None:
    _, etag, _ = cases_api.get(routed_case)
    status, _, problem = cases_api.post(
        routed_case,
        "actions",
        {"type": "compensation", "compensation": {"type": "cash", "amount": "-1", "currency": "eur"}},
        etag,
    )
    assert status == 400
    pointers = {error["pointer"] for error in problem["errors"]}
    assert {"/compensation/type", "/compensation/amount", "/compensation/currency"} <= pointers
    status, _, problem = cases_api.post(routed_case, "resolve", "{not json", etag)
    assert status == 400 and problem["title"] == "Malformed JSON"
    status, _, problem = cases_api.post(routed_case, "escalate", {}, etag)
    assert status == 404


def test_compensation_above_the_limit_waits_for_level_2(
    cases_api: CasesApi, routed_case: str, sender: RecordingSender
) -> None:
    # GIVEN support-emea may grant a refund up to 50 EUR alone
    _, etag, _ = cases_api.get(routed_case)
    _, headers, _ = cases_api.post(routed_case, "ack", {}, etag)
    sender.sent.clear()
    # WHEN Kari offers 120 EUR
    offer = {
        "type": "compensation",
        "compensation": {"type": "refund", "amount": "120.00", "currency": "EUR"},
    }
    status, headers, case = cases_api.post(routed_case, "actions", offer, headers["etag"])
    # THEN it is pending, and Ingrid (level 2) gets an approval link
    assert status == 202 and case["compensations"][0]["status"] == "pending"
    assert case["pending_approvals"] == 1
    to_ingrid = [m for m in sender.sent if m.to == "ingrid@example.com"]
    assert len(to_ingrid) == 1 and to_ingrid[0].tags["kind"] == "approval"
    code = to_ingrid[0].text.split("/c/")[1].split()[0]
    # and resolving waits for the decision
    status, _, problem = cases_api.post(
        routed_case, "resolve", {"root_cause": "billing", "summary": "x"}, headers["etag"]
    )
    assert status == 409 and "waiting for approval" in problem["detail"]
    # WHEN Ingrid opens the link THEN nothing changes; WHEN she approves THEN the case shows it approved
    page = _page(cases_api, "GET", code)
    assert page[0] == 200 and '<html lang="nb">' in page[1] and "Refusjon på 120,00 EUR" in page[1]
    assert cases_api.get(routed_case)[2]["compensations"][0]["status"] == "pending"
    assert _page(cases_api, "POST", code, "decision=approve")[0] == 200
    case = cases_api.get(routed_case)[2]
    assert (
        case["compensations"][0]["status"] == "approved"
        and case["compensations"][0]["decided_by"] == "ingrid"
    )
    assert "compensation_approved" in kinds(routed_case)
    # and the link works once
    assert _page(cases_api, "POST", code, "decision=decline")[0] == 410


def test_the_approval_message_and_page_speak_the_approvers_language(
    cases_api: CasesApi, api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    # GIVEN an acknowledged support-apac case; Yuki may grant a refund up to 8000 JPY alone
    interaction = {"id": "t-apac", "channel": "chat", "team": "support-apac", "product": "app"}
    case_id = open_case(api, "resp_apac", interaction=interaction)
    yuki = cases_api.as_user(YUKI)
    _, etag, _ = yuki.get(case_id)
    _, headers, _ = yuki.post(case_id, "ack", {}, etag)
    sender.sent.clear()
    # WHEN Yuki offers a 12000 JPY refund
    offer = {
        "type": "compensation",
        "compensation": {"type": "refund", "amount": "12000.00", "currency": "JPY"},
    }
    assert yuki.post(case_id, "actions", offer, headers["etag"])[0] == 202
    # THEN Mei (level 2, zh) is asked in Chinese, with yen shown without decimals
    to_mei = [m for m in sender.sent if m.to == "mei@example.com"]
    assert len(to_mei) == 1 and to_mei[0].tags["kind"] == "approval"
    assert to_mei[0].subject == f"需要审批：退款 12,000日元（案例 {case_id}）"
    assert "Yuki Tanaka 申请发放一项补偿" in to_mei[0].text and "Yuki Tanaka" in to_mei[0].html
    assert '<html lang="zh">' in to_mei[0].html
    code = to_mei[0].text.split("/c/")[1].split()[0]
    # and her page is in Chinese too, whatever her browser says
    status, body = _page(cases_api, "GET", code, language="de-DE,de;q=0.9")
    assert status == 200 and '<html lang="zh">' in body
    assert "退款 12,000日元" in body and "Yuki Tanaka" in body and ">批准</button>" in body
    # WHEN she declines THEN the page says so in Chinese, and a second decision is refused in Chinese
    status, body = _page(cases_api, "POST", code, "decision=decline")
    assert status == 200 and "已拒绝（Mei Chen）" in body
    status, body = _page(cases_api, "POST", code, "decision=approve")
    assert status == 410 and '<html lang="zh">' in body and "这项补偿已经有了决定" in body


def test_approval_links_refuse_tampered_codes(cases_api: CasesApi) -> None:
    assert _page(cases_api, "GET", "AAAAAAAAAAAAAAAA")[0] == 403
    assert _page(cases_api, "GET", "not-a-code")[0] == 403


def test_an_unknown_approval_code_is_refused_in_the_browsers_language(cases_api: CasesApi) -> None:
    # GIVEN a code we never sent, opened by a browser that prefers an unsupported language, then German
    status, body = _page(cases_api, "GET", "AAAAAAAAAAAAAAAA", language="fr-CA,fr;q=0.9,de;q=0.8")
    # THEN the refusal is in German; with no supported language it is in English
    assert status == 403 and '<html lang="de">' in body and "Unbekannter Link" in body
    status, body = _page(cases_api, "GET", "AAAAAAAAAAAAAAAA", language="fr-CA")
    assert status == 403 and '<html lang="en">' in body and "Unknown link" in body


def _page(
    cases_api: CasesApi, method: str, code: str, form: str | None = None, language: str | None = None
) -> tuple[int, str]:
    request = event("cases_get_case.json")
    path = f"/c/{code}"
    request.update(routeKey=f"{method} /c/{{code}}", rawPath=path, body=form, pathParameters={"code": code})
    request["requestContext"]["http"].update(method=method, path=path)
    request["requestContext"]["authorizer"] = {}
    request["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    if language:
        request["headers"]["accept-language"] = language
    response = cases_api.module.lambda_handler(request, Context())
    return response["statusCode"], response["body"]


def test_sign_in_returns_an_id_token_naming_the_teams(cases_api: CasesApi, stack: Stack) -> None:
    import boto3

    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username="kari@example.com",
        UserAttributes=[{"Name": "email", "Value": "kari@example.com"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=stack.user_pool_id, Username="kari@example.com", Password="Str0ng!Passw0rd", Permanent=True
    )
    cognito.create_group(GroupName="team-support-emea", UserPoolId=stack.user_pool_id)
    cognito.admin_add_user_to_group(
        UserPoolId=stack.user_pool_id, Username="kari@example.com", GroupName="team-support-emea"
    )
    status, _, answer = cases_api.call(
        "POST", "/v1/session", {"username": "kari@example.com", "password": "Str0ng!Passw0rd"}
    )
    assert status == 200, answer
    assert answer["token"].count(".") == 2
    assert answer["user"]["actor"] == "kari" and answer["user"]["teams"][0]["id"] == "support-emea"
    status, _, problem = cases_api.call(
        "POST", "/v1/session", {"username": "kari@example.com", "password": "wrong"}
    )
    assert status == 401 and "password" in problem["detail"]


def test_reopen_cancels_a_scheduled_followup(cases_api: CasesApi, routed_case: str) -> None:
    from recovery.store.models import FollowUpItem

    case = CaseItem.get(f"CASE#{routed_case}", "CASE")
    FollowUpItem(
        f"FUP#{routed_case}",
        "FUP",
        case_id=routed_case,
        customer_key=case.customer_key,
        state="scheduled",
        scheduled_for=case.opened_at,
        due_pk="DUE#followup#0",
        due_at="2026-11-26T10:00:00Z",
        cust_pk=case.cust_pk,
        cust_sk=f"FUP#{routed_case}",
    ).save()
    _, etag, _ = cases_api.get(routed_case)
    _, headers, _ = cases_api.post(routed_case, "ack", {}, etag)
    _, headers, _ = cases_api.post(
        routed_case, "resolve", {"root_cause": "billing", "summary": "fixed"}, headers["etag"]
    )
    status, _, case_doc = cases_api.post(routed_case, "reopen", {"reason": "not fixed"}, headers["etag"])
    assert status == 200 and case_doc["followup"]["state"] == "cancelled"
    assert FollowUpItem.get(f"FUP#{routed_case}", "FUP").due_pk is None


def test_a_message_reaches_the_customer_once_and_is_logged(
    cases_api: CasesApi, routed_case: str, sender: RecordingSender
) -> None:
    # GIVEN an acknowledged case
    _, etag, _ = cases_api.get(routed_case)
    _, headers, _ = cases_api.post(routed_case, "ack", {}, etag)
    sender.sent.clear()
    # WHEN Kari writes to the customer by email
    body = {"channel": "email", "subject": "Your wait on Monday", "text": "We have added staff to the queue."}
    status, _, answer = cases_api.post(routed_case, "messages", body, headers["etag"])
    # THEN it is sent once, with an unsubscribe link, and the timeline shows it with her name on it
    assert status == 200 and answer["message"]["status"] == "sent", answer
    emails = [m for m in sender.sent if m.channel == "email"]
    assert len(emails) == 1 and "We have added staff to the queue." in emails[0].text
    assert emails[0].tags["kind"] == "message"
    assert "customer_message" in kinds(routed_case)
    logged = next(e for e in answer["case"]["timeline"] if e["kind"] == "customer_message")
    assert logged["actor"] == "kari" and logged["detail"]["channel"] == "email"
    # and a retry of the same request (same ETag) sends nothing
    status, _, _ = cases_api.post(routed_case, "messages", body, headers["etag"])
    assert status == 412 and len([m for m in sender.sent if m.channel == "email"]) == 1


def test_resolve_schedules_one_followup(cases_api: CasesApi, routed_case: str) -> None:
    from recovery.store.models import FollowUpItem

    _, etag, _ = cases_api.get(routed_case)
    _, headers, _ = cases_api.post(routed_case, "ack", {}, etag)
    status, _, case = cases_api.post(
        routed_case, "resolve", {"root_cause": "wait_time", "summary": "Staffed up."}, headers["etag"]
    )
    assert status == 200 and case["followup"]["state"] == "scheduled"
    item = FollowUpItem.get(f"FUP#{routed_case}", "FUP")
    assert item.due_pk is not None and item.due_pk.startswith("DUE#followup#")
    # three days after resolving (default delay), inside the customer's contact hours
    assert item.scheduled_for >= CaseItem.get(f"CASE#{routed_case}", "CASE").resolved_at + timedelta(days=3)


def test_first_sign_in_sets_a_new_password(cases_api: CasesApi, stack: Stack) -> None:
    import boto3

    # GIVEN a lead added with a temporary password (as `make lead` does)
    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username="ingrid@example.com",
        TemporaryPassword="Temp0rary!Pass",
        UserAttributes=[{"Name": "email", "Value": "ingrid@example.com"}],
        MessageAction="SUPPRESS",
    )
    credentials = {"username": "ingrid@example.com", "password": "Temp0rary!Pass"}
    # WHEN she signs in THEN she is asked for a new password, and gets no token
    status, _, problem = cases_api.call("POST", "/v1/session", credentials)
    assert status == 403 and problem["challenge"] == "NEW_PASSWORD_REQUIRED" and "token" not in problem
    # WHEN she sends one THEN she is signed in, and the new password works from then on
    status, _, answer = cases_api.call(
        "POST", "/v1/session", {**credentials, "new_password": "N3w!Passw0rd-x"}
    )
    assert status == 200 and answer["token"]
    status, _, _ = cases_api.call(
        "POST", "/v1/session", {"username": "ingrid@example.com", "password": "N3w!Passw0rd-x"}
    )
    assert status == 200
    # and a body that is not a sign-in is refused with the field named
    status, _, problem = cases_api.call("POST", "/v1/session", {"username": "x"})
    assert status == 400 and problem["errors"][0]["pointer"] == "/password"


# -------------------------------------------------------------------------- sources (admins only)
SOURCE_SECRET = "cases-test-webhook-secret-not-to-be-shown"
SOURCE_KEY_HASH = "cases-test-key-hash-not-to-be-shown"


@pytest.fixture
def logged_source(stack: Stack) -> str:
    from datetime import UTC, datetime

    from recovery.store.hook_log import HookLog, LogEntry
    from recovery.store.sources import SourceStore

    spec = {"id": "console-typeform", "name": "Console Typeform", "preset": "typeform"}
    SourceStore().put("console-typeform", "Console Typeform", [SOURCE_KEY_HASH], None, SOURCE_SECRET, spec)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    log = HookLog()
    log.record("console-typeform", LogEntry(start, 401, "refused", "signature: does not match", "d-1"))
    log.record(
        "console-typeform",
        LogEntry(start + timedelta(minutes=1), 201, "created", None, "d-2", "FB#console-typeform#r2", "c-2"),
    )
    log.record("console-typeform", LogEntry(start + timedelta(minutes=2), 200, "duplicate", "seen", "d-2"))
    return "console-typeform"


def test_an_admin_lists_sources_without_secrets(cases_api: CasesApi, logged_source: str) -> None:
    # GIVEN a source with a webhook secret and a key hash
    # WHEN an admin lists the sources
    status, headers, body = cases_api.as_user(ADMIN).call("GET", "/v1/sources")
    # THEN it is there with its preset and hook URL, and neither the secret nor the hash is in the answer
    assert status == 200, body
    listed = {item["id"]: item for item in body["items"]}
    assert listed[logged_source]["name"] == "Console Typeform"
    assert listed[logged_source]["preset"] == "typeform"
    assert listed[logged_source]["hook_url"].endswith(f"/v1/hooks/{logged_source}")
    text = json.dumps(body)
    assert SOURCE_SECRET not in text and SOURCE_KEY_HASH not in text
    assert headers["cache-control"] == "no-store"


def test_an_admin_pages_through_a_delivery_log(cases_api: CasesApi, logged_source: str) -> None:
    admin = cases_api.as_user(ADMIN)
    # WHEN an admin reads the log two entries at a time
    status, _, first = admin.call("GET", f"/v1/sources/{logged_source}/deliveries", query="limit=2")
    assert status == 200, first
    status, _, second = admin.call(
        "GET", f"/v1/sources/{logged_source}/deliveries", query=f"limit=2&cursor={first['cursor']}"
    )
    # THEN all three come newest first, each with its reason, and the last page has no cursor
    entries = first["items"] + second["items"]
    assert [entry["outcome"] for entry in entries] == ["duplicate", "created", "refused"]
    assert entries[1]["case_id"] == "c-2" and entries[1]["status"] == 201
    assert entries[2]["reason"] == "signature: does not match"
    assert second["cursor"] is None
    assert SOURCE_SECRET not in json.dumps(entries)


def test_a_lead_may_not_read_sources(cases_api: CasesApi, logged_source: str) -> None:
    # GIVEN Kari, a lead but not an admin
    # WHEN she asks for the sources or a delivery log THEN both are refused 403 as problem+json
    for path in ("/v1/sources", f"/v1/sources/{logged_source}/deliveries"):
        status, headers, body = cases_api.call("GET", path)
        assert status == 403, (path, body)
        assert headers["content-type"] == "application/problem+json"
        assert SOURCE_SECRET not in json.dumps(body)


def test_the_delivery_log_refuses_bad_queries(cases_api: CasesApi, logged_source: str) -> None:
    admin = cases_api.as_user(ADMIN)
    # WHEN an admin asks with a bad limit, a forged cursor or an unknown source THEN each gets a clear 4xx
    status, _, body = admin.call("GET", f"/v1/sources/{logged_source}/deliveries", query="limit=500")
    assert status == 400 and body["errors"][0]["pointer"] == "/limit"
    status, _, body = admin.call("GET", f"/v1/sources/{logged_source}/deliveries", query="cursor=bm9wZQ")
    assert status == 400 and body["errors"][0]["pointer"] == "/cursor"
    status, _, body = admin.call("GET", "/v1/sources/no-such-source/deliveries")
    assert status == 404 and "no-such-source" in body["detail"]
