import datetime as dt
from typing import Any

from marshmallow import Schema, fields, validate

from taskstack.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, TaskStatus
from taskstack.validation import MultiLine, SingleLine, not_blank

MAX_PER_PAGE = 100
# Bounds the OFFSET the database is asked for.
MAX_PAGE = 100_000
SEARCH_MAX_LENGTH = 100
# The only orders a list can be asked for; "-" means descending.
SORT_FIELDS = ("created_at", "updated_at", "due_date", "title", "status")
SORTS = tuple(f"{prefix}{name}" for name in SORT_FIELDS for prefix in ("", "-"))


class Day(fields.Date):
    """A date read as YYYY-MM-DD and written the same way (strftime would drop the zeros of a
    year before 1000: "288-11-05")."""

    def _serialize(self, value: dt.date | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()


class TaskSchema(Schema):
    """Loads a new task (or, with partial=True, a change); dumps a task."""

    id = fields.Integer(dump_only=True)
    title = SingleLine(
        required=True,
        validate=[validate.Length(min=1, max=TITLE_MAX_LENGTH), not_blank],
    )
    description = MultiLine(validate=validate.Length(max=DESCRIPTION_MAX_LENGTH))
    status = fields.Enum(TaskStatus, by_value=True)
    due_date = Day(format="%Y-%m-%d", allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TaskListQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    status = fields.Enum(TaskStatus, by_value=True)
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(SORTS))
    # Case-insensitive substring of the title.
    q = SingleLine(validate=validate.Length(min=1, max=SEARCH_MAX_LENGTH))


# One instance for the process: validation.load_query() memoizes valid queries per schema.
task_list_query_schema = TaskListQuerySchema()
