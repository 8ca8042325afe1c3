"""Cached task reads, shared by every instance through Redis.

Each user has a version number; every cache key contains it and every write bumps it, so
one INCR retires all of that user's entries on every instance at once. A reader takes the
version before it queries PostgreSQL, so a result computed from older data can only be
stored under a version that is already retired.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

import redis
from flask import current_app

from taskstack.extensions import cache
from taskstack.metrics import app_metrics


def _version_key(user_id: int) -> str:
    return f"tasks:{user_id}:version"


def read(user_id: int, name: str, params: Mapping[str, Any], load: Callable[[], Any]) -> str:
    """The JSON for one read, from the cache or from load() (then cached)."""
    query = "&".join(f"{key}={params[key]}" for key in sorted(params))
    try:
        version = cache.get(_version_key(user_id)) or 0
        key = f"tasks:{user_id}:v{version}:{name}?{query}"
        body = cache.get(key)
    except redis.RedisError:
        current_app.logger.warning("Cache unavailable; reading from PostgreSQL", exc_info=True)
        return json.dumps(load())
    if body is not None:
        app_metrics().cache_hits.inc()
        return body
    app_metrics().cache_misses.inc()
    body = json.dumps(load())
    try:
        cache.set(key, body)
    except redis.RedisError:
        current_app.logger.warning("Cache unavailable; result not stored", exc_info=True)
    return body


def invalidate(user_id: int) -> None:
    """Retire every cached read of the user's tasks, on every instance."""
    try:
        cache.cache.inc(_version_key(user_id))
    except redis.RedisError:
        # Entries expire after CACHE_TTL; until then this user's reads may be stale.
        current_app.logger.exception("Cache invalidation failed for user %s", user_id)
