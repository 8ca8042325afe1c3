from flask import Blueprint, Response
from flask_jwt_extended import jwt_required

from taskstack import ratelimit
from taskstack.auth import service, sessions
from taskstack.auth.schemas import LoginSchema, RegisterSchema, UserSchema
from taskstack.auth.tokens import (
    access_token_required,
    current_session_id,
    current_user_id,
    issue_tokens,
)
from taskstack.errors import APIError, error_response
from taskstack.extensions import limiter
from taskstack.metrics import app_metrics
from taskstack.models import User
from taskstack.validation import load_json

bp = Blueprint("auth", __name__)
register_schema = RegisterSchema()
login_schema = LoginSchema()
user_schema = UserSchema()

# Login and registration share strict limits per client IP and, separately, per account.
per_client_ip = limiter.shared_limit(
    ratelimit.auth_limit, scope="auth-ip", key_func=ratelimit.client_ip
)
per_account = limiter.shared_limit(
    ratelimit.auth_limit, scope="auth-account", key_func=ratelimit.account
)


def _session_body(user: User) -> dict[str, object]:
    return {**issue_tokens(user.id), "user": user_schema.dump(user)}


@bp.post("/register")
@per_client_ip
@per_account
def register() -> tuple[dict[str, object], int]:
    credentials = load_json(register_schema)
    user = service.register_user(credentials["email"], credentials["password"])
    app_metrics().users_registered.inc()
    return _session_body(user), 201


@bp.post("/login")
@per_client_ip
@per_account
def login() -> dict[str, object]:
    credentials = load_json(login_schema)
    return _session_body(service.authenticate(credentials["email"], credentials["password"]))


@bp.post("/refresh")
@jwt_required(refresh=True)
def refresh() -> dict[str, str]:
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    tokens = issue_tokens(current_user_id(), current_session_id())
    if not tokens:
        raise APIError(401, "Token has been revoked.")
    return tokens


@bp.post("/logout")
@access_token_required
def logout() -> tuple[str, int]:
    """End this session: its access and refresh tokens stop working on every instance."""
    sessions.revoke(current_user_id(), current_session_id())
    return "", 204


@bp.get("/sessions")
@access_token_required
def list_sessions() -> dict[str, object]:
    current = current_session_id()
    items = [
        {**session, "current": session["id"] == current}
        for session in sessions.list_for(current_user_id())
    ]
    return {"items": items}


@bp.delete("/sessions/<string(length=32):sid>")
@access_token_required
def revoke_session(sid: str) -> tuple[str, int]:
    if not sessions.revoke(current_user_id(), sid):
        raise APIError(404, "Session not found.")
    return "", 204


@bp.errorhandler(service.EmailTaken)
def _email_taken(_error: service.EmailTaken) -> tuple[Response, int]:
    return error_response(409, "An account with this email already exists.")


@bp.errorhandler(service.InvalidCredentials)
def _invalid_credentials(_error: service.InvalidCredentials) -> tuple[Response, int]:
    return error_response(401, "Invalid email or password.")


@bp.errorhandler(sessions.SessionStoreUnavailable)
def _sessions_unavailable(_error: sessions.SessionStoreUnavailable) -> tuple[Response, int]:
    return error_response(503, "Sessions are unavailable; try again shortly.")
