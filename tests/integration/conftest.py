"""The app against the real PostgreSQL and Redis on 127.0.0.1 (no mocks, no SQLite)."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from taskstack import cli, create_app
from taskstack.config import Config
from taskstack.extensions import db

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL",
    "postgresql+psycopg2://taskstack:taskstack@127.0.0.1:5432/taskstack_test",
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery staple"


def make_config(**overrides: str) -> Config:
    settings = {
        "database_url": TEST_DATABASE_URL,
        "redis_url": TEST_REDIS_URL,
        "secret_key": "integration-test-secret",
        "jwt_secret_key": "integration-test-jwt-secret-0123456789",
    }
    return Config(**(settings | overrides))


@pytest.fixture(scope="session")
def app() -> Flask:
    """The app with a freshly migrated test database, through the real Alembic path."""
    app = create_app(make_config())
    app.config["TESTING"] = True
    database = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or ""
    # The schema is dropped below: never point this at a real database.
    assert database.endswith("_test"), f"refusing to wipe {database!r}: its name must end in _test"
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        db.engine.dispose()
    assert cli.run(app, "upgrade") == cli.EXIT_OK
    return app


@pytest.fixture(autouse=True)
def empty_tables(app: Flask) -> Iterator[None]:
    yield
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE tasks, users RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client_with() -> Callable[..., FlaskClient]:
    """A client for a separate app whose config differs from the test config as given."""

    def build(**overrides: str) -> FlaskClient:
        return create_app(make_config(**overrides)).test_client()

    return build


@pytest.fixture
def sql(app: Flask) -> Callable[..., list[Any]]:
    """Run (and commit) a statement straight against the database, bypassing the app."""

    def run(statement: str, **params: Any) -> list[Any]:
        with app.app_context(), db.engine.begin() as connection:
            result = connection.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []

    return run


@pytest.fixture
def register(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Register a user through the API and return the response body (tokens and user)."""

    def register_user(email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = client.post("/api/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return register_user


@pytest.fixture
def alice(register: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """Authorization headers for a registered user."""
    return {"Authorization": f"Bearer {register('alice@example.com')['access_token']}"}


@pytest.fixture
def bob(register: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """Authorization headers for a second, unrelated user."""
    return {"Authorization": f"Bearer {register('bob@example.com')['access_token']}"}
