"""A lead's message to the customer on moto, through the cases handler: a message is refused whole or sent
whole, its delivery row never stays `sending`, and the sweep (the real handler, acting with its role)
fails a row that a crashed invocation left `sending` past its lease."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from recovery import clock
from recovery.notify.senders import RawEmail, RecordingSender
from recovery.services.alerts import Alerts
from recovery.services.customer_contact import customer_delivery_pk
from recovery.store.alerting import SENDING_LEASE, AlertStore
from recovery.store.models import CaseEventItem, CaseItem, DeliveryItem
from tests.integration.conftest import Clock
from tests.integration.test_cases import CasesApi, cases_api, routed_case  # noqa: F401 (fixtures)
from tests.support import Context, load_function


@pytest.fixture
def lead(cases_api: CasesApi) -> CasesApi:  # noqa: F811  (the fixture imported above)
    """Kari, on the cases handler."""
    return cases_api


@pytest.fixture
def case_id(routed_case: str) -> str:  # noqa: F811  (the fixture imported above)
    """A case routed to Kari's team and alerted."""
    return routed_case


BODY = {"channel": "email", "subject": "Your wait on Monday", "text": "We have added staff to the queue."}


def events(case_id: str) -> list[tuple[str, dict[str, Any]]]:
    found = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    return [(item.kind, dict(item.detail or {})) for item in found]


def message_rows(lead: CasesApi, case_id: str) -> list[DeliveryItem]:
    """The case's customer-message rows, by the keys the function's messenger gives them (no Scan)."""
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    customer = AlertStore().get_customer(case.customer_key)
    assert customer is not None and customer.email
    address_hash = lead.module.cases._messenger._hash(customer.email)
    rows = []
    for version in range(1, int(case.version or 0) + 1):
        pk = customer_delivery_pk(case_id, "message", "email", address_hash, str(version))
        rows += list(DeliveryItem.query(pk))
    return rows


def acknowledged(lead: CasesApi, case_id: str) -> str:
    _, etag, _ = lead.get(case_id)
    status, headers, answer = lead.post(case_id, "ack", {}, etag)
    assert status == 200, answer
    return headers["etag"]


@pytest.mark.parametrize(
    "subject",
    ["Refund\r\nBcc: everyone@example.com", "Refund\nX-Priority: 1", "Refund\x85next", "Refund\u2028next"],
)
def test_a_subject_with_a_line_break_is_refused_and_nothing_is_written(
    lead: CasesApi, case_id: str, sender: RecordingSender, subject: str
) -> None:
    # GIVEN an acknowledged case at some version
    etag = acknowledged(lead, case_id)
    version = CaseItem.get(f"CASE#{case_id}", "CASE").version
    before = events(case_id)
    sender.sent.clear()
    # WHEN Kari writes to the customer with a subject that would add a header
    status, _, answer = lead.post(case_id, "messages", {**BODY, "subject": subject}, etag)
    # THEN 400 naming /subject, and nothing moved: version, timeline, delivery rows, sends
    assert status == 400, answer
    assert [error["pointer"] for error in answer["errors"]] == ["/subject"]
    assert CaseItem.get(f"CASE#{case_id}", "CASE").version == version
    assert events(case_id) == before
    assert not any(kind.startswith("customer_message") for kind, _ in events(case_id))
    assert message_rows(lead, case_id) == [] and sender.sent == []
    # and the same ETag still works for a clean message
    status, _, answer = lead.post(case_id, "messages", BODY, etag)
    assert status == 200 and answer["message"]["status"] == "sent", answer


def test_a_sender_that_raises_leaves_the_row_failed_and_the_case_shows_it(
    lead: CasesApi, case_id: str, sender: RecordingSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an acknowledged case, and a sender that raises something that is not a send failure
    etag = acknowledged(lead, case_id)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("connection pool exploded")

    monkeypatch.setattr(sender, "send_composed_email", broken)
    monkeypatch.setattr(sender, "send_raw_email", broken)
    # WHEN Kari writes to the customer
    status, _, answer = lead.post(case_id, "messages", BODY, etag)
    # THEN the answer says it failed, as a failed send does, and the row is `failed` with the reason
    assert status == 200, answer
    assert answer["message"] == {"status": "failed", "channel": "email", "reason": "SenderError"}
    rows = message_rows(lead, case_id)
    assert [(row.state, row.error) for row in rows] == [("failed", "SenderError: RuntimeError")]
    assert rows[0].due_pk is None  # out of the sweep's index
    # and the case's timeline shows the message and its failure
    kinds = [kind for kind, _ in events(case_id)]
    assert kinds.count("customer_message") == 1 and kinds.count("customer_message_failed") == 1
    shown = [event["kind"] for event in answer["case"]["timeline"]]
    assert "customer_message_failed" in shown


def test_the_sweep_fails_a_row_left_sending_past_its_lease_and_leaves_a_young_one(
    case_id: str, alerts: Alerts, virtual_clock: Clock
) -> None:
    # GIVEN two message rows left `sending` by invocations that died mid-send: one now, one 3 minutes on
    store = AlertStore()
    claimed = clock.now()
    old = store.claim_delivery(
        f"DLV#{case_id}#cust#message:7#email#aa", case_id, 0, "email", "customer", "message", claimed
    )
    virtual_clock.advance(minutes=3)
    young = store.claim_delivery(
        f"DLV#{case_id}#cust#message:8#email#aa",
        case_id,
        0,
        "email",
        "customer",
        "message",
        clock.now(),
    )
    assert old is not None and young is not None
    sweep = load_function("sweep")
    sweep.alerts._sender = RecordingSender()
    # WHEN the sweep runs before the first lease ends, nothing changes
    virtual_clock.set(claimed + SENDING_LEASE - timedelta(seconds=1))
    assert sweep.lambda_handler({}, Context())["interrupted"] == 0
    assert DeliveryItem.get(old.key, "DLV").state == "sending"
    # WHEN it runs just after the first lease ended
    virtual_clock.set(claimed + SENDING_LEASE + timedelta(seconds=1))
    summary = sweep.lambda_handler({}, Context())
    # THEN the old row is failed as interrupted, out of the index; the young one is left alone
    assert summary["interrupted"] == 1
    stuck = DeliveryItem.get(old.key, "DLV")
    assert (stuck.state, stuck.error, stuck.due_pk) == ("failed", "interrupted", None)
    assert DeliveryItem.get(young.key, "DLV").state == "sending"
    # and the case shows the failure the way a failed message shows
    failed = [detail for kind, detail in events(case_id) if kind == "customer_message_failed"]
    assert failed == [{"channel": "email", "reason": "interrupted"}]
    # and a second run does nothing more until the young row's lease ends too
    assert sweep.lambda_handler({}, Context())["interrupted"] == 0
    virtual_clock.advance(minutes=3)
    assert sweep.lambda_handler({}, Context())["interrupted"] == 1
    assert DeliveryItem.get(young.key, "DLV").state == "failed"


def test_an_alert_interrupted_mid_send_is_sent_again_by_the_sweep(
    api: Any, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.test_alerts import open_case

    # GIVEN a case whose alert invocation died while emailing Kari (its rows stay `sending`)
    opened = open_case(api)

    class Died(BaseException):  # not an Exception: as a Lambda timeout, nothing in the process catches it
        pass

    def dies(to: str, subject: str, text: str, html: str, tags: Mapping[str, str]) -> str:
        raise Died()

    monkeypatch.setattr(sender, "send_email", dies)
    with pytest.raises(Died):
        alerts.alert(opened)
    monkeypatch.undo()
    assert CaseItem.get(f"CASE#{opened}", "CASE").alert_state == "pending" and sender.sent == []
    # WHEN the sweep runs once the row's lease has ended
    virtual_clock.advance(minutes=6)
    outcome = alerts.sweep(clock.now())
    # THEN the stuck row is failed as interrupted, and the alert goes out again in the same run: the
    # email (its row claimed anew) as well as the SMS
    assert len(outcome.interrupted) == 1 and outcome.alerted == [opened]
    assert sorted((m.channel, m.to) for m in sender.sent) == [
        ("email", "kari@example.com"),
        ("sms", "+4791234567"),
    ]
    interrupted = [detail for kind, detail in events(opened) if kind == "delivery_interrupted"]
    assert interrupted == [
        {"kind": "alert", "level": 1, "channel": "email", "contact": "kari", "reason": "interrupted"}
    ]
    assert CaseItem.get(f"CASE#{opened}", "CASE").alert_state == "sent"


def test_a_raw_email_is_sent_as_composed(lead: CasesApi, case_id: str, sender: RecordingSender) -> None:
    # GIVEN an acknowledged case
    etag = acknowledged(lead, case_id)
    composed: list[RawEmail] = []
    compose = sender.compose_raw_email

    def spy(*args: Any) -> RawEmail:
        composed.append(compose(*args))
        return composed[-1]

    sender.compose_raw_email = spy  # type: ignore[method-assign]
    # WHEN Kari writes to the customer
    status, _, _ = lead.post(case_id, "messages", BODY, etag)
    # THEN the bytes sent are the bytes composed before anything was written
    emails = [m for m in sender.sent if m.tags.get("kind") == "message"]
    assert status == 200 and len(composed) == 1 and [m.raw for m in emails] == [composed[0].data]
    assert b"Subject: Your wait on Monday" in composed[0].data
