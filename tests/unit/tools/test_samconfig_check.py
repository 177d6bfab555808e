"""`make deploy` refuses an environment whose parameter overrides still hold the shipped placeholders."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.support import ROOT
from tools.samconfig_check import main, placeholders


def config(overrides: str) -> dict[str, object]:
    return tomllib.loads(f'[dev.deploy.parameters]\nparameter_overrides = "{overrides}"\n')


def test_the_shipped_samconfig_is_refused_for_both_environments_naming_each_placeholder() -> None:
    # GIVEN samconfig.toml as it ships
    shipped = tomllib.loads((ROOT / "samconfig.toml").read_text())
    # WHEN each environment is checked THEN every example value is named
    assert placeholders(shipped, "dev") == [
        "SenderEmail=alerts@dev.example.com",
        "SenderDomain=dev.example.com",
        "AlarmEmail=ops@example.com",
    ]
    assert "CustomDomain=feedback.example.com" in placeholders(shipped, "prod")
    assert any(item.startswith("CertificateArn=") for item in placeholders(shipped, "prod"))


def test_real_values_pass_even_when_they_contain_the_word_example() -> None:
    # GIVEN own domains, one of which merely contains "example"
    own = config(
        "Environment=dev SenderEmail=alerts@acme.no SenderDomain=myexample.com AlarmEmail='ops@acme.no'"
    )
    # WHEN checked THEN nothing is a placeholder
    assert placeholders(own, "dev") == []


def test_the_command_exits_2_naming_the_placeholders_and_0_when_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN one file with a placeholder left and one without
    left = tmp_path / "left.toml"
    left.write_text(
        '[dev.deploy.parameters]\nparameter_overrides = "SenderDomain=acme.no AlarmEmail=ops@example.com"\n'
    )
    clean = tmp_path / "clean.toml"
    clean.write_text(
        '[dev.deploy.parameters]\nparameter_overrides = "SenderDomain=acme.no AlarmEmail=ops@acme.no"\n'
    )
    # WHEN each is checked THEN the first is refused and names the parameter, the second passes
    assert main(["--env", "dev", "--config", str(left)]) == 2
    error = capsys.readouterr().err
    assert "AlarmEmail=ops@example.com" in error and "SenderDomain" not in error
    assert main(["--env", "dev", "--config", str(clean)]) == 0
    # AND an environment the file lacks is refused too, by name
    assert main(["--env", "prod", "--config", str(clean)]) == 2
    assert "[prod.deploy.parameters]" in capsys.readouterr().err
