from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.integration

CLOSED_PORT_REDIS_URL = "redis://127.0.0.1:1/0"
CLOSED_PORT_DATABASE_URL = "postgresql+psycopg2://taskstack:taskstack@127.0.0.1:1/taskstack_test"


def test_ready_when_postgresql_and_redis_answer(client: FlaskClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


def test_not_ready_names_redis_when_redis_is_unreachable(
    client_with: Callable[..., FlaskClient],
) -> None:
    response = client_with(redis_url=CLOSED_PORT_REDIS_URL).get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"] == {
        "code": 503,
        "message": "Not ready: redis unavailable.",
        "details": {"postgres": "ok", "redis": "failed"},
    }


def test_not_ready_names_postgresql_when_the_database_is_unreachable(
    client_with: Callable[..., FlaskClient],
) -> None:
    response = client_with(database_url=CLOSED_PORT_DATABASE_URL).get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"]["details"] == {"postgres": "failed", "redis": "ok"}
