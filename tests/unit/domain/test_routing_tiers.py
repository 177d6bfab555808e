"""Alert tiers per contact: which channels reach a contact in real time for each priority, the daily
digest, the errors that name the bad key, and the matrix `alerting explain` prints."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from recovery.domain.routing import ConfigError, Team, matrix_text, parse_config, tier_matrix
from tests.support import ROOT

KARI = {"id": "kari", "name": "Kari", "email": "kari@example.com", "phone": "+4791234567"}
MARK = {"id": "mark", "name": "Mark", "email": "mark@example.com"}
INGRID = {"id": "ingrid", "name": "Ingrid", "email": "ingrid@example.com", "phone": "+4792345678"}
DAILY = {"daily": True, "at": "08:00"}


def team(levels: dict[int, list[dict[str, Any]]], **extra: Any) -> Team:
    document = {
        "teams": [{"id": "t", "name": "T", "levels": levels, **extra}],
        "routing": {"default_team": "t"},
    }
    return parse_config(document).team("t")


def refused(levels: dict[int, list[dict[str, Any]]], **extra: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        team(levels, **extra)
    return str(raised.value)


def test_without_tiers_every_priority_goes_real_time_on_the_contacts_channels() -> None:
    kari = team({1: [KARI]}).level(1)[0]
    assert kari.tiers is None and not kari.digest.daily
    for priority in ("P1", "P2", "P3", "P4"):
        assert kari.realtime(priority) == ["email", "sms"]
        assert not kari.in_digest(priority)


def test_a_tier_chooses_the_real_time_channels_per_priority() -> None:
    tiers = {"P1": ["sms", "email", "slack"], "P2": ["email", "slack"], "P3": ["digest"]}
    kari = team({1: [{**KARI, "tiers": tiers, "digest": DAILY}]}, slack_channel="C0EMEA").level(1)[0]
    assert kari.realtime("P1") == ["sms", "email", "slack"]
    assert kari.realtime("P2") == ["email", "slack"]
    assert kari.realtime("P3") == [] and kari.in_digest("P3")
    assert kari.realtime("P4") == ["email", "sms"]  # not listed: the contact's channels


def test_sms_in_a_tier_needs_a_phone_number_and_the_error_names_the_key() -> None:
    mark = {**MARK, "channels": ["email"], "tiers": {"P1": ["email", "sms"]}}
    assert (
        refused({1: [KARI], 2: [INGRID, mark]})
        == "teams/0/levels/2/1/tiers/P1/1: channel sms needs a phone number"
    )


def test_email_in_a_tier_needs_an_email_address() -> None:
    sms_only = {
        "id": "ola",
        "name": "Ola",
        "phone": "+4790000000",
        "channels": ["sms"],
        "tiers": {"P2": ["email"]},
    }
    assert refused({1: [sms_only]}) == "teams/0/levels/1/0/tiers/P2/0: channel email needs an email address"


def test_slack_in_a_tier_needs_the_teams_slack_channel() -> None:
    kari = {**KARI, "slack_user": "U0KARI", "tiers": {"P1": ["email", "slack"]}}
    assert refused({1: [kari]}) == "teams/0/levels/1/0/tiers/P1/1: slack needs the team's slack_channel"
    assert team({1: [kari]}, slack_channel="C0EMEA").level(1)[0].realtime("P1") == ["email", "slack"]


def test_digest_in_a_tier_needs_the_daily_digest() -> None:
    kari = {**KARI, "tiers": {"P4": ["digest"]}}
    assert refused({1: [kari]}).startswith(
        "teams/0/levels/1/0/tiers/P4/0: digest needs the contact's daily digest"
    )


def test_unknown_channels_empty_tiers_repeats_and_priorities_are_refused() -> None:
    assert refused({1: [{**KARI, "tiers": {"P1": ["pager"]}}]}).startswith("teams/0/levels/1/0/tiers/P1/0: ")
    assert refused({1: [{**KARI, "tiers": {"P1": []}}]}) == (
        "teams/0/levels/1/0/tiers/P1: name at least one channel, or digest"
    )
    assert refused({1: [{**KARI, "tiers": {"P1": ["sms", "sms"]}}]}) == (
        "teams/0/levels/1/0/tiers/P1/1: sms is named twice"
    )
    assert refused({1: [{**KARI, "tiers": {"P9": ["sms"]}}]}).startswith("teams/0/levels/1/0/tiers/P9")


def test_the_daily_digest_is_a_whole_hour_and_needs_an_email_address() -> None:
    assert refused({1: [{**KARI, "digest": {"daily": True, "at": "08:30"}}]}).startswith(
        "teams/0/levels/1/0/digest/at: "
    )
    sms_only = {"id": "ola", "name": "Ola", "phone": "+4790000000", "channels": ["sms"], "digest": DAILY}
    assert refused({1: [sms_only]}) == (
        "teams/0/levels/1/0/digest/daily: the daily digest is an email: it needs an email address"
    )


def sample() -> Team:
    return team(
        {
            1: [
                {
                    **KARI,
                    "tiers": {
                        "P1": ["sms", "email", "slack"],
                        "P2": ["email"],
                        "P3": ["digest"],
                        "P4": ["digest"],
                    },
                    "digest": DAILY,
                },
                {
                    **MARK,
                    "channels": ["email"],
                    "tiers": {"P3": ["digest"], "P4": ["digest"]},
                    "digest": DAILY,
                    "on_duty": {
                        "timezone": "Europe/Oslo",
                        "windows": [{"days": ["mon"], "start": "22:00", "end": "06:00"}],
                    },
                },
            ],
            2: [{**INGRID, "tiers": {"P4": ["digest"]}, "digest": DAILY}],
        },
        slack_channel="C0EMEA",
    )


def test_the_matrix_shows_real_time_digest_and_fall_through_per_priority_and_level() -> None:
    matrix = tier_matrix(sample())
    assert list(matrix) == ["P1", "P2", "P3", "P4"]
    p1 = matrix["P1"][0]
    assert p1.realtime == {"kari": ["sms", "email", "slack"], "mark": ["email"]} and not p1.falls_through
    assert matrix["P3"][0].realtime == {} and matrix["P3"][0].falls_through
    assert matrix["P3"][0].digest == ["kari", "mark"]
    assert matrix["P3"][1].realtime == {"ingrid": ["email", "sms"]} and not matrix["P3"][1].falls_through
    assert matrix["P4"][1].falls_through and matrix["P4"][1].digest == ["ingrid"]


def test_the_matrix_text_names_where_it_falls_through() -> None:
    lines = matrix_text(sample())
    assert lines[0] == "t (T)"
    assert "    level 1: kari: sms, email, slack; mark (on-duty hours): email" in lines
    assert "    level 1: nobody in real time -> falls through to level 2 | digest: kari, mark" in lines
    assert "    level 2: nobody in real time -> falls through to SLA breached | digest: ingrid" in lines


def test_the_docs_show_the_demo_teams_matrix() -> None:
    demo = parse_config(yaml.safe_load((ROOT / "config" / "teams.yaml").read_text(encoding="utf-8")))
    shown = "\n".join(matrix_text(demo.team("support-emea")))
    assert shown in (ROOT / "docs" / "alert-tiers.md").read_text(encoding="utf-8")
    assert "    level 2: nobody in real time -> falls through to level 3 | digest: ingrid" in shown
