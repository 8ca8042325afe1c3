"""Every JWT problem is a JSON 401, never a 500. None of these need PostgreSQL or Redis:
each token is refused before its session would be looked up."""

from datetime import timedelta

import jwt as pyjwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, create_refresh_token
from werkzeug.test import TestResponse

pytestmark = pytest.mark.unit

SOME_SESSION = {"sid": "0123456789abcdef0123456789abcdef"}
OTHER_KEY = "another-key-that-is-long-enough-0123456789"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_json_401(response: TestResponse) -> str:
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.get_json()["error"]
    assert error["code"] == 401
    return error["message"]


def test_missing_token_is_a_json_401(client: FlaskClient) -> None:
    message = assert_json_401(client.get("/api/tasks"))

    assert message == "Missing or malformed Authorization header."


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwdw==", "Bearer a b", "token"])
def test_malformed_authorization_header_is_a_json_401(client: FlaskClient, header: str) -> None:
    assert_json_401(client.get("/api/tasks", headers={"Authorization": header}))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30."])
def test_malformed_token_is_a_json_401(client: FlaskClient, token: str) -> None:
    assert assert_json_401(client.get("/api/tasks", headers=bearer(token))) == "Invalid token."


def test_token_signed_with_another_key_is_a_json_401(client: FlaskClient) -> None:
    forged = pyjwt.encode(
        {"sub": "1", "type": "access", "jti": "x", "fresh": False, **SOME_SESSION},
        OTHER_KEY,
        algorithm="HS256",
    )

    assert assert_json_401(client.get("/api/tasks", headers=bearer(forged))) == "Invalid token."


def test_token_signed_with_another_algorithm_is_a_json_401(client: FlaskClient) -> None:
    token = pyjwt.encode(
        {"sub": "1", "type": "access", "jti": "x", **SOME_SESSION}, OTHER_KEY * 2, algorithm="HS512"
    )

    assert assert_json_401(client.get("/api/tasks", headers=bearer(token))) == "Invalid token."


@pytest.mark.parametrize(
    "claims",
    [{}, {"sid": 7}, {"sid": ["a"]}, {"sid": None}],
    ids=["no-session", "number", "list", "null"],
)
def test_validly_signed_token_without_a_session_id_is_a_json_401(
    app: Flask, client: FlaskClient, claims: dict
) -> None:
    with app.app_context():
        token = create_access_token(identity="1", additional_claims=claims)

    message = assert_json_401(client.get("/api/tasks", headers=bearer(token)))

    assert message == "Token has been revoked."


def test_unsigned_token_is_a_json_401(client: FlaskClient) -> None:
    unsigned = pyjwt.encode({"sub": "1", "type": "access"}, None, algorithm="none")

    assert assert_json_401(client.get("/api/tasks", headers=bearer(unsigned))) == "Invalid token."


def test_expired_token_is_a_json_401(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        expired = create_access_token(
            identity="1", additional_claims=SOME_SESSION, expires_delta=timedelta(seconds=-1)
        )

    message = assert_json_401(client.get("/api/tasks", headers=bearer(expired)))

    assert message == "Token has expired."


def test_refresh_token_is_refused_where_an_access_token_is_needed(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        refresh_token = create_refresh_token(identity="1", additional_claims=SOME_SESSION)

    message = assert_json_401(client.get("/api/tasks", headers=bearer(refresh_token)))

    assert message == "Invalid token."


def test_access_token_is_refused_by_the_refresh_endpoint(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        access_token = create_access_token(identity="1", additional_claims=SOME_SESSION)

    message = assert_json_401(client.post("/api/auth/refresh", headers=bearer(access_token)))

    assert message == "Invalid token."
