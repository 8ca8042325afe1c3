"""Task use cases. Every query is scoped to the owner, so other users' tasks do not exist here."""

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from taskstack.extensions import db
from taskstack.models import Task, TaskStatus
from taskstack.tasks import versions


class TaskNotFound(Exception):
    """No task with this id belongs to the user."""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_tasks(
    owner_id: int,
    *,
    page: int,
    per_page: int,
    sort: str = "-created_at",
    status: TaskStatus | None = None,
    q: str | None = None,
) -> Pagination:
    query = select(Task).where(Task.user_id == owner_id)
    if status is not None:
        query = query.where(Task.status == status)
    if q:
        query = query.where(Task.title.ilike(f"%{_escape_like(q)}%", escape="\\"))
    # sort is one of schemas.SORTS; id breaks ties so pages never overlap or skip.
    column = getattr(Task, sort.lstrip("-"))
    if sort.startswith("-"):
        query = query.order_by(column.desc().nulls_last(), Task.id.desc())
    else:
        query = query.order_by(column.asc().nulls_last(), Task.id.asc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_task(owner_id: int, task_id: int) -> Task:
    task = db.session.scalar(select(Task).where(Task.id == task_id, Task.user_id == owner_id))
    if task is None:
        raise TaskNotFound
    return task


def create_task(owner_id: int, fields: dict[str, Any]) -> Task:
    version = versions.bump(owner_id)
    task = Task(user_id=owner_id, **fields)
    db.session.add(task)
    versions.commit(owner_id, version)
    return task


def update_task(owner_id: int, task_id: int, changes: dict[str, Any]) -> Task:
    task = get_task(owner_id, task_id)
    for name, value in changes.items():
        setattr(task, name, value)
    versions.commit(owner_id, versions.bump(owner_id))
    return task


def delete_task(owner_id: int, task_id: int) -> None:
    db.session.delete(get_task(owner_id, task_id))
    versions.commit(owner_id, versions.bump(owner_id))
