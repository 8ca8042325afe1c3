"""One place that turns every error into the JSON error body.

Shape: {"error": {"code": <int>, "message": "...", "details": {...}}}; details is optional.
"""

from typing import Any

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException


class APIError(Exception):
    """An error the client caused and should be told about."""

    def __init__(self, code: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def error_response(
    code: int, message: str, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return jsonify(error=body), code


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(APIError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected_error)


def _handle_api_error(error: APIError) -> tuple[Response, int]:
    return error_response(error.code, error.message, error.details)


def _handle_http_exception(error: HTTPException) -> tuple[Response, int]:
    response, code = error_response(error.code or 500, error.name)
    # Keep headers such as Allow (405) but not Werkzeug's HTML content type.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, code


def _handle_unexpected_error(error: Exception) -> tuple[Response, int]:
    current_app.logger.exception("Unhandled exception", exc_info=error)
    return error_response(500, "Internal Server Error")
