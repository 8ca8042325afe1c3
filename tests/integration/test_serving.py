"""An instance that drains, or is not ready, turns idempotent requests away with a 502 (which
nginx retries on another instance) and still serves POSTs and the probes."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from taskstack.drain import DRAIN_MAX_AGE_SECONDS

pytestmark = pytest.mark.integration

TASKSTACK_INSTANCE = str(Path(sys.executable).with_name("taskstack-instance"))
UNREACHABLE_DATABASE_URL = "postgresql+psycopg2://taskstack:taskstack@127.0.0.1:1/taskstack_test"


@pytest.fixture
def drain_file(tmp_path: Path) -> Path:
    return tmp_path / "drain"


@pytest.fixture
def gated(client_with: Callable[..., FlaskClient], drain_file: Path) -> FlaskClient:
    return client_with(drain_file=str(drain_file))


def instance(command: str, drain_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TASKSTACK_INSTANCE, command, *args],
        env={**os.environ, "DRAIN_FILE": str(drain_file)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_turned_away(response, reason: str) -> None:
    assert response.status_code == 502
    assert response.headers["X-Taskstack-Not-Serving"] == reason
    assert response.get_json()["error"]["code"] == 502


def test_a_draining_instance_turns_reads_away_and_still_serves_writes(
    gated: FlaskClient, alice: dict[str, str], drain_file: Path, metric: Callable[..., float]
) -> None:
    assert gated.get("/api/tasks", headers=alice).status_code == 200
    instance("drain", drain_file, "--idle", "0")

    assert_turned_away(gated.get("/api/tasks", headers=alice), "draining")
    assert_turned_away(gated.get("/socket.io/?EIO=4&transport=polling"), "draining")
    assert_turned_away(gated.delete("/api/tasks/1", headers=alice), "draining")
    created = gated.post("/api/tasks", json={"title": "still saved"}, headers=alice)
    assert created.status_code == 201
    assert (
        gated.patch(
            f"/api/tasks/{created.get_json()['id']}", json={"status": "done"}, headers=alice
        ).status_code
        == 200
    )
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert gated.get(probe).status_code == 200
    assert metric(gated, "taskstack_not_serving_refusals_total", reason="draining") == 3


def test_undrain_puts_the_instance_back(gated: FlaskClient, drain_file: Path) -> None:
    instance("drain", drain_file, "--idle", "0")
    assert_turned_away(gated.get("/api/openapi.json"), "draining")

    result = instance("undrain", drain_file)

    assert result.returncode == 0
    assert gated.get("/api/openapi.json").status_code == 200


def test_an_old_drain_file_is_ignored(gated: FlaskClient, drain_file: Path) -> None:
    """An interrupted deploy cannot leave an instance out of rotation for good."""
    drain_file.touch()
    long_ago = time.time() - DRAIN_MAX_AGE_SECONDS - 1
    os.utime(drain_file, (long_ago, long_ago))

    assert gated.get("/api/openapi.json").status_code == 200


def test_drain_returns_once_requests_stop_arriving(gated: FlaskClient, drain_file: Path) -> None:
    stop = threading.Event()
    last_request = 0.0

    def keep_requesting() -> None:
        nonlocal last_request
        while not stop.is_set():
            last_request = time.monotonic()
            gated.get("/api/openapi.json")
            time.sleep(0.05)

    requester = threading.Thread(target=keep_requesting)
    started = time.monotonic()
    requester.start()
    threading.Timer(1.5, stop.set).start()
    try:
        result = instance("drain", drain_file, "--idle", "0.5", "--timeout", "10")
        returned = time.monotonic()
    finally:
        stop.set()
        requester.join()

    assert result.returncode == 0
    assert result.stdout.startswith("drained: no request for")
    assert last_request - started >= 1.0
    # Quiet for the idle time after the last request; file times are coarse by a few ms.
    assert returned - last_request >= 0.5 - 0.05
    assert returned - started < 10


def test_drain_gives_up_waiting_after_its_timeout(gated: FlaskClient, drain_file: Path) -> None:
    stop = threading.Event()

    def keep_requesting() -> None:
        while not stop.is_set():
            gated.get("/api/openapi.json")
            time.sleep(0.05)

    requester = threading.Thread(target=keep_requesting)
    requester.start()
    try:
        result = instance("drain", drain_file, "--idle", "0.5", "--timeout", "1")
    finally:
        stop.set()
        requester.join()

    assert result.returncode == 0
    assert "drain timed out after 1 s" in result.stderr


def test_with_the_readiness_gate_an_instance_without_postgresql_turns_reads_away(
    client_with: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    client = client_with(
        database_url=UNREACHABLE_DATABASE_URL,
        readiness_gate=True,
        drain_file=str(tmp_path / "drain"),
    )

    assert_turned_away(client.get("/"), "not-ready")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_without_the_readiness_gate_an_instance_without_postgresql_still_answers(
    client_with: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    client = client_with(database_url=UNREACHABLE_DATABASE_URL, drain_file=str(tmp_path / "d"))

    assert client.get("/api/openapi.json").status_code == 200


def test_with_the_readiness_gate_a_ready_instance_serves(
    client_with: Callable[..., FlaskClient], alice: dict[str, str], tmp_path: Path
) -> None:
    client = client_with(readiness_gate=True, drain_file=str(tmp_path / "drain"))

    assert client.get("/api/tasks", headers=alice).status_code == 200
