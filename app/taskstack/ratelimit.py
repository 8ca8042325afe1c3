"""Who a rate limit counts: the signed-in user, the client IP, or the account being logged into.

The client IP is request.remote_addr after ProxyFix has applied exactly the trusted proxy
hops, so a forged X-Forwarded-For from the client changes nothing.
"""

from flask import current_app, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter import RequestLimit

from taskstack.metrics import app_metrics


def user_or_ip() -> str:
    """The default limit's key: the verified user, or the client IP without a token."""
    if verify_jwt_in_request(optional=True):
        return f"user:{get_jwt_identity()}"
    return f"ip:{request.remote_addr}"


def client_ip() -> str:
    return f"ip:{request.remote_addr}"


def account() -> str:
    """The account a login or registration is for, as the auth service normalises it."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        return "account:-"
    return f"account:{email.lower()[:254]}"


def auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def count_breach(_limit: RequestLimit) -> None:
    app_metrics().rate_limited.inc()
