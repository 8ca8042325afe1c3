"""The version of each user's tasks, the key of their cached reads.

PostgreSQL holds it (users.tasks_version): every write bumps it in its own transaction. Redis
holds a copy so that a cache hit needs no database. Each copy is a lease that ends
LEASE_SECONDS after the version was read (or committed), whoever stores it: a reader that
finds no copy reads PostgreSQL and stores one, and a write raises the copy right after its
commit. A write that cannot reach Redis then answers only once every older copy has ended, so
no read that starts after a write has answered can use an older version, on any instance,
whether or not Redis was reachable in between.
"""

import time

import redis
from flask import current_app
from redis.commands.core import Script
from sqlalchemy import select, update

from taskstack.extensions import db, redis_store
from taskstack.models import User

LEASE_SECONDS = 1.0
# Leases end at an absolute time set by one host's clock and kept by Redis's clock.
CLOCK_SKEW_SECONDS = 0.25

# Stores version ARGV[1] until ARGV[2] (Unix ms) unless a newer one is stored; an end in the
# past deletes the copy.
_RAISE = Script(
    None,
    b"""
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current <= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
end
""",
)


class AccountNotFound(Exception):
    """The signed-in user's account no longer exists."""


def redis_key(owner_id: int) -> str:
    return f"taskstack:tasks_version:{owner_id}"


def lease_end(started: float) -> int:
    """The end of a lease on a version read (or committed) at started, in Unix ms."""
    return int((started + LEASE_SECONDS) * 1000)


def from_database(owner_id: int) -> int:
    version = db.session.scalar(select(User.tasks_version).where(User.id == owner_id))
    if version is None:
        raise AccountNotFound
    return version


def current(owner_id: int) -> int:
    """The owner's tasks version: Redis's copy, else PostgreSQL's (then copied to Redis).

    Raises redis.RedisError when Redis is unreachable.
    """
    copy = redis_store.client.get(redis_key(owner_id))
    if copy is not None:
        return int(copy)
    read_at = time.time()
    version = from_database(owner_id)
    store(owner_id, version, read_at)
    return version


def store(owner_id: int, version: int, read_at: float) -> None:
    """Store the copy of a version read from PostgreSQL (or committed) at read_at."""
    _RAISE([redis_key(owner_id)], [version, lease_end(read_at)], client=redis_store.client)


def bump(owner_id: int) -> int:
    """Part of every write's transaction (it locks the owner's row until the commit)."""
    version = db.session.scalar(
        update(User)
        .where(User.id == owner_id)
        .values(tasks_version=User.tasks_version + 1)
        .returning(User.tasks_version)
    )
    if version is None:
        raise AccountNotFound
    return version


def commit(owner_id: int, version: int) -> None:
    """Commit the write that bumped the version to version, then raise the copy in Redis."""
    # Taken before the commit: the next version cannot commit before this one has.
    started = time.time()
    db.session.commit()
    committed = time.time()
    try:
        store(owner_id, version, started)
    except redis.RedisError:
        current_app.logger.warning(
            "Tasks version of user %s not raised in Redis; waiting out its lease", owner_id
        )
        time.sleep(max(0.0, committed + LEASE_SECONDS + CLOCK_SKEW_SECONDS - time.time()))
