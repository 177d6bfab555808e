"""Who is calling: a lead's claims, which API Gateway's JWT authorizer checked and passes on, and the
admin key (Bearer, stored hashed) that the admin API and the deploy pipeline's markers present."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from recovery.domain import keys
from recovery.web.http import Problem


def claims(event: BaseProxyEvent) -> dict[str, Any] | None:
    """The signed-in lead's token claims; None when the request carries none."""
    context = event.raw_event.get("requestContext") or {}
    found: dict[str, Any] | None = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    return found


def require_admin_key(headers: Mapping[str, str], hashes: Callable[[], Iterable[str]]) -> None:
    """401 unless `Authorization: Bearer <key>` names a current admin key (`hashes` reads them)."""
    key = keys.bearer(headers.get("authorization"))
    if key is None or not keys.matches(key, hashes()):
        raise Problem(
            401, "Unauthorized", "missing or unknown admin key", headers={"WWW-Authenticate": "Bearer"}
        )
