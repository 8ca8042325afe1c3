"""The prod topology deployed on this machine through inventories/prod's group_vars.

Used by tests/e2e/test_prod_topology.py and bench/deploy_bench.py. tests/e2e/prod/hosts.yml
overrides only the connection, the published address, the image source and the secrets.
"""

import json
import shutil
import subprocess
from pathlib import Path

from tests.playbooks import REPO, PlaybookRun, ansible_playbook

PROD_INVENTORY = (
    *("-i", "inventories/prod", "-i", "tests/e2e/prod", "--limit", "localhost"),
    *("--vault-password-file", "tests/example-vault-password"),
)
BASE_URL = "http://127.0.0.1:18090"
PROJECT = "taskstack-prod"
DEPLOY_DIR = Path("/opt/taskstack/prod")
REPLICAS = ("app1", "app2", "app3")


def playbook(name: str, *extra: str) -> PlaybookRun:
    """Run playbooks/<name> against the prod topology on this machine."""
    return ansible_playbook(*PROD_INVENTORY, f"playbooks/{name}", *extra)


def docker(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["docker", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    ).stdout


def inspect(service: str) -> dict:
    return json.loads(docker("inspect", f"{PROJECT}-{service}-1"))[0]


def psql(query: str) -> list[str]:
    psql_argv = ("psql", "-U", "taskstack", "-d", "taskstack", "-Atc", query)
    return docker("exec", f"{PROJECT}-postgres-1", *psql_argv).splitlines()


def stored_titles(prefix: str) -> list[str]:
    return psql(f"SELECT title FROM tasks WHERE title LIKE '{prefix}-%'")


def app_source(destination: Path, version: str, broken: bool = False) -> Path:
    """A copy of the app's sources with another version (if broken, readiness always fails)."""
    shutil.copytree(
        REPO / "app",
        destination / "app",
        ignore=shutil.ignore_patterns("node_modules", "__pycache__", "*.egg-info", "build"),
    )
    pyproject = (REPO / "pyproject.toml").read_text()
    (destination / "pyproject.toml").write_text(
        pyproject.replace('version = "0.1.0"', f'version = "{version}"', 1)
    )
    if broken:
        with (destination / "app/taskstack/health.py").open("a") as health:
            health.write("\n\ndef postgres_ok() -> bool:\n    return False\n")
    return destination


def tear_down() -> None:
    """Remove the stack, its volumes and its deploy directory."""
    if DEPLOY_DIR.exists():
        subprocess.run(
            ["docker", "compose", "down", "--volumes", "--remove-orphans"],
            cwd=DEPLOY_DIR,
            capture_output=True,
            check=False,
        )
    shutil.rmtree(DEPLOY_DIR, ignore_errors=True)
