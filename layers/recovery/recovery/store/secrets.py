"""The PII hash key from Secrets Manager, and plain settings from SSM Parameter Store: each fetched once per
container and cached."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4)
def secret_bytes(secret_arn: str) -> bytes:
    import boto3  # on first use, not at import: it drags in s3transfer and multiprocessing

    client = boto3.client("secretsmanager")
    value = client.get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).encode("utf-8")


@lru_cache(maxsize=4)
def parameter_value(name: str) -> str:
    import boto3

    return str(boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


def optional_secret_text(secret_id: str) -> str | None:
    """A secret's text, or None when no secret of that name exists (a feature its operator has not set
    up). Cached like `secret_bytes`; other errors (throttling, access) are raised."""
    from botocore.exceptions import ClientError

    try:
        return secret_bytes(secret_id).decode("utf-8")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
