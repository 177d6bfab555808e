"""Hosting the Lambda functions in-process, one call at a time.

Each function gets what a Lambda container gives it: its own environment variables, its own copy of its
code and of the layer package (`recovery.*`), and a context object. Module state therefore never leaks
from one function to another, just as it cannot across containers. Calls are serialised behind one lock
because moto is not thread-safe.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local import iam, terminal
from local.refs import Names, as_env_value, resolve
from local.template import FunctionDef

log = logging.getLogger(__name__)


def lambda_environment(definition: FunctionDef, names: Names) -> dict[str, str]:
    """A function's environment as Lambda sets it: the template's variables, resolved, then Lambda's own."""
    name = str(names.ref(definition.logical_id))
    variables = {key: as_env_value(value) for key, value in resolve(definition.environment, names).items()}
    variables.update(
        AWS_LAMBDA_FUNCTION_NAME=name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(definition.memory),
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{name}",
        _HANDLER=definition.handler,
    )
    return variables


def shared_environment(environments: list[dict[str, str]]) -> dict[str, str]:
    """The variables every function has with the same value (the template's Globals)."""
    shared = dict(environments[0]) if environments else {}
    for environment in environments[1:]:
        shared = {key: value for key, value in shared.items() if environment.get(key) == value}
    return shared


class FunctionError(Exception):
    """The handler raised; `cause` is what it raised."""

    def __init__(self, function: str, cause: BaseException) -> None:
        super().__init__(f"{function}: {type(cause).__name__}: {cause}")
        self.function = function
        self.cause = cause


@dataclass(frozen=True)
class FunctionConfig:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    timeout: int
    memory: int
    role: iam.Role | None = None  # None: its calls are not authorised (IAM enforcement off)


@dataclass
class LambdaContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: int
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class ModuleScope:
    """A private part of `sys.modules` for the modules loaded from some directories.

    While the scope is active its directories lead `sys.path` and its modules sit in `sys.modules`;
    when it ends they are taken out again, so the next function imports its own `app`, its own
    `recovery.settings` and so on.
    """

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = tuple(str(root.resolve()) for root in roots)
        self.modules: dict[str, ModuleType] = {}

    @contextmanager
    def active(self) -> Iterator[None]:
        saved_path = list(sys.path)
        sys.path[:0] = list(self.roots)
        sys.modules.update(self.modules)
        before = set(sys.modules) - set(self.modules)
        try:
            yield
        finally:
            for name in set(sys.modules) - before:
                module = sys.modules[name]
                if self._owns(module):
                    self.modules[name] = module
                    del sys.modules[name]
            sys.path[:] = saved_path

    def _owns(self, module: ModuleType | None) -> bool:
        locations = [getattr(module, "__file__", None), *list(getattr(module, "__path__", []) or [])]
        return any(
            os.path.abspath(location).startswith(root + os.sep)
            for location in locations
            if isinstance(location, str)
            for root in self.roots
        )


class Environment:
    """Applies one function's variables to `os.environ` for the length of a call."""

    def __init__(self, base: dict[str, str]) -> None:
        self.base = dict(base)

    @contextmanager
    def applied(self, variables: dict[str, str]) -> Iterator[None]:
        before = dict(os.environ)
        _replace_environ({**self.base, **variables})
        try:
            yield
        finally:
            _replace_environ(before)


def _replace_environ(target: dict[str, str]) -> None:
    # Changed keys only: other threads (moto's server) read os.environ and must not see it empty.
    for key in [key for key in os.environ if key not in target]:
        del os.environ[key]
    for key, value in target.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


class HostedFunction:
    def __init__(self, config: FunctionConfig, scope: ModuleScope, handler: Callable[..., Any]) -> None:
        self.config = config
        self.scope = scope
        self.handler = handler


class FunctionHost:
    """Loads every function and invokes them one at a time."""

    def __init__(
        self,
        lock: threading.RLock,
        environment: Environment,
        prepare_scope: Callable[[], None],
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.lock = lock
        self.environment = environment
        self._prepare_scope = prepare_scope  # runs first inside each new scope (sets the clock)
        self._changed = changed  # told after every call, still under the lock (`--state` saves then)
        self._functions: dict[str, HostedFunction] = {}
        self._by_arn_or_name: dict[str, str] = {}

    def load(self, config: FunctionConfig) -> None:
        module_path, _, attribute = config.handler.rpartition(".")
        if not module_path or not attribute:
            raise ValueError(f"{config.logical_id}: Handler must look like module.function")
        scope = ModuleScope((config.code_dir, *config.layer_dirs))
        with self.lock, self.environment.applied(config.environment), scope.active():
            self._prepare_scope()
            with iam.acting_as(config.role):  # module-level code calls AWS with the function's role too
                module = importlib.import_module(module_path.replace("/", "."))
            handler = getattr(module, attribute)
        self._functions[config.logical_id] = HostedFunction(config, scope, handler)
        for key in (config.logical_id, config.name, config.arn):
            self._by_arn_or_name[key] = config.logical_id

    def run_in_scope(
        self, roots: tuple[Path, ...], environment: dict[str, str], task: Callable[[], Any]
    ) -> Any:
        """Run runtime code (config seeding) the way a function would run, with its own modules."""
        scope = ModuleScope(roots)
        with self.lock, self.environment.applied(environment), scope.active():
            self._prepare_scope()
            return task()

    def find(self, arn_or_name: str) -> FunctionConfig | None:
        """A function by logical id, name or ARN (a qualified ARN such as `...:$LATEST` works too)."""
        key = arn_or_name
        if key not in self._by_arn_or_name and key.count(":") == 7:
            key = key.rsplit(":", 1)[0]
        logical_id = self._by_arn_or_name.get(key)
        return self._functions[logical_id].config if logical_id else None

    def configs(self) -> list[FunctionConfig]:
        return [hosted.config for hosted in self._functions.values()]

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call the handler; raises FunctionError when it raises."""
        hosted = self._functions[logical_id]
        config = hosted.config
        context = LambdaContext(
            function_name=config.name,
            function_version="$LATEST",
            invoked_function_arn=config.arn,
            memory_limit_in_mb=config.memory,
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{config.name}",
            log_stream_name="local",
            timeout_seconds=config.timeout,
        )
        with (
            self.lock,
            self.environment.applied(config.environment),
            hosted.scope.active(),
            iam.acting_as(config.role),
        ):
            result: Any = None
            failure: BaseException | None = None
            try:
                result = hosted.handler(event, context)
                return result
            except Exception as error:
                failure = error
                log.error("%s failed:\n%s", config.logical_id, traceback.format_exc())
                raise FunctionError(config.logical_id, error) from error
            finally:
                self._changed()
                elapsed = time.monotonic() - context.started
                kind = terminal.trigger(event)
                if kind is not None:  # an HTTP request has its own line (local.server)
                    terminal.call(kind, config.logical_id, result, failure, elapsed * 1000)
                if elapsed > config.timeout:
                    log.warning(
                        "%s ran %.1f s, beyond its %d s timeout (AWS would stop it)",
                        config.logical_id,
                        elapsed,
                        config.timeout,
                    )
