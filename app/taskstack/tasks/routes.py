from flask import Blueprint, Response
from flask_jwt_extended import current_user, jwt_required

from taskstack.errors import APIError, error_response
from taskstack.tasks import service
from taskstack.tasks.schemas import TaskListQuerySchema, TaskSchema
from taskstack.validation import load_json, load_query

bp = Blueprint("tasks", __name__)
task_schema = TaskSchema()
task_change_schema = TaskSchema(partial=True)
task_list_query_schema = TaskListQuerySchema()


@bp.get("")
@jwt_required()
def list_tasks() -> dict[str, object]:
    query = load_query(task_list_query_schema)
    tasks = service.list_tasks(current_user, **query)
    return {
        "items": task_schema.dump(tasks.items, many=True),
        "page": tasks.page,
        "per_page": tasks.per_page,
        "total": tasks.total,
        "pages": tasks.pages,
    }


@bp.post("")
@jwt_required()
def create_task() -> tuple[dict[str, object], int]:
    task = service.create_task(current_user, load_json(task_schema))
    return task_schema.dump(task), 201


@bp.get("/<int:task_id>")
@jwt_required()
def get_task(task_id: int) -> dict[str, object]:
    return task_schema.dump(service.get_task(current_user, task_id))


@bp.patch("/<int:task_id>")
@jwt_required()
def update_task(task_id: int) -> dict[str, object]:
    changes = load_json(task_change_schema)
    if not changes:
        raise APIError(400, "Request body must change at least one field.")
    return task_schema.dump(service.update_task(current_user, task_id, changes))


@bp.delete("/<int:task_id>")
@jwt_required()
def delete_task(task_id: int) -> tuple[str, int]:
    service.delete_task(current_user, task_id)
    return "", 204


@bp.errorhandler(service.TaskNotFound)
def _task_not_found(_error: service.TaskNotFound) -> tuple[Response, int]:
    return error_response(404, "Task not found.")
