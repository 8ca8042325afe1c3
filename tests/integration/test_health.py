from collections.abc import Callable
from importlib.metadata import version

import pytest
from flask.testing import FlaskClient

VERSION = version("taskstack")

pytestmark = pytest.mark.integration

CLOSED_PORT_REDIS_URL = "redis://127.0.0.1:6390/0"
CLOSED_PORT_DATABASE_URL = "postgresql+psycopg2://taskstack:taskstack@127.0.0.1:1/taskstack_test"


def test_ready_when_postgresql_and_redis_answer(client: FlaskClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


def test_still_ready_but_degraded_when_redis_is_unreachable(
    client_with: Callable[..., FlaskClient],
) -> None:
    response = client_with(redis_url=CLOSED_PORT_REDIS_URL).get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "checks": {"postgres": "ok", "redis": "failed"},
    }


def test_not_ready_names_postgresql_when_the_database_is_unreachable(
    client_with: Callable[..., FlaskClient],
) -> None:
    response = client_with(database_url=CLOSED_PORT_DATABASE_URL).get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"] == {
        "code": 503,
        "message": "Not ready: postgres unavailable.",
        "details": {"postgres": "failed", "redis": "ok"},
    }


def test_not_ready_when_neither_answers(client_with: Callable[..., FlaskClient]) -> None:
    client = client_with(database_url=CLOSED_PORT_DATABASE_URL, redis_url=CLOSED_PORT_REDIS_URL)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"]["details"] == {"postgres": "failed", "redis": "failed"}


def test_liveness_does_not_depend_on_postgresql_or_redis(
    client_with: Callable[..., FlaskClient],
) -> None:
    client = client_with(database_url=CLOSED_PORT_DATABASE_URL, redis_url=CLOSED_PORT_REDIS_URL)

    assert client.get("/healthz").get_json() == {"status": "ok", "version": VERSION}
