"""How every operator command ends: its exit code, or one line `error: ...` on stderr and exit 1.

A missing file, bad YAML or JSON, a refused connection, an HTTP error or missing AWS credentials is
the operator's to fix, and a traceback hides the one line that says what. `run(main)` prints that
line instead; `--debug` anywhere on the command line (or RECOVERY_DEBUG=1) shows the traceback too.
Argument errors stay argparse's (usage and exit 2); Ctrl-C exits 130.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import urllib.error
from collections.abc import Callable
from typing import NoReturn

import yaml


class Failure(Exception):
    """A failure a command foresaw: its message is the whole line."""


def describe(error: BaseException) -> str:
    """One line saying what went wrong, in the operator's terms."""
    if isinstance(error, Failure):
        return " ".join(str(error).split())
    if isinstance(error, FileNotFoundError):
        return f"no such file: {error.filename}"
    if isinstance(error, IsADirectoryError):
        return f"a directory, not a file: {error.filename}"
    if isinstance(error, PermissionError):
        return f"permission denied: {error.filename}"
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason} from {error.url}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot reach the server: {error.reason}"
    if isinstance(error, ConnectionError):
        return f"cannot reach the server: {error}"
    if isinstance(error, yaml.YAMLError):
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        return f"not valid YAML{where}: {problem}"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text: {error.reason} at byte {error.start}"
    text = " ".join(str(error).split())
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def run(main: Callable[[], int | None]) -> NoReturn:
    """Call `main` and exit with its code; an exception becomes one line on stderr and exit 1."""
    debug = "--debug" in sys.argv or os.environ.get("RECOVERY_DEBUG") == "1"
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
    try:
        code = main()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as error:
        if debug:
            traceback.print_exc()
        print(f"error: {describe(error)}", file=sys.stderr)
        raise SystemExit(1) from None
    raise SystemExit(code or 0)
