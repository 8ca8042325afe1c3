"""Several real gunicorn instances sharing PostgreSQL and Redis, as in production.

Live events, cache invalidation, rate limits and revocation must hold across instances;
metrics must add up across workers. Clients talk to the instances over HTTP and Socket.IO.
"""

import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import pytest
import requests
import socketio
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster import (
    JWT_SECRET_KEY,
    Instance,
    cluster,
    logs_on_failure,
    reset_data,
)

pytestmark = pytest.mark.integration

DATABASE = "taskstack_cluster_test"
REDIS_DB = 13
ENV_NAME = "cluster"
BASE_PORT = 18101
STRICT_BASE_PORT = 18104
METRICS_PORT = 18107
PASSWORD = "correct horse battery staple"
# Limits high enough that no test here meets them, except the rate limit test's own cluster.
HIGH_LIMITS = {"RATELIMIT_AUTH": "1000 per minute", "RATELIMIT_DEFAULT": "10000 per minute"}
EVENT_TIMEOUT_SECONDS = 5
# How long a client waits to be sure an event is not coming, once a control client got it.
SILENCE_SECONDS = 0.5
HTTP_TIMEOUT_SECONDS = 10


@pytest.fixture(scope="module")
def instances() -> Iterator[list[Instance]]:
    with cluster(
        3,
        base_port=BASE_PORT,
        database=DATABASE,
        redis_db=REDIS_DB,
        env_name=ENV_NAME,
        extra_env=HIGH_LIMITS,
    ) as started:
        yield started


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest, instances: list[Instance]) -> Iterator[None]:
    reset_data(DATABASE, REDIS_DB)
    with logs_on_failure(request, instances):
        yield


@pytest.fixture
def strict_instances(request: pytest.FixtureRequest) -> Iterator[list[Instance]]:
    """Three more instances whose limits are low enough to reach in a test."""
    limits = {"RATELIMIT_AUTH": "3 per minute", "RATELIMIT_DEFAULT": "4 per minute"}
    with (
        cluster(
            3,
            base_port=STRICT_BASE_PORT,
            database=DATABASE,
            redis_db=REDIS_DB,
            env_name=ENV_NAME,
            extra_env=limits,
        ) as started,
        logs_on_failure(request, started),
    ):
        yield started


@pytest.fixture
def two_worker_instance(request: pytest.FixtureRequest) -> Iterator[Instance]:
    with (
        cluster(
            1,
            base_port=METRICS_PORT,
            database=DATABASE,
            redis_db=REDIS_DB,
            env_name=ENV_NAME,
            extra_env=HIGH_LIMITS,
            workers=2,
        ) as started,
        logs_on_failure(request, started),
    ):
        yield started[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(method: str, instance: Instance, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{instance.url}{path}", timeout=HTTP_TIMEOUT_SECONDS, **kwargs)


def register(instance: Instance, email: str) -> dict[str, Any]:
    response = call(
        "POST", instance, "/api/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return response.json()


def login(instance: Instance, email: str) -> dict[str, Any]:
    response = call(
        "POST", instance, "/api/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


def create_task(instance: Instance, token: str, title: str) -> dict[str, Any]:
    response = call("POST", instance, "/api/tasks", json={"title": title}, headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()


def list_titles(instance: Instance, token: str) -> list[str]:
    response = call("GET", instance, "/api/tasks", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


def metric_value(instance: Instance, name: str, **labels: str) -> float:
    """One sample from the instance's /metrics (0 if absent)."""
    response = call("GET", instance, "/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


class LiveClient:
    """A Socket.IO client that records every task event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        for event in ("task_created", "task_updated", "task_deleted"):
            self.sio.on(event, lambda data, event=event: self.events.put((event, data)))

    def next_event(self) -> tuple[str, Any]:
        try:
            return self.events.get(timeout=EVENT_TIMEOUT_SECONDS)
        except queue.Empty:
            pytest.fail(f"no event within {EVENT_TIMEOUT_SECONDS}s")

    def assert_silent(self) -> None:
        time.sleep(SILENCE_SECONDS)
        assert self.events.empty(), f"unexpected event {self.events.get()!r}"


@contextmanager
def live(instance: Instance, token: str) -> Iterator[LiveClient]:
    client = LiveClient()
    client.sio.connect(instance.url, auth={"token": token}, transports=["websocket"])
    try:
        yield client
    finally:
        client.sio.disconnect()


def connect_socket(instance: Instance, auth: dict[str, str] | None, origin: str | None) -> None:
    """Open and close a Socket.IO connection; socketio.exceptions.ConnectionError if refused."""
    # websocket-client adds its own Origin header unless told not to.
    options = {"suppress_origin": True, "header": {"Origin": origin}} if origin else {}
    client = socketio.Client(
        reconnection=False, handle_sigint=False, websocket_extra_options=options
    )
    client.connect(instance.url, auth=auth, transports=["websocket"], wait_timeout=5)
    client.disconnect()


def resigned(token: str, *, key: str = JWT_SECRET_KEY, **changes: Any) -> str:
    """token's claims with changes, signed with key."""
    claims = jwt.decode(token, JWT_SECRET_KEY, algorithms=["HS256"])
    return jwt.encode(claims | changes, key, algorithm="HS256")


def test_events_from_one_instance_reach_the_user_on_the_others(instances: list[Instance]) -> None:
    first, second, third = instances
    token = register(first, "alice@example.com")["access_token"]

    with live(second, token) as on_second, live(third, token) as on_third:
        created = create_task(first, token, "Write the report")
        for client in (on_second, on_third):
            assert client.next_event() == ("task_created", created)

        response = call(
            "PATCH",
            first,
            f"/api/tasks/{created['id']}",
            json={"status": "done"},
            headers=bearer(token),
        )
        assert response.status_code == 200
        updated = response.json()
        assert updated["status"] == "done"
        for client in (on_second, on_third):
            assert client.next_event() == ("task_updated", updated)

        response = call("DELETE", first, f"/api/tasks/{created['id']}", headers=bearer(token))
        assert response.status_code == 204
        for client in (on_second, on_third):
            assert client.next_event() == ("task_deleted", updated)


def test_a_write_on_one_instance_invalidates_cached_reads_on_every_instance(
    instances: list[Instance],
) -> None:
    first, *others = instances
    token = register(first, "alice@example.com")["access_token"]
    task = create_task(first, token, "First")
    # The cache is shared: what the second instance read, the third reads from the cache.
    third = others[1]
    hits_before = metric_value(third, "taskstack_cache_hits_total")
    for instance in others:
        assert list_titles(instance, token) == ["First"]
        assert call("GET", instance, f"/api/tasks/{task['id']}", headers=bearer(token)).ok
    assert metric_value(third, "taskstack_cache_hits_total") == hits_before + 2

    create_task(first, token, "Second")
    for instance in others:
        assert list_titles(instance, token) == ["Second", "First"]

    response = call(
        "PATCH", first, f"/api/tasks/{task['id']}", json={"title": "Renamed"}, headers=bearer(token)
    )
    assert response.status_code == 200
    for instance in others:
        response = call("GET", instance, f"/api/tasks/{task['id']}", headers=bearer(token))
        assert response.json()["title"] == "Renamed"
        assert list_titles(instance, token) == ["Second", "Renamed"]

    assert (
        call("DELETE", first, f"/api/tasks/{task['id']}", headers=bearer(token)).status_code == 204
    )
    for instance in others:
        response = call("GET", instance, f"/api/tasks/{task['id']}", headers=bearer(token))
        assert response.status_code == 404
        assert list_titles(instance, token) == ["Second"]


def test_rate_limits_count_requests_on_every_instance(strict_instances: list[Instance]) -> None:
    first, second, third = strict_instances
    # The auth limit (3 per minute per client IP) counts login and registration everywhere.
    token = register(first, "alice@example.com")["access_token"]
    wrong = {"email": "alice@example.com", "password": "not the password"}
    assert call("POST", second, "/api/auth/login", json=wrong).status_code == 401
    login(third, "alice@example.com")
    for instance in strict_instances:
        response = call("POST", instance, "/api/auth/login", json=wrong)
        assert response.status_code == 429
        assert response.json()["error"]["code"]
        assert int(response.headers["Retry-After"]) > 0

    # The default limit (4 per minute per user) counts API calls everywhere.
    for instance in (first, second, third, first):
        assert call("GET", instance, "/api/tasks", headers=bearer(token)).status_code == 200
    for instance in strict_instances:
        assert call("GET", instance, "/api/tasks", headers=bearer(token)).status_code == 429


def test_logout_revokes_both_tokens_on_every_instance(instances: list[Instance]) -> None:
    first, *others = instances
    tokens = register(first, "alice@example.com")
    access, refresh = bearer(tokens["access_token"]), bearer(tokens["refresh_token"])
    for instance in others:
        assert call("GET", instance, "/api/tasks", headers=access).status_code == 200

    assert call("POST", first, "/api/auth/logout", headers=access).status_code == 204

    for instance in others:
        assert call("GET", instance, "/api/tasks", headers=access).status_code == 401
        assert call("POST", instance, "/api/auth/refresh", headers=refresh).status_code == 401
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect_socket(instance, {"token": tokens["access_token"]}, origin=None)


def test_revoking_a_session_applies_on_every_instance(instances: list[Instance]) -> None:
    first, second, third = instances
    laptop = register(first, "alice@example.com")
    phone = login(first, "alice@example.com")
    sessions = call("GET", second, "/api/auth/sessions", headers=bearer(laptop["access_token"]))
    [phone_session] = [item for item in sessions.json()["items"] if not item["current"]]

    response = call(
        "DELETE",
        second,
        f"/api/auth/sessions/{phone_session['id']}",
        headers=bearer(laptop["access_token"]),
    )
    assert response.status_code == 204

    for instance in (first, third):
        tasks = call("GET", instance, "/api/tasks", headers=bearer(phone["access_token"]))
        assert tasks.status_code == 401
        refreshed = call(
            "POST", instance, "/api/auth/refresh", headers=bearer(phone["refresh_token"])
        )
        assert refreshed.status_code == 401
        # The other session is untouched.
        assert call("GET", instance, "/api/tasks", headers=bearer(laptop["access_token"])).ok


def test_a_user_receives_and_reads_nothing_of_another_users_tasks(
    instances: list[Instance],
) -> None:
    first, second, third = instances
    alice = register(first, "alice@example.com")["access_token"]
    bob = register(second, "bob@example.com")["access_token"]

    with (
        live(second, bob) as bob_on_second,
        live(third, bob) as bob_on_third,
        live(third, alice) as alice_on_third,
    ):
        task = create_task(first, alice, "Alice's secret")
        assert alice_on_third.next_event()[0] == "task_created"
        bob_on_second.assert_silent()
        bob_on_third.assert_silent()

    bobs_task = create_task(third, bob, "Bob's own")
    for instance in instances:
        path = f"/api/tasks/{task['id']}"
        assert call("GET", instance, path, headers=bearer(bob)).status_code == 404
        assert (
            call("PATCH", instance, path, json={"title": "x"}, headers=bearer(bob)).status_code
            == 404
        )
        assert call("DELETE", instance, path, headers=bearer(bob)).status_code == 404
        assert list_titles(instance, bob) == [bobs_task["title"]]
        assert list_titles(instance, alice) == ["Alice's secret"]


@pytest.mark.parametrize(
    "case", ["no token", "forged token", "expired token", "refresh token", "foreign origin"]
)
def test_socket_connections_are_refused_without_a_valid_token_or_origin(
    instances: list[Instance], case: str
) -> None:
    instance = instances[1]
    tokens = register(instances[0], "alice@example.com")
    access = tokens["access_token"]
    auth, origin = {"token": access}, instance.url
    # The same connection with a valid token from the page's own origin is accepted.
    connect_socket(instance, auth, origin)

    if case == "no token":
        auth = None
    elif case == "forged token":
        auth = {"token": resigned(access, key="some-other-secret-0123456789abcdefgh")}
    elif case == "expired token":
        auth = {"token": resigned(access, exp=int(time.time()) - 60)}
    elif case == "refresh token":
        auth = {"token": tokens["refresh_token"]}
    else:
        origin = "http://evil.example"
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect_socket(instance, auth, origin)


def test_metrics_add_up_across_workers(two_worker_instance: Instance) -> None:
    instance = two_worker_instance
    token = register(instance, "alice@example.com")["access_token"]
    count = 30
    for number in range(count):
        create_task(instance, token, f"Task {number}")
    # Each request opens a new connection; both workers took some of them.
    worker_files = list(instance.metrics_dir.glob("histogram_*.db"))
    assert len(worker_files) == 2, worker_files

    for _ in range(10):
        assert metric_value(instance, "taskstack_tasks_created_total") == count
        assert metric_value(instance, "taskstack_users_registered_total") == 1
        created = metric_value(
            instance,
            "flask_http_request_duration_seconds_count",
            endpoint="tasks.create_task",
            method="POST",
            status="201",
        )
        assert created == count
