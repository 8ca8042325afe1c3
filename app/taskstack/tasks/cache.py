"""Cached task reads, shared by every instance through Redis (flask-caching).

An entry's key holds the user's tasks version (see versions.py), which every write raises
when it commits, so a write retires all of that user's cached reads on every instance. A
reader takes the version before it queries the tasks, so whatever it caches is at least as
new as its key says. Entries of old versions are never read again and expire after
CACHE_DEFAULT_TIMEOUT.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import redis
from flask import current_app

from taskstack.extensions import cache
from taskstack.metrics import app_metrics
from taskstack.tasks import versions


def _key(user_id: int, version: int, name: str, params: Mapping[str, Any]) -> str:
    """The key of one read: user, tasks version, what was read and every query parameter."""
    return f"tasks:{user_id}:v{version}:{name}?{urlencode(sorted(params.items()))}"


def read(user_id: int, name: str, params: Mapping[str, Any], load: Callable[[], Any]) -> str:
    """The JSON for one read, from the cache or from load() (then cached)."""
    try:
        key = _key(user_id, versions.current(user_id), name, params)
        body = cache.get(key)
    except redis.RedisError:
        current_app.logger.warning("Cache unavailable; reading from PostgreSQL", exc_info=True)
        versions.from_database(user_id)  # a deleted account's token stays a 401
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
