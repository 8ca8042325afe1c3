"""Deploys the dev inventory with site.yml (twice) and exposes what the runs did."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.playbooks import REPO, PlaybookRun, ansible_playbook

DEV_SECRETS = Path.home() / ".taskstack/dev/secrets"


@dataclass
class StackDeploy:
    """Two deploy runs of one stack and its containers after each."""

    first: PlaybookRun
    second: PlaybookRun
    containers_after_first: dict[str, str]
    containers_after_second: dict[str, str]
    base_url: str


def run_playbook(*args: str) -> PlaybookRun:
    run = ansible_playbook(*args)
    assert run.returncode == 0, run.output[-6000:]
    return run


def inventory_var(inventory: str, host: str, name: str):
    result = subprocess.run(
        ["ansible-inventory", "-i", inventory, "--host", host],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)[name]


def stack_containers(project: str) -> dict[str, str]:
    """Map each running service of a compose project to its container id."""
    result = subprocess.run(
        [
            "docker",
            "ps",
            "--no-trunc",
            "--filter",
            f"label=com.docker.compose.project={project}",
            "--format",
            '{{.Label "com.docker.compose.service"}} {{.ID}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split() for line in result.stdout.splitlines())


@pytest.fixture(scope="session")
def dev_deploy() -> StackDeploy:
    env = inventory_var("inventories/dev", "localhost", "app_stack_env")
    port = inventory_var("inventories/dev", "localhost", "app_stack_http_port")
    project = f"taskstack-{env}"
    first = run_playbook("-i", "inventories/dev", "playbooks/site.yml")
    after_first = stack_containers(project)
    second = run_playbook("-i", "inventories/dev", "playbooks/site.yml")
    return StackDeploy(
        first=first,
        second=second,
        containers_after_first=after_first,
        containers_after_second=stack_containers(project),
        base_url=f"http://127.0.0.1:{port}",
    )


def dev_secrets() -> dict[str, str]:
    """The dev secrets the inventory generated on the controller, by name."""
    return {path.name: path.read_text().split()[0] for path in DEV_SECRETS.iterdir()}
