"""Request parsing at the edge: JSON bodies and query strings go through marshmallow schemas."""

import re
from functools import lru_cache
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import BadRequest

from taskstack.errors import APIError

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_CHARS_EXCEPT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class SingleLine(fields.String):
    """A string with every control character (newlines and tabs too) removed on load."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _CONTROL_CHARS.sub("", super()._deserialize(value, attr, data, **kwargs))


class MultiLine(fields.String):
    """A string with control characters other than tab and newlines removed on load."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return _CONTROL_CHARS_EXCEPT_WHITESPACE.sub("", text)


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def load_json(schema: Schema) -> dict[str, Any]:
    """Validate the request's JSON object body with schema, or raise a 4xx APIError."""
    if not request.is_json:
        raise APIError(415, "Content-Type must be application/json.")
    try:
        data = request.get_json()
    except (BadRequest, RecursionError):
        raise APIError(400, "Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise APIError(400, "Request body must be a JSON object.")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise APIError(400, "Invalid request body.", exc.messages_dict) from None


def load_query(schema: Schema) -> dict[str, Any]:
    """Validate the query string with schema, or raise a 400 APIError."""
    try:
        return dict(_load_query(schema, tuple(request.args.to_dict().items())))
    except ValidationError as exc:
        raise APIError(400, "Invalid query parameters.", exc.messages_dict) from None


# Reads repeat the same few queries; a valid one is validated once per process.
@lru_cache(maxsize=1024)
def _load_query(schema: Schema, args: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return schema.load(dict(args))
