"""Deploy wall times of the prod topology on this machine, and errors during a rolling deploy.

    .venv/bin/python bench/deploy_bench.py [--users 3]

Runs, one after the other, through the prod group_vars (tests/e2e/prod/hosts.yml):
a cold deploy (the stack removed first; images already built), a no-op deploy, a code-only
rolling deploy of the three app containers under continuous load, and a no-op again. Removes
the prod stack at the end. Not a test: prints figures and PASS/MISS, and exits 0 either way.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.load import Load, register_users
from tests.playbooks import PlaybookRun
from tests.prod_stack import BASE_URL, app_source, playbook, stored_titles, tear_down

TARGET_NOOP_SECONDS = 15.0
TARGET_ROLL_SECONDS = 60.0
SETTLE_SECONDS = 3
NOOP_TARGET = f"<= {TARGET_NOOP_SECONDS:.0f} s"
ROLL_TARGET = f"<= {TARGET_ROLL_SECONDS:.0f} s"


def deploy(*extra: str) -> PlaybookRun:
    run = playbook("deploy.yml", *extra)
    if run.returncode != 0:
        sys.exit(f"deploy failed:\n{run.output[-4000:]}")
    return run


def rolling_deploy_under_load(
    source: Path, users: int
) -> tuple[PlaybookRun, PlaybookRun, Load, int, str]:
    """Build the new app image first (as a registry would have it ready), then roll under load."""
    version = f"0.1.0+bench.{int(time.time())}"
    app_source(source, version)
    build = deploy("--tags", "app_stack_images", "-e", f"app_stack_app_source_dir={source}")
    with Load(BASE_URL, register_users(BASE_URL, users)) as load:
        time.sleep(SETTLE_SECONDS)
        roll = deploy("-e", f"app_stack_app_source_dir={source}")
        time.sleep(SETTLE_SECONDS)
    titles = stored_titles(load.title_prefix)
    duplicates = len(titles) - len(set(titles))
    served = requests.get(f"{BASE_URL}/healthz", timeout=10).json()["version"]
    served = served if served == version else f"{served} (expected {version})"
    return build, roll, load, duplicates, served


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=3, help="signed-in users of the load")
    args = parser.parse_args()

    tear_down()
    try:
        cold = deploy()
        noop = deploy()
        with tempfile.TemporaryDirectory() as scratch:
            source = Path(scratch)
            build, roll, load, duplicates, served = rolling_deploy_under_load(source, args.users)
            noop_after = deploy("-e", f"app_stack_app_source_dir={source}")
    finally:
        tear_down()

    both = build.seconds + roll.seconds
    rows = [
        ("cold (stack created, images built before)", cold.seconds, cold, "", ""),
        ("no-op", noop.seconds, noop, NOOP_TARGET, verdict(noop.seconds <= TARGET_NOOP_SECONDS)),
        ("code-only change: build the app image", build.seconds, build, "", ""),
        (
            "code-only change: roll 3 app containers",
            roll.seconds,
            roll,
            ROLL_TARGET,
            verdict(roll.seconds <= TARGET_ROLL_SECONDS),
        ),
        ("code-only change: both", both, None, ROLL_TARGET, verdict(both <= TARGET_ROLL_SECONDS)),
        (
            "no-op after the roll",
            noop_after.seconds,
            noop_after,
            NOOP_TARGET,
            verdict(noop_after.seconds <= TARGET_NOOP_SECONDS),
        ),
    ]
    print(f"\n{'deploy.yml run':<44} {'wall':>8} {'changed':>8}  target")
    for name, seconds, run, target, result in rows:
        changed = sum(run.changed.values()) if run else ""
        print(f"{name:<44} {seconds:>7.1f}s {changed:>8}  {target} {result}")
    errors = len(load.failures)
    print(
        f"\nduring the roll: {load.requests_sent} requests, {errors} failed, {duplicates} POSTs "
        f"applied twice ({verdict(errors == 0 and duplicates == 0)}, target 0 and 0)"
    )
    print(f"version served after the roll: {served}")
    for failure in load.failures[:10]:
        print(f"  {failure.method} {failure.path}: {failure.error}")


if __name__ == "__main__":
    main()
