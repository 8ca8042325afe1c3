"""Who a rate limit counts: the signed-in user, the client IP, or the account being logged into.

The client IP is request.remote_addr after ProxyFix has applied exactly the trusted proxy
hops, so a forged X-Forwarded-For from the client changes nothing.

flask-limiter takes any exception from a key function for a storage outage (and falls back to
per-instance counting), so a bad token or body must not make these functions raise.
"""

from flask import Flask, Response, current_app, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter import Limiter, RequestLimit
from jwt import PyJWTError
from werkzeug.exceptions import HTTPException

from taskstack.metrics import app_metrics


class RateLimiter(Limiter):
    """flask-limiter that writes its headers on 429 responses only.

    Filling X-RateLimit-* on every answer would cost two more Redis round trips per request.
    """

    def init_app(self, app: Flask) -> None:
        # after_request functions run last-registered first: this one runs after flask-limiter's.
        app.after_request(_retry_after_at_least_one_second)
        super().init_app(app)
        # The outage flag lives on this shared object, but the app just got a new storage.
        self._storage_dead = False

    @property
    def current_limit(self) -> RequestLimit | None:
        limit = super().current_limit
        return limit if limit is not None and limit.breached else None


def user_or_ip() -> str:
    """The default limit's key: the user of a valid token, else the client IP.

    A bad token is the view's to reject (JSON 401); here it only means "not signed in".
    """
    try:
        if verify_jwt_in_request(optional=True, verify_type=False):
            return f"user:{get_jwt_identity()}"
    except (JWTExtendedException, PyJWTError):
        pass
    return client_ip()


def client_ip() -> str:
    return f"ip:{request.remote_addr}"


def account() -> str:
    """The account a login or registration is for, as the auth service normalises it."""
    try:
        body = request.get_json(silent=True)
    except (HTTPException, RecursionError):  # too large or too deeply nested
        body = None
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        return "account:-"
    return f"account:{email.lower()[:254]}"


def default_limit() -> str:
    # Read per request: the limiter is one object shared by every app in the process.
    return current_app.config["RATELIMIT_DEFAULT"]


def auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def count_breach(_limit: RequestLimit) -> None:
    app_metrics().rate_limited.inc()


def _retry_after_at_least_one_second(response: Response) -> Response:
    # flask-limiter rounds down, so in a window's last second it would say "0".
    if response.status_code == 429 and "Retry-After" in response.headers:
        response.headers["Retry-After"] = str(max(1, int(response.headers["Retry-After"])))
    return response
