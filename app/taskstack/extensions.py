"""Extensions, created unbound here and bound to an app in create_app()."""

import redis
from flask import Flask, current_app, request
from flask_caching import Cache
from flask_jwt_extended import JWTManager
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


db = SQLAlchemy(model_class=Base)
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
