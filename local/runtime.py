"""Putting the runtime together: start, serve, stop.

Order matters at start: the botocore hooks go in before any boto3 session exists, moto's mock before
any client is used, and the virtual clock into `recovery.clock` before any function is imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from local import (
    auth,
    demo,
    iam,
    inbound,
    moto_fixes,
    slack_api,
    state,
    teams_api,
    template,
    terminal,
    vendor_api,
)
from local.aws import AwsClients
from local.bus import BusTap
from local.capture import Capture
from local.clock import VirtualClock
from local.delivery import Deliverer, async_policies
from local.dispatcher import Dispatcher
from local.functions import Environment, FunctionConfig, FunctionHost, lambda_environment, shared_environment
from local.http_api import Router
from local.outbox import Outbox
from local.provision import Provisioner, put_parameters
from local.queues import QueuePoller
from local.refs import resolve
from local.schedules import scheduled_rules
from local.server import LocalApp
from local.stopping import StopSignals, exit_at_once
from local.streams import Mapping, StreamPoller, stamp_records_with

log = logging.getLogger("local")

RUNTIME_FILE = Path(".local") / "runtime.json"
# From a stop signal to the end of the process, whatever the runtime is doing: a watchdog enforces it.
# Within it, serving stops (at most SERVERS_STOP_SECONDS), pending work is drained until
# DRAIN_MARGIN_SECONDS before the end, and the final save waits for the functions' lock until
# SAVE_MARGIN_SECONDS before the end (a demo-sized state pickles and writes in well under that).
STOP_SECONDS = 4.0
SERVERS_STOP_SECONDS = 1.0
DRAIN_MARGIN_SECONDS = 2.5
SAVE_MARGIN_SECONDS = 1.0
_EMAIL = re.compile(r"[^@\s<>]+@([^@\s<>]+\.[^@\s<>]+)")


@dataclass(frozen=True)
class Options:
    port: int = 3000
    moto_port: int = 5000
    speed: float = 1.0
    state_dir: Path | None = None
    template: Path = Path("template.yaml")
    config_dir: Path = Path("config")
    host: str = "127.0.0.1"
    iam: bool = True  # authorise each function's AWS calls against its role in the template
    verbose: bool = False  # show the functions' metrics and info logs (see local.terminal)


def claim_stdout() -> TextIO:
    """Keep the real stdout for the start line; everything else written to stdout goes to stderr.

    Handlers print (Powertools logs and metrics go to stdout), and the start line must be the only line
    on stdout, so file descriptor 1 is pointed at stderr for the rest of the process.
    """
    sys.stdout.flush()
    start_line = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return start_line


def prepare_environment(region: str) -> None:
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon here
    )


def run(options: Options, signals: StopSignals | None = None) -> int:
    """Start, serve until SIGINT or SIGTERM, stop. `signals` are installed as early as the caller can
    (`python -m local` does it before loading moto); until the runtime serves, a signal ends it at once."""
    signals = signals or StopSignals().install()
    start_line_stream = claim_stdout()
    region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    prepare_environment(region)

    capture = Capture()  # before any boto3 session exists: see local.capture
    capture.install()
    iam.install()  # likewise; it acts only while a function with a role runs

    mock = mock_aws()
    mock.start()
    runtime = Runtime(options, region, capture)
    try:
        runtime.start()
    except Exception:
        log.exception("the runtime could not start")
        stop_at = time.monotonic() + STOP_SECONDS
        start_watchdog(stop_at)
        runtime.shutdown(save=False, stop_at=stop_at)
        return 1
    signals.start_serving()
    start_line = runtime.start_line()
    text = json.dumps(start_line)
    RUNTIME_FILE.parent.mkdir(parents=True, exist_ok=True)
    RUNTIME_FILE.write_text(text + "\n", encoding="utf-8")
    start_line_stream.write(text + "\n")
    start_line_stream.flush()
    start_line_stream.close()
    log.info("ready: API %s, moto %s", start_line["api_url"], start_line["moto_url"])
    runtime.wait_for_signal(signals)
    stop_at = signals.received_at + STOP_SECONDS
    start_watchdog(stop_at)
    runtime.shutdown(save=True, stop_at=stop_at)
    return 0


def start_watchdog(stop_at: float) -> None:
    """End the process at `stop_at` (time.monotonic()) if stopping has not ended it by then."""

    def expire() -> None:
        time.sleep(max(0.0, stop_at - time.monotonic()))
        exit_at_once(1, b"local: could not stop in time; stopped at once\n")

    threading.Thread(target=expire, name="stop-watchdog", daemon=True).start()


def _free(host: str, port: int) -> bool:
    """Whether `port` can be bound now (werkzeug exits the process when it cannot, so ask first)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Runtime:
    def __init__(self, options: Options, region: str, capture: Capture) -> None:
        self.options = options
        self.region = region
        self.capture = capture
        self.invoke_lock = threading.RLock()
        self.stopping = threading.Event()
        self.saved = self._load_state()
        self.state = self.saved or state.RuntimeState()
        self.saver = (
            state.Saver(options.state_dir, self.invoke_lock, self._collect) if options.state_dir else None
        )
        self.clock = VirtualClock(self._resume_time(), options.speed)
        self.bus = BusTap(self.clock.now)
        self.servers: list[BaseWSGIServer] = []  # bound
        self.serving: list[BaseWSGIServer] = []  # serve_forever started (shutdown() waits for it)
        self.dispatcher: Dispatcher | None = None
        self.streams: list[StreamPoller] = []
        self.source_ids: list[str] = []
        self.api_url = ""
        self.moto_url = ""
        self.environment = "local"  # the template's Environment parameter, once it is read
        self.vendors: vendor_api.VendorApis | None = None
        self.slack: slack_api.SlackApi | None = None
        self.teams: teams_api.TeamsApi | None = None

    # ------------------------------------------------------------------ start
    def _load_state(self) -> state.RuntimeState | None:
        return state.load(self.options.state_dir) if self.options.state_dir else None

    def _resume_time(self) -> datetime:
        """After a restart the clock goes on from where it stopped, or from now if that is later."""
        now = datetime.now(UTC)
        return max(self.saved.clock, now) if self.saved and self.saved.clock else now

    def start(self) -> None:
        moto_fixes.install()
        self.signing_key = auth.SigningKey.for_state(self.options.state_dir)
        auth.sign_cognito_tokens_with(self.signing_key)  # never moto's published key: see local.auth
        self.bus.install()
        stamp_records_with(self.clock.now)
        self.outbox = Outbox(self.clock.now, self.state.outbox)
        self.capture.outbox = self.outbox
        self.capture.now = self.clock.now

        # Replies are on, at a local reply domain: customer emails carry Reply-To, and POST /_local/inbound
        # delivers an answer (local.inbound).
        self.template = template.load(
            self.options.template.resolve(), self.region, {"ReplyDomain": inbound.LOCAL_REPLY_DOMAIN}
        )
        self.clients = AwsClients.create(self.region)
        with self.invoke_lock:
            self.names = Provisioner(self.template, self.clients).run()
        self._bind_api()
        self._put_parameters()
        self._vendor_apis()
        self._slack_api()
        self._teams_api()
        self.function_configs = self._function_configs()
        self._verify_senders()

        self.host = FunctionHost(
            self.invoke_lock, Environment(dict(os.environ)), self._point_clock, changed=self._changed
        )
        for config in self.function_configs:
            log.info("loading %s (%s)", config.logical_id, config.code_dir)
            self.host.load(config)

        self.source_ids = demo.source_ids(self.options.config_dir)
        demo.ensure_credentials(self.state, self.source_ids, self._scheme_secrets(self.source_ids))
        self._seed(self.source_ids)
        self._console_user()
        self.dispatcher = self._wire_triggers()
        self._serve(self.dispatcher)
        if self.saver is not None:
            self.saver.changed()  # seeding and provisioning wrote; the first save follows shortly
            self.saver.start()

    def _changed(self) -> None:
        if self.saver is not None:
            self.saver.changed()

    def _function_configs(self) -> list[FunctionConfig]:
        roles = iam.roles(self.template, self.names) if self.options.iam else {}
        configs = []
        for logical_id, function in self.template.functions.items():
            variables = lambda_environment(function, self.names)
            variables.update(
                AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region, POWERTOOLS_TRACE_DISABLED="true"
            )
            variables.update(self._slack_environment(variables))
            if not self.options.verbose:
                variables.update(terminal.quiet_environment())
            configs.append(
                FunctionConfig(
                    logical_id=logical_id,
                    name=variables["AWS_LAMBDA_FUNCTION_NAME"],
                    arn=self.names.get_att(logical_id, "Arn"),
                    code_dir=function.code_dir,
                    handler=function.handler,
                    layer_dirs=function.layer_dirs,
                    environment=variables,
                    timeout=function.timeout,
                    memory=function.memory,
                    role=roles.get(logical_id),
                )
            )
        return configs

    def _verify_senders(self) -> None:
        """SES refuses unverified senders: verify every address a function is told to send from."""
        for config in self.function_configs:
            for key, value in config.environment.items():
                if not ("SENDER" in key.upper() or "FROM" in key.upper()):
                    continue
                match = _EMAIL.search(value)
                if match:
                    with self.invoke_lock:
                        self.clients.ses.verify_email_identity(EmailAddress=match.group(0))
                        self.clients.ses.verify_domain_identity(Domain=match.group(1))

    def _point_clock(self) -> None:
        """Inside each function's module scope: make its `recovery.clock` read the virtual clock."""
        if importlib.util.find_spec("recovery") is None or importlib.util.find_spec("recovery.clock") is None:
            return
        importlib.import_module("recovery.clock").set_source(self.clock.now)

    def _common_environment(self) -> dict[str, str]:
        """The variables every function shares (the template's Globals), for config seeding."""
        return shared_environment([config.environment for config in self.function_configs])

    def _seed(self, ids: list[str]) -> None:
        if self.function_configs:
            self.host.run_in_scope(
                self._layers(),
                self._common_environment(),
                lambda: demo.seed(self.options.config_dir.resolve(), self.state, ids),
            )

    def _scheme_secrets(self, ids: list[str]) -> dict[str, str]:
        """New webhook secrets for the sources that have none yet, in their schemes' forms."""
        missing = [source_id for source_id in ids if source_id not in self.state.source_secrets]
        if not missing or not self.function_configs:
            return {}
        config_dir = self.options.config_dir.resolve()
        fresh: dict[str, str] = self.host.run_in_scope(
            self._layers(), self._common_environment(), lambda: demo.scheme_secrets(config_dir, missing)
        )
        return fresh

    def _layers(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(path for config in self.function_configs for path in config.layer_dirs))

    def _console_user(self) -> None:
        pools = list(self.template.of_type("AWS::Cognito::UserPool"))
        if pools:
            pool_id = self.names.ref(pools[0])
            with self.invoke_lock:
                demo.ensure_team_groups(self.clients, pool_id, demo.team_ids(self.options.config_dir))
                demo.ensure_console_user(self.clients, pool_id, self.state.console_password)

    def _wire_triggers(self) -> Dispatcher:
        self.deliverer = Deliverer(
            self.host,
            self.clients,
            self.invoke_lock,
            async_policies(self.template, self.names),
            self.clock.now,
        )
        queues = []
        for mapping in self._mappings():
            service = mapping.source_arn.split(":")[2]
            if service == "dynamodb":
                poller = StreamPoller(
                    mapping,
                    self.clients,
                    self.host,
                    self.invoke_lock,
                    self.deliverer.send,
                    self.clock.now,
                    positions=dict(self.state.stream_positions.get(mapping.logical_id, {})),
                )
                self.streams.append(poller)
            elif service == "sqs":
                url = self.deliverer.queue_url(mapping.source_arn)
                queues.append(
                    QueuePoller(mapping, url, self.clients, self.host, self.invoke_lock, self.clock.now)
                )
            else:
                log.warning(
                    "%s: event sources of type %s are not supported locally", mapping.logical_id, service
                )
        schedules = scheduled_rules(self.template, self.names, self.clock.now())
        return Dispatcher(
            self.clock,
            self.deliverer,
            self.bus,
            self.streams,
            queues,
            schedules,
            self.region,
            changed=self._changed,
        )

    def _mappings(self) -> list[Mapping]:
        mappings = []
        for logical_id, properties in self.template.of_type("AWS::Lambda::EventSourceMapping").items():
            spec = resolve(properties, self.names)
            function = self.host.find(str(spec["FunctionName"]))
            if function is None:
                log.warning("%s: no local function %s", logical_id, spec["FunctionName"])
                continue
            source = str(spec["EventSourceArn"])
            is_stream = source.split(":")[2] == "dynamodb"
            filters = tuple(
                item["Pattern"] if isinstance(item["Pattern"], str) else json.dumps(item["Pattern"])
                for item in (spec.get("FilterCriteria") or {}).get("Filters", [])
            )
            mappings.append(
                Mapping(
                    logical_id=logical_id,
                    function=function.logical_id,
                    source_arn=source,
                    batch_size=int(spec.get("BatchSize", 100 if is_stream else 10)),
                    max_retries=int(spec.get("MaximumRetryAttempts", -1)),
                    on_failure=(spec.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination"),
                    filters=filters,
                    report_item_failures="ReportBatchItemFailures" in spec.get("FunctionResponseTypes", []),
                    starting_position=str(spec.get("StartingPosition", "TRIM_HORIZON")),
                    bisect=bool(spec.get("BisectBatchOnFunctionError", False)),
                    max_record_age=int(spec.get("MaximumRecordAgeInSeconds", -1)),
                )
            )
        return mappings

    def _bind_api(self) -> None:
        """Bind the API port before the functions load: `!GetAtt <HttpApi>.ApiEndpoint` in their
        environment (the base of the links they send) must be this runtime's own URL."""
        self.api_server = self._api_server()
        self.servers.append(self.api_server)
        self.state.api_port = self.api_server.server_port
        self.api_url = f"http://{self.options.host}:{self.api_server.server_port}"
        for logical_id, attribute in list(self.names.attrs):
            if attribute == "ApiEndpoint":
                self.names.attrs[(logical_id, attribute)] = self.api_url

    def _api_server(self) -> BaseWSGIServer:
        """`--port 0` with a saved state takes the port it had before, when that is free: the links
        already sent (acknowledge, follow-up, unsubscribe) carry it. A given port is always used."""
        saved_port = self.saved.api_port if self.saved else 0
        port = self.options.port
        if port == 0 and saved_port:
            if _free(self.options.host, saved_port):
                port = saved_port
            else:
                log.warning(
                    "the saved port %d is not free: a new one is picked; links sent before point to the old",
                    saved_port,
                )
        return make_server(self.options.host, port, self._wsgi, threaded=True)

    def _put_parameters(self) -> None:
        """The template's SSM parameters, once the API's own URL is known (a parameter may hold it)."""
        with self.invoke_lock:
            put_parameters(self.template, self.names, self.clients.ssm)

    def _vendor_apis(self) -> None:
        """The local SurveyMonkey and Qualtrics APIs and their credential secrets (local.vendor_api), under
        the prefix the template lets the hook function read (`recovery-loop/<Environment>/sources/`)."""
        self.environment = str(self.names.refs.get("Environment") or "local")
        with self.invoke_lock:
            tokens = vendor_api.ensure_credentials(self.clients.secrets, self.environment)
        self.vendors = vendor_api.VendorApis(tokens)

    def _slack_api(self) -> None:
        """The local Slack Web API and response_url (local.slack_api) and the Slack secret they check."""
        with self.invoke_lock:
            credentials = slack_api.ensure_secret(self.clients.secrets, self.environment)
        self.slack = slack_api.SlackApi(credentials, self.outbox, self.clock.now)

    def _teams_api(self) -> None:
        """The local Teams workflows (local.teams_api) and the demo workflow's secret pointing there."""
        with self.invoke_lock:
            teams_api.ensure_secret(self.clients.secrets, self.environment, self.api_url)
        self.teams = teams_api.TeamsApi(self.outbox)

    def _slack_environment(self, variables: dict[str, str]) -> dict[str, str]:
        """Every function talks to the local Slack API; a function told which `response_url`s to
        trust (SLACK_RESPONSE_URL_PREFIXES) trusts the local one."""
        local = {"SLACK_API_URL": slack_api.api_url(self.api_url)}
        if "SLACK_RESPONSE_URL_PREFIXES" in variables:
            local["SLACK_RESPONSE_URL_PREFIXES"] = slack_api.response_url(self.api_url)
        return local

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return self._app(environ, start_response)
        finally:
            if environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS"):
                self._changed()  # a clock move or an outbox cleared; function calls say so themselves

    def _serve(self, dispatcher: Dispatcher) -> None:
        routes = [route for api in self.template.apis for route in api.routes]
        authorizers = auth.build_authorizers(self.template.apis, self.names, self.signing_key.key_set())
        self._app = LocalApp(
            Router(routes),
            self.host,
            self.clock,
            dispatcher,
            self.outbox,
            authorizers,
            self.vendors,
            self.slack,
            self.teams,
            self._inbound_delivery(),
        )
        moto_server = self._moto_server(dispatcher)
        self.servers.append(moto_server)
        for server in self.servers:
            # a short poll interval: stopping waits for the serving loop to notice
            threading.Thread(target=server.serve_forever, args=(0.1,), name="http", daemon=True).start()
            self.serving.append(server)
        self.moto_url = f"http://{self.options.host}:{moto_server.server_port}"
        dispatcher.start()

    def _inbound_delivery(self) -> inbound.InboundDelivery:
        """SNS topics' messages to their subscribed functions (as SNS does), and POST /_local/inbound."""
        fanout = inbound.SnsFanout(
            inbound.lambda_subscriptions(self.template, self.names),
            self.deliverer.invoke_async,
            self.clock.now,
        )
        return inbound.InboundDelivery(
            self.template, self.names, self.clients, self.invoke_lock, fanout, self.clock.now
        )

    def _moto_server(self, dispatcher: Dispatcher) -> BaseWSGIServer:
        """moto as a server, for the AWS CLI; it shares the in-process backends (same moto globals)."""
        moto_app = DomainDispatcherApplication(create_backend_app)
        lock = self.invoke_lock
        changed = self._changed

        def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            # moto is not thread-safe: a CLI call waits for the running handler, like any other call.
            with lock:
                body = list(moto_app(environ, start_response))
                changed()
            dispatcher.wake()  # a CLI put-item or put-events may have work for the triggers
            return body

        return make_server(
            self.options.host,
            self.options.moto_port,
            serialised,
            threaded=True,
            request_handler=MotoRequestHandler,
        )

    def start_line(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "console_url": f"{self.api_url}/console/",
            "moto_url": self.moto_url,
            "sources": [
                {
                    "id": source_id,
                    "key": self.state.source_keys[source_id],
                    "hook_url": f"{self.api_url}/v1/hooks/{source_id}",
                    "secret": self.state.source_secrets[source_id],
                }
                for source_id in self.source_ids
            ],
            "admin_key": self.state.admin_key,
            "console_login": {"username": demo.CONSOLE_USERNAME, "password": self.state.console_password},
            "vendor_apis": vendor_api.start_line(self.api_url, self.environment),
            "slack": slack_api.start_line(self.api_url, self.environment, self._slack_credentials()),
        }

    def _slack_credentials(self) -> slack_api.Credentials:
        assert self.slack is not None, "the local Slack API starts with the runtime"
        return self.slack.credentials

    # ------------------------------------------------------------------ stop
    def wait_for_signal(self, signals: StopSignals) -> None:
        signum = signals.wait()
        log.info("stopping (%s)", signal.Signals(signum).name if signum else "no signal")

    def shutdown(self, save: bool, stop_at: float) -> None:
        """Stop serving, finish what is pending and save, each step bounded so that all of it ends
        before `stop_at` (time.monotonic()); what does not fit is left undone, never half done."""
        if self.saver is not None:
            self.saver.stop()  # no more background saves: the final one is made below
        self._stop_servers(min(SERVERS_STOP_SECONDS, max(0.0, stop_at - time.monotonic())))
        if self.dispatcher is not None:
            drain_until = stop_at - DRAIN_MARGIN_SECONDS
            self.dispatcher.stop(timeout=max(0.0, drain_until - time.monotonic()))
            try:
                if not self.dispatcher.finish(until=drain_until):
                    log.warning("stopped with work still pending (bus events, stream or queue records)")
            except Exception:
                log.exception("could not finish pending work")
        if save and self.saver is not None:
            # The functions' lock is kept once taken: a request still being handled must not be
            # answered after the state was saved without it (the process ends next).
            if self.saver.save(until=stop_at - SAVE_MARGIN_SECONDS, keep_lock=True):
                log.info("state saved to %s", self.saver.directory / state.STATE_FILE)
            else:
                log.warning("a function call is still running; stopped without a final save")

    def _stop_servers(self, timeout: float) -> None:
        """Stop accepting requests; requests already being handled go on (they wait for the lock)."""
        stoppers = [threading.Thread(target=server.shutdown, daemon=True) for server in self.serving]
        for stopper in stoppers:
            stopper.start()
        deadline = time.monotonic() + timeout
        for stopper in stoppers:
            stopper.join(max(0.0, deadline - time.monotonic()))
        for server in self.servers:
            server.server_close()

    def _collect(self) -> state.RuntimeState:
        """The runtime's own state as it is now; called under the functions' lock."""
        self.state.clock = self.clock.now()
        self.state.outbox = self.outbox.entries()
        self.state.stream_positions = {
            poller.mapping.logical_id: dict(poller.positions) for poller in self.streams
        }
        return self.state
