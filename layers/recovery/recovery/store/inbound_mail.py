"""Inbound mail as SES receiving leaves it: one raw MIME message per S3 object, read once, then deleted.

The port is two calls, `read` (at most `limit` bytes: a reply's text comes first, and whatever follows
it, attachments included, is never read) and `delete`. `MemoryMail` stands in for it in unit tests.
"""

from __future__ import annotations

from typing import Any, Protocol

from recovery.errors import TransientFailure


class InboundMail(Protocol):
    def read(self, bucket: str, key: str, limit: int) -> bytes | None:
        """The first `limit` bytes of the object, or None when there is no such object."""
        ...

    def delete(self, bucket: str, key: str) -> None: ...


_TRANSIENT = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
)


class S3Mail:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    def read(self, bucket: str, key: str, limit: int) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{limit - 1}")
            body: bytes = response["Body"].read(limit)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "InvalidRange"):
                return None
            if code in _TRANSIENT:
                raise TransientFailure(f"S3 GetObject: {code}") from error
            raise
        except BotoCoreError as error:
            raise TransientFailure("S3 GetObject: no answer") from error
        return body

    def delete(self, bucket: str, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.delete_object(Bucket=bucket, Key=key)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _TRANSIENT:
                raise TransientFailure(f"S3 DeleteObject: {code}") from error
            raise
        except BotoCoreError as error:
            raise TransientFailure("S3 DeleteObject: no answer") from error


class MemoryMail:
    """In memory, for unit tests: `objects[(bucket, key)]` holds the raw bytes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.reads: list[tuple[str, str, int]] = []

    def read(self, bucket: str, key: str, limit: int) -> bytes | None:
        self.reads.append((bucket, key, limit))
        found = self.objects.get((bucket, key))
        return found[:limit] if found is not None else None

    def delete(self, bucket: str, key: str) -> None:
        self.objects.pop((bucket, key), None)
