"""Sources whose vendor fixes the webhook secret: added with none (and told what to do next), refused
with a reason that says the secret was never set, and given the vendor's secret by a rotation."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from recovery.domain.source import StoredSource
from recovery.services.inbound_hooks import (
    BadSourceRequest,
    Connectors,
    Delivery,
    Hooks,
    Rotation,
    SourceAdmin,
)
from recovery.sources import signatures
from recovery.sources.presets import PRESETS, VENDOR_SECRETS
from recovery.store.hook_log import LogEntry
from tests.support import ROOT

INTERCOM = ROOT / "tests" / "fixtures" / "webhooks" / "intercom" / "conversation_rating_added.UNVERIFIED.json"
SUPPLIED = "intercom-client-secret-0123456789"

# The least options each preset needs.
OPTIONS: dict[str, dict[str, Any]] = {
    "typeform": {"score_ref": "nps"},
    "delighted": {},
    "formbricks": {"score_question": "nps"},
    "zendesk": {},
    "tally": {"score_field": "nps"},
    "intercom": {},
    "helpscout": {},
    "jotform": {"score_field": "q1"},
    "surveymonkey": {"credentials": "sm/token", "score_question": "123"},
    "qualtrics": {"credentials": "qx/token", "datacenter": "fra1", "score_question": "QID1"},
}


class FakeSources:
    """The parts of SourceStore that SourceAdmin and Connectors use, in memory."""

    def __init__(self) -> None:
        self.items: dict[str, StoredSource] = {}

    def create(self, source_id: str, name: str, key_hashes: list[str], thresholds: Any, secret: Any,
               spec: Any, page: Any = None) -> bool:  # fmt: skip
        if source_id in self.items:
            return False
        self.items[source_id] = StoredSource(
            source_id, name, None, tuple(key_hashes), secret, thresholds, spec=spec, page=page
        )
        return True

    def get(self, source_id: str) -> StoredSource | None:
        return self.items.get(source_id)

    def rotate_secret(self, source: StoredSource, new_secret: str, until: datetime) -> bool:
        self.items[source.source_id] = replace(
            source,
            webhook_secret=new_secret,
            previous_secret=source.webhook_secret,
            previous_secret_until=until,
        )
        return True


class FakeLog:
    def __init__(self) -> None:
        self.entries: list[tuple[str, LogEntry]] = []

    def record(self, source_id: str, entry: LogEntry, keep: object = None) -> str:
        self.entries.append((source_id, entry))
        return f"entry-{len(self.entries)}"


class NoIntake:
    def receive(self, *args: Any) -> Any:
        raise AssertionError("a refused delivery never reaches intake")


def admin(sources: FakeSources) -> SourceAdmin:
    return SourceAdmin(sources, FakeLog(), "https://api.example.com")  # type: ignore[arg-type]


def document(preset: str, source_id: str | None = None) -> dict[str, Any]:
    return {"id": source_id or f"{preset}-1", "name": preset, "preset": preset, "options": OPTIONS[preset]}


def test_every_preset_is_named_and_the_vendor_fixed_ones_are_these() -> None:
    assert set(OPTIONS) == set(PRESETS)
    assert {"intercom", "formbricks", "delighted", "zendesk", "surveymonkey"} == VENDOR_SECRETS


@pytest.mark.parametrize("preset", sorted(VENDOR_SECRETS))
def test_a_vendor_fixed_source_is_added_with_no_secret_and_told_what_next(preset: str) -> None:
    # GIVEN a source of a preset whose vendor fixes the secret, added with none supplied
    sources = FakeSources()
    # WHEN it is added
    answer = admin(sources).add(document(preset))
    # THEN no secret is generated or stored, and the answer says how to supply the vendor's
    assert answer["secret"] is None
    assert sources.items[f"{preset}-1"].webhook_secret is None
    assert f"sources rotate {preset}-1 --what secret --secret-env NAME" in answer["next"]
    assert answer["key"].startswith(f"rlk_{preset}-1_")


@pytest.mark.parametrize("preset", sorted(set(PRESETS) - VENDOR_SECRETS))
def test_a_source_whose_secret_is_ours_gets_a_generated_one(preset: str) -> None:
    sources = FakeSources()
    answer = admin(sources).add(document(preset))
    assert answer["secret"] and sources.items[f"{preset}-1"].webhook_secret == answer["secret"]
    assert "next" not in answer


def test_a_supplied_secret_is_stored_for_a_vendor_fixed_source() -> None:
    sources = FakeSources()
    answer = admin(sources).add({**document("intercom"), "secret": SUPPLIED})
    assert answer["secret"] == SUPPLIED and "next" not in answer
    assert sources.items["intercom-1"].webhook_secret == SUPPLIED


def test_a_source_with_no_secret_gets_the_vendors_by_rotation_and_not_a_generated_one() -> None:
    # GIVEN an Intercom source added with no secret
    sources = FakeSources()
    service = admin(sources)
    service.add(document("intercom"))
    # WHEN a rotation does not supply one THEN it is refused: a generated one could never verify
    with pytest.raises(BadSourceRequest, match="vendor fixes the secret"):
        service.rotate("intercom-1", Rotation(what="secret"))
    assert sources.items["intercom-1"].webhook_secret is None
    # WHEN the vendor's secret is supplied THEN it becomes the source's secret
    rotated = service.rotate("intercom-1", Rotation.model_validate({"what": "secret", "secret": SUPPLIED}))
    assert rotated["secret"] == SUPPLIED
    assert sources.items["intercom-1"].webhook_secret == SUPPLIED


def test_a_delivery_before_the_secret_is_set_is_logged_as_never_set() -> None:
    # GIVEN an Intercom source with no secret yet
    sources = FakeSources()
    admin(sources).add(document("intercom"))
    log = FakeLog()
    hooks = Hooks(Connectors(sources), NoIntake(), log)  # type: ignore[arg-type]
    # WHEN Intercom delivers a rating, signed with its client secret
    raw = INTERCOM.read_bytes()
    signature = "sha1=" + hmac.new(SUPPLIED.encode(), raw, hashlib.sha1).hexdigest()
    headers = {"content-type": "application/json", "x-hub-signature": signature}
    answer = hooks.deliver("intercom-1", Delivery(raw, headers, {}))
    # THEN it is refused, and the log says the secret was never set and how to set it
    assert (answer.status, answer.outcome) == (401, "refused")
    [(source_id, entry)] = log.entries
    assert source_id == "intercom-1" and entry.outcome == "refused"
    assert entry.reason is not None and entry.reason.startswith(signatures.NO_SECRET)
    assert "never set" in entry.reason
    assert "sources rotate intercom-1 --what secret --secret-env NAME" in entry.reason
