"""Settings read from the environment: the public base URL of links and hook URLs."""

from __future__ import annotations

import pytest


def test_public_base_url_comes_from_the_environment_or_the_named_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto import mock_aws

    from recovery.settings import public_base_url
    from recovery.store.secrets import parameter_value

    # GIVEN a function the API routes to: no PUBLIC_BASE_URL, only the parameter's name
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL_PARAMETER", "/recovery-loop/dev/public-base-url")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    parameter_value.cache_clear()
    with mock_aws():
        import boto3

        boto3.client("ssm").put_parameter(
            Name="/recovery-loop/dev/public-base-url", Value="https://feedback.example.org", Type="String"
        )
        # THEN the parameter's value is the base
        assert public_base_url() == "https://feedback.example.org"
    parameter_value.cache_clear()
    # AND a direct PUBLIC_BASE_URL wins, with no call at all
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://direct.example.org")
    assert public_base_url() == "https://direct.example.org"
    # AND with neither, there is none
    monkeypatch.delenv("PUBLIC_BASE_URL")
    monkeypatch.delenv("PUBLIC_BASE_URL_PARAMETER")
    assert public_base_url() == ""
