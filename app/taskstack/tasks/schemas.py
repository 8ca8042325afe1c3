from marshmallow import Schema, fields, validate

from taskstack.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, TaskStatus
from taskstack.validation import multi_line, not_blank, single_line

MAX_PER_PAGE = 100
# Bounds the OFFSET the database is asked for.
MAX_PAGE = 100_000


class TaskSchema(Schema):
    """Loads a new task (or, with partial=True, a change); dumps a task."""

    id = fields.Integer(dump_only=True)
    title = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=TITLE_MAX_LENGTH), not_blank, single_line],
    )
    description = fields.String(
        validate=[validate.Length(max=DESCRIPTION_MAX_LENGTH), multi_line],
    )
    status = fields.Enum(TaskStatus, by_value=True)
    due_date = fields.Date(format="%Y-%m-%d", allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TaskListQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    status = fields.Enum(TaskStatus, by_value=True)
