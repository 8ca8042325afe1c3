"""Live updates over Socket.IO. Events go through the Redis message queue, so an event
emitted on any instance reaches the user's sockets on every instance.

A connection authenticates with an access token (Socket.IO `auth: {token}`) and joins only
its own user's room and its session's room. Revoking the session closes it.
"""

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask import session as connection_state
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_socketio import ConnectionRefusedError, join_room
from jwt import PyJWTError

from taskstack.auth import sessions
from taskstack.extensions import socketio
from taskstack.metrics import app_metrics

EVENTS = ("task_created", "task_updated", "task_deleted")


def init_app(app: Flask) -> None:
    socketio.init_app(
        app,
        message_queue=app.config["REDIS_URL"],
        channel=f"taskstack-{app.config['TASKSTACK_ENV']}",
        async_mode="threading",
        cors_allowed_origins=_origin_check(app.config["SOCKETIO_ALLOWED_ORIGINS"]),
        # Events are addressed to rooms; nothing is broadcast to everyone.
        always_connect=False,
    )


def start_listening() -> None:
    """Run in each forked worker (gunicorn's post_worker_init).

    The queue manager was built in the preloading master, so every worker inherited its
    host id, and a manager ignores messages carrying its own id: each worker needs its own.
    Subscribing now, not at the first connection, also means no first event is missed.
    """
    server = socketio.server
    if server is None or server.manager_initialized:
        return
    server.manager.host_id = uuid.uuid4().hex
    server.manager_initialized = True
    server.manager.initialize()


def room(user_id: int) -> str:
    return f"user:{user_id}"


def publish(event: str, payload: dict[str, Any], to: str) -> None:
    """Send event to a room on every instance; a Redis outage loses the event, not the write."""
    try:
        socketio.emit(event, payload, to=to)
    except Exception:  # a queue failure must not fail the request
        current_app.logger.warning("Could not publish %s to %s", event, to, exc_info=True)


def _origin_check(extra_origins: tuple[str, ...]) -> Callable[[str | None, dict], bool]:
    """Allow the page's own origin (as the trusted proxies describe it) and extra_origins."""

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        own = f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in extra_origins

    return allowed


@socketio.on("connect")
def _connect(auth: dict[str, Any] | None = None) -> None:
    user_id, sid = _authenticate(auth)
    # Recorded before the session is checked again, so a revocation in between still finds it.
    sessions.attach_socket(sid, request.sid)
    if not sessions.check(user_id, sid):
        sessions.detach_socket(sid, request.sid)
        raise ConnectionRefusedError("unauthorized")
    # Flask-SocketIO keeps flask.session per connection, for the disconnect handler.
    connection_state["sid"] = sid
    join_room(room(user_id))
    join_room(sessions.room(sid))
    app_metrics().sockets_connected.inc()
    current_app.logger.debug("Socket %s connected for user %s", request.sid, user_id)


@socketio.on("disconnect")
def _disconnect(*_args: Any) -> None:
    sessions.detach_socket(connection_state["sid"], request.sid)
    app_metrics().sockets_connected.dec()


def _authenticate(auth: dict[str, Any] | None) -> tuple[int, str]:
    """The user and session of a well-formed, unexpired access token, or refuse the connection."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str):
        raise ConnectionRefusedError("unauthorized")
    try:
        claims = decode_token(token)
    except (PyJWTError, JWTExtendedException):
        raise ConnectionRefusedError("unauthorized") from None
    subject, sid = claims.get("sub"), claims.get("sid")
    if claims.get("type") != "access" or not isinstance(sid, str) or not str(subject).isdecimal():
        raise ConnectionRefusedError("unauthorized")
    return int(subject), sid
