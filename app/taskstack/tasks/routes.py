from flask import Blueprint, Response

from taskstack import live
from taskstack.auth.tokens import access_token_required, current_user_id, unauthorized
from taskstack.errors import APIError, error_response
from taskstack.metrics import app_metrics
from taskstack.tasks import cache, service, versions
from taskstack.tasks.schemas import TaskSchema, task_list_query_schema
from taskstack.validation import load_json, load_query

bp = Blueprint("tasks", __name__)
task_schema = TaskSchema()
task_change_schema = TaskSchema(partial=True)


def _json(body: str) -> Response:
    return Response(body, mimetype="application/json")


def _changed(user_id: int, event: str, task: dict[str, object]) -> None:
    """After a committed write (which retired the cached reads): tell the user's clients."""
    live.publish(event, task, to=live.room(user_id))


@bp.get("")
@access_token_required
def list_tasks() -> Response:
    user_id = current_user_id()
    query = load_query(task_list_query_schema)

    def load() -> dict[str, object]:
        tasks = service.list_tasks(user_id, **query)
        return {
            "items": task_schema.dump(tasks.items, many=True),
            "page": tasks.page,
            "per_page": tasks.per_page,
            "total": tasks.total,
            "pages": tasks.pages,
        }

    return _json(cache.read(user_id, "list", query, load))


@bp.post("")
@access_token_required
def create_task() -> tuple[dict[str, object], int]:
    user_id = current_user_id()
    task = task_schema.dump(service.create_task(user_id, load_json(task_schema)))
    app_metrics().tasks_created.inc()
    _changed(user_id, "task_created", task)
    return task, 201


@bp.get("/<int:task_id>")
@access_token_required
def get_task(task_id: int) -> Response:
    user_id = current_user_id()

    def load() -> dict[str, object]:
        return task_schema.dump(service.get_task(user_id, task_id))

    return _json(cache.read(user_id, f"task/{task_id}", {}, load))


@bp.patch("/<int:task_id>")
@access_token_required
def update_task(task_id: int) -> dict[str, object]:
    user_id = current_user_id()
    changes = load_json(task_change_schema)
    if not changes:
        raise APIError(400, "Request body must change at least one field.")
    task = task_schema.dump(service.update_task(user_id, task_id, changes))
    _changed(user_id, "task_updated", task)
    return task


@bp.delete("/<int:task_id>")
@access_token_required
def delete_task(task_id: int) -> tuple[str, int]:
    user_id = current_user_id()
    task = task_schema.dump(service.get_task(user_id, task_id))
    service.delete_task(user_id, task_id)
    _changed(user_id, "task_deleted", task)
    return "", 204


@bp.errorhandler(service.TaskNotFound)
def _task_not_found(_error: service.TaskNotFound) -> tuple[Response, int]:
    return error_response(404, "Task not found.")


@bp.errorhandler(versions.AccountNotFound)
def _account_not_found(_error: versions.AccountNotFound) -> tuple[Response, int]:
    return unauthorized("Invalid token.")
