"""Task reads are cached in Redis, per user and query, and no write ever leaves a stale read."""

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from taskstack.extensions import db
from taskstack.tasks import versions
from tests.integration.conftest import TEST_REDIS_URL

pytestmark = pytest.mark.integration

Headers = dict[str, str]
Metric = Callable[..., float]
CLOSED_PORT_REDIS_URL = "redis://127.0.0.1:6390/0"


def create(client: FlaskClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/tasks", json={"title": "A task"} | fields, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def titles(client: FlaskClient, headers: Headers, query: str = "") -> list[str]:
    response = client.get(f"/api/tasks{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [task["title"] for task in response.get_json()["items"]]


def cache_counts(client: FlaskClient, metric: Metric) -> tuple[float, float]:
    return metric(client, "taskstack_cache_hits_total"), metric(
        client, "taskstack_cache_misses_total"
    )


def test_a_repeated_list_is_a_hit_with_the_same_body(
    client: FlaskClient, alice: Headers, metric: Metric
) -> None:
    create(client, alice, title="Milk")
    hits, misses = cache_counts(client, metric)

    first = client.get("/api/tasks?per_page=5", headers=alice)
    second = client.get("/api/tasks?per_page=5", headers=alice)

    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert second.mimetype == "application/json"
    assert cache_counts(client, metric) == (hits + 1, misses + 1)


def test_a_repeated_task_read_is_a_hit(client: FlaskClient, alice: Headers, metric: Metric) -> None:
    task = create(client, alice)
    hits, misses = cache_counts(client, metric)

    reads = [client.get(f"/api/tasks/{task['id']}", headers=alice).get_json() for _ in range(3)]

    assert reads == [task] * 3
    assert cache_counts(client, metric) == (hits + 2, misses + 1)


def test_every_query_parameter_is_part_of_the_key(client: FlaskClient, alice: Headers) -> None:
    create(client, alice, title="b open")
    create(client, alice, title="a done", status="done")

    assert titles(client, alice) == ["a done", "b open"]
    assert titles(client, alice, "?status=open") == ["b open"]
    assert titles(client, alice, "?status=done") == ["a done"]
    assert titles(client, alice, "?sort=title") == ["a done", "b open"]
    assert titles(client, alice, "?sort=-title") == ["b open", "a done"]
    assert titles(client, alice, "?q=open") == ["b open"]
    assert titles(client, alice, "?per_page=1") == ["a done"]
    assert titles(client, alice, "?per_page=1&page=2") == ["b open"]


def test_the_same_query_written_differently_shares_an_entry(
    client: FlaskClient, alice: Headers, metric: Metric
) -> None:
    create(client, alice)
    titles(client, alice, "?page=1&per_page=20&sort=-created_at")
    hits, misses = cache_counts(client, metric)

    titles(client, alice, "?per_page=020&page=1")
    titles(client, alice)

    assert cache_counts(client, metric) == (hits + 2, misses)


def test_users_never_get_each_others_cached_reads(
    client: FlaskClient, alice: Headers, bob: Headers, metric: Metric
) -> None:
    task = create(client, alice, title="Alice's secret")
    assert titles(client, alice) == ["Alice's secret"]
    client.get(f"/api/tasks/{task['id']}", headers=alice)
    hits, misses = cache_counts(client, metric)

    bobs_list = titles(client, bob)
    bobs_read = client.get(f"/api/tasks/{task['id']}", headers=bob)

    assert bobs_list == []
    assert bobs_read.status_code == 404
    assert cache_counts(client, metric) == (hits, misses + 2)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("create", ["New", "Old"]),
        ("update", ["Renamed"]),
        ("delete", []),
    ],
)
def test_every_write_retires_the_cached_reads_it_touched(
    client: FlaskClient, alice: Headers, change: str, expected: list[str]
) -> None:
    task = create(client, alice, title="Old")
    assert titles(client, alice) == ["Old"]
    assert titles(client, alice, "?status=open") == ["Old"]
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).status_code == 200

    if change == "create":
        create(client, alice, title="New")
    elif change == "update":
        client.patch(f"/api/tasks/{task['id']}", json={"title": "Renamed"}, headers=alice)
    else:
        client.delete(f"/api/tasks/{task['id']}", headers=alice)

    assert titles(client, alice) == expected
    assert titles(client, alice, "?status=open") == expected
    read = client.get(f"/api/tasks/{task['id']}", headers=alice)
    if change == "delete":
        assert read.status_code == 404
    else:
        assert read.get_json()["title"] == expected[-1]


def test_a_status_change_moves_the_task_between_cached_filters(
    client: FlaskClient, alice: Headers
) -> None:
    task = create(client, alice)
    assert titles(client, alice, "?status=done") == []

    client.patch(f"/api/tasks/{task['id']}", json={"status": "done"}, headers=alice)

    assert titles(client, alice, "?status=done") == ["A task"]
    assert titles(client, alice, "?status=open") == []


def test_a_failed_write_leaves_the_cache_serving(
    client: FlaskClient, alice: Headers, metric: Metric
) -> None:
    task = create(client, alice)
    titles(client, alice)
    hits, _ = cache_counts(client, metric)

    bad = client.patch(f"/api/tasks/{task['id']}", json={"status": "closed"}, headers=alice)

    assert bad.status_code == 400
    assert titles(client, alice) == ["A task"]
    assert cache_counts(client, metric)[0] == hits + 1


def test_instances_share_the_cache(
    client_with: Callable[..., FlaskClient], alice: Headers, metric: Metric
) -> None:
    first, second = client_with(), client_with()
    create(first, alice, title="Shared")
    assert titles(first, alice) == ["Shared"]
    hits, misses = cache_counts(second, metric)

    assert titles(second, alice) == ["Shared"]
    assert cache_counts(second, metric) == (hits + 1, misses)

    create(second, alice, title="Newer")
    assert titles(first, alice) == ["Newer", "Shared"]


def test_without_redis_reads_come_from_postgresql(
    client: FlaskClient, client_with: Callable[..., FlaskClient], alice: Headers
) -> None:
    done = create(client, alice, title="Done", status="done")
    create(client, alice, title="Open")
    assert titles(client, alice) == ["Open", "Done"]
    offline = client_with(redis_url=CLOSED_PORT_REDIS_URL)

    listed = offline.get("/api/tasks?status=done", headers=alice)
    read = offline.get(f"/api/tasks/{done['id']}", headers=alice)
    created = offline.post("/api/tasks", json={"title": "Written offline"}, headers=alice)

    assert listed.status_code == 200
    assert [task["title"] for task in listed.get_json()["items"]] == ["Done"]
    assert read.get_json() == done
    assert created.status_code == 201
    assert titles(offline, alice) == ["Written offline", "Open", "Done"]
    assert offline.get("/readyz").get_json()["status"] == "degraded"


def test_a_cache_hit_asks_postgresql_nothing(
    app: Flask, client: FlaskClient, alice: Headers, metric: Metric
) -> None:
    create(client, alice)
    titles(client, alice)
    hits, _ = cache_counts(client, metric)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert titles(client, alice) == ["A task"]
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert statements == []
    assert cache_counts(client, metric)[0] == hits + 1


def test_a_write_while_redis_is_down_leaves_no_stale_read_once_it_returns(
    client: FlaskClient, client_with: Callable[..., FlaskClient], alice: Headers
) -> None:
    task = create(client, alice, title="Before")
    assert titles(client, alice) == ["Before"]
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).get_json()["title"] == "Before"
    redis_down = client_with(redis_url=CLOSED_PORT_REDIS_URL)

    redis_down.patch(f"/api/tasks/{task['id']}", json={"title": "After"}, headers=alice)
    assert titles(redis_down, alice) == ["After"]

    # Redis is back, still holding the entries written before the change...
    with redis.Redis.from_url(TEST_REDIS_URL) as store:
        assert len(store.keys("taskstack:cache:tasks:*")) == 2
    # ...and no instance serves them.
    assert titles(client, alice) == ["After"]
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).get_json()["title"] == "After"


def test_the_version_copy_in_redis_is_a_lease_that_ends(
    client: FlaskClient, alice: Headers, sql: Callable[..., list[Any]]
) -> None:
    create(client, alice)
    assert titles(client, alice) == ["A task"]
    with redis.Redis.from_url(TEST_REDIS_URL) as store:
        (key,) = store.keys("taskstack:tasks_version:*")
        assert 0 < store.pttl(key) <= versions.LEASE_SECONDS * 1000
    # A change that bypasses the app is seen once the lease has ended.
    sql("UPDATE users SET tasks_version = tasks_version + 1")
    sql("UPDATE tasks SET title = 'Changed behind the app'")

    time.sleep(versions.LEASE_SECONDS + 0.1)

    assert titles(client, alice) == ["Changed behind the app"]
