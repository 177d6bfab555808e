"""Translate pynamodb/botocore failures into domain terms."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBConnectionError, PynamoDBException

from recovery.errors import TransientFailure

_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


def is_transient(error: PynamoDBException) -> bool:
    code = error.cause_response_code
    if code is None:
        # No response at all: the network or the endpoint failed.
        return isinstance(error, PynamoDBConnectionError)
    if code in _TRANSIENT_CODES:
        return True
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(reason is not None and reason.code in _TRANSIENT_CODES for reason in reasons)


@contextmanager
def transient_as_domain() -> Iterator[None]:
    """Re-raise a transient DynamoDB failure as TransientFailure; anything else propagates."""
    try:
        yield
    except PynamoDBException as error:
        if is_transient(error):
            raise TransientFailure(str(error.cause_response_code or "connection")) from error
        raise
