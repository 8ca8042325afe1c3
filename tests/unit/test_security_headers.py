"""Every response carries the strict browser headers; HSTS only when served over HTTPS."""

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from taskstack import create_app
from taskstack.config import Config

pytestmark = pytest.mark.unit

HSTS = "Strict-Transport-Security"


def client_for(config: Config, **changes: object) -> FlaskClient:
    return create_app(replace(config, **changes)).test_client()


def directives(response: TestResponse) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    policy = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, _, sources = directive.strip().partition(" ")
        policy[name] = sources
    return policy


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/healthz", 200),
        ("get", "/", 200),
        ("get", "/api/tasks", 401),
        ("get", "/no/such/page", 404),
        ("put", "/api/tasks", 405),
        ("post", "/api/auth/login", 415),
    ],
)
def test_every_response_has_the_security_headers(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = getattr(client, method)(path)

    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = directives(response)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_an_unexpected_error_has_the_security_headers(app: Flask) -> None:
    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/explode")

    assert response.status_code == 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_no_hsts_over_plain_http(client: FlaskClient) -> None:
    assert HSTS not in client.get("/healthz").headers


def test_hsts_when_served_over_https_directly(client: FlaskClient) -> None:
    response = client.get("/healthz", base_url="https://localhost")

    assert response.headers[HSTS] == "max-age=31536000; includeSubDomains"


def test_hsts_when_a_trusted_proxy_says_https(config: Config) -> None:
    client = client_for(config, trusted_proxy_hops=1)

    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert response.headers[HSTS] == "max-age=31536000; includeSubDomains"


def test_no_hsts_when_an_untrusted_client_claims_https(config: Config) -> None:
    client = client_for(config, trusted_proxy_hops=0)

    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert HSTS not in response.headers


def test_no_hsts_when_the_trusted_proxy_was_reached_over_http(config: Config) -> None:
    client = client_for(config, trusted_proxy_hops=1)

    # The client claims https; the proxy it reached over http adds what it saw.
    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https, http"})

    assert HSTS not in response.headers
