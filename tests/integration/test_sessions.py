"""Login sessions in Redis: listing and revoking them, refresh token rotation, logout."""

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from tests.integration.conftest import PASSWORD, TEST_REDIS_URL, bearer

pytestmark = pytest.mark.integration

SignIn = Callable[..., dict[str, Any]]
CLOSED_PORT_REDIS_URL = "redis://127.0.0.1:6390/0"


def sessions_of(client: FlaskClient, access_token: str) -> list[dict[str, Any]]:
    response = client.get("/api/auth/sessions", headers=bearer(access_token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def refresh(client: FlaskClient, refresh_token: str) -> Any:
    return client.post("/api/auth/refresh", headers=bearer(refresh_token))


def assert_revoked(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["error"] == {"code": 401, "message": "Token has been revoked."}


def test_login_starts_a_session_with_its_user_agent_and_times(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in("alice@example.com")
    before = int(time.time())

    response = client.post(
        "/api/auth/login",
        json={"email": "alice@example.com", "password": PASSWORD},
        headers={"User-Agent": "Firefox/140.0"},
    )

    assert response.status_code == 200
    items = sessions_of(client, response.get_json()["access_token"])
    [listed] = [item for item in items if item["current"]]
    assert len(items) == 2  # sign_in's session and this one
    assert set(listed) == {"id", "user_agent", "created_at", "last_seen_at", "current"}
    assert len(listed["id"]) == 32
    assert listed["user_agent"] == "Firefox/140.0"
    assert before <= listed["created_at"] <= listed["last_seen_at"] <= int(time.time())


def test_every_sign_in_is_its_own_session(client: FlaskClient, sign_in: SignIn) -> None:
    first = sign_in("alice@example.com", user_agent="laptop")
    second = sign_in("alice@example.com", user_agent="phone")
    sign_in("bob@example.com", user_agent="bob's")

    listed = sessions_of(client, first["access_token"])

    assert sorted(item["user_agent"] for item in listed) == ["laptop", "phone"]
    assert [item["current"] for item in listed if item["user_agent"] == "laptop"] == [True]
    assert [item["current"] for item in sessions_of(client, second["access_token"])].count(
        True
    ) == 1


def test_a_very_long_user_agent_is_cut_to_200_characters(
    client: FlaskClient, sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com", user_agent="x" * 5000)

    [listed] = sessions_of(client, alice["access_token"])

    assert listed["user_agent"] == "x" * 200


def test_using_a_session_updates_its_last_seen_time(client: FlaskClient, sign_in: SignIn) -> None:
    alice = sign_in("alice@example.com")
    [listed] = sessions_of(client, alice["access_token"])
    an_hour_ago = int(time.time()) - 3600
    with redis.Redis.from_url(TEST_REDIS_URL) as store:
        store.hset(f"taskstack:session:{listed['id']}", "last_seen_at", an_hour_ago)

    client.get("/api/tasks", headers=alice["headers"])

    [listed] = sessions_of(client, alice["access_token"])
    assert listed["last_seen_at"] >= int(time.time()) - 5


def test_revoking_another_session_ends_its_access_and_refresh_tokens(
    client: FlaskClient, sign_in: SignIn
) -> None:
    laptop = sign_in("alice@example.com", user_agent="laptop")
    stolen = sign_in("alice@example.com", user_agent="stolen phone")
    [stolen_id] = [
        item["id"]
        for item in sessions_of(client, laptop["access_token"])
        if item["user_agent"] == "stolen phone"
    ]

    response = client.delete(f"/api/auth/sessions/{stolen_id}", headers=laptop["headers"])

    assert response.status_code == 204
    assert_revoked(client.get("/api/tasks", headers=stolen["headers"]))
    assert_revoked(refresh(client, stolen["refresh_token"]))
    assert client.get("/api/tasks", headers=laptop["headers"]).status_code == 200
    assert [item["user_agent"] for item in sessions_of(client, laptop["access_token"])] == [
        "laptop"
    ]


def test_revoking_the_current_session_signs_it_out(client: FlaskClient, sign_in: SignIn) -> None:
    alice = sign_in("alice@example.com")
    [listed] = sessions_of(client, alice["access_token"])

    response = client.delete(f"/api/auth/sessions/{listed['id']}", headers=alice["headers"])

    assert response.status_code == 204
    assert_revoked(client.get("/api/tasks", headers=alice["headers"]))


def test_another_users_session_is_404_and_stays_alive(client: FlaskClient, sign_in: SignIn) -> None:
    alice = sign_in("alice@example.com")
    bob = sign_in("bob@example.com")
    [alices_session] = sessions_of(client, alice["access_token"])

    response = client.delete(f"/api/auth/sessions/{alices_session['id']}", headers=bob["headers"])

    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "Session not found."}}
    assert client.get("/api/tasks", headers=alice["headers"]).status_code == 200


@pytest.mark.parametrize("sid", ["0" * 32, "f" * 31, "g" * 32, "0" * 33])
def test_unknown_or_malformed_session_id_is_404(
    client: FlaskClient, sign_in: SignIn, sid: str
) -> None:
    alice = sign_in("alice@example.com")

    response = client.delete(f"/api/auth/sessions/{sid}", headers=alice["headers"])

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_sessions_cannot_be_listed_without_a_token(client: FlaskClient) -> None:
    assert client.get("/api/auth/sessions").status_code == 401


def test_logout_ends_access_and_refresh_tokens_at_once(
    client: FlaskClient, sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    other_session = sign_in("alice@example.com")

    response = client.post("/api/auth/logout", headers=alice["headers"])

    assert response.status_code == 204
    assert_revoked(client.get("/api/tasks", headers=alice["headers"]))
    assert_revoked(refresh(client, alice["refresh_token"]))
    assert_revoked(client.post("/api/auth/logout", headers=alice["headers"]))
    assert client.get("/api/tasks", headers=other_session["headers"]).status_code == 200


def test_refresh_rotates_the_refresh_token_within_the_same_session(
    client: FlaskClient, sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    [before] = sessions_of(client, alice["access_token"])

    response = refresh(client, alice["refresh_token"])

    assert response.status_code == 200
    tokens = response.get_json()
    assert set(tokens) == {"access_token", "refresh_token"}
    assert tokens["refresh_token"] != alice["refresh_token"]
    assert client.get("/api/tasks", headers=bearer(tokens["access_token"])).status_code == 200
    assert [item["id"] for item in sessions_of(client, tokens["access_token"])] == [before["id"]]
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_ends_the_session(
    client: FlaskClient, sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    rotated = refresh(client, alice["refresh_token"]).get_json()

    reuse = refresh(client, alice["refresh_token"])

    assert_revoked(reuse)
    assert_revoked(refresh(client, rotated["refresh_token"]))
    assert_revoked(client.get("/api/tasks", headers=bearer(rotated["access_token"])))
    assert_revoked(client.get("/api/tasks", headers=alice["headers"]))


def test_refresh_token_is_no_access_token_and_the_other_way_round(
    client: FlaskClient, sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")

    as_access = client.get("/api/tasks", headers=bearer(alice["refresh_token"]))
    as_refresh = refresh(client, alice["access_token"])

    for response in (as_access, as_refresh):
        assert response.status_code == 401
        assert response.get_json()["error"]["message"] == "Invalid token."
    assert refresh(client, alice["refresh_token"]).status_code == 200


def test_any_instance_with_the_same_signing_key_accepts_the_tokens(
    client_with: Callable[..., FlaskClient], sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")

    same_key = client_with().get("/api/tasks", headers=alice["headers"])
    other_key = client_with(jwt_secret_key="a-different-signing-key-0123456789abcdef").get(
        "/api/tasks", headers=alice["headers"]
    )

    assert same_key.status_code == 200
    assert other_key.status_code == 401
    assert other_key.get_json()["error"]["message"] == "Invalid token."


def test_unknown_email_and_wrong_password_take_similar_time(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in("alice@example.com")

    def fastest_login(email: str, password: str) -> float:
        durations = []
        for _ in range(2):
            started = time.perf_counter()
            response = client.post("/api/auth/login", json={"email": email, "password": password})
            durations.append(time.perf_counter() - started)
            assert response.status_code == 401
        return min(durations)

    wrong_password = fastest_login("alice@example.com", "not her password")
    unknown_user = fastest_login("nobody@example.com", PASSWORD)

    # Both verify an argon2 hash; skipping that for unknown users would be far faster.
    assert 0.25 < unknown_user / wrong_password < 4


def test_without_redis_tokens_still_read_but_sessions_cannot_change(
    client_with: Callable[..., FlaskClient], sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    offline = client_with(redis_url=CLOSED_PORT_REDIS_URL)

    reads = offline.get("/api/tasks", headers=alice["headers"])
    login = offline.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    changes = [
        refresh(offline, alice["refresh_token"]),
        offline.post("/api/auth/logout", headers=alice["headers"]),
        offline.get("/api/auth/sessions", headers=alice["headers"]),
    ]

    assert reads.status_code == 200
    for response in (login, *changes):
        assert response.status_code == 503
        assert response.get_json()["error"] == {
            "code": 503,
            "message": "Sessions are unavailable; try again shortly.",
        }
