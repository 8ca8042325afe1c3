"""Login sessions in Redis, shared by every app instance.

A session is a hash (user, user agent, created, last seen, the one valid refresh token id).
Access and refresh tokens carry the session id (`sid`): deleting the session revokes both,
on every instance at once. Refreshing rotates the refresh token; presenting a rotated-out
refresh token again is treated as theft and ends the session. Ending a session also closes
its Socket.IO connections, wherever they are (the ids are kept in a set per session).
"""

import time
import uuid
from typing import Any

import redis
from flask import current_app
from redis.commands.core import Script

from taskstack.extensions import redis_store, socketio
from taskstack.metrics import app_metrics

USER_AGENT_MAX_LENGTH = 200
# last_seen_at is written at most this often per session, not on every request.
LAST_SEEN_RESOLUTION_SECONDS = 60

# Checks a session in one round trip: it exists, belongs to the user, and (for a refresh
# token) names this token. Touches last_seen_at when it is stale. Sent by its SHA (EVALSHA)
# on every authenticated request, not as the whole text.
_CHECK = Script(
    None,
    b"""
local fields = redis.call('HMGET', KEYS[1], 'user_id', 'last_seen_at', 'refresh_jti')
if fields[1] ~= ARGV[1] then return 0 end
if ARGV[4] ~= '' and fields[3] ~= ARGV[4] then return -1 end
if tonumber(ARGV[2]) - tonumber(fields[2]) >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[2])
end
return 1
""",
)
# Swaps the refresh token id only if the caller holds the current one; the session (and the
# user's list of sessions) then live for another refresh token lifetime.
_ROTATE = """
if redis.call('HGET', KEYS[1], 'refresh_jti') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'refresh_jti', ARGV[2], 'last_seen_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"""
# Deletes a session if it is the user's; returns its socket ids, or nil if it was not.
_REVOKE = """
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return false end
local sockets = redis.call('SMEMBERS', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SREM', KEYS[2], ARGV[2])
return sockets
"""


class SessionStoreUnavailable(Exception):
    """Redis cannot be reached, so sessions cannot be created or changed."""


def _session_key(sid: str) -> str:
    return f"taskstack:session:{sid}"


def _user_key(user_id: int) -> str:
    return f"taskstack:user:{user_id}:sessions"


def _sockets_key(sid: str) -> str:
    return f"taskstack:session:{sid}:sockets"


def room(sid: str) -> str:
    """The Socket.IO room of the session's connections."""
    return f"session:{sid}"


def _lifetime() -> int:
    return int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())


def new_ids() -> tuple[str, str]:
    """A fresh session id and refresh token id."""
    return uuid.uuid4().hex, uuid.uuid4().hex


def create(user_id: int, sid: str, refresh_jti: str, user_agent: str) -> None:
    now = int(time.time())
    session = {
        "user_id": user_id,
        "user_agent": user_agent[:USER_AGENT_MAX_LENGTH],
        "created_at": now,
        "last_seen_at": now,
        "refresh_jti": refresh_jti,
    }
    try:
        with redis_store.client.pipeline() as pipe:
            pipe.hset(_session_key(sid), mapping=session)
            pipe.expire(_session_key(sid), _lifetime())
            pipe.sadd(_user_key(user_id), sid)
            pipe.expire(_user_key(user_id), _lifetime())
            pipe.execute()
    except redis.RedisError as exc:
        raise SessionStoreUnavailable from exc


def check(user_id: int, sid: str, refresh_jti: str | None = None) -> bool:
    """Whether the token's session is live (and, for a refresh token, this is its token).

    When Redis is unreachable the token is accepted, so that reads keep working (the outage
    shows in /readyz). A refresh still fails then, with a 503: rotate() needs Redis.
    """
    args = [user_id, int(time.time()), LAST_SEEN_RESOLUTION_SECONDS, refresh_jti or ""]
    try:
        result = _CHECK([_session_key(sid)], args, client=redis_store.client)
    except redis.RedisError:
        current_app.logger.warning("Session check skipped: Redis unavailable")
        return True
    if result == -1:
        current_app.logger.warning("Refresh token reused; ending session %s", sid)
        revoke(user_id, sid)
    return result == 1


def rotate(user_id: int, sid: str, old_jti: str, new_jti: str) -> bool:
    """Make new_jti the session's refresh token if old_jti still is; False if it was not."""
    keys = [_session_key(sid), _user_key(user_id)]
    try:
        return bool(
            redis_store.client.eval(
                _ROTATE, 2, *keys, old_jti, new_jti, int(time.time()), _lifetime()
            )
        )
    except redis.RedisError as exc:
        raise SessionStoreUnavailable from exc


def list_for(user_id: int) -> list[dict[str, Any]]:
    """The user's live sessions, newest first."""
    try:
        sids = sorted(redis_store.client.smembers(_user_key(user_id)))
        with redis_store.client.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hgetall(_session_key(sid))
            found = pipe.execute()
        expired = [sid for sid, session in zip(sids, found, strict=True) if not session]
        if expired:
            redis_store.client.srem(_user_key(user_id), *expired)
    except redis.RedisError as exc:
        raise SessionStoreUnavailable from exc
    sessions = [
        {
            "id": sid,
            "user_agent": session["user_agent"],
            "created_at": int(session["created_at"]),
            "last_seen_at": int(session["last_seen_at"]),
        }
        for sid, session in zip(sids, found, strict=True)
        if session and session.get("user_id") == str(user_id)
    ]
    return sorted(sessions, key=lambda session: session["created_at"], reverse=True)


def revoke(user_id: int, sid: str) -> bool:
    """End one of the user's sessions and close its sockets; False if there is no such session."""
    keys = [_session_key(sid), _user_key(user_id), _sockets_key(sid)]
    try:
        socket_ids = redis_store.client.eval(_REVOKE, 3, *keys, user_id, sid)
    except redis.RedisError as exc:
        raise SessionStoreUnavailable from exc
    if socket_ids is None:
        return False
    app_metrics().tokens_revoked.inc()
    _close_sockets(sid, socket_ids)
    return True


def attach_socket(sid: str, socket_id: str) -> None:
    """Remember a Socket.IO connection of the session, so that revoking it closes the socket."""
    try:
        with redis_store.client.pipeline() as pipe:
            pipe.sadd(_sockets_key(sid), socket_id)
            pipe.expire(_sockets_key(sid), _lifetime())
            pipe.execute()
    except redis.RedisError:
        current_app.logger.warning("Socket %s not recorded: Redis unavailable", socket_id)


def detach_socket(sid: str, socket_id: str) -> None:
    try:
        redis_store.client.srem(_sockets_key(sid), socket_id)
    except redis.RedisError:
        current_app.logger.warning("Socket %s not forgotten: Redis unavailable", socket_id)


def _close_sockets(sid: str, socket_ids: list[str]) -> None:
    """Tell the session's sockets it ended, then disconnect them, on whichever instance."""
    try:
        socketio.emit("session_revoked", {"id": sid}, to=room(sid))
        for socket_id in socket_ids:
            socketio.server.disconnect(socket_id, namespace="/")
    except Exception:  # a queue failure must not undo the revocation
        current_app.logger.warning("Could not close the sockets of session %s", sid, exc_info=True)
