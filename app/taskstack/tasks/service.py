"""Task use cases. Every query is scoped to the owner, so other users' tasks do not exist here."""

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from taskstack.extensions import db
from taskstack.models import Task, TaskStatus, User


class TaskNotFound(Exception):
    """No task with this id belongs to the user."""


def list_tasks(
    owner: User, *, page: int, per_page: int, status: TaskStatus | None = None
) -> Pagination:
    query = select(Task).where(Task.user_id == owner.id)
    if status is not None:
        query = query.where(Task.status == status)
    # Newest first; id breaks ties so pages never overlap or skip.
    query = query.order_by(Task.created_at.desc(), Task.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_task(owner: User, task_id: int) -> Task:
    task = db.session.scalar(select(Task).where(Task.id == task_id, Task.user_id == owner.id))
    if task is None:
        raise TaskNotFound
    return task


def create_task(owner: User, fields: dict[str, Any]) -> Task:
    task = Task(user_id=owner.id, **fields)
    db.session.add(task)
    db.session.commit()
    return task


def update_task(owner: User, task_id: int, changes: dict[str, Any]) -> Task:
    task = get_task(owner, task_id)
    for name, value in changes.items():
        setattr(task, name, value)
    db.session.commit()
    return task


def delete_task(owner: User, task_id: int) -> None:
    db.session.delete(get_task(owner, task_id))
    db.session.commit()
