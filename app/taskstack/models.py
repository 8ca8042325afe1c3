"""Database models. They know nothing of HTTP."""

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Index, String, TypeDecorator, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from taskstack.extensions import db

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
EMAIL_MAX_LENGTH = 254


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamptz column that always hands back UTC, whatever the session time zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (see auth.service.normalise_email), so the unique constraint is
    # case-insensitive in effect.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    # Bumped in the same transaction as every change to the user's tasks. Cached task reads
    # are keyed on it, so no cached read outlives the data it came from, Redis outage or not.
    tasks_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_id_status", "user_id", "status"),
        Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),
    )
    # The database's timestamps come back with each INSERT and UPDATE (RETURNING).
    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX_LENGTH), default="")
    status: Mapped[TaskStatus] = mapped_column(
        Enum(
            TaskStatus,
            name="task_status",
            native_enum=False,
            create_constraint=True,
            length=10,
            values_callable=lambda statuses: [status.value for status in statuses],
        ),
        default=TaskStatus.OPEN,
    )
    due_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    # The database clock (transaction start), so every worker and host agrees on the time.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )
