"""/api/openapi.json is a valid OpenAPI document that describes exactly the app's routes."""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from taskstack.openapi import NOT_IN_API

pytestmark = pytest.mark.unit

# Added by Flask to every route; not documented per operation.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> dict[str, set[str]]:
    """Each routed path in OpenAPI form ({name} for <converter:name>) with its methods."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_IN_API:
            continue
        path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)
        found.setdefault(path, set()).update(rule.methods - AUTOMATIC_METHODS)
    return found


def documented(document: dict) -> dict[str, set[str]]:
    return {
        path: {method.upper() for method in item if method != "parameters"}
        for path, item in document["paths"].items()
    }


@pytest.fixture
def document(client: FlaskClient) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_is_valid_openapi(document: dict) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_is_documented_with_its_methods_and_nothing_else(
    app: Flask, document: dict
) -> None:
    assert documented(document) == routes(app)


def test_excluded_routes_exist_and_are_named_in_the_description(app: Flask, document: dict) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert set(NOT_IN_API) <= rules
    assert all(path in document["info"]["description"] for path in NOT_IN_API)


def test_operations_say_which_token_they_need(document: dict) -> None:
    security = {
        (path, method): [name for requirement in op.get("security", []) for name in requirement]
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    }

    assert security[("/api/auth/refresh", "post")] == ["refreshToken"]
    public = {"/healthz", "/readyz", "/api/openapi.json", "/api/auth/register", "/api/auth/login"}
    for (path, method), names in security.items():
        if path in public:
            assert names == [], (path, method)
        elif path != "/api/auth/refresh":
            assert names == ["accessToken"], (path, method)


def test_rate_limited_responses_carry_retry_after(document: dict) -> None:
    too_many = document["components"]["responses"]["Error429"]
    assert "Retry-After" in too_many["headers"]
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method != "parameters" and path.startswith("/api/"):
                assert op["responses"]["429"] == {"$ref": "#/components/responses/Error429"}
