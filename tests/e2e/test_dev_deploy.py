"""site.yml deploys the dev stack; a user goes through nginx from register to delete."""

import subprocess
import uuid

import pytest
import requests

from .conftest import dev_secrets

pytestmark = pytest.mark.e2e

TIMEOUT = 10


def register(base_url: str) -> tuple[str, str]:
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    password = "correct horse battery staple"
    response = requests.post(
        f"{base_url}/api/auth/register",
        json={"email": email, "password": password},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    return email, password


def login(base_url: str, email: str, password: str) -> dict[str, str]:
    response = requests.post(
        f"{base_url}/api/auth/login",
        json={"email": email, "password": password},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_site_playbook_prints_the_url_where_the_app_answers(dev_deploy):
    assert dev_deploy.base_url in dev_deploy.first.output
    response = requests.get(f"{dev_deploy.base_url}/readyz", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_second_site_run_reports_no_changes(dev_deploy):
    assert dev_deploy.second.changed == {"localhost": 0}, dev_deploy.second.output[-4000:]


def test_second_site_run_keeps_every_container(dev_deploy):
    assert set(dev_deploy.containers_after_first) >= {"postgres", "redis", "app1", "nginx"}
    assert dev_deploy.containers_after_second == dev_deploy.containers_after_first


def test_only_nginx_is_published_and_only_on_loopback(dev_deploy):
    for service, container in dev_deploy.containers_after_second.items():
        ports = subprocess.run(
            ["docker", "port", container], capture_output=True, text=True, check=True
        ).stdout.split()
        published = [p for p in ports if ":" in p]
        if service == "nginx":
            assert published and all(p.startswith("127.0.0.1:") for p in published)
        else:
            assert published == [], f"{service} publishes {published}"


def test_every_container_process_runs_as_non_root(dev_deploy):
    for service, container in dev_deploy.containers_after_second.items():
        table = subprocess.run(
            ["docker", "top", container, "-eo", "pid,uid"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[1:]
        uids = {line.split()[1] for line in table}
        assert uids and "0" not in uids, f"{service} runs processes as root: {uids}"


def test_user_goes_from_register_to_delete_through_nginx(dev_deploy):
    base = dev_deploy.base_url
    headers = login(base, *register(base))

    created = requests.post(
        f"{base}/api/tasks",
        json={"title": "Renew the certificate", "due_date": "2027-01-15"},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["title"] == "Renew the certificate"
    assert task["status"] == "open"

    listed = requests.get(f"{base}/api/tasks", headers=headers, timeout=TIMEOUT)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]

    updated = requests.patch(
        f"{base}/api/tasks/{task['id']}", json={"status": "done"}, headers=headers, timeout=TIMEOUT
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "done"

    done = requests.get(f"{base}/api/tasks?status=done", headers=headers, timeout=TIMEOUT)
    assert [t["id"] for t in done.json()["items"]] == [task["id"]]

    deleted = requests.delete(f"{base}/api/tasks/{task['id']}", headers=headers, timeout=TIMEOUT)
    assert deleted.status_code == 204
    gone = requests.get(f"{base}/api/tasks/{task['id']}", headers=headers, timeout=TIMEOUT)
    assert gone.status_code == 404


def test_user_cannot_see_another_users_task_through_nginx(dev_deploy):
    base = dev_deploy.base_url
    alice = login(base, *register(base))
    bob = login(base, *register(base))
    task = requests.post(
        f"{base}/api/tasks", json={"title": "Alice's secret"}, headers=alice, timeout=TIMEOUT
    ).json()

    foreign = requests.get(f"{base}/api/tasks/{task['id']}", headers=bob, timeout=TIMEOUT)
    missing = requests.get(f"{base}/api/tasks/999999999", headers=bob, timeout=TIMEOUT)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()

    bob_list = requests.get(f"{base}/api/tasks", headers=bob, timeout=TIMEOUT).json()
    assert task["id"] not in [t["id"] for t in bob_list["items"]]

    edit = requests.patch(
        f"{base}/api/tasks/{task['id']}", json={"title": "pwned"}, headers=bob, timeout=TIMEOUT
    )
    assert edit.status_code == 404
    still = requests.get(f"{base}/api/tasks/{task['id']}", headers=alice, timeout=TIMEOUT)
    assert still.json()["title"] == "Alice's secret"


def test_errors_through_nginx_are_json(dev_deploy):
    response = requests.get(f"{dev_deploy.base_url}/no/such/page", timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert "error" in response.json()


def test_no_secret_shows_in_playbook_output_or_docker_inspect(dev_deploy):
    inspect = subprocess.run(
        ["docker", "inspect", *dev_deploy.containers_after_second.values()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    secrets = dev_secrets()
    assert set(secrets) >= {"postgres_password", "secret_key", "jwt_secret_key"}
    for name, value in secrets.items():
        assert value not in dev_deploy.first.output, f"{name} in playbook output"
        assert value not in inspect, f"{name} in docker inspect"
