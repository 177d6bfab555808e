"""Every connector page's `## Try it locally` block, run as written: when a page drifts from the product
(a command, an example file, a signature scheme), this fails.

Conventions (docs/connectors/<preset>.md):
- Every preset in `PRESETS` has a page with a `## Try it locally` section holding one ```bash block, run
  from the repository root while `make run` runs. It adds a source from `examples/sources/`, delivers a
  payload from `examples/payloads/` in the vendor's shape and signed as the vendor signs it, and ends by
  reading the source's delivery log (`make admin ARGS="sources log <id>"`).
- The blocks of all pages run against one runtime, so each adds a source of its own id, none of them a
  source the runtime seeds from config/.
- As for the README (tests/e2e/test_readme.py), the block runs in one `bash -e -o pipefail`, with `curl`
  failing on an HTTP error, and `http://127.0.0.1:3000` (a plain `make run`) rewritten to the runtime's
  origin, in the block and in the example sources. It runs in a directory that holds the repository
  (linked; `examples/` copied, to rewrite its sources) and the runtime's `.local/runtime.json`, as the
  repository root holds `make run`'s. `make` is told the environment is set up (`-o .venv/.installed`)
  and runs the interpreter of the tests.
- The block reaches its end, and the last document it prints, the delivery log, shows the delivery
  accepted: its newest entry is `created` or `updated`, not `refused`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from recovery.sources.presets import PRESETS
from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.e2e.test_readme import documents, for_runtime
from tests.support import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("connector-pages")]
REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "docs" / "connectors"
HEADING = "## Try it locally"
DONE = "@@connector page block done@@"
ACCEPTED = ("created", "updated")
# The reader's terminal: not inside `make test`, whose variables would make every `make admin` say which
# directory it enters around its output.
READERS_SHELL = {
    name: value for name, value in os.environ.items() if name not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")
}


def try_it_locally(text: str) -> str | None:
    """The ```bash block of the page's `## Try it locally` section; None when it has no such section.
    Raises AssertionError when the section has no block, or more than one."""
    start = text.find(f"\n{HEADING}\n")
    if start == -1:
        return None
    following = text.find("\n## ", start + 1)
    section = text[start : following if following != -1 else len(text)]
    blocks = re.findall(r"\n```bash\n(.*?)\n```", section, re.S)
    assert len(blocks) == 1, f"`{HEADING}` holds one ```bash block, not {len(blocks)}"
    return blocks[0]


def pages_with_a_block() -> list[str]:
    return sorted(
        page.stem
        for page in PAGES.glob("*.md")
        if try_it_locally(page.read_text(encoding="utf-8")) is not None
    )


def sources_added(block: str) -> list[Path]:
    """The example source files the block adds (`sources add <file>`)."""
    return [REPO / name for name in re.findall(r"sources add (\S+\.ya?ml)", block)]


def script(block: str) -> str:
    lines = [
        'curl() { command curl --fail-with-body "$@"; }',
        f'make() {{ command make -o .venv/.installed PY="{sys.executable}" "$@"; }}',
        block,
        f"echo '{DONE}'",
    ]
    return "\n".join(lines) + "\n"


def test_every_preset_has_a_page_with_a_block_that_adds_its_own_source() -> None:
    # GIVEN every preset, and the sources the runtime seeds from config/
    seeded = {source["id"] for source in yaml.safe_load((REPO / "config" / "sources.yaml").read_text())}
    ids: dict[str, str] = {}
    for preset in sorted(PRESETS):
        page = PAGES / f"{preset}.md"
        # THEN each has a page with a `## Try it locally` block
        assert page.is_file(), f"docs/connectors/{preset}.md is missing"
        block = try_it_locally(page.read_text(encoding="utf-8"))
        assert block is not None, f"docs/connectors/{preset}.md has no `{HEADING}` section"
        # AND the block adds one example source of the preset, with an id no other page and no seeded
        # source uses, delivers a payload from examples/payloads/, and reads the delivery log
        [example] = sources_added(block)
        assert example.is_file(), f"{preset}.md adds {example.relative_to(REPO)}, which is missing"
        source = yaml.safe_load(example.read_text(encoding="utf-8"))
        assert source["preset"] == preset
        assert source["id"] not in seeded and source["id"] not in ids, (preset, source["id"], ids)
        ids[source["id"]] = preset
        payloads = re.findall(r"examples/payloads/[A-Za-z0-9._-]+", block)
        assert payloads, f"{preset}.md delivers no payload from examples/payloads/"
        for payload in payloads:
            assert (REPO / payload).is_file(), f"{preset}.md posts {payload}, which is missing"
        assert block.rstrip().splitlines()[-1] == f'make admin ARGS="sources log {source["id"]}"'


@pytest.fixture(scope="module")
def runtime_here(runtime_launcher: RuntimeLauncher) -> Iterator[RuntimeProcess]:
    """One runtime for every page of this module (each page adds a source of its own id)."""
    running = runtime_launcher.start()
    yield running
    runtime_launcher.stop(running)


@pytest.fixture(scope="module")
def root(runtime_here: RuntimeProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as the reader has it while `make run` runs, with the runtime's own origin."""
    root = tmp_path_factory.mktemp("repository")
    for entry in REPO.iterdir():
        if entry.name not in (".local", "examples", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(REPO / "examples", root / "examples")
    for source in (root / "examples" / "sources").glob("*.yaml"):
        source.write_text(for_runtime(source.read_text(encoding="utf-8"), runtime_here), encoding="utf-8")
    (root / ".local").mkdir()
    (root / ".local" / "runtime.json").write_text(json.dumps(runtime_here.info), encoding="utf-8")
    return root


@pytest.mark.parametrize("page", pages_with_a_block())
def test_the_page_s_block_runs_as_written_and_its_delivery_is_accepted(
    page: str, runtime_here: RuntimeProcess, root: Path
) -> None:
    block = try_it_locally((PAGES / f"{page}.md").read_text(encoding="utf-8"))
    assert block is not None
    ran = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-s"],
        input=script(for_runtime(block, runtime_here)),
        cwd=root,
        env=READERS_SHELL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    said = f"--- stdout ---\n{ran.stdout[-3000:]}\n--- stderr ---\n{ran.stderr[-3000:]}"
    assert DONE in ran.stdout and ran.returncode == 0, (
        f"{page}.md's block failed (exit {ran.returncode})\n{said}"
    )
    printed = documents(ran.stdout.replace(DONE, ""))
    log = printed[-1]
    assert isinstance(log, dict) and log.get("items"), f"{page}.md's block does not end with the log\n{said}"
    newest = log["items"][0]
    assert newest["outcome"] in ACCEPTED, f"{page}.md's delivery was {newest['outcome']}: {newest['reason']}"
    assert newest["status"] in (200, 201) and newest["feedback_id"]


def test_send_exits_non_zero_on_a_refusal_and_the_log_says_why(runtime_here: RuntimeProcess) -> None:
    # GIVEN the runtime's demo Typeform source, and a secret that is not its own
    command = [sys.executable, "-m", "tools.admin", "--url", runtime_here["api_url"], "--key"]
    command += [runtime_here["admin_key"], "sources", "send", "demo-typeform"]
    command += [str(REPO / "examples" / "typeform-payload.json"), "--secret-env", "NOT_ITS_SECRET"]
    environment = {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'recovery'}", "PATH": "/usr/bin:/bin"}
    # WHEN the payload is sent signed with it
    sent = subprocess.run(
        command,
        env={**environment, "NOT_ITS_SECRET": "not-the-demo-secret-0123456789"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # THEN the hook's 401 is printed and the command fails, and the delivery log says why
    assert sent.returncode == 1, sent.stderr
    assert json.loads(sent.stdout)["detail"] == "bad signature"
    assert "the hook answered 401" in sent.stderr
    log = subprocess.run(
        [*command[:7], "sources", "log", "demo-typeform", "--limit", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [newest] = json.loads(log.stdout)["items"]
    assert (newest["status"], newest["outcome"], newest["reason"]) == (401, "refused", "bad signature")
    # AND with no secret to sign with, nothing is sent
    unsigned = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert unsigned.returncode == 2 and "NOT_ITS_SECRET is not set" in unsigned.stderr
