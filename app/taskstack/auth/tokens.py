"""JWTs bound to Redis sessions, and their error callbacks: every token problem is a JSON 401."""

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response, g, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jwt,
    get_jwt_identity,
    verify_jwt_in_request,
)

from taskstack.auth import sessions
from taskstack.errors import error_response
from taskstack.extensions import jwt

P = ParamSpec("P")
R = TypeVar("R")


def issue_tokens(user_id: int, sid: str | None = None) -> dict[str, str]:
    """A token pair for a new session (sid None) or for a refresh of session sid."""
    claims = {"sid": sid or sessions.new_ids()[0]}
    access = create_access_token(identity=str(user_id), additional_claims=claims)
    refresh = create_refresh_token(identity=str(user_id), additional_claims=claims)
    refresh_jti = decode_token(refresh)["jti"]
    if sid is None:
        user_agent = request.headers.get("User-Agent", "")
        sessions.create(user_id, claims["sid"], refresh_jti, user_agent)
    elif not sessions.rotate(user_id, sid, get_jwt()["jti"], refresh_jti):
        return {}
    return {"access_token": access, "refresh_token": refresh}


def access_token_required(view: Callable[P, R]) -> Callable[P, R]:
    """jwt_required() for an access token, reusing the verification the rate limiter's key
    function already did in this request (each verification decodes the token again)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            verified = get_jwt().get("type") == "access"
        except RuntimeError:  # nothing verified yet in this request
            verified = False
        if not verified:
            verify_jwt_in_request()
        return view(*args, **kwargs)

    return wrapper


def current_user_id() -> int:
    """The signed-in user's id, from the verified token (no database round trip)."""
    return int(get_jwt_identity())


def current_session_id() -> str:
    return get_jwt()["sid"]


@jwt.token_in_blocklist_loader
def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
    # Verified at most once per request, however many times flask-jwt-extended asks.
    key = f"taskstack_session_ok_{payload.get('jti')}"
    if key not in g:
        sid, subject = payload.get("sid"), payload.get("sub")
        if not isinstance(sid, str) or not isinstance(subject, str) or not subject.isdigit():
            return True
        refresh_jti = payload.get("jti") if payload.get("type") == "refresh" else None
        setattr(g, key, sessions.check(int(subject), sid, refresh_jti))
    return not getattr(g, key)


def unauthorized(message: str) -> tuple[Response, int]:
    """The JSON 401 for a token problem."""
    response, code = error_response(401, message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response, code


@jwt.unauthorized_loader
def _missing_token(_reason: str) -> tuple[Response, int]:
    return unauthorized("Missing or malformed Authorization header.")


@jwt.invalid_token_loader
def _invalid_token(_reason: str) -> tuple[Response, int]:
    return unauthorized("Invalid token.")


@jwt.expired_token_loader
def _expired_token(_header: dict[str, Any], _payload: dict[str, Any]) -> tuple[Response, int]:
    return unauthorized("Token has expired.")


@jwt.revoked_token_loader
def _revoked_token(_header: dict[str, Any], _payload: dict[str, Any]) -> tuple[Response, int]:
    return unauthorized("Token has been revoked.")


@jwt.needs_fresh_token_loader
def _stale_token(_header: dict[str, Any], _payload: dict[str, Any]) -> tuple[Response, int]:
    return unauthorized("Fresh token required.")


@jwt.token_verification_failed_loader
def _failed_verification(_header: dict[str, Any], _payload: dict[str, Any]) -> tuple[Response, int]:
    return unauthorized("Invalid token.")
