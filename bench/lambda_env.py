"""The environment a deployed function sees, built from template.yaml, with stand-ins for AWS's values."""

from __future__ import annotations

from typing import Any

from bench import ROOT
from tests.support import REGION, template

ACCOUNT = "123456789012"
# What !Ref gives for each resource the Globals refer to, in the shape AWS would give it.
_RESOURCE_REFS = {
    "Table": "recovery-loop-dev-Table-1A2B3C4D5E6F",
    "EventBus": "recovery-loop-dev",
    "PiiKeySecret": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:PiiKeySecret-AbCdEf",
}


def _resolve(value: Any, parameters: dict[str, Any]) -> str:
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        if name in parameters:
            return str(parameters[name].get("Default", ""))
        return _RESOURCE_REFS.get(name, f"{name}-stand-in")
    return str(value)


def memory_mb() -> int:
    return int(template()["Globals"]["Function"]["MemorySize"])


def platform_logs_kept() -> bool:
    """Whether Lambda writes its START/END/REPORT lines (they are INFO: a system level above drops them)."""
    level = template()["Globals"]["Function"].get("LoggingConfig", {}).get("SystemLogLevel", "INFO")
    return str(level).upper() in ("DEBUG", "INFO")


def function_env(name: str, tracer: bool = False) -> dict[str, str]:
    """Template Globals variables (parameters at their defaults) plus what the Lambda runtime sets.

    Tracer follows `tracer`; `LAMBDA_TASK_ROOT` is set, so Powertools treats the process as Lambda and an
    enabled Tracer really loads and patches (the X-Ray SDK sends nothing at import time).
    """
    document = template()
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    parameters = document.get("Parameters") or {}
    env = {key: _resolve(value, parameters) for key, value in variables.items()}
    env["POWERTOOLS_TRACE_DISABLED"] = "false" if tracer else "true"
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "ASIABENCHSTANDIN0000",
            "AWS_SECRET_ACCESS_KEY": "bench-stand-in-secret-access-key-0000000",
            "AWS_SESSION_TOKEN": "bench-stand-in-session-token",
            "AWS_EC2_METADATA_DISABLED": "true",
            # No developer profile may change what botocore loads: Lambda has no config files.
            "AWS_CONFIG_FILE": str(ROOT / ".no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(ROOT / ".no-aws-credentials"),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "AWS_LAMBDA_FUNCTION_NAME": f"recovery-loop-dev-{name}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb()),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/recovery-loop/dev/{name}",
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / name),
            "_HANDLER": "app.lambda_handler",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
    )
    return env
