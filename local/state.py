"""`--state DIR`: keeping the in-memory AWS and the runtime's own state across restarts.

moto's backends pickle, so the services the application uses are pickled together (one pickle keeps
the references between them, such as stream iterators pointing into tables) with the runtime's own
state: generated keys, the clock, the outbox and the stream positions. The file is written to a
temporary name and renamed, so a crash mid-write never leaves half a state.
"""

from __future__ import annotations

import copyreg
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
    _teach_pickle()
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


def _teach_pickle() -> None:
    """Two things in moto's backends do not pickle on their own.

    SQS queues hold a lock (saved as a fresh one: nothing holds it while the runtime saves), and Cognito
    pools hold the RSA key they sign tokens with (saved as PEM, so tokens stay valid after a restart).
    """
    for lock_type, factory in (
        (type(threading.Lock()), threading.Lock),
        (type(threading.RLock()), threading.RLock),
        (threading.Condition, threading.Condition),
    ):
        copyreg.pickle(lock_type, lambda _lock, factory=factory: (factory, ()))  # type: ignore[misc]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)

    def reduce_private(key: rsa.RSAPrivateKey) -> tuple[Any, tuple[bytes]]:
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return _private_key, (pem,)

    def reduce_public(key: rsa.RSAPublicKey) -> tuple[Any, tuple[bytes]]:
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return _public_key, (pem,)

    copyreg.pickle(type(private_key), reduce_private)
    copyreg.pickle(type(private_key.public_key()), reduce_public)


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
        return pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        log.exception("could not pickle every service; saving those that pickle")
    moto = {}
    for service, accounts in document["moto"].items():
        try:
            pickle.dumps(accounts)
        except Exception:
            log.warning("the %s state cannot be saved and will start empty next time", service)
            continue
        moto[service] = accounts
    return pickle.dumps({**document, "moto": moto}, protocol=pickle.HIGHEST_PROTOCOL)


def _restore_moto_backends(snapshot: dict[str, dict[str, dict[str, Any]]]) -> None:
    from moto.backends import get_backend

    for service, accounts in snapshot.items():
        backends = get_backend(service)  # type: ignore[call-overload]
        for account, regions in accounts.items():
            account_backends = backends[account]  # creates the per-account container
            for region, backend in regions.items():
                dict.__setitem__(account_backends, region, backend)
