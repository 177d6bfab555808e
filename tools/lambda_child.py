"""The clean interpreter's side of `make lambda-check`: `python -I -S lambda_child.py SPEC RESULT`.

It runs with no site-packages at all (-S) and no PYTHON* variables (-I), so it uses only the standard
library until it puts the spec's directories on `sys.path`, in Lambda's order: the function's package
(/var/task), the layers (/opt/python), then the runtime's boto3. Then it either imports a function's
handler and calls it with sample events, or imports a list of modules. What happened goes to RESULT as
JSON; the handler's own output (logs, metrics) stays on stdout and stderr.

The spec (JSON): {"sys_path": [...], "mode": "function" | "modules", "timezones": [...], and for
"function": "handler", "events": [paths], "function_name", "function_arn", "memory", "timeout";
for "modules": "modules": [names]}.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
import zoneinfo
from pathlib import Path
from typing import Any


class LambdaContext:
    """What Powertools and the handlers read from Lambda's context object."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.function_name = str(spec.get("function_name", "function"))
        self.function_version = "$LATEST"
        self.invoked_function_arn = str(spec.get("function_arn", ""))
        self.memory_limit_in_mb = int(spec.get("memory", 128))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "lambda-check"
        self._deadline = time.monotonic() + float(spec.get("timeout", 3))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def failure(result: Any) -> str | None:
    """Why an answer counts as a failure: a 5xx, or batch items reported as failed."""
    if not isinstance(result, dict):
        return None
    status = result.get("statusCode")
    if isinstance(status, int) and status >= 500:
        return f"answered {status}: {str(result.get('body', ''))[:300]}"
    failed = result.get("batchItemFailures")
    if failed:
        return f"reported failed batch items: {failed}"
    return None


def summary(result: Any) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return str(result["statusCode"])
    if isinstance(result, dict):
        return "{" + ", ".join(sorted(str(key) for key in result))[:80] + "}"
    return type(result).__name__


def environment_problems(spec: dict[str, Any]) -> list[str]:
    """The child must see what Lambda gives and nothing of this machine's Python."""
    problems = []
    if "site" in sys.modules:
        problems.append("the site module was imported: run with -I -S")
    if os.environ.get("PYTHONTZPATH") == "" and zoneinfo.TZPATH:
        problems.append(f"the OS time-zone database is visible: zoneinfo.TZPATH={zoneinfo.TZPATH}")
    missing = {}
    for zone in spec.get("timezones", []):
        try:
            zoneinfo.ZoneInfo(zone)
        except Exception as error:  # ZoneInfoNotFoundError, or a broken tzdata
            missing[zone] = f"{type(error).__name__}: {error}"
    if missing:
        first = next(iter(missing.values()))
        problems.append(
            f"time zones {', '.join(missing)} cannot be loaded without the OS database ({first}): "
            "the layer must ship tzdata"
        )
    return problems


def origins() -> dict[str, tuple[str, str]]:
    """The versions of the packages that matter, and the `sys.path` entry each was imported from."""
    found = {}
    for name in ("boto3", "botocore", "pydantic", "aws_lambda_powertools", "pynamodb", "tzdata"):
        module = sys.modules.get(name)
        if module is not None:
            version = str(getattr(module, "__version__", "") or getattr(module, "IANA_VERSION", ""))
            found[name] = (version, str(Path(str(module.__file__)).parent.parent))
    return found


def run_function(spec: dict[str, Any]) -> dict[str, Any]:
    module_name, _, function_name = str(spec["handler"]).rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except BaseException:
        return {"import_error": traceback.format_exc()}
    samples: list[dict[str, Any]] = []
    for path in spec["events"]:
        name = Path(path).name
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        try:
            answer = handler(event, LambdaContext(spec))
        except BaseException:
            samples.append({"sample": name, "error": traceback.format_exc()})
            continue
        samples.append({"sample": name, "error": failure(answer), "answer": summary(answer)})
    return {"samples": samples}


def run_modules(spec: dict[str, Any]) -> dict[str, Any]:
    errors = {}
    for name in spec["modules"]:
        try:
            importlib.import_module(name)
        except BaseException as error:
            errors[name] = f"{type(error).__name__}: {error}"
    return {"module_errors": errors}


def main(argv: list[str]) -> int:
    spec_path, result_path = argv[1], argv[2]
    spec: dict[str, Any] = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sys.path[:0] = list(spec["sys_path"])
    result: dict[str, Any] = {"environment_problems": environment_problems(spec)}
    if spec["mode"] == "function":
        result.update(run_function(spec))
    else:
        result.update(run_modules(spec))
    result["origins"] = origins()
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
