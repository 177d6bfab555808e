"""The monthly cost estimate's arithmetic, on figures chosen so each line can be checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import ROOT
from tools.cost import (
    Assumptions,
    CoreFigures,
    alarms_in_template,
    estimate,
    main,
    parse_share,
)

CORE = CoreFigures(
    all_positive={"http_api": 1.0, "dynamodb": 2.0, "total": 3.0},
    negative_20pct={"http_api": 1.0, "dynamodb": 4.0, "total": 5.0},
    source="test",
)
# Nothing but the core path and what each line's arithmetic needs.
BARE = Assumptions(
    lead_emails_per_negative=1,
    lead_sms_per_negative=1,
    customer_emails_per_negative=1,
    ses_per_thousand_emails=0.10,
    sms_price=0.01,
    bus_events_per_negative=0,
    invocations_per_negative=0,
    scheduled_invocations_per_month=0,
    alarms=10,
    alarm_month=0.10,
    dashboards=1,
    dashboard_month=3.0,
    secrets=0,
    retention_days=0,
    email_replies_per_negative=0,
    sms_replies_per_negative=0,
    notices_per_negative=0,
    two_way_numbers=0,
)


def by_item(volume: float, share: float, assume: Assumptions = BARE) -> dict[str, float]:
    return {line.item: line.monthly for line in estimate(volume, share, CORE, assume)}


def test_the_core_path_is_interpolated_linearly_in_the_share_of_negatives() -> None:
    # GIVEN $3 per million all positive and $5 with 20% negatives
    # WHEN the share is 0, 10%, 20% or 40%
    # THEN the core cost per million is 3, 4, 5 and 7 dollars
    for share, per_million in ((0, 3.0), (0.1, 4.0), (0.2, 5.0), (0.4, 7.0)):
        assert sum(CORE.per_million(share).values()) == pytest.approx(per_million)
    # AND two million feedback with 10% negatives cost $8 on the core path
    assert by_item(2_000_000, 0.1)["core path"] == pytest.approx(8.0)


def test_messages_follow_the_negatives() -> None:
    # GIVEN 100,000 feedback with 10% negatives: 10,000 negatives, each 2 emails and 1 SMS
    lines = by_item(100_000, 0.1)
    # THEN 20,000 emails at $0.10 a thousand, and 10,000 SMS at one cent
    assert lines["email (SES)"] == pytest.approx(2.0)
    assert lines["SMS (SNS)"] == pytest.approx(100.0)
    # AND the fixed part does not depend on the volume: 10 alarms and one dashboard
    assert lines["alarms, dashboard, secret"] == pytest.approx(4.0)
    assert by_item(0, 0)["alarms, dashboard, secret"] == pytest.approx(4.0)


def test_replies_cost_ses_receiving_s3_inbound_sms_and_the_two_way_number() -> None:
    # GIVEN 100,000 feedback with 10% negatives, a third of whom answer by email and a tenth by SMS
    assume = Assumptions(
        **{
            **vars(BARE),
            "email_replies_per_negative": 0.3,
            "sms_replies_per_negative": 0.1,
            "invocation_ms": 0,
            "lambda_per_million_requests": 0,
            "two_way_numbers": 1,
        }
    )
    lines = by_item(100_000, 0.1, assume)
    # THEN 3,000 emails received at $0.10 a thousand plus one 256 KB chunk each at $0.09 a thousand,
    # stored and read once in S3, 1,000 inbound SMS at $0.0075, and the number at $2 a month
    email = 3 * (0.10 + 0.09 + 0.005 + 0.0004)
    assert lines["replies (SES in, S3, SMS in)"] == pytest.approx(email + 1_000 * 0.0075 + 2.0)
    # AND every owner notice is an email to the lead
    with_notices = Assumptions(**{**vars(BARE), "notices_per_negative": 0.5})
    assert by_item(100_000, 0.1, with_notices)["email (SES)"] == pytest.approx(25_000 / 1000 * 0.10)


def test_storage_grows_with_volume_and_retention() -> None:
    # GIVEN 1 GiB a month of feedback kept for about two months, no negatives
    assume = Assumptions(**{**vars(BARE), "retention_days": 61, "bytes_per_feedback": 1024})
    gib_per_month = 1024**2
    lines = by_item(gib_per_month, 0, assume)
    # THEN about 2 GiB are stored, at $0.25 plus $0.20 (PITR) per GB-month
    assert lines["table storage and PITR"] == pytest.approx(61 / 30.4 * 0.45)


def test_invocations_are_priced_by_requests_and_duration() -> None:
    # GIVEN one million scheduled invocations of 100 ms at 512 MB
    assume = Assumptions(**{**vars(BARE), "scheduled_invocations_per_month": 1_000_000})
    # THEN $0.20 for requests plus 50,000 GB-s at $0.0000133334
    assert by_item(0, 0, assume)["schedules"] == pytest.approx(0.20 + 50_000 * 0.0000133334)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        estimate(-1, 0.1, CORE, BARE)
    assert parse_share("15%") == pytest.approx(0.15) and parse_share("0.15") == pytest.approx(0.15)
    with pytest.raises(ValueError):
        parse_share("150%")


def test_the_command_prints_the_total_and_its_assumptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a benchmark result file
    results = tmp_path / "latest.json"
    per_million = {"all_positive": CORE.all_positive, "negative_20pct": CORE.negative_20pct}
    results.write_text(
        json.dumps({"run": {"timestamp": "t"}, "results": {"cost": {"per_million": per_million}}})
    )
    # WHEN the estimate is asked for a million feedback, 20% negative
    argv = ["--volume", "1000000", "--negative", "20%", "--results", str(results), "--template", "none.yaml"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # THEN the core line is $5.00, and the total and the assumptions are printed
    assert "core path" in out and "$      5.00" in out
    assert "total" in out and "sms_price = 0.00581" in out
    # AND the template's alarms are counted
    assert (alarms_in_template(ROOT / "template.yaml") or 0) >= 5
    assert main(["--volume", "10", "--negative", "2", "--results", str(results)]) == 2
