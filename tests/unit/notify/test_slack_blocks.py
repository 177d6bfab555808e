"""The Slack messages of a case: buttons, metadata, masking, escaping and the team's clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from recovery.domain.contacts import mask_email
from recovery.notify.slack_blocks import (
    COMMENT_LIMIT,
    SlackCase,
    acknowledged_message,
    alert_message,
    escalation_message,
)

DEADLINE = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)  # 11:15 in Oslo (CET)

CASE = SlackCase(
    case_id="c_123",
    priority="P2",
    score_text="NPS 3/10",
    comment="Waited 40 minutes & nobody <called> back",
    customer_masked=mask_email("ada.lovelace@example.com"),
    agent="Ola <ola@corp>",
    channel="phone",
    team="Support EMEA",
    ack_deadline=DEADLINE,
    timezone="Europe/Oslo",
    repeat_failure=True,
    case_url="https://api.example.com/console/#/cases/c_123",
)


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_the_alert_has_three_buttons_each_carrying_the_case_id() -> None:
    message = alert_message(CASE)
    actions = [block for block in message.blocks if block["type"] == "actions"]
    assert len(actions) == 1
    buttons = actions[0]["elements"]
    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in buttons] == [
        ("ack", "Acknowledge", "c_123"),
        ("take", "Take it", "c_123"),
        ("open", "Open case", "c_123"),
    ]
    assert buttons[0]["style"] == "primary" and "style" not in buttons[1]
    assert buttons[2]["url"] == "https://api.example.com/console/#/cases/c_123"
    assert message.metadata == {
        "event_type": "recovery_case",
        "event_payload": {"case_id": "c_123", "kind": "alert"},
    }


def test_the_alert_shows_the_case_with_the_customer_masked_and_the_deadline_on_the_teams_clock() -> None:
    shown = texts(alert_message(CASE).blocks)
    assert "P2" in shown and "NPS 3/10" in shown and "Support EMEA" in shown and "phone" in shown
    assert "a***@example.com" in shown and "ada.lovelace" not in shown
    assert "2026-11-23 11:15 CET" in shown
    assert "Repeat failure" in shown
    assert "Repeat failure" not in texts(alert_message(replace(CASE, repeat_failure=False)).blocks)


def test_outside_text_is_escaped_for_mrkdwn_so_it_never_becomes_a_link_or_mention() -> None:
    message = alert_message(replace(CASE, comment="<!channel> see <https://evil.example|here> & more"))
    shown = texts(message.blocks)
    assert "&lt;!channel&gt; see &lt;https://evil.example|here&gt; &amp; more" in shown
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "Ola &lt;ola@corp&gt;" in shown
    assert "<" not in message.text and ">" not in message.text


def test_hidden_characters_are_marked_and_a_long_comment_is_shortened() -> None:
    shown = texts(alert_message(replace(CASE, comment="evil\u202eplay")).blocks)
    assert "\u202e" not in shown
    long = alert_message(replace(CASE, comment="x" * 5000))
    quoted = next(
        b["text"]["text"] for b in long.blocks if b["type"] == "section" and "xxx" in b["text"]["text"]
    )
    assert quoted.endswith("…") and len(quoted) <= COMMENT_LIMIT + 2


def test_no_comment_and_no_customer_read_plainly() -> None:
    shown = texts(alert_message(replace(CASE, comment=None, customer_masked=None, agent=None)).blocks)
    assert "No comment" in shown and "*Customer*\\n—" in shown


def test_an_escalation_names_the_level_and_the_missed_deadline() -> None:
    message = escalation_message(
        "c_123", 2, DEADLINE, datetime(2026, 11, 23, 10, 31, tzinfo=UTC), "Europe/Oslo"
    )
    shown = texts(message.blocks)
    assert "level 2" in shown and "not acknowledged by 11:15 CET" in shown and "11:31 CET" in shown
    assert message.metadata["event_payload"] == {"case_id": "c_123", "kind": "escalation"}
    assert not [block for block in message.blocks if block["type"] == "actions"]


def test_acknowledged_replaces_the_buttons_with_who_and_when() -> None:
    message = acknowledged_message(CASE, "Kari <Nordmann>", datetime(2026, 11, 23, 10, 5, tzinfo=UTC))
    assert not [block for block in message.blocks if block["type"] == "actions"]
    shown = texts(message.blocks)
    assert "Acknowledged by *Kari &lt;Nordmann&gt;* at 11:05 CET" in shown
    assert "NPS 3/10" in shown and "a***@example.com" in shown
    assert message.metadata["event_payload"] == {"case_id": "c_123", "kind": "acknowledged"}


def test_a_case_without_zone_aware_deadline_or_web_url_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(CASE, ack_deadline=datetime(2026, 11, 23, 10, 15))
    with pytest.raises(ValueError, match="http"):
        replace(CASE, case_url="javascript:alert(1)")
