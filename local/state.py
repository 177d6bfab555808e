"""`--state DIR`: keeping the in-memory AWS and the runtime's own state across restarts.

moto's backends pickle, so the services the application uses are pickled together (one pickle keeps
the references between them, such as stream iterators pointing into tables) with the runtime's own
state: generated keys, the clock, the outbox and the stream positions. The file is written to a
temporary name and renamed, so a crash mid-write never leaves half a state.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import tempfile
import threading
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


def save(directory: Path, runtime: RuntimeState) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    data = _dump({"version": FORMAT_VERSION, "runtime": runtime, "moto": _moto_backends()})
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
    log.info("state saved to %s", directory / STATE_FILE)


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
