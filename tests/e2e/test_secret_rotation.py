"""A changed PostgreSQL password reaches the existing database and loses no data."""

import secrets

import pytest
import requests

from .conftest import DEV_SECRETS, run_playbook, stack_containers
from .test_dev_deploy import TIMEOUT, login, register

pytestmark = pytest.mark.e2e


def test_rotated_postgres_password_keeps_users_and_tasks(dev_deploy):
    base = dev_deploy.base_url
    email, password = register(base)
    headers = login(base, email, password)
    task = requests.post(
        f"{base}/api/tasks", json={"title": "survive rotation"}, headers=headers, timeout=TIMEOUT
    ).json()
    before = stack_containers("taskstack-dev")

    new_password = secrets.token_hex(16)
    (DEV_SECRETS / "postgres_password").write_text(new_password + "\n")
    run = run_playbook("-i", "inventories/dev", "playbooks/deploy.yml", "--diff", "-v")

    assert new_password not in run.output
    assert stack_containers("taskstack-dev")["postgres"] != before["postgres"]
    headers = login(base, email, password)
    kept = requests.get(f"{base}/api/tasks/{task['id']}", headers=headers, timeout=TIMEOUT)
    assert kept.status_code == 200
    assert kept.json()["title"] == "survive rotation"
