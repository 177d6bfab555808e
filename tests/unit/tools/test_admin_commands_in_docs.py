"""Every admin command the docs and the README give (`make admin ARGS="..."`, `python -m tools.admin ...`)
is one the command line takes as written: its words parse, a `;` is never left to the shell unquoted, and
every file under examples/ it names exists. The connector pages' "Try it locally" blocks also run against
a runtime (tests/e2e/test_connector_pages.py); this covers the commands meant for a deployed stack too."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tools.admin import build_parser

REPO = Path(__file__).resolve().parents[3]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
MAKE = re.compile(r'make admin ARGS="([^"]*)"')
MODULE = re.compile(r"python3? -m tools\.admin ((?:[^\n\\`]|\\\n)*)")


def commands() -> list[tuple[str, str]]:
    """(where, the command's arguments as written) for every admin command in the docs."""
    found: list[tuple[str, str]] = []
    for page in DOCS:
        text = page.read_text(encoding="utf-8")
        where = str(page.relative_to(REPO))
        found += [(where, match[1]) for match in MAKE.finditer(text)]
        found += [(where, match[1].replace("\\\n", " ")) for match in MODULE.finditer(text)]
    return found


def words(arguments: str) -> list[str]:
    lexer = shlex.shlex(arguments.split("  #", 1)[0], posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    return list(lexer)


def test_the_docs_give_admin_commands() -> None:
    assert len(commands()) >= 40


@pytest.mark.parametrize(("where", "arguments"), commands(), ids=lambda value: str(value)[:60])
def test_each_admin_command_parses_as_written(where: str, arguments: str) -> None:
    argv = words(arguments)
    # THEN no ; & or | cuts it in the shell (a multipart content type must be quoted)
    assert not {";", "&", "|", ";;", "&&", "||"} & set(argv), f"{where}: {arguments!r} is cut by the shell"
    # AND the command line takes its words
    try:
        build_parser("http://127.0.0.1:3000", "rla_docs").parse_args(argv)
    except SystemExit as stopped:
        pytest.fail(f"{where}: `{arguments}` does not parse (exit {stopped.code})")
    # AND the example files it names are there
    for word in argv:
        if word.startswith("examples/"):
            assert (REPO / word).is_file(), f"{where}: {word} is missing"
