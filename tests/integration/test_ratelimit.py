"""Rate limits: strict on login and registration (per client IP and per account), a default
per signed-in user on the API, and a client IP that only trusted proxies can set."""

from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.integration.conftest import TEST_REDIS_URL, bearer

pytestmark = pytest.mark.integration

SignIn = Callable[..., dict[str, Any]]
AUTH_LIMIT = 3
DEFAULT_LIMIT = 5
# Fixed windows: an hour, so that a test never straddles two windows.
WINDOW = "hour"


@pytest.fixture
def strict(client_with: Callable[..., FlaskClient]) -> Callable[..., FlaskClient]:
    """A client of an app with small limits (and the given config changes)."""

    def build(**overrides: Any) -> FlaskClient:
        return client_with(
            ratelimit_auth=f"{AUTH_LIMIT} per {WINDOW}",
            ratelimit_default=f"{DEFAULT_LIMIT} per {WINDOW}",
            **overrides,
        )

    return build


def login(client: FlaskClient, email: str, ip: str = "192.0.2.1", **headers: str) -> TestResponse:
    """A login attempt that the schema rejects (no password), so no time goes into argon2:
    limits count every attempt, whatever its outcome."""
    return client.post(
        "/api/auth/login",
        json={"email": email, "password": ""},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def assert_429(response: TestResponse) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == {"code": 429, "message": "Too Many Requests"}
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Limit"]) in (AUTH_LIMIT, DEFAULT_LIMIT)
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_logins_from_one_ip_are_limited_whatever_the_account(
    strict: Callable[..., FlaskClient],
) -> None:
    client = strict()
    attempts = [login(client, f"user{n}@example.com") for n in range(AUTH_LIMIT)]

    refused = login(client, "someone.new@example.com")
    other_ip = login(client, "someone.new@example.com", ip="192.0.2.2")

    assert [response.status_code for response in attempts] == [400] * AUTH_LIMIT
    assert_429(refused)
    assert other_ip.status_code == 400


def test_logins_to_one_account_are_limited_whatever_the_ip(
    strict: Callable[..., FlaskClient],
) -> None:
    client = strict()
    for n in range(AUTH_LIMIT):
        assert login(client, "alice@example.com", ip=f"198.51.100.{n}").status_code == 400

    refused = login(client, "ALICE@example.com", ip="198.51.100.99")
    other_account = login(client, "bob@example.com", ip="198.51.100.99")

    assert_429(refused)
    assert other_account.status_code == 400


def test_registration_shares_the_login_limits(strict: Callable[..., FlaskClient]) -> None:
    client = strict()
    for n in range(AUTH_LIMIT):
        assert login(client, f"user{n}@example.com").status_code == 400

    response = client.post(
        "/api/auth/register",
        json={"email": "new@example.com", "password": "long enough password"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )

    assert_429(response)


def test_every_signed_in_user_has_their_own_default_limit(
    strict: Callable[..., FlaskClient], sign_in: SignIn
) -> None:
    client = strict()
    alice = sign_in("alice@example.com")["headers"]
    bob = sign_in("bob@example.com")["headers"]
    for _ in range(DEFAULT_LIMIT):
        assert client.get("/api/tasks", headers=alice).status_code == 200

    refused = client.get("/api/tasks", headers=alice, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    bob_from_the_same_ip = client.get("/api/tasks", headers=bob)

    assert_429(refused)
    assert bob_from_the_same_ip.status_code == 200


def test_a_new_session_does_not_reset_the_users_limit(
    strict: Callable[..., FlaskClient], sign_in: SignIn
) -> None:
    client = strict()
    for _ in range(DEFAULT_LIMIT):
        client.get("/api/tasks", headers=sign_in("alice@example.com")["headers"])

    assert_429(client.get("/api/tasks", headers=sign_in("alice@example.com")["headers"]))


def test_requests_without_a_token_are_limited_per_ip(strict: Callable[..., FlaskClient]) -> None:
    client = strict()
    for _ in range(DEFAULT_LIMIT):
        assert client.get("/api/tasks").status_code == 401

    assert_429(client.get("/api/tasks"))
    assert client.get("/api/tasks", environ_base={"REMOTE_ADDR": "192.0.2.77"}).status_code == 401


def test_a_bad_token_does_not_stop_limits_being_shared_through_redis(
    strict: Callable[..., FlaskClient], sign_in: SignIn
) -> None:
    client = strict()
    alice = sign_in("alice@example.com")

    assert client.get("/api/tasks", headers=bearer("not.a.token")).status_code == 401
    assert client.get("/api/tasks", headers=bearer(alice["refresh_token"])).status_code == 401
    assert client.get("/api/tasks", headers=alice["headers"]).status_code == 200

    with redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True) as store:
        counters = store.keys("*taskstack:limits*")
    assert any(f"user:{alice['id']}/" in key for key in counters), counters


def test_probes_metrics_and_the_page_are_not_limited(strict: Callable[..., FlaskClient]) -> None:
    client = strict()

    for path in ("/healthz", "/readyz", "/metrics", "/"):
        statuses = {client.get(path).status_code for _ in range(DEFAULT_LIMIT + 2)}
        assert statuses == {200}, path


def test_a_forged_x_forwarded_for_is_ignored_without_trusted_proxies(
    strict: Callable[..., FlaskClient],
) -> None:
    client = strict(trusted_proxy_hops=0)
    for n in range(AUTH_LIMIT):
        response = login(client, f"user{n}@example.com", X_Forwarded_For=f"203.0.113.{n}")
        assert response.status_code == 400

    assert_429(login(client, "new@example.com", X_Forwarded_For="203.0.113.200"))


def test_behind_one_proxy_only_the_address_it_adds_counts(
    strict: Callable[..., FlaskClient],
) -> None:
    client = strict(trusted_proxy_hops=1)

    def via_proxy(email: str, forged: str, client_ip: str) -> TestResponse:
        # The proxy (REMOTE_ADDR) appends the address it saw to whatever the client sent.
        return login(client, email, ip="10.0.0.2", X_Forwarded_For=f"{forged}, {client_ip}")

    for n in range(AUTH_LIMIT):
        assert (
            via_proxy(f"user{n}@example.com", f"203.0.113.{n}", "198.51.100.7").status_code == 400
        )

    assert_429(via_proxy("new@example.com", "203.0.113.200", "198.51.100.7"))
    assert via_proxy("new@example.com", "203.0.113.200", "198.51.100.8").status_code == 400


def test_responses_under_the_limit_carry_no_rate_limit_headers(
    strict: Callable[..., FlaskClient], sign_in: SignIn
) -> None:
    """Only a 429 says how the limit stands (the headers cost Redis round trips)."""
    client = strict()

    response = client.get("/api/tasks", headers=sign_in("alice@example.com")["headers"])

    assert response.status_code == 200
    assert not [name for name, _ in response.headers if name.startswith("X-RateLimit")]
    assert "Retry-After" not in response.headers


def test_refusals_are_counted_in_the_metrics(
    strict: Callable[..., FlaskClient], metric: Callable[..., float]
) -> None:
    client = strict()
    for n in range(AUTH_LIMIT + 2):
        login(client, f"user{n}@example.com")

    assert metric(client, "taskstack_rate_limited_total") == 2
    assert (
        metric(
            client,
            "flask_http_request_duration_seconds_count",
            endpoint="auth.login",
            status="429",
        )
        == 2
    )
