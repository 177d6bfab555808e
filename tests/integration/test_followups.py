"""Follow-ups on moto: planned on resolve, sent by the 5-minute run, answered on /f/{code}.

Cases are opened through the real ingest handler, then resolved directly in the table (as the cases API
does it: status, resolved time, and the planned follow-up). The demo teams come from config/; a
recording sender stands in for SES and SNS; the follow-up page runs as its handler, in-process.
"""

from __future__ import annotations

import json
from datetime import timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.domain.records import Customer
from recovery.domain.routing import Team
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import CachedConfig
from recovery.services.customer_contact import CustomerMessenger
from recovery.services.follow_up import FollowUps, plan_follow_up
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.follow_up import FollowUpStore, cancel_update, follow_up_put, new_follow_up
from recovery.store.links import LinkStore
from recovery.store.models import CaseEventItem, CaseItem, CustomerItem, FeedbackItem, FollowUpItem
from recovery.store.suppressions import SuppressionStore
from tests.integration.conftest import DAYTIME, Api, Clock
from tests.support import ROOT, Context, Stack, event, load_function
from tools.seed import seed_alerting

RESOLVED = DAYTIME  # Monday 23 November 2026, 11:00 in Oslo: the conftest's virtual clock starts here
HASHER = PiiHasher(b"k" * 32)


@pytest.fixture
def suppressions() -> SuppressionStore:
    return SuppressionStore()


def address_hash(address: str) -> str:
    return HASHER.digest("address", address.lower())


@pytest.fixture
def followups(
    stack: Stack, virtual_clock: Clock, sender: RecordingSender, suppressions: SuppressionStore
) -> FollowUps:
    assert seed_alerting(ROOT / "config")
    links = LinkStore()
    messenger = CustomerMessenger(
        AlertStore(),
        links,
        sender,
        address_hash,
        "http://127.0.0.1:3000",
        suppressed=suppressions.is_suppressed,
        sleep=lambda _: None,
    )
    return FollowUps(
        FollowUpStore(),
        CachedConfig(ConfigStore()),
        links,
        messenger,
        "http://127.0.0.1:3000",
        lambda *_: None,
    )


def team(team_id: str = "support-emea") -> Team:
    found = ConfigStore().get()
    assert found is not None
    return found[0].team(team_id)


def resolved_case(
    api: Api, external_id: str, customer: dict[str, Any] | None = None, score: dict[str, Any] | None = None
) -> str:
    """A negative through ingest, then resolved in the table with its follow-up, as the cases API does."""
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body["external_id"] = external_id
    body["occurred_at"] = "2026-11-23T09:00:00Z"
    if customer is not None:
        body["customer"] = customer
    if score is not None:
        body["score"] = score
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201, answer
    case_id = str(answer["case_id"])
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    case.update(
        actions=[
            CaseItem.status.set("resolved"),
            CaseItem.team.set("support-emea"),
            CaseItem.resolved_at.set(clock.now()),
        ]
    )
    store = FollowUpStore()
    resolved = store.get_case(case_id)
    assert resolved is not None
    customer = store.get_customer(case.customer_key)
    feedback = FeedbackItem.get(case.feedback_pk, "FB")
    planned = plan_follow_up(resolved, customer, team(), feedback.detail["score"], clock.now())
    assert planned is not None
    put = follow_up_put(planned, None)
    assert put is not None
    put[0].save(condition=put[1])
    return case_id


def followup(case_id: str) -> FollowUpItem:
    return FollowUpItem.get(f"FUP#{case_id}", "FUP")


def case_of(case_id: str) -> CaseItem:
    return CaseItem.get(f"CASE#{case_id}", "CASE")


def case_record(case_id: str) -> Any:
    case = FollowUpStore().get_case(case_id)
    assert case is not None
    return case


def timeline(case_id: str) -> list[tuple[str, dict[str, Any]]]:
    events = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    return [(item.kind, dict(item.detail or {})) for item in events]


def link_code(sender: RecordingSender, index: int = -1) -> str:
    message = sender.sent[index]
    return message.text.split("/f/")[1].split()[0].strip()


def due_run(followups: FollowUps, virtual_clock: Clock, **delta: float) -> Any:
    virtual_clock.advance(**delta)
    return followups.run(clock.now())


# ---------------------------------------------------------------------------------- the follow-up page
@pytest.fixture
def page(followups: FollowUps) -> ModuleType:
    return load_function("follow_up_page")


def call_page(
    module: ModuleType, method: str, code: str, form: dict[str, str] | None = None, language: str = ""
) -> tuple[int, str]:
    request = event("follow_up_page_show.json")
    path = f"/f/{code}"
    request["routeKey"] = request["requestContext"]["routeKey"] = f"{method} /f/{{code}}"
    request["rawPath"] = request["requestContext"]["http"]["path"] = path
    request["requestContext"]["http"]["method"] = method
    request["pathParameters"] = {"code": code}
    request["headers"] = {"accept": "text/html", "accept-language": language}
    if form is not None:
        request["headers"]["content-type"] = "application/x-www-form-urlencoded"
        request["body"] = urlencode(form)
    response = module.lambda_handler(request, Context())
    return response["statusCode"], response["body"]


# ------------------------------------------------------------------------------------------------ plan
def test_due_time_is_inside_the_customers_hours_across_zones(api: Api, followups: FollowUps) -> None:
    # GIVEN the case resolves at 11:00 Oslo time, which is 19:00 in Tokyo and 05:00 in New York
    zones = {"oslo": "Europe/Oslo", "tokyo": "Asia/Tokyo", "ny": "America/New_York"}
    for name, zone in zones.items():
        customer = {"id": f"c-{name}", "email": f"{name}@example.com", "timezone": zone}
        # WHEN the case is resolved and its follow-up planned
        case_id = resolved_case(api, f"resp_{name}", customer)
        item = followup(case_id)
        local = item.scheduled_for.astimezone(ZoneInfo(zone))
        # THEN it is due three days later, moved into 09:00-20:00 in the customer's own zone
        assert 9 <= local.hour < 20, (zone, local)
        assert item.due_at == clock.iso(item.scheduled_for) and item.due_pk.startswith("DUE#followup#")
        assert item.state == "scheduled" and item.score == {"type": "nps", "value": 3}
    oslo = followup(resolved_case(api, "resp_oslo2", {"id": "c-o2", "email": "o2@example.com"}))
    assert oslo.scheduled_for == RESOLVED + timedelta(days=3)


def test_no_followup_when_the_team_turns_it_off_or_there_is_no_address(
    api: Api, followups: FollowUps
) -> None:
    case_id = resolved_case(api, "resp_1")
    case = case_record(case_id)
    customer = FollowUpStore().get_customer(case.customer_key)
    off = team().model_copy(update={"followup": team().followup.model_copy(update={"enabled": False})})
    assert plan_follow_up(case, customer, off, {"type": "nps", "value": 3}, RESOLVED) is None
    nameless = Customer(case.customer_key, updated_at=RESOLVED)
    assert plan_follow_up(case, nameless, team(), {"type": "nps", "value": 3}, RESOLVED) is None
    assert plan_follow_up(case, None, team(), {"type": "nps", "value": 3}, RESOLVED) is None


# ------------------------------------------------------------------------------------------------- run
def test_the_run_sends_email_in_the_customers_language(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN a resolved case of Ada (nb-NO, email and phone)
    case_id = resolved_case(api, "resp_1")
    # WHEN the run comes before the due time, nothing; after it, the follow-up goes out
    assert due_run(followups, virtual_clock, days=2).sent == []
    outcome = due_run(followups, virtual_clock, days=1, minutes=5)
    # THEN one email, in Norwegian, with the follow-up link and the unsubscribe headers
    assert outcome.sent == [case_id] and outcome.items_read == 1
    [email] = sender.sent
    assert (email.channel, email.to, email.tags) == (
        "email",
        "a@example.com",
        {"kind": "followup", "case_id": case_id},
    )
    assert email.subject == "Fikk vi rettet opp i det?"
    assert "Hei Ada," in email.text and "/f/" in email.text and "/u/" in email.text
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    item = followup(case_id)
    assert (item.state, item.channel) == ("sent", "email")
    assert item.due_pk.startswith("DUE#noresponse#") and item.due_at == clock.iso(
        clock.now() + timedelta(days=7)
    )
    assert ("customer_followup_sent", {"channel": "email"}) in timeline(case_id)


def test_without_an_address_it_sends_an_sms_in_the_customers_language(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    customer = {"id": "c-de", "phone": "+4915112345678", "locale": "de-DE", "timezone": "Europe/Berlin"}
    case_id = resolved_case(api, "resp_de", customer)
    assert due_run(followups, virtual_clock, days=3, minutes=5).sent == [case_id]
    [sms] = sender.sent
    assert (sms.channel, sms.to) == ("sms", "+4915112345678")
    assert sms.text.startswith("Support EMEA: Wir haben uns um das Problem gekümmert")
    assert "/f/" in sms.text and followup(case_id).channel == "sms"


def test_one_followup_per_case(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN a follow-up that went out
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    # WHEN runs come again, and the case is resolved again (another put of its follow-up)
    assert due_run(followups, virtual_clock, minutes=5).sent == []
    assert followups.send(case_id, clock.now()) == "nothing"
    case = case_record(case_id)
    again = plan_follow_up(
        case,
        FollowUpStore().get_customer(case.customer_key),
        team(),
        {"type": "nps", "value": 3},
        clock.now(),
    )
    assert again is not None
    # THEN nothing more is sent, and a second follow-up is refused by its key
    assert follow_up_put(again, FollowUpStore().get(case_id)) is None
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        new_follow_up(again).save(condition=FollowUpItem.pk.does_not_exist())
    assert len(sender.sent) == 1


def test_a_run_that_died_mid_send_is_taken_over_without_a_second_message(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN a run sent the message and died before recording it (the follow-up is left "sending")
    case_id = resolved_case(api, "resp_1")
    virtual_clock.advance(days=3, minutes=5)
    assert followups.send(case_id, clock.now()) == "sent"
    item = followup(case_id)
    item.update(
        actions=[
            FollowUpItem.state.set("sending"),
            FollowUpItem.due_pk.set("DUE#followup#0"),
            FollowUpItem.due_at.set(clock.iso(clock.now())),
        ]
    )
    # WHEN the next run comes within the lease, nothing; after it, it takes over
    assert due_run(followups, virtual_clock, minutes=5).sent == []
    assert due_run(followups, virtual_clock, minutes=15).sent == [case_id]
    # THEN the delivery row kept the message single, and the cap counted it once
    assert len(sender.sent) == 1
    assert len(FollowUpStore().get_customer(case_of(case_id).customer_key).followups_sent) == 1


def test_at_most_max_per_customer_in_30_days(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN three resolved cases of one customer; support-emea allows 2 follow-ups in 30 days
    cases = [resolved_case(api, f"resp_{n}") for n in range(3)]
    # WHEN the run sends them
    outcome = due_run(followups, virtual_clock, days=3, minutes=5)
    # THEN two go out, the third is skipped for the cap, and the skip is on its timeline
    assert len(outcome.sent) == 2 and len(outcome.skipped) == 1 and len(sender.sent) == 2
    [capped] = outcome.skipped
    item = followup(capped)
    assert (item.state, item.skip_reason, item.due_pk) == ("skipped", "cap", None)
    assert ("customer_followup_skipped", {"reason": "cap"}) in timeline(capped)
    customer = FollowUpStore().get_customer(case_of(cases[0]).customer_key)
    assert len(customer.followups_sent) == 2
    # AND 30 days later the customer may be asked again
    virtual_clock.advance(days=31)
    fresh = resolved_case(api, "resp_later")
    assert due_run(followups, virtual_clock, days=3, minutes=5).sent == [fresh]


def test_two_runs_cannot_both_take_the_last_place(
    api: Api, followups: FollowUps, virtual_clock: Clock
) -> None:
    # GIVEN a customer with one follow-up in the window (one place left) read by a run
    case_id = resolved_case(api, "resp_1")
    store = FollowUpStore()
    customer = CustomerItem.get(case_of(case_id).cust_pk, "CUST")
    customer.update(actions=[CustomerItem.followups_sent.set([clock.iso(clock.now())])])
    stale = store.get_customer(case_of(case_id).customer_key)
    assert stale is not None

    def one_place(sent: list[str]) -> list[str] | None:
        return None if len(sent) >= 2 else [*sent, clock.iso(clock.now())]

    # WHEN another run takes the last place first, then this run tries with its stale read
    fresh = store.get_customer(case_of(case_id).customer_key)
    assert fresh is not None
    assert store.count_follow_up(fresh, clock.now(), one_place)[0]
    taken, _ = store.count_follow_up(stale, clock.now(), one_place)
    # THEN the second is refused after reading the customer again
    assert taken is False


@pytest.mark.parametrize("why", ["opted_out", "suppressed"])
def test_opted_out_and_suppressed_customers_are_skipped_and_recorded(
    api: Api,
    followups: FollowUps,
    sender: RecordingSender,
    suppressions: SuppressionStore,
    virtual_clock: Clock,
    why: str,
) -> None:
    case_id = resolved_case(api, "resp_1")
    customer = CustomerItem.get(case_of(case_id).cust_pk, "CUST")
    if why == "opted_out":
        customer.update(actions=[CustomerItem.opted_out.set({"email": clock.iso(clock.now())})])
    else:
        suppressions.suppress(address_hash("a@example.com"), "bounce", "General", clock.now())
    outcome = due_run(followups, virtual_clock, days=3, minutes=5)
    assert outcome.skipped == [case_id] and sender.sent == []
    item = followup(case_id)
    assert (item.state, item.skip_reason, item.due_pk) == ("skipped", why, None)
    assert ("customer_followup_skipped", {"channel": "email", "reason": why}) in timeline(case_id)
    # The place in the cap is given back: nothing was sent
    assert FollowUpStore().get_customer(case_of(case_id).customer_key).followups_sent == ()


def test_a_reopened_case_is_not_followed_up(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN a resolved case, reopened before its follow-up went out (the cases API's transaction)
    case_id = resolved_case(api, "resp_1")
    update = cancel_update(FollowUpStore().get(case_id))
    assert update is not None
    item, actions, condition = update
    item.update(actions=actions, condition=condition)
    assert cancel_update(FollowUpStore().get(case_id)) is None
    # WHEN the run comes: nothing is due any more
    assert due_run(followups, virtual_clock, days=3, minutes=5).items_read == 0
    assert followup(case_id).state == "cancelled" and sender.sent == []
    # AND resolved again, the cancelled follow-up is replaced by a new one
    case = case_record(case_id)
    again = plan_follow_up(
        case,
        FollowUpStore().get_customer(case.customer_key),
        team(),
        {"type": "nps", "value": 3},
        clock.now(),
    )
    assert again is not None
    put = follow_up_put(again, FollowUpStore().get(case_id))
    assert put is not None
    put[0].save(condition=put[1])
    assert followup(case_id).state == "scheduled"


def test_a_case_reopened_without_the_cancel_is_cancelled_by_the_run(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock
) -> None:
    case_id = resolved_case(api, "resp_1")
    case_of(case_id).update(actions=[CaseItem.status.set("acknowledged")])
    assert due_run(followups, virtual_clock, days=3, minutes=5).cancelled == [case_id]
    assert followup(case_id).state == "cancelled" and sender.sent == []
    assert "followup_cancelled" in [kind for kind, _ in timeline(case_id)]


def test_no_response_after_the_answer_window(api: Api, followups: FollowUps, virtual_clock: Clock) -> None:
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    assert due_run(followups, virtual_clock, days=6).no_response == []
    outcome = due_run(followups, virtual_clock, days=1)
    assert outcome.no_response == [case_id]
    item, case = followup(case_id), case_of(case_id)
    assert (item.state, item.due_pk) == ("no_response", None)
    assert (case.outcome, case.rating_before, case.rating_after) == (
        "no_response",
        {"type": "nps", "value": 3},
        None,
    )
    assert "followup_no_response" in [kind for kind, _ in timeline(case_id)]
    assert due_run(followups, virtual_clock, days=1).items_read == 0


# ---------------------------------------------------------------------------------------------- answer
@pytest.mark.parametrize(
    ("answer", "outcome", "delta"),
    [("9", "recovered", 0.6), ("5", "improved", 0.2), ("2", "not_recovered", -0.1)],
)
def test_an_answer_closes_the_loop_on_the_case(
    api: Api,
    followups: FollowUps,
    sender: RecordingSender,
    virtual_clock: Clock,
    page: ModuleType,
    answer: str,
    outcome: str,
    delta: float,
) -> None:
    # GIVEN Ada's follow-up went out (her original NPS was 3)
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    code = link_code(sender)
    # WHEN she opens the page: the same 0-10 scale, in Norwegian, nothing changed yet
    status, html = call_page(page, "GET", code)
    assert status == 200 and 'lang="nb"' in html and "Er du fornøyd med hvordan vi løste dette?" in html
    assert html.count('name="score"') == 11 and 'name="viewport"' in html
    assert followup(case_id).state == "sent"
    # AND answers
    virtual_clock.advance(hours=2)
    status, html = call_page(
        page, "POST", code, {"score": answer, "satisfied": "yes", "comment": "Takk <b>!</b>"}
    )
    # THEN the case holds the outcome, the ratings before and after, and the delta
    assert status == 200 and "Takk for svaret ditt" in html
    case, item = case_of(case_id), followup(case_id)
    assert (case.outcome, case.rating_before, case.rating_after) == (
        outcome,
        {"type": "nps", "value": 3},
        {"type": "nps", "value": int(answer)},
    )
    assert case.rating_delta == pytest.approx(delta)
    assert (item.state, item.due_pk, item.answer["satisfied"], item.answer["comment"]) == (
        "answered",
        None,
        True,
        "Takk <b>!</b>",
    )
    answered = [detail for kind, detail in timeline(case_id) if kind == "followup_answered"]
    assert answered == [
        {"outcome": outcome, "delta": pytest.approx(delta), "satisfied": True, "comment": True}
    ]
    assert "Takk" not in json.dumps(answered)
    # AND the link is spent: a second submit, or opening it again, says "already answered"
    assert call_page(page, "POST", code, {"score": "10", "satisfied": "yes"})[0] == 410
    status, html = call_page(page, "GET", code)
    assert status == 410 and "Allerede besvart" in html
    assert case_of(case_id).rating_after == {"type": "nps", "value": int(answer)}


def test_other_scales_are_asked_again_as_they_were(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock, page: ModuleType
) -> None:
    custom = {"type": "custom", "value": 8, "min": 1, "max": 10, "higher_is_better": False}
    customer = {"id": "c-ja", "email": "ja@example.com", "locale": "ja-JP", "timezone": "Asia/Tokyo"}
    case_id = resolved_case(api, "resp_ja", customer, custom)
    due_run(followups, virtual_clock, days=4)
    code = link_code(sender)
    status, html = call_page(page, "GET", code)
    assert status == 200 and 'lang="ja"' in html and html.count('name="score"') == 10
    status, _ = call_page(page, "POST", code, {"score": "3", "satisfied": "no"})
    assert status == 200
    case = case_of(case_id)
    assert case.outcome == "recovered" and case.rating_after == {**custom, "value": 3.0}
    assert case.rating_delta == pytest.approx(5 / 9, abs=1e-4)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"satisfied": "yes"}, "Velg en vurdering."),
        ({"score": "11", "satisfied": "yes"}, "Velg en vurdering."),
        ({"score": "ten", "satisfied": "yes"}, "Velg en vurdering."),
        ({"score": "7"}, "Svar ja eller nei."),
        ({"score": "7", "satisfied": "maybe"}, "Svar ja eller nei."),
        ({"score": "7", "satisfied": "no", "comment": "x" * 2001}, "høyst 2000 tegn"),
    ],
)
def test_bad_input_shows_the_form_again_and_spends_nothing(
    api: Api,
    followups: FollowUps,
    sender: RecordingSender,
    virtual_clock: Clock,
    page: ModuleType,
    form: dict[str, str],
    message: str,
) -> None:
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    code = link_code(sender)
    status, html = call_page(page, "POST", code, form)
    assert status == 400 and message in html and 'role="alert"' in html
    assert followup(case_id).state == "sent" and case_of(case_id).outcome is None
    # what was typed is kept, and the link still works
    if form.get("score") == "7":
        assert 'value="7" checked' in html
    assert call_page(page, "POST", code, {"score": "8", "satisfied": "yes"})[0] == 200


def test_tampered_expired_and_other_codes_are_refused(
    api: Api, followups: FollowUps, sender: RecordingSender, virtual_clock: Clock, page: ModuleType
) -> None:
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    code = link_code(sender)
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    status, html = call_page(page, "GET", tampered, language="de-DE,de;q=0.9")
    assert status == 403 and "Ungültiger Link" in html
    assert call_page(page, "POST", tampered, {"score": "9", "satisfied": "yes"})[0] == 403
    assert call_page(page, "GET", "not-a-code")[0] == 403
    unsubscribe = sender.sent[-1].text.split("/u/")[1].split()[0].strip()
    assert call_page(page, "GET", unsubscribe)[0] == 403  # a code for another purpose
    # After the answer window the link has expired: said in the customer's language, not the browser's
    virtual_clock.advance(days=7, minutes=1)
    status, html = call_page(page, "GET", code, language="tr")
    assert status == 410 and "Lenken er utløpt" in html
    assert call_page(page, "POST", code, {"score": "9", "satisfied": "yes"})[0] == 410
    assert case_of(case_id).outcome is None


def test_the_case_shows_the_answer_in_full_by_the_customer(
    api: Api,
    followups: FollowUps,
    sender: RecordingSender,
    virtual_clock: Clock,
    page: ModuleType,
) -> None:
    from tests.integration.test_cases import CasesApi

    # GIVEN Ada (NPS 3) answered her follow-up: 9, satisfied, with a comment
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    words = "Takk, dere ringte tilbake samme dag og ordnet fakturaen."
    status, _ = call_page(
        page, "POST", link_code(sender), {"score": "9", "satisfied": "yes", "comment": words}
    )
    assert status == 200
    # WHEN Kari reads the case
    status, _, case = CasesApi(load_function("cases")).call("GET", f"/v1/cases/{case_id}")
    assert status == 200, case
    # THEN the follow-up's rating, the yes and the words are there in full, beside the first rating
    assert case["followup"]["answer"] == {
        "score": {"type": "nps", "value": 9},
        "satisfied": True,
        "comment": words,
    }
    assert case["rating"]["before"] == {"type": "nps", "value": 3}
    assert case["rating"]["after"] == {"type": "nps", "value": 9}
    # AND the answer is on the timeline as the customer's, not the system's; the send as the follow-up's
    by = {entry["kind"]: entry["by"] for entry in case["timeline"]}
    assert by["followup_answered"] == {"type": "customer", "id": None, "part": None}
    assert by["customer_followup_sent"] == {"type": "system", "id": None, "part": "followup"}
    stored = [
        item.actor for item in CaseEventItem.query(f"CASE#{case_id}") if item.kind == "followup_answered"
    ]
    assert stored == ["customer"]
