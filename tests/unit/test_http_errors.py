"""Every error reaches the client as the JSON error body, never as HTML or a stack trace."""

import logging
from importlib.metadata import version

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

VERSION = version("taskstack")

pytestmark = pytest.mark.unit

CREDENTIALS = {"email": "a@example.com", "password": "long enough"}


def assert_json_error(response: TestResponse, code: int) -> dict:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def test_unknown_url_is_a_json_404(client: FlaskClient) -> None:
    error = assert_json_error(client.get("/no/such/page"), 404)

    assert error["message"] == "Not Found"


def test_wrong_method_is_a_json_405_that_lists_allowed_methods(client: FlaskClient) -> None:
    response = client.put("/api/tasks")

    assert_json_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_unhandled_exception_is_a_json_500_without_details_and_is_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/explode")

    error = assert_json_error(response, 500)
    assert error == {"code": 500, "message": "Internal Server Error"}
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data
    assert "secret internals" in caplog.text


def test_body_over_one_mebibyte_is_a_json_413(client: FlaskClient) -> None:
    response = client.post(
        "/api/auth/login", data=b"x" * (1024 * 1024 + 1), content_type="application/json"
    )

    assert_json_error(response, 413)


def test_non_json_content_type_is_a_json_415(client: FlaskClient) -> None:
    response = client.post("/api/auth/login", data="email=a@example.com", content_type="text/plain")

    error = assert_json_error(response, 415)
    assert "application/json" in error["message"]


@pytest.mark.parametrize("body", ['{"email": ', "", "\xff", "[" * 100_000])
def test_malformed_json_is_a_json_400(client: FlaskClient, body: str) -> None:
    response = client.post("/api/auth/login", data=body, content_type="application/json")

    error = assert_json_error(response, 400)
    assert error["message"] == "Request body is not valid JSON."


@pytest.mark.parametrize("body", ["[]", '"text"', "null", "42"])
def test_json_body_must_be_an_object(client: FlaskClient, body: str) -> None:
    response = client.post("/api/auth/login", data=body, content_type="application/json")

    error = assert_json_error(response, 400)
    assert error["message"] == "Request body must be a JSON object."


def test_validation_errors_name_each_bad_field(client: FlaskClient) -> None:
    response = client.post("/api/auth/register", json={"email": "nope", "role": "admin"})

    error = assert_json_error(response, 400)
    assert error["details"] == {
        "email": ["Not a valid email address."],
        "password": ["Missing data for required field."],
        "role": ["Unknown field."],
    }


def test_liveness_needs_no_database_or_redis(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": VERSION}
