"""taskstack-instance drain|undrain: what a deploy runs inside the app container it replaces.

Drain marks the instance as draining (serving.py then turns idempotent requests away, so
nginx leaves it out) and waits until no request has reached it for a while. Standard library
only: it runs in a container next to the app, and starts in a blink.
"""

import argparse
import os
import sys
import time
from pathlib import Path

DEFAULT_DRAIN_FILE = "/tmp/taskstack-drain"
# An older drain file is ignored, so an interrupted deploy cannot leave an instance out for good.
DRAIN_MAX_AGE_SECONDS = 300


def seen_file(drain_file: str) -> Path:
    """Touched by every request that reaches a draining instance."""
    return Path(f"{drain_file}.seen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="taskstack-instance", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["drain", "undrain"])
    parser.add_argument(
        "--idle", type=float, default=1.0, help="drain: seconds without a request that mean done"
    )
    parser.add_argument("--timeout", type=float, default=20.0, help="drain: give up waiting after")
    args = parser.parse_args(argv)
    drain_file = Path(os.environ.get("DRAIN_FILE", DEFAULT_DRAIN_FILE))
    if args.command == "undrain":
        drain_file.unlink(missing_ok=True)
        print("serving")
        return 0
    seen_file(str(drain_file)).touch()
    drain_file.touch()
    _wait_until_idle(seen_file(str(drain_file)), args.idle, args.timeout)
    return 0


def _wait_until_idle(seen: Path, idle: float, timeout: float) -> None:
    """Until nginx has stopped sending requests here (or timeout: the deploy goes on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        quiet_for = time.time() - seen.stat().st_mtime
        if quiet_for >= idle:
            print(f"drained: no request for {quiet_for:.1f} s")
            return
        time.sleep(0.05)
    print(f"drain timed out after {timeout:.0f} s: requests still arrive", file=sys.stderr)
