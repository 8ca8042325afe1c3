"""The OpenAPI description of the JSON API, served at /api/openapi.json.

The paths are the table below; request bodies, query parameters and task and user bodies
reuse the app's own marshmallow schemas (apispec's MarshmallowPlugin), so validation and
documentation share one definition. The document is built once per app.
"""

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app
from marshmallow import Schema, fields, validate

from taskstack.auth.schemas import LoginSchema, RegisterSchema, UserSchema
from taskstack.tasks.schemas import TaskListQuerySchema, TaskSchema
from taskstack.validation import SingleLine, not_blank

bp = Blueprint("openapi", __name__)

OPENAPI_VERSION = "3.1.0"
# Served by the app but not part of the JSON API. (Socket.IO, at /socket.io/, is WSGI
# middleware rather than a route.)
NOT_IN_API = {
    "/": "the web page",
    "/static/<path:filename>": "the web page's files",
    "/metrics": "Prometheus metrics, on the app port only",
}
SESSION_ID_PATTERN = "^[0-9a-f]{32}$"
# Control characters are stripped on load: a value needs a character that survives, and a
# not-blank value one that is not whitespace either.
VISIBLE_CHARACTER = r"[^\x00-\x1f\x7f-\x9f]"
NON_BLANK_CHARACTER = r"[^\s\x00-\x1f\x7f-\x9f]"


class ErrorDetailSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    message = fields.String(required=True)
    details = fields.Dict(
        metadata={"description": "Messages per invalid field, or /readyz check results."}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)


class SignedInSchema(TokenPairSchema):
    user = fields.Nested(UserSchema, required=True)


class SessionSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(SESSION_ID_PATTERN))
    user_agent = fields.String(required=True)
    created_at = fields.Integer(required=True, metadata={"description": "Unix time, seconds."})
    last_seen_at = fields.Integer(required=True, metadata={"description": "Unix time, seconds."})
    current = fields.Boolean(
        required=True, metadata={"description": "The session of the token making the request."}
    )


class SessionListSchema(Schema):
    items = fields.List(fields.Nested(SessionSchema), required=True)


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))
    version = fields.String(required=True, metadata={"description": "The app's version."})


class ChecksSchema(Schema):
    postgres = fields.String(required=True, validate=validate.OneOf(["ok", "failed"]))
    redis = fields.String(required=True, validate=validate.OneOf(["ok", "failed"]))


class ReadinessSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok", "degraded"]))
    checks = fields.Nested(ChecksSchema, required=True)


ERRORS = {
    400: "The body or query string is invalid; details name the fields.",
    401: "The token (for /login: the email and password) is missing, invalid, expired or revoked.",
    404: "No such resource belongs to the user.",
    409: "An account with this email already exists.",
    413: "The body is larger than {max_body} bytes.",
    415: "Content-Type is not application/json.",
    429: "Rate limited: {default_limit} per user (per IP without a token); /login and /register "
    "{auth_limit} per IP and per account. Retry after Retry-After seconds.",
    503: "A backing service is down: sessions (Redis) for token operations, PostgreSQL for /readyz.",
}
ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}
BODY_ERRORS = (400, 413, 415)
TOKENS = {
    "accessToken": "The access_token from /register, /login or /refresh.",
    "refreshToken": "The refresh_token from /register, /login or /refresh; only /refresh takes it.",
}


def _operation(
    operation_id: str,
    summary: str,
    status: int,
    schema: Any = None,
    *,
    token: str | None = None,
    body: Any = None,
    query: type[Schema] | None = None,
    errors: tuple[int, ...] = (),
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One operation: its success status (with a body schema, or none) and its error statuses."""
    success: dict[str, Any] = {"description": summary}
    if schema is not None:
        success["content"] = {"application/json": {"schema": schema}}
    if links:
        success["links"] = links
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": {str(status): success} | {str(code): f"Error{code}" for code in errors},
    }
    if token:
        operation["security"] = [{token: []}]
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if query is not None:
        operation["parameters"] = [{"in": "query", "schema": query}]
    return operation


TASK_ID = {"in": "path", "name": "task_id", "required": True, "schema": {"type": "integer"}}
SESSION_ID = {
    "in": "path",
    "name": "sid",
    "required": True,
    "schema": {"type": "string", "pattern": SESSION_ID_PATTERN},
}
# Where an operation's path parameter comes from (schemathesis follows these links too).
TASK_LINKS = {
    operation_id: {"operationId": operation_id, "parameters": {"task_id": "$response.body#/id"}}
    for operation_id in ("get_task", "update_task", "delete_task")
}
SESSION_LINKS = {
    "revoke_session": {
        "operationId": "revoke_session",
        "parameters": {"sid": "$response.body#/items/0/id"},
    }
}
# Every /api/ operation can also answer 429 (added in build()).
PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {"get": _operation("healthz", "The process serves requests.", 200, HealthSchema)},
    "/readyz": {
        "get": _operation(
            "readyz",
            "Ready: PostgreSQL answers (without Redis: 'degraded', still ready).",
            200,
            ReadinessSchema,
            errors=(503,),
        )
    },
    "/api/openapi.json": {"get": _operation("openapi", "This document.", 200, {"type": "object"})},
    "/api/auth/register": {
        "post": _operation(
            "register",
            "Create an account and a session.",
            201,
            SignedInSchema,
            body=RegisterSchema,
            errors=(*BODY_ERRORS, 409, 503),
        )
    },
    "/api/auth/login": {
        "post": _operation(
            "login",
            "Start a session.",
            200,
            SignedInSchema,
            body=LoginSchema,
            errors=(*BODY_ERRORS, 401, 503),
        )
    },
    "/api/auth/refresh": {
        "post": _operation(
            "refresh",
            "Trade the refresh token for a new pair; the old one stops working "
            "(and presenting it again ends the session).",
            200,
            TokenPairSchema,
            token="refreshToken",
            errors=(401, 503),
        )
    },
    "/api/auth/logout": {
        "post": _operation(
            "logout", "End this session.", 204, token="accessToken", errors=(401, 503)
        )
    },
    "/api/auth/sessions": {
        "get": _operation(
            "list_sessions",
            "The user's sessions, newest first.",
            200,
            SessionListSchema,
            token="accessToken",
            errors=(401, 503),
            links=SESSION_LINKS,
        )
    },
    "/api/auth/sessions/{sid}": {
        "parameters": [SESSION_ID],
        "delete": _operation(
            "revoke_session",
            "End one of the user's sessions.",
            204,
            token="accessToken",
            errors=(401, 404, 503),
        ),
    },
    "/api/tasks": {
        "get": _operation(
            "list_tasks",
            "A page of the user's tasks.",
            200,
            TaskPageSchema,
            token="accessToken",
            query=TaskListQuerySchema,
            errors=(400, 401),
        ),
        "post": _operation(
            "create_task",
            "Create a task.",
            201,
            "Task",
            token="accessToken",
            body="Task",
            errors=(*BODY_ERRORS, 401),
            links=TASK_LINKS,
        ),
    },
    "/api/tasks/{task_id}": {
        "parameters": [TASK_ID],
        "get": _operation(
            "get_task", "A task.", 200, "Task", token="accessToken", errors=(401, 404)
        ),
        "patch": _operation(
            "update_task",
            "Change some of a task's fields (at least one).",
            200,
            "Task",
            token="accessToken",
            body={"allOf": ["TaskChange"], "minProperties": 1},
            errors=(*BODY_ERRORS, 401, 404),
        ),
        "delete": _operation(
            "delete_task", "Delete a task.", 204, token="accessToken", errors=(401, 404)
        ),
    },
}


def _text_pattern(_converter: Any, field: fields.Field, **_kwargs: Any) -> dict[str, str]:
    """The pattern of a text field whose control characters are stripped on load."""
    if not_blank in field.validators:
        return {"pattern": NON_BLANK_CHARACTER}
    if isinstance(field, SingleLine):
        return {"pattern": VISIBLE_CHARACTER}
    return {}


def build(app: Flask) -> dict[str, Any]:
    """The document, with the app's own body size and rate limits in its descriptions."""
    not_in_api = ", ".join(f"{path} ({what})" for path, what in NOT_IN_API.items())
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="taskstack",
        version="1",
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": f"The taskstack JSON API. Not part of it: {not_in_api}."},
    )
    plugin.converter.add_attribute_function(_text_pattern)
    for name, description in TOKENS.items():
        spec.components.security_scheme(
            name,
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": description},
        )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("Task", schema=TaskSchema)
    spec.components.schema("TaskChange", schema=TaskSchema(partial=True))
    limits = {
        "max_body": app.config["MAX_CONTENT_LENGTH"],
        "default_limit": app.config["RATELIMIT_DEFAULT"],
        "auth_limit": app.config["RATELIMIT_AUTH"],
    }
    for code, description in ERRORS.items():
        response = {
            "description": description.format(**limits),
            "content": {"application/json": {"schema": "Error"}},
        }
        if code in ERROR_HEADERS:
            response["headers"] = ERROR_HEADERS[code]
        spec.components.response(f"Error{code}", response)
    for path, item in PATHS.items():
        limited = {"429": "Error429"} if path.startswith("/api/") else {}
        operations = {
            method: {**operation, "responses": operation["responses"] | limited}
            for method, operation in item.items()
            if method != "parameters"
        }
        spec.path(path=path, operations=operations, parameters=item.get("parameters"))
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    if "taskstack.openapi" not in current_app.extensions:
        current_app.extensions["taskstack.openapi"] = build(current_app)
    return current_app.extensions["taskstack.openapi"]
