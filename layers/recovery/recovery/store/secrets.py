"""The PII hash key, fetched from Secrets Manager once per container and cached."""

from __future__ import annotations

from functools import lru_cache

import boto3


@lru_cache(maxsize=4)
def secret_bytes(secret_arn: str) -> bytes:
    client = boto3.client("secretsmanager")
    value = client.get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).encode("utf-8")
