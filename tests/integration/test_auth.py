from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def test_register_returns_tokens_and_the_user(client: FlaskClient) -> None:
    response = client.post(
        "/api/auth/register", json={"email": "new@example.com", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "user"}
    assert set(body["user"]) == {"id", "email", "created_at"}
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["created_at"].endswith("+00:00")


def test_register_stores_an_argon2_hash_not_the_password(
    client: FlaskClient, sql: Callable[..., list[Any]]
) -> None:
    client.post("/api/auth/register", json={"email": "new@example.com", "password": PASSWORD})

    [(password_hash,)] = sql("SELECT password_hash FROM users")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash


def test_register_normalises_the_email(client: FlaskClient) -> None:
    response = client.post(
        "/api/auth/register", json={"email": "Mixed.Case@Example.COM", "password": PASSWORD}
    )

    assert response.status_code == 201
    assert response.get_json()["user"]["email"] == "mixed.case@example.com"


def test_register_with_a_taken_email_in_any_case_is_409_and_creates_nothing(
    client: FlaskClient, register: Callable[..., dict[str, Any]], sql: Callable[..., list[Any]]
) -> None:
    register("taken@example.com")

    response = client.post(
        "/api/auth/register", json={"email": "TAKEN@example.com", "password": "another password"}
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": 409,
        "message": "An account with this email already exists.",
    }
    assert sql("SELECT count(*) FROM users") == [(1,)]


def test_login_with_the_right_password_returns_tokens(
    client: FlaskClient, register: Callable[..., dict[str, Any]]
) -> None:
    user = register("alice@example.com")["user"]

    response = client.post(
        "/api/auth/login", json={"email": "Alice@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == user
    tasks = client.get("/api/tasks", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert tasks.status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_401(
    client: FlaskClient, register: Callable[..., dict[str, Any]]
) -> None:
    register("alice@example.com")

    wrong_password = client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": "not her password"}
    )
    unknown_user = client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_json() == unknown_user.get_json()
    assert wrong_password.get_json()["error"]["message"] == "Invalid email or password."


def test_refresh_token_gets_a_new_working_access_token(
    client: FlaskClient, register: Callable[..., dict[str, Any]]
) -> None:
    refresh_token = register("alice@example.com")["refresh_token"]

    response = client.post(
        "/api/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"}
    )

    assert response.status_code == 200
    access_token = response.get_json()["access_token"]
    tasks = client.get("/api/tasks", headers={"Authorization": f"Bearer {access_token}"})
    assert tasks.status_code == 200
