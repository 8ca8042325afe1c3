"""The deployed dev stack serves the page, live updates and metrics the way a user meets them."""

import subprocess
import threading

import pytest
import requests
import socketio
import websocket

from .test_dev_deploy import TIMEOUT, login, register

pytestmark = pytest.mark.e2e


def test_page_is_served_through_nginx_under_the_strict_policy(dev_deploy):
    response = requests.get(f"{dev_deploy.base_url}/", timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.raw.headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_metrics_are_not_reachable_through_nginx(dev_deploy):
    for path in ("/metrics", "/metrics/", "//metrics", "/%6Detrics"):
        response = requests.get(f"{dev_deploy.base_url}{path}", timeout=TIMEOUT)
        assert response.status_code == 404, path
        assert "taskstack_" not in response.text


SCRAPE = (
    "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8000/metrics').read().decode())"
)


def test_metrics_are_served_to_the_stack_network(dev_deploy):
    # dev runs one app container, so this request is counted where the scrape reads.
    requests.get(f"{dev_deploy.base_url}/healthz", timeout=TIMEOUT).raise_for_status()
    scrape = subprocess.run(
        [
            "docker",
            "exec",
            dev_deploy.containers_after_second["app1"],
            "python",
            "-c",
            SCRAPE,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "taskstack_users_registered_total" in scrape
    assert 'flask_http_request_duration_seconds_count{endpoint="health.healthz"' in scrape


def test_task_events_arrive_over_a_websocket_through_nginx(dev_deploy):
    base = dev_deploy.base_url
    headers = login(base, *register(base))
    received = threading.Event()
    events: list[dict] = []
    client = socketio.Client(reconnection=False)

    @client.on("task_created")
    def _created(task: dict) -> None:
        events.append(task)
        received.set()

    client.connect(
        base,
        auth={"token": headers["Authorization"].split()[1]},
        transports=["websocket"],
        wait_timeout=TIMEOUT,
    )
    try:
        created = requests.post(
            f"{base}/api/tasks", json={"title": "Live"}, headers=headers, timeout=TIMEOUT
        ).json()
        assert received.wait(TIMEOUT), "no task_created event through nginx"
    finally:
        client.disconnect()

    assert events == [created]


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [("{base}", True), ("https://evil.example", False), ("http://127.0.0.1:1", False)],
)
def test_websocket_handshake_checks_the_origin_through_nginx(dev_deploy, origin, accepted):
    base = dev_deploy.base_url
    url = f"{base.replace('http', 'ws', 1)}/socket.io/?EIO=4&transport=websocket"
    try:
        connection = websocket.create_connection(
            url, origin=origin.format(base=base), timeout=TIMEOUT
        )
    except websocket.WebSocketBadStatusException as refused:
        assert not accepted, f"own origin refused: {refused}"
        assert refused.status_code == 400
        return
    try:
        # Engine.IO's open packet: the server took the connection.
        assert connection.recv().startswith("0{")
    finally:
        connection.close()
    assert accepted, f"{origin} was accepted"
