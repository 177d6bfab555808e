"""`--state`: moto's backends and the runtime's own state survive a save and a load, and the state is
saved while the runtime serves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local import state

PASSWORD = "Aa1!" + "a" * 10


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def test_queues_tokens_and_runtime_state_survive(aws: None, tmp_path: Path) -> None:
    # GIVEN a queue with a message, a Cognito user with a token and some runtime state
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="lead@example.com", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="lead@example.com", Password=PASSWORD, Permanent=True
    )
    token = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "lead@example.com", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    saved = state.RuntimeState(
        source_keys={"demo": "rlk_demo_x"},
        clock=datetime(2026, 1, 1, tzinfo=UTC),
        stream_positions={"Mapping": {"shard": "42"}},
    )
    # WHEN it is saved, everything is wiped, and it is loaded again
    state.save(tmp_path, saved)
    assert not list(tmp_path.glob(".state-*"))  # no temporary file left behind
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    assert boto3.client("sqs").list_queues().get("QueueUrls") is None
    restored = state.load(tmp_path)
    # THEN the message, the token's validity and the runtime state are back
    assert boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "kept"
    assert boto3.client("cognito-idp").get_user(AccessToken=token)["Username"] == "lead@example.com"
    assert restored == saved


def test_no_state_yet(tmp_path: Path) -> None:
    assert state.load(tmp_path) is None


# ------------------------------------------------------------------------------- saving while serving
def saver(directory: Path, lock: threading.RLock | None = None, **timing: float) -> state.Saver:
    runtime = state.RuntimeState(admin_key="rla_x")
    return state.Saver(directory, lock or threading.RLock(), lambda: runtime, **timing)


def saved_at(directory: Path) -> float | None:
    path = directory / state.STATE_FILE
    return path.stat().st_mtime if path.exists() else None


def test_a_burst_of_changes_is_saved_once_it_is_over(tmp_path: Path) -> None:
    # GIVEN a saver that waits for 0.1 s of quiet, or at most 5 s
    background = saver(tmp_path, quiet=0.1, interval=5.0)
    background.start()
    try:
        # WHEN a burst of changes comes, then nothing
        for _ in range(10):
            background.changed()
            time.sleep(0.01)
        assert background.saves == 0  # not during the burst
        time.sleep(0.6)
        # THEN one save followed, and it loads
        assert background.saves == 1
        assert state.load(tmp_path) == state.RuntimeState(admin_key="rla_x")
        assert not list(tmp_path.glob(".state-*"))
        # AND without changes nothing more is saved
        time.sleep(0.3)
        assert background.saves == 1
    finally:
        background.stop()


def test_changes_that_never_pause_are_still_saved_every_interval(tmp_path: Path) -> None:
    # GIVEN a saver that waits for 0.5 s of quiet, or at most 0.2 s after the first unsaved change
    background = saver(tmp_path, quiet=0.5, interval=0.2)
    background.start()
    try:
        # WHEN changes come every 20 ms for 1.2 s (never 0.5 s of quiet)
        stop = time.monotonic() + 1.2
        while time.monotonic() < stop:
            background.changed()
            time.sleep(0.02)
        # THEN it saved all the same, about every 0.2 s
        assert 3 <= background.saves <= 8
    finally:
        background.stop()


def test_a_save_waits_for_the_running_call_and_gives_up_at_its_deadline(tmp_path: Path) -> None:
    # GIVEN a function call holding the functions' lock on another thread
    lock = threading.RLock()
    held, release = threading.Event(), threading.Event()

    def call() -> None:
        with lock:
            held.set()
            release.wait(5)

    worker = threading.Thread(target=call)
    worker.start()
    held.wait(5)
    final = saver(tmp_path, lock)
    try:
        # WHEN a save must be done within 0.2 s
        started = time.monotonic()
        # THEN it gives up then, and nothing is written
        assert final.save(until=started + 0.2) is False
        assert 0.2 <= time.monotonic() - started < 1.0 and saved_at(tmp_path) is None
    finally:
        release.set()
        worker.join()
    # AND once the call is over, a final save keeps the lock: nothing may change after it
    assert final.save(until=time.monotonic() + 1, keep_lock=True) is True
    assert saved_at(tmp_path) is not None
    results: list[bool] = []
    other = threading.Thread(target=lambda: results.append(lock.acquire(timeout=0.1)))
    other.start()
    other.join()
    assert results == [False]
    lock.release()
