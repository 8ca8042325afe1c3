"""Extensions, created unbound here and bound to an app in create_app()."""

import time
from typing import Any

import flask_jwt_extended
import redis
from flask import Flask, current_app, request
from flask_caching import Cache
from flask_jwt_extended.config import config as jwt_config
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from taskstack.ratelimit import RateLimiter, count_breach, default_limit, user_or_ip

# Redis calls fail fast: a Redis outage degrades the app instead of stalling it.
REDIS_TIMEOUT_SECONDS = 1.0


class Base(DeclarativeBase):
    # Deterministic constraint names keep Alembic migrations reproducible.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class RedisClient:
    """One connection pool per app for the app's own keys (sessions, revoked tokens)."""

    def init_app(self, app: Flask) -> None:
        app.extensions["taskstack.redis"] = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
            decode_responses=True,
        )

    @property
    def client(self) -> redis.Redis:
        return current_app.extensions["taskstack.redis"]


class JWTManager(flask_jwt_extended.JWTManager):
    """flask-jwt-extended's manager, verifying each token once per process, not per request.

    Decoding a token parses it three times and checks its signature. A token that was valid
    once decodes to the same claims every time, so they are kept and only the expiry is
    checked again; anything else takes the full path, with its errors.
    """

    MAX_KEPT = 10_000

    def __init__(self) -> None:
        super().__init__()
        self._verified: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: str | None = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        key = (jwt_config.decode_key, encoded_token, csrf_value, allow_expired)
        claims = self._verified.get(key)
        # PyJWT's test: expired once exp <= now - leeway.
        if claims is None or claims.get("exp", float("inf")) <= time.time() - jwt_config.leeway:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            if len(self._verified) >= self.MAX_KEPT:
                self._verified.clear()
            self._verified[key] = claims
        return dict(claims)


# Objects live for one request: after a commit their values are still current, and answering
# with them needs no second query.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = JWTManager()
redis_store = RedisClient()
cache = Cache()
# The default limit covers the API, per signed-in user (else per client IP); probes, metrics
# and the page's files are not limited.
limiter = RateLimiter(
    key_func=user_or_ip,
    default_limits=[default_limit],
    on_breach=count_breach,
    default_limits_exempt_when=lambda: not request.path.startswith("/api/"),
)
socketio = SocketIO()
