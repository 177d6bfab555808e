"""The embedded runtime shows outbound webhook posts in its outbox (no network: urlopen is faked)."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest

from local.capture import Capture
from local.outbox import Outbox
from recovery.notify import webhooks

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class Answer:
    status = 200

    def read(self, _: int) -> bytes:
        return b""

    def __enter__(self) -> Answer:
        return self

    def __exit__(self, *_: Any) -> None:
        return None


def watched(monkeypatch: pytest.MonkeyPatch, fake: Any) -> Capture:
    monkeypatch.setattr(urllib.request, "urlopen", fake)
    capture = Capture()
    capture.outbox = Outbox(lambda: NOW)
    capture._watch_webhooks()
    return capture


def test_an_accepted_webhook_post_is_in_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a receiver that accepts, and the runtime's capture watching
    capture = watched(monkeypatch, lambda request, timeout: Answer())
    body = json.dumps({"type": "case.opened", "data": {"case_id": "cs_1"}}).encode()
    headers = webhooks.signed_headers(webhooks.new_secret(), "msg_1", body, NOW)
    # WHEN the outbound function posts a signed case event
    webhooks.UrllibPoster().post("https://crm.example.com/in", body, headers)
    # THEN the outbox lists it as a webhook about that case
    assert capture.outbox is not None
    [entry] = capture.outbox.entries()
    assert (entry["channel"], entry["kind"], entry["case_id"]) == ("webhook", "webhook", "cs_1")
    assert entry["to"] == "https://crm.example.com/in" and entry["subject"] == "msg_1"


def test_a_refused_post_is_not_in_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a receiver that is down
    def down(request: Any, timeout: float) -> Any:
        raise ConnectionRefusedError

    capture = watched(monkeypatch, down)
    # WHEN a post fails THEN it raises for a retry and the outbox stays empty
    with pytest.raises(webhooks.PostFailed):
        webhooks.UrllibPoster().post("https://crm.example.com/in", b"{}", {"webhook-id": "msg_2"})
    assert capture.outbox is not None and capture.outbox.entries() == []
