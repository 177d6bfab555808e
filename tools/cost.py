"""A monthly cost estimate for a given volume, from the benchmark's measured cost model.

    python -m tools.cost --volume 200000 --negative 0.15 [--results bench/results/latest.json]
    (`make cost VOLUME=200000 NEGATIVE=0.15`; NEGATIVE is a share, 0.15, or a percentage, 15%)

Three parts, each with its assumptions printed:
- the core path per feedback (HTTP API, ingest, DynamoDB, stream, counters, bus, logs), measured by
  `make bench` for all-positive traffic and for 20% negatives. The model is linear in the share of
  negatives, so any share is interpolated from those two figures exactly;
- per negative: the messages it causes (alert email and SMS to a lead, the customer's acknowledgement
  and follow-up emails) and the rest of the case's life (events on the bus, function invocations);
- per negative, the customer's replies (docs/replies.md): each email reply is received by SES, stored in
  S3 for the inbound function, read and deleted; each SMS reply is an inbound message on the two-way number;
  each reply tells the lead by email (an owner notice), and so do the silence notices;
- fixed per month: schedules, alarms, the dashboard, the secret, the two-way SMS number, and table storage
  with point-in-time recovery at the retention period.
List prices (us-east-1, first tier, no free tier); taxes and data transfer are not included.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import cli

MILLION = 1_000_000
GB = 1024**3
MEASURED_NEGATIVE_SHARE = 0.2  # the benchmark's mixed run
DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class CoreFigures:
    """Core-path US dollars per million feedback, itemised, from a benchmark run."""

    all_positive: dict[str, float]
    negative_20pct: dict[str, float]
    source: str

    @classmethod
    def from_results(cls, path: Path) -> CoreFigures:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        per_million = document["results"]["cost"]["per_million"]
        run = document.get("run", {}).get("timestamp", "?")
        return cls(per_million["all_positive"], per_million["negative_20pct"], f"{path} (run {run})")

    def per_million(self, negative_share: float) -> dict[str, float]:
        """Itemised cost per million feedback with `negative_share` negatives (linear in the share)."""
        weight = negative_share / MEASURED_NEGATIVE_SHARE
        return {
            item: positive + (self.negative_20pct.get(item, positive) - positive) * weight
            for item, positive in self.all_positive.items()
            if item != "total"
        }


@dataclass(frozen=True)
class Assumptions:
    """What a negative causes, and what the stack costs whatever the volume; all stated in the output."""

    lead_emails_per_negative: float = 1.0  # the on-duty level-1 lead; escalations add more
    lead_sms_per_negative: float = 1.0
    customer_emails_per_negative: float = 2.0  # the instant acknowledgement and the follow-up
    ses_per_thousand_emails: float = 0.10
    sms_price: float = 0.00581  # one US SMS segment; other countries cost from 0.002 to over 0.10
    bus_events_per_negative: float = 3.0  # acknowledged, resolved, recovered (CaseOpened is in the core)
    invocations_per_negative: float = 6.0  # alert, customer ack, ack page, cases API, follow-up, page
    email_replies_per_negative: float = 0.3  # customers who answer an email about their case
    sms_replies_per_negative: float = 0.1  # and those who answer a text (STOP included)
    notices_per_negative: float = 0.5  # owner notices: replies, no answer, bounces, reminders
    ses_receive_per_thousand_emails: float = 0.10  # SES receiving, per 1,000 emails received
    ses_receive_per_thousand_chunks: float = 0.09  # and per 1,000 incoming 256 KB chunks
    chunks_per_reply: float = 1.0  # a text reply is far under 256 KB
    s3_per_thousand_puts: float = 0.005  # SES stores each reply; the function reads it, then deletes it
    s3_per_thousand_gets: float = 0.0004
    inbound_sms_price: float = 0.0075  # one inbound US SMS; a long reply counts by its segments
    two_way_numbers: int = 1  # a number that can receive: a US toll-free number, say
    two_way_number_month: float = 2.00
    invocation_ms: float = 100.0
    memory_mb: int = 512
    lambda_per_million_requests: float = 0.20
    lambda_per_gb_second_arm64: float = 0.0000133334
    eventbridge_per_million_events: float = 1.00
    scheduled_invocations_per_month: float = 43_800 + 2 * 8_760 + 730 + 5  # sweep, 5-min jobs, hourly, weekly
    alarms: int = 12
    alarm_month: float = 0.10
    dashboards: int = 1
    dashboard_month: float = 3.00  # an account's first three dashboards are free
    secrets: int = 1
    secret_month: float = 0.40
    retention_days: int = 400  # FeedbackRetentionDays: raw feedback expires by TTL after this
    bytes_per_feedback: int = 1_500  # the item and its index entries
    bytes_per_case: int = 6_000  # the case, its timeline, delivery rows, follow-up
    storage_gb_month: float = 0.25
    pitr_gb_month: float = 0.20


@dataclass(frozen=True)
class Line:
    item: str
    monthly: float
    basis: str


def estimate(volume: float, negative_share: float, core: CoreFigures, assume: Assumptions) -> list[Line]:
    """Monthly US dollars, line by line, for `volume` feedback a month with `negative_share` negatives."""
    if volume < 0 or not 0 <= negative_share <= 1:
        raise ValueError("volume must be at least 0 and the negative share between 0 and 1")
    negatives = volume * negative_share
    core_items = core.per_million(negative_share)
    per_million = sum(core_items.values())
    lines = [Line("core path", per_million * volume / MILLION, f"${per_million:.2f} per million feedback")]
    emails = negatives * (
        assume.lead_emails_per_negative + assume.customer_emails_per_negative + assume.notices_per_negative
    )
    lines.append(Line("email (SES)", emails / 1000 * assume.ses_per_thousand_emails, f"{emails:,.0f} emails"))
    sms = negatives * assume.lead_sms_per_negative
    lines.append(Line("SMS (SNS)", sms * assume.sms_price, f"{sms:,.0f} SMS at ${assume.sms_price} each"))
    gb_seconds = assume.invocation_ms / 1000 * assume.memory_mb / 1024
    per_invocation = (
        assume.lambda_per_million_requests / MILLION + gb_seconds * assume.lambda_per_gb_second_arm64
    )
    invocations = negatives * assume.invocations_per_negative
    events = negatives * assume.bus_events_per_negative
    lines.append(
        Line(
            "case life (Lambda, EventBridge)",
            invocations * per_invocation + events * assume.eventbridge_per_million_events / MILLION,
            f"{invocations:,.0f} invocations, {events:,.0f} events",
        )
    )
    email_replies = negatives * assume.email_replies_per_negative
    sms_replies = negatives * assume.sms_replies_per_negative
    lines.append(
        Line(
            "replies (SES in, S3, SMS in)",
            email_replies
            / 1000
            * (
                assume.ses_receive_per_thousand_emails
                + assume.chunks_per_reply * assume.ses_receive_per_thousand_chunks
                + assume.s3_per_thousand_puts
                + assume.s3_per_thousand_gets
            )
            + sms_replies * assume.inbound_sms_price
            + (email_replies + sms_replies) * per_invocation
            + assume.two_way_numbers * assume.two_way_number_month,
            f"{email_replies:,.0f} email and {sms_replies:,.0f} SMS replies, "
            f"{assume.two_way_numbers} two-way number",
        )
    )
    lines.append(
        Line(
            "schedules",
            assume.scheduled_invocations_per_month * per_invocation,
            f"{assume.scheduled_invocations_per_month:,.0f} invocations",
        )
    )
    lines.append(
        Line(
            "alarms, dashboard, secret",
            assume.alarms * assume.alarm_month
            + assume.dashboards * assume.dashboard_month
            + assume.secrets * assume.secret_month,
            f"{assume.alarms} alarms, {assume.dashboards} dashboard, {assume.secrets} secret",
        )
    )
    months = assume.retention_days / DAYS_PER_MONTH
    stored = (volume * assume.bytes_per_feedback + negatives * assume.bytes_per_case) * months / GB
    lines.append(
        Line(
            "table storage and PITR",
            stored * (assume.storage_gb_month + assume.pitr_gb_month),
            f"{stored:.2f} GB at {assume.retention_days} days' retention",
        )
    )
    return lines


def alarms_in_template(path: Path) -> int | None:
    """How many alarms the template declares (each is billed monthly), or None without a template."""
    if not path.exists():
        return None
    return len(re.findall(r"^\s+Type:\s*AWS::CloudWatch::Alarm\s*$", path.read_text(encoding="utf-8"), re.M))


def parse_share(text: str) -> float:
    """`0.15` or `15%` -> 0.15."""
    value = float(text.strip().removesuffix("%")) / (100 if text.strip().endswith("%") else 1)
    if not 0 <= value <= 1:
        raise ValueError(f"{text!r}: a share from 0 to 1, or a percentage from 0% to 100%")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--volume", type=float, required=True, help="feedback per month")
    parser.add_argument("--negative", default="0.2", help="share of negatives: 0.15 or 15%% (default 0.2)")
    parser.add_argument("--results", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--sms-price", type=float, help="US dollars per SMS in your leads' country")
    parser.add_argument("--retention-days", type=int, help="FeedbackRetentionDays of the stack")
    args = parser.parse_args(argv)
    try:
        share = parse_share(args.negative)
        core = CoreFigures.from_results(args.results)
    except (ValueError, OSError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    overrides: dict[str, Any] = {}
    if args.sms_price is not None:
        overrides["sms_price"] = args.sms_price
    if args.retention_days is not None:
        overrides["retention_days"] = args.retention_days
    alarms = alarms_in_template(args.template)
    if alarms is not None:
        overrides["alarms"] = alarms
    assume = Assumptions(**overrides)
    try:
        lines = estimate(args.volume, share, core, assume)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Monthly estimate: {args.volume:,.0f} feedback, {share:.0%} negative ({args.volume * share:,.0f})")
    for line in lines:
        print(f"  {line.item:<32} ${line.monthly:>10,.2f}   {line.basis}")
    print(f"  {'total':<32} ${sum(line.monthly for line in lines):>10,.2f}")
    print("\nAssumptions:")
    print(f"  core path measured by the benchmark: {core.source}")
    print("  list prices, us-east-1, first tier, no free tier; taxes and data transfer not included")
    for name, value in vars(assume).items():
        print(f"  {name} = {value}")
    return 0


if __name__ == "__main__":
    cli.run(main)
