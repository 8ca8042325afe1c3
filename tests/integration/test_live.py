"""Socket.IO: only a live session's access token connects, and a socket hears only its own
user's task events, until its session ends."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
import socketio as socketio_server
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from flask_socketio.test_client import SocketIOTestClient

from taskstack.extensions import socketio
from tests.integration.conftest import make_app

pytestmark = pytest.mark.integration

SignIn = Callable[..., dict[str, Any]]


@pytest.fixture
def live_app() -> Flask:
    """An app of its own: the Socket.IO server belongs to the app created last.

    Flask-SocketIO's test client refuses a message queue, so this server keeps events in the
    process; delivery between instances through Redis is tested on real instances
    (test_cluster.py). Sessions are still checked in Redis.
    """
    app = make_app()
    manager = socketio_server.Manager()
    manager.set_server(socketio.server)
    socketio.server.manager = manager
    return app


@pytest.fixture
def connect(live_app: Flask) -> Callable[..., SocketIOTestClient]:
    def connect_with(auth: Any) -> SocketIOTestClient:
        return socketio.test_client(live_app, auth=auth)

    return connect_with


def events(socket: SocketIOTestClient) -> list[tuple[str, Any]]:
    """The events the socket received since the last call, also once the server closed it
    (get_received() refuses a closed socket)."""
    received, socket.queue = socket.queue, []
    return [(event["name"], *event["args"]) for event in received]


def test_a_live_sessions_access_token_connects(
    connect: Callable[..., SocketIOTestClient], sign_in: SignIn
) -> None:
    socket = connect({"token": sign_in("alice@example.com")["access_token"]})

    assert socket.is_connected()


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": None}, {"token": 42}, {"token": ""}, {"token": "not.a.token"}],
    ids=["no-auth", "empty", "null", "number", "blank", "garbage"],
)
def test_no_usable_token_is_refused(connect: Callable[..., SocketIOTestClient], auth: Any) -> None:
    assert not connect(auth).is_connected()


def test_expired_forged_and_sessionless_tokens_are_refused(
    app: Flask, connect: Callable[..., SocketIOTestClient], sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    sid = pyjwt.decode(alice["access_token"], options={"verify_signature": False})["sid"]
    with app.app_context():
        expired = create_access_token(
            identity=str(alice["id"]),
            additional_claims={"sid": sid},
            expires_delta=timedelta(seconds=-1),
        )
        sessionless = create_access_token(identity=str(alice["id"]))
        unknown_session = create_access_token(
            identity=str(alice["id"]), additional_claims={"sid": "0" * 32}
        )
    forged = pyjwt.encode(
        {"sub": str(alice["id"]), "type": "access", "jti": "x", "sid": sid},
        "not-the-servers-signing-key-0123456789",
        algorithm="HS256",
    )

    refused = {
        "expired": expired,
        "forged": forged,
        "sessionless": sessionless,
        "unknown session": unknown_session,
        "refresh token": alice["refresh_token"],
    }
    for name, token in refused.items():
        assert not connect({"token": token}).is_connected(), name
    assert connect({"token": alice["access_token"]}).is_connected()


def test_a_revoked_sessions_token_is_refused(
    connect: Callable[..., SocketIOTestClient], client: FlaskClient, sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    assert client.post("/api/auth/logout", headers=alice["headers"]).status_code == 204

    assert not connect({"token": alice["access_token"]}).is_connected()


def test_a_socket_hears_its_users_task_events_and_nobody_elses(
    live_app: Flask, connect: Callable[..., SocketIOTestClient], sign_in: SignIn
) -> None:
    client = live_app.test_client()
    alice, bob = sign_in("alice@example.com"), sign_in("bob@example.com")
    alices_socket = connect({"token": alice["access_token"]})
    bobs_socket = connect({"token": bob["access_token"]})

    created = client.post("/api/tasks", json={"title": "Milk"}, headers=alice["headers"])
    task = created.get_json()
    updated = client.patch(
        f"/api/tasks/{task['id']}", json={"status": "done"}, headers=alice["headers"]
    ).get_json()
    client.delete(f"/api/tasks/{task['id']}", headers=alice["headers"])

    assert events(alices_socket) == [
        ("task_created", task),
        ("task_updated", updated),
        ("task_deleted", updated),
    ]
    assert events(bobs_socket) == []


def test_every_socket_of_the_user_hears_the_events(
    live_app: Flask, connect: Callable[..., SocketIOTestClient], sign_in: SignIn
) -> None:
    laptop = sign_in("alice@example.com")
    phone = sign_in("alice@example.com")
    sockets = [
        connect({"token": laptop["access_token"]}),
        connect({"token": phone["access_token"]}),
    ]

    task = live_app.test_client().post(
        "/api/tasks", json={"title": "Milk"}, headers=laptop["headers"]
    )

    assert [events(socket) for socket in sockets] == [[("task_created", task.get_json())]] * 2


def test_revoking_a_session_closes_its_sockets_only(
    live_app: Flask, connect: Callable[..., SocketIOTestClient], sign_in: SignIn
) -> None:
    client = live_app.test_client()
    laptop = sign_in("alice@example.com", user_agent="laptop")
    stolen = sign_in("alice@example.com", user_agent="stolen")
    laptop_socket = connect({"token": laptop["access_token"]})
    stolen_socket = connect({"token": stolen["access_token"]})
    [stolen_id] = [
        item["id"]
        for item in client.get("/api/auth/sessions", headers=laptop["headers"]).get_json()["items"]
        if item["user_agent"] == "stolen"
    ]

    client.delete(f"/api/auth/sessions/{stolen_id}", headers=laptop["headers"])
    client.post("/api/tasks", json={"title": "After"}, headers=laptop["headers"])

    assert events(stolen_socket) == [("session_revoked", {"id": stolen_id})]
    assert not stolen_socket.is_connected()
    assert laptop_socket.is_connected()
    assert [name for name, _ in events(laptop_socket)] == ["task_created"]


def test_logout_closes_the_sessions_sockets(
    live_app: Flask, connect: Callable[..., SocketIOTestClient], sign_in: SignIn
) -> None:
    alice = sign_in("alice@example.com")
    socket = connect({"token": alice["access_token"]})

    live_app.test_client().post("/api/auth/logout", headers=alice["headers"])

    assert [name for name, _ in events(socket)] == ["session_revoked"]
    assert not socket.is_connected()


def test_open_sockets_are_counted_in_the_metrics(
    live_app: Flask,
    connect: Callable[..., SocketIOTestClient],
    sign_in: SignIn,
    metric: Callable[..., float],
) -> None:
    client = live_app.test_client()
    token = sign_in("alice@example.com")["access_token"]

    sockets = [connect({"token": token}) for _ in range(3)]
    connect({"token": "refused"})
    open_three = metric(client, "taskstack_sockets_connected")
    sockets[0].disconnect()

    assert open_three == 3
    assert metric(client, "taskstack_sockets_connected") == 2


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://localhost", 200),
        ("https://app.example.com", 200),
        ("http://evil.example", 400),
        ("https://localhost", 400),
        ("null", 400),
    ],
)
def test_only_the_own_and_configured_origins_may_open_a_socket(
    client_with: Callable[..., FlaskClient], origin: str, status: int
) -> None:
    client = client_with(socketio_allowed_origins=("https://app.example.com",))

    response = client.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})

    assert response.status_code == status
