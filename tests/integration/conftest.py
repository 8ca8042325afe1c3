"""The app against the real PostgreSQL and Redis on 127.0.0.1 (no mocks, no SQLite).

Every test starts with empty tables and an empty Redis database. Rate limits are generous
here; tests of the limits build their own app with strict ones (client_with).
"""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from taskstack import cli, create_app
from taskstack.auth.tokens import issue_tokens
from taskstack.config import Config
from taskstack.extensions import db
from taskstack.models import User

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL",
    "postgresql+psycopg2://taskstack:taskstack@127.0.0.1:5432/taskstack_test",
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery staple"
GENEROUS_LIMIT = "100000 per minute"


def make_config(**overrides: Any) -> Config:
    settings = {
        "database_url": TEST_DATABASE_URL,
        "redis_url": TEST_REDIS_URL,
        "secret_key": "integration-test-secret",
        "jwt_secret_key": "integration-test-jwt-secret-0123456789",
        # Also the Socket.IO channel, which is shared by every Redis database.
        "environment": "itest",
        "ratelimit_default": GENEROUS_LIMIT,
        "ratelimit_auth": GENEROUS_LIMIT,
    }
    return Config(**(settings | overrides))


def make_app(**overrides: Any) -> Flask:
    app = create_app(make_config(**overrides))
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="session")
def app() -> Flask:
    """The app with a freshly migrated test database, through the real Alembic path."""
    app = make_app()
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    # The schema is dropped below: never point this at a real database.
    assert (url.database or "").endswith("_test"), (
        f"refusing to wipe {url.database!r}: its name must end in _test"
    )
    create_database_if_missing(url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        db.engine.dispose()
    assert cli.run(app, "upgrade") == cli.EXIT_OK
    return app


def create_database_if_missing(url: sa.URL) -> None:
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()


@pytest.fixture(autouse=True)
def empty_redis() -> None:
    """Sessions, cached reads and rate-limit counters never leak from one test to the next."""
    with redis.Redis.from_url(TEST_REDIS_URL) as client:
        client.flushdb()


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

    def build(**overrides: Any) -> FlaskClient:
        return make_app(**overrides).test_client()

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


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD, hashed once: argon2 is slow on purpose."""
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def sign_in(app: Flask, password_hash: str) -> Callable[..., dict[str, Any]]:
    """Store a user whose password is PASSWORD and start a session for it, as a login would.

    Returns the user's id, the session's tokens and Authorization headers for the access token.
    """

    def sign_in_user(email: str, user_agent: str = "pytest") -> dict[str, Any]:
        with app.test_request_context(headers={"User-Agent": user_agent}):
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = User(email=email, password_hash=password_hash)
                db.session.add(user)
                db.session.commit()
            tokens = issue_tokens(user.id)
            return {"id": user.id, **tokens, "headers": bearer(tokens["access_token"])}

    return sign_in_user


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(sign_in: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """Authorization headers for a signed-in user."""
    return sign_in("alice@example.com")["headers"]


@pytest.fixture
def bob(sign_in: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """Authorization headers for a second, unrelated user."""
    return sign_in("bob@example.com")["headers"]


@pytest.fixture
def metric() -> Callable[..., float]:
    """A sample's value on a client's /metrics: metric(client, name, **labels), 0 if absent."""

    def value(client: FlaskClient, name: str, **labels: str) -> float:
        response = client.get("/metrics")
        assert response.status_code == 200
        for family in text_string_to_metric_families(response.get_data(as_text=True)):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    return sample.value
        return 0.0

    return value
