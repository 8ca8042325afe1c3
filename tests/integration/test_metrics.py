"""/metrics: HTTP requests by endpoint and status, and the app's own counters."""

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.conftest import PASSWORD

pytestmark = pytest.mark.integration

Metric = Callable[..., float]


def test_requests_are_counted_and_timed_by_endpoint_and_status(
    client: FlaskClient, alice: dict[str, str], metric: Metric
) -> None:
    def requests(status: str) -> float:
        return metric(
            client,
            "flask_http_request_duration_seconds_count",
            method="GET",
            endpoint="tasks.list_tasks",
            status=status,
        )

    ok, unauthorized = requests("200"), requests("401")

    for _ in range(3):
        client.get("/api/tasks", headers=alice)
    client.get("/api/tasks")

    assert requests("200") == ok + 3
    assert requests("401") == unauthorized + 1
    slowest_bucket = metric(
        client,
        "flask_http_request_duration_seconds_bucket",
        endpoint="tasks.list_tasks",
        status="200",
        le="+Inf",
    )
    assert slowest_bucket == ok + 3


def test_metrics_are_prometheus_text(client: FlaskClient) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    for name in (
        "taskstack_users_registered_total",
        "taskstack_tasks_created_total",
        "taskstack_cache_hits_total",
        "taskstack_cache_misses_total",
        "taskstack_sockets_connected",
        "taskstack_rate_limited_total",
        "taskstack_tokens_revoked_total",
        "flask_http_request_total",
    ):
        assert f"\n{name}" in response.get_data(as_text=True), name


def test_registrations_and_created_tasks_are_counted(client: FlaskClient, metric: Metric) -> None:
    users, tasks = (
        metric(client, "taskstack_users_registered_total"),
        metric(client, "taskstack_tasks_created_total"),
    )

    registered: Any = client.post(
        "/api/auth/register", json={"email": "new@example.com", "password": PASSWORD}
    ).get_json()
    headers = {"Authorization": f"Bearer {registered['access_token']}"}
    for title in ("one", "two"):
        client.post("/api/tasks", json={"title": title}, headers=headers)
    client.post("/api/tasks", json={"title": ""}, headers=headers)

    assert metric(client, "taskstack_users_registered_total") == users + 1
    assert metric(client, "taskstack_tasks_created_total") == tasks + 2


def test_revoked_sessions_are_counted(
    client: FlaskClient, sign_in: Callable[..., dict[str, Any]], metric: Metric
) -> None:
    revoked = metric(client, "taskstack_tokens_revoked_total")
    first, second = sign_in("alice@example.com"), sign_in("alice@example.com")

    client.post("/api/auth/logout", headers=first["headers"])
    client.post("/api/auth/logout", headers=first["headers"])  # already revoked: 401
    client.post("/api/auth/logout", headers=second["headers"])

    assert metric(client, "taskstack_tokens_revoked_total") == revoked + 2
