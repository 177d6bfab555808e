"""Translate pynamodb/botocore failures into domain terms."""

from __future__ import annotations

from types import TracebackType

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


class transient_as_domain:
    """Re-raise a transient DynamoDB failure as TransientFailure; anything else propagates.

    A plain class rather than @contextmanager: it wraps every storage call on the request path.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: TracebackType | None
    ) -> None:
        if isinstance(error, PynamoDBException) and is_transient(error):
            raise TransientFailure(str(error.cause_response_code or "connection")) from error
