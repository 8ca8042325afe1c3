import pytest
from flask import Flask
from flask.testing import FlaskClient

from taskstack import create_app
from taskstack.config import Config

# Nothing listens here: unit tests must never need PostgreSQL or Redis.
UNREACHABLE_DATABASE_URL = "postgresql+psycopg2://nobody:nothing@127.0.0.1:1/none"
UNIT_JWT_SECRET_KEY = "unit-test-jwt-secret-0123456789abcdef"


@pytest.fixture
def config() -> Config:
    return Config(
        database_url=UNREACHABLE_DATABASE_URL,
        redis_url="redis://127.0.0.1:1/0",
        secret_key="unit-test-secret",
        jwt_secret_key=UNIT_JWT_SECRET_KEY,
    )


@pytest.fixture
def app(config: Config) -> Flask:
    app = create_app(config)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
