"""`--state DIR`: keeping the in-memory AWS and the runtime's own state across restarts.

moto's backends pickle, so the services the application uses are pickled together (one pickle keeps
the references between them, such as stream iterators pointing into tables) with the runtime's own
state: generated keys, the clock, the outbox and the stream positions. The file is written to a
temporary name in the same directory, flushed and fsynced, renamed over the old one and the directory
fsynced, so a crash at any moment leaves either the old state or the new one, whole.

`Saver` saves from a background thread while the runtime serves, so a crash (kill -9, a power cut)
loses at most the last moments: see its docstring for the bound.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "state.pickle"
FORMAT_VERSION = 1
SERVICES = (
    "dynamodb",
    "dynamodbstreams",
    "events",
    "sns",
    "ses",
    "sesv2",
    "sqs",
    "secretsmanager",
    "cognitoidp",
    "scheduler",
)


@dataclass
class RuntimeState:
    source_keys: dict[str, str] = field(default_factory=dict)
    source_secrets: dict[str, str] = field(default_factory=dict)
    admin_key: str = ""
    console_password: str = ""
    clock: datetime | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    stream_positions: dict[str, dict[str, str]] = field(default_factory=dict)
    api_port: int = 0  # the API's port, taken again under `--port 0` so stored links keep working


def save(directory: Path, runtime: RuntimeState) -> None:
    """Snapshot and write; the caller holds the functions' lock (see `snapshot`)."""
    write(directory, snapshot(runtime))


def snapshot(runtime: RuntimeState) -> bytes:
    """moto's backends and the runtime's state as one pickle. moto is not thread-safe: hold the
    functions' lock while this runs, so no call changes a backend halfway through."""
    return _dump({"version": FORMAT_VERSION, "runtime": runtime, "moto": _moto_backends()})


def write(directory: Path, data: bytes) -> None:
    """Replace `directory/state.pickle` with `data` atomically and durably."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".state-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, directory / STATE_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(directory)  # the rename itself survives a crash only once the directory is synced
    log.debug("state saved to %s", directory / STATE_FILE)


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Saver:
    """Saves the state from a background thread while the runtime serves.

    Whatever changes state says so with `changed()` (each function call, each moto server request,
    each request to the runtime's own endpoints that writes, each step of the triggers). A save
    follows `quiet` seconds after the last change (the end of a burst of writes), and at the latest
    `interval` seconds after the first change not yet saved, however busy the runtime is. A change is
    therefore on disk at most about `interval` seconds, plus the time a save takes, after it happened.

    A save holds the functions' lock (`lock`) only while it pickles; writing and fsyncing happen
    after it is released. `collect` gathers the runtime's own state under that lock.
    """

    def __init__(
        self,
        directory: Path,
        lock: threading.RLock,
        collect: Callable[[], RuntimeState],
        quiet: float = 0.5,
        interval: float = 2.0,
    ) -> None:
        self.directory = directory
        self.lock = lock
        self.collect = collect
        self.quiet = quiet
        self.interval = interval
        self._mutex = threading.Lock()  # guards the fields below
        self._version = 0  # counts changes
        self._first_unsaved: float | None = None  # time.monotonic() of the first change not saved
        self._last_change = 0.0
        self._writing = threading.Lock()  # one save at a time, so snapshots reach the disk in order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.saves = 0

    def changed(self) -> None:
        now = time.monotonic()
        with self._mutex:
            self._version += 1
            self._last_change = now
            if self._first_unsaved is None:
                self._first_unsaved = now
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No more background saves (one under way finishes; `save` waits for it)."""
        self._stop.set()
        self._wake.set()

    def _due(self) -> float | None:
        with self._mutex:
            if self._first_unsaved is None:
                return None
            return min(self._last_change + self.quiet, self._first_unsaved + self.interval)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            due = self._due()
            if due is None:
                self._wake.wait()
                continue
            delay = due - time.monotonic()
            if delay > 0:
                self._wake.wait(delay)
                continue
            try:
                self.save()
            except Exception:
                log.exception("could not save the state; trying again")
                self._stop.wait(self.interval)

    def save(self, until: float | None = None, keep_lock: bool = False) -> bool:
        """Snapshot under the functions' lock, then write. With `until` (time.monotonic()), give up
        (False) if the lock is not had by then. With `keep_lock`, the functions' lock stays held
        after the snapshot: nothing changes after the final save of a runtime that is stopping."""
        timeout = -1.0 if until is None else max(0.0, until - time.monotonic())
        if not self._writing.acquire(timeout=timeout):
            return False
        try:
            timeout = -1.0 if until is None else max(0.0, until - time.monotonic())
            if not self.lock.acquire(timeout=timeout):
                return False
            try:
                with self._mutex:
                    version = self._version
                taken_at = time.monotonic()
                data = snapshot(self.collect())
            finally:
                if not keep_lock:
                    self.lock.release()
            write(self.directory, data)
            self.saves += 1
            with self._mutex:
                # changes after the snapshot began are not in it: they wait for the next save
                self._first_unsaved = None if self._version == version else taken_at
            return True
        finally:
            self._writing.release()


def load(directory: Path) -> RuntimeState | None:
    """Restore moto's backends from `directory`; answer the runtime state, or None if there is none."""
    path = directory / STATE_FILE
    if not path.exists():
        return None
    with path.open("rb") as file:
        document = pickle.load(file)  # noqa: S301 - our own file, written by save()
    if document.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path} was written by another version of the runtime; remove it to start afresh")
    _restore_moto_backends(document["moto"])
    runtime: RuntimeState = document["runtime"]
    log.info("state restored from %s", path)
    return runtime


class _Pickler(pickle.Pickler):
    """Two things in moto's backends do not pickle on their own.

    SQS queues hold a lock (saved as a fresh one: nothing holds it while the runtime saves), and Cognito
    pools hold the RSA key they sign tokens with (saved as PEM, so tokens stay valid after a restart).
    """

    def reducer_override(self, obj: Any) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        if isinstance(obj, _LOCK_TYPES):
            return (threading.Condition if isinstance(obj, threading.Condition) else _fresh_lock(obj)), ()
        if isinstance(obj, rsa.RSAPrivateKey):
            pem = obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _private_key, (pem,)
        if isinstance(obj, rsa.RSAPublicKey):
            public_format = serialization.PublicFormat.SubjectPublicKeyInfo
            return _public_key, (obj.public_bytes(serialization.Encoding.PEM, public_format),)
        return NotImplemented


_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()), threading.Condition)


def _fresh_lock(lock: Any) -> Any:
    return threading.RLock if isinstance(lock, type(threading.RLock())) else threading.Lock


def _pickle(document: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(document)
    return buffer.getvalue()


def _private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, None)


def _public_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_public_key(pem)


def _moto_backends() -> dict[str, dict[str, dict[str, Any]]]:
    from moto.backends import get_backend

    snapshot: dict[str, dict[str, dict[str, Any]]] = {}
    for service in SERVICES:
        backends = get_backend(service)  # type: ignore[call-overload]
        snapshot[service] = {account: dict(regions) for account, regions in backends.items()}
    return snapshot


def _dump(document: dict[str, Any]) -> bytes:
    try:
        return _pickle(document)
    except Exception:
        log.exception("could not pickle every service; saving those that pickle")
    moto = {}
    for service, accounts in document["moto"].items():
        try:
            _pickle(accounts)
        except Exception:
            log.warning("the %s state cannot be saved and will start empty next time", service)
            continue
        moto[service] = accounts
    return _pickle({**document, "moto": moto})


def _restore_moto_backends(snapshot: dict[str, dict[str, dict[str, Any]]]) -> None:
    from moto.backends import get_backend

    for service, accounts in snapshot.items():
        backends = get_backend(service)  # type: ignore[call-overload]
        for account, regions in accounts.items():
            account_backends = backends[account]  # creates the per-account container
            for region, backend in regions.items():
                dict.__setitem__(account_backends, region, backend)
