"""Operator commands answer a failure in one line (`error: ...` on stderr, exit 1), never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
from email.message import Message
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT
from tools import cli

TOOLS = ("admin", "bootstrap", "cost", "openapi", "ops", "qr", "seed", "smoke")


def command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "recovery")]),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=cwd or ROOT,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def one_error_line(ran: subprocess.CompletedProcess[str]) -> str:
    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), ran.stderr
    return lines[0]


@pytest.mark.parametrize("tool", TOOLS)
def test_every_operator_command_ends_through_the_wrapper(tool: str) -> None:
    source = (ROOT / "tools" / f"{tool}.py").read_text(encoding="utf-8")
    assert source.rstrip().endswith('if __name__ == "__main__":\n    cli.run(main)')


def test_a_refused_connection_is_one_line() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    line = one_error_line(command("tools.admin", "--url", url, "--key", "rla_x", "alerting", "get"))
    assert line.startswith("error: cannot reach the server:") and "refused" in line


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "teams.yaml"
    ran = command("tools.admin", "--url", "http://127.0.0.1:9", "--key", "k", "alerting", "put", str(missing))
    assert one_error_line(ran) == f"error: no such file: {missing}"
    assert one_error_line(command("tools.seed", "--config", str(tmp_path))).startswith(
        "error: no such file: "
    )


def test_bad_yaml_is_one_line_naming_where(tmp_path: Path) -> None:
    bad = tmp_path / "source.yaml"
    bad.write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    ran = command("tools.admin", "--url", "http://127.0.0.1:9", "--key", "k", "sources", "add", str(bad))
    assert one_error_line(ran).startswith("error: not valid YAML at line 3")


def test_debug_shows_the_traceback_too(tmp_path: Path) -> None:
    ran = command("tools.seed", "--config", str(tmp_path), "--debug")
    assert ran.returncode == 1 and "Traceback" in ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith("error: no such file: ")


def test_describe_says_what_went_wrong() -> None:
    headers = Message()
    http_error = urllib.error.HTTPError("https://api.example.com/v1/x", 502, "Bad Gateway", headers, None)
    assert cli.describe(http_error) == "HTTP 502 Bad Gateway from https://api.example.com/v1/x"
    assert cli.describe(urllib.error.URLError("timed out")) == "cannot reach the server: timed out"
    with pytest.raises(json.JSONDecodeError) as decoding:
        json.loads("{nope")
    assert (
        cli.describe(decoding.value)
        == "not valid JSON at line 1, column 2: Expecting property name enclosed in double quotes"
    )
    with pytest.raises(yaml.YAMLError) as parsing:
        yaml.safe_load("a: [1,\n")
    assert cli.describe(parsing.value).startswith("not valid YAML at line 2, column 1: ")
    assert cli.describe(RuntimeError("two\nlines")) == "RuntimeError: two lines"


def test_run_exits_with_mains_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.run(lambda: 3)
    assert ended.value.code == 3

    def broken() -> int:
        raise KeyError("missing")

    with pytest.raises(SystemExit) as ended:
        cli.run(broken)
    assert ended.value.code == 1
    assert capsys.readouterr().err == "error: KeyError: 'missing'\n"
