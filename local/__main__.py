"""`python -m local`: start the embedded runtime (see docs/local-runtime.md)."""

# ruff: noqa: E402  (the signal disposition is set before the other imports run)

from __future__ import annotations

# Before anything else: Ctrl-C ends the process outright until StopSignals takes over. Python's own
# SIGINT handler raises KeyboardInterrupt, and one that lands in a finaliser or a callback while modules
# load is printed as "Exception ignored" and swallowed, leaving a runtime that starts anyway and waits
# for a signal that already came.
import signal

signal.signal(signal.SIGINT, signal.SIG_DFL)

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from local.stopping import StopSignals

if TYPE_CHECKING:
    from local.runtime import Options


def parse_args(argv: list[str] | None = None) -> Options:
    from local.runtime import Options

    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the whole application locally: AWS in memory (moto), the HttpApi and every trigger.",
    )
    parser.add_argument("--port", type=int, default=3000, help="HTTP API port (0 picks a free one)")
    parser.add_argument(
        "--moto-port", type=int, default=5000, help="moto server port for the AWS CLI (0: free)"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="N", help="the virtual clock runs N times faster"
    )
    parser.add_argument(
        "--state", type=Path, default=None, metavar="DIR", help="keep AWS state in DIR across restarts"
    )
    parser.add_argument("--template", type=Path, default=Path("template.yaml"), help="the SAM template")
    parser.add_argument("--config", type=Path, default=Path("config"), help="demo configuration to seed")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument(
        "--no-iam",
        action="store_true",
        help="do not authorise the functions' AWS calls against their roles (on by default, as on AWS)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show the functions' own output: Powertools metrics (EMF) and info logs, AWS SDK logs",
    )
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return Options(
        port=args.port,
        moto_port=args.moto_port,
        speed=args.speed,
        state_dir=args.state,
        template=args.template,
        config_dir=args.config,
        host=args.host,
        iam=not args.no_iam,
        verbose=args.verbose,
    )


def main() -> int:
    if sys.argv[1:2] == ["slack"]:  # `python -m local slack press ...`: see local.slack_press
        from local.slack_press import main as slack

        return slack(sys.argv[2:])
    # First of all: a Ctrl-C or SIGTERM while moto and the functions load must end the process too.
    signals = StopSignals().install()
    from local.runtime import run

    options = parse_args()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the API logs its own requests
    if not options.verbose:
        from local import terminal

        terminal.quiet_libraries()
    return run(options, signals)


if __name__ == "__main__":
    code = main()
    # Everything is saved and flushed by now; tearing down moto's and botocore's object graphs at
    # interpreter exit takes seconds and achieves nothing, so leave at once.
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)
