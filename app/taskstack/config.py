"""Application configuration, read once from the environment."""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from limits import parse_many

from taskstack.drain import DEFAULT_DRAIN_FILE

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# HS256 needs a key at least as long as its digest (RFC 7518 section 3.2).
MIN_JWT_SECRET_BYTES = 32


class ConfigError(Exception):
    """The environment does not describe a usable configuration."""


@dataclass(frozen=True)
class Config:
    # Secret-bearing values stay out of repr() so a logged Config leaks nothing.
    database_url: str = field(repr=False)
    redis_url: str = field(repr=False)
    secret_key: str = field(repr=False)
    jwt_secret_key: str = field(repr=False)
    jwt_access_token_expires: int = 900
    jwt_refresh_token_expires: int = 2592000
    log_level: str = "INFO"
    environment: str = "dev"
    # Proxies in front of the app whose X-Forwarded-* headers are trusted (nginx: 1).
    trusted_proxy_hops: int = 0
    ratelimit_default: str = "600 per minute"
    ratelimit_auth: str = "10 per minute;50 per hour"
    cache_ttl: int = 300
    # Extra origins allowed to open a Socket.IO connection; the app's own origin always is.
    socketio_allowed_origins: tuple[str, ...] = ()
    # Behind a load balancer: while PostgreSQL is unreachable, turn idempotent requests away
    # (502) so that the balancer retries them on another instance (see serving.py).
    readiness_gate: bool = False
    # While this file is fresh, the instance is draining (taskstack-instance drain).
    drain_file: str = DEFAULT_DRAIN_FILE

    def __post_init__(self) -> None:
        if not self.database_url.startswith(("postgresql://", "postgresql+psycopg2://")):
            raise ConfigError(
                "DATABASE_URL must be a postgresql+psycopg2:// (or postgresql://) URL"
            )
        if len(self.jwt_secret_key.encode()) < MIN_JWT_SECRET_BYTES:
            raise ConfigError(f"JWT_SECRET_KEY must be at least {MIN_JWT_SECRET_BYTES} bytes long")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        for name in ("ratelimit_default", "ratelimit_auth"):
            try:
                parse_many(getattr(self, name))
            except ValueError:
                raise ConfigError(
                    f"{name.upper()} must be a rate limit such as '10 per minute', "
                    f"got {getattr(self, name)!r}"
                ) from None
        for origin in self.socketio_allowed_origins:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
                raise ConfigError(
                    f"SOCKETIO_ALLOWED_ORIGINS entries must look like https://host[:port], "
                    f"got {origin!r}"
                )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        """Build the configuration from environment variables (os.environ by default)."""
        env = os.environ if environ is None else environ
        return cls(
            database_url=_required_secret(env, "DATABASE_URL"),
            redis_url=_required_secret(env, "REDIS_URL"),
            secret_key=_required_secret(env, "SECRET_KEY"),
            jwt_secret_key=_required_secret(env, "JWT_SECRET_KEY"),
            jwt_access_token_expires=_whole_number(env, "JWT_ACCESS_TOKEN_EXPIRES", 900),
            jwt_refresh_token_expires=_whole_number(env, "JWT_REFRESH_TOKEN_EXPIRES", 2592000),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            environment=env.get("TASKSTACK_ENV", "dev"),
            trusted_proxy_hops=_whole_number(env, "TRUSTED_PROXY_HOPS", 0, minimum=0),
            ratelimit_default=env.get("RATELIMIT_DEFAULT", cls.ratelimit_default),
            ratelimit_auth=env.get("RATELIMIT_AUTH", cls.ratelimit_auth),
            cache_ttl=_whole_number(env, "CACHE_TTL", 300),
            socketio_allowed_origins=tuple(
                origin.strip()
                for origin in env.get("SOCKETIO_ALLOWED_ORIGINS", "").split(",")
                if origin.strip()
            ),
            readiness_gate=_flag(env, "READINESS_GATE"),
            drain_file=env.get("DRAIN_FILE", cls.drain_file),
        )

    def flask_settings(self) -> dict[str, Any]:
        """The Flask and extension settings this configuration implies."""
        return {
            "SECRET_KEY": self.secret_key,
            # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the image ships psycopg2.
            "SQLALCHEMY_DATABASE_URI": self.database_url.replace(
                "postgresql://", "postgresql+psycopg2://", 1
            ),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "connect_args": {"connect_timeout": 5},
            },
            "REDIS_URL": self.redis_url,
            "JWT_SECRET_KEY": self.jwt_secret_key,
            "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=self.jwt_access_token_expires),
            "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=self.jwt_refresh_token_expires),
            "JWT_TOKEN_LOCATION": ["headers"],
            "MAX_CONTENT_LENGTH": 1024 * 1024,
            "TASKSTACK_ENV": self.environment,
            "TRUSTED_PROXY_HOPS": self.trusted_proxy_hops,
            "SOCKETIO_ALLOWED_ORIGINS": self.socketio_allowed_origins,
            "READINESS_GATE": self.readiness_gate,
            "DRAIN_FILE": self.drain_file,
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": self.redis_url,
            "CACHE_KEY_PREFIX": "taskstack:cache:",
            "CACHE_DEFAULT_TIMEOUT": self.cache_ttl,
            "CACHE_OPTIONS": {
                "socket_timeout": 1.0,
                "socket_connect_timeout": 1.0,
                "health_check_interval": 30,
            },
            "RATELIMIT_STORAGE_URI": self.redis_url,
            "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
            "RATELIMIT_KEY_PREFIX": "taskstack:limits",
            "RATELIMIT_STRATEGY": "fixed-window",
            "RATELIMIT_HEADERS_ENABLED": True,
            # Limits still hold, per instance, while Redis is unreachable.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            # Applies to every route without its own limit, per signed-in user (else per IP).
            "RATELIMIT_DEFAULT": self.ratelimit_default,
            "RATELIMIT_AUTH": self.ratelimit_auth,
        }


def _required_secret(env: Mapping[str, str], name: str) -> str:
    """Read NAME, or the file named by NAME_FILE (compose secrets); exactly one may be set."""
    file_name = f"{name}_FILE"
    if name in env and file_name in env:
        raise ConfigError(f"set either {name} or {file_name}, not both")
    if file_name in env:
        path = env[file_name]
        try:
            value = Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"{file_name}: cannot read {path}: {exc.strerror}") from exc
        if not value:
            raise ConfigError(f"{file_name}: {path} is empty")
        return value
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"{name} is required (set {name} or {file_name})")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise ConfigError(f"{name} must be true or false, got {env[name]!r}")
    return raw in ("true", "1")


def _whole_number(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value
