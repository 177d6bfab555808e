"""Sign-in throttling on moto: `POST /v1/session` through the cases handler in-process, with API Gateway v2
events from different client addresses, the attempts counted in the table, and the project's clock moved
by the test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from recovery.services import sign_in
from recovery.store.models import RateLimitItem, SignInNameItem
from recovery.store.throttle import AddressWindows, NameAttempts
from tests.integration.conftest import DAYTIME, Clock, table_items
from tests.support import Context, Stack, event, load_function

PASSWORD = "Str0ng!Passw0rd"
KARI = "kari@example.com"
HOME = "203.0.113.10"
ELSEWHERE = "198.51.100.7"


class CognitoSpy:
    """The user pool client, counting the passwords it was asked to check."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.checked: list[str] = []

    def initiate_auth(self, **request: Any) -> Any:
        self.checked.append(request["AuthParameters"]["USERNAME"])
        return self._client.initiate_auth(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class Session:
    def __init__(self, module: ModuleType, cognito: CognitoSpy) -> None:
        self.module = module
        self.cognito = cognito

    def post(
        self, username: str, password: str, address: str = HOME
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        request = event("cases_get_case.json")
        request.update(routeKey="POST /v1/session", rawPath="/v1/session", pathParameters=None)
        request["requestContext"]["http"].update(method="POST", path="/v1/session", sourceIp=address)
        request["requestContext"]["authorizer"] = {}
        request["headers"] = {"content-type": "application/json"}
        request["body"] = json.dumps({"username": username, "password": password})
        response = self.module.lambda_handler(request, Context())
        headers = {key.lower(): value for key, value in (response.get("headers") or {}).items()}
        return response["statusCode"], headers, json.loads(response["body"])

    def statuses(self, username: str, password: str, times: int, address: str = HOME) -> list[int]:
        return [self.post(username, password, address)[0] for _ in range(times)]


@pytest.fixture
def session(stack: Stack, virtual_clock: Clock) -> Iterator[Session]:
    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=KARI,
        UserAttributes=[{"Name": "email", "Value": KARI}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=stack.user_pool_id, Username=KARI, Password=PASSWORD, Permanent=True
    )
    module = load_function("cases")
    spy = CognitoSpy(module.routes_session.user_pool())
    module.routes_session.user_pool = lambda: spy
    yield Session(module, spy)


def test_the_sixth_wrong_password_in_the_window_is_429_with_retry_after(
    session: Session, virtual_clock: Clock
) -> None:
    # GIVEN five wrong passwords for Kari, a minute apart: each is the usual 401
    for _ in range(5):
        status, _, problem = session.post(KARI, "wrong")
        assert (status, problem["detail"]) == (401, "wrong user name or password")
        virtual_clock.advance(minutes=1)
    # WHEN a sixth comes within the 15 minutes
    status, headers, problem = session.post(KARI, "wrong")
    # THEN it is 429, a problem document whose Retry-After is the first lock: 15 minutes
    assert status == 429, problem
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "900"
    assert (problem["status"], problem["title"]) == (429, "Too many requests")
    assert "15 minutes" in problem["detail"]
    # AND the password was not checked for it
    assert session.cognito.checked == [KARI] * 5
    # AND a different name from another address is not held up by it
    assert session.post("ingrid@example.com", "wrong", ELSEWHERE)[0] == 401


def test_a_locked_name_never_reaches_cognito_even_with_the_right_password(
    session: Session, virtual_clock: Clock
) -> None:
    # GIVEN Kari's name locked by six wrong passwords
    assert session.statuses(KARI, "wrong", 6) == [401] * 5 + [429]
    # WHEN the right password comes while it is locked, from here and from another address
    right = [session.post(KARI, PASSWORD), session.post(KARI, PASSWORD, ELSEWHERE)]
    # THEN both are 429, Retry-After counting down by the clock, and Cognito saw neither
    assert [status for status, _, _ in right] == [429, 429]
    virtual_clock.advance(minutes=5)
    assert session.post(KARI, PASSWORD)[1]["retry-after"] == "600"
    assert session.cognito.checked == [KARI] * 5
    # AND the attempts made while locked did not lengthen the lock
    virtual_clock.advance(minutes=10)
    status, _, answer = session.post(KARI, PASSWORD)
    assert status == 200 and answer["token"], answer


def test_after_the_lock_attempts_are_allowed_again_and_each_lock_is_longer(
    session: Session, virtual_clock: Clock
) -> None:
    # GIVEN a name locked once
    assert session.statuses(KARI, "wrong", 6) == [401] * 5 + [429]
    # WHEN the lock is over THEN wrong passwords are checked again (401), five of them
    virtual_clock.advance(seconds=900)
    assert session.statuses(KARI, "wrong", 6) == [401] * 5 + [429]
    # AND the second lock lasts twice as long, the third four times
    assert session.post(KARI, "wrong")[1]["retry-after"] == "1800"
    virtual_clock.advance(seconds=1800)
    assert session.statuses(KARI, "wrong", 6) == [401] * 5 + [429]
    assert session.post(KARI, "wrong")[1]["retry-after"] == "3600"
    # AND once it is over, the right password signs in and starts the name afresh: five more tries
    virtual_clock.advance(seconds=3600)
    assert session.post(KARI, PASSWORD)[0] == 200
    assert session.statuses(KARI, "wrong", 6) == [401] * 5 + [429]
    assert session.post(KARI, "wrong")[1]["retry-after"] == "900"


def test_failures_spread_beyond_the_window_never_lock(session: Session, virtual_clock: Clock) -> None:
    # GIVEN four wrong passwords, then a pause longer than the window
    assert session.statuses(KARI, "wrong", 4) == [401] * 4
    virtual_clock.advance(minutes=16)
    # WHEN five more come THEN the window started again: all five are checked
    assert session.statuses(KARI, "wrong", 5) == [401] * 5
    assert session.post(KARI, "wrong")[0] == 429


def test_a_success_resets_the_names_count(session: Session) -> None:
    # GIVEN four wrong passwords, then the right one
    assert session.statuses(KARI, "wrong", 4) + session.statuses(KARI, PASSWORD, 1) == [401] * 4 + [200]
    # WHEN five more wrong ones come THEN each is checked: the success started the count again
    assert session.statuses(KARI, "wrong", 5) == [401] * 5
    assert session.post(KARI, "wrong")[0] == 429


def test_an_unknown_name_is_answered_exactly_like_an_existing_one(session: Session) -> None:
    # GIVEN Kari, who exists, and a name that does not WHEN each gets seven wrong passwords
    known = [session.post(KARI, "wrong", HOME) for _ in range(7)]
    unknown = [session.post("nobody@example.com", "wrong", ELSEWHERE) for _ in range(7)]

    def seen(answers: list[tuple[int, dict[str, str], dict[str, Any]]]) -> list[Any]:
        return [(status, headers.get("retry-after"), body) for status, headers, body in answers]

    # THEN the answers are the same, status, Retry-After and document alike
    assert seen(known) == seen(unknown)
    assert [status for status, _, _ in known] == [401] * 5 + [429] * 2


def test_the_name_is_counted_whatever_its_case(session: Session) -> None:
    spellings = [KARI, KARI.upper(), "Kari@Example.com", KARI, "KARI@example.COM"]
    assert [session.post(name, "wrong")[0] for name in spellings] == [401] * 5
    assert session.post(KARI, "wrong")[0] == 429


def test_one_address_trying_many_names_is_limited(session: Session, virtual_clock: Clock) -> None:
    # GIVEN thirty wrong passwords from one address, each for another name (no name reaches its limit)
    names = [f"lead{n}@example.com" for n in range(40)]
    assert [session.post(name, "wrong", ELSEWHERE)[0] for name in names[:30]] == [401] * 30
    # WHEN a thirty-first comes in the same five minutes
    status, headers, problem = session.post(names[30], "wrong", ELSEWHERE)
    # THEN it is 429 until the five-minute window ends (the clock reads 10:00:00), unchecked
    assert (status, headers["retry-after"], problem["title"]) == (429, "300", "Too many requests")
    assert names[30] not in session.cognito.checked
    # AND other addresses are not affected, the right password from another address included
    assert session.post(names[31], "wrong", HOME)[0] == 401
    assert session.post(KARI, PASSWORD, HOME)[0] == 200
    # AND in the next window the address may try again
    virtual_clock.advance(minutes=5)
    assert session.post(names[30], "wrong", ELSEWHERE)[0] == 401


def test_an_ipv6_client_is_counted_by_its_64_block(session: Session) -> None:
    # GIVEN thirty wrong passwords, each from another address of one /64
    addresses = [f"2001:db8:1:2::{n:x}" for n in range(1, 32)]
    names = [f"v6-{n}@example.com" for n in range(31)]
    assert [session.post(names[n], "wrong", addresses[n])[0] for n in range(30)] == [401] * 30
    # WHEN the next comes from yet another address of the block THEN it is refused; another block is not
    assert session.post(names[30], "wrong", addresses[30])[0] == 429
    assert session.post(names[30], "wrong", "2001:db8:1:3::1")[0] == 401


def test_successful_sign_ins_do_not_use_up_an_address(session: Session) -> None:
    # GIVEN an office behind one address WHEN its leads sign in more often than the address limit
    statuses = session.statuses(KARI, PASSWORD, sign_in.ADDRESS_ATTEMPTS + 5)
    # THEN every sign-in succeeds: only failures count against an address
    assert statuses == [200] * (sign_in.ADDRESS_ATTEMPTS + 5)
    # AND failures after them still have the whole allowance of the window
    names = [f"temp{n}@example.com" for n in range(sign_in.ADDRESS_ATTEMPTS + 1)]
    answers = [session.post(name, "wrong")[0] for name in names]
    assert answers == [401] * sign_in.ADDRESS_ATTEMPTS + [429]


def test_counts_are_kept_by_keyed_hash_with_an_expiry_and_nothing_in_clear(
    session: Session, stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a name locked from one address
    assert session.statuses(KARI, "wrong", 6) == [401] * 5 + [429]
    # THEN the table holds one item for the name and one for the address's window, keyed by hash,
    # each with a TTL
    items = table_items(stack)
    text = json.dumps(items)
    assert KARI not in text.lower() and HOME not in text and "kari" not in text.lower()
    names = [item for item in items if item["pk"]["S"].startswith("THROTTLE#name#")]
    windows = [item for item in items if item["pk"]["S"].startswith("THROTTLE#address#")]
    assert len(names) == 1 and len(windows) == 1
    name = SignInNameItem.get(names[0]["pk"]["S"], "NAME")
    assert name.locked_until is not None and name.lockouts == 1
    assert name.expires_at is not None and name.expires_at > name.locked_until
    window = RateLimitItem.get(windows[0]["pk"]["S"], "WINDOW")
    assert window.hits == 6 and window.expires_at is not None and window.expires_at > DAYTIME
    assert windows[0]["pk"]["S"].endswith("#2026-11-23T10:00")
    # AND the log names the throttled user masked, never in clear
    throttled = [record for record in caplog.records if record.getMessage() == "sign-in throttled"]
    assert [(record.__dict__["user"], record.__dict__["limit"]) for record in throttled] == [
        ("k***@example.com", "user name")
    ]
    assert not [record for record in caplog.records if KARI in json.dumps(record.__dict__, default=str)]


def test_two_containers_locking_a_name_at_once_lock_it_once(stack: Stack) -> None:
    # GIVEN a name with its window full, as two containers read it at the same moment
    names = NameAttempts(5, timedelta(minutes=15), sign_in.lockout, timedelta(days=1))
    assert [names.take("h", DAYTIME) for _ in range(5)] == [None] * 5
    item = SignInNameItem("THROTTLE#name#h", "NAME")
    stale = SignInNameItem.get(item.pk, item.sk, consistent_read=True)
    # WHEN both lock it from what they read
    first = names._lock(item, stale, DAYTIME)
    second = names._lock(item, stale, DAYTIME + timedelta(seconds=1))
    # THEN only the first lock is written: the second's condition no longer holds, and it finds that lock
    assert first == DAYTIME + timedelta(minutes=15) and second is None
    assert names.take("h", DAYTIME + timedelta(seconds=1)) == first
    assert SignInNameItem.get(item.pk, item.sk).lockouts == 1


def test_clearing_a_name_never_seen_writes_nothing(stack: Stack) -> None:
    NameAttempts(5, timedelta(minutes=15), sign_in.lockout, timedelta(days=1)).clear("never-seen")
    AddressWindows(timedelta(minutes=5), 30).give_back("THROTTLE#address#never-seen#2026-11-23T10:00")
    assert [item["pk"]["S"] for item in table_items(stack) if item["pk"]["S"].startswith("THROTTLE#")] == []


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 503),
        ("LimitExceededException", 503),
        ("UserNotConfirmedException", 401),
        ("PasswordResetRequiredException", 401),
        ("InvalidParameterException", 400),
    ],
)
def test_what_the_user_pool_answers_is_never_a_5xx_the_caller_caused(
    session: Session, code: str, status: int
) -> None:
    # GIVEN a user pool that answers with one of its documented errors
    client = session.cognito._client

    def refuse(**request: Any) -> Any:
        raise client.exceptions.from_code(code)({"Error": {"Code": code, "Message": code}}, "InitiateAuth")

    session.cognito.initiate_auth = refuse  # type: ignore[method-assign]
    # WHEN a lead signs in THEN throttling is a 503 to retry, and the rest are the caller's 4xx
    answered, headers, problem = session.post(KARI, PASSWORD)
    assert answered == status, problem
    if status == 503:
        assert headers["retry-after"] == "2"
    if status == 401:
        assert problem["detail"] == "wrong user name or password"


@pytest.mark.parametrize("username", ["kari @example.com", "kari\x00", "\u0085kari", " "])
def test_a_user_name_the_user_pool_cannot_hold_is_a_400_before_it_is_asked(
    session: Session, username: str
) -> None:
    answered, _, problem = session.post(username, PASSWORD)
    assert answered == 400 and problem["errors"][0]["pointer"] == "/username", problem
    assert session.cognito.checked == []
