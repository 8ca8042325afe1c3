"""The prod topology on this machine, through inventories/prod's group_vars (see prod/hosts.yml):
three app containers behind nginx, a rolling deploy under load, a killed container, a broken
image, the deploy lock and rollback.yml."""

import json
import os
import shutil
import signal
import time

import pytest
import requests

from tests.load import Load, register_users
from tests.playbooks import PlaybookRun
from tests.prod_stack import (
    BASE_URL,
    DEPLOY_DIR,
    PROJECT,
    REPLICAS,
    app_source,
    docker,
    inspect,
    playbook,
    psql,
    stored_titles,
    tear_down,
)

from .conftest import StackDeploy, stack_containers

pytestmark = pytest.mark.e2e

TIMEOUT = 10
# Settle time around a disturbance, so the load runs before, during and after it.
SETTLE_SECONDS = 3


def deploy(*extra: str) -> PlaybookRun:
    return playbook("deploy.yml", *extra)


def rollback(*extra: str) -> PlaybookRun:
    return playbook("rollback.yml", *extra)


def served_version() -> str:
    return requests.get(f"{BASE_URL}/healthz", timeout=TIMEOUT).json()["version"]


def current_release() -> dict:
    release_id = (DEPLOY_DIR / "releases/current").read_text().strip()
    return json.loads((DEPLOY_DIR / "releases" / release_id / "release.json").read_text())


def assert_unique_posts(load: Load) -> None:
    """Every POST that succeeded is one row, and no title was stored twice."""
    rows = stored_titles(load.title_prefix)
    assert len(rows) == len(set(rows)), "a POST was applied twice"
    assert set(load.created_titles) <= set(rows)
    assert len(rows) == len(load.created_titles)


@pytest.fixture(scope="module")
def prod():
    first = deploy()
    assert first.returncode == 0, first.output[-6000:]
    after_first = stack_containers(PROJECT)
    second = deploy()
    yield StackDeploy(first, second, after_first, stack_containers(PROJECT), BASE_URL)
    tear_down()


@pytest.fixture(scope="module")
def users(prod):
    return register_users(BASE_URL, 3)


@pytest.fixture(scope="module")
def first_release(prod) -> dict:
    return current_release()


def test_three_app_containers_serve_behind_nginx(prod):
    assert set(prod.containers_after_first) == {*REPLICAS, "nginx", "postgres", "redis"}
    since = time.time()
    for _ in range(30):
        assert requests.get(f"{BASE_URL}/readyz", timeout=TIMEOUT).status_code == 200
    log = docker("logs", "--since", str(int(since) - 1), f"{PROJECT}-nginx-1")
    upstreams = {
        json.loads(line)["upstream_addr"] for line in log.splitlines() if "/readyz" in line
    }
    assert upstreams == {f"172.30.20.{11 + i}:8000" for i in range(3)}


def test_second_deploy_changes_nothing(prod):
    assert prod.second.returncode == 0, prod.second.output[-6000:]
    assert prod.second.changed == {"localhost": 0}
    assert prod.containers_after_second == prod.containers_after_first


def test_data_stores_are_reachable_only_on_the_internal_network(prod):
    for service in ("postgres", "redis"):
        container = inspect(service)
        assert container["HostConfig"]["PortBindings"] in ({}, None)
        assert list(container["NetworkSettings"]["Networks"]) == [f"{PROJECT}_backend"]
    backend = json.loads(docker("network", "inspect", f"{PROJECT}_backend"))[0]
    assert backend["Internal"] is True
    nginx = inspect("nginx")
    assert list(nginx["NetworkSettings"]["Networks"]) == [f"{PROJECT}_frontend"]
    assert nginx["HostConfig"]["PortBindings"]["8080/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": "18090"}
    ]


def test_containers_are_hardened(prod):
    for service in (*REPLICAS, "nginx", "postgres", "redis"):
        container = inspect(service)
        host = container["HostConfig"]
        user = container["Config"]["User"]
        assert user and user.split(":")[0] not in ("0", "root"), service
        assert host["CapDrop"] == ["ALL"], service
        assert "no-new-privileges:true" in host["SecurityOpt"], service
        assert host["Memory"] > 0 and host["NanoCpus"] > 0, service
        assert host["RestartPolicy"]["Name"] == "unless-stopped", service


def test_no_secret_appears_in_docker_inspect_or_playbook_output(prod):
    secrets = [
        "e2e-prod-postgres-password",
        "e2e-prod-secret-key-e2e-prod-secret-key",
        "e2e-prod-jwt-secret-key-at-least-32-bytes",
    ]
    inspected = docker("inspect", *(f"{PROJECT}-{s}-1" for s in (*REPLICAS, "postgres")))
    for secret in secrets:
        assert secret not in inspected
        assert secret not in prod.first.output


def test_deploy_records_a_release(prod, first_release):
    assert first_release["environment"] == "prod"
    assert first_release["alembic_revision"] == psql("SELECT version_num FROM alembic_version")[0]
    assert first_release["app_replicas"] == 3
    assert set(first_release["images"]) == {"app", "postgres", "redis", "nginx"}
    app_image = first_release["images"]["app"]
    assert app_image["id"] == inspect("app1")["Image"]
    assert first_release["operator"] and first_release["created_at"]


def test_a_held_deploy_lock_stops_a_second_deploy(prod):
    lock = DEPLOY_DIR / "deploy.lock"
    lock.mkdir()
    (lock / "holder").write_text("alice (Deploy) since 2026-12-04T00:00:00Z\n")
    try:
        run = deploy()
    finally:
        shutil.rmtree(lock)
    assert run.returncode != 0
    assert "Another deploy of prod is running: alice (Deploy)" in run.output
    assert stack_containers(PROJECT) == prod.containers_after_second


def test_rolling_deploy_under_load_fails_no_request_and_applies_no_post_twice(
    prod, users, first_release, tmp_path
):
    source = app_source(tmp_path, "0.1.0+e2e.roll")
    with Load(BASE_URL, users) as load:
        time.sleep(SETTLE_SECONDS)
        run = deploy("-e", f"app_stack_app_source_dir={source}")
        time.sleep(SETTLE_SECONDS)

    assert run.returncode == 0, run.output[-6000:]
    assert load.requests_sent > 100
    assert load.failures == []
    assert_unique_posts(load)
    assert served_version() == "0.1.0+e2e.roll"
    assert current_release()["id"] != first_release["id"]
    assert {inspect(r)["Image"] for r in REPLICAS} == {current_release()["images"]["app"]["id"]}


def test_a_killed_backend_costs_no_errors_after_a_few_seconds_and_comes_back(prod, users):
    address = inspect("app2")["NetworkSettings"]["Networks"][f"{PROJECT}_frontend"]["IPAddress"]
    with Load(BASE_URL, users) as load:
        time.sleep(SETTLE_SECONDS)
        killed_at = time.time()
        os.kill(inspect("app2")["State"]["Pid"], signal.SIGKILL)
        healthy_at = wait_until_healthy_again("app2")
        time.sleep(2 * SETTLE_SECONDS)

    assert load.failures_since(killed_at + SETTLE_SECONDS) == []
    assert_unique_posts(load)
    log = docker("logs", "--since", str(int(healthy_at)), f"{PROJECT}-nginx-1")
    served = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(r["upstream_addr"] == f"{address}:8000" and r["status"] < 400 for r in served)


def wait_until_healthy_again(service: str) -> float:
    deadline = time.time() + 90
    while time.time() < deadline:
        state = inspect(service)
        if state["RestartCount"] > 0 and state["State"]["Health"]["Status"] == "healthy":
            return time.time()
        time.sleep(0.5)
    pytest.fail(f"{service} did not come back healthy")


def test_a_broken_image_fails_the_play_and_leaves_the_old_version_serving(prod, tmp_path):
    before = current_release()
    source = app_source(tmp_path, "0.1.0+e2e.broken", broken=True)

    run = deploy("-e", f"app_stack_app_source_dir={source}")

    assert run.returncode != 0
    assert "The rollout failed and was undone" in run.output, run.output[-8000:]
    assert "did not become healthy" in run.output
    assert served_version() == "0.1.0+e2e.roll"
    for replica in REPLICAS:
        assert inspect(replica)["Image"] == before["images"]["app"]["id"]
        assert inspect(replica)["State"]["Health"]["Status"] == "healthy"
    assert current_release()["id"] == before["id"]
    assert not (DEPLOY_DIR / "deploy.lock").exists()


def test_rollback_returns_to_the_previous_release_and_a_second_run_changes_nothing(
    prod, first_release
):
    run = rollback()
    again = rollback()

    assert run.returncode == 0, run.output[-6000:]
    assert served_version() == "0.1.0"
    assert current_release()["id"] == first_release["id"]
    for replica in REPLICAS:
        assert inspect(replica)["Image"] == first_release["images"]["app"]["id"]
    assert again.returncode == 0, again.output[-6000:]
    assert again.changed == {"localhost": 0}


def test_rollback_to_an_unknown_release_changes_nothing(prod):
    containers = stack_containers(PROJECT)

    run = rollback("-e", "app_stack_rollback_release=20200101T000000Z-deadbeef")

    assert run.returncode != 0
    assert "Release 20200101T000000Z-deadbeef is not recorded" in run.output
    assert stack_containers(PROJECT) == containers
