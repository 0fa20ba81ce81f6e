"""``python -m mojaloop_perf.lab --config PATH``: serve the local lab until SIGTERM/SIGINT.

Exit codes: 0 after a signal, 2 for a bad command line or config, 3 when a port is taken.
"""

from __future__ import annotations

import argparse
import sys

from mojaloop_perf.lab.config import ConfigError, load_config
from mojaloop_perf.lab.server import run

EXIT_BAD_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mojaloop_perf.lab", description="Serve the local Mojaloop lab."
    )
    parser.add_argument("--config", required=True, help="path of the lab's JSON config")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"lab: invalid config: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_CONFIG
    return run(config)


if __name__ == "__main__":
    sys.exit(main())
