"""The admin API shows each team's closing target (48 hours, 80% unless set) and refuses a bad one."""

from __future__ import annotations

import copy
from types import ModuleType

from tests.integration.test_admin import admin, call, demo

__all__ = ["admin"]  # the fixture


def test_the_target_is_shown_set_or_defaulted(admin: ModuleType) -> None:
    document = demo()
    document["teams"][1]["closing_target"] = {"hours": 24, "share": 0.9}
    status, _, body = call(admin, "PUT", document)
    assert status == 200
    _, _, body = call(admin, "GET")
    targets = {team["id"]: team["closing_target"] for team in body["teams"]}
    assert targets["support-emea"] == {"hours": 48, "share": 0.8}
    assert targets["support-apac"] == {"hours": 24, "share": 0.9}
    assert targets["smoke"] == {"hours": 48, "share": 0.8}  # not set: the default


def test_a_bad_target_is_refused_naming_its_key(admin: ModuleType) -> None:
    call(admin, "PUT", demo())
    bad = copy.deepcopy(demo())
    bad["teams"][0]["closing_target"] = {"hours": 48, "share": 1.5}
    status, _, problem = call(admin, "PUT", bad)
    assert status == 400 and problem["detail"].startswith("teams/0/closing_target/share")
    bad["teams"][0]["closing_target"] = {"hours": 0}
    assert call(admin, "PUT", bad)[2]["detail"].startswith("teams/0/closing_target/hours")
    _, headers, _ = call(admin, "GET")
    assert headers["ETag"] == '"1"'  # the old configuration stays
