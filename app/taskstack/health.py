"""Liveness (/healthz) and readiness (/readyz) probes."""

from importlib.metadata import version

import redis
from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from taskstack.errors import error_response
from taskstack.extensions import db

bp = Blueprint("health", __name__)

REDIS_TIMEOUT_SECONDS = 2


VERSION = version("taskstack")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """The process serves requests; deliberately checks nothing else. Says which version."""
    return {"status": "ok", "version": VERSION}


@bp.get("/readyz")
def readyz() -> dict[str, object] | tuple[Response, int]:
    """503 without PostgreSQL. Without Redis the app still serves (reads from PostgreSQL,
    per-instance rate limits), so it stays ready and reports "degraded"."""
    checks = {"postgres": postgres_ok(), "redis": _redis_ok()}
    results = {name: "ok" if ok else "failed" for name, ok in checks.items()}
    if not checks["postgres"]:
        return error_response(503, "Not ready: postgres unavailable.", results)
    return {"status": "ok" if checks["redis"] else "degraded", "checks": results}


def postgres_ok() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("Readiness: PostgreSQL check failed", exc_info=True)
        return False
    return True


def _redis_ok() -> bool:
    client = redis.Redis.from_url(
        current_app.config["REDIS_URL"],
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        with client:
            client.ping()
    except redis.RedisError:
        current_app.logger.warning("Readiness: Redis check failed", exc_info=True)
        return False
    return True
