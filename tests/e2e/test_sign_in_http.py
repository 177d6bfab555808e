"""Sign-in throttling end to end: `POST /v1/session` over HTTP on a runtime of its own (the attempts it
makes from 127.0.0.1 must not hold up other tests' sign-ins), its attempts counted in moto's table, its
lock lifted by moving the runtime's virtual clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
ATTEMPTS = 300


@pytest.fixture(scope="module")
def runtime(runtime_launcher: RuntimeLauncher) -> Iterator[RuntimeProcess]:
    """A runtime for this module alone, not the session's shared one: its sign-ins from 127.0.0.1 are
    throttled on purpose."""
    running = runtime_launcher.start()
    yield running
    runtime_launcher.stop(running)


def advance(runtime: RuntimeProcess, seconds: int) -> None:
    moved = requests.post(
        runtime.url("/_local/clock"), json={"advance_seconds": seconds, "catch_up": "last"}, timeout=120
    )
    assert moved.status_code == 200, moved.text


def session(runtime: RuntimeProcess, username: str, password: str) -> requests.Response:
    body = {"username": username, "password": password}
    return requests.post(runtime.url("/v1/session"), json=body, timeout=30)


def test_three_hundred_wrong_passwords_get_429s_after_the_limit(runtime: RuntimeProcess) -> None:
    # GIVEN the runtime's demo login
    login: dict[str, Any] = runtime["console_login"]
    # WHEN 300 wrong passwords for that name come in a row from one client
    started = time.monotonic()
    answers = [session(runtime, login["username"], f"wrong-{n}") for n in range(ATTEMPTS)]
    elapsed = time.monotonic() - started
    # THEN the first five are checked (401) and every later one is 429, a problem document with a
    # Retry-After in whole seconds no longer than the first lock (15 minutes)
    statuses = [answer.status_code for answer in answers]
    assert statuses[:5] == [401] * 5, statuses[:10]
    assert statuses[5:] == [429] * (ATTEMPTS - 5), sorted(set(statuses[5:]))
    for answer in answers[5:]:
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert 1 <= int(answer.headers["Retry-After"]) <= 900
        assert answer.json()["status"] == 429
    # AND the right password is refused alike while the name is locked
    locked = session(runtime, login["username"], login["password"])
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) <= 900
    # WHEN the virtual clock moves past the lock
    advance(runtime, 901)
    # THEN the right password signs in, and its token passes the authorizer
    signed_in = session(runtime, login["username"], login["password"])
    assert signed_in.status_code == 200, signed_in.text
    me = requests.get(
        runtime.url("/v1/me"), headers={"Authorization": f"Bearer {signed_in.json()['token']}"}, timeout=30
    )
    assert me.status_code == 200 and me.json()["actor"] == "kari"
    print(f"{ATTEMPTS} sign-in attempts in {elapsed:.1f} s")


def test_one_client_trying_many_names_gets_429_after_the_address_limit(runtime: RuntimeProcess) -> None:
    # GIVEN a fresh five-minute window (whatever an earlier test left in the last one)
    advance(runtime, 300)
    # WHEN one client tries a wrong password for 40 different names
    answers = [session(runtime, f"guess{n}@example.com", "Wr0ng!Passw0rd") for n in range(40)]
    # THEN thirty are checked and the rest are 429 until the five-minute window ends
    statuses = [answer.status_code for answer in answers]
    assert statuses == [401] * 30 + [429] * 10, statuses
    assert all(1 <= int(answer.headers["Retry-After"]) <= 300 for answer in answers[30:])
    # AND the demo lead, from the same address, is refused too until then: the address is over its limit
    login = runtime["console_login"]
    assert session(runtime, login["username"], login["password"]).status_code == 429
